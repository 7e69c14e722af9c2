//! The fleet state: `WORKSPACE/fleet.json`, one record per repository, written atomically after
//! every change of any repository's status, so a `kill -9` at any moment leaves a state that
//! `fleet resume` completes. A `--out` folder holds the same file for one shard.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::FleetError;
use super::shard::Shard;
use crate::fsutil::{self, Durability};

/// The state file's name, in a workspace and in a `--out` folder.
pub(crate) const STATE_FILE: &str = "fleet.json";

/// The format this remedy writes; a newer one is refused.
pub(crate) const FORMAT_VERSION: u32 = 1;

/// How one repository stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RepoStatus {
    /// Not started.
    Pending,
    /// Being prepared, run or committed (found by `fleet resume`: treated as interrupted).
    Running,
    /// The plan succeeded and its change is committed on the branch.
    Succeeded,
    /// The plan succeeded and changed nothing: no commit.
    NothingToChange,
    /// Preparing, running or committing failed; `phase` and `reason` say where and why.
    Failed,
    /// The fleet (or the repository's run) was interrupted.
    Interrupted,
    /// `fleet rollback` undid the run and its commit.
    RolledBack,
}

impl RepoStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RepoStatus::Pending => "pending",
            RepoStatus::Running => "running",
            RepoStatus::Succeeded => "succeeded",
            RepoStatus::NothingToChange => "nothing_to_change",
            RepoStatus::Failed => "failed",
            RepoStatus::Interrupted => "interrupted",
            RepoStatus::RolledBack => "rolled_back",
        }
    }

    /// Whether the repository is done with, as far as the exit code goes.
    pub(crate) fn is_ok(self) -> bool {
        matches!(self, RepoStatus::Succeeded | RepoStatus::NothingToChange)
    }
}

/// How a repository's folder in the workspace is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Checkout {
    /// `git worktree add` of a local non-bare repository.
    Worktree,
    /// `git clone` of a URL or a bare repository.
    Clone,
}

/// What the repository's run did, from its report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RepoCounts {
    pub(crate) files_changed: u64,
    pub(crate) sites_fixed: u64,
    pub(crate) tests_fixed: u64,
    pub(crate) tests_regressed: u64,
}

/// One repository of the fleet.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RepoRecord {
    /// Its 0-based position in the list (the shard selection's input).
    pub(crate) position: usize,
    pub(crate) name: String,
    /// The source as the list wrote it (what reports show).
    pub(crate) written: String,
    /// The source resolved: a URL, or an absolute path.
    pub(crate) source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) git_ref: Option<String>,
    pub(crate) status: RepoStatus,
    /// Where it failed: `prepare` (clone or worktree), a phase of the plan, or `commit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) phase: Option<String>,
    /// Why it failed or was interrupted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) reason: Option<String>,
    /// The branch the change is on.
    pub(crate) branch: String,
    /// The worktree or clone, absolute.
    pub(crate) path: PathBuf,
    pub(crate) checkout: Checkout,
    /// Whether the folder is fully made (branch checked out, `.remedy/` excluded). A folder that
    /// exists while this is false is half-made and is made again.
    #[serde(default)]
    pub(crate) prepared: bool,
    /// The commit the branch started from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) base_commit: Option<String>,
    /// The commit that holds the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) commit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) counts: Option<RepoCounts>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) duration_ms: Option<u64>,
}

/// The plan a fleet runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PlanInfo {
    pub(crate) id: String,
    pub(crate) title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    /// The plan file, absolute.
    pub(crate) path: PathBuf,
}

/// The whole state file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct FleetState {
    pub(crate) format_version: u32,
    pub(crate) tool_version: String,
    pub(crate) plan: PlanInfo,
    /// The repositories list, absolute, and its hash (see `repos.rs`).
    pub(crate) repos_file: PathBuf,
    pub(crate) repos_hash: String,
    /// How many repositories the whole list has (all shards together).
    pub(crate) repo_count: usize,
    /// Which shard this state is; `1/1` for a fleet run on one machine.
    pub(crate) shard: Shard,
    /// The shards a collected state was merged from (their `--out` folders); empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) collected_from: Vec<PathBuf>,
    pub(crate) workspace: PathBuf,
    /// Where results are also written (`--out`), and whether with bundles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) out: Option<PathBuf>,
    #[serde(default)]
    pub(crate) bundles: bool,
    pub(crate) started_at: u64,
    pub(crate) updated_at: u64,
    /// In list order.
    pub(crate) repositories: Vec<RepoRecord>,
}

