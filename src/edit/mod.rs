//! Edits compute a file's new content from its old content; they never touch the disk.
//!
//! All edits of a phase are applied to a file together: their matches are found on the original
//! text, checked for overlaps, and spliced in one pass, so the result does not depend on the order in
//! which edits are written, and every reported line number refers to the original file.
//!
//! `apply` holds the application of a phase's edits to one file (passes, the overlap check, the
//! splice); `pieces` parses only the statements structural queries need; `context` is what edits
//! share during a phase; `error` says why an edit was refused; `lines` maps offsets to lines.

mod apply;
mod context;
mod error;
mod lines;
pub mod literal;
mod pieces;
pub mod prefilter;
pub mod python;
pub mod regex;
pub mod statements;
pub mod structural;
pub mod symbols;
#[cfg(test)]
mod test_corpus;

pub use apply::{apply_edits, FileEdit, Replacement, MAX_PASSES};
pub use context::EditContext;
pub use error::EditError;
pub use lines::LineIndex;
pub use pieces::structural_match_lines;
