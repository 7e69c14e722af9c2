//! The kinds of phase: named by a plan, run by `phase/`, recorded in the checkpoint. A leaf that
//! every layer may use, so that the state layer does not depend on the plan's spec for it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The kinds of phase a plan can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum PhaseKind {
    Validate,
    Backup,
    Patch,
    Pytest,
    Report,
    Command,
}

impl PhaseKind {
    /// Every kind, in the order the plan reference lists them.
    pub(crate) const ALL: [PhaseKind; 6] = [
        PhaseKind::Validate,
        PhaseKind::Backup,
        PhaseKind::Patch,
        PhaseKind::Pytest,
        PhaseKind::Report,
        PhaseKind::Command,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            PhaseKind::Validate => "validate",
            PhaseKind::Backup => "backup",
            PhaseKind::Patch => "patch",
            PhaseKind::Pytest => "pytest",
            PhaseKind::Report => "report",
            PhaseKind::Command => "command",
        }
    }
}

impl std::fmt::Display for PhaseKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
