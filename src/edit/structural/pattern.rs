//! Compiling a structural pattern: Python code with metavariables, parsed and turned into a tree
//! of pattern nodes, together with the literal words every match contains.

use std::sync::Arc;

use tree_sitter::Node;

use super::metavar::{self, is_multi_statement, metavariable, multi_pair};
use super::syntax::{code_children, is_name_position, named_children};
use crate::edit::literal::Word;
use crate::edit::prefilter::Needles;

/// One node of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PNode {
    /// `$NAME` (or `$_` when the name is `None`): any one node.
    Meta(Option<String>),
    /// `$$$NAME` (or `$$$`): any number of siblings.
    Multi(Option<String>),
    /// An identifier spelling the symbol's last name: any expression that resolves to the symbol.
    Symbol,
    /// A token, compared by kind and text.
    Leaf { kind: &'static str, text: String },
    /// A node with children, compared by kind and then child by child.
    Inner {
        kind: &'static str,
        children: Vec<PNode>,
    },
}

impl PNode {
    pub(super) fn kind(&self) -> Option<&'static str> {
        match self {
            PNode::Leaf { kind, .. } | PNode::Inner { kind, .. } => Some(kind),
            _ => None,
        }
    }
}

/// A compiled structural pattern.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    /// The pattern as written.
    pub(super) text: String,
    pub(super) root: PNode,
    /// Words every match contains (identifiers and keywords), longest first: a file lacking one is
    /// not parsed.
    pub(super) literals: Vec<Word>,
    /// The literals, as the test made while a file is read.
    pub(super) needles: Needles,
    /// The qualified name the symbol's identifiers stand for.
    pub(super) symbol: Option<Arc<str>>,
    /// Names of the metavariables the pattern binds.
    pub(super) names: Vec<String>,
}

impl Pattern {
    /// Compiles `text`; `symbol` is a qualified name whose last component the pattern must mention.
    pub(crate) fn compile(text: &str, symbol: Option<&str>) -> Result<Pattern, String> {
        let (prepared, tree) = metavar::parse(text, "pattern")?;
        let root = tree.root_node();
        let statements: Vec<Node> = named_children(root);
        if statements.len() != 1 {
            return Err(format!(
                "pattern `{text}` has {} statements; a pattern is one expression or one statement",
                statements.len()
            ));
        }
        let symbol_name = symbol.map(|s| s.rsplit('.').next().unwrap_or(s).to_string());
        let mut names = Vec::new();
        let root = convert_top(statements[0], &prepared, symbol_name.as_deref(), &mut names);
        match &root {
            PNode::Meta(_) | PNode::Multi(_) => {
                return Err(format!(
                    "pattern `{text}` is only a metavariable, so it would match everything"
                ))
            }
            _ => {}
        }
        let mut literals = Vec::new();
        collect_literals(&root, &mut literals);
        if let Some(name) = &symbol_name {
            if !contains_symbol(&root) {
                return Err(format!(
                    "pattern `{text}` does not mention `{name}`, the last part of the symbol; write the function by that name where it is called, e.g. `{name}($$$ARGS)`"
                ));
            }
            literals.push(name.clone());
        }
        literals.sort();
        literals.dedup();
        // The longest word is usually the rarest: testing it first rejects most files soonest.
        literals.sort_by_key(|w| std::cmp::Reverse(w.len()));
        Ok(Pattern {
            text: text.to_string(),
            root,
            // Sorted longest first: the rarest word, as a rule.
            needles: literals
                .first()
                .map_or(Needles::Unknown, |w| Needles::Word(Box::new(Word::new(w)))),
            literals: literals.iter().map(|w| Word::new(w)).collect(),
            symbol: symbol.map(Arc::from),
            names,
        })
    }

    /// Whether `text` (a rewrite) is the same syntax tree as the pattern: the same tokens in the
    /// same structure, whatever the layout and comments. Such a rewrite writes back what it matched.
    pub(crate) fn is_same_tree(&self, text: &str) -> bool {
        let Ok((prepared, tree)) = metavar::parse(text, "rewrite") else {
            return false;
        };
        let statements = named_children(tree.root_node());
        if tree.root_node().has_error() || statements.len() != 1 {
            return false;
        }
        let symbol_name = self
            .symbol
            .as_deref()
            .map(|s| s.rsplit('.').next().unwrap_or(s));
        let mut names = Vec::new();
        convert_top(statements[0], &prepared, symbol_name, &mut names) == self.root
    }

    /// The qualified name the pattern's symbol stands for, if it has one.
    pub(crate) fn symbol(&self) -> Option<&str> {
        self.symbol.as_deref()
    }

