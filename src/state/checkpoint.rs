//! The checkpoint: the single record of what a run did, in `.remedy/<plan-id>/checkpoint.json`.
//!
//! The engine writes it atomically after every step (temp file, fsync, rename, fsync of the folder),
//! so after a crash it describes a state that really happened. It carries a `format_version`; a
//! checkpoint written by a newer remedy is refused rather than misread. What each phase did is in
//! [`outcome`](super::outcome), re-exported here as part of the record.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::fsutil::{self, Durability};
use crate::phase_kind::PhaseKind;
use crate::state::STATE_DIR;
use crate::tree::paths::RelPath;

pub(crate) use super::outcome::{
    BackedUpFile, BackupOutcome, CheckResult, CommandOutcome, Comparison, Counts, CriterionResult,
    EditCount, FileChange, FileState, LeftAlone, Outcome, OutputFile, PatchOutcome, PytestOutcome,
    ReportOutcome, Site, SkippedFile, SuiteResult, SuiteStatus, TestResult, TestStatus,
    UnresolvedSite, ValidateOutcome, XdistUse,
};

pub(crate) const FORMAT_VERSION: u32 = 1;
pub(crate) const CHECKPOINT_FILE: &str = "checkpoint.json";

#[derive(Debug, thiserror::Error)]
pub(crate) enum CheckpointError {
    #[error("no remedy run found under {}", root.display())]
    NotFound { root: PathBuf },

    #[error("{} holds several runs ({}); say which", root.display(), ids.join(", "))]
    Ambiguous { root: PathBuf, ids: Vec<String> },

    #[error("no run of plan `{id}` under {}", root.display())]
    UnknownRun {
        root: PathBuf,
        id: String,
        ids: Vec<String>,
    },

    #[error("checkpoint {} is not readable", path.display())]
    Corrupt {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },

    #[error("checkpoint {} names files remedy may not write; nothing was changed:\n{}", path.display(), files.join("\n"))]
    OutsideRoot { path: PathBuf, files: Vec<String> },

    #[error("checkpoint {} was written by a newer remedy (format {version}, this one reads {FORMAT_VERSION})", path.display())]
    NewerFormat { path: PathBuf, version: u32 },

    #[error("cannot {action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl CheckpointError {
    pub(crate) fn is_bad_input(&self) -> bool {
        matches!(
            self,
            CheckpointError::NotFound { .. }
                | CheckpointError::Ambiguous { .. }
                | CheckpointError::UnknownRun { .. }
                | CheckpointError::Corrupt { .. }
                | CheckpointError::NewerFormat { .. }
                | CheckpointError::OutsideRoot { .. }
        )
    }

    pub(crate) fn help(&self) -> Option<String> {
        match self {
            CheckpointError::NotFound { .. } => {
                Some("start one with `remedy run <plan.yaml> --root <repository>`, or pass the `--root` that holds the run's `.remedy/`".into())
            }
            CheckpointError::Ambiguous { ids, .. } | CheckpointError::UnknownRun { ids, .. } => Some(format!(
                "pass `--plan ID` with one of: {}",
                ids.join(", ")
            )),
            CheckpointError::Corrupt { path, .. } => Some(format!(
                "nothing was changed; the file was edited or damaged: restore it from a copy, or remove {} to start over (the tree is left as it is)",
                path.parent().unwrap_or(path).display()
            )),
            CheckpointError::NewerFormat { .. } => Some("use the remedy version that made this run".into()),
            CheckpointError::OutsideRoot { .. } => Some(
                "the record was edited, or a folder was replaced by a symbolic link since the run; put the tree right or restore these files by hand".into(),
            ),
            CheckpointError::Io { .. } => None,
        }
    }
}

/// The whole record of one run of one plan over one root.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Checkpoint {
    pub(crate) format_version: u32,
    pub(crate) tool_version: String,
    pub(crate) plan_id: String,
    pub(crate) plan_title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) plan_description: Option<String>,
    /// The plan file the run was started with, absolute.
    pub(crate) plan_path: PathBuf,
    pub(crate) root: PathBuf,
    pub(crate) started_at: u64,
    pub(crate) updated_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) git: Option<GitInfo>,
    pub(crate) phases: Vec<PhaseRecord>,
    /// The root this record named when it was read, when that is not the folder that holds it:
    /// the tree was moved or copied since. Never written to; see [`Checkpoint::load_in`].
    #[serde(skip)]
    pub(crate) relocated_from: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct GitInfo {
    pub(crate) commit: String,
    pub(crate) dirty: bool,
    /// The `origin` remote's URL, without credentials: the repository's name in reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) remote: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PhaseStatus {
    Pending,
    Running,
    Succeeded,
    Failed,
    Interrupted,
    RolledBack,
}

