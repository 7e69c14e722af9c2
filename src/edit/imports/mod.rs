//! Import management and name checks for Python source text, for refactorings that move a name
//! from one module to another (`collections.Mapping` → `collections.abc.Mapping`) or replace it
//! with a builtin (`numpy.float` → `float`): an edit that rewrites the uses must also add the
//! import the new text needs, drop the import the old text no longer uses, and must not leave a
//! name that nothing defines.
//!
//! `spec` parses the imports a plan names; `statements` lists a file's import statements; `names`
//! finds which names a file binds and uses and compares two versions of a file; `add` and
//! `remove` compute a file's new text with the imports it needs and without those an edit left
//! unused, never touching the disk; `builtins` lists what Python defines without an import; `lines` reads line breaks as the file has them; `error` says
//! why an import was refused; `finish` is the step after an edit's passes that uses them all; `unchanged` tells
//! when a replacement leaves the names as they were, so that the step has nothing to do.

pub(crate) mod add;
mod builtins;
#[cfg(test)]
mod corpus;
pub(crate) mod error;
pub(crate) mod finish;
mod lines;
pub(crate) mod names;
pub(crate) mod remove;
pub(crate) mod spec;
pub(crate) mod statements;
pub(crate) mod unchanged;
