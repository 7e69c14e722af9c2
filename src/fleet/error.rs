//! What can go wrong in a fleet as a whole (a repository's own failure is recorded in the fleet
//! state, never raised), with the exit code and help line each maps to.

use std::path::PathBuf;

use crate::error::exit;

#[derive(Debug, thiserror::Error)]
pub(crate) enum FleetError {
    #[error("cannot read the repositories list `{}`: {message}", file.display())]
    ListUnreadable { file: PathBuf, message: String },

    #[error("{}:{line}: {message}", file.display())]
    BadListLine {
        file: PathBuf,
        line: usize,
        message: String,
    },

    #[error("the repositories list `{}` names no repository", file.display())]
    EmptyList { file: PathBuf },

    #[error("{0}")]
    BadShard(String),

    #[error("no shard in the environment: {looked_for}")]
    NoShardInEnv { looked_for: String },

    #[error("the shard variables are inconsistent: {message}; looked for {looked_for}")]
    InconsistentShardEnv { message: String, looked_for: String },

    #[error("the workspace `{}` already holds a fleet run of plan `{plan}`", path.display())]
    WorkspaceInUse { path: PathBuf, plan: String },

    #[error("no fleet state in `{}`", path.display())]
    NoState { path: PathBuf },

    #[error("the fleet state `{}` is damaged: {message}", path.display())]
    DamagedState { path: PathBuf, message: String },

    #[error("the fleet state `{}` was written by a newer remedy (format {found}; this one reads {supported})", path.display())]
    NewerState {
        path: PathBuf,
        found: u32,
        supported: u32,
    },

    #[error("another remedy fleet process holds the workspace `{}`", path.display())]
    Locked { path: PathBuf },

    #[error("{message}")]
    Collect { message: String },

    #[error("`{}` holds a collected fleet state, which only reports: its repositories are in the shards' workspaces", path.display())]
    CollectedState { path: PathBuf },

    #[error("no repository named `{name}` in the fleet")]
    UnknownRepo { name: String, known: Vec<String> },

    #[error("{failed} of {total} repositories did not succeed")]
    Incomplete { failed: usize, total: usize },

    #[error("interrupted; {left} of {total} repositories are not finished")]
    Interrupted { left: usize, total: usize },
}

impl FleetError {
    pub(crate) fn exit_code(&self) -> i32 {
        match self {
            FleetError::Incomplete { .. } => exit::PHASE_FAILED,
            FleetError::Interrupted { .. } => exit::INTERRUPTED,
            FleetError::Locked { .. } => exit::LOCKED,
            _ => exit::BAD_INPUT,
        }
    }

    /// What to do about it, for the `help:` line.
    pub(crate) fn help(&self, workspace: Option<&std::path::Path>) -> Option<String> {
        let ws = workspace
            .map(crate::error::shell_word)
            .unwrap_or_else(|| "DIR".to_string());
        Some(match self {
            FleetError::ListUnreadable { .. } => {
                "pass `--repos` the file that lists the repositories, one a line".to_string()
            }
            FleetError::BadListLine { .. } => {
                "each line is `SOURCE [REF]`: a local path or a git URL (`file:///srv/app.git`, `https://…`), then optionally a branch, tag or commit; `#` starts a comment. Nothing was written".to_string()
            }
            FleetError::EmptyList { .. } => {
                "add a line per repository: a local path or a git URL, then optionally a ref".to_string()
            }
            FleetError::BadShard(_) => "write the shard as `I/N` with 1 <= I <= N (`--shard 2/4`), or `--shard auto`".to_string(),
            FleetError::NoShardInEnv { .. } | FleetError::InconsistentShardEnv { .. } => {
                "set REMEDY_SHARD=I/N, or pass `--shard I/N`; see docs/fleet.md for each CI engine".to_string()
            }
            FleetError::WorkspaceInUse { .. } => format!(
                "continue it with `remedy fleet resume --workspace {ws}`, or pass another `--workspace`"
            ),
            FleetError::NoState { .. } => {
                "pass the `--workspace` that `remedy fleet run` printed".to_string()
            }
            FleetError::DamagedState { .. } => {
                "the repositories' own checkpoints are intact: `remedy status --root WORKTREE` in each".to_string()
            }
            FleetError::NewerState { .. } => "use the remedy that started the fleet".to_string(),
            FleetError::Locked { .. } => {
                "wait for it to finish; the lock is released the moment it ends, however it ends".to_string()
            }
            FleetError::Collect { .. } => {
                "pass every shard's `--out` folder exactly once, all from one fleet run (same plan, list and shard count)".to_string()
            }
            FleetError::CollectedState { .. } => {
                "run `remedy fleet resume` or `remedy fleet rollback` with each shard's own `--workspace`, where its worktrees are".to_string()
            }
            FleetError::UnknownRepo { known, .. } => {
                format!("the fleet's repositories are: {}", known.join(", "))
            }
            FleetError::Incomplete { .. } => format!(
                "see `remedy fleet status --workspace {ws}`; fix the causes, then `remedy fleet resume --workspace {ws}`"
            ),
            FleetError::Interrupted { .. } => {
                format!("continue with `remedy fleet resume --workspace {ws}`")
            }
        })
    }
}
