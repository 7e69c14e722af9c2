//! `remedy resume`: checks that what completed phases did still holds, then continues from the
//! first phase that did not succeed, putting back first what a cut-short patch phase wrote.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::fsutil;
use crate::phase::Journal;
use crate::plan::{load_plan, PhaseKind, Plan};
use crate::state::checkpoint::{self, Checkpoint, Outcome, PhaseStatus, PytestOutcome, StateDir};
use crate::state::lock::RootLock;
use crate::ui::{Event, Style, Ui};

use super::drive::{drive, pending_record};
use super::rollback::{rollback_locked, rollback_phase_files};
use super::{finish, remove_leftovers, resolve_root, RunSummary};

/// Options of `remedy resume`.
#[derive(Debug, Clone, Default)]
pub(crate) struct ResumeOptions {
    pub(crate) plan: Option<String>,
    pub(crate) rerun_changed: bool,
    /// Run every suite of a failed pytest phase again, not only those that did not pass.
    pub(crate) all_suites: bool,
}

/// `remedy resume`: verify what completed phases did, then continue from the first phase that did
/// not succeed.
pub(crate) async fn resume(root: &Path, opts: &ResumeOptions, style: Style) -> Result<RunSummary> {
    let root = resolve_root(root)?;
    let (state, cp) = checkpoint::select_run(&root, opts.plan.as_deref())?;
    let plan_path = cp.plan_path.clone();
    let plan = Arc::new(load_plan(&plan_path, Some(&root))?);
    let lock = RootLock::acquire(&root)?;
    // Re-read under the lock: another process may have changed it between the first read and now.
    let cp = Checkpoint::load_in(&state)?;

    let (ui, ui_task) = Ui::start(style);
    ui.send(Event::RunStarted {
        plan: plan.id.clone(),
        title: plan.title.clone(),
        root: root.display().to_string(),
        dry_run: false,
    });
    if let Some(note) = cp.relocation_note() {
        ui.note(note);
    }
    let result = resume_locked(&plan, &root, state, cp, opts, &ui).await;
    let summary = finish(ui, ui_task, result, false).await;
    drop(lock);
    summary
}

async fn resume_locked(
    plan: &Arc<Plan>,
    root: &Path,
    state: StateDir,
    mut cp: Checkpoint,
    opts: &ResumeOptions,
    ui: &Ui,
) -> Result<Option<PathBuf>> {
    // A phase is stale when it succeeded and the plan no longer has it at the same place with the
    // same config. Phases that did not succeed run again anyway, with the plan as it is now.
    let stale = cp.phases.iter().enumerate().find(|(i, rec)| {
        rec.status == PhaseStatus::Succeeded
            && plan
                .phases
                .get(*i)
                .is_none_or(|p| p.name != rec.name || p.fingerprint != rec.fingerprint)
    });
    let stale = stale.map(|(i, rec)| (i, rec.name.clone()));
    if cp.phases.len() != plan.phases.len() && stale.is_none() {
        // Phases were added or removed after the last recorded one: adopt the plan's list.
        let names: Vec<String> = cp.phases.iter().map(|p| p.name.clone()).collect();
        let keep = names.len().min(plan.phases.len());
        cp.phases.truncate(keep);
        cp.phases
            .extend(plan.phases[keep..].iter().map(pending_record));
    }
    if let Some((index, name)) = &stale {
        if !opts.rerun_changed {
            return Err(Error::Usage {
                message: format!(
                    "phase `{name}` changed in the plan since it ran (its configuration fingerprint differs)"
                ),
                help: Some(format!(
                    "undo it and what followed with `remedy rollback {name} --root {r}`, then `remedy resume --root {r}`; or do both with `remedy resume --rerun-changed --root {r}`",
                    r = root.display()
                )),
            });
        }
        ui.note(format!(
            "phase `{name}` changed in the plan; rolling back to it first"
        ));
        let mut j = Journal {
            checkpoint: cp,
            state,
        };
        rollback_locked(&mut j, *index, false, ui)?;
        cp = j.checkpoint;
        cp.phases.truncate(*index);
        cp.phases
            .extend(plan.phases[*index..].iter().map(pending_record));
        let state = j.state;
        let start = *index;
        cp.save(&state)?;
        let journal = Arc::new(tokio::sync::Mutex::new(Journal {
            checkpoint: cp,
            state,
        }));
        // The changed phase starts over: nothing of its earlier attempt is reused.
        return drive(plan, root, Some(journal), start, HashMap::new(), ui).await;
    }

    remove_leftovers(&cp, &state, ui)?;
    // Effects of completed phases must still hold.
    let drifted = drifted_files(&cp, root);
    if !drifted.is_empty() {
        return Err(Error::Refused {
            message: format!(
                "{} changed since remedy patched them:\n{}",
                crate::words::count_of(&drifted, "file"),
                drifted.iter().map(|d| format!("  {d}")).collect::<Vec<_>>().join("\n")
            ),
            help: format!(
                "keep your edits and undo the run with `remedy rollback --all --force --root {r}` (your versions are kept aside), or restore the files and resume",
                r = root.display()
            ),
        });
    }

    let Some(start) = cp
        .phases
        .iter()
        .position(|p| p.status != PhaseStatus::Succeeded)
    else {
        ui.note("every phase has already succeeded; nothing to resume");
        return Ok(report_path_of(root, &cp));
    };
    let mut journal = Journal {
        checkpoint: cp,
        state,
    };
    // A patch or report phase cut short may have written some of its files: put them back, then
    // redo it whole.
    if matches!(
        journal.checkpoint.phases[start].kind,
        PhaseKind::Patch | PhaseKind::Report
    ) {
        rollback_phase_files(&mut journal, start, false, ui)?;
    }
    let reusable = if opts.all_suites {
        HashMap::new()
    } else {
        reusable_results(&journal.checkpoint)
    };
    let journal = Arc::new(tokio::sync::Mutex::new(journal));
    drive(plan, root, Some(journal), start, reusable, ui).await
}

/// The results of pytest phases that ran to the end and failed: a resume re-runs only their
/// suites that did not pass. A phase that was interrupted has no results to offer.
fn reusable_results(cp: &Checkpoint) -> HashMap<String, PytestOutcome> {
    cp.phases
        .iter()
        .filter(|p| p.status == PhaseStatus::Failed)
        .filter_map(|p| match &p.outcome {
            Some(Outcome::Pytest(o)) => Some((p.name.clone(), o.clone())),
            _ => None,
        })
        .collect()
}

fn report_path_of(root: &Path, cp: &Checkpoint) -> Option<PathBuf> {
    cp.phases
        .iter()
        .find_map(|rec| super::drive::markdown_report_of(rec, root))
}

/// Files written by succeeded patch phases that no longer hold their after-content.
fn drifted_files(cp: &Checkpoint, root: &Path) -> Vec<String> {
    let mut expected: HashMap<String, String> = HashMap::new();
    for rec in cp
        .phases
        .iter()
        .filter(|p| p.status == PhaseStatus::Succeeded)
    {
        if let Some(Outcome::Patch(o)) = &rec.outcome {
            for f in &o.files {
                expected.insert(f.path.as_str().to_string(), f.after.clone());
            }
        }
    }
    let mut drifted: Vec<String> = expected
        .iter()
        .filter(|(path, after)| {
            let now = std::fs::read(root.join(path)).map(|b| fsutil::hash_bytes(&b));
            now.as_deref().ok() != Some(after.as_str())
        })
        .map(|(p, _)| p.clone())
        .collect();
    drifted.sort();
    drifted
}
