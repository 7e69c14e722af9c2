//! A file's bindings per scope, and what a name at a node of the file resolves to through them.

use std::collections::HashMap;
use std::fmt;

use tree_sitter::Node;

use super::classes::ClassRecord;
use super::index::ModuleIndex;
use super::walk::{module_of, Builder, ImportCall};
use crate::tree::paths::RelPath;

/// What one binding of a name refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Binding {
    /// A qualified name: an import, a module bound by an `importlib` call, or a definition at
    /// module level (or in a class at module level).
    Qualified(String),
    /// Anything else (parameter, assignment, definition inside a function).
    Local,
    /// A relative import that climbs above the root.
    Outside,
    /// A rebinding, in an `except ImportError` handler, of a name its `try` body binds: what the
    /// name stands for when the import fails, which leaves what the code means by it unchanged.
    Fallback,
}

/// What a name at a node refers to, or why it refers to no qualified name: what a listing of the
/// sites a plan could not resolve says about each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resolution {
    /// The name stands for this qualified name.
    Qualified(String),
    /// The innermost scope that binds the name binds it locally: a parameter, an assignment from
    /// an expression, a definition inside a function, an `except ... as` name.
    Local,
    /// The scope binds the name to several qualified names that are not the same definition.
    Conflicting(Vec<String>),
    /// Nothing in the file binds the name (a builtin, or a name injected at run time).
    Unbound,
    /// Nothing in the file binds the name, but these modules' `from m import *` may.
    StarImport(Vec<String>),
    /// The name comes from a relative import that climbs above the root.
    Outside,
    /// The node is not a name or a chain of attributes on a name (`f().g`, `x[0].g`).
    NotAName,
}

impl Resolution {
    /// The qualified name, when the name resolved.
    pub(crate) fn qualified(self) -> Option<String> {
        match self {
            Resolution::Qualified(q) => Some(q),
            _ => None,
        }
    }

    /// `NAME.attr` for a resolved `NAME`; any other outcome carries over to the attribute.
    fn attribute(self, attr: &str) -> Resolution {
        match self {
            Resolution::Qualified(q) => Resolution::Qualified(format!("{q}.{attr}")),
            other => other,
        }
    }
}

impl fmt::Display for Resolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resolution::Qualified(q) => write!(f, "`{q}`"),
            Resolution::Local => f.write_str(
                "bound locally (a parameter, an assignment or a definition inside a function)",
            ),
            Resolution::Conflicting(names) => {
                let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
                write!(f, "bound to different things: {}", names.join(", "))
            }
            Resolution::Unbound => f.write_str("never bound in this file"),
            Resolution::StarImport(modules) if modules.is_empty() => {
                f.write_str("possibly bound by a star import")
            }
            Resolution::StarImport(modules) => {
                let modules: Vec<String> = modules
                    .iter()
                    .map(|m| format!("`from {m} import *`"))
                    .collect();
                write!(f, "possibly bound by {}", modules.join(" or "))
            }
            Resolution::Outside => f.write_str("imported from above the root"),
            Resolution::NotAName => f.write_str("not a name"),
        }
    }
}

/// The names each scope of a file binds. Scope 0 is the module; others are node ids of function
/// and class definitions.
#[derive(Debug, Default)]
pub(crate) struct FileSymbols {
    /// The file's module name (`app.core.wm`).
    pub(super) module: String,
    pub(super) scopes: HashMap<usize, HashMap<String, Vec<Binding>>>,
    /// The modules of the file's `from m import *` (`None`: a relative one above the root).
    pub(super) star_imports: Vec<Option<String>>,
    /// The file's classes with their bases, for following class hierarchies across modules.
    pub(super) classes: Vec<ClassRecord>,
}

pub(super) const MODULE_SCOPE: usize = 0;

