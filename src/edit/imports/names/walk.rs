//! The walk of a syntax tree that collects which names a file binds, uses, mentions in string
//! annotations and type comments, and exports through `__all__` (see [`Names`]).

use std::ops::Range;

use tree_sitter::Node;

use super::Names;

/// How the walk reads a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// An expression or statement: identifiers are references.
    Load,
    /// An assignment target: bare identifiers are bound, the rest is read.
    Target,
    /// A parameter list.
    Params,
    /// Something not followed with certainty: every identifier is both bound and used.
    Both,
}

#[derive(Debug, Clone, Copy)]
struct Context {
    mode: Mode,
    /// Strings here are type expressions (annotations, subscripts, `cast` arguments).
    types: bool,
    /// Strings here are the names of `__all__`.
    exports: bool,
    /// Function and class bodies and comprehensions around the node: 0 at module level.
    depth: u32,
    /// The node lies inside the ranges the walk is limited to (or it is not limited).
    within: bool,
}

pub(super) struct Walk<'a, 's> {
    pub(super) source: &'s str,
    pub(super) offset: usize,
    /// The byte ranges of `source` whose nodes the walk visits; all when `None`.
    pub(super) within: Option<&'a [Range<usize>]>,
    pub(super) names: &'a mut Names<'s>,
}

