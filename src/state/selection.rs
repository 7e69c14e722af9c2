//! The record of an affected-tests selection, as the checkpoint keeps it: which test files a pytest
//! phase ran and why each is in the selection, and where the import graph could not be trusted.

use serde::{Deserialize, Serialize};

/// The test files a pytest phase selected from the files the patch phases change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SelectionRecord {
    /// The files the plan's patch phases change, as the backup phase found them.
    pub(crate) changed: Vec<String>,
    /// Python files in the import graph.
    pub(crate) python_files: u64,
    /// Test files (`test_*.py`, `*_test.py`) among them: the whole suite.
    pub(crate) test_files: u64,
    /// Time to walk, parse and link the graph.
    pub(crate) graph_ms: u64,
    /// Selected test files, sorted, each with its reasons, shortest first.
    pub(crate) files: Vec<SelectedFile>,
    /// Where the graph could not be trusted, and the folder each widened the selection to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) widened: Vec<Widening>,
    /// Python files that could not be read or parsed (`path: why`); their imports are unknown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) unreadable: Vec<String>,
    /// Files this phase selects beyond those of the baseline it is compared with, which were
    /// added to keep the two selections the same (the patch changed imports).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) beyond_baseline: Vec<String>,
}

/// One selected test file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SelectedFile {
    pub(crate) path: String,
    pub(crate) reasons: Vec<SelectionReason>,
}

/// Why a file is selected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SelectionReason {
    pub(crate) kind: ReasonKind,
    /// The import chain, from the test file (or the `conftest.py`) to a changed file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) chain: Vec<String>,
    /// For `widened`: the place that could not be trusted (`file:line: why`); for `always`: the
    /// plan's entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) site: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ReasonKind {
    /// The patch changes the test file itself.
    Changed,
    /// The test file imports a changed module, directly or through others.
    Imports,
    /// A `conftest.py` above it imports a changed module (or is changed).
    Conftest,
    /// A folder widened because the import graph cannot be trusted there.
    Widened,
    /// The plan lists it under `always`.
    Always,
}

/// A place where the graph cannot be trusted, and what it widened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Widening {
    /// The file with the construct, and its line.
    pub(crate) file: String,
    pub(crate) line: u32,
    pub(crate) why: String,
    /// The test file or `conftest.py` that reaches it (the chain's first file).
    pub(crate) test: String,
    /// The folder whose test files were all selected (`""`: the root).
    pub(crate) folder: String,
}

impl SelectionReason {
    /// The reason in a line, for reports and the terminal.
    pub(crate) fn describe(&self) -> String {
        let chain = self.chain.join(" → ");
        match self.kind {
            ReasonKind::Changed => "changed by the patch".into(),
            // The chain starts at the test file itself, which the reader already has.
            ReasonKind::Imports => format!(
                "imports {}",
                self.chain[1.min(self.chain.len())..].join(" → ")
            ),
            ReasonKind::Conftest => format!("under {chain}"),
            ReasonKind::Widened => format!(
                "widened: {}{}",
                self.site.as_deref().unwrap_or(""),
                if chain.is_empty() {
                    String::new()
                } else {
                    format!(" (reached by {chain})")
                }
            ),
            ReasonKind::Always => format!(
                "listed in `always` ({})",
                self.site.as_deref().unwrap_or("")
            ),
        }
    }
}

impl Widening {
    pub(crate) fn describe(&self) -> String {
        format!(
            "{}:{}: {}; every test file under {} is selected",
            self.file,
            self.line,
            self.why,
            if self.folder.is_empty() {
                "the root".to_string()
            } else {
                format!("{}/", self.folder)
            }
        )
    }
}
