//! Classes and their bases: whether a class derives, directly or through other classes and
//! modules of the root, from a given class, for edits that apply only to methods of such classes
//! (`self.failUnless(...)` in subclasses of `unittest.TestCase`).

use std::collections::HashSet;

use tree_sitter::Node;

use super::file::{scope_chain, FileSymbols, Resolution};
use super::index::ModuleIndex;
use super::walk::{base_nodes, qualify};

/// A class statement of a file and what its bases resolve to from where it stands.
#[derive(Debug, Clone)]
pub(crate) struct ClassRecord {
    /// `pkg.mod.Class`, or `pkg.mod.Outer.Inner` for a class nested in a class; `None` for a
    /// class defined inside a function, which no other module can name.
    pub(super) qualified: Option<String>,
    /// The scope that binds the class's name, and the name.
    pub(super) scope: usize,
    pub(super) name: String,
    /// The scopes its bases are evaluated in, innermost first, for bases that are local classes.
    pub(super) chain: Vec<usize>,
    /// Each base as written (a dotted name) and what it resolves to from the class statement.
    pub(super) bases: Vec<(String, Resolution)>,
}

/// How many classes one question visits before it gives up (hierarchies are far smaller; a
/// bound keeps a pathological tree from costing more than a few module parses).
const MAX_CLASSES: usize = 256;

impl FileSymbols {
    /// Whether `class` (a `class_definition` node of this file) is `target` (a qualified class
    /// name) or derives from it: its bases are resolved from where the class stands, then
    /// followed through `modules`. This file's own classes are taken from this file.
    pub(crate) fn derives_from<'s>(
        &self,
        class: Node,
        text: &dyn Fn(Node) -> &'s str,
        modules: &ModuleIndex,
        target: &str,
    ) -> bool {
        if class.kind() != "class_definition" {
            return false;
        }
        let chain = scope_chain(class);
        let mut start = Vec::new();
        let mut local = Vec::new();
        for base in base_nodes(class) {
            match self.explain(base, text, modules) {
                Resolution::Qualified(q) => start.push(q),
                Resolution::Local if base.kind() == "identifier" => {
                    local.push((chain.clone(), text(base).to_string()));
                }
                _ => {}
            }
        }
        self.expand_local_bases(local, &mut start, modules);
        start.extend(self.qualified_class(class, text));
        modules.derives(start, target, Some(self))
    }

    /// Follows bases that are classes local to a function (`class Bar(Foo)` after `class Foo` in
    /// the same test method) through this file's records, adding the qualified bases they lead to
    /// to `start`. A local name counts only when its scope binds it once, to a class.
    fn expand_local_bases(
        &self,
        mut local: Vec<(Vec<usize>, String)>,
        start: &mut Vec<String>,
        modules: &ModuleIndex,
    ) {
        let mut seen = HashSet::new();
        while let Some((chain, name)) = local.pop() {
            let Some(scope) = chain.iter().copied().find(|s| {
                self.scopes
                    .get(s)
                    .is_some_and(|names| names.contains_key(&name))
            }) else {
                continue;
            };
            let is_single = self.scopes[&scope][&name].len() == 1;
            if !is_single || seen.len() >= MAX_CLASSES || !seen.insert((scope, name.clone())) {
                continue;
            }
            let records = self
                .classes
                .iter()
                .filter(|c| c.scope == scope && c.name == name);
            for record in records {
                for (written, base) in &record.bases {
                    match base {
                        Resolution::Local if !written.contains('.') => {
                            local.push((record.chain.clone(), written.clone()));
                        }
                        other => start.extend(modules.base_name(other)),
                    }
                }
            }
        }
    }

    /// The qualified name of a class defined at module level or nested in such classes.
    fn qualified_class<'s>(&self, class: Node, text: &dyn Fn(Node) -> &'s str) -> Option<String> {
        let mut names = vec![text(class.child_by_field_name("name")?)];
        let mut at = class.parent();
        while let Some(n) = at {
            match n.kind() {
                "class_definition" => names.push(text(n.child_by_field_name("name")?)),
                "function_definition" | "lambda" => return None,
                _ => {}
            }
            at = n.parent();
        }
        names.reverse();
        Some(qualify(&self.module, &names.join(".")))
    }
}

