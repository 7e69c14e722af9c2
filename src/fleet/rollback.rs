//! `fleet rollback`: `remedy rollback --all` in each repository's folder (or the named ones), then
//! the branch moved back to where it started, so folder, index and branch are as before the run.

use std::path::Path;
use std::time::Duration;

use super::error::FleetError;
use super::progress::FleetProgress;
use super::run::absolute;
use super::state::{FleetState, RepoStatus, WorkspaceLock};
use super::workspace;
use crate::error::Result;
use crate::process::{run_capture, ChildGroups};
use crate::ui::Style;

pub(crate) async fn fleet_rollback(
    workspace_dir: &Path,
    names: &[String],
    style: Style,
) -> Result<()> {
    let ws = absolute(workspace_dir);
    let _lock = WorkspaceLock::acquire(&ws)?;
    let mut state = FleetState::load_from(&ws)?;
    if !state.collected_from.is_empty() {
        return Err(FleetError::CollectedState { path: ws }.into());
    }
    for n in names {
        if !state.repositories.iter().any(|r| &r.name == n) {
            return Err(FleetError::UnknownRepo {
                name: n.clone(),
                known: state.repositories.iter().map(|r| r.name.clone()).collect(),
            }
            .into());
        }
    }
    let groups = ChildGroups::default();
    let progress = FleetProgress::new(style, 0);
    let exe = std::env::current_exe().map_err(|e| crate::error::Error::Other(e.into()))?;
    let exe = exe.to_string_lossy().into_owned();
    let mut failed = 0;
    let mut done = 0;
    let selected: Vec<usize> = (0..state.repositories.len())
        .filter(|i| names.is_empty() || names.contains(&state.repositories[*i].name))
        .collect();
    for i in selected {
        let rec = state.repositories[i].clone();
        if rec.status == RepoStatus::RolledBack {
            continue;
        }
        if !rec.prepared || super::counts::load_checkpoint(&rec.path, &state.plan.id).is_none() {
            continue;
        }
        let root = rec.path.to_string_lossy().into_owned();
        let out = run_capture(
            &exe,
            &[
                "rollback",
                "--all",
                "--root",
                &root,
                "--plan",
                &state.plan.id,
            ],
            &rec.path,
            Duration::from_secs(3600),
            &groups,
        )
        .await
        .map_err(|e| crate::error::Error::Other(e.into()))?;
        if out.code() != Some(0) {
            failed += 1;
            let said = out
                .output
                .lines()
                .find(|l| l.starts_with("error:"))
                .unwrap_or("remedy rollback failed")
                .to_string();
            progress.finished(&rec.name, rec.status, &format!("not rolled back: {said}"));
            continue;
        }
        if let Err(e) = workspace::reset_to_base(&rec, &groups).await {
            failed += 1;
            progress.finished(&rec.name, rec.status, &format!("rolled back, but {e}"));
            continue;
        }
        let r = &mut state.repositories[i];
        r.status = RepoStatus::RolledBack;
        r.commit = None;
        r.phase = None;
        r.reason = None;
        state.save_in(&ws)?;
        done += 1;
        progress.finished(&rec.name, RepoStatus::RolledBack, "");
    }
    progress.note(&format!(
        "remedy fleet: rolled back {}",
        crate::words::repositories(done)
    ));
    if failed > 0 {
        return Err(FleetError::Incomplete {
            failed,
            total: state.repositories.len(),
        }
        .into());
    }
    Ok(())
}
