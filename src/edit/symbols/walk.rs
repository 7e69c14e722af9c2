//! The walk over a file's syntax tree that collects what each scope binds, which classes it
//! defines on which bases, and which names `importlib` calls bind to modules.

use std::collections::{HashMap, HashSet};

use tree_sitter::Node;

use super::file::{scope_chain, Binding, FileSymbols, MODULE_SCOPE};
use crate::tree::paths::RelPath;

/// `a/b/c.py` → `["a", "b", "c"]`; `a/b/__init__.py` → `["a", "b"]`.
pub(super) fn module_of(rel: &RelPath) -> Vec<String> {
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

pub(super) fn is_package(rel: &RelPath) -> bool {
    rel.as_str().ends_with("/__init__.py") || rel.as_str() == "__init__.py"
}

/// `prefix.name`, or `name` alone for the root's own `__init__.py` (whose module has no name).
pub(super) fn qualify(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// A class statement as the walk meets it; its bases are resolved once every binding is known.
pub(super) struct ClassSite {
    /// The class's qualified name when it has one (module level, or nested in such a class).
    pub(super) qualified: Option<String>,
    /// The scope that binds its name, and the name.
    pub(super) scope: usize,
    pub(super) name: String,
    /// The scopes its base expressions are evaluated in, innermost first.
    pub(super) chain: Vec<usize>,
    /// Its bases as dotted names (`unittest.TestCase`); other base expressions are left out.
    pub(super) bases: Vec<String>,
}

/// `name = importlib.import_module("a.b")` as the walk meets it: whether the call is really
/// `importlib`'s is known only once every binding of the file is.
pub(super) struct ImportCall {
    pub(super) scope: usize,
    pub(super) name: String,
    /// Which of the name's bindings in `scope` stands for this call until it is settled.
    pub(super) slot: usize,
    pub(super) chain: Vec<usize>,
    /// The called function as a dotted name (`importlib.import_module`, `__import__`).
    pub(super) function: String,
    /// The module the call imports.
    pub(super) module: String,
    /// Whether the call passes a non-empty `fromlist`: `__import__` without one returns the
    /// top-level package, not the module.
    pub(super) has_fromlist: bool,
}

pub(super) struct Builder<'a> {
    pub(super) src: &'a str,
    pub(super) module: &'a [String],
    /// The file is a package's `__init__.py`: relative imports start from the package itself.
    pub(super) is_package: bool,
    pub(super) out: &'a mut FileSymbols,
    /// Qualified names of the scopes that have one: the module, and classes nested in it.
    pub(super) qualified_scopes: HashMap<usize, String>,
    /// Every binding made so far, as (scope, name): a `try` body's bindings are what it adds here.
    pub(super) log: Vec<(usize, String)>,
    /// For each `except ImportError` handler being walked, its scope and the names its `try`
    /// body binds there: rebinding one of them in the handler is a fallback, not a new meaning.
    pub(super) fallbacks: Vec<(usize, HashSet<String>)>,
    pub(super) classes: Vec<ClassSite>,
    pub(super) import_calls: Vec<ImportCall>,
    /// The definitions whose bodies the walk is in, outermost first, and whether each is a class:
    /// the scope chain at the walk's position, kept here because asking the tree for a node's
    /// ancestors costs a descent from the root each time.
    pub(super) enclosing: Vec<(usize, bool)>,
}

impl<'a> Builder<'a> {
    pub(super) fn new(
        src: &'a str,
        rel: &RelPath,
        module: &'a [String],
        out: &'a mut FileSymbols,
    ) -> Builder<'a> {
        Builder {
            src,
            module,
            is_package: is_package(rel),
            out,
            qualified_scopes: HashMap::from([(MODULE_SCOPE, module.join("."))]),
            log: Vec::new(),
            fallbacks: Vec::new(),
            classes: Vec::new(),
            import_calls: Vec::new(),
            enclosing: Vec::new(),
        }
    }

    /// The scopes a name at the walk's position (`node`) sees, innermost first, as
    /// [`scope_chain`] computes them from the tree: the innermost definition, the functions
    /// around it, the module.
    fn chain_at(&self, node: Node) -> Vec<usize> {
        let mut chain = Vec::new();
        for (i, (scope, is_class)) in self.enclosing.iter().rev().enumerate() {
            // A class body is a scope only for code directly in it, not for its methods.
            if i == 0 || !is_class {
                chain.push(*scope);
            }
        }
        chain.push(MODULE_SCOPE);
        // The tests' walks over real files check the shortcut against the tree.
        if cfg!(test) {
            assert_eq!(chain, scope_chain(node));
        }
        chain
    }

    fn text(&self, n: Node) -> &'a str {
        &self.src[n.byte_range()]
    }

    /// Records one binding; inside an import fallback a name the `try` body bound is recorded as
    /// the fallback it is. Returns the binding's index among the name's bindings in `scope`.
    fn bind(&mut self, scope: usize, name: &str, binding: Binding) -> usize {
        let is_fallback = self
            .fallbacks
            .iter()
            .any(|(s, names)| *s == scope && names.contains(name));
        let binding = if is_fallback {
            Binding::Fallback
        } else {
            binding
        };
        self.log.push((scope, name.to_string()));
        self.out.bind(scope, name, binding)
    }

    pub(super) fn walk(&mut self, node: Node, scope: usize) {
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
                self.definition(node, scope);
                return;
            }
            "try_statement" => {
                self.try_statement(node, scope);
                return;
            }
            "except_clause" => {
                if let Some(alias) = node.child_by_field_name("alias") {
                    self.bind_targets(alias, scope);
                }
            }
            "assignment" => {
                if let Some(left) = node.child_by_field_name("left") {
                    if !self.import_call(node, left, scope) {
                        self.bind_targets(left, scope);
                    }
                }
            }
            "augmented_assignment" | "for_statement" | "for_in_clause" => {
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

    /// A `def` or `class`: its name is bound where it stands, its body is a scope of its own.
    fn definition(&mut self, node: Node, scope: usize) {
        let is_class = node.kind() == "class_definition";
        let inner = node.id();
        if let Some(name) = node.child_by_field_name("name") {
            let name = self.text(name);
            let qualified = self.qualified_scopes.get(&scope).map(|q| qualify(q, name));
            let binding = match &qualified {
                Some(q) => Binding::Qualified(q.clone()),
                None => Binding::Local,
            };
            self.bind(scope, name, binding);
            if is_class {
                if let Some(q) = &qualified {
                    self.qualified_scopes.insert(inner, q.clone());
                }
                let bases = self.base_names(node);
                self.classes.push(ClassSite {
                    qualified,
                    scope,
                    name: name.to_string(),
                    chain: self.chain_at(node),
                    bases,
                });
            }
        }
        if let Some(params) = node.child_by_field_name("parameters") {
            self.bind_targets(params, inner);
        }
        let body = node.child_by_field_name("body").map(|b| b.id());
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            if Some(child.id()) == body {
                self.enclosing.push((inner, is_class));
                self.walk(child, inner);
                self.enclosing.pop();
            } else if child.kind() != "parameters" {
                self.walk(child, scope);
            }
        }
    }

    /// The dotted names among a class's bases (see [`base_nodes`]).
    fn base_names(&self, class: Node) -> Vec<String> {
        base_nodes(class)
            .into_iter()
            .map(|base| dotted(self.text(base)))
            .collect()
    }

    /// A `try` whose `except ImportError` handlers rebind what its body imports: the body's
    /// bindings stand, the handlers' rebindings of the same names are fallbacks.
    fn try_statement(&mut self, node: Node, scope: usize) {
        let body = node.child_by_field_name("body");
        let mark = self.log.len();
        if let Some(body) = body {
            self.walk(body, scope);
        }
        let bound: HashSet<String> = self.log[mark..]
            .iter()
            .filter(|(s, _)| *s == scope)
            .map(|(_, n)| n.clone())
            .collect();
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            if Some(child.id()) == body.map(|b| b.id()) {
                continue;
            }
            let is_fallback = child.kind() == "except_clause"
                && child
                    .child_by_field_name("value")
                    .is_some_and(|v| self.catches_import_error(v));
            if is_fallback {
                self.fallbacks.push((scope, bound.clone()));
                self.walk(child, scope);
                self.fallbacks.pop();
            } else {
                self.walk(child, scope);
            }
        }
    }

    /// Whether an `except` clause's type names `ImportError` or `ModuleNotFoundError`, alone or
    /// in a tuple (`except (ImportError, AttributeError) as e`).
    fn catches_import_error(&self, value: Node) -> bool {
        match value.kind() {
            "identifier" | "attribute" => {
                let text = dotted(self.text(value));
                let last = text.rsplit('.').next().unwrap_or(&text);
                matches!(last, "ImportError" | "ModuleNotFoundError")
            }
            "tuple" | "parenthesized_expression" => {
                let mut cursor = value.walk();
                let kids: Vec<Node> = value.named_children(&mut cursor).collect();
                kids.into_iter().any(|k| self.catches_import_error(k))
            }
            // The grammar reads `except (A, B) as e` as the pattern `(A, B) as e`.
            "as_pattern" => value
                .named_child(0)
                .is_some_and(|k| self.catches_import_error(k)),
            _ => false,
        }
    }

    /// `NAME = F("a.b", ...)`, a call of a name with a module name as its first argument: binds
    /// `NAME` to a slot that is settled once every binding of the file is known, when it is clear
    /// whether `F` is `importlib.import_module` (under any alias) or the builtin `__import__`.
    /// Returns false, binding nothing, for other assignments.
    fn import_call(&mut self, assignment: Node, left: Node, scope: usize) -> bool {
        let Some(right) = assignment.child_by_field_name("right") else {
            return false;
        };
        if left.kind() != "identifier" || right.kind() != "call" {
            return false;
        }
        let (Some(function), Some(args)) = (
            right.child_by_field_name("function"),
            right.child_by_field_name("arguments"),
        ) else {
            return false;
        };
        if !is_dotted_name(function) || args.kind() != "argument_list" {
            return false;
        }
        let function = dotted(self.text(function));
        let mut cursor = args.walk();
        let args: Vec<Node> = args.named_children(&mut cursor).collect();
        let Some(module) = args.first().and_then(|a| self.string_literal(*a)) else {
            return false;
        };
        // A relative name needs the `package` argument's value, which is not known here.
        let is_absolute = module
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '_'));
        if !is_absolute {
            return false;
        }
        let has_fromlist = has_fromlist(&args, self.src);
        let name = self.text(left).to_string();
        let slot = self.bind(scope, &name, Binding::Local);
        self.import_calls.push(ImportCall {
            scope,
            name,
            slot,
            chain: self.chain_at(assignment),
            function,
            module,
            has_fromlist,
        });
        true
    }

    /// The value of a plain string literal (no f-string, no escapes, no concatenation).
    fn string_literal(&self, node: Node) -> Option<String> {
        if node.kind() != "string" {
            return None;
        }
        let mut cursor = node.walk();
        let mut content = String::new();
        for child in node.named_children(&mut cursor) {
            match child.kind() {
                "string_start" => {
                    let start = self.text(child);
                    if start.chars().any(|c| matches!(c, 'f' | 'F' | 'b' | 'B')) {
                        return None;
                    }
                }
                "string_content" => content.push_str(self.text(child)),
                "string_end" => {}
                _ => return None,
            }
        }
        Some(content)
    }

    /// Binds every identifier of an assignment target or parameter list as a local name.
    fn bind_targets(&mut self, node: Node, scope: usize) {
        match node.kind() {
            "identifier" => {
                let name = self.text(node);
                self.bind(scope, name, Binding::Local);
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
                let full = dotted(self.text(name));
                let first = full.split('.').next().unwrap_or(&full).to_string();
                self.bind(scope, &first, Binding::Qualified(first.clone()));
            }
            "aliased_import" => {
                let (Some(target), Some(alias)) = (
                    name.child_by_field_name("name"),
                    name.child_by_field_name("alias"),
                ) else {
                    return;
                };
                let target = dotted(self.text(target));
                let alias = self.text(alias);
                self.bind(scope, alias, Binding::Qualified(target));
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
        if node
            .children(&mut cursor)
            .any(|c| c.kind() == "wildcard_import")
        {
            // Python allows `*` only at module level; the names it binds are not known here.
            if scope == MODULE_SCOPE {
                self.out.star_imports.push(base);
            }
            return;
        }
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
                Some(b) => Binding::Qualified(qualify(b, &target)),
                // A relative import that climbs above the root binds the name to something unknown.
                None => Binding::Outside,
            };
            self.bind(scope, &local, binding);
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

/// The bases of a class statement that are names: `Base`, `unittest.TestCase`, and `Generic[T]`'s
/// `Generic`. Keyword arguments (`metaclass=`) and computed bases are not bases to follow.
pub(super) fn base_nodes(class: Node) -> Vec<Node> {
    let Some(list) = class.child_by_field_name("superclasses") else {
        return Vec::new();
    };
    let mut cursor = list.walk();
    list.named_children(&mut cursor)
        .filter_map(|base| match base.kind() {
            "subscript" => base.child_by_field_name("value"),
            _ => Some(base),
        })
        .filter(|base| is_dotted_name(*base))
        .collect()
}

/// Whether `node` is a name or a chain of attributes on a name (`a`, `a.b.c`).
pub(super) fn is_dotted_name(node: Node) -> bool {
    match node.kind() {
        "identifier" => true,
        "attribute" => node
            .child_by_field_name("object")
            .is_some_and(is_dotted_name),
        _ => false,
    }
}

/// Whether `__import__`'s arguments carry a non-empty `fromlist` (its fourth argument).
fn has_fromlist(args: &[Node], src: &str) -> bool {
    let is_empty = |n: Node| matches!(&src[n.byte_range()], "[]" | "()" | "None" | "''" | "\"\"");
    let keyword = args.iter().find_map(|a| {
        (a.kind() == "keyword_argument"
            && a.child_by_field_name("name")
                .is_some_and(|n| &src[n.byte_range()] == "fromlist"))
        .then(|| a.child_by_field_name("value"))
        .flatten()
    });
    let positional = args
        .iter()
        .take_while(|a| a.kind() != "keyword_argument")
        .nth(3)
        .copied();
    keyword.or(positional).is_some_and(|v| !is_empty(v))
}

/// A dotted name without the spaces or comments Python allows around its dots.
pub(super) fn dotted(text: &str) -> String {
    text.split('.')
        .map(|p| p.trim())
        .collect::<Vec<_>>()
        .join(".")
}
