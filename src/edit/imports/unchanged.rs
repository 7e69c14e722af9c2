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

/// Words that are not names: Python's keywords, its soft keywords, and the two names
/// tree-sitter-python reads as statements of Python 2.
const NOT_NAMES: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield", "match", "case", "type", "_", "print", "exec",
];

/// When `inserted`, replacing `removed`, is its tokens in order with some names put in the place of
/// others (and some [`NEUTRAL_KEYWORDS`] dropped, layout aside): the names taken out and put in.
/// Every other identifier keeps its role, so only these names can become undefined or leave an
/// import unused. `None` for any other change.
pub(crate) fn names_substituted(removed: &str, inserted: &str) -> Option<Vec<String>> {
    let is_name = |t: &str| {
        t.chars()
            .next()
            .is_some_and(|c| is_word_char(c) && !c.is_ascii_digit())
            && !NOT_NAMES.contains(&t)
    };
    // A word before a quote is a string's prefix (`f'{x}'`), whose change changes what the
    // string holds: not a name.
    let names = |text| {
        let all = tokens(text);
        let prefixes: Vec<bool> = (0..all.len())
            .map(|i| all.get(i + 1).is_some_and(|t| *t == "'" || *t == "\""))
            .collect();
        all.into_iter().zip(prefixes).collect::<Vec<_>>()
    };
    let mut inserted = names(inserted).into_iter().peekable();
    let mut changed = Vec::new();
    for (token, prefix) in names(removed) {
        match inserted.peek() {
            Some(&(next, _)) if next == token => {
                inserted.next();
            }
            _ if NEUTRAL_KEYWORDS.contains(&token) => {}
            Some(&(next, next_prefix))
                if is_name(token) && is_name(next) && !prefix && !next_prefix =>
            {
                changed.push(token.to_string());
                changed.push(next.to_string());
                inserted.next();
            }
            _ => return None,
        }
    }
    inserted.next().is_none().then_some(changed)
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

    #[test]
    fn names_put_in_the_place_of_others_are_told_apart_from_other_changes() {
        let changed = |a, b| names_substituted(a, b);
        assert_eq!(
            changed("await legacy(ctx, x.y)", "current(ctx, x.y)"),
            Some(vec!["legacy".to_string(), "current".to_string()])
        );
        assert_eq!(changed("np.float(x)", "np.double(x)").unwrap().len(), 2);
        assert_eq!(changed("f(x)", "f(x)"), Some(Vec::new()));
        // A word in a comment is put in the place of another too: where it is a name (a type
        // comment), only its own uses change.
        assert_eq!(
            changed("f(x)  # type: A", "f(x)  # type: B").unwrap().len(),
            2
        );
        // A name for a keyword, a keyword for a name, a new token, a lost one, a word before a
        // quote (it may be a string's prefix).
        assert_eq!(changed("f(x)", "f(None)"), None);
        assert_eq!(changed("f('a')", "f('b')"), None);
        assert_eq!(changed("f'{x}'", "b'{x}'"), None);
        assert_eq!(changed("f(rb\"x\")", "f(br\"x\")"), None);
        assert_eq!(changed("lambda: x", "y: x"), None);
        assert_eq!(changed("f(x)", "f(x, y)"), None);
        assert_eq!(changed("np.float(x)", "float(x)"), None);
        assert_eq!(changed("f(x)", "f(1)"), None);
        assert_eq!(changed("match(x)", "other(x)"), None);
    }
}
