//! What each kind of phase did, as the checkpoint records it: the checks of a validate phase, the
//! files a backup holds, the changes, sites and counts of a patch, the suites and comparison of a
//! pytest phase, the files of a report, a command's exit. The engine fills these in; the report,
//! `status`, `resume` and `rollback` read them back.

use serde::{Deserialize, Serialize};

use crate::tree::paths::RelPath;

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