impl FileSymbols {
    /// Collects the bindings of the file at `rel` whose tree is `root` over `src`.
    pub(crate) fn build(root: Node, src: &str, rel: &RelPath) -> FileSymbols {
        let module = module_of(rel);
        let mut symbols = FileSymbols {
            module: module.join("."),
            ..FileSymbols::default()
        };
        let mut builder = Builder::new(src, rel, &module, &mut symbols);
        builder.walk(root, MODULE_SCOPE);
        let classes = std::mem::take(&mut builder.classes);
        let calls = std::mem::take(&mut builder.import_calls);
        // Whether a call is `importlib`'s, and what a base class is, depend on bindings that may
        // come later in the file: both are settled once the walk has seen all of them.
        for call in calls {
            symbols.settle_import_call(call);
        }
        let classes = classes
            .into_iter()
            .map(|site| ClassRecord {
                bases: site
                    .bases
                    .into_iter()
                    .map(|base| {
                        let resolved = symbols.lookup_dotted(&site.chain, &base, None);
                        (base, resolved)
                    })
                    .collect(),
                qualified: site.qualified,
                scope: site.scope,
                name: site.name,
                chain: site.chain,
            })
            .collect();
        symbols.classes = classes;
        symbols
    }

    /// The qualified name `node` (an identifier or a dotted attribute chain) refers to, from this
    /// file alone: several bindings of a name must spell the same qualified name.
    pub(crate) fn resolve<'s>(&self, node: Node, text: &dyn Fn(Node) -> &'s str) -> Option<String> {
        self.explain_with(node, text, None).qualified()
    }

    /// Like [`FileSymbols::resolve`], and several bindings of a name that `modules` canonicalise
    /// to the same definition (a re-export and a direct import of it) resolve to that definition.
    pub(crate) fn resolve_in<'s>(
        &self,
        node: Node,
        text: &dyn Fn(Node) -> &'s str,
        modules: &ModuleIndex,
    ) -> Option<String> {
        self.explain_with(node, text, Some(modules)).qualified()
    }

    /// What `node` refers to, or why it refers to no qualified name; bindings are compared
    /// through `modules` as [`FileSymbols::resolve_in`] does.
    pub(crate) fn explain<'s>(
        &self,
        node: Node,
        text: &dyn Fn(Node) -> &'s str,
        modules: &ModuleIndex,
    ) -> Resolution {
        self.explain_with(node, text, Some(modules))
    }

    pub(super) fn explain_with<'s>(
        &self,
        node: Node,
        text: &dyn Fn(Node) -> &'s str,
        modules: Option<&ModuleIndex>,
    ) -> Resolution {
        match node.kind() {
            "identifier" => self.lookup_in(&scope_chain(node), text(node), modules),
            "attribute" => {
                let (Some(object), Some(attr)) = (
                    node.child_by_field_name("object"),
                    node.child_by_field_name("attribute"),
                ) else {
                    return Resolution::NotAName;
                };
                self.explain_with(object, text, modules)
                    .attribute(text(attr))
            }
            _ => Resolution::NotAName,
        }
    }

    /// What `name` means in the innermost of `chain`'s scopes that binds it.
    pub(super) fn lookup_in(
        &self,
        chain: &[usize],
        name: &str,
        modules: Option<&ModuleIndex>,
    ) -> Resolution {
        for scope in chain {
            if let Some(bindings) = self.scopes.get(scope).and_then(|s| s.get(name)) {
                let canonical = modules.map(|m| move |n: &str| m.canonical(n));
                return settle(
                    bindings,
                    canonical.as_ref().map(|c| c as &dyn Fn(&str) -> String),
                );
            }
        }
        if self.star_imports.is_empty() {
            Resolution::Unbound
        } else {
            Resolution::StarImport(self.star_imports.iter().flatten().cloned().collect())
        }
    }

    /// What a dotted name (`unittest.TestCase`) means seen from `chain`.
    pub(super) fn lookup_dotted(
        &self,
        chain: &[usize],
        dotted: &str,
        modules: Option<&ModuleIndex>,
    ) -> Resolution {
        let mut parts = dotted.split('.');
        let first = parts.next().unwrap_or(dotted);
        parts.fold(self.lookup_in(chain, first, modules), |r, attr| {
            r.attribute(attr)
        })
    }

    /// Whether any scope of the file binds `name` (an import, a definition, an assignment, a
    /// parameter...).
    pub(crate) fn binds_anywhere(&self, name: &str) -> bool {
        self.scopes.values().any(|s| s.contains_key(name))
    }

    /// The names some scope of the file binds to a qualified name whose last part is one of
    /// `lasts`, other than those parts themselves: the names the file imports them under.
    pub(crate) fn aliases_of(&self, lasts: &[String]) -> Vec<String> {
        let mut out: Vec<String> = self
            .scopes
            .values()
            .flat_map(|s| s.iter())
            .filter(|(name, bindings)| {
                !lasts.contains(name) && bindings.iter().any(|b| ends_with_one_of(b, lasts))
            })
            .map(|(name, _)| name.clone())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// What the module scope binds `name` to: `None` when it does not bind it, `Some(None)` when
    /// it binds it to something that is not one qualified name.
    pub(crate) fn module_binding(&self, name: &str) -> Option<Option<String>> {
        let bindings = self.scopes.get(&MODULE_SCOPE)?.get(name)?;
        Some(settle(bindings, None).qualified())
    }

    /// A name the module scope binds to exactly `qualified`, if one (the first in order).
    pub(crate) fn module_name_for(&self, qualified: &str) -> Option<String> {
        let scope = self.scopes.get(&MODULE_SCOPE)?;
        let mut names: Vec<&String> = scope
            .iter()
            .filter(|(_, b)| settle(b, None).qualified().as_deref() == Some(qualified))
            .map(|(n, _)| n)
            .collect();
        names.sort();
        names.first().map(|n| n.to_string())
    }

    /// Module-level bindings: what another module gets from `from this import NAME`.
    pub(super) fn exports(&self) -> Option<&HashMap<String, Vec<Binding>>> {
        self.scopes.get(&MODULE_SCOPE)
    }

    /// Records a binding; returns its index among the name's bindings in `scope`.
    pub(super) fn bind(&mut self, scope: usize, name: &str, binding: Binding) -> usize {
        let bindings = self
            .scopes
            .entry(scope)
            .or_default()
            .entry(name.to_string())
            .or_default();
        bindings.push(binding);
        bindings.len() - 1
    }

    /// Keeps only what other modules can see: the module's bindings and its classes.
    pub(super) fn retain_module_scope(&mut self) {
        self.scopes.retain(|scope, _| *scope == MODULE_SCOPE);
        self.classes.retain(|c| c.qualified.is_some());
    }

    /// Binds the name an `importlib` call was assigned to the module it imports, when the called
    /// function is `importlib.import_module` or the builtin `__import__`.
    fn settle_import_call(&mut self, call: ImportCall) {
        let function = self.lookup_dotted(&call.chain, &call.function, None);
        let is_dunder = match function {
            Resolution::Qualified(q) if q == "importlib.import_module" => false,
            Resolution::Qualified(q) if q == "builtins.__import__" => true,
            Resolution::Unbound if call.function == "__import__" => true,
            _ => return,
        };
        let module = if is_dunder && !call.has_fromlist {
            call.module.split('.').next().unwrap_or(&call.module)
        } else {
            &call.module
        };
        let slot = self
            .scopes
            .get_mut(&call.scope)
            .and_then(|s| s.get_mut(&call.name))
            .and_then(|b| b.get_mut(call.slot));
        // A fallback stays one: the call's module is not what the name means then.
        if let Some(slot @ Binding::Local) = slot {
            *slot = Binding::Qualified(module.to_string());
        }
    }
}

