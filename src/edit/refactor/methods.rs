//! Method renames restricted to the classes that derive from a base class: Python 3.12's removed
//! `unittest` aliases (`self.failUnless(...)` → `self.assertTrue(...)`) are methods of
//! `unittest.TestCase`, and the same names on an unrelated class are that class's own.
//!
//! In a class that derives from one of the bases (directly, or through other classes of the root,
//! followed across modules by `edit/symbols`), three things are renamed: attribute accesses on the
//! method's receiver (its first parameter, `self` or `cls`; not in static methods), attributes of
//! `super()`, and the methods the class defines under an old name. A class that defines both the
//! old and the new name keeps both, and its calls are left alone: renaming would change which
//! method runs. Receivers that are not the method's own (`case = MyTest(); case.failUnless(...)`)
//! are not followed.

use std::collections::BTreeMap;

use tree_sitter::Node;

use crate::edit::apply::Replacement;
use crate::edit::context::EditContext;
use crate::edit::python;
use crate::edit::symbols::{FileSymbols, ModuleIndex};
use crate::tree::paths::RelPath;

/// Old method name → new, on the classes that derive from one of `classes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MethodRenames {
    pub(crate) classes: Vec<String>,
    pub(crate) renames: BTreeMap<String, String>,
}

/// The replacements that carry out `edits` (each with the index of its edit) in `text`, the
/// content of the Python file at `rel`.
pub(crate) fn method_replacements(
    text: &str,
    rel: &RelPath,
    edits: &[(usize, &MethodRenames)],
    modules: &ModuleIndex,
) -> Vec<Replacement> {
    let mut out = Vec::new();
    for_each_site(
        text,
        rel,
        edits.iter().map(|(_, m)| *m),
        modules,
        |i, site| {
            if site.derives {
                out.push(Replacement {
                    range: site.range,
                    text: site.new.to_string(),
                    edit: edits[i].0,
                });
            }
        },
    );
    out
}

/// The lines where `methods`' old names are used on a receiver or defined in a class that does
/// not derive from its bases, with the reason they are left alone.
pub(crate) fn methods_left_alone(
    methods: &MethodRenames,
    rel: &RelPath,
    text: &str,
    cx: &EditContext,
) -> Vec<(u64, String)> {
    if !crate::edit::python::is_python_path(rel.as_str()) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let bases = methods.classes.join(" or ");
    for_each_site(
        text,
        rel,
        std::iter::once(methods),
        &cx.modules,
        |_, site| {
            if !site.derives {
                out.push((
                    site.line,
                    format!("class `{}` does not derive from {bases}", site.class),
                ));
            }
        },
    );
    out
}

/// A use or definition of an old method name in a class.
struct Site<'a> {
    class: &'a str,
    /// Whether the class derives from the edit's bases (then the site is renamed).
    derives: bool,
    range: std::ops::Range<usize>,
    line: u64,
    new: &'a str,
}