impl PhaseStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            PhaseStatus::Pending => "pending",
            PhaseStatus::Running => "running",
            PhaseStatus::Succeeded => "succeeded",
            PhaseStatus::Failed => "failed",
            PhaseStatus::Interrupted => "interrupted",
            PhaseStatus::RolledBack => "rolled back",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PhaseRecord {
    pub(crate) name: String,
    pub(crate) kind: PhaseKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    pub(crate) fingerprint: String,
    pub(crate) status: PhaseStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) started_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) finished_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) duration_ms: Option<u64>,
    /// One line saying what the phase did, for `status` and the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) summary: Option<String>,
    /// Why the phase failed or was interrupted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) outcome: Option<Outcome>,
    /// Files that appeared in the tree while this phase ran programs (tests, commands), with the
    /// content they had when the phase ended (or that a later phase of the run gave them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) created: Vec<CreatedFile>,
    /// Folders that appeared while this phase ran; a rollback removes them when they are empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) created_dirs: Vec<RelPath>,
    /// Files that appeared but could not be recorded (their path is not UTF-8), as displayed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) created_unrecorded: Vec<String>,
}

/// A file that a phase's programs created in the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CreatedFile {
    pub(crate) path: RelPath,
    pub(crate) hash: String,
    pub(crate) mode: u32,
}

/// Where a run's state lives: `ROOT/.remedy/<plan-id>/`.
#[derive(Debug, Clone)]
pub(crate) struct StateDir {
    pub(crate) root: PathBuf,
    pub(crate) dir: PathBuf,
}

impl StateDir {
    pub(crate) fn new(root: &Path, plan_id: &str) -> Self {
        StateDir {
            root: root.to_path_buf(),
            dir: root.join(STATE_DIR).join(plan_id),
        }
    }

    pub(crate) fn checkpoint_path(&self) -> PathBuf {
        self.dir.join(CHECKPOINT_FILE)
    }

    pub(crate) fn objects_dir(&self) -> PathBuf {
        self.dir.join("objects")
    }

    pub(crate) fn logs_dir(&self) -> PathBuf {
        self.dir.join("logs")
    }

    /// Path of something in the state folder, relative to the root (for records and reports).
    pub(crate) fn rel(&self, path: &Path) -> RelPath {
        RelPath::from_walk(&self.root, path)
            .unwrap_or_else(|| RelPath::parse(".").expect("`.` is valid"))
    }

    /// Creates the state folders, and `.remedy/.gitignore` so they never show up in `git status`.
    pub(crate) fn create(&self) -> crate::error::Result<()> {
        let top = self.root.join(STATE_DIR);
        fsutil::create_dir_all(&self.objects_dir())?;
        fsutil::create_dir_all(&self.logs_dir())?;
        let ignore = top.join(".gitignore");
        if !ignore.exists() {
            fsutil::write_atomic(&ignore, b"*\n", None, Durability::Synced)?;
        }
        Ok(())
    }
}

impl Checkpoint {
    pub(crate) fn phase(&self, name: &str) -> Option<&PhaseRecord> {
        self.phases.iter().find(|p| p.name == name)
    }

    pub(crate) fn phase_mut(&mut self, name: &str) -> Option<&mut PhaseRecord> {
        self.phases.iter_mut().find(|p| p.name == name)
    }

    /// Writes the checkpoint atomically and durably.
    pub(crate) fn save(&mut self, state: &StateDir) -> crate::error::Result<()> {
        self.updated_at = crate::timefmt::now_ms();
        let bytes =
            serde_json::to_vec_pretty(self).map_err(|e| crate::error::Error::Other(e.into()))?;
        fsutil::write_atomic(&state.checkpoint_path(), &bytes, None, Durability::Synced)
    }