/// Whether `binding` is a qualified name whose last part is one of `lasts`.
fn ends_with_one_of(binding: &Binding, lasts: &[String]) -> bool {
    match binding {
        Binding::Qualified(q) => {
            let last = q.rsplit('.').next().unwrap_or(q);
            lasts.iter().any(|l| l == last)
        }
        _ => false,
    }
}

/// What a scope's bindings of one name amount to. Fallbacks do not count; any local binding
/// makes the name local; qualified names must agree, as spelled or, with `canonical` (which
/// follows re-exports to definitions), as definitions.
pub(super) fn settle(
    bindings: &[Binding],
    canonical: Option<&dyn Fn(&str) -> String>,
) -> Resolution {
    let mut names: Vec<&str> = Vec::new();
    let mut outside = false;
    for binding in bindings {
        match binding {
            Binding::Qualified(q) => {
                if !names.contains(&q.as_str()) {
                    names.push(q);
                }
            }
            Binding::Local => return Resolution::Local,
            Binding::Outside => outside = true,
            Binding::Fallback => {}
        }
    }
    match (names.as_slice(), outside) {
        ([], true) => Resolution::Outside,
        ([], false) => Resolution::Local,
        ([one], false) => Resolution::Qualified(one.to_string()),
        (many, _) => {
            let conflict = || Resolution::Conflicting(many.iter().map(|n| n.to_string()).collect());
            let Some(canonical) = canonical.filter(|_| !outside) else {
                return conflict();
            };
            let first = canonical(many[0]);
            if many[1..].iter().all(|n| canonical(n) == first) {
                Resolution::Qualified(first)
            } else {
                conflict()
            }
        }
    }
}