/// Calls `f` with the index of the edit and each site of its old names in `text`.
fn for_each_site<'m>(
    text: &str,
    rel: &RelPath,
    edits: impl Iterator<Item = &'m MethodRenames>,
    modules: &ModuleIndex,
    mut f: impl FnMut(usize, Site),
) {
    let Some((tree, offset)) = python::parse(text) else {
        return;
    };
    let src = &text[offset..];
    let root = tree.root_node();
    let symbols = FileSymbols::build(root, src, rel);
    let node_text = |n: Node| &src[n.byte_range()];
    let mut classes = Vec::new();
    collect_classes(root, &mut classes);
    for (i, renames) in edits.enumerate() {
        for class in &classes {
            let Some(body) = class.child_by_field_name("body") else {
                continue;
            };
            let class_name = class
                .child_by_field_name("name")
                .map_or("", |n| node_text(n));
            let defined = defined_methods(body, src);
            // A class that defines both names keeps both: renaming would change which one runs.
            let applicable: BTreeMap<&str, &str> = renames
                .renames
                .iter()
                .filter(|(old, new)| {
                    !(defined.contains(&old.as_str()) && defined.contains(&new.as_str()))
                })
                .map(|(o, n)| (o.as_str(), n.as_str()))
                .collect();
            let mut nodes: Vec<(Node, &str)> = Vec::new();
            for method in methods_of(body) {
                if let Some(name) = method.child_by_field_name("name") {
                    if let Some(new) = applicable.get(node_text(name)) {
                        nodes.push((name, new));
                    }
                }
                let receiver = receiver_of(method, src);
                if let Some(block) = method.child_by_field_name("body") {
                    for attr in receiver_attributes(block, receiver, src) {
                        if let Some(new) = applicable.get(node_text(attr)) {
                            nodes.push((attr, new));
                        }
                    }
                }
            }
            if nodes.is_empty() {
                continue;
            }
            let derives = renames
                .classes
                .iter()
                .any(|base| symbols.derives_from(*class, &node_text, modules, base));
            for (node, new) in nodes {
                f(
                    i,
                    Site {
                        class: class_name,
                        derives,
                        range: node.start_byte() + offset..node.end_byte() + offset,
                        line: node.start_position().row as u64 + 1,
                        new,
                    },
                );
            }
        }
    }
}

/// Every class definition of the file, nested ones included.
fn collect_classes<'t>(node: Node<'t>, out: &mut Vec<Node<'t>>) {
    if node.kind() == "class_definition" {
        out.push(node);
    }
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        collect_classes(child, out);
    }
}

/// The function definitions directly in a class body (decorated or not).
fn methods_of(body: Node) -> Vec<Node> {
    let mut cursor = body.walk();
    body.named_children(&mut cursor)
        .filter_map(|n| match n.kind() {
            "function_definition" => Some(n),
            "decorated_definition" => n
                .child_by_field_name("definition")
                .filter(|d| d.kind() == "function_definition"),
            _ => None,
        })
        .collect()
}

/// The names of the methods a class body defines.
fn defined_methods<'s>(body: Node, src: &'s str) -> Vec<&'s str> {
    methods_of(body)
        .into_iter()
        .filter_map(|m| m.child_by_field_name("name"))
        .map(|n| &src[n.byte_range()])
        .collect()
}

/// The name of a method's receiver: its first parameter, unless it is a static method.
fn receiver_of<'s>(method: Node, src: &'s str) -> Option<&'s str> {
    if let Some(decorated) = method
        .parent()
        .filter(|p| p.kind() == "decorated_definition")
    {
        let mut cursor = decorated.walk();
        let is_static = decorated
            .named_children(&mut cursor)
            .filter(|n| n.kind() == "decorator")
            .any(|d| src[d.byte_range()].trim_start_matches('@').trim() == "staticmethod");
        if is_static {
            return None;
        }
    }
    let params = method.child_by_field_name("parameters")?;
    let first = params.named_child(0)?;
    let name = match first.kind() {
        "identifier" => first,
        "typed_parameter" => first.named_child(0)?,
        _ => return None,
    };
    (name.kind() == "identifier").then(|| &src[name.byte_range()])
}

/// The `NAME` nodes of `receiver.NAME` and `super().NAME` in a method body, not looking into
/// nested classes or into functions that rebind the receiver's name as a parameter.
fn receiver_attributes<'t>(block: Node<'t>, receiver: Option<&str>, src: &str) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let mut stack = vec![block];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "class_definition" => continue,
            "function_definition" | "lambda" => {
                let rebinds = receiver.is_some_and(|r| {
                    n.child_by_field_name("parameters")
                        .is_some_and(|p| binds_parameter(p, r, src))
                });
                if rebinds {
                    continue;
                }
            }
            "attribute" => {
                if let (Some(object), Some(attr)) = (
                    n.child_by_field_name("object"),
                    n.child_by_field_name("attribute"),
                ) {
                    let on_receiver = object.kind() == "identifier"
                        && receiver.is_some_and(|r| &src[object.byte_range()] == r);
                    if on_receiver || is_super_call(object, src) {
                        out.push(attr);
                    }
                }
            }
            _ => {}
        }
        let mut cursor = n.walk();
        stack.extend(n.children(&mut cursor));
    }
    out
}

