//! The loop every verb that runs phases shares: each phase as a tokio task, `running` recorded
//! before it starts and its outcome after it ends, Ctrl-C and SIGTERM ending the children's
//! process groups and recording `interrupted`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::phase::{self, PhaseContext, PhaseResult, SharedJournal};
use crate::plan::{Phase, Plan};
use crate::process::ChildGroups;
use crate::state::checkpoint::{Outcome, PhaseRecord, PhaseStatus, PytestOutcome};
use crate::timefmt;
use crate::ui::{Event, Ui};

use super::watch::{end_watch, runs_programs, start_watch};

pub(super) fn pending_record(p: &Phase) -> PhaseRecord {
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

/// Runs the plan's phases from `start`, recording each in the journal (none in a dry run).
/// `reusable` holds earlier pytest results whose passed suites need not run again.
/// Returns the path of the Markdown report, if a report phase wrote one.
pub(super) async fn drive(
    plan: &Arc<Plan>,
    root: &Path,
    journal: Option<SharedJournal>,
    start: usize,
    reusable: HashMap<String, PytestOutcome>,
    ui: &Ui,
) -> Result<Option<PathBuf>> {
    let groups = ChildGroups::default();
    // One context for the whole run, so that its phases share the dry-run overlay, the kept
    // scan and the index of the tree's modules.
    let ctx = PhaseContext::new(
        root,
        plan.clone(),
        ui.clone(),
        groups.clone(),
        journal.clone(),
        reusable,
    );
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
        ctx.forget_changed_modules(phase, outcome.as_ref().ok());
        let finished = timefmt::now_ms();
        let duration = finished.saturating_sub(started);
        let (status, ended) = match &outcome {
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
                PhaseResult {
                    success: false,
                    summary: "interrupted".into(),
                    error: Some("interrupted by a signal".into()),
                    outcome: None,
                },
            ),
            Err(e) => (
                PhaseStatus::Failed,
                PhaseResult {
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
                rec.summary = Some(ended.summary.clone());
                rec.error = ended.error.clone();
                // Keep a write-ahead record the phase made itself when it ended without an outcome.
                if ended.outcome.is_some() {
                    rec.outcome = ended.outcome.clone();
                }
            }
            j.save()?;
            if let Some(rec) = j.checkpoint.phases.get(index) {
                report_path = markdown_report_of(rec, root).or(report_path);
            }
        }
        ui.send(Event::PhaseFinished {
            phase: phase.name.clone(),
            status,
            duration_ms: duration,
            summary: ended.summary.clone(),
            error: ended.error.clone(),
        });
        if status != PhaseStatus::Succeeded {
            if let Some(j) = &journal {
                write_stopped_report(&*j.lock().await, ui);
            }
        }
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

pub(super) fn error_chain(e: &Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

/// The Markdown report a succeeded report phase wrote, as its record says.
pub(super) fn markdown_report_of(rec: &PhaseRecord, root: &Path) -> Option<PathBuf> {
    match &rec.outcome {
        Some(Outcome::Report(r)) if rec.status == PhaseStatus::Succeeded => {
            r.markdown.as_ref().map(|m| m.to_path(root))
        }
        _ => None,
    }
}

/// A run that stops still leaves its report, with the cause at the top: `report.md` and
/// `report.json` in the run's state folder, where a report phase writes by default. (A report
/// phase that later succeeds writes its own, and a rollback of it puts this one back.) A report
/// that cannot be written is only noted: the run's real error matters more.
fn write_stopped_report(journal: &crate::phase::Journal, ui: &Ui) {
    let cp = &journal.checkpoint;
    let dir = &journal.state.dir;
    let md = dir.join("report.md");
    let written = crate::fsutil::write_atomic(
        &md,
        crate::report::markdown::render(cp, Some(&journal.objects())).as_bytes(),
        None,
        crate::fsutil::Durability::Synced,
    )
    .and_then(|()| {
        crate::fsutil::write_atomic(
            &dir.join("report.json"),
            crate::report::json::render(cp).as_bytes(),
            None,
            crate::fsutil::Durability::Synced,
        )
    });
    match written {
        Ok(()) => ui.note(format!("report of the stopped run: {}", md.display())),
        Err(e) => ui.note(format!(
            "the report of the stopped run could not be written: {e}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use crate::ui::{Mode, Style};

    /// A package that re-exports `get` from `wm` until the patch phase makes it re-export the
    /// one from `other`; the checks after the patch must see the package's new export.
    const PLAN: &str = r#"
id: reexport
title: reexport
files: { include: ["**/*.py"] }
phases:
  - name: before
    kind: validate
    checks:
      - { name: through both, python: { pattern: 'await get($$$A)' }, symbol: app.core.wm.get, expect: "== 2" }
  - { name: backup, kind: backup }
  - name: reexport-other
    kind: patch
    edits:
      - { name: other, regex: 'from \.wm import', replace: 'from .other import', files: { include: ["app/core/__init__.py"] } }
  - name: after
    kind: validate
    checks:
      - { name: direct only, python: { pattern: 'await get($$$A)' }, symbol: app.core.wm.get, expect: "== 1" }
      - { name: the other, python: { pattern: 'await get($$$A)' }, symbol: app.core.other.get, expect: "== 1" }
"#;

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (p, text) in [
            ("app/__init__.py", ""),
            ("app/core/__init__.py", "from .wm import get as get\n"),
            ("app/core/wm.py", "def get(ctx):\n    return ctx\n"),
            ("app/core/other.py", "def get(ctx):\n    return None\n"),
            (
                "app/a.py",
                "from app.core import get\n\nasync def f(c):\n    await get(c)\n",
            ),
            (
                "app/b.py",
                "from app.core.wm import get\n\nasync def f(c):\n    await get(c)\n",
            ),
        ] {
            let path = dir.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn quiet() -> Style {
        Style {
            mode: Mode::Quiet,
            color: false,
            verbose: false,
        }
    }

    #[tokio::test]
    async fn checks_after_a_patch_see_the_exports_it_changed() {
        let plans = tempfile::tempdir().unwrap();
        let plan = plans.path().join("plan.yaml");
        std::fs::write(&plan, PLAN).unwrap();
        for dry_run in [true, false] {
            let root = tree();
            let ran = crate::engine::run(&plan, root.path(), dry_run, quiet()).await;
            assert!(ran.is_ok(), "dry run {dry_run}: {:?}", ran.err());
        }
    }
}
