//! Whether a replacement leaves the names of a file as they were, so that the step after an edit
//! has nothing to add, remove or refuse and need not analyse the file: most structural rewrites
//! only drop a keyword (`await get_websocket_manager(x)` → `get_websocket_manager(x)`).

/// Keywords whose removal changes no name's role: they bind nothing, open no scope, and decide
/// nothing about the identifiers next to them.
const NEUTRAL_KEYWORDS: &[&str] = &["await", "async", "not"];

/// Whether `inserted`, replacing `removed`, leaves every identifier with its role: the tokens of
/// `inserted` are those of `removed`, in order, less some [`NEUTRAL_KEYWORDS`]; layout may
/// differ. A comment or string that changes counts as a change (a `# type:` comment or a string
/// annotation can use names).
pub(crate) fn keeps_names(removed: &str, inserted: &str) -> bool {
    let removed = tokens(removed);
    let mut inserted = tokens(inserted).into_iter().peekable();
    for token in removed {
        if inserted.peek() == Some(&token) {
            inserted.next();
        } else if !NEUTRAL_KEYWORDS.contains(&token) {
            return false;
        }
    }
    inserted.next().is_none()
}

/// Words (runs of identifier characters) and every other character but whitespace, in order.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        let mut end = start + c.len_utf8();
        if is_word_char(c) {
            while let Some(&(at, next)) = chars.peek() {
                if !is_word_char(next) {
                    break;
                }
                end = at + next.len_utf8();
                chars.next();
            }
        }
        out.push(&text[start..end]);
    }
    out
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropping_a_neutral_keyword_or_changing_layout_keeps_names() {
        assert!(keeps_names(
            "await get_websocket_manager(ctx)",
            "get_websocket_manager(ctx)"
        ));
        assert!(keeps_names("await (f(\n    x,\n))", "(f(x,))"));
        assert!(keeps_names("if not ready:", "if ready:"));
        assert!(keeps_names("async with lock:", "with lock:"));
    }

    #[test]
    fn anything_else_may_change_names() {
        // A new or a lost name, a name in another role, a keyword that binds or scopes.
        assert!(!keeps_names("np.float(x)", "float(x)"));
        assert!(!keeps_names("f(x)", "f(x, y)"));
        assert!(!keeps_names("x.y", "x(y)"));
        assert!(!keeps_names("lambda x: x", "x"));
        assert!(!keeps_names("[f(x) for x in xs]", "f(x)"));
        assert!(!keeps_names("x = f()", "f()"));
        assert!(!keeps_names("f(x)  # type: List[int]", "f(x)"));
        assert!(!keeps_names("f('List[int]')", "f('Dict')"));
        assert!(!keeps_names("await f(x)\n", ""));
        assert!(!keeps_names("notx", "x"));
    }
}
