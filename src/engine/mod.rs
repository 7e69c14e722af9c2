//! The engine: the verbs that act on a run of a plan over a root.
//!
//! The engine owns the run state. [`run`] starts a run, [`resume`] continues one and [`rollback`]
//! rewinds one; [`diff`] and [`load_run`] only read. Every verb that runs phases goes through one
//! loop (`drive`), which records `running` in the checkpoint before a phase starts and the
//! phase's outcome after it ends, runs each phase as a tokio task, and on Ctrl-C (or SIGTERM) ends
//! the children's process groups, records `interrupted` and stops.

mod drive;
mod inspect;
mod leftovers;
mod resume;
pub(crate) mod rollback;
mod run;
mod watch;

pub(crate) use inspect::{diff, load_run, write_report_text};
pub(crate) use leftovers::remove_leftovers;
pub(crate) use resume::{resume, ResumeOptions};
pub(crate) use rollback::{rollback, RollbackOptions};
pub(crate) use run::run;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::ui::{Event, Ui};

/// Resolves `--root`: it must be an existing folder.
pub(crate) fn resolve_root(root: &Path) -> Result<PathBuf> {
    let canonical = root.canonicalize().map_err(|e| {
        Error::usage(
            format!("root `{}` is not usable: {e}", root.display()),
            Some("pass `--root` with the repository folder to remediate".to_string()),
        )
    })?;
    if !canonical.is_dir() {
        return Err(Error::usage(
            format!("root `{}` is not a folder", root.display()),
            None,
        ));
    }
    Ok(canonical)
}

/// How a verb that drives phases ended.
#[derive(Debug, Clone)]
pub(crate) struct RunSummary {
    pub(crate) report: Option<PathBuf>,
}

pub(super) async fn finish(
    ui: Ui,
    ui_task: tokio::task::JoinHandle<()>,
    result: Result<Option<PathBuf>>,
    dry_run: bool,
) -> Result<RunSummary> {
    // The cause itself is printed once, as the `error:` that follows.
    let (status, outcome) = match &result {
        Ok(_) if dry_run => (
            "dry run finished; nothing was written".to_string(),
            "dry_run_succeeded",
        ),
        Ok(_) => ("all phases succeeded".to_string(), "succeeded"),
        Err(Error::Interrupted { .. }) => ("interrupted".to_string(), "interrupted"),
        Err(Error::PhaseFailed { phase, .. } | Error::DryRunFailed { phase, .. }) => {
            (format!("stopped: phase `{phase}` failed"), "failed")
        }
        Err(e) => (
            "stopped".to_string(),
            match e.exit_code() {
                crate::error::exit::REFUSED => "refused",
                crate::error::exit::LOCKED => "locked",
                crate::error::exit::BAD_INPUT => "bad_input",
                _ => "failed",
            },
        ),
    };
    let report = result.as_ref().ok().and_then(|r| r.clone());
    ui.send(Event::RunFinished {
        status,
        outcome,
        report: report.as_ref().map(|p| p.display().to_string()),
    });
    drop(ui);
    let _ = ui_task.await;
    result.map(|report| RunSummary { report })
}
