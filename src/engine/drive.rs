//! The loop every verb that runs phases shares: each phase as a tokio task, `running` recorded
//! before it starts and its outcome after it ends, Ctrl-C and SIGTERM ending the children's
//! process groups and recording `interrupted`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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
