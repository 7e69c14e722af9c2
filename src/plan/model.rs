//! The validated plan the engine runs: regexes compiled, globs built, paths checked, references
//! resolved. Built from a `PlanSpec` by `validate/`; nothing here can be invalid.

use std::path::PathBuf;
use std::sync::Arc;

use globset::GlobSet;

use super::expect::Expect;
use super::spec::{PhaseKind, SkipKind, WorkersSpec};
use crate::edit::prefilter::Needles;
use crate::edit::regex::FileRegex;
use crate::edit::structural::{Query, Rewrite};
use crate::tree::paths::RelPath;

#[derive(Debug, Clone)]
pub struct Plan {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    /// The plan file, absolute.
    pub source: PathBuf,
    /// Interpreter named by the plan for pytest phases.
    pub python: Option<String>,
    pub phases: Vec<Phase>,
}

impl Plan {
    pub fn phase(&self, name: &str) -> Option<(usize, &Phase)> {
        self.phases.iter().enumerate().find(|(_, p)| p.name == name)
    }
}

#[derive(Debug, Clone)]
pub struct Phase {
    pub name: String,
    pub kind: PhaseKind,
    pub description: Option<String>,
    /// Hash of the phase's normalised configuration; a change means results recorded for it are stale.
    pub fingerprint: String,
    pub config: PhaseConfig,
}

#[derive(Debug, Clone)]
pub enum PhaseConfig {
    Validate {
        checks: Vec<Check>,
    },
    /// Backs up the files the named patch phases will change.
    Backup {
        patch_phases: Vec<String>,
    },
    Patch {
        edits: Vec<Edit>,
    },
    Pytest(PytestConfig),
    Report {
        markdown: RelPath,
        json: RelPath,
    },
    Command(CommandConfig),
}

/// Which files a phase, check or edit looks at: every include level must match, no exclude may.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    includes: Vec<Arc<GlobSet>>,
    excludes: Vec<Arc<GlobSet>>,
}

impl Selection {
    pub fn narrowed(&self, include: Option<GlobSet>, exclude: Option<GlobSet>) -> Selection {
        let mut s = self.clone();
        if let Some(i) = include {
            s.includes.push(Arc::new(i));
        }
        if let Some(e) = exclude {
            s.excludes.push(Arc::new(e));
        }
        s
    }

    pub fn matches(&self, rel: &str) -> bool {
        let candidate = globset::Candidate::new(rel);
        self.includes
            .iter()
            .all(|g| g.is_match_candidate(&candidate))
            && !self
                .excludes
                .iter()
                .any(|g| g.is_match_candidate(&candidate))
    }
}

/// Parts of Python files a regex does not look into.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Skip {
    pub strings: bool,
    pub comments: bool,
}

impl Skip {
    pub fn from_kinds(kinds: &[SkipKind]) -> Skip {
        Skip {
            strings: kinds.contains(&SkipKind::Strings),
            comments: kinds.contains(&SkipKind::Comments),
        }
    }

    pub fn any(&self) -> bool {
        self.strings || self.comments
    }
}

#[derive(Debug, Clone)]
pub struct Check {
    pub name: String,
    pub kind: CheckKind,
}

#[derive(Debug, Clone)]
pub enum CheckKind {
    Pattern {
        regex: FileRegex,
        expect: Expect,
        skip: Skip,
        selection: Selection,
    },
    /// A structural Python pattern counted over the selected Python files, in code only.
    Structural {
        query: Arc<Query>,
        expect: Expect,
        selection: Selection,
    },
    PythonFunction {
        file: RelPath,
        name: String,
        is_async: Option<bool>,
    },
    Command {
        argv: Vec<String>,
        exit_code: i32,
        /// After this long the command's process group is killed and the check fails.
        timeout: std::time::Duration,
    },
    FileExists {
        path: RelPath,
    },
}

#[derive(Debug, Clone)]
pub struct Edit {
    pub name: String,
    pub kind: EditKind,
    pub selection: Selection,
    pub expect: Option<Expect>,
}

/// How an edit finds and changes text.
#[derive(Debug, Clone)]
pub enum EditKind {
    /// Search and replace on the text, in one pass.
    Regex {
        regex: FileRegex,
        replace: String,
        skip: Skip,
    },
    /// A structural Python pattern and its rewrite, applied until it no longer matches.
    Python {
        query: Arc<Query>,
        rewrite: Arc<Rewrite>,
    },
}

impl Edit {
    pub fn is_structural(&self) -> bool {
        matches!(self.kind, EditKind::Python { .. })
    }

    /// What a file at `path` must contain for the edit to change it; `None` when the edit never
    /// changes a file there (a structural edit and a file that is not Python).
    pub fn needles_for(&self, path: &str) -> Option<&Needles> {
        match &self.kind {
            EditKind::Regex { regex, .. } => Some(regex.needles()),
            EditKind::Python { query, .. } => {
                crate::edit::python::is_python_path(path).then(|| query.needles())
            }
        }
    }

    /// Whether the edit can change the file at `path` whose content is `bytes`: `false` proves it
    /// cannot, so the file need not be decoded or looked at again. Structural edits change Python
    /// files only, and only those holding every literal word of their pattern.
    pub fn could_change(&self, path: &str, bytes: &[u8]) -> bool {
        match &self.kind {
            EditKind::Regex { regex, .. } => regex.is_match_bytes(bytes),
            EditKind::Python { query, .. } => {
                crate::edit::python::is_python_path(path) && query.could_match_bytes(bytes)
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct PytestConfig {
    pub suites: Vec<Suite>,
    pub allow_failures: bool,
    pub min_pass_rate: Option<f64>,
    pub no_new_failures: bool,
    pub compare_with: Option<String>,
    pub python: Option<String>,
    /// Packages installed into a virtual environment under `.remedy/venvs/` (empty: none).
    pub requirements: Vec<String>,
    /// Suites run at the same time; `None` means one per CPU.
    pub jobs: Option<usize>,
    /// pytest-xdist workers per suite, when asked for.
    pub workers: Option<WorkersSpec>,
    pub must_pass: Vec<MustPass>,
}

/// An entry of `must_pass`: a node id, matched exactly, or a glob over node ids.
#[derive(Debug, Clone)]
pub struct MustPass {
    /// As written in the plan.
    pub text: String,
    /// Set when the entry has glob characters (`*`, `?`, `[`, `{`).
    pub glob: Option<globset::GlobMatcher>,
}

impl MustPass {
    pub fn matches(&self, id: &str) -> bool {
        self.text == id || self.glob.as_ref().is_some_and(|g| g.is_match(id))
    }
}

#[derive(Debug, Clone)]
pub struct Suite {
    pub name: String,
    pub args: Vec<String>,
    pub timeout: Option<std::time::Duration>,
}

#[derive(Debug, Clone)]
pub struct CommandConfig {
    pub argv: Vec<String>,
    pub shell: bool,
    pub cwd: RelPath,
    pub exit_code: i32,
    pub timeout: Option<std::time::Duration>,
}
