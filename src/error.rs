//! The error type every verb returns, and the exit codes it maps to.
//!
//! Library areas have their own typed errors (`PlanErrors`, `CheckpointError`, ...); they meet here so
//! that the binary has one place that decides the exit code and the `help:` line a user sees.

use std::path::PathBuf;

use crate::plan::PlanErrors;
use crate::state::checkpoint::CheckpointError;

/// Exit codes, documented in the README and in `remedy --help`.
pub(crate) mod exit {
    /// Everything asked for was done.
    pub(crate) const SUCCESS: i32 = 0;
    /// A phase failed: a check, a criterion or a test.
    pub(crate) const PHASE_FAILED: i32 = 1;
    /// Bad input: usage, a plan that does not load or validate, or a checkpoint that is damaged,
    /// from a newer remedy, or names paths outside the root. Nothing on disk was changed.
    pub(crate) const BAD_INPUT: i32 = 2;
    /// Refused to overwrite: files drifted since they were patched, or a rollback met edited files.
    pub(crate) const REFUSED: i32 = 3;
    /// Another run, resume or rollback holds the lock on this root.
    pub(crate) const LOCKED: i32 = 4;
    /// Interrupted by Ctrl-C or SIGTERM; the checkpoint says where, and `remedy resume` continues.
    pub(crate) const INTERRUPTED: i32 = 130;
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error(transparent)]
    Plan(#[from] PlanErrors),

    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),

    #[error(transparent)]
    Fleet(#[from] crate::fleet::FleetError),

    #[error("{message}")]
    Usage {
        message: String,
        help: Option<String>,
    },

    #[error("cannot {action} `{}`", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("another remedy process{} holds the lock on {}", pid.map(|p| format!(" (pid {p})")).unwrap_or_default(), root.display())]
    Locked { pid: Option<u32>, root: PathBuf },

    #[error("phase `{phase}` failed: {message}")]
    PhaseFailed { phase: String, message: String },

    #[error("phase `{phase}` failed in the dry run: {message}")]
    DryRunFailed { phase: String, message: String },

    #[error("{message}")]
    Refused { message: String, help: String },

    #[error("interrupted during phase `{phase}`")]
    Interrupted { phase: String },

    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl Error {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn usage(message: impl Into<String>, help: impl Into<Option<String>>) -> Self {
        Error::Usage {
            message: message.into(),
            help: help.into(),
        }
    }

    pub(crate) fn exit_code(&self) -> i32 {
        match self {
            Error::Plan(_) | Error::Usage { .. } => exit::BAD_INPUT,
            Error::Fleet(e) => e.exit_code(),
            Error::Checkpoint(e) if e.is_bad_input() => exit::BAD_INPUT,
            Error::Refused { .. } => exit::REFUSED,
            Error::Locked { .. } => exit::LOCKED,
            Error::Interrupted { .. } => exit::INTERRUPTED,
            Error::Checkpoint(_)
            | Error::Io { .. }
            | Error::PhaseFailed { .. }
            | Error::DryRunFailed { .. }
            | Error::Other(_) => exit::PHASE_FAILED,
        }
    }

    /// What the user can do about it, printed as a `help:` line; `root` is the `--root` the command
    /// was given, so that the commands in the hint work as printed from the same folder.
    pub(crate) fn help_for(&self, root: Option<&std::path::Path>) -> Option<String> {
        let r = shell_word(root.unwrap_or(std::path::Path::new(".")));
        match self {
            Error::Interrupted { .. } => Some(format!(
                "continue with `remedy resume --root {r}`, or undo the run with `remedy rollback --all --root {r}`"
            )),
            Error::PhaseFailed { .. } => Some(format!(
                "see `remedy status --root {r}` and the logs; fix the cause, then `remedy resume --root {r}` (or undo the run with `remedy rollback --all --root {r}`)"
            )),
            Error::Fleet(e) => e.help(root),
            _ => self.help(),
        }
    }

    /// What the user can do about it, without knowing the root.
    pub(crate) fn help(&self) -> Option<String> {
        match self {
            Error::Plan(e) => Some(format!(
                "fix the plan and run `remedy check {}` again; nothing was changed",
                shell_word(&e.file)
            )),
            Error::Usage { help, .. } => help.clone(),
            Error::Checkpoint(e) => e.help(),
            Error::Locked { .. } => Some(
                "wait for it to finish and run the command again; the lock is released the moment that process ends, however it ends".into(),
            ),
            Error::Refused { help, .. } => Some(help.clone()),
            Error::Interrupted { .. } => Some("run `remedy resume` to continue, or `remedy rollback --all` to undo".into()),
            Error::DryRunFailed { .. } => {
                Some("nothing was written or recorded; fix the cause and run the dry run again".into())
            }
            Error::PhaseFailed { .. } => Some(
                "see `remedy status` and the logs; fix the cause, then `remedy resume` (or `remedy rollback`)".into(),
            ),
            Error::Fleet(e) => e.help(None),
            Error::Io { .. } | Error::Other(_) => None,
        }
    }
}

/// A path as one shell word, so that a hint holding it can be pasted as it is printed.
pub(crate) fn shell_word(path: &std::path::Path) -> String {
    let text = path.display().to_string();
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+:@%=,".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;
