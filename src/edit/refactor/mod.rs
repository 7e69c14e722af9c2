//! Named refactorings: edits that say what to change in terms of Python's names rather than a
//! pattern of code. `rename` makes every reference to one qualified name a reference to another and
//! keeps the imports right; `methods` renames methods on the classes that derive from a base class.
//!
//! Both work on a file's whole syntax tree and its resolved names (`edit/symbols`), return
//! replacements like any other edit (so overlaps, the syntax re-check and the reported lines work
//! the same), and say which imports the changed file needs; `apply` adds those, removes the
//! imports the change left unused and checks that no name became undefined.

mod methods;
mod names;
mod rename;

pub(crate) use methods::{method_replacements, methods_left_alone, MethodRenames};
pub(crate) use rename::{rename_replacements, Rename};

use super::apply::Replacement;
use super::imports::spec::ImportSpec;

/// What a refactoring changes in one file: its replacements on the original text, and the imports
/// the new text needs where their names are not bound yet, each with the index of its edit.
#[derive(Debug, Default)]
pub(crate) struct Refactored {
    pub(crate) replacements: Vec<Replacement>,
    pub(crate) imports: Vec<(usize, ImportSpec)>,
    /// The syntax tree of the original text, when a refactoring parsed it: the step after the
    /// passes reads the original's names from it instead of parsing again.
    pub(crate) tree: Option<tree_sitter::Tree>,
}
