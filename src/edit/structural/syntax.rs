//! Small questions about tree-sitter nodes, shared by compiling patterns, compiling rewrites and
//! matching: which children take part, whether a name is an expression of its own, where a syntax
//! error is.

use tree_sitter::Node;

/// Where the first syntax error under `root` is, as text to append to a message (empty when none
/// is found).
pub(super) fn error_column(root: Node, src: &str) -> String {
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        if n.is_error() || n.is_missing() {
            let col = src[..n.start_byte()].chars().count() + 1;
            return format!(" (syntax error near character {col})");
        }
        let mut cursor = n.walk();
        let mut kids: Vec<Node> = n.children(&mut cursor).collect();
        kids.reverse();
        stack.extend(kids);
    }
    String::new()
}

/// The named children of `node`, without comments and line continuations.
pub(super) fn named_children(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .filter(|n| !n.is_extra())
        .collect()
}

/// Children that take part in matching: everything but comments and line continuations.
pub(super) fn code_children(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.children(&mut cursor)
        .filter(|n| !n.is_extra())
        .collect()
}

/// Whether `node` is the name part of its parent (`obj.NAME`, `def NAME`, `NAME=value`) rather
/// than an expression of its own.
pub(super) fn is_name_position(node: Node) -> bool {
    let Some(parent) = node.parent() else {
        return false;
    };
    let mut cursor = parent.walk();
    for (i, child) in parent.children(&mut cursor).enumerate() {
        if child.id() == node.id() {
            return matches!(
                parent.field_name_for_child(i as u32),
                Some("attribute") | Some("name")
            );
        }
    }
    false
}

/// The expression inside any number of parentheses.
pub(super) fn unparenthesize(mut node: Node) -> Node {
    while node.kind() == "parenthesized_expression" {
        let inner = named_children(node);
        if inner.len() != 1 {
            break;
        }
        node = inner[0];
    }
    node
}
