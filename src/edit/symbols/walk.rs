//! The walk over a file's syntax tree that collects what each scope binds.

use tree_sitter::Node;

use super::file::{Binding, FileSymbols, MODULE_SCOPE};
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

pub(super) struct Builder<'a> {
    pub(super) src: &'a str,
    pub(super) module: &'a [String],
    /// The file is a package's `__init__.py`: relative imports start from the package itself.
    pub(super) is_package: bool,
    pub(super) out: &'a mut FileSymbols,
}

impl Builder<'_> {
    fn text(&self, n: Node) -> &str {
        &self.src[n.byte_range()]
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
