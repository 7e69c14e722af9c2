//! Running phases: the one entry point that hands a phase to its kind's module, and the helper that
//! runs a phase's blocking file work on the blocking pool.

use super::{backup, command, patch, pytest, report, validate, PhaseContext, PhaseResult};
use crate::error::Result;
use crate::plan::{Phase, PhaseConfig};

/// Runs one phase to its end.
pub(crate) async fn execute(phase: &Phase, ctx: &PhaseContext) -> Result<PhaseResult> {
    // Validate and backup phases only read the tree; patch phases take the kept scan themselves.
    // Anything else may change the tree, which makes a kept scan stale.
    if !matches!(
        phase.config,
        PhaseConfig::Validate { .. } | PhaseConfig::Backup { .. } | PhaseConfig::Patch { .. }
    ) {
        ctx.forget_scan();
    }
    match &phase.config {
        PhaseConfig::Validate { checks } => validate::execute(phase, checks, ctx).await,
        PhaseConfig::Backup { patch_phases } => backup::execute(phase, patch_phases, ctx).await,
        PhaseConfig::Patch { edits } => patch::execute(phase, edits, ctx).await,
        PhaseConfig::Pytest(config) => pytest::execute(phase, config, ctx).await,
        PhaseConfig::Report { markdown, json } => report::execute(phase, markdown, json, ctx).await,
        PhaseConfig::Command(config) => command::execute(phase, config, ctx).await,
    }
}

/// Runs blocking work on the blocking pool, turning a panic into an error.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| crate::error::Error::Other(anyhow::anyhow!("a worker task failed: {e}")))
}
