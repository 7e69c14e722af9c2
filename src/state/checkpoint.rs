//! The checkpoint: the single record of what a run did, in `.remedy/<plan-id>/checkpoint.json`.
//!
//! The engine writes it atomically after every step (temp file, fsync, rename, fsync of the folder),
//! so after a crash it describes a state that really happened. It carries a `format_version`; a
//! checkpoint written by a newer remedy is refused rather than misread.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::fsutil::{self, Durability};
use crate::phase_kind::PhaseKind;
use crate::state::STATE_DIR;
use crate::tree::paths::RelPath;

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

/// What a phase did, by kind.
// A run holds a handful of outcomes; boxing the larger ones would only add indirection.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub(crate) enum Outcome {
    Validate(ValidateOutcome),
    Backup(BackupOutcome),
    Patch(PatchOutcome),
    Pytest(PytestOutcome),
    Report(ReportOutcome),
    Command(CommandOutcome),
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct ValidateOutcome {
    pub(crate) checks: Vec<CheckResult>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CheckResult {
    pub(crate) name: String,
    /// `pattern`, `python_function`, `command` or `file_exists`.
    pub(crate) check: String,
    /// The regex, function or command checked.
    pub(crate) subject: String,
    pub(crate) expected: String,
    pub(crate) actual: String,
    pub(crate) passed: bool,
    /// For pattern checks: the number of matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) count: Option<u64>,
    /// Where it matched or what went wrong (the first few).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) details: Vec<String>,
    /// What the count stands for, when it is not the sites the patch will change (`kept`,
    /// `other`): such a count is not compared with the patch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) counts: Option<crate::plan::CountsKind>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct BackupOutcome {
    pub(crate) files: Vec<BackedUpFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct BackedUpFile {
    pub(crate) path: RelPath,
    pub(crate) hash: String,
    pub(crate) mode: u32,
    pub(crate) size: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct PatchOutcome {
    /// Files the selection matched.
    pub(crate) scanned: u64,
    /// Files parsed to match structural patterns: those containing a pattern's literal words.
    #[serde(default)]
    pub(crate) parsed: u64,
    pub(crate) files: Vec<FileChange>,
    pub(crate) edits: Vec<EditCount>,
    pub(crate) skipped: Vec<SkippedFile>,
    /// Sites the edits' patterns matched but their context kept from changing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) left_alone: Vec<LeftAlone>,
    /// Sites a symbol-aware edit's pattern matched except that the name resolves to nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) unresolved: Vec<UnresolvedSite>,
}

impl PatchOutcome {
    /// The files another process changed while the patch was being written, which were left as
    /// that process wrote them.
    pub(crate) fn drifted(&self) -> impl Iterator<Item = &RelPath> {
        self.files
            .iter()
            .filter(|f| f.state == FileState::Drifted)
            .map(|f| &f.path)
    }
}

/// The write-ahead record of one patched file: recorded before the file is replaced.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct FileChange {
    pub(crate) path: RelPath,
    /// Hash of the content before the patch; the before-image is `objects/<before>`.
    pub(crate) before: String,
    /// Hash of the content after the patch; the after-image is `objects/<after>`.
    pub(crate) after: String,
    pub(crate) mode: u32,
    pub(crate) state: FileState,
    /// Every changed site: line (1-based, in the file before the change) and the edit's index.
    pub(crate) sites: Vec<Site>,
    pub(crate) lines_added: u64,
    pub(crate) lines_removed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FileState {
    /// Computed but never written: the phase refused to write (an edit's count was not as expected).
    Planned,
    /// Recorded, before-image stored; the file may still hold its before-content.
    Intended,
    /// Replaced by its after-content.
    Written,
    /// Never written: another process changed it between the scan and its replacement, so it was
    /// left with that process's content. A rollback leaves it alone.
    Drifted,
    /// Put back to its before-content by a rollback.
    Restored,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Site {
    pub(crate) line: u64,
    pub(crate) edit: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct EditCount {
    pub(crate) name: String,
    pub(crate) sites: u64,
    pub(crate) files: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expected: Option<String>,
}

/// A site an edit's pattern matched but its `inside`/`not_inside` kept from changing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct LeftAlone {
    pub(crate) path: RelPath,
    /// 1-based.
    pub(crate) line: u64,
    /// The edit's name.
    pub(crate) edit: String,
    /// The context that decided, e.g. ``inside `with pytest.raises($$$E): $$$BODY` (`not_inside`)``.
    pub(crate) reason: String,
}

/// A site where a symbol-aware edit's or check's pattern matches except that the symbol's name
/// resolves to no qualified name, so remedy cannot tell whether it is the symbol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct UnresolvedSite {
    pub(crate) path: RelPath,
    /// 1-based.
    pub(crate) line: u64,
    /// The edit's or check's name.
    pub(crate) edit: String,
    /// Why the name does not resolve, e.g. ``never bound in this file``.
    pub(crate) reason: String,
    /// What the plan's `unresolved` made of it: `left alone`, `edited` (or `counted`), `failed`.
    pub(crate) action: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SkippedFile {
    pub(crate) path: RelPath,
    pub(crate) reason: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct PytestOutcome {
    /// The interpreter's `sys.executable`.
    pub(crate) python: String,
    pub(crate) pytest_version: String,
    /// Why that interpreter was chosen (`python:` in the plan, `$VIRTUAL_ENV`, ...).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) python_chosen_by: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) python_version: String,
    /// The virtual environment made for the plan's `requirements:`, relative to the root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) venv: Option<String>,
    /// pytest-xdist, when the phase used it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) xdist: Option<XdistUse>,
    /// How many suites could run at the same time.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) jobs: u64,
    pub(crate) suites: Vec<SuiteResult>,
    pub(crate) totals: Counts,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pass_rate: Option<f64>,
    pub(crate) criteria: Vec<CriterionResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) comparison: Option<Comparison>,
    /// The affected selection, when a suite has `select: affected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) selection: Option<super::selection::SelectionRecord>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// How a pytest phase used pytest-xdist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct XdistUse {
    pub(crate) version: String,
    /// The value passed to `-n`: `auto` or a number.
    pub(crate) workers: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Counts {
    pub(crate) passed: u64,
    pub(crate) failed: u64,
    pub(crate) errors: u64,
    pub(crate) skipped: u64,
}

impl Counts {
    pub(crate) fn add(&mut self, other: &Counts) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.errors += other.errors;
        self.skipped += other.skipped;
    }

    pub(crate) fn executed(&self) -> u64 {
        self.passed + self.failed + self.errors
    }

    pub(crate) fn pass_rate(&self) -> Option<f64> {
        let n = self.executed();
        (n > 0).then(|| self.passed as f64 / n as f64)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SuiteStatus {
    /// pytest exit 0.
    Passed,
    /// pytest exit 1: some tests failed.
    TestsFailed,
    /// pytest exit 2: interrupted.
    Interrupted,
    /// pytest exit 2 because a test file failed to import (or otherwise to be collected): the
    /// suite never ran, and the cause is in the file named.
    CollectionError,
    /// pytest exit 3: internal error.
    InternalError,
    /// pytest exit 4: usage error (bad arguments or paths).
    UsageError,
    /// pytest exit 5: no tests were collected.
    NoTests,
    /// Killed after its timeout.
    TimedOut,
    /// Killed by a signal or an unknown exit code.
    Crashed,
}

impl SuiteStatus {
    pub(crate) fn from_exit_code(code: Option<i32>) -> SuiteStatus {
        match code {
            Some(0) => SuiteStatus::Passed,
            Some(1) => SuiteStatus::TestsFailed,
            Some(2) => SuiteStatus::Interrupted,
            Some(3) => SuiteStatus::InternalError,
            Some(4) => SuiteStatus::UsageError,
            Some(5) => SuiteStatus::NoTests,
            _ => SuiteStatus::Crashed,
        }
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            SuiteStatus::Passed => "passed",
            SuiteStatus::TestsFailed => "tests failed",
            SuiteStatus::Interrupted => "interrupted",
            SuiteStatus::CollectionError => "collection error",
            SuiteStatus::InternalError => "pytest internal error",
            SuiteStatus::UsageError => "pytest usage error (check the suite's args)",
            SuiteStatus::NoTests => "no tests collected",
            SuiteStatus::TimedOut => "timed out",
            SuiteStatus::Crashed => "crashed",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SuiteResult {
    pub(crate) name: String,
    pub(crate) args: Vec<String>,
    pub(crate) status: SuiteStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) exit_code: Option<i32>,
    pub(crate) counts: Counts,
    pub(crate) duration_ms: u64,
    /// Full output, relative to the root.
    pub(crate) log: RelPath,
    pub(crate) tests: Vec<TestResult>,
    /// What went wrong when the suite did not simply pass or fail tests: pytest's own words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) detail: Option<String>,
    /// Taken from the earlier attempt of this phase by `remedy resume`, not run again.
    #[serde(default, skip_serializing_if = "is_false")]
    pub(crate) reused: bool,
    /// With `select: affected`: the test files the suite ran (empty: none was affected, and pytest
    /// did not run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) selected: Option<Vec<String>>,
    /// For a baseline: the key its result is kept under in `.remedy/cache/baselines/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cache_key: Option<String>,
    /// Taken from the baseline cache (an earlier run with the same key), not run again.
    #[serde(default, skip_serializing_if = "is_false")]
    pub(crate) from_cache: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TestStatus {
    Passed,
    Failed,
    Error,
    Skipped,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TestResult {
    /// `path/to/test_file.py::Class::test_name[param]`.
    pub(crate) id: String,
    pub(crate) status: TestStatus,
    /// The first lines of the failure message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) message: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CriterionResult {
    pub(crate) name: String,
    pub(crate) expected: String,
    pub(crate) actual: String,
    pub(crate) held: bool,
}

/// Test-by-test comparison with an earlier pytest phase.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Comparison {
    pub(crate) baseline: String,
    pub(crate) fixed: Vec<String>,
    pub(crate) regressed: Vec<String>,
    pub(crate) still_failing: Vec<String>,
    pub(crate) new: Vec<String>,
    pub(crate) gone: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct ReportOutcome {
    pub(crate) outputs: Vec<OutputFile>,
    /// Which of the outputs is the Markdown report, the one a finished run points at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) markdown: Option<RelPath>,
    /// Folders the phase created for its outputs; a rollback removes them when they are empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) created_dirs: Vec<RelPath>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct OutputFile {
    pub(crate) path: RelPath,
    pub(crate) hash: String,
    /// When the report replaced an existing file: its hash (the image is in `objects/`) and mode,
    /// so that a rollback puts it back instead of removing it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) before_mode: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CommandOutcome {
    pub(crate) argv: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) exit_code: Option<i32>,
    pub(crate) expected_exit_code: i32,
    pub(crate) log: RelPath,
    pub(crate) timed_out: bool,
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