/// Scopes whose bindings a name at `node` can see, innermost first, ending with the module.
pub(super) fn scope_chain(node: Node) -> Vec<usize> {
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
    use super::super::testing::{index_of, index_over, snippet_under, stdlib_root, Snippet};
    use super::*;
    // Through the folder's re-export, as the engine imports it.
    use crate::edit::symbols::Resolution;

    fn resolve(src: &str, rel: &str, needle: &str) -> Option<String> {
        Snippet::new(src, rel).resolve(needle)
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
    fn an_import_with_a_fallback_resolves_to_the_import() {
        let call = "\n\ndef use(ctx):\n    return get_websocket_manager(ctx)\n";
        for fallback in [
            "get_websocket_manager = MagicMock",
            "get_websocket_manager = None",
            "def get_websocket_manager(ctx):\n        return None",
            "from tests.fakes import get_websocket_manager",
        ] {
            for handler in [
                "ImportError",
                "ModuleNotFoundError as error",
                "(ImportError, AttributeError) as e",
                "builtins.ImportError",
            ] {
                let src = format!("try:\n    from app.ws.manager import get_websocket_manager\nexcept {handler}:\n    {fallback}\n{call}");
                assert_eq!(
                    resolve(&src, "x.py", "get_websocket_manager").as_deref(),
                    Some("app.ws.manager.get_websocket_manager"),
                    "{src}"
                );
            }
        }
        // The same inside a function, and for `import x as y`.
        let src = "def f():\n    try:\n        import simplejson as json\n    except ImportError:\n        import json\n    return json.loads('1')\n";
        assert_eq!(
            resolve(src, "x.py", "json.loads").as_deref(),
            Some("simplejson.loads")
        );
        let src = "try:\n    import yaml.cyaml as fast\nexcept ImportError:\n    fast = None\n\nfast.load\n";
        assert_eq!(
            resolve(src, "x.py", "fast.load").as_deref(),
            Some("yaml.cyaml.load")
        );
    }

    #[test]
    fn other_handlers_and_later_rebindings_are_not_fallbacks() {
        // A handler for another error rebinds the name for real.
        let src = "try:\n    from a import f\nexcept ValueError:\n    f = None\n\nf\n";
        assert_eq!(resolve(src, "x.py", "f"), None);
        // So does a rebinding after the `try`, or in its `else` and `finally`.
        let src = "try:\n    from a import f\nexcept ImportError:\n    f = None\nf = wrap(f)\nf\n";
        assert_eq!(resolve(src, "x.py", "f"), None);
        let src = "try:\n    from a import f\nexcept ImportError:\n    pass\nelse:\n    f = 1\nf\n";
        assert_eq!(resolve(src, "x.py", "f"), None);
        // A handler's binding of a name the body does not bind is an ordinary binding.
        let src = "try:\n    from a import f\nexcept ImportError:\n    from b import g\ng\n";
        assert_eq!(resolve(src, "x.py", "g").as_deref(), Some("b.g"));
        // A function's `try` does not make the module's rebinding a fallback.
        let src = "from a import f\n\ndef t():\n    try:\n        from b import f\n    except ImportError:\n        pass\n\nf = 2\nf\n";
        assert_eq!(resolve(src, "x.py", "f"), None);
    }

    #[test]
    fn bindings_that_are_one_definition_through_a_reexport_resolve_to_it() {
        let modules = index_of(&[
            ("pkg/__init__.py", "from .wm import get_websocket_manager\n"),
            ("pkg/wm.py", "def get_websocket_manager():\n    pass\n"),
            ("pkg/other.py", "def get_websocket_manager():\n    pass\n"),
        ]);
        let src = "if FAST:\n    from pkg.wm import get_websocket_manager\nelse:\n    from pkg import get_websocket_manager\n\nget_websocket_manager()\n";
        let file = Snippet::new(src, "svc/use.py");
        let node = file.node("get_websocket_manager()").child(0).unwrap();
        assert_eq!(
            file.symbols
                .resolve_in(node, &file.text(), &modules)
                .as_deref(),
            Some("pkg.wm.get_websocket_manager")
        );
        // Without the index the spellings differ, so the name stays unresolved.
        assert_eq!(file.symbols.resolve(node, &file.text()), None);
        // Two different definitions are a conflict, and the listing says which.
        let src = "if FAST:\n    from pkg.other import get_websocket_manager\nelse:\n    from pkg import get_websocket_manager\n\nget_websocket_manager()\n";
        assert_eq!(
            Snippet::new(src, "svc/use.py").explain("get_websocket_manager", &modules),
            Resolution::Conflicting(vec![
                "pkg.other.get_websocket_manager".into(),
                "pkg.get_websocket_manager".into(),
            ])
        );
        // A module that binds a name both ways re-exports it too.
        let modules = index_of(&[
            ("pkg/__init__.py", "from .wm import get_websocket_manager\n"),
            ("pkg/wm.py", "def get_websocket_manager():\n    pass\n"),
            ("pkg/compat.py", "try:\n    from pkg.wm import get_websocket_manager\nexcept ImportError:\n    from pkg import get_websocket_manager\n"),
            ("pkg/both.py", "if X:\n    from pkg.wm import get_websocket_manager\nelse:\n    from pkg import get_websocket_manager\n"),
        ]);
        assert!(modules.same_symbol(
            "pkg.compat.get_websocket_manager",
            "pkg.wm.get_websocket_manager"
        ));
        assert!(modules.same_symbol(
            "pkg.both.get_websocket_manager",
            "pkg.wm.get_websocket_manager"
        ));
    }

    #[test]
    fn importlib_calls_with_a_literal_bind_the_module() {
        let src = "import importlib\nfrom importlib import import_module as im\n\nmodule = importlib.import_module(\"app.ws.manager\")\nother = im('app.other')\ntop = __import__(\"a.b\")\nsub = __import__(\"a.b\", fromlist=[\"c\"])\npos = __import__(\"a.b\", None, None, [\"c\"])\n\ndef f(name):\n    dynamic = importlib.import_module(name)\n    fstr = importlib.import_module(f\"app.{name}\")\n    rel = importlib.import_module(\".wm\", __package__)\n    return module.get_websocket_manager, other.f, top.b, sub.c, pos.c, dynamic.f, fstr.f, rel.f\n";
        let r = |n| resolve(src, "x.py", n);
        assert_eq!(
            r("module.get_websocket_manager").as_deref(),
            Some("app.ws.manager.get_websocket_manager")
        );
        assert_eq!(r("other.f").as_deref(), Some("app.other.f"));
        assert_eq!(r("top.b").as_deref(), Some("a.b"));
        assert_eq!(r("sub.c").as_deref(), Some("a.b.c"));
        assert_eq!(r("pos.c").as_deref(), Some("a.b.c"));
        assert_eq!(r("dynamic.f"), None);
        assert_eq!(r("fstr.f"), None);
        assert_eq!(r("rel.f"), None);
        // A function that only looks like `importlib`'s binds nothing.
        let src = "from mylib import import_module\n\nm = import_module('app.ws')\nm.f\n";
        assert_eq!(resolve(src, "x.py", "m.f"), None);
        let src = "def __import__(name):\n    pass\n\nm = __import__('app.ws')\nm.f\n";
        assert_eq!(resolve(src, "x.py", "m.f"), None);
    }

    #[test]
    fn explains_why_a_name_does_not_resolve() {
        let modules = ModuleIndex::detached();
        let src = "from .. import up\nfrom helpers import *\nfrom a import f\n\ndef t(param):\n    local = 1\n    return param, local, up, f, missing, f().g, self_made.attr\n";
        let file = Snippet::new(src, "top.py");
        let e = |n| file.explain(n, &modules);
        assert_eq!(e("param"), Resolution::Local);
        assert_eq!(e("local"), Resolution::Local);
        assert_eq!(e("up"), Resolution::Outside);
        assert_eq!(e("f"), Resolution::Qualified("a.f".into()));
        assert_eq!(e("missing"), Resolution::StarImport(vec!["helpers".into()]));
        assert_eq!(e("f().g"), Resolution::NotAName);
        assert_eq!(
            e("self_made.attr"),
            Resolution::StarImport(vec!["helpers".into()])
        );
        let file = Snippet::new("def t():\n    return missing\n", "x.py");
        assert_eq!(file.explain("missing", &modules), Resolution::Unbound);
        assert_eq!(Resolution::Unbound.to_string(), "never bound in this file");
        assert_eq!(
            Resolution::StarImport(vec!["helpers".into()]).to_string(),
            "possibly bound by `from helpers import *`"
        );
    }

    #[test]
    fn known_names_in_the_standard_library_resolve() {
        let root = stdlib_root();
        let modules = index_over(root.clone());
        let file = |rel: &str| snippet_under(&root, rel).unwrap_or_else(|| panic!("{rel}"));
        // `try: from org.python.core import PyStringMap` / `except ImportError: PyStringMap = None`
        let copy = file("copy.py");
        assert_eq!(
            copy.explain("PyStringMap.copy", &modules),
            Resolution::Qualified("org.python.core.PyStringMap.copy".into())
        );
        // `ccom = __import__("comtypes.server.inprocserver", globals(), locals(), ['*'])`
        let ctypes = file("ctypes/__init__.py");
        assert_eq!(
            ctypes.resolve("ccom.DllCanUnloadNow").as_deref(),
            Some("comtypes.server.inprocserver.DllCanUnloadNow")
        );
        // `json.decoder` binds its scanner through `try: from _json import ...` / `except ImportError`.
        let decoder = file("json/decoder.py");
        assert_eq!(
            decoder.resolve("c_scanstring").as_deref(),
            Some("_json.scanstring")
        );
        // The test helper named `import_module` is not `importlib`'s: the name stays local.
        if let Some(tty) = snippet_under(&root, "test/test_tty.py") {
            assert_eq!(tty.explain("termios", &modules), Resolution::Local);
        }
    }

    #[test]
    fn resolution_never_panics_on_real_files() {
        let root = stdlib_root();
        let modules = index_over(root.clone());
        let sample = std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/websocket-app"
        ));
        let (mut qualified, mut names) = (0, 0);
        for (path, src) in crate::edit::test_corpus::python_files(500_000) {
            let rel = path
                .strip_prefix(&root)
                .or_else(|_| path.strip_prefix(sample))
                .expect("corpus files come from the sample or the standard library");
            let rel = RelPath::parse(rel.to_str().unwrap()).unwrap();
            let (tree, offset) = crate::edit::python::parse(&src).unwrap();
            let src = &src[offset..];
            let symbols = FileSymbols::build(tree.root_node(), src, &rel);
            let text = |n: Node| &src[n.byte_range()];
            let mut stack = vec![tree.root_node()];
            while let Some(n) = stack.pop() {
                if matches!(n.kind(), "identifier" | "attribute") {
                    names += 1;
                    let explained = symbols.explain(n, &text, &modules);
                    let plain = symbols.resolve(n, &text);
                    // Comparing through the index only ever resolves more names, never others.
                    if let Some(q) = &plain {
                        assert_eq!(explained, Resolution::Qualified(q.clone()), "{rel:?}");
                    }
                    qualified += usize::from(matches!(explained, Resolution::Qualified(_)));
                }
                if n.kind() == "class_definition" {
                    symbols.derives_from(n, &text, &modules, "unittest.TestCase");
                }
                let mut cursor = n.walk();
                stack.extend(n.children(&mut cursor));
            }
        }
        assert!(
            names > 5_000 && qualified > names / 20,
            "{qualified} of {names}"
        );
    }
}
