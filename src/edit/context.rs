//! What the edits and structural checks of one phase share: the index of the tree's modules (a
//! handle to the run's one index, which every phase shares), the symbols the run's queries look
//! for, and the count of files this phase parsed, which the patch phase reports.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::symbols::ModuleIndex;

/// What edits and structural checks share during one phase: the modules of the tree (to follow
/// re-exports), the symbols of the run and how many files were parsed for structural matching.
#[derive(Debug)]
pub(crate) struct EditContext {
    pub(crate) modules: ModuleIndex,
    /// The symbols of every symbol-aware check and edit of the run: a file is parsed in the parts
    /// that hold any of their names (see `pieces`), so that one parse of a text serves them all.
    pub(crate) symbols: Arc<Vec<String>>,
    parsed: AtomicU64,
}

impl EditContext {
    /// A context whose run looks for `symbols` (see [`EditContext::symbols`]).
    pub(crate) fn with_symbols(modules: ModuleIndex, symbols: Arc<Vec<String>>) -> EditContext {
        EditContext {
            modules,
            symbols,
            parsed: AtomicU64::new(0),
        }
    }

    /// A context that sees no other file (symbols resolve within each file only).
    #[cfg(test)]
    pub(crate) fn detached() -> EditContext {
        EditContext::with_symbols(ModuleIndex::detached(), Arc::default())
    }

    /// Files parsed for structural matching: those containing the literal words of a pattern.
    pub(crate) fn parsed(&self) -> u64 {
        self.parsed.load(Ordering::Relaxed)
    }

    pub(super) fn count_parsed(&self) {
        self.parsed.fetch_add(1, Ordering::Relaxed);
    }
}
