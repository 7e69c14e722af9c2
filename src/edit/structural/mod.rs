//! Structural Python patterns: a pattern is Python code with metavariables, matched against the
//! syntax tree rather than the text, so layout, comments and strings cannot fool it.
//!
//! `$NAME` stands for one node, `$$$NAME` for any number of siblings (arguments, statements), `$_`
//! and `$$$` for the same without a name. A `$$$` next to a separating comma may take nothing and
//! the comma with it (`f(x, $$$REST)` matches `f(x)`), and a rewrite then leaves out the comma it
//! wrote there; a `$$$` that takes a block's statements carries the block's layout, so that a
//! rewrite putting it back as a body keeps the body's lines as they were. An empty rewrite of a
//! whole statement removes its lines (`removal_for`, `removal_range`).
//!
//! Matching compares node kinds and token texts and skips comments; a parenthesised expression in
//! the file matches the expression inside it, so `await (f(x))` is an `await f($$$A)`. With a
//! symbol, the identifiers of a pattern that spell the symbol's last name match any expression
//! that the file's imports resolve to that qualified name (see `edit/symbols.rs`).
//!
//! The matcher works on tree-sitter-python directly rather than through a generic structural-search
//! library: it needs parentheses to be transparent, the exact bytes between an opening bracket and
//! the first argument (so a rewrite keeps arguments split over lines as they were), and a predicate
//! on the callee (symbol resolution) inside the match. docs/architecture.md says more.
//!
//! The parts, one file each: how metavariables are spelled (`metavar`), small questions about
//! syntax-tree nodes (`syntax`), compiling a pattern (`pattern`), the queries built from patterns
//! (`query`), matching a pattern against a parsed file (`matcher`), and rewriting a match from a
//! template (`rewrite`).

mod matcher;
mod metavar;
mod pattern;
mod query;
mod rewrite;
mod syntax;

pub(crate) use matcher::{alias_after, last_names, KeptParts, ParsedFile};
pub(crate) use pattern::Pattern;
pub(crate) use query::{Query, Reach, Unresolved, Verdict};
pub(crate) use rewrite::{removal_for, removal_range, replacement_for, Rewrite};

#[cfg(test)]
mod testing;
