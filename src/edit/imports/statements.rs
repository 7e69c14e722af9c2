//! A file's import statements, top level and nested, from one parse: what each imports, where its
//! names and separators are (so one name can be removed with its comma), and what it is nested in
//! (a `try:` that guards an optional dependency, an `if TYPE_CHECKING:` block, a function).

use std::ops::Range;

use tree_sitter::Node;

use super::spec::{bound_by, Bound};
#[cfg(test)]
use crate::edit::python;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ImportKind {
    /// `import a.b, c as d`.
    Import,
    /// `from m import a, b as c` (also relative and star imports).
    From,
    /// `from __future__ import annotations`.
    Future,
}

/// What an import statement is nested in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Placement {
    /// A statement of the module itself, not in any block.
    pub(crate) top_level: bool,
    /// Anywhere in a `try` statement (its body or one of its clauses).
    pub(crate) in_try: bool,
    /// In an `if TYPE_CHECKING:` (or `typing.TYPE_CHECKING`) block.
    pub(crate) in_type_checking: bool,
    /// In a function body (at any depth).
    pub(crate) in_function: bool,
    /// In a class body.
    pub(crate) in_class: bool,
}

/// One name of an import statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImportedName {
    /// The dotted name as written (spaces dropped): `a.b` in `import a.b`, `c` in `from m import c`.
    pub(crate) name: String,
    pub(crate) alias: Option<String>,
    /// The name and its alias, `c as d`.
    pub(crate) range: Range<usize>,
    /// The `,` after the name and the spaces after it, if a comma follows.
    pub(crate) separator: Option<Range<usize>>,
}

/// An import statement of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImportStatement {
    pub(crate) kind: ImportKind,
    /// The module of a `from` import as written, with its leading dots (`..pkg`, `.`).
    pub(crate) module: Option<String>,
    pub(crate) names: Vec<ImportedName>,
    pub(crate) is_star: bool,
    /// Whether the names are in parentheses.
    pub(crate) is_parenthesized: bool,
    pub(crate) range: Range<usize>,
    /// 1-based line of the statement's first byte.
    pub(crate) line: usize,
    pub(crate) placement: Placement,
    /// The statements around this one (the module or the block it is in), and how many there are
    /// (comments aside): removing all of them from a block needs a `pass`.
    pub(crate) parent: Range<usize>,
    pub(crate) siblings: usize,
}

impl ImportStatement {
    /// What the statement's names bind (nothing for a star import).
    pub(crate) fn bound(&self) -> impl Iterator<Item = Bound> + '_ {
        let module = match self.kind {
            ImportKind::Import => None,
            ImportKind::From | ImportKind::Future => self.module.as_deref(),
        };
        self.names
            .iter()
            .map(move |n| bound_by(module, &n.name, n.alias.as_deref()))
    }
}

/// Every import statement of `source`, in file order.
#[cfg(test)]
pub(crate) fn imports_of(source: &str) -> Vec<ImportStatement> {
    match python::parse(source) {
        Some((tree, offset)) => imports_in(tree.root_node(), source, offset),
        None => Vec::new(),
    }
}

/// [`imports_of`] over a tree already parsed; `offset` is the length of the byte-order mark.
pub(crate) fn imports_in(root: Node, source: &str, offset: usize) -> Vec<ImportStatement> {
    let mut found = Vec::new();
    let outer = Placement {
        top_level: true,
        ..Placement::default()
    };
    collect(root, source, offset, outer, &mut found);
    found
}

fn text<'s>(node: Node, source: &'s str, offset: usize) -> &'s str {
    &source[node.start_byte() + offset..node.end_byte() + offset]
}

/// Whether `condition` is `TYPE_CHECKING` or `something.TYPE_CHECKING`.
pub(crate) fn is_type_checking(condition: Node, source: &str, offset: usize) -> bool {
    match condition.kind() {
        "identifier" => text(condition, source, offset) == "TYPE_CHECKING",
        "attribute" => condition
            .child_by_field_name("attribute")
            .is_some_and(|a| text(a, source, offset) == "TYPE_CHECKING"),
        _ => false,
    }
}

/// Walks the statements under `node` (not expressions: imports are statements).
fn collect(
    node: Node,
    source: &str,
    offset: usize,
    placement: Placement,
    found: &mut Vec<ImportStatement>,
) {
    let siblings = node
        .named_children(&mut node.walk())
        .filter(|c| c.kind() != "comment")
        .count();
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        let inner = Placement {
            top_level: false,
            ..placement
        };
        match child.kind() {
            "import_statement" | "import_from_statement" | "future_import_statement" => {
                if let Some(statement) = read_statement(child, source, offset, placement) {
                    found.push(ImportStatement {
                        parent: node.start_byte() + offset..node.end_byte() + offset,
                        siblings,
                        ..statement
                    });
                }
            }
            "function_definition" => {
                if let Some(body) = child.child_by_field_name("body") {
                    let inner = Placement {
                        in_function: true,
                        ..inner
                    };
                    collect(body, source, offset, inner, found);
                }
            }
            "class_definition" => {
                if let Some(body) = child.child_by_field_name("body") {
                    let inner = Placement {
                        in_class: true,
                        ..inner
                    };
                    collect(body, source, offset, inner, found);
                }
            }
            "try_statement" => {
                let inner = Placement {
                    in_try: true,
                    ..inner
                };
                collect(child, source, offset, inner, found);
            }
            "if_statement" => {
                let checks = child
                    .child_by_field_name("condition")
                    .is_some_and(|c| is_type_checking(c, source, offset));
                let mut cursor = child.walk();
                for part in child.named_children(&mut cursor) {
                    // Only the `if` body of `if TYPE_CHECKING:` is for the type checker; its
                    // `else` runs.
                    let is_body = child
                        .child_by_field_name("consequence")
                        .is_some_and(|c| c.id() == part.id());
                    let inner = Placement {
                        in_type_checking: placement.in_type_checking || (checks && is_body),
                        ..inner
                    };
                    collect(part, source, offset, inner, found);
                }
            }
            "block"
            | "decorated_definition"
            | "else_clause"
            | "elif_clause"
            | "except_clause"
            | "except_group_clause"
            | "finally_clause"
            | "with_statement"
            | "for_statement"
            | "while_statement"
            | "match_statement"
            | "case_clause" => {
                collect(child, source, offset, inner, found);
            }
            _ => {}
        }
    }
}

