//! How a phase ended: success, a summary line, why it failed, and the outcome the engine records.

use crate::state::checkpoint::Outcome;

/// How a phase ended.
#[derive(Debug, Clone)]
pub(crate) struct PhaseResult {
    pub(crate) success: bool,
    pub(crate) summary: String,
    /// Why it failed, when it did.
    pub(crate) error: Option<String>,
    pub(crate) outcome: Option<Outcome>,
}

impl PhaseResult {
    pub(crate) fn skipped_in_dry_run(what: &str) -> PhaseResult {
        PhaseResult {
            success: true,
            summary: format!("not run in a dry run ({what})"),
            error: None,
            outcome: None,
        }
    }
}
