//! How metavariables are spelled in patterns and rewrites, and how they survive the parser.
//!
//! `$` cannot start a Python identifier, so before a pattern or rewrite is parsed each `$` of a
//! metavariable becomes a sigil that can; the identifiers that start with it are the metavariables.

use tree_sitter::Node;

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
}