/// Whether a parameter list binds `name`.
fn binds_parameter(params: Node, name: &str, src: &str) -> bool {
    let mut cursor = params.walk();
    let found = params.named_children(&mut cursor).any(|p| {
        let ident = match p.kind() {
            "identifier" => Some(p),
            _ => p
                .child_by_field_name("name")
                .or_else(|| p.named_child(0))
                .filter(|n| n.kind() == "identifier"),
        };
        ident.is_some_and(|i| &src[i.byte_range()] == name)
    });
    found
}

/// Whether `node` is a call of `super()` (with or without arguments).
fn is_super_call(node: Node, src: &str) -> bool {
    node.kind() == "call"
        && node
            .child_by_field_name("function")
            .is_some_and(|f| f.kind() == "identifier" && &src[f.byte_range()] == "super")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn renames(pairs: &[(&str, &str)]) -> MethodRenames {
        MethodRenames {
            classes: vec!["unittest.TestCase".into()],
            renames: pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        }
    }

    fn renamed(src: &str, m: &MethodRenames) -> String {
        let rel = RelPath::parse("tests/test_m.py").unwrap();
        let mut r = method_replacements(src, &rel, &[(0, m)], &ModuleIndex::detached());
        r.sort_by_key(|r| r.range.start);
        let mut text = String::new();
        let mut at = 0;
        for rep in &r {
            text.push_str(&src[at..rep.range.start]);
            text.push_str(&rep.text);
            at = rep.range.end;
        }
        text.push_str(&src[at..]);
        text
    }

    #[test]
    fn renames_on_receivers_of_test_cases_only() {
        let m = renames(&[
            ("failUnless", "assertTrue"),
            ("assertEquals", "assertEqual"),
        ]);
        let src = "import unittest\nfrom unittest import TestCase as TC\n\nclass T(unittest.TestCase):\n    def test(self):\n        self.failUnless(1)\n        other.failUnless(1)\n        # self.failUnless(2)\n        s = 'self.failUnless(3)'\n        def inner():\n            return self.assertEquals(1, 1)\n\n    @classmethod\n    def setUpClass(cls):\n        cls.assertEquals(1, 1)\n        super().assertEquals(2, 2)\n\n    @staticmethod\n    def helper(self):\n        self.failUnless(0)\n\nclass U(TC):\n    def failUnless(self, x):\n        return super().failUnless(x)\n\nclass Decoy:\n    def failUnless(self, x):\n        return self.failUnless(x)\n";
        let out = renamed(src, &m);
        let expected = src
            .replacen(
                "        self.failUnless(1)",
                "        self.assertTrue(1)",
                1,
            )
            .replacen(
                "return self.assertEquals(1, 1)",
                "return self.assertEqual(1, 1)",
                1,
            )
            .replacen("cls.assertEquals(1, 1)", "cls.assertEqual(1, 1)", 1)
            .replacen("super().assertEquals(2, 2)", "super().assertEqual(2, 2)", 1)
            .replacen(
                "    def failUnless(self, x):\n        return super().failUnless(x)",
                "    def assertTrue(self, x):\n        return super().assertTrue(x)",
                1,
            );
        assert_eq!(out, expected);
    }

    #[test]
    fn a_class_that_defines_both_names_keeps_both() {
        let m = renames(&[("failUnless", "assertTrue")]);
        let src = "import unittest\n\nclass T(unittest.TestCase):\n    def failUnless(self, x):\n        pass\n\n    def assertTrue(self, x):\n        pass\n\n    def test(self):\n        self.failUnless(1)\n";
        assert_eq!(renamed(src, &m), src);
    }
}
