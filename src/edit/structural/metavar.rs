//! How metavariables are spelled in patterns and rewrites, and how they survive the parser.
//!
//! `$` cannot start a Python identifier, so before a pattern or rewrite is parsed each `$` of a
//! metavariable becomes a sigil that can; the identifiers that start with it are the metavariables.

use tree_sitter::{Node, Tree};

use super::syntax::error_column;
use crate::edit::python;

/// The character a `$` of a metavariable becomes before parsing: `$` is not valid in a Python
/// identifier, `µ` is (it is a letter), and no real code in a pattern uses it.
pub(super) const SIGIL: char = 'µ';

/// Binding name under which the symbol's occurrences are recorded; not a valid metavariable name.
pub(super) const SYMBOL_BINDING: &str = "#symbol";

/// Rewrites `$` metavariables into identifiers the parser accepts, refusing lowercase names.
pub(super) fn prepare(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let mut dollars = 1;
        while chars.peek() == Some(&'$') {
            chars.next();
            dollars += 1;
        }
        let next = chars.peek().copied();
        let named = next.is_some_and(|n| n.is_ascii_uppercase() || n == '_');
        // `$$$args` must be refused like `$args`, not read as `$$$` followed by the name `args`.
        let lowercase = next.is_some_and(|n| n.is_ascii_lowercase() || n.is_ascii_digit());
        match (dollars, named) {
            (1, true) => {
                out.push(SIGIL);
            }
            (3, _) if !lowercase => {
                for _ in 0..dollars {
                    out.push(SIGIL);
                }
            }
            _ => {
                return Err(format!(
                    "`{}` in `{text}` is not a metavariable; write `$NAME` (capitals, digits, `_`) for one node or `$$$NAME` for several",
                    "$".repeat(dollars) + &next.map(String::from).unwrap_or_default()
                ))
            }
        }
        if dollars == 3 && !named {
            // An anonymous `$$$` still needs an identifier character after the sigils.
            out.push('_');
        }
    }
    Ok(out)
}

/// Prepares `text` (a pattern or a rewrite, `what` says which) and parses it: the text parsed and
/// its tree, or the message that says where it does not parse.
///
/// A `$$$NAME` among the items of a dictionary is not an item the parser accepts, so when the text
/// does not parse as written, each `$$$NAME` right inside braces is written as the item
/// `$$$NAME: $$$NAME`, which stands for the same (see [`multi_pair`]).
pub(super) fn parse(text: &str, what: &str) -> Result<(String, Tree), String> {
    let prepared = prepare(text)?;
    let Some((tree, _)) = python::parse(&prepared) else {
        return Err("the Python parser is unavailable".into());
    };
    if !tree.root_node().has_error() {
        return Ok((prepared, tree));
    }
    if let Some(items) = multis_as_dictionary_items(&prepared) {
        if let Some((t, _)) = python::parse(&items).filter(|(t, _)| !t.root_node().has_error()) {
            return Ok((items, t));
        }
    }
    Err(format!(
        "{what} `{text}` does not parse as Python{}",
        error_column(tree.root_node(), &prepared)
    ))
}

/// `prepared` with each `$$$NAME` whose innermost bracket is a brace written `$$$NAME: $$$NAME`;
/// `None` when there is none. Strings are skipped, so that a brace in one does not count.
fn multis_as_dictionary_items(prepared: &str) -> Option<String> {
    let mut out = String::with_capacity(prepared.len() + 16);
    let mut brackets: Vec<char> = Vec::new();
    let mut quote: Option<char> = None;
    let mut changed = false;
    let mut chars = prepared.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        out.push(c);
        if let Some(q) = quote {
            if c == '\\' {
                if let Some((_, next)) = chars.next() {
                    out.push(next);
                }
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '(' | '[' | '{' => brackets.push(c),
            ')' | ']' | '}' => {
                brackets.pop();
            }
            SIGIL if brackets.last() == Some(&'{') && prepared[i..].starts_with(MULTI_SIGILS) => {
                let rest = &prepared[i + MULTI_SIGILS.len()..];
                let name_len = rest
                    .find(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
                    .unwrap_or(rest.len());
                let multi = &prepared[i..i + MULTI_SIGILS.len() + name_len];
                out.push_str(&multi[SIGIL.len_utf8()..]);
                out.push_str(": ");
                out.push_str(multi);
                for _ in 1..multi.chars().count() {
                    chars.next();
                }
                changed = true;
            }
            _ => {}
        }
    }
    changed.then_some(out)
}

/// Three sigils: how a prepared `$$$` begins.
const MULTI_SIGILS: &str = "µµµ";

/// The name of the `$$$NAME` a dictionary item `$$$NAME: $$$NAME` stands for.
pub(super) fn multi_pair(node: Node, src: &str) -> Option<Option<String>> {
    if node.kind() != "pair" {
        return None;
    }
    let key = node.child_by_field_name("key")?;
    let value = node.child_by_field_name("value")?;
    let text = &src[key.byte_range()];
    if key.kind() != "identifier" || src[value.byte_range()] != *text {
        return None;
    }
    match metavariable(text)? {
        (true, name) => Some(name),
        (false, _) => None,
    }
}

/// The metavariable an identifier stands for: `(is_multi, name)`.
pub(super) fn metavariable(text: &str) -> Option<(bool, Option<String>)> {
    let rest = text.strip_prefix(SIGIL)?;
    let (multi, name) = match rest.strip_prefix(SIGIL) {
        Some(r) => (true, r.strip_prefix(SIGIL)?),
        None => (false, rest),
    };
    let name = (!name.is_empty() && name != "_").then(|| name.to_string());
    Some((multi, name))
}

/// Whether `node` is a `$$$NAME` standing alone, which stands for statements rather than one
/// expression.
pub(super) fn is_multi_statement(node: Node, src: &str) -> bool {
    node.kind() == "identifier" && metavariable(&src[node.byte_range()]).is_some_and(|(m, _)| m)
}

/// Puts back `$` where literal rewrite text had a sigil (only inside strings can one survive).
pub(super) fn restore(text: &str) -> String {
    text.replace(SIGIL, "$")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercase_metavariables_are_refused_with_one_or_three_dollars() {
        assert!(prepare("await f($x)").is_err());
        assert!(prepare("await f($$$args)").unwrap_err().contains("`$$$a`"));
        assert!(prepare("await f($$$ARGS)").is_ok());
        assert!(prepare("await f($$$)").is_ok());
    }

    #[test]
    fn multis_right_inside_braces_become_dictionary_items() {
        let prepared = prepare("f('{$$$A', {'k': v, $$$A}, [$$$B])").unwrap();
        assert_eq!(
            multis_as_dictionary_items(&prepared).unwrap(),
            "f('{µµµA', {'k': v, µµµA: µµµA}, [µµµB])"
        );
        assert!(multis_as_dictionary_items(&prepare("f($$$A)").unwrap()).is_none());
    }
}
