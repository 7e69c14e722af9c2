//! What a name in a Python file refers to, from the file's imports: the part of symbol-aware
//! matching that turns `factory()` or `wm.get_websocket_manager()` into a qualified name.
//!
//! Module names are file paths relative to the root (`app/websocket_core/websocket_manager.py` is
//! `app.websocket_core.websocket_manager`; a package is its `__init__.py`). Resolved:
//! `import a.b.c` (binds `a`), `import a.b.c as m`, `from a.b import f`, `from a.b import f as g`,
//! `from a import b` (then `b.f`), relative imports (`from .m import f`, `from ..pkg import m`),
//! module-level definitions (a function defined in the symbol's own module is the symbol), and
//! re-exports through a package's `__init__.py` or any module (`from .websocket_manager import f`
//! there makes `pkg.f` the same symbol). Not resolved: `from m import *`, `importlib` and other
//! dynamic imports, names assigned from expressions (`factory = get_websocket_manager`), and
//! modules outside the root.
//!
//! Scopes follow Python's rules closely enough to be safe: a name bound anywhere in a function
//! (parameter, assignment, local `def`, local import) is local to the whole function; class bodies
//! do not enclose their methods; a name bound in one scope to two different things resolves to
//! neither, so a module-level `def` of the same name shadows an import of it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tree_sitter::Node;

use super::python;
use crate::tree::paths::RelPath;

/// What one binding of a name refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Binding {
    /// A qualified name: an import, or a definition at module level.
    Qualified(String),
    /// Anything else (parameter, assignment, local or class-level definition).
    Local,
}

/// The names each scope of a file binds. Scope 0 is the module; others are node ids of function
/// and class definitions.
#[derive(Debug, Default)]
pub(crate) struct FileSymbols {
    scopes: HashMap<usize, HashMap<String, Vec<Binding>>>,
}

const MODULE_SCOPE: usize = 0;

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
    fn exports(&self) -> HashMap<String, Option<String>> {
        self.scopes
            .get(&MODULE_SCOPE)
            .map(|s| s.iter().map(|(k, v)| (k.clone(), unique(v))).collect())
            .unwrap_or_default()
    }

    /// Whether any scope of the file binds `name` (an import, a definition, an assignment, a
    /// parameter...).
    pub(crate) fn binds_anywhere(&self, name: &str) -> bool {
        self.scopes.values().any(|s| s.contains_key(name))
    }

    /// What the module scope binds `name` to: `None` when it does not bind it, `Some(None)` when
    /// it binds it to something that is not one qualified name.
    pub(crate) fn module_binding(&self, name: &str) -> Option<Option<String>> {
        let bindings = self.scopes.get(&MODULE_SCOPE)?.get(name)?;
        Some(unique(bindings))
    }

    /// A name the module scope binds to exactly `qualified`, if one.
    pub(crate) fn module_name_for(&self, qualified: &str) -> Option<String> {
        let scope = self.scopes.get(&MODULE_SCOPE)?;
        let mut names: Vec<&String> = scope
            .iter()
            .filter(|(_, b)| unique(b).as_deref() == Some(qualified))
            .map(|(n, _)| n)
            .collect();
        names.sort();
        names.first().map(|n| n.to_string())
    }

    /// Whether the class defined at `class` derives from `base` (a qualified name) through the
    /// bases it names.
    pub(crate) fn class_derives_from<'s>(
        &self,
        class: Node,
        base: &str,
        text: &dyn Fn(Node) -> &'s str,
        modules: &ModuleIndex,
    ) -> bool {
        let Some(args) = class.child_by_field_name("superclasses") else {
            return false;
        };
        let mut cursor = args.walk();
        let found = args.named_children(&mut cursor).any(|b| {
            self.resolve(b, text)
                .is_some_and(|q| modules.same_symbol(&q, base))
        });
        found
    }

    fn bind(&mut self, scope: usize, name: &str, binding: Binding) {
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

/// `a/b/c.py` → `["a", "b", "c"]`; `a/b/__init__.py` → `["a", "b"]`.
fn module_of(rel: &RelPath) -> Vec<String> {
    let path = rel.as_str();
    let stem = path
        .strip_suffix(".py")
        .or_else(|| path.strip_suffix(".pyi"))
        .unwrap_or(path);
    let mut parts: Vec<String> = stem.split('/').map(str::to_string).collect();
    if parts.last().is_some_and(|p| p == "__init__") {
        parts.pop();
    }
    parts
}

fn is_package(rel: &RelPath) -> bool {
    rel.as_str().ends_with("/__init__.py") || rel.as_str() == "__init__.py"
}

struct Builder<'a> {
    src: &'a str,
    module: &'a [String],
    /// The file is a package's `__init__.py`: relative imports start from the package itself.
    is_package: bool,
    out: &'a mut FileSymbols,
}

