//! A file's bindings per scope, and what a name at a node of the file resolves to through them.

use std::collections::HashMap;

use tree_sitter::Node;

use super::walk::{is_package, module_of, Builder};
use crate::tree::paths::RelPath;

/// What one binding of a name refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Binding {
    /// A qualified name: an import, or a definition at module level.
    Qualified(String),
    /// Anything else (parameter, assignment, local or class-level definition).
    Local,
}

/// The names each scope of a file binds. Scope 0 is the module; others are node ids of function
/// and class definitions.
#[derive(Debug, Default)]
pub(crate) struct FileSymbols {
    pub(super) scopes: HashMap<usize, HashMap<String, Vec<Binding>>>,
}

pub(super) const MODULE_SCOPE: usize = 0;

impl FileSymbols {
    /// Collects the bindings of the file at `rel` whose tree is `root` over `src`.
    pub(crate) fn build(root: Node, src: &str, rel: &RelPath) -> FileSymbols {
        let mut symbols = FileSymbols::default();
        let module = module_of(rel);
        let mut builder = Builder {
            src,
            module: &module,
            is_package: is_package(rel),
            out: &mut symbols,
        };
        builder.walk(root, MODULE_SCOPE);
        symbols
    }

    /// The qualified name `node` (an identifier or a dotted attribute chain) refers to.
    pub(crate) fn resolve<'s>(&self, node: Node, text: &dyn Fn(Node) -> &'s str) -> Option<String> {
        match node.kind() {
            "identifier" => self.lookup(text(node), node),
            "attribute" => {
                let object = node.child_by_field_name("object")?;
                let attr = node.child_by_field_name("attribute")?;
                let base = self.resolve(object, text)?;
                Some(format!("{base}.{}", text(attr)))
            }
            _ => None,
        }
    }

    /// The qualified name bound to `name` in the innermost scope around `at` that binds it.
    fn lookup(&self, name: &str, at: Node) -> Option<String> {
        for scope in scope_chain(at) {
            if let Some(bindings) = self.scopes.get(&scope).and_then(|s| s.get(name)) {
                return unique(bindings);
            }
        }
        None
    }

    /// Module-level bindings: what another module gets from `from this import NAME`.
    pub(super) fn exports(&self) -> HashMap<String, Option<String>> {
        self.scopes
            .get(&MODULE_SCOPE)
            .map(|s| s.iter().map(|(k, v)| (k.clone(), unique(v))).collect())
            .unwrap_or_default()
    }

    pub(super) fn bind(&mut self, scope: usize, name: &str, binding: Binding) {
        self.scopes
            .entry(scope)
            .or_default()
            .entry(name.to_string())
            .or_default()
            .push(binding);
    }
}

/// The single qualified name all `bindings` agree on.
fn unique(bindings: &[Binding]) -> Option<String> {
    let first = match bindings.first()? {
        Binding::Qualified(q) => q,
        Binding::Local => return None,
    };
    bindings
        .iter()
        .all(|b| matches!(b, Binding::Qualified(q) if q == first))
        .then(|| first.clone())
}

/// Scopes whose bindings a name at `node` can see, innermost first, ending with the module.
fn scope_chain(node: Node) -> Vec<usize> {
    let mut chain = Vec::new();
    let mut at = node.parent();
    let mut child = node;
    while let Some(n) = at {
        let in_body = n
            .child_by_field_name("body")
            .is_some_and(|b| b.id() == child.id());
        match n.kind() {
            // Defaults and decorators are evaluated outside the function; only its body is inside.
            "function_definition" if in_body => chain.push(n.id()),
            // A class body is a scope only for code directly in it, not for its methods.
            "class_definition" if in_body && chain.is_empty() => chain.push(n.id()),
            _ => {}
        }
        child = n;
        at = n.parent();
    }
    chain.push(MODULE_SCOPE);
    chain
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::python;

    /// What the last occurrence of `needle` (a whole expression) in `src` resolves to.
    fn resolve(src: &str, rel: &str, needle: &str) -> Option<String> {
        let rel = RelPath::parse(rel).unwrap();
        let (tree, _) = python::parse(src).unwrap();
        let symbols = FileSymbols::build(tree.root_node(), src, &rel);
        let at = src.rfind(needle).unwrap();
        let range = at..at + needle.len();
        let mut node = tree
            .root_node()
            .descendant_for_byte_range(range.start, range.end)
            .unwrap();
        while node.byte_range() != range {
            node = node.parent().unwrap();
        }
        symbols.resolve(node, &|n| &src[n.byte_range()])
    }

    #[test]
    fn resolves_imports_aliases_and_module_attributes() {
        let src = "import a.b.c\nimport a.b.c as m\nfrom a.b.c import f as g\nfrom a.b import c\n\nasync def t(self):\n    a.b.c.f()\n    m.f()\n    g()\n    c.f()\n    self.f()\n";
        let r = |n| resolve(src, "x/y.py", n);
        assert_eq!(r("a.b.c.f").as_deref(), Some("a.b.c.f"));
        assert_eq!(r("m.f").as_deref(), Some("a.b.c.f"));
        assert_eq!(r("g").as_deref(), Some("a.b.c.f"));
        assert_eq!(r("c.f").as_deref(), Some("a.b.c.f"));
        assert_eq!(r("self.f"), None);
    }

    #[test]
    fn resolves_relative_imports_from_modules_and_packages() {
        let src = "from .wm import f\nfrom ..core.wm import f as h\nfrom . import wm\n\nf\nh\nwm\n";
        assert_eq!(
            resolve(src, "app/core/user.py", "f").as_deref(),
            Some("app.core.wm.f")
        );
        assert_eq!(
            resolve(src, "app/core/user.py", "h").as_deref(),
            Some("app.core.wm.f")
        );
        assert_eq!(
            resolve(src, "app/core/user.py", "wm").as_deref(),
            Some("app.core.wm")
        );
        assert_eq!(
            resolve(src, "app/core/__init__.py", "f").as_deref(),
            Some("app.core.wm.f")
        );
        // Climbing above the root resolves to nothing.
        assert_eq!(resolve(src, "top.py", "h"), None);
    }

    #[test]
    fn local_definitions_and_parameters_shadow_imports() {
        let src = "from a import f\n\nasync def f():\n    pass\n\nf\n";
        assert_eq!(resolve(src, "x.py", "f"), None);
        let src = "from a import f\n\ndef t(f):\n    return f  # param\n";
        assert_eq!(resolve(src, "x.py", "f"), None);
        let src = "from a import f\n\nclass K:\n    def f(self):\n        pass\n\n    def g(self):\n        return f\n";
        // A method of the same name does not shadow the module's import for code in methods.
        assert_eq!(resolve(src, "x.py", "f").as_deref(), Some("a.f"));
    }
}