impl<'s> Walk<'_, 's> {
    fn text(&self, node: Node) -> &'s str {
        &self.source[node.start_byte() + self.offset..node.end_byte() + self.offset]
    }

    fn bind(&mut self, node: Node, depth: u32) {
        let name = self.text(node);
        self.names.bound.insert(name);
        if depth == 0 {
            self.names
                .module_bound
                .entry(name)
                .or_insert(node.start_position().row + 1);
        }
    }

    fn reference(&mut self, node: Node) {
        let line = node.start_position().row + 1;
        self.names
            .referenced
            .entry(self.text(node))
            .and_modify(|l| *l = (*l).min(line))
            .or_insert(line);
    }

    /// Walks the tree with an explicit stack: generated files nest expressions deeper than a
    /// thread's stack would allow a recursion to follow.
    pub(super) fn run(&mut self, root: Node<'_>) {
        let start = Context {
            mode: Mode::Load,
            types: false,
            exports: false,
            depth: 0,
            within: self.within.is_none(),
        };
        let mut stack = vec![(root, start)];
        while let Some((node, ctx)) = stack.pop() {
            self.visit(node, ctx, &mut stack);
        }
    }

    fn visit<'t>(&mut self, node: Node<'t>, ctx: Context, stack: &mut Vec<(Node<'t>, Context)>) {
        let ctx = match (ctx.within, self.within) {
            (false, Some(parts)) => {
                let range = node.start_byte() + self.offset..node.end_byte() + self.offset;
                match overlap(parts, range) {
                    None => return,
                    Some(inside) => Context {
                        within: inside,
                        ..ctx
                    },
                }
            }
            _ => ctx,
        };
        let with = |mode: Mode| Context { mode, ..ctx };
        let field = |name: &str| node.child_by_field_name(name);
        let kind = node.kind();
        if kind == "comment" {
            self.type_comment(node);
            return;
        }
        if kind == "string" && (ctx.types || ctx.exports) {
            self.string(node, ctx);
        }
        match ctx.mode {
            Mode::Both => {
                if is_identifier(kind) {
                    self.bind(node, ctx.depth);
                    self.names.mentioned.insert(self.text(node));
                }
                push_children(node, ctx, stack);
                return;
            }
            Mode::Target => {
                if is_identifier(kind) {
                    self.bind(node, ctx.depth);
                    return;
                }
                if matches!(
                    kind,
                    "pattern_list"
                        | "tuple_pattern"
                        | "list_pattern"
                        | "tuple"
                        | "list"
                        | "parenthesized_expression"
                        | "list_splat_pattern"
                        | "dictionary_splat_pattern"
                        | "list_splat"
                        | "as_pattern_target"
                        | "expression_list"
                ) {
                    push_children(node, ctx, stack);
                    return;
                }
                return self.visit(node, with(Mode::Load), stack);
            }
            Mode::Params => {
                let mut cursor = node.walk();
                for param in node.named_children(&mut cursor) {
                    match param.kind() {
                        "default_parameter" | "typed_default_parameter" | "typed_parameter" => {
                            let mut inner = param.walk();
                            for (i, part) in param.children(&mut inner).enumerate() {
                                let context = match param.field_name_for_child(i as u32) {
                                    Some("type") => Context {
                                        types: true,
                                        ..with(Mode::Load)
                                    },
                                    Some("value") => with(Mode::Load),
                                    _ => with(Mode::Target),
                                };
                                stack.push((part, context));
                            }
                        }
                        "identifier"
                        | "list_splat_pattern"
                        | "dictionary_splat_pattern"
                        | "tuple_pattern" => stack.push((param, with(Mode::Target))),
                        _ => stack.push((param, with(Mode::Load))),
                    }
                }
                return;
            }
            Mode::Load => {}
        }
        let inner = Context {
            depth: ctx.depth + 1,
            ..ctx
        };
        match kind {
            // Asking a node for its parent walks down from the root: the inside of a syntax error
            // is known from the `ERROR` node above it instead.
            _ if is_identifier(kind) => self.reference(node),
            "ERROR" => push_children(node, with(Mode::Both), stack),
            "attribute" => {
                if let Some(object) = field("object") {
                    stack.push((object, ctx));
                }
            }
            "keyword_argument" => {
                if let Some(value) = field("value") {
                    stack.push((value, ctx));
                }
            }
            "function_definition" | "class_definition" => {
                if let Some(name) = field("name") {
                    self.bind(name, ctx.depth);
                }
                if let Some(types) = field("type_parameters") {
                    stack.push((types, with(Mode::Both)));
                }
                if let Some(parameters) = field("parameters") {
                    stack.push((parameters, with(Mode::Params)));
                }
                if let Some(returns) = field("return_type") {
                    stack.push((returns, Context { types: true, ..ctx }));
                }
                if let Some(bases) = field("superclasses") {
                    stack.push((bases, ctx));
                }
                if let Some(body) = field("body") {
                    stack.push((body, inner));
                }
            }
            "lambda" => {
                if let Some(parameters) = field("parameters") {
                    stack.push((parameters, with(Mode::Params)));
                }
                if let Some(body) = field("body") {
                    stack.push((body, inner));
                }
            }
            "list_comprehension"
            | "set_comprehension"
            | "dictionary_comprehension"
            | "generator_expression" => push_children(node, inner, stack),
            "import_statement" | "import_from_statement" | "future_import_statement" => {
                self.import(node)
            }
            "assignment" | "augmented_assignment" => {
                let left = field("left");
                let exports = left.is_some_and(|l| self.text(l) == "__all__");
                if let Some(left) = left {
                    stack.push((left, with(Mode::Target)));
                    if kind == "augmented_assignment" {
                        stack.push((left, ctx));
                    }
                }
                if let Some(annotation) = field("type") {
                    stack.push((annotation, Context { types: true, ..ctx }));
                }
                if let Some(right) = field("right") {
                    stack.push((right, Context { exports, ..ctx }));
                }
            }
            "call" => {
                let function = field("function");
                let callee = function.map(|f| self.text(f)).unwrap_or("");
                let exports = callee.starts_with("__all__.");
                let last = callee.rsplit('.').next().unwrap_or(callee);
                let types = matches!(last, "cast" | "TypeVar" | "NewType" | "ForwardRef");
                if let Some(function) = function {
                    stack.push((function, ctx));
                }
                if let Some(arguments) = field("arguments") {
                    stack.push((
                        arguments,
                        Context {
                            exports,
                            types: ctx.types || types,
                            ..ctx
                        },
                    ));
                }
            }
            "for_statement" | "for_in_clause" => {
                let left = field("left");
                let mut cursor = node.walk();
                for child in node.children(&mut cursor) {
                    let is_left = left.is_some_and(|l| l.id() == child.id());
                    stack.push((child, if is_left { with(Mode::Target) } else { ctx }));
                }
            }
            "named_expression" => {
                if let Some(name) = field("name") {
                    self.bind(name, ctx.depth);
                }
                if let Some(value) = field("value") {
                    stack.push((value, ctx));
                }
            }
            "global_statement" | "nonlocal_statement" => {
                push_children(node, with(Mode::Target), stack)
            }
            "delete_statement" => {
                push_children(node, with(Mode::Target), stack);
                push_children(node, ctx, stack);
            }
            "case_pattern" | "type_parameter" => push_children(node, with(Mode::Both), stack),
            "type_alias_statement" => {
                if let Some(left) = field("left") {
                    stack.push((left, with(Mode::Both)));
                }
                if let Some(right) = field("right") {
                    stack.push((right, Context { types: true, ..ctx }));
                }
            }
            "type" => push_children(node, Context { types: true, ..ctx }, stack),
            "subscript" => {
                let value = field("value");
                let mut cursor = node.walk();
                for child in node.children(&mut cursor) {
                    let is_value = value.is_some_and(|v| v.id() == child.id());
                    let types = ctx.types || !is_value;
                    stack.push((child, Context { types, ..ctx }));
                }
            }
            "string" => {
                // Only the code of f-string interpolations is read; the literal text was read above
                // if it is a type expression.
                let plain = Context {
                    types: false,
                    exports: false,
                    ..ctx
                };
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    if child.kind() == "interpolation" {
                        stack.push((child, plain));
                    }
                }
            }
            _ => {
                // `with x as (a, b)`, `except E as e`, `except* E as e`: what follows `as` is
                // bound.
                let mut after_as = false;
                let mut cursor = node.walk();
                for child in node.children(&mut cursor) {
                    if child.is_named() {
                        stack.push((child, if after_as { with(Mode::Target) } else { ctx }));
                    }
                    after_as = child.kind() == "as";
                }
            }
        }
    }

    fn import(&mut self, node: Node) {
        let mut cursor = node.walk();
        for (i, child) in node.children(&mut cursor).enumerate() {
            if child.kind() == "wildcard_import" {
                self.names.has_star_import = true;
            }
            if node.field_name_for_child(i as u32) != Some("name") {
                continue;
            }
            let bound = match child.kind() {
                "aliased_import" => child.child_by_field_name("alias"),
                _ => child.named_child(0),
            };
            if let Some(bound) = bound {
                self.names.bound.insert(self.text(bound));
            }
        }
    }

    /// Records the names of a string that is a type expression or lists `__all__`.
    fn string(&mut self, node: Node, ctx: Context) {
        let (Some(start), Some(end)) = (
            node.child(0),
            node.child(node.child_count().saturating_sub(1)),
        ) else {
            return;
        };
        if start.end_byte() > end.start_byte() {
            return;
        }
        let content = &self.source[start.end_byte() + self.offset..end.start_byte() + self.offset];
        if ctx.exports {
            self.names.exported.insert(content.trim());
        }
        if ctx.types && content.len() <= 1000 {
            for word in words(content) {
                self.names.mentioned.insert(word);
            }
        }
    }

    /// Records the names of a `# type: ...` comment.
    fn type_comment(&mut self, node: Node) {
        let text = self.text(node);
        let Some(rest) = text.strip_prefix('#').map(str::trim_start) else {
            return;
        };
        if let Some(annotation) = rest.strip_prefix("type:") {
            for word in words(annotation) {
                self.names.mentioned.insert(word);
            }
        }
    }
}

fn is_identifier(kind: &str) -> bool {
    kind == "identifier" || kind == "keyword_identifier"
}

fn push_children<'t>(node: Node<'t>, ctx: Context, stack: &mut Vec<(Node<'t>, Context)>) {
    let mut cursor = node.walk();
    stack.extend(node.named_children(&mut cursor).map(|c| (c, ctx)));
}

/// Whether `range` reaches into one of `parts` (sorted and disjoint): `None` when it does not,
/// else whether it lies inside that one.
pub(super) fn overlap(parts: &[Range<usize>], range: Range<usize>) -> Option<bool> {
    let first = parts.partition_point(|p| p.end <= range.start);
    let part = parts
        .get(first)
        .filter(|p| p.start < range.end.max(range.start + 1))?;
    Some(part.start <= range.start && range.end <= part.end)
}

/// The identifier-like words of `text`.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| w.chars().next().is_some_and(|c| !c.is_ascii_digit()))
}
