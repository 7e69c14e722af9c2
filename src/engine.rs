//! The engine: `run`, `resume` and `status`, over a plan and a root (`rollback` is in
//! [`crate::rollback`]).
//!
//! The engine owns the run state. It records `running` in the checkpoint before a phase starts and
//! the phase's outcome after it ends, runs each phase as a tokio task, and on Ctrl-C (or SIGTERM)
//! ends the children's process groups, records `interrupted` and stops.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::checkpoint::{
    self, Checkpoint, FileState, GitInfo, Outcome, PhaseRecord, PhaseStatus, PytestOutcome,
    StateDir,
};
use crate::error::{Error, Result};
use crate::fsutil;
use crate::lock::RootLock;
use crate::objects::ObjectStore;
use crate::phase::{self, Journal, PhaseContext, PhaseReport, SharedJournal};
use crate::plan::{load_plan, Phase, PhaseKind, Plan};
use crate::process::{run_capture, ChildGroups};
use crate::report;
pub use crate::rollback::{rollback, RollbackOptions, RollbackSummary};
use crate::rollback::{rollback_locked, rollback_phase_files, Notes};
use crate::timefmt;
use crate::ui::{Event, Style, Ui};

/// Resolves `--root`: it must be an existing folder.
pub fn resolve_root(root: &Path) -> Result<PathBuf> {
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
pub struct RunSummary {
    pub plan_id: String,
    pub report: Option<PathBuf>,
}

/// How long each `git` question may take (a status over a huge or network-mounted tree is slow;
/// a git waiting on a lock or a credential prompt must not hold the run).
const GIT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The commit and whether the tree is dirty, when the root is in a git repository. No Ctrl-C
/// handler is installed yet when this runs, so SIGINT ends remedy and the death signal ends git.
async fn git_info(root: &Path) -> Option<GitInfo> {
    let groups = ChildGroups::default();
    let ask = |args: &'static [&'static str]| run_capture("git", args, root, GIT_TIMEOUT, &groups);
    let head = ask(&["rev-parse", "HEAD"]).await.ok()?;
    if head.code() != Some(0) {
        return None;
    }
    let status = ask(&["status", "--porcelain"]).await.ok()?;
    if status.code() != Some(0) {
        return None;
    }
    Some(GitInfo {
        commit: head.output.trim().to_string(),
        dirty: !status.output.trim().is_empty(),
    })
}

async fn new_checkpoint(plan: &Plan, root: &Path) -> Checkpoint {
    let now = timefmt::now_ms();
    Checkpoint {
        format_version: checkpoint::FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        plan_id: plan.id.clone(),
        plan_title: plan.title.clone(),
        plan_description: plan.description.clone(),
        plan_path: plan.source.clone(),
        root: root.to_path_buf(),
        started_at: now,
        updated_at: now,
        git: git_info(root).await,
        phases: plan.phases.iter().map(pending_record).collect(),
        relocated_from: None,
    }
}

fn pending_record(p: &Phase) -> PhaseRecord {
    PhaseRecord {
        name: p.name.clone(),
        kind: p.kind,
        description: p.description.clone(),
        fingerprint: p.fingerprint.clone(),
        status: PhaseStatus::Pending,
        started_at: None,
        finished_at: None,
        duration_ms: None,
        summary: None,
        error: None,
        outcome: None,
        created: Vec::new(),
        created_dirs: Vec::new(),
        created_unrecorded: Vec::new(),
    }
}

/// Whether a phase runs programs that may write into the tree, so that what they create is
/// recorded (see [`crate::created`]).
fn runs_programs(phase: &Phase) -> bool {
    matches!(
        phase.kind,
        PhaseKind::Pytest | PhaseKind::Command | PhaseKind::Validate
    )
}

/// Before a phase that runs programs: the tree's listing, and the current hashes of the files
/// earlier phases created.
type Watch = (
    crate::created::TreeListing,
    HashMap<crate::paths::RelPath, Option<String>>,
);

async fn start_watch(root: &Path, journal: &SharedJournal) -> Result<Watch> {
    let records = journal.lock().await.checkpoint.phases.clone();
    let root = root.to_path_buf();
    phase::blocking(move || {
        (
            crate::created::TreeListing::take(&root),
            crate::created::hashes_of_created(&records, &root),
        )
    })
    .await
}