    /// The pattern as written in the plan.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether `content` contains every word a match needs: the test that decides whether a file
    /// is parsed at all.
    pub(crate) fn could_match(&self, content: &str) -> bool {
        self.could_match_bytes(content.as_bytes())
    }

    /// [`Pattern::could_match`] over a file's bytes, before they are decoded.
    pub(crate) fn could_match_bytes(&self, content: &[u8]) -> bool {
        self.literals.iter().all(|w| w.is_in_bytes(content))
    }
}

/// Turns the one statement of a parsed pattern into pattern nodes: an expression statement stands
/// for its expression, so that the pattern matches it anywhere.
fn convert_top(top: Node, src: &str, symbol: Option<&str>, names: &mut Vec<String>) -> PNode {
    let mut top = top;
    if top.kind() == "expression_statement" && top.named_child_count() == 1 {
        let inner = top.named_child(0).expect("one named child");
        if !is_multi_statement(inner, src) {
            top = inner;
        }
    }
    convert(top, src, symbol, names)
}

/// Turns the parsed pattern under `node` into pattern nodes, collecting the names of the
/// metavariables it binds in `names`.
fn convert(node: Node, src: &str, symbol: Option<&str>, names: &mut Vec<String>) -> PNode {
    let text = &src[node.byte_range()];
    if let Some(name) = multi_pair(node, src) {
        if let Some(n) = &name {
            names.push(n.clone());
        }
        return PNode::Multi(name);
    }
    if node.kind() == "identifier" {
        if let Some((multi, name)) = metavariable(text) {
            if let Some(n) = &name {
                names.push(n.clone());
            }
            return if multi {
                PNode::Multi(name)
            } else {
                PNode::Meta(name)
            };
        }
        if Some(text) == symbol && !is_name_position(node) {
            return PNode::Symbol;
        }
    }
    // In an import list, `$$$NAMES` is parsed as a dotted name of one part; it stands for the
    // names themselves.
    if node.kind() == "dotted_name" && node.named_child_count() == 1 {
        let inner = node.named_child(0).expect("one named child");
        if metavariable(&src[inner.byte_range()]).is_some_and(|(multi, _)| multi) {
            return convert(inner, src, symbol, names);
        }
    }
    if node.kind() == "expression_statement" && node.named_child_count() == 1 {
        let inner = node.named_child(0).expect("one named child");
        if is_multi_statement(inner, src) {
            return convert(inner, src, symbol, names);
        }
    }
    if node.child_count() == 0 {
        return PNode::Leaf {
            kind: node.kind(),
            text: text.to_string(),
        };
    }
    PNode::Inner {
        kind: node.kind(),
        children: code_children(node)
            .into_iter()
            .map(|c| convert(c, src, symbol, names))
            .collect(),
    }
}

/// The words (identifiers and keywords) of the pattern's tokens, which every match contains.
fn collect_literals(node: &PNode, out: &mut Vec<String>) {
    match node {
        PNode::Leaf { text, .. } => {
            let is_word = text
                .chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && text.chars().all(|c| c.is_alphanumeric() || c == '_');
            if is_word {
                out.push(text.clone());
            }
        }
        PNode::Inner { children, .. } => children.iter().for_each(|c| collect_literals(c, out)),
        _ => {}
    }
}

/// Whether the pattern mentions the symbol anywhere.
fn contains_symbol(node: &PNode) -> bool {
    match node {
        PNode::Symbol => true,
        PNode::Inner { children, .. } => children.iter().any(contains_symbol),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::structural::testing::AWAIT;
    use crate::edit::structural::Rewrite;

    #[test]
    fn bad_patterns_are_refused() {
        assert!(Pattern::compile("await f(", None)
            .unwrap_err()
            .contains("does not parse"));
        assert!(Pattern::compile("$X", None)
            .unwrap_err()
            .contains("match everything"));
        assert!(Pattern::compile("f($x)", None)
            .unwrap_err()
            .contains("not a metavariable"));
        assert!(Pattern::compile("a = 1\nb = 2", None)
            .unwrap_err()
            .contains("2 statements"));
        assert!(Pattern::compile("f()", Some("pkg.mod.g"))
            .unwrap_err()
            .contains("does not mention `g`"));
        let p = Pattern::compile("f($A)", None).unwrap();
        assert!(Rewrite::compile("g($B)", &p)
            .unwrap_err()
            .contains("does not bind"));
    }

    #[test]
    fn literal_core_decides_what_is_parsed() {
        let p = Pattern::compile(AWAIT, None).unwrap();
        assert!(p.could_match("x = await get_websocket_manager()"));
        assert!(!p.could_match("x = await other()"));
        // A longer name that merely starts with the function's name is not a candidate.
        assert!(!p.could_match("x = await get_websocket_manager_async()"));
    }
}
