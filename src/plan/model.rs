//! The validated plan the engine runs: regexes compiled, globs built, paths checked, references
//! resolved. Built from a `PlanSpec` by `validate/`; nothing here can be invalid.

use std::path::PathBuf;
use std::sync::Arc;

use globset::GlobSet;

use super::expect::Expect;
use super::spec::{CountsKind, PhaseKind, SkipKind, WorkersSpec};
use crate::edit::imports::spec::ImportSpec;
use crate::edit::prefilter::Needles;
use crate::edit::refactor::{MethodRenames, Rename};
use crate::edit::regex::FileRegex;
use crate::edit::structural::{Query, Rewrite};
use crate::tree::paths::RelPath;

#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) description: Option<String>,
    /// The plan file, absolute.
    pub(crate) source: PathBuf,
    pub(crate) phases: Vec<Phase>,
    /// What validation found questionable without failing the plan.
    pub(crate) warnings: Vec<super::error::Diagnostic>,
}

impl Plan {
    pub(crate) fn phase(&self, name: &str) -> Option<(usize, &Phase)> {
        self.phases.iter().enumerate().find(|(_, p)| p.name == name)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Phase {
    pub(crate) name: String,
    pub(crate) kind: PhaseKind,
    pub(crate) description: Option<String>,
    /// Hash of the phase's normalised configuration; a change means results recorded for it are stale.
    pub(crate) fingerprint: String,
    pub(crate) config: PhaseConfig,
}

#[derive(Debug, Clone)]
pub(crate) enum PhaseConfig {
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
pub(crate) struct Selection {
    includes: Vec<Arc<GlobSet>>,
    excludes: Vec<Arc<GlobSet>>,
}

impl Selection {
    pub(crate) fn narrowed(&self, include: Option<GlobSet>, exclude: Option<GlobSet>) -> Selection {
        let mut s = self.clone();
        if let Some(i) = include {
            s.includes.push(Arc::new(i));
        }
        if let Some(e) = exclude {
            s.excludes.push(Arc::new(e));
        }
        s
    }

    pub(crate) fn matches(&self, rel: &str) -> bool {
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
pub(crate) struct Skip {
    pub(crate) strings: bool,
    pub(crate) comments: bool,
}

impl Skip {
    pub(crate) fn from_kinds(kinds: &[SkipKind]) -> Skip {
        Skip {
            strings: kinds.contains(&SkipKind::Strings),
            comments: kinds.contains(&SkipKind::Comments),
        }
    }

    pub(crate) fn any(&self) -> bool {
        self.strings || self.comments
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Check {
    pub(crate) name: String,
    pub(crate) kind: CheckKind,
    /// What the count of a `pattern` or `python` check stands for.
    pub(crate) counts: CountsKind,
}

#[derive(Debug, Clone)]
pub(crate) enum CheckKind {
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
pub(crate) struct Edit {
    pub(crate) name: String,
    pub(crate) kind: EditKind,
    pub(crate) selection: Selection,
    pub(crate) expect: Option<Expect>,
    /// Imports the edit leaves used only in annotations move under `if TYPE_CHECKING:`.
    pub(crate) move_annotation_imports: bool,
}

/// How an edit finds and changes text.
#[derive(Debug, Clone)]
pub(crate) enum EditKind {
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
        /// Imports the rewrite needs, added to the files the edit changes.
        imports: Arc<Vec<ImportSpec>>,
    },
    /// References to qualified names made references to others, imports kept right.
    Rename {
        renames: Arc<Vec<Rename>>,
        /// The last parts of the old names: a file holding none of them has no reference.
        needles: Arc<Needles>,
    },
    /// Methods renamed on the classes that derive from given bases.
    Methods {
        methods: Arc<MethodRenames>,
        /// The old method names.
        needles: Arc<Needles>,
    },
}

impl Edit {
    pub(crate) fn is_structural(&self) -> bool {
        matches!(self.kind, EditKind::Python { .. })
    }

    /// What a file at `path` must contain for the edit to change it; `None` when the edit never
    /// changes a file there (a structural edit and a file that is not Python).
    pub(crate) fn needles_for(&self, path: &str) -> Option<&Needles> {
        match &self.kind {
            EditKind::Regex { regex, .. } => Some(regex.needles()),
            EditKind::Python { query, .. } => {
                crate::edit::python::is_python_path(path).then(|| query.needles())
            }
            EditKind::Rename { needles, .. } | EditKind::Methods { needles, .. } => {
                crate::edit::python::is_python_path(path).then_some(needles.as_ref())
            }
        }
    }

    /// Whether the edit can change the file at `path` whose content is `bytes`: `false` proves it
    /// cannot, so the file need not be decoded or looked at again. Structural edits change Python
    /// files only, and only those holding every literal word of their pattern.
    pub(crate) fn could_change(&self, path: &str, bytes: &[u8]) -> bool {
        match &self.kind {
            EditKind::Regex { regex, .. } => regex.is_match_bytes(bytes),
            EditKind::Python { query, .. } => {
                crate::edit::python::is_python_path(path) && query.could_match_bytes(bytes)
            }
            EditKind::Rename { needles, .. } | EditKind::Methods { needles, .. } => {
                crate::edit::python::is_python_path(path) && needles.is_in_bytes(bytes)
            }
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct PytestConfig {
    pub(crate) suites: Vec<Suite>,
    pub(crate) allow_failures: bool,
    pub(crate) min_pass_rate: Option<f64>,
    pub(crate) no_new_failures: bool,
    pub(crate) compare_with: Option<String>,
    pub(crate) python: Option<String>,
    /// Packages installed into a virtual environment under `.remedy/venvs/` (empty: none).
    pub(crate) requirements: Vec<String>,
    /// Suites run at the same time; `None` means one per CPU.
    pub(crate) jobs: Option<usize>,
    /// pytest-xdist workers per suite, when asked for.
    pub(crate) workers: Option<WorkersSpec>,
    pub(crate) must_pass: Vec<MustPass>,
}

/// An entry of `must_pass`: a node id, matched exactly, or a glob over node ids.
#[derive(Debug, Clone)]
pub(crate) struct MustPass {
    /// As written in the plan.
    pub(crate) text: String,
    /// Set when the entry has glob characters (`*`, `?`, `[`, `{`).
    pub(crate) glob: Option<globset::GlobMatcher>,
}

impl MustPass {
    pub(crate) fn matches(&self, id: &str) -> bool {
        self.text == id || self.glob.as_ref().is_some_and(|g| g.is_match(id))
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Suite {
    pub(crate) name: String,
    pub(crate) args: Vec<String>,
    pub(crate) timeout: Option<std::time::Duration>,
    /// Run only the test files the patch can reach (`select: affected`).
    pub(crate) affected: bool,
    /// With `affected`: test files or folders that always run, relative to the root.
    pub(crate) always: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct CommandConfig {
    pub(crate) argv: Vec<String>,
    pub(crate) shell: bool,
    pub(crate) cwd: RelPath,
    pub(crate) exit_code: i32,
    pub(crate) timeout: Option<std::time::Duration>,
}