/// After the phase at `index`: records what appeared in the tree, and follows what it changed of
/// files earlier phases created.
async fn end_watch(root: &Path, journal: &SharedJournal, index: usize, watch: Watch) -> Result<()> {
    let (listing, earlier) = watch;
    let root2 = root.to_path_buf();
    let appeared = phase::blocking(move || listing.appeared_since(&root2)).await?;
    let mut j = journal.lock().await;
    crate::created::follow_created(&mut j.checkpoint.phases, &earlier, root);
    if let Some(rec) = j.checkpoint.phases.get_mut(index) {
        for file in appeared.files {
            rec.created.retain(|f| f.path != file.path);
            rec.created.push(file);
        }
        rec.created.sort_by(|a, b| a.path.cmp(&b.path));
        for dir in appeared.dirs {
            if !rec.created_dirs.contains(&dir) {
                rec.created_dirs.push(dir);
            }
        }
        rec.created_dirs.sort();
        rec.created_unrecorded.extend(appeared.unrecorded);
    }
    Ok(())
}

/// `remedy run PLAN`: the whole plan, or with `dry_run` a preview that writes nothing.
pub async fn run(plan_path: &Path, root: &Path, dry_run: bool, style: Style) -> Result<RunSummary> {
    let root = resolve_root(root)?;
    let plan = Arc::new(load_plan(plan_path, Some(&root))?);
    let (ui, ui_task) = Ui::start(style);
    ui.send(Event::RunStarted {
        plan: plan.id.clone(),
        title: plan.title.clone(),
        root: root.display().to_string(),
        dry_run,
    });
    let result = if dry_run {
        drive(&plan, &root, None, 0, HashMap::new(), &ui).await
    } else {
        start_run(&plan, &root, &ui).await
    };
    finish(ui, ui_task, &plan.id, result, dry_run).await
}

async fn start_run(plan: &Arc<Plan>, root: &Path, ui: &Ui) -> Result<Option<PathBuf>> {
    let _lock = RootLock::acquire(root)?;
    let state = StateDir::new(root, &plan.id);
    if state.checkpoint_path().exists() {
        let cp = Checkpoint::load_in(&state)?;
        if !cp
            .phases
            .iter()
            .all(|p| matches!(p.status, PhaseStatus::RolledBack | PhaseStatus::Pending))
        {
            return Err(Error::usage(
                format!(
                    "plan `{}` already has a run under {} ({})",
                    plan.id,
                    root.display(),
                    report::run_status(&cp).replace('_', " ")
                ),
                Some(format!(
                    "see `remedy status --root {r}`; continue it with `remedy resume --root {r}`, or undo it with `remedy rollback --all --root {r}` and run again",
                    r = root.display()
                )),
            ));
        }
    }
    state.create()?;
    let mut cp = new_checkpoint(plan, root).await;
    cp.save(&state)?;
    let journal = Arc::new(tokio::sync::Mutex::new(Journal {
        checkpoint: cp,
        state,
    }));
    drive(plan, root, Some(journal), 0, HashMap::new(), ui).await
}

