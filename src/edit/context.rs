//! What the edits and structural checks of one phase share: the index of the tree's modules (a
//! handle to the run's one index, which every phase shares), and the count of files this phase
//! parsed, which the patch phase reports.

use std::sync::atomic::{AtomicU64, Ordering};

use super::symbols::ModuleIndex;

/// What edits and structural checks share during one phase: the modules of the tree (to follow
/// re-exports) and how many files were parsed for structural matching.
#[derive(Debug)]
pub(crate) struct EditContext {
    pub(crate) modules: ModuleIndex,
    parsed: AtomicU64,
}

impl EditContext {
    pub(crate) fn new(modules: ModuleIndex) -> EditContext {
        EditContext {
            modules,
            parsed: AtomicU64::new(0),
        }
    }

    /// A context that sees no other file (symbols resolve within each file only).
    #[cfg(test)]
    pub(crate) fn detached() -> EditContext {
        EditContext::new(ModuleIndex::detached())
    }

    /// Files parsed for structural matching: those containing the literal words of a pattern.
    pub(crate) fn parsed(&self) -> u64 {
        self.parsed.load(Ordering::Relaxed)
    }

    pub(super) fn count_parsed(&self) {
        self.parsed.fetch_add(1, Ordering::Relaxed);
    }
}
