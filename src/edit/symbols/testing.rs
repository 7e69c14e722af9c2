//! Test helpers: a Python snippet parsed with its symbols, and an index over in-memory modules.

use std::collections::HashMap;
use std::path::PathBuf;

use tree_sitter::{Node, Tree};

use super::file::{FileSymbols, Resolution};
use super::index::ModuleIndex;
use crate::edit::python;
use crate::tree::paths::RelPath;

/// A file parsed with its symbols, for asking what its expressions resolve to.
pub(super) struct Snippet {
    pub(super) src: String,
    pub(super) tree: Tree,
    pub(super) symbols: FileSymbols,
}

impl Snippet {
    pub(super) fn new(src: &str, rel: &str) -> Snippet {
        let rel = RelPath::parse(rel).unwrap();
        let (tree, _) = python::parse(src).unwrap();
        let symbols = FileSymbols::build(tree.root_node(), src, &rel);
        Snippet {
            src: src.to_string(),
            tree,
            symbols,
        }
    }

    /// The node that is exactly the last occurrence of `needle` in the source that is a node.
    pub(super) fn node(&self, needle: &str) -> Node<'_> {
        let root = self.tree.root_node();
        self.src
            .rmatch_indices(needle)
            .find_map(|(at, _)| {
                let range = at..at + needle.len();
                let mut node = root.descendant_for_byte_range(range.start, range.end)?;
                while node.byte_range() != range {
                    node = node.parent()?;
                }
                Some(node)
            })
            .unwrap_or_else(|| panic!("no node is `{needle}`"))
    }

    /// The `class_definition` of the class named `name` (its last definition).
    pub(super) fn class(&self, name: &str) -> Node<'_> {
        let mut found = None;
        let mut stack = vec![self.tree.root_node()];
        while let Some(n) = stack.pop() {
            let is_it = n.kind() == "class_definition"
                && n.child_by_field_name("name")
                    .is_some_and(|c| &self.src[c.byte_range()] == name);
            if is_it && found.is_none_or(|f: Node| f.start_byte() < n.start_byte()) {
                found = Some(n);
            }
            let mut cursor = n.walk();
            stack.extend(n.children(&mut cursor));
        }
        found.unwrap_or_else(|| panic!("no class `{name}`"))
    }

    pub(super) fn text<'s>(&'s self) -> impl Fn(Node) -> &'s str {
        |n| &self.src[n.byte_range()]
    }

    /// What the last occurrence of `needle` resolves to from this file alone.
    pub(super) fn resolve(&self, needle: &str) -> Option<String> {
        self.symbols.resolve(self.node(needle), &self.text())
    }

    /// Why the last occurrence of `needle` resolves as it does, through `modules`.
    pub(super) fn explain(&self, needle: &str, modules: &ModuleIndex) -> Resolution {
        self.symbols
            .explain(self.node(needle), &self.text(), modules)
    }
}

/// An index over the modules `files` holds (path → source).
pub(super) fn index_of(files: &[(&str, &str)]) -> ModuleIndex {
    let files: HashMap<String, String> = files
        .iter()
        .map(|(p, s)| (p.to_string(), s.to_string()))
        .collect();
    ModuleIndex::new(Box::new(move |rel: &RelPath| {
        files.get(rel.as_str()).cloned()
    }))
}

/// The running interpreter's standard library: real packages whose modules import each other.
pub(super) fn stdlib_root() -> PathBuf {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['stdlib'])",
        ])
        .output()
        .expect("python3 runs");
    PathBuf::from(String::from_utf8(out.stdout).expect("a UTF-8 path").trim())
}

/// An index over the files under `root`, read from the disk.
pub(super) fn index_over(root: PathBuf) -> ModuleIndex {
    ModuleIndex::new(Box::new(move |rel: &RelPath| {
        std::fs::read_to_string(root.join(rel.as_str())).ok()
    }))
}

/// The file at `rel` under `root`, parsed with its symbols (`None` when it is not there).
pub(super) fn snippet_under(root: &std::path::Path, rel: &str) -> Option<Snippet> {
    let src = std::fs::read_to_string(root.join(rel)).ok()?;
    Some(Snippet::new(&src, rel))
}
