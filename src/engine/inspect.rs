//! The verbs that only read a run: the run a `status` or `report` is about, and `diff`.

use std::path::Path;

use crate::cli::ReportFormat;
use crate::error::{Error, Result};
use crate::plan::PhaseKind;
use crate::report;
use crate::state::checkpoint::{self, Checkpoint, FileState, Outcome, StateDir};
use crate::state::objects::ObjectStore;

use super::resolve_root;

/// The run a status or report is about.
pub(crate) fn load_run(root: &Path, plan: Option<&str>) -> Result<(StateDir, Checkpoint)> {
    let root = resolve_root(root)?;
    Ok(checkpoint::select_run(&root, plan)?)
}

/// The unified diff of what patch phases changed, from the object store.
/// One patched file's change, for `remedy diff`.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct FileDiff {
    pub(crate) phase: String,
    pub(crate) path: String,
    /// The unified diff, with `a/` and `b/` headers.
    pub(crate) diff: String,
}

/// The changes patch phases made, file by file, from the object store.
pub(crate) fn diff(root: &Path, plan: Option<&str>, phase: Option<&str>) -> Result<Vec<FileDiff>> {
    let (state, cp) = load_run(root, plan)?;
    let objects = ObjectStore::new(state.objects_dir());
    if let Some(name) = phase {
        let rec = cp
            .phase(name)
            .ok_or_else(|| Error::usage(format!("the run has no phase `{name}`"), None))?;
        if rec.kind != PhaseKind::Patch {
            return Err(Error::usage(
                format!("phase `{name}` is a {} phase, not a patch phase", rec.kind),
                None,
            ));
        }
    }
    let mut out = Vec::new();
    for rec in cp
        .phases
        .iter()
        .filter(|p| phase.is_none_or(|n| n == p.name))
    {
        if let Some(Outcome::Patch(o)) = &rec.outcome {
            // Files a refused phase only planned were never stored nor written.
            for f in o
                .files
                .iter()
                .filter(|f| !matches!(f.state, FileState::Planned | FileState::Drifted))
            {
                let before = objects.get(&f.before)?;
                let after = objects.get(&f.after)?;
                out.push(FileDiff {
                    phase: rec.name.clone(),
                    path: f.path.as_str().to_string(),
                    diff: crate::ui::unified_diff(
                        f.path.as_str(),
                        &String::from_utf8_lossy(&before),
                        &String::from_utf8_lossy(&after),
                    ),
                });
            }
        }
    }
    Ok(out)
}

/// The report, rendered again from the checkpoint (the `report` verb).
pub(crate) fn write_report_text(state: &StateDir, cp: &Checkpoint, format: ReportFormat) -> String {
    match format {
        ReportFormat::Json => report::json::render(cp),
        ReportFormat::Github => report::github::render(cp),
        ReportFormat::Commit => report::commit::commit_message(cp),
        ReportFormat::Pr => report::pr::render(cp, Some(&ObjectStore::new(state.objects_dir()))),
        ReportFormat::Md => {
            report::markdown::render(cp, Some(&ObjectStore::new(state.objects_dir())))
        }
    }
}
