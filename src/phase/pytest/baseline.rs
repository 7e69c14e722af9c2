//! Baseline results kept across runs: a pytest phase that another phase's `compare_with` names
//! looks up each suite's key in the cache under `.remedy/` before running it, takes the kept
//! result when the key matches, and keeps what it runs for the next time.
//!
//! A rollback undoes a run's phases but leaves the cache alone: an entry is valid for as long as
//! its key, which covers everything the result depends on (see `affected::cache`).

use std::sync::Arc;

use crate::affected::cache::{environment, key_files, suite_key, Environment};
use crate::affected::graph::{is_test_file, ImportGraph};
use crate::affected::select::{is_under, split_args};
use crate::error::Result;
use crate::plan::{Phase, PhaseConfig, Suite};
use crate::python::Interpreter;
use crate::state::baseline_cache::BaselineCache;
use crate::state::checkpoint::{SuiteResult, SuiteStatus};

use super::super::PhaseContext;
use super::selection::{build_graph, SuitePlan};

/// What a baseline phase needs to key its suites.
pub(super) struct Keying {
    env: Environment,
    graph: Arc<ImportGraph>,
    cache: BaselineCache,
}

/// Whether another phase of the plan compares itself with `phase`.
pub(super) fn is_baseline(phase: &Phase, ctx: &PhaseContext) -> bool {
    ctx.plan.phases.iter().any(|p| match &p.config {
        PhaseConfig::Pytest(c) => c.compare_with.as_deref() == Some(phase.name.as_str()),
        _ => false,
    })
}

/// The keying of a baseline phase, or `None` (said why) when its environment cannot be keyed.
pub(super) async fn keying(
    phase: &Phase,
    ctx: &PhaseContext,
    interpreter: &Interpreter,
    graph: Option<Arc<ImportGraph>>,
) -> Result<Option<Keying>> {
    let env = match environment(interpreter, &ctx.root, &ctx.groups).await {
        Ok(env) => env,
        Err(why) => {
            ctx.ui.note(format!(
                "{}: baseline results are not kept: {why}",
                phase.name
            ));
            return Ok(None);
        }
    };
    let graph = match graph {
        Some(g) => g,
        None => build_graph(ctx).await?.0,
    };
    Ok(Some(Keying {
        env,
        graph,
        cache: BaselineCache::new(&ctx.root),
    }))
}

/// The key of `suite` running as `plan` says.
pub(super) fn key_of(
    keying: &Keying,
    suite: &Suite,
    plan: &SuitePlan,
    root: &std::path::Path,
) -> String {
    let tests: Vec<String> = match &plan.selected {
        Some(files) => files.clone(),
        None => {
            let paths = split_args(&suite.args, root).scope();
            keying
                .graph
                .files
                .iter()
                .filter(|f| is_test_file(f))
                .filter(|f| paths.is_empty() || paths.iter().any(|p| is_under(f, p)))
                .cloned()
                .collect()
        }
    };
    let (files, _) = key_files(&keying.graph, &tests);
    suite_key(
        &keying.env,
        &plan.args,
        plan.selected.as_deref(),
        root,
        &files,
    )
}

/// The kept result under `key`, its log written back to `log`, marked as taken from the cache.
pub(super) fn reuse(
    keying: &Keying,
    key: &str,
    suite: &Suite,
    log: &std::path::Path,
    log_rel: crate::tree::paths::RelPath,
) -> Option<SuiteResult> {
    let entry = keying.cache.load(key)?;
    crate::fsutil::write_atomic(
        log,
        entry.log.as_bytes(),
        None,
        crate::fsutil::Durability::Batched,
    )
    .ok()?;
    Some(SuiteResult {
        name: suite.name.clone(),
        args: suite.args.clone(),
        log: log_rel,
        cache_key: Some(key.to_string()),
        from_cache: true,
        reused: false,
        ..entry.result
    })
}

/// Keeps a result under its key when it is one the phase accepts: passed, or failed tests with
/// `allow_failures` (the state a baseline before a fix is expected to be in). A crash, a timeout,
/// or failures that fail the phase are not kept, so that running the phase again runs them again.
pub(super) fn keep(
    keying: &Keying,
    ctx: &PhaseContext,
    phase: &Phase,
    allow_failures: bool,
    result: &SuiteResult,
    log: &std::path::Path,
) -> Result<()> {
    let accepted = match result.status {
        SuiteStatus::Passed => true,
        SuiteStatus::TestsFailed => allow_failures,
        _ => false,
    };
    let (Some(key), true) = (&result.cache_key, accepted) else {
        return Ok(());
    };
    let text = std::fs::read_to_string(log).unwrap_or_default();
    keying
        .cache
        .store(key, &ctx.plan.id, &phase.name, result, text)
}