impl FleetState {
    /// Writes the state atomically and durably to `dir/fleet.json`.
    pub(crate) fn save_in(&mut self, dir: &Path) -> crate::error::Result<()> {
        self.updated_at = crate::timefmt::now_ms();
        let mut bytes =
            serde_json::to_vec_pretty(self).map_err(|e| crate::error::Error::Other(e.into()))?;
        bytes.push(b'\n');
        fsutil::write_atomic(&dir.join(STATE_FILE), &bytes, None, Durability::Synced)
    }

    /// Reads `dir/fleet.json`.
    pub(crate) fn load_from(dir: &Path) -> Result<FleetState, FleetError> {
        let path = dir.join(STATE_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(FleetError::NoState {
                    path: dir.to_path_buf(),
                })
            }
            Err(e) => {
                return Err(FleetError::DamagedState {
                    path,
                    message: e.to_string(),
                })
            }
        };
        // The version first, so a newer format is named as such rather than as damage.
        #[derive(Deserialize)]
        struct Version {
            format_version: u32,
        }
        let version: Version =
            serde_json::from_str(&text).map_err(|e| FleetError::DamagedState {
                path: path.clone(),
                message: e.to_string(),
            })?;
        if version.format_version > FORMAT_VERSION {
            return Err(FleetError::NewerState {
                path,
                found: version.format_version,
                supported: FORMAT_VERSION,
            });
        }
        serde_json::from_str(&text).map_err(|e| FleetError::DamagedState {
            path,
            message: e.to_string(),
        })
    }

    pub(crate) fn record_mut(&mut self, name: &str) -> Option<&mut RepoRecord> {
        self.repositories.iter_mut().find(|r| r.name == name)
    }

    /// How many repositories did not end as succeeded or nothing to change.
    pub(crate) fn not_ok(&self) -> usize {
        self.repositories
            .iter()
            .filter(|r| !r.status.is_ok())
            .count()
    }
}

/// The workspace's lock, held by `fleet run`, `resume` and `rollback` (the kernel's `flock`, as
/// for a root: released however the holder ends).
#[derive(Debug)]
pub(crate) struct WorkspaceLock {
    _file: std::fs::File,
}

impl WorkspaceLock {
    pub(crate) fn acquire(dir: &Path) -> crate::error::Result<WorkspaceLock> {
        fsutil::create_dir_all(dir)?;
        let path = dir.join("fleet.lock");
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| crate::error::Error::io("open the lock", &path, e))?;
        match file.try_lock() {
            Ok(()) => Ok(WorkspaceLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(FleetError::Locked {
                path: dir.to_path_buf(),
            }
            .into()),
            Err(std::fs::TryLockError::Error(e)) => Err(crate::error::Error::io("lock", &path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_state_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(STATE_FILE),
            r#"{"format_version": 99, "whatever": true}"#,
        )
        .unwrap();
        assert!(matches!(
            FleetState::load_from(dir.path()),
            Err(FleetError::NewerState { found: 99, .. })
        ));
        std::fs::write(dir.path().join(STATE_FILE), "{").unwrap();
        assert!(matches!(
            FleetState::load_from(dir.path()),
            Err(FleetError::DamagedState { .. })
        ));
    }

    #[test]
    fn the_lock_is_exclusive() {
        let dir = tempfile::tempdir().unwrap();
        let held = WorkspaceLock::acquire(dir.path()).unwrap();
        assert!(WorkspaceLock::acquire(dir.path()).is_err());
        drop(held);
        WorkspaceLock::acquire(dir.path()).unwrap();
    }
}