    /// Reads the checkpoint of `state`, for the tree that holds it.
    ///
    /// A record names the root it was made for, but the folder that holds `.remedy/` is the only
    /// tree a verb may act on: a tree copied or moved with its `.remedy/` must never lead remedy
    /// back to the original. So a recorded root that differs is kept only in `relocated_from`, for
    /// the message, and the record is read as if made here (a plan file that lived inside the old
    /// tree is taken from the same place in this one, when it is there).
    pub(crate) fn load_in(state: &StateDir) -> Result<Checkpoint, CheckpointError> {
        let mut cp = Checkpoint::load(&state.checkpoint_path())?;
        if cp.root != state.root {
            if let Ok(inside) = cp.plan_path.strip_prefix(&cp.root) {
                let here = state.root.join(inside);
                if here.is_file() {
                    cp.plan_path = here;
                }
            }
            cp.relocated_from = Some(std::mem::replace(&mut cp.root, state.root.clone()));
        }
        Ok(cp)
    }

    /// The note a verb prints when the record was made for another folder.
    pub(crate) fn relocation_note(&self) -> Option<String> {
        self.relocated_from.as_ref().map(|old| {
            format!(
                "note: this run was recorded in {}; the tree has been moved or copied since, and remedy acts only on {}",
                old.display(),
                self.root.display()
            )
        })
    }

    fn load(path: &Path) -> Result<Checkpoint, CheckpointError> {
        let bytes = fs::read(path).map_err(|source| CheckpointError::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?;
        #[derive(Deserialize)]
        struct Version {
            format_version: u32,
        }
        let version: Version =
            serde_json::from_slice(&bytes).map_err(|source| CheckpointError::Corrupt {
                path: path.to_path_buf(),
                source,
            })?;
        if version.format_version > FORMAT_VERSION {
            return Err(CheckpointError::NewerFormat {
                path: path.to_path_buf(),
                version: version.format_version,
            });
        }
        serde_json::from_slice(&bytes).map_err(|source| CheckpointError::Corrupt {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// The plan ids that have a checkpoint under `root`, sorted.
pub(crate) fn list_runs(root: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(root.join(STATE_DIR)) else {
        return Vec::new();
    };
    let mut ids: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join(CHECKPOINT_FILE).is_file())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    ids.sort();
    ids
}

/// Finds the run a verb acts on: the one named by `plan` (an id, or a plan file), or the only one.
pub(crate) fn select_run(
    root: &Path,
    plan: Option<&str>,
) -> Result<(StateDir, Checkpoint), CheckpointError> {
    let ids = list_runs(root);
    let id = match plan {
        Some(p) => {
            let id = if ids.iter().any(|i| i == p) {
                p.to_string()
            } else if Path::new(p).is_file() {
                // A plan file: read only its id, so a plan that no longer validates still selects.
                plan_id_of_file(Path::new(p)).unwrap_or_else(|| p.to_string())
            } else {
                p.to_string()
            };
            if !ids.contains(&id) {
                return Err(CheckpointError::UnknownRun {
                    root: root.to_path_buf(),
                    id,
                    ids,
                });
            }
            id
        }
        None => match ids.len() {
            0 => {
                return Err(CheckpointError::NotFound {
                    root: root.to_path_buf(),
                })
            }
            1 => ids[0].clone(),
            _ => {
                return Err(CheckpointError::Ambiguous {
                    root: root.to_path_buf(),
                    ids,
                })
            }
        },
    };
    let state = StateDir::new(root, &id);
    let cp = Checkpoint::load_in(&state)?;
    Ok((state, cp))
}

fn plan_id_of_file(path: &Path) -> Option<String> {
    crate::plan::read_plan_id(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(root: &Path) -> Checkpoint {
        Checkpoint {
            format_version: FORMAT_VERSION,
            tool_version: "0".into(),
            plan_id: "p".into(),
            plan_title: "t".into(),
            plan_description: None,
            plan_path: root.join("p.yaml"),
            root: root.to_path_buf(),
            started_at: 1,
            updated_at: 1,
            git: None,
            phases: vec![],
            relocated_from: None,
        }
    }

    #[test]
    fn saves_loads_and_refuses_newer_formats() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(dir.path(), "p");
        state.create().unwrap();
        assert_eq!(
            fs::read(dir.path().join(".remedy/.gitignore")).unwrap(),
            b"*\n"
        );
        let mut cp = sample(dir.path());
        cp.save(&state).unwrap();
        let (_, loaded) = select_run(dir.path(), None).unwrap();
        assert_eq!(loaded.plan_id, "p");
        cp.format_version = FORMAT_VERSION + 1;
        cp.save(&state).unwrap();
        assert!(matches!(
            Checkpoint::load(&state.checkpoint_path()),
            Err(CheckpointError::NewerFormat { .. })
        ));
    }
}