async fn finish(
    ui: Ui,
    ui_task: tokio::task::JoinHandle<()>,
    plan_id: &str,
    result: Result<Option<PathBuf>>,
    dry_run: bool,
) -> Result<RunSummary> {
    let status = match &result {
        Ok(_) if dry_run => "dry run finished; nothing was written".to_string(),
        Ok(_) => "all phases succeeded".to_string(),
        Err(Error::Interrupted { .. }) => "interrupted".to_string(),
        Err(e) => format!("stopped: {}", first_line(&e.to_string())),
    };
    let report = result.as_ref().ok().and_then(|r| r.clone());
    ui.send(Event::RunFinished {
        status,
        report: report.as_ref().map(|p| p.display().to_string()),
    });
    drop(ui);
    let _ = ui_task.await;
    result.map(|report| RunSummary {
        plan_id: plan_id.to_string(),
        report,
    })
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// Runs the plan's phases from `start`, recording each in the journal (none in a dry run).
/// `reusable` holds earlier pytest results whose passed suites need not run again.
/// Returns the path of the Markdown report, if a report phase wrote one.
async fn drive(
    plan: &Arc<Plan>,
    root: &Path,
    journal: Option<SharedJournal>,
    start: usize,
    reusable: HashMap<String, PytestOutcome>,
    ui: &Ui,
) -> Result<Option<PathBuf>> {
    let groups = ChildGroups::default();
    let ctx = PhaseContext {
        root: root.to_path_buf(),
        plan: plan.clone(),
        ui: ui.clone(),
        groups: groups.clone(),
        journal: journal.clone(),
        overlay: Arc::new(Mutex::new(HashMap::new())),
        reusable: Arc::new(reusable),
        kept_scan: Arc::default(),
    };
    let mut report_path = None;
    let total = plan.phases.len();
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| Error::Other(anyhow::anyhow!("cannot listen for SIGTERM: {e}")))?;
    for (index, phase) in plan.phases.iter().enumerate().skip(start) {
        let started = timefmt::now_ms();
        if let Some(j) = &journal {
            let mut j = j.lock().await;
            if let Some(rec) = j.checkpoint.phases.get_mut(index) {
                // What an earlier attempt of this phase created is still in the tree.
                let created = std::mem::take(&mut rec.created);
                let created_dirs = std::mem::take(&mut rec.created_dirs);
                *rec = pending_record(phase);
                rec.status = PhaseStatus::Running;
                rec.started_at = Some(started);
                rec.created = created;
                rec.created_dirs = created_dirs;
            }
            j.save()?;
        }
        let watch = match &journal {
            Some(j) if runs_programs(phase) => Some(start_watch(root, j).await?),
            _ => None,
        };
        ui.send(Event::PhaseStarted {
            index,
            total,
            phase: phase.name.clone(),
            kind: phase.kind.to_string(),
        });
        let task = {
            let phase = phase.clone();
            let ctx = ctx.clone();
            tokio::spawn(async move { phase::execute(&phase, &ctx).await })
        };
        let abort = task.abort_handle();
        let outcome = tokio::select! {
            joined = task => joined.map_err(|e| Error::Other(anyhow::anyhow!("phase task failed: {e}"))).and_then(|r| r),
            _ = tokio::signal::ctrl_c() => Err(Error::Interrupted { phase: phase.name.clone() }),
            _ = sigterm.recv() => Err(Error::Interrupted { phase: phase.name.clone() }),
        };
        if matches!(outcome, Err(Error::Interrupted { .. })) {
            abort.abort();
            groups.signal_all(libc::SIGTERM);
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            groups.signal_all(libc::SIGKILL);
        }
        if let (Some(j), Some(watch)) = (&journal, watch) {
            end_watch(root, j, index, watch).await?;
        }
        let finished = timefmt::now_ms();
        let duration = finished.saturating_sub(started);
        let (status, report) = match &outcome {
            Ok(r) => (
                if r.success {
                    PhaseStatus::Succeeded
                } else {
                    PhaseStatus::Failed
                },
                r.clone(),
            ),
            Err(Error::Interrupted { .. }) => (
                PhaseStatus::Interrupted,
                PhaseReport {
                    success: false,
                    summary: "interrupted".into(),
                    error: Some("interrupted by a signal".into()),
                    outcome: None,
                },
            ),
            Err(e) => (
                PhaseStatus::Failed,
                PhaseReport {
                    success: false,
                    summary: "error".into(),
                    error: Some(error_chain(e)),
                    outcome: None,
                },
            ),
        };
        if let Some(j) = &journal {
            let mut j = j.lock().await;
            if let Some(rec) = j.checkpoint.phases.get_mut(index) {
                rec.status = status;
                rec.finished_at = Some(finished);
                rec.duration_ms = Some(duration);
                rec.summary = Some(report.summary.clone());
                rec.error = report.error.clone();
                // Keep a write-ahead record the phase made itself when it ended without an outcome.
                if report.outcome.is_some() {
                    rec.outcome = report.outcome.clone();
                }
            }
            j.save()?;
            if status == PhaseStatus::Succeeded {
                if let crate::plan::PhaseConfig::Report { markdown, .. } = &phase.config {
                    report_path = Some(markdown.to_path(root));
                }
            }
        }
        ui.send(Event::PhaseFinished {
            phase: phase.name.clone(),
            status,
            duration_ms: duration,
            summary: if status == PhaseStatus::Failed {
                format!(
                    "{} — {}",
                    report.summary,
                    report.error.as_deref().map(first_line).unwrap_or("")
                )
            } else {
                report.summary.clone()
            },
        });
        match outcome {
            Err(e) => return Err(e),
            Ok(r) if !r.success => {
                let (phase, message) = (phase.name.clone(), r.error.unwrap_or(r.summary));
                return Err(if journal.is_none() {
                    Error::DryRunFailed { phase, message }
                } else {
                    Error::PhaseFailed { phase, message }
                });
            }
            Ok(_) => {}
        }
    }
    Ok(report_path)
}