impl Builder<'_> {
    fn text(&self, n: Node) -> &str {
        &self.src[n.byte_range()]
    }

    fn walk(&mut self, node: Node, scope: usize) {
        match node.kind() {
            "import_statement" => {
                let mut cursor = node.walk();
                for name in node.children_by_field_name("name", &mut cursor) {
                    self.import(name, scope);
                }
                return;
            }
            "import_from_statement" => {
                self.import_from(node, scope);
                return;
            }
            "function_definition" | "class_definition" => {
                if let Some(name) = node.child_by_field_name("name") {
                    let name = self.text(name).to_string();
                    let binding = if scope == MODULE_SCOPE {
                        Binding::Qualified(format!("{}.{name}", self.module.join(".")))
                    } else {
                        Binding::Local
                    };
                    self.out.bind(scope, &name, binding);
                }
                let inner = node.id();
                if let Some(params) = node.child_by_field_name("parameters") {
                    self.bind_targets(params, inner);
                }
                let mut cursor = node.walk();
                for child in node.children(&mut cursor) {
                    if node
                        .child_by_field_name("body")
                        .is_some_and(|b| b.id() == child.id())
                    {
                        self.walk(child, inner);
                    } else if child.kind() != "parameters" {
                        self.walk(child, scope);
                    }
                }
                return;
            }
            "assignment" | "augmented_assignment" | "for_statement" | "for_in_clause" => {
                if let Some(left) = node.child_by_field_name("left") {
                    self.bind_targets(left, scope);
                }
            }
            "named_expression" => {
                if let Some(name) = node.child_by_field_name("name") {
                    self.bind_targets(name, scope);
                }
            }
            "as_pattern" => {
                if let Some(alias) = node.child_by_field_name("alias") {
                    self.bind_targets(alias, scope);
                }
            }
            "global_statement" | "nonlocal_statement" => return,
            _ => {}
        }
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            self.walk(child, scope);
        }
    }

    /// Binds every identifier of an assignment target or parameter list as a local name.
    fn bind_targets(&mut self, node: Node, scope: usize) {
        match node.kind() {
            "identifier" => {
                let name = self.text(node).to_string();
                self.out.bind(scope, &name, Binding::Local);
            }
            // `obj.attr = ...` and `obj[i] = ...` bind no name; defaults and annotations are values.
            "attribute" | "subscript" | "type" => {}
            "default_parameter" | "typed_default_parameter" | "typed_parameter" => {
                if let Some(name) = node.child_by_field_name("name") {
                    self.bind_targets(name, scope);
                } else if let Some(first) = node.named_child(0) {
                    self.bind_targets(first, scope);
                }
            }
            _ => {
                let mut cursor = node.walk();
                let kids: Vec<Node> = node.named_children(&mut cursor).collect();
                for k in kids {
                    self.bind_targets(k, scope);
                }
            }
        }
    }

    /// `import a.b.c` binds `a`; `import a.b.c as m` binds `m` to `a.b.c`.
    fn import(&mut self, name: Node, scope: usize) {
        match name.kind() {
            "dotted_name" => {
                let full = self.text(name).to_string();
                let first = full.split('.').next().unwrap_or(&full).trim().to_string();
                self.out
                    .bind(scope, &first, Binding::Qualified(first.clone()));
            }
            "aliased_import" => {
                let (Some(target), Some(alias)) = (
                    name.child_by_field_name("name"),
                    name.child_by_field_name("alias"),
                ) else {
                    return;
                };
                let target = dotted(self.text(target));
                let alias = self.text(alias).to_string();
                self.out.bind(scope, &alias, Binding::Qualified(target));
            }
            _ => {}
        }
    }

    fn import_from(&mut self, node: Node, scope: usize) {
        let Some(module) = node.child_by_field_name("module_name") else {
            return;
        };
        let base = match module.kind() {
            "relative_import" => self.relative(module),
            _ => Some(dotted(self.text(module))),
        };
        let mut cursor = node.walk();
        for name in node.children_by_field_name("name", &mut cursor) {
            let (target, local) = match name.kind() {
                "aliased_import" => {
                    let (Some(t), Some(a)) = (
                        name.child_by_field_name("name"),
                        name.child_by_field_name("alias"),
                    ) else {
                        continue;
                    };
                    (dotted(self.text(t)), self.text(a).to_string())
                }
                _ => {
                    let t = dotted(self.text(name));
                    (t.clone(), t)
                }
            };
            let binding = match &base {
                Some(b) if b.is_empty() => Binding::Qualified(target),
                Some(b) => Binding::Qualified(format!("{b}.{target}")),
                // A relative import that climbs above the root binds the name to something unknown.
                None => Binding::Local,
            };
            self.out.bind(scope, &local, binding);
        }
    }

    /// The absolute module a relative import names, or `None` when it climbs above the root.
    fn relative(&self, node: Node) -> Option<String> {
        let text = self.text(node);
        let dots = text.chars().take_while(|c| *c == '.').count();
        let rest = dotted(&text[dots..]);
        // `self.module` is the module itself; its package is one component shorter unless the
        // file is a package's `__init__.py` (then the module is the package).
        let package_len = self
            .module
            .len()
            .checked_sub(usize::from(!self.is_package))?;
        let keep = package_len.checked_sub(dots - 1)?;
        let mut parts: Vec<&str> = self.module[..keep].iter().map(String::as_str).collect();
        if !rest.is_empty() {
            parts.push(&rest);
        }
        Some(parts.join("."))
    }
}

