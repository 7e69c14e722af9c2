//! Edits compute a file's new content from its old content; they never touch the disk.
//!
//! All edits of a phase are applied to a file together: their matches are found on the original
//! text, checked for overlaps, and spliced in one pass, so the result does not depend on the order in
//! which edits are written, and every reported line number refers to the original file.
//!
//! `apply` holds the application of a phase's edits to one file (passes, the overlap check, the
//! splice); `beyond_passes` what happens before its first pass and after its last (the named
//! refactorings of `refactor`, and the imports and names check of `imports`); `pass_changes` what the structural edits of one pass would change; `pieces` parses only the
//! statements structural queries need; `context` is what edits
//! share during a phase; `error` says why an edit was refused; `lines` maps offsets to lines;
//! `span` finds where two versions of a text differ; `kept` holds what was worked out from the
//! texts looked at lately, by content, within a budget; `tree_cache` keeps their trees with it.

mod apply;
mod beyond_passes;
mod context;
mod error;
pub(crate) mod imports;
mod kept;
mod lines;
pub(crate) mod literal;
mod pass_changes;
mod pieces;
pub(crate) mod prefilter;
pub(crate) mod python;
pub(crate) mod refactor;
pub(crate) mod regex;
mod span;
pub(crate) mod statements;
pub(crate) mod structural;
pub(crate) mod symbols;
#[cfg(test)]
mod test_corpus;
mod tree_cache;

pub(crate) use apply::{apply_edits_noting, Replacement, SetAsideSite};
pub(crate) use context::EditContext;
pub(crate) use error::EditError;
pub(crate) use lines::LineIndex;
pub(crate) use pieces::{set_aside_lines, structural_check_sites, SetAside};