fn read_statement(
    node: Node,
    source: &str,
    offset: usize,
    placement: Placement,
) -> Option<ImportStatement> {
    let kind = match node.kind() {
        "import_statement" => ImportKind::Import,
        "import_from_statement" => ImportKind::From,
        _ => ImportKind::Future,
    };
    let module = match kind {
        ImportKind::Import => None,
        ImportKind::Future => Some("__future__".to_string()),
        ImportKind::From => Some(squeeze(text(
            node.child_by_field_name("module_name")?,
            source,
            offset,
        ))),
    };
    let mut names = Vec::new();
    let (mut is_star, mut is_parenthesized) = (false, false);
    let mut cursor = node.walk();
    let children: Vec<Node> = node.children(&mut cursor).collect();
    for (i, child) in children.iter().enumerate() {
        let is_name = node
            .field_name_for_child(i as u32)
            .is_some_and(|f| f == "name");
        match child.kind() {
            "wildcard_import" => is_star = true,
            "(" => is_parenthesized = true,
            _ if is_name => {
                let (name, alias) = match child.kind() {
                    "aliased_import" => (
                        squeeze(text(child.child_by_field_name("name")?, source, offset)),
                        Some(text(child.child_by_field_name("alias")?, source, offset).to_string()),
                    ),
                    _ => (squeeze(text(*child, source, offset)), None),
                };
                let separator = children
                    .get(i + 1)
                    .filter(|c| c.kind() == ",")
                    .map(|comma| {
                        let start = comma.start_byte() + offset;
                        let rest = &source.as_bytes()[comma.end_byte() + offset..];
                        let spaces = rest
                            .iter()
                            .take_while(|b| **b == b' ' || **b == b'\t')
                            .count();
                        start..comma.end_byte() + offset + spaces
                    });
                names.push(ImportedName {
                    name,
                    alias,
                    range: child.start_byte() + offset..child.end_byte() + offset,
                    separator,
                });
            }
            _ => {}
        }
    }
    Some(ImportStatement {
        kind,
        module,
        names,
        is_star,
        is_parenthesized,
        range: node.start_byte() + offset..node.end_byte() + offset,
        line: node.start_position().row + 1,
        placement,
        parent: 0..0,
        siblings: 0,
    })
}

/// A dotted name without the spaces, comments or line continuations Python allows inside it.
fn squeeze(dotted: &str) -> String {
    dotted
        .split(|c: char| c.is_whitespace() || c == '\\')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_imports_with_their_names_and_placement() {
        let src = "\u{feff}\"\"\"Doc.\"\"\"\nfrom __future__ import annotations\nimport os, sys as system\nfrom ..pkg import (a,\n    b as c,\n)\ntry:\n    import json\nexcept ImportError:\n    json = None\nif TYPE_CHECKING:\n    from typing import Mapping\nelse:\n    Mapping = dict\n\ndef f():\n    from . import m\n\nclass C:\n    import re\nfrom x import *\n";
        let found = imports_of(src);
        let summary: Vec<(ImportKind, Option<&str>, Vec<&str>, usize)> = found
            .iter()
            .map(|s| {
                (
                    s.kind,
                    s.module.as_deref(),
                    s.names.iter().map(|n| n.name.as_str()).collect(),
                    s.line,
                )
            })
            .collect();
        use ImportKind::*;
        assert_eq!(
            summary,
            vec![
                (Future, Some("__future__"), vec!["annotations"], 2),
                (Import, None, vec!["os", "sys"], 3),
                (From, Some("..pkg"), vec!["a", "b"], 4),
                (Import, None, vec!["json"], 8),
                (From, Some("typing"), vec!["Mapping"], 12),
                (From, Some("."), vec!["m"], 17),
                (Import, None, vec!["re"], 20),
                (From, Some("x"), vec![], 21),
            ]
        );
        assert!(found[0].placement.top_level && found[7].is_star);
        assert!(found[3].placement.in_try && !found[3].placement.top_level);
        assert!(found[4].placement.in_type_checking);
        assert!(found[5].placement.in_function && found[6].placement.in_class);
        assert!(found[2].is_parenthesized && !found[1].is_parenthesized);
        let sys = &found[1].names[1];
        assert_eq!(&src[sys.range.clone()], "sys as system");
        assert_eq!(sys.alias.as_deref(), Some("system"));
        assert_eq!(&src[found[1].names[0].separator.clone().unwrap()], ", ");
        assert_eq!(&src[found[2].names[1].separator.clone().unwrap()], ",");
        assert_eq!(
            found[2].names[0].separator.as_ref().map(|r| r.len()),
            Some(1)
        );
        let bound: Vec<String> = found[2].bound().map(|b| b.qualified).collect();
        assert_eq!(bound, ["..pkg.a", "..pkg.b"]);
        assert_eq!(&src[found[6].range.clone()], "import re");
    }
}
