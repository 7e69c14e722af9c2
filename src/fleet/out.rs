//! A shard's results in its `--out` folder: each repository's report JSON (`reports/<name>.json`),
//! with `--bundles` each new branch as a git bundle (`bundles/<name>.bundle`), and last the
//! shard's fleet state (`fleet.json`, with the shard, the plan id, the list's hash and the whole
//! fleet's repository count), which `fleet collect` reads. The state is written last, so a folder
//! that has it is complete.

use std::path::Path;

use super::counts;
use super::state::FleetState;
use super::workspace;
use crate::error::{Error, Result};
use crate::fsutil::{self, Durability};
use crate::process::ChildGroups;

pub(crate) async fn write_out(state: &FleetState, groups: &ChildGroups) -> Result<()> {
    let Some(out) = &state.out else {
        return Ok(());
    };
    let reports = out.join("reports");
    fsutil::create_dir_all(&reports)?;
    for rec in &state.repositories {
        if let Some(text) = counts::report_json(&rec.path, &state.plan.id) {
            fsutil::write_atomic(
                &reports.join(format!("{}.json", rec.name)),
                text.as_bytes(),
                None,
                Durability::Batched,
            )?;
        }
        if state.bundles && rec.commit.is_some() {
            let to = out.join("bundles").join(format!("{}.bundle", rec.name));
            workspace::bundle(rec, &to, groups)
                .await
                .map_err(|e| Error::Other(anyhow::anyhow!("{}: {e}", rec.name)))?;
        }
    }
    fsutil::sync_filesystem(out)?;
    let mut copy = state.clone();
    copy.save_in(out)
}

/// Copies the reports and bundles of a shard's `--out` folder into `to`.
pub(crate) fn copy_results(from: &Path, to: &Path) -> Result<()> {
    for sub in ["reports", "bundles"] {
        let dir = from.join(sub);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let target = to.join(sub);
        fsutil::create_dir_all(&target)?;
        for entry in entries.flatten() {
            let src = entry.path();
            if !src.is_file() {
                continue;
            }
            let bytes = std::fs::read(&src).map_err(|e| Error::io("read", &src, e))?;
            fsutil::write_atomic(
                &target.join(entry.file_name()),
                &bytes,
                None,
                Durability::Batched,
            )?;
        }
    }
    fsutil::sync_filesystem(to)
}