/// A dotted name without the spaces or comments Python allows around its dots.
fn dotted(text: &str) -> String {
    text.split('.')
        .map(|p| p.trim())
        .collect::<Vec<_>>()
        .join(".")
}

/// What a module binds at its top level: name → the qualified name it stands for, if one.
type Exports = Arc<HashMap<String, Option<String>>>;

/// Reads a module's source by its path relative to the root (`None` when absent or unreadable).
pub(crate) type ModuleReader = Box<dyn Fn(&RelPath) -> Option<String> + Send + Sync>;

/// Finds modules under the root and what they export, for following re-exports; shared by the
/// scan's threads, each module parsed at most once.
pub(crate) struct ModuleIndex {
    read: Option<ModuleReader>,
    exports: Mutex<HashMap<String, Option<Exports>>>,
    canonical: Mutex<HashMap<String, String>>,
}

impl std::fmt::Debug for ModuleIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModuleIndex").finish_non_exhaustive()
    }
}

/// How many re-exports are followed before a name is taken as it is (re-export cycles exist).
const MAX_REEXPORTS: usize = 8;

impl ModuleIndex {
    pub(crate) fn new(read: ModuleReader) -> ModuleIndex {
        ModuleIndex {
            read: Some(read),
            exports: Mutex::default(),
            canonical: Mutex::default(),
        }
    }

    /// An index that sees no other file: names resolve within their own file only.
    #[cfg(test)]
    pub(crate) fn detached() -> ModuleIndex {
        ModuleIndex {
            read: None,
            exports: Mutex::default(),
            canonical: Mutex::default(),
        }
    }

    /// Whether `resolved` (a name a file refers to) and `symbol` are the same definition.
    pub(crate) fn same_symbol(&self, resolved: &str, symbol: &str) -> bool {
        resolved == symbol || self.canonical(resolved) == self.canonical(symbol)
    }

    /// Follows re-exports until `name` is where it is defined (or cannot be followed further).
    fn canonical(&self, name: &str) -> String {
        if let Some(c) = self.lock_canonical().get(name) {
            return c.clone();
        }
        let mut current = name.to_string();
        for _ in 0..MAX_REEXPORTS {
            match self.step(&current) {
                Some(next) if next != current => current = next,
                _ => break,
            }
        }
        self.lock_canonical()
            .insert(name.to_string(), current.clone());
        current
    }

    fn lock_canonical(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.canonical.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One re-export step: the longest module prefix of `name` that exists decides.
    fn step(&self, name: &str) -> Option<String> {
        let parts: Vec<&str> = name.split('.').collect();
        for split in (1..parts.len()).rev() {
            let module = parts[..split].join(".");
            let Some(exports) = self.exports(&module) else {
                continue;
            };
            let target = exports.get(parts[split])?.clone()?;
            let rest = &parts[split + 1..];
            return Some(if rest.is_empty() {
                target
            } else {
                format!("{target}.{}", rest.join("."))
            });
        }
        None
    }

    fn exports(&self, module: &str) -> Option<Exports> {
        let read = self.read.as_ref()?;
        if let Some(e) = self
            .exports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(module)
        {
            return e.clone();
        }
        let base = module.replace('.', "/");
        let found = [format!("{base}/__init__.py"), format!("{base}.py")]
            .into_iter()
            .filter_map(|p| RelPath::parse(&p).ok())
            .find_map(|rel| read(&rel).map(|text| (rel, text)))
            .and_then(|(rel, text)| {
                let (tree, offset) = python::parse(&text)?;
                let symbols = FileSymbols::build(tree.root_node(), &text[offset..], &rel);
                Some(Arc::new(symbols.exports()))
            });
        self.exports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(module.to_string(), found.clone());
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn follows_reexports_through_packages() {
        let index = ModuleIndex::new(Box::new(|rel: &RelPath| match rel.as_str() {
            "app/core/__init__.py" => Some("from .wm import get as get\n".into()),
            "app/core/wm.py" => Some("def get():\n    pass\n".into()),
            _ => None,
        }));
        assert!(index.same_symbol("app.core.get", "app.core.wm.get"));
        assert!(!index.same_symbol("app.core.other", "app.core.wm.get"));
        assert!(!ModuleIndex::detached().same_symbol("app.core.get", "app.core.wm.get"));
    }
}
