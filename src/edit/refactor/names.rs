//! Small questions the refactorings ask of a parsed file: whether an identifier is a reference or
//! the name part of something else, how a line is indented and how the file ends its lines.

use tree_sitter::Node;

/// Whether `node` (an identifier or attribute) is an expression that refers to something, rather
/// than the `NAME` of `obj.NAME`, of `NAME=value` in a call, or of `def NAME`.
pub(super) fn is_reference(node: Node) -> bool {
    let Some(parent) = node.parent() else {
        return true;
    };
    let field = field_of(parent, node);
    match parent.kind() {
        "attribute" => field != Some("attribute"),
        "keyword_argument" => field != Some("name"),
        "function_definition" | "class_definition" => field != Some("name"),
        "global_statement" | "nonlocal_statement" => false,
        _ => true,
    }
}

/// The field under which `parent` holds `child`.
pub(super) fn field_of(parent: Node, child: Node) -> Option<&'static str> {
    let mut cursor = parent.walk();
    for (i, c) in parent.children(&mut cursor).enumerate() {
        if c.id() == child.id() {
            return parent.field_name_for_child(i as u32);
        }
    }
    None
}

/// The line ending the file uses (that of its first line; `\n` for a file of one line).
pub(super) fn line_ending(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// The whitespace that starts the line holding `offset`.
pub(super) fn indentation_at(text: &str, offset: usize) -> &str {
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[start..];
    let width = line.len() - line.trim_start_matches([' ', '\t']).len();
    &line[..width]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_lines() {
        assert_eq!(line_ending("a\r\nb\r\n"), "\r\n");
        assert_eq!(line_ending("a\nb"), "\n");
        assert_eq!(indentation_at("x\n    try:\n", 8), "    ");
    }
}
