//! The affected selection of a pytest phase: the change set the backup phase found, the import
//! graph of the root, the test files selected with their reasons, and each suite's share of them.
//!
//! Baseline and after-patch phases select from the same change set (the backup phase's, computed
//! before any patch), so they select the same files unless the patch changed imports; then the
//! later phase also runs what its baseline ran, and records what it selects beyond it.

use std::sync::Arc;

use crate::affected::graph::ImportGraph;
use crate::affected::select::{add_always, select, split_args, suite_run};
use crate::error::Result;
use crate::plan::{Phase, PytestConfig, Suite};
use crate::state::checkpoint::{Outcome, PhaseStatus, PytestOutcome};
use crate::state::selection::SelectionRecord;

use super::super::{blocking, PhaseContext};

/// A phase's selection and the graph it came from.
pub(super) struct PhaseSelection {
    pub(super) record: SelectionRecord,
    pub(super) graph: Arc<ImportGraph>,
}

/// How one suite runs: the arguments pytest gets and, with a selection, the files it names.
#[derive(Debug, Clone)]
pub(super) struct SuitePlan {
    pub(super) args: Vec<String>,
    pub(super) selected: Option<Vec<String>>,
}

/// The files the plan's patch phases change: recorded by the backup phases (and patch phases)
/// that succeeded in this run, or in a dry run, found by its backup phase.
async fn change_set(ctx: &PhaseContext) -> Vec<String> {
    let mut files: Vec<String> = match &ctx.journal {
        Some(journal) => {
            let j = journal.lock().await;
            j.checkpoint
                .phases
                .iter()
                .filter(|p| p.status == PhaseStatus::Succeeded)
                .flat_map(|p| match &p.outcome {
                    Some(Outcome::Backup(b)) => b
                        .files
                        .iter()
                        .map(|f| f.path.as_str().to_string())
                        .collect(),
                    Some(Outcome::Patch(o)) => o
                        .files
                        .iter()
                        .map(|f| f.path.as_str().to_string())
                        .collect(),
                    _ => Vec::new(),
                })
                .collect()
        }
        None => ctx
            .planned_changes
            .lock()
            .expect("planned-changes holders do not panic")
            .clone(),
    };
    files.sort();
    files.dedup();
    files
}

/// Builds the import graph of the root on the blocking pool, timing it.
pub(super) async fn build_graph(ctx: &PhaseContext) -> Result<(Arc<ImportGraph>, u64)> {
    let root = ctx.root.clone();
    let started = std::time::Instant::now();
    let graph = blocking(move || ImportGraph::build(&root)).await?;
    Ok((Arc::new(graph), started.elapsed().as_millis() as u64))
}

/// The phase's affected selection, when one of its suites asks for it.
pub(super) async fn prepare(
    phase: &Phase,
    config: &PytestConfig,
    ctx: &PhaseContext,
    baseline: Option<&PytestOutcome>,
) -> Result<Option<PhaseSelection>> {
    if !config.suites.iter().any(|s| s.affected) {
        return Ok(None);
    }
    ctx.ui.progress(
        &phase.name,
        "reading the imports of the root's Python files",
    );
    let changed = change_set(ctx).await;
    let (graph, graph_ms) = build_graph(ctx).await?;
    let mut record = select(&graph, &changed);
    record.graph_ms = graph_ms;
    let always: Vec<String> = config
        .suites
        .iter()
        .filter(|s| s.affected)
        .flat_map(|s| s.always.iter().cloned())
        .collect();
    add_always(&mut record, &graph, &always);
    if let Some(before) = baseline.and_then(|b| b.selection.as_ref()) {
        record.beyond_baseline = record
            .files
            .iter()
            .filter(|f| !before.files.iter().any(|b| b.path == f.path))
            .map(|f| f.path.clone())
            .collect();
        for f in &before.files {
            if !record.files.iter().any(|r| r.path == f.path) {
                record.files.push(f.clone());
            }
        }
        record.files.sort_by(|a, b| a.path.cmp(&b.path));
    }
    announce(phase, ctx, &record);
    Ok(Some(PhaseSelection { record, graph }))
}

/// Says what was selected: a line with the counts, one per place the graph could not be trusted,
/// and in a dry run one per file with its first reason.
fn announce(phase: &Phase, ctx: &PhaseContext, record: &SelectionRecord) {
    ctx.ui.note(format!(
        "{}: affected selection: {} of {} test files, from {} the patch phases change (import graph of {} Python files in {})",
        phase.name,
        record.files.len(),
        record.test_files,
        crate::words::count_of(&record.changed, "file"),
        record.python_files,
        crate::timefmt::duration(record.graph_ms)
    ));
    for w in &record.widened {
        ctx.ui.note(format!(
            "{}: import graph not trusted: {} (reached from {})",
            phase.name,
            w.describe(),
            w.test
        ));
    }
    for u in &record.unreadable {
        ctx.ui.note(format!(
            "{}: cannot read the imports of {u}; tests that reach it may be left out",
            phase.name
        ));
    }
    if !record.beyond_baseline.is_empty() {
        ctx.ui.note(format!(
            "{}: the patch changed imports: {} not in the baseline's selection ({})",
            phase.name,
            crate::words::count_of(&record.beyond_baseline, "test file"),
            record.beyond_baseline.join(", ")
        ));
    }
    if ctx.is_dry_run() {
        for f in &record.files {
            let why = f.reasons.first().map(|r| r.describe()).unwrap_or_default();
            ctx.ui.note(format!("  {}: {why}", f.path));
        }
    }
}

/// How `suite` runs under `selection`.
pub(super) fn plan_suite(
    suite: &Suite,
    selection: Option<&PhaseSelection>,
    root: &std::path::Path,
) -> SuitePlan {
    match selection.filter(|_| suite.affected) {
        None => SuitePlan {
            args: suite.args.clone(),
            selected: None,
        },
        Some(sel) => {
            let (args, files) =
                suite_run(&sel.record, &split_args(&suite.args, root), &suite.always);
            SuitePlan {
                args,
                selected: Some(files),
            }
        }
    }
}