/// The class whose body holds `node`, through the methods and functions in between: the class
/// whose `self` a method's code refers to.
pub(crate) fn enclosing_class(node: Node) -> Option<Node> {
    let mut child = node;
    let mut at = node.parent();
    while let Some(n) = at {
        if n.kind() == "class_definition"
            && n.child_by_field_name("body")
                .is_some_and(|b| b.id() == child.id())
        {
            return Some(n);
        }
        child = n;
        at = n.parent();
    }
    None
}

impl ModuleIndex {
    /// Whether the class named `class` (qualified, as a file in the root would import it) is
    /// `target` or derives from it, following bases through the modules of the root.
    // `in_class` asks from a class node (`FileSymbols::derives_from`); only the tests ask by name.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn derives_from(&self, class: &str, target: &str) -> bool {
        self.derives(vec![class.to_string()], target, None)
    }

    /// Walks the hierarchy up from `start`; `local` is the file the question is asked from, whose
    /// current content stands in for what the index would read of it.
    pub(super) fn derives(
        &self,
        start: Vec<String>,
        target: &str,
        local: Option<&FileSymbols>,
    ) -> bool {
        let target_canonical = self.canonical(target);
        let mut seen = HashSet::new();
        let mut stack = start;
        while let Some(class) = stack.pop() {
            if seen.len() >= MAX_CLASSES {
                break;
            }
            let canonical = self.canonical(&class);
            if class == target || canonical == target_canonical {
                return true;
            }
            if seen.insert(canonical.clone()) {
                stack.extend(self.bases_of(&canonical, local));
            }
        }
        false
    }

    /// The qualified names of the bases of every class statement that defines `class` (a module
    /// may define a class in both branches of an `if`); none when it is not a class of the root.
    fn bases_of(&self, class: &str, local: Option<&FileSymbols>) -> Vec<String> {
        let parts: Vec<&str> = class.split('.').collect();
        for split in (1..parts.len()).rev() {
            let module = parts[..split].join(".");
            let found;
            let symbols = match local {
                Some(l) if l.module == module => l,
                _ => match self.module(&module) {
                    Some(s) => {
                        found = s;
                        &*found
                    }
                    None => continue,
                },
            };
            return symbols
                .classes
                .iter()
                .filter(|c| c.qualified.as_deref() == Some(class))
                .flat_map(|c| c.bases.iter())
                .filter_map(|(_, base)| self.base_name(base))
                .collect();
        }
        Vec::new()
    }

    /// A base's qualified name; names a module binds several ways count when they are one class.
    fn base_name(&self, base: &Resolution) -> Option<String> {
        match base {
            Resolution::Qualified(q) => Some(q.clone()),
            Resolution::Conflicting(names) => {
                let first = self.canonical(names.first()?);
                names[1..]
                    .iter()
                    .all(|n| self.canonical(n) == first)
                    .then_some(first)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use super::super::testing::{index_of, index_over, snippet_under, stdlib_root, Snippet};
    use super::*;
    // Through the folder's re-export, as the engine imports it.
    use crate::edit::symbols::enclosing_class;
    use crate::tree::paths::RelPath;

    const TREE: &[(&str, &str)] = &[
        ("tests/__init__.py", "from .base import Base as ReBase\n"),
        (
            "tests/base.py",
            "import unittest\nfrom unittest import TestCase as TC\n\n\nclass Base(unittest.TestCase):\n    pass\n\n\nclass Aliased(TC):\n    pass\n\n\nclass Plain:\n    pass\n\n\nclass Outer:\n    class Inner(TC):\n        pass\n",
        ),
        (
            "tests/mixins.py",
            "from tests import ReBase\n\n\nclass Mixin(object):\n    pass\n\n\nclass Mid(Mixin, ReBase):\n    pass\n",
        ),
        (
            "tests/cycle_a.py",
            "from .cycle_b import B\n\n\nclass A(B):\n    pass\n",
        ),
        (
            "tests/cycle_b.py",
            "from .cycle_a import A\n\n\nclass B(A):\n    pass\n",
        ),
        (
            "tests/compat.py",
            "try:\n    from unittest import TestCase\nexcept ImportError:\n    TestCase = object\n\n\nclass Compat(TestCase):\n    pass\n",
        ),
        (
            "tests/generic.py",
            "from typing import Generic\nfrom .base import Base\n\n\nclass G(Base[int], Generic[T], metaclass=Meta):\n    pass\n",
        ),
    ];

    const TEST_FILE: &str = "import unittest\nfrom tests.mixins import Mid\nfrom tests import cycle_a\nfrom tests.generic import G as Gen\n\n\nclass Local(unittest.TestCase):\n    def test_it(self):\n        self.failUnless(True)\n\n\nclass ViaLocal(Local):\n    pass\n\n\nclass ViaModules(Mid):\n    pass\n\n\nclass Cyclic(cycle_a.A):\n    pass\n\n\nclass ViaGeneric(Gen):\n    pass\n\n\nclass NotATest(dict):\n    pass\n\n\ndef factory():\n    class InFunction(Local):\n        pass\n\n    class InFunctionToo(unittest.TestCase):\n        pass\n\n\ndef chains():\n    class First(unittest.TestCase):\n        pass\n\n    class Second(First):\n        pass\n\n    class Third(Second):\n        pass\n\n    Maybe = dict\n    if X:\n        class Maybe(unittest.TestCase):\n            pass\n\n    class Unsure(Maybe):\n        pass\n";

    #[test]
    fn classes_derive_through_files_modules_and_reexports() {
        let modules = index_of(TREE);
        let file = Snippet::new(TEST_FILE, "tests/test_x.py");
        let derives = |name: &str| {
            file.symbols.derives_from(
                file.class(name),
                &file.text(),
                &modules,
                "unittest.TestCase",
            )
        };
        for name in [
            "Local",
            "ViaLocal",
            "ViaModules",
            "ViaGeneric",
            "InFunction",
            "InFunctionToo",
            "Second",
            "Third",
        ] {
            assert!(derives(name), "{name}");
        }
        // `Maybe` is bound twice in its function: which class `Unsure` derives from is not known.
        for name in ["Cyclic", "NotATest", "Unsure"] {
            assert!(!derives(name), "{name}");
        }
        // A target inside the root, named as a test module would import it or where it is defined.
        let via = file.class("ViaModules");
        for target in ["tests.base.Base", "tests.ReBase", "tests.test_x.ViaModules"] {
            assert!(
                file.symbols
                    .derives_from(via, &file.text(), &modules, target),
                "{target}"
            );
        }
        assert!(!file
            .symbols
            .derives_from(via, &file.text(), &modules, "tests.base.Aliased"));
        // A node that is not a class derives from nothing.
        let call = file.node("self.failUnless");
        assert!(!file
            .symbols
            .derives_from(call, &file.text(), &modules, "unittest.TestCase"));
    }

    #[test]
    fn the_index_follows_qualified_class_names() {
        let modules = index_of(TREE);
        let derives = |class: &str| modules.derives_from(class, "unittest.TestCase");
        for class in [
            "tests.base.Base",
            "tests.base.Aliased",
            "tests.base.Outer.Inner",
            "tests.mixins.Mid",
            "tests.ReBase",
            "tests.compat.Compat",
            "tests.generic.G",
            "unittest.TestCase",
        ] {
            assert!(derives(class), "{class}");
        }
        for class in [
            "tests.base.Plain",
            "tests.base.Outer",
            "tests.mixins.Mixin",
            "tests.cycle_a.A",
            "tests.cycle_b.B",
            "tests.missing.Gone",
            "unittest.mock.Mock",
        ] {
            assert!(!derives(class), "{class}");
        }
    }

    #[test]
    fn the_class_around_a_method_call_is_found() {
        let file = Snippet::new(TEST_FILE, "tests/test_x.py");
        let call = file.node("self.failUnless");
        let class = enclosing_class(call).unwrap();
        assert_eq!(class.id(), file.class("Local").id());
        assert!(enclosing_class(file.node("factory")).is_none());
        // Code in a class defined inside a function belongs to that class.
        let last_pass = enclosing_class(file.node("pass")).unwrap();
        assert_eq!(last_pass.id(), file.class("Unsure").id());
    }

    #[test]
    fn threads_share_one_parse_of_each_module() {
        let reads: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let counted = reads.clone();
        let files: HashMap<&str, &str> = TREE.iter().copied().collect();
        let modules = ModuleIndex::new(Box::new(move |rel: &RelPath| {
            *counted
                .lock()
                .unwrap()
                .entry(rel.as_str().to_string())
                .or_default() += 1;
            files.get(rel.as_str()).map(|s| s.to_string())
        }));
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    assert!(modules.derives_from("tests.mixins.Mid", "unittest.TestCase"));
                    assert!(!modules.derives_from("tests.cycle_a.A", "unittest.TestCase"));
                });
            }
        });
        let reads = reads.lock().unwrap();
        assert!(reads.contains_key("tests/base.py"));
        assert!(reads.values().all(|n| *n == 1), "{reads:?}");
    }

    #[test]
    fn standard_library_test_cases_are_recognised() {
        let root = stdlib_root();
        let modules = index_over(root.clone());
        let target = "unittest.TestCase";
        // Re-exported by `unittest/__init__.py`, subclassed in `unittest/async_case.py`.
        assert!(modules.derives_from("unittest.TestCase", "unittest.case.TestCase"));
        assert!(modules.derives_from("unittest.async_case.IsolatedAsyncioTestCase", target));
        assert!(!modules.derives_from("unittest.mock.Mock", target));
        // `class Bar(Foo)` next to `class Foo(unittest.TestCase)` in the body of `class Test`.
        let case = snippet_under(&root, "unittest/test/test_case.py").unwrap();
        let bar = case.class("Bar");
        assert!(case
            .symbols
            .derives_from(bar, &case.text(), &modules, target));
        assert!(modules.derives_from("unittest.test.test_case.Test.Bar", target));
        // `class TestMessageAPI(TestEmailBase)`, the base defined in the package's `__init__.py`.
        if let Some(file) = snippet_under(&root, "test/test_email/test_email.py") {
            let class = file.class("TestMessageAPI");
            assert!(file
                .symbols
                .derives_from(class, &file.text(), &modules, target));
        }
        // In `unittest/test/`, every class written `(unittest.TestCase)` derives from it, and so
        // do classes deriving from those or from the tests' support classes; plain classes do not.
        let tests = root.join("unittest/test");
        let mut entries: Vec<_> = std::fs::read_dir(&tests)
            .expect("the standard library has unittest/test")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".py"))
            .collect();
        entries.sort();
        let (mut written, mut derived, mut plain) = (0, 0, 0);
        for name in entries {
            let file = snippet_under(&root, &format!("unittest/test/{name}")).unwrap();
            let mut stack = vec![file.tree.root_node()];
            while let Some(n) = stack.pop() {
                if n.kind() == "class_definition" {
                    let bases = n
                        .child_by_field_name("superclasses")
                        .map(|b| file.text()(b).to_string());
                    let derives = file.symbols.derives_from(n, &file.text(), &modules, target);
                    if bases.as_deref() == Some("(unittest.TestCase)") {
                        written += 1;
                        assert!(
                            derives,
                            "{name}: {}",
                            file.text()(n).lines().next().unwrap()
                        );
                    }
                    if bases.is_none() || bases.as_deref() == Some("(object)") {
                        plain += 1;
                        assert!(
                            !derives,
                            "{name}: {}",
                            file.text()(n).lines().next().unwrap()
                        );
                    }
                    derived += usize::from(derives);
                }
                let mut cursor = n.walk();
                stack.extend(n.children(&mut cursor));
            }
        }
        assert!(
            written > 50 && derived > written && plain > 0,
            "{written} {derived} {plain}"
        );
    }
}