fn error_chain(e: &Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

/// Options of `remedy resume`.
#[derive(Debug, Clone, Default)]
pub struct ResumeOptions {
    pub plan: Option<String>,
    pub rerun_changed: bool,
    /// Run every suite of a failed pytest phase again, not only those that did not pass.
    pub all_suites: bool,
}

/// `remedy resume`: verify what completed phases did, then continue from the first phase that did
/// not succeed.
pub async fn resume(root: &Path, opts: &ResumeOptions, style: Style) -> Result<RunSummary> {
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
    let summary = finish(ui, ui_task, &plan.id, result, false).await;
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
                "{} file(s) changed since remedy patched them:\n{}",
                drifted.len(),
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
        return Ok(report_path_of(plan, root, &cp));
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

fn report_path_of(plan: &Plan, root: &Path, cp: &Checkpoint) -> Option<PathBuf> {
    plan.phases
        .iter()
        .zip(&cp.phases)
        .find_map(|(p, rec)| match &p.config {
            crate::plan::PhaseConfig::Report { markdown, .. }
                if rec.status == PhaseStatus::Succeeded =>
            {
                Some(markdown.to_path(root))
            }
            _ => None,
        })
}

/// Clears the temporary files that a killed run left next to the files it was replacing. One that
/// holds neither a before- nor an after-image of the run may be another process's version of a file
/// (a replacement killed between its exchange and the exchange back): it is kept aside under the
/// run's `conflicts/` folder, and noted.
pub(crate) fn remove_leftovers(cp: &Checkpoint, state: &StateDir, ui: &dyn Notes) -> Result<()> {
    let mut dirs = std::collections::BTreeSet::new();
    for rec in &cp.phases {
        match &rec.outcome {
            Some(Outcome::Patch(o)) => {
                dirs.extend(o.files.iter().map(|f| f.path.parent().to_string()))
            }
            Some(Outcome::Report(r)) => {
                dirs.extend(r.outputs.iter().map(|f| f.path.parent().to_string()))
            }
            _ => {}
        }
    }
    let objects = ObjectStore::new(state.objects_dir());
    let aside = state
        .dir
        .join("conflicts")
        .join(timefmt::rfc3339(timefmt::now_ms()).replace(':', "-"))
        .join("leftovers");
    for dir in dirs {
        // A folder that now leads out of the root through a link is not remedy's to clean.
        let Ok(rel) = crate::paths::RelPath::parse(&dir) else {
            continue;
        };
        let Ok(path) = rel.resolve_inside(&cp.root) else {
            continue;
        };
        let moved = fsutil::clear_temp_files(
            &path,
            |bytes| objects.contains(&fsutil::hash_bytes(bytes)),
            &aside.join(&dir),
        )?;
        for kept in moved {
            ui.note(format!(
                "a temporary file in {} held content remedy does not know (possibly another process's version of a file there); kept at {}",
                path.display(),
                kept.display()
            ));
        }
    }
    fsutil::remove_stale_temp_files(&state.dir);
    Ok(())
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

/// The run a status or report is about.
pub fn load_run(root: &Path, plan: Option<&str>) -> Result<(StateDir, Checkpoint)> {
    let root = resolve_root(root)?;
    Ok(checkpoint::select_run(&root, plan)?)
}

/// The unified diff of what patch phases changed, from the object store.
pub fn diff(root: &Path, plan: Option<&str>, phase: Option<&str>) -> Result<String> {
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
    let mut out = String::new();
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
                out.push_str(&crate::ui::unified_diff(
                    f.path.as_str(),
                    &String::from_utf8_lossy(&before),
                    &String::from_utf8_lossy(&after),
                ));
            }
        }
    }
    Ok(out)
}

/// Writes the report files again from the checkpoint (the `report` verb with `--write`).
pub fn write_report_text(cp: &Checkpoint, json: bool) -> String {
    if json {
        report::json::render(cp)
    } else {
        report::markdown::render(cp)
    }
}
