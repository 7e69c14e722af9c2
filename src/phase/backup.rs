//! The backup phase: before-images of every file the named patch phases will change, in the run's
//! object store (outside the tree), flushed before the phase is recorded as done.

use std::sync::Arc;

use crate::error::Result;
use crate::fsutil;
use crate::plan::{Phase, PhaseConfig};
use crate::state::checkpoint::{BackedUpFile, BackupOutcome, Outcome};

use super::patch::compute_changes;
use super::{blocking, PhaseContext, PhaseResult};

pub(crate) async fn execute(
    phase: &Phase,
    patch_phases: &[String],
    ctx: &PhaseContext,
) -> Result<PhaseResult> {
    let mut edits = Vec::new();
    for name in patch_phases {
        if let Some((_, p)) = ctx.plan.phase(name) {
            if let PhaseConfig::Patch { edits: e } = &p.config {
                edits.extend(e.iter().cloned());
            }
        }
    }
    ctx.ui.progress(
        &phase.name,
        "finding the files the patch phases will change",
    );
    let set = Arc::new({
        let ctx = ctx.clone();
        blocking(move || compute_changes(&edits, &ctx)).await?
    });
    // Protecting one patch phase, this scan is exactly the one that phase would make: keep it, so
    // that the tree is walked and read once for both.
    if let [patch_phase] = patch_phases {
        ctx.keep_scan(patch_phase, set.clone());
    }
    let files: Vec<BackedUpFile> = set
        .changes
        .iter()
        .map(|c| BackedUpFile {
            path: c.rel.clone(),
            hash: c.before_hash.clone(),
            mode: c.mode,
            size: c.before.len() as u64,
        })
        .collect();
    let bytes: u64 = files.iter().map(|f| f.size).sum();
    ctx.planned_changes
        .lock()
        .expect("planned-changes holders do not panic")
        .extend(files.iter().map(|f| f.path.as_str().to_string()));
    let Some(journal) = &ctx.journal else {
        return Ok(PhaseResult {
            success: true,
            summary: format!(
                "would back up {} ({bytes} bytes)",
                crate::words::count_of(&files, "file")
            ),
            error: None,
            outcome: Some(Outcome::Backup(BackupOutcome { files })),
        });
    };
    let (objects, dir) = {
        let j = journal.lock().await;
        (j.objects(), j.state.dir.clone())
    };
    let hashes: Vec<String> = files.iter().map(|f| f.hash.clone()).collect();
    let changes = set.clone();
    blocking(move || -> Result<()> {
        let batch: Vec<(&str, &[u8])> = hashes
            .iter()
            .zip(&changes.changes)
            .map(|(hash, change)| (hash.as_str(), change.before.as_slice()))
            .collect();
        objects.put_all(&batch)?;
        fsutil::sync_filesystem(&dir)
    })
    .await??;
    Ok(PhaseResult {
        success: true,
        summary: format!(
            "backed up {} ({bytes} bytes)",
            crate::words::count_of(&files, "file")
        ),
        error: None,
        outcome: Some(Outcome::Backup(BackupOutcome { files })),
    })
}
