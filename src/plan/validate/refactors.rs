//! The named refactorings of a patch phase: `rename` (qualified names to qualified names) and
//! `methods` (method names on the classes that derive from a base). Both take names, not code, so
//! what is checked here is that each name is one Python can spell.

use std::sync::Arc;

use super::super::model::*;
use super::super::spec::*;
use super::checker::Checker;
use super::keys;
use crate::edit::prefilter::Needles;
use crate::edit::refactor::{MethodRenames, Rename};

/// Whether `text` is a Python identifier (ASCII letters, digits and `_`, not starting with a digit).
fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// Whether `text` is a dotted name of at least two identifiers (`module.name`).
pub(super) fn is_qualified(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() >= 2 && parts.iter().all(|p| is_identifier(p))
}

/// A `rename` edit: a list of `{ from, to }`, each two different qualified names.
pub(super) fn validate_rename_edit(
    c: &mut Checker,
    at: &str,
    s: &EditSpec,
    renames: &RenamesSpec,
) -> Option<EditKind> {
    keys::check_edit_keys(c, at, s, "rename");
    let before = c.diagnostics.len();
    if renames.0.is_empty() {
        c.at_value(
            &format!("{at}.rename"),
            "`rename` is empty",
            Some("add `{ from: collections.Mapping, to: collections.abc.Mapping }`"),
        );
    }
    let mut out: Vec<Rename> = Vec::new();
    for (i, r) in renames.0.iter().enumerate() {
        let item = if renames.0.len() == 1 {
            format!("{at}.rename")
        } else {
            format!("{at}.rename[{i}]")
        };
        for (key, value) in [("from", &r.from), ("to", &r.to)] {
            if !is_qualified(value) {
                c.at_value(
                    &format!("{item}.{key}"),
                    format!("`{value}` is not a qualified Python name"),
                    Some("write the module and the name, e.g. `collections.abc.Mapping`; a builtin is `builtins.float`"),
                );
            }
        }
        if r.from.starts_with("builtins.") {
            c.at_value(
                &format!("{item}.from"),
                format!(
                    "`{}` is a builtin; a rename follows imports, and builtins are not imported",
                    r.from
                ),
                Some("rename what a module exports, e.g. `numpy.float` to `builtins.float`"),
            );
        }
        if r.from == r.to {
            c.at_value(
                &format!("{item}.to"),
                format!("`{}` is renamed to itself", r.from),
                Some("name the new qualified name in `to`"),
            );
        }
        if out.iter().any(|o| o.from == r.from) {
            c.at_value(
                &format!("{item}.from"),
                format!("`{}` is renamed twice in this edit", r.from),
                Some("keep one `{ from, to }` for each old name"),
            );
        }
        out.push(Rename {
            from: r.from.clone(),
            to: r.to.clone(),
        });
    }
    if c.diagnostics.len() != before {
        return None;
    }
    let words: Vec<&str> = out.iter().map(|r| r.old_name()).collect();
    Some(EditKind::Rename {
        needles: Arc::new(Needles::any_word(&words)),
        renames: Arc::new(out),
    })
}

/// A `methods` edit: base classes as qualified names, renames between identifiers.
pub(super) fn validate_methods_edit(
    c: &mut Checker,
    at: &str,
    s: &EditSpec,
    methods: &MethodsSpec,
) -> Option<EditKind> {
    keys::check_edit_keys(c, at, s, "methods");
    let before = c.diagnostics.len();
    if methods.class.0.is_empty() {
        c.at_value(
            &format!("{at}.methods.class"),
            "`class` names no class",
            Some("name the base class, e.g. `class: unittest.TestCase`"),
        );
    }
    for (i, class) in methods.class.0.iter().enumerate() {
        if !is_qualified(class) {
            let path = if methods.class.0.len() == 1 {
                format!("{at}.methods.class")
            } else {
                format!("{at}.methods.class[{i}]")
            };
            c.at_value(
                &path,
                format!("`{class}` is not a qualified class name"),
                Some("write the module and the class, e.g. `unittest.TestCase`"),
            );
        }
    }
    if methods.rename.is_empty() {
        c.at_value(
            &format!("{at}.methods.rename"),
            "`rename` names no method",
            Some("add old and new names, e.g. `rename: { failUnless: assertTrue }`"),
        );
    }
    for (old, new) in &methods.rename {
        let path = format!("{at}.methods.rename.{old}");
        for name in [old, new] {
            if !is_identifier(name) {
                c.at_value(
                    &path,
                    format!("`{name}` is not a method name"),
                    Some("method names are Python identifiers, e.g. `assertTrue`"),
                );
            }
        }
        if old == new {
            c.at_value(
                &path,
                format!("method `{old}` is renamed to itself"),
                Some("name the new method name"),
            );
        }
    }
    if c.diagnostics.len() != before {
        return None;
    }
    let words: Vec<&str> = methods.rename.keys().map(String::as_str).collect();
    Some(EditKind::Methods {
        needles: Arc::new(Needles::any_word(&words)),
        methods: Arc::new(MethodRenames {
            classes: methods.class.0.clone(),
            renames: methods.rename.clone(),
        }),
    })
}
