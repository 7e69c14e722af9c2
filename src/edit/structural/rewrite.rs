//! Rewriting a match: a template with the pattern's metavariables, compiled against the pattern,
//! instantiated with what a match bound, and trimmed to the bytes that really change.

use std::ops::Range;

use super::matcher::{Match, ParsedFile};
use super::metavar::{metavariable, prepare, restore, SYMBOL_BINDING};
use super::pattern::Pattern;
use super::syntax::{error_column, is_name_position};
use crate::edit::python;

/// A rewrite template: text with metavariables, compiled against its pattern.
#[derive(Debug, Clone)]
pub(crate) struct Rewrite {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    /// The original source text a metavariable (or the symbol) matched.
    Var(String),
}

impl Rewrite {
    /// Compiles `text`, which may use the pattern's metavariables and the symbol's name.
    pub(crate) fn compile(text: &str, pattern: &Pattern) -> Result<Rewrite, String> {
        let prepared = prepare(text)?;
        let Some((tree, _)) = python::parse(&prepared) else {
            return Err("the Python parser is unavailable".into());
        };
        if tree.root_node().has_error() {
            return Err(format!(
                "rewrite `{text}` does not parse as Python{}",
                error_column(tree.root_node(), &prepared)
            ));
        }
        let symbol_name = pattern
            .symbol
            .as_deref()
            .map(|s| s.rsplit('.').next().unwrap_or(s));
        // Identifier tokens that stand for matched text, in order.
        let mut holes: Vec<(Range<usize>, String)> = Vec::new();
        let mut stack = vec![tree.root_node()];
        while let Some(n) = stack.pop() {
            if n.kind() == "identifier" {
                let t = &prepared[n.byte_range()];
                if let Some((_, name)) = metavariable(t) {
                    let Some(name) = name else {
                        return Err(format!(
                            "rewrite `{text}` uses an anonymous metavariable; name it in the pattern (`$NAME`) to reuse what it matched"
                        ));
                    };
                    if !pattern.names.contains(&name) {
                        return Err(format!(
                            "rewrite `{text}` uses `${name}`, which the pattern `{}` does not bind",
                            pattern.text
                        ));
                    }
                    holes.push((n.byte_range(), name));
                } else if Some(t) == symbol_name && !is_name_position(n) {
                    holes.push((n.byte_range(), SYMBOL_BINDING.to_string()));
                }
                continue;
            }
            let mut cursor = n.walk();
            stack.extend(n.children(&mut cursor));
        }
        holes.sort_by_key(|(r, _)| r.start);
        let mut pieces = Vec::new();
        let mut at = 0;
        for (range, name) in holes {
            if range.start > at {
                pieces.push(Piece::Text(restore(&prepared[at..range.start])));
            }
            pieces.push(Piece::Var(name));
            at = range.end;
        }
        if at < prepared.len() {
            pieces.push(Piece::Text(restore(&prepared[at..])));
        }
        Ok(Rewrite { pieces })
    }

    /// The replacement text for `m` in `content`; newlines written in the rewrite take the line
    /// ending of the line where the match starts.
    fn instantiate(&self, m: &Match, content: &str) -> String {
        let line_start = content[..m.range.start].rfind('\n').map_or(0, |i| i + 1);
        let crlf = content[line_start..]
            .find('\n')
            .is_some_and(|i| i > 0 && content.as_bytes()[line_start + i - 1] == b'\r');
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) if crlf => {
                    out.push_str(&t.replace("\r\n", "\n").replace('\n', "\r\n"))
                }
                Piece::Text(t) => out.push_str(t),
                Piece::Var(name) => {
                    if let Some((_, r)) = m.bindings.iter().find(|(n, _)| n == name) {
                        out.push_str(&content[r.clone()]);
                    }
                }
            }
        }
        out
    }
}

/// The edit a match makes: the matched range replaced by the instantiated rewrite, trimmed to the
/// bytes that really change, so that a deletion of `await ` is exactly that.
pub(crate) fn replacement_for(
    m: &Match,
    rewrite: &Rewrite,
    file: &ParsedFile,
) -> Result<Option<(Range<usize>, String)>, Range<usize>> {
    let content = file.content;
    let old = &content[m.range.clone()];
    let new = rewrite.instantiate(m, content);
    if old == new {
        return Ok(None);
    }
    let (start, old_end, new_end) = trim(old, &new);
    let range = m.range.start + start..m.range.start + old_end;
    let text = new[start..new_end].to_string();
    // A comment in the removed text that the new text does not carry would be lost.
    for c in file.comments_in(&range) {
        if !text.contains(&content[c.clone()]) {
            return Err(c);
        }
    }
    Ok(Some((range, text)))
}

/// Common prefix and suffix of two strings, on character boundaries: returns the start of the
/// differing middle and its end in `old` and in `new`.
fn trim(old: &str, new: &str) -> (usize, usize, usize) {
    let mut prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let max_suffix = old.len().min(new.len()) - prefix;
    let mut suffix = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    (prefix, old.len() - suffix, new.len() - suffix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::structural::testing::{query, rel, rewrite, AWAIT};
    use crate::edit::symbols::ModuleIndex;

    #[test]
    fn rewrite_removes_only_the_await_token() {
        let src = "async def f():\n    m = await get_websocket_manager(\n        user_context=ctx,\n    )\n";
        assert_eq!(
            rewrite(AWAIT, "get_websocket_manager($$$ARGS)", src),
            "async def f():\n    m = get_websocket_manager(\n        user_context=ctx,\n    )\n"
        );
    }

    #[test]
    fn rewrite_drops_the_parentheses_of_an_awaited_call() {
        let src = "async def f():\n    m = await (get_websocket_manager(x))\n";
        assert_eq!(
            rewrite(AWAIT, "get_websocket_manager($$$ARGS)", src),
            "async def f():\n    m = get_websocket_manager(x)\n"
        );
    }

    #[test]
    fn a_dropped_comment_is_refused() {
        let q = query(AWAIT);
        let r = Rewrite::compile("get_websocket_manager($$$ARGS)", &q.pattern).unwrap();
        let src = "async def f():\n    g(await (  # keep me\n        get_websocket_manager()))\n";
        let modules = ModuleIndex::detached();
        let path = rel("m.py");
        let f = ParsedFile::parse(src, &path, &modules).unwrap();
        let m = &q.find(&f)[0];
        assert!(replacement_for(m, &r, &f).is_err());
    }

    #[test]
    fn trims_on_character_boundaries() {
        assert_eq!(trim("await é()", "é()"), (0, 6, 0));
        assert_eq!(trim("aé", "aè"), (1, 3, 3));
    }
}
