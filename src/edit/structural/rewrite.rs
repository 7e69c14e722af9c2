//! Rewriting a match: a template with the pattern's metavariables, compiled against the pattern,
//! instantiated with what a match bound, and trimmed to the bytes that really change.

use std::ops::Range;

use tree_sitter::Node;

use super::matcher::{Match, ParsedFile};
use super::metavar::{self, metavariable, multi_pair, restore, SYMBOL_BINDING};
use super::pattern::Pattern;
use super::syntax::{code_children, is_name_position, named_children};

/// A rewrite template: text with metavariables, compiled against its pattern.
#[derive(Debug, Clone)]
pub(crate) struct Rewrite {
    /// The rewrite after `prepare`: the holes are ranges of it.
    text: String,
    /// Identifier tokens that stand for matched text, in order.
    holes: Vec<Hole>,
    /// The comma-separated lists that hold a `$$$` hole: the separator next to a `$$$` that
    /// matched nothing is left out with it, so that `g($A, $$$REST)` never gives `g(a, )`.
    lists: Vec<Vec<Item>>,
}

/// A part of the rewrite that stands for matched text.
#[derive(Debug, Clone)]
struct Hole {
    range: Range<usize>,
    /// The metavariable's name, or [`SYMBOL_BINDING`].
    name: String,
    /// The hole is the whole body of a block: its range starts right after the header's `:`, so
    /// that what the rewrite writes there (` ` or a line break) gives way to the body's own layout.
    is_body: bool,
}

/// An element or a separator of a comma-separated list in the rewrite.
#[derive(Debug, Clone)]
enum Item {
    /// An element; `multi` names the `$$$` it consists of, if it is one.
    Element {
        range: Range<usize>,
        multi: Option<String>,
    },
    /// A comma with the space around it, from the end of one element to the start of the next.
    Separator(Range<usize>),
}

impl Item {
    fn range(&self) -> &Range<usize> {
        match self {
            Item::Element { range, .. } | Item::Separator(range) => range,
        }
    }
}

impl Rewrite {
    /// Compiles `text`, which may use the pattern's metavariables and the symbol's name.
    ///
    /// An identifier spelling the symbol's last name stands for the reference as matched (an
    /// attribute, an alias), unless the rewrite is the same syntax tree as the pattern: then
    /// keeping the reference could never change anything, and the name is meant literally (the
    /// builtin `float` for NumPy's removed alias `numpy.float`).
    pub(crate) fn compile(text: &str, pattern: &Pattern) -> Result<Rewrite, String> {
        let (prepared, tree) = metavar::parse(text, "rewrite")?;
        let symbol_name = pattern
            .symbol
            .as_deref()
            .filter(|_| !pattern.is_same_tree(text))
            .map(|s| s.rsplit('.').next().unwrap_or(s));
        let mut holes: Vec<Hole> = Vec::new();
        let mut lists: Vec<Vec<Item>> = Vec::new();
        let mut seen_lists = Vec::new();
        let mut stack = vec![tree.root_node()];
        while let Some(n) = stack.pop() {
            // A dictionary item `$$$NAME: $$$NAME` is one hole, the item itself.
            let pair = multi_pair(n, &prepared).map(|name| (true, name));
            if n.kind() == "identifier" || pair.is_some() {
                let t = &prepared[n.byte_range()];
                if let Some((multi, name)) = pair.or_else(|| metavariable(t)) {
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
                    let mut range = n.byte_range();
                    let mut is_body = false;
                    if multi {
                        if let Some(start) = body_start(n) {
                            range.start = start;
                            is_body = true;
                        } else if let Some(list) = separated_list(n) {
                            if !seen_lists.contains(&list.id()) {
                                seen_lists.push(list.id());
                                lists.push(list_items(list, &prepared));
                            }
                        }
                    }
                    holes.push(Hole {
                        range,
                        name,
                        is_body,
                    });
                } else if Some(t) == symbol_name && !is_name_position(n) {
                    holes.push(Hole {
                        range: n.byte_range(),
                        name: SYMBOL_BINDING.to_string(),
                        is_body: false,
                    });
                }
                continue;
            }
            let mut cursor = n.walk();
            stack.extend(n.children(&mut cursor));
        }
        holes.sort_by_key(|h| h.range.start);
        Ok(Rewrite {
            text: prepared,
            holes,
            lists,
        })
    }

    /// Whether the rewrite writes nothing: it removes what it matches.
    pub(crate) fn is_empty(&self) -> bool {
        self.holes.is_empty() && self.text.trim().is_empty()
    }

    /// The ranges of the rewrite left out for the `$$$` holes of `m` that matched nothing: each
    /// goes with the separator after it (the one before it when it is last in its list).
    fn left_out(&self, m: &Match, content: &str) -> Vec<Range<usize>> {
        let is_empty = |name: &str| {
            m.binding(name)
                .is_none_or(|b| content[b.range.clone()].trim().is_empty())
        };
        let mut out = Vec::new();
        for list in &self.lists {
            let mut items = list.clone();
            while let Some(i) = items
                .iter()
                .position(|it| matches!(it, Item::Element { multi: Some(n), .. } if is_empty(n)))
            {
                if i + 1 < items.len() {
                    out.push(items[i].range().start..items[i + 1].range().end);
                    items.drain(i..=i + 1);
                } else if i > 0 {
                    out.push(items[i - 1].range().start..items[i].range().end);
                    items.drain(i - 1..=i);
                } else {
                    out.push(items[i].range().clone());
                    items.remove(i);
                }
            }
        }
        out.sort_by_key(|r| r.start);
        out
    }

    /// The replacement text for `m` in `content`; newlines written in the rewrite take the line
    /// ending of the line where the match starts.
    fn instantiate(&self, m: &Match, content: &str) -> String {
        let line_start = content[..m.range.start].rfind('\n').map_or(0, |i| i + 1);
        let crlf = content[line_start..]
            .find('\n')
            .is_some_and(|i| i > 0 && content.as_bytes()[line_start + i - 1] == b'\r');
        let newline = if crlf { "\r\n" } else { "\n" };
        let left_out = self.left_out(m, content);
        let is_left_out = |r: &Range<usize>| {
            left_out
                .iter()
                .any(|o| o.start <= r.start && r.end <= o.end && !r.is_empty())
        };
        let mut out = String::new();
        let push_text = |out: &mut String, range: Range<usize>| {
            let mut at = range.start;
            for o in &left_out {
                if o.end <= at || o.start >= range.end {
                    continue;
                }
                if o.start > at {
                    push_literal(out, &self.text[at..o.start], crlf);
                }
                at = at.max(o.end);
            }
            if at < range.end {
                push_literal(out, &self.text[at..range.end], crlf);
            }
        };
        let mut at = 0;
        for hole in &self.holes {
            push_text(&mut out, at..hole.range.start.max(at));
            at = hole.range.end;
            if is_left_out(&hole.range) {
                continue;
            }
            let Some(b) = m.binding(&hole.name) else {
                continue;
            };
            let bound = &content[b.range.clone()];
            if !hole.is_body {
                out.push_str(bound);
            } else if let Some(body) = &b.body {
                out.push_str(&content[body.clone()]);
            } else {
                // Statements that did not start their block: they go on lines of their own at
                // the indentation they had, or after the colon when they shared a line.
                let line = content[..b.range.start].rfind('\n').map_or(0, |i| i + 1);
                let indent = &content[line..b.range.start];
                if indent.chars().all(|c| c == ' ' || c == '\t') {
                    out.push_str(newline);
                    out.push_str(indent);
                } else {
                    out.push(' ');
                }
                out.push_str(bound);
            }
        }
        push_text(&mut out, at..self.text.len());
        out
    }
}

/// Appends literal rewrite text, with the sigils of metavariables put back and its line breaks
/// in the file's style.
fn push_literal(out: &mut String, text: &str, crlf: bool) {
    let text = restore(text);
    if crlf {
        out.push_str(&text.replace("\r\n", "\n").replace('\n', "\r\n"));
    } else {
        out.push_str(&text);
    }
}

/// Where the layout of the block whose whole body is the `$$$` identifier `n` begins (right after
/// the header's `:`), when it is such a body.
fn body_start(n: Node) -> Option<usize> {
    let statement = n.parent().filter(|p| p.kind() == "expression_statement")?;
    let block = statement.parent().filter(|p| p.kind() == "block")?;
    if named_children(block).len() != 1 || statement.byte_range() != n.byte_range() {
        return None;
    }
    let mut at = block.prev_sibling();
    while let Some(p) = at {
        if p.kind() == ":" {
            return Some(p.end_byte());
        }
        at = p.prev_sibling();
    }
    None
}

/// The node whose children the `$$$` identifier `n` is one of, separated by commas, if any (the
/// identifier may be wrapped in a node of the same extent, like the dotted name of an import).
fn separated_list(n: Node) -> Option<Node> {
    let mut element = n;
    loop {
        let parent = element.parent()?;
        let next_is_comma = element.next_sibling().is_some_and(|s| s.kind() == ",");
        let prev_is_comma = element.prev_sibling().is_some_and(|s| s.kind() == ",");
        if next_is_comma || prev_is_comma {
            return Some(parent);
        }
        if parent.byte_range() != element.byte_range() {
            return None;
        }
        element = parent;
    }
}

/// The elements and separators of the comma-separated `list`.
fn list_items(list: Node, src: &str) -> Vec<Item> {
    let kids = code_children(list);
    let element = |k: Node| {
        // The element is a `$$$` when it consists of one identifier that is one.
        let mut inner = k;
        while inner.kind() != "identifier" && inner.named_child_count() == 1 {
            match inner.named_child(0) {
                Some(c) if c.byte_range() == inner.byte_range() => inner = c,
                _ => break,
            }
        }
        let multi = match multi_pair(inner, src) {
            Some(name) => name,
            None => (inner.kind() == "identifier")
                .then(|| metavariable(&src[inner.byte_range()]))
                .flatten()
                .filter(|(multi, _)| *multi)
                .and_then(|(_, name)| name),
        };
        Item::Element {
            range: k.byte_range(),
            multi,
        }
    };
    let mut items: Vec<Item> = Vec::new();
    for (c, k) in kids.iter().enumerate() {
        if k.kind() != "," || c == 0 {
            continue;
        }
        let left = kids[c - 1];
        let left_is_last = matches!(items.last(), Some(Item::Element { range, .. }) if *range == left.byte_range());
        if !left_is_last {
            items.push(element(left));
        }
        let right = kids
            .get(c + 1)
            .copied()
            .filter(|r| !matches!(r.kind(), ")" | "]" | "}" | ","));
        items.push(Item::Separator(
            left.end_byte()..right.map_or(k.end_byte(), |r| r.start_byte()),
        ));
        if let Some(r) = right {
            items.push(element(r));
        }
    }
    items
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
    let (start, old_end, new_end) = crate::edit::span::differing(old, &new);
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

/// A whole statement that an empty rewrite removes, rather than leaving its lines blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Removal {
    /// The statement, decorators included (offsets in the parsed text).
    pub(crate) statement: Range<usize>,
    /// The block the statement is one of (none for a statement of the module): where the block
    /// starts and how many statements it holds, so that a block whose statements are all removed
    /// can be given a `pass`.
    pub(crate) block: Option<(usize, usize)>,
}

/// The statement `m` is, when `rewrite` is empty and `m` is a whole statement (an expression
/// pattern that matches all of an expression statement counts): it is removed with its lines.
pub(crate) fn removal_for(m: &Match, rewrite: &Rewrite, file: &ParsedFile) -> Option<Removal> {
    if !rewrite.is_empty() {
        return None;
    }
    let offset = file.offset;
    let start = m.range.start.checked_sub(offset)?;
    let end = m.range.end.checked_sub(offset)?;
    let mut node = file
        .tree
        .root_node()
        .descendant_for_byte_range(start, end)?;
    if node.byte_range() != (start..end) {
        return None;
    }
    let statement = loop {
        let parent = node.parent()?;
        match parent.kind() {
            "block" | "module" => break node,
            // A definition goes with its decorators.
            "decorated_definition"
                if matches!(node.kind(), "function_definition" | "class_definition") =>
            {
                node = parent
            }
            _ if parent.byte_range() == node.byte_range() => node = parent,
            _ => return None,
        }
    };
    let parent = statement.parent()?;
    let block = (parent.kind() == "block")
        .then(|| (parent.start_byte() + offset, named_children(parent).len()));
    Some(Removal {
        statement: statement.start_byte() + offset..statement.end_byte() + offset,
        block,
    })
}

/// The bytes of `text` to delete to remove the statement at `statement`, and the text that takes
/// its place when it leaves its block empty (`pass`).
///
/// A statement alone on its lines goes with those lines: its indentation, a comment after it on
/// its last line (which belongs to it) and the line break. A statement that shares its line goes
/// with its `;` only, and one after a header's `:` (`if x: f()`) goes alone.
pub(crate) fn removal_range(text: &str, statement: Range<usize>) -> (Range<usize>, String) {
    let bytes = text.as_bytes();
    let is_blank = |b: u8| b == b' ' || b == b'\t';
    let line_start = text[..statement.start].rfind('\n').map_or(0, |i| i + 1);
    let indent = &text[line_start..statement.start];
    let first_on_line = indent.bytes().all(is_blank);
    let skip_blanks = |mut at: usize| {
        while at < bytes.len() && is_blank(bytes[at]) {
            at += 1;
        }
        at
    };
    let mut end = skip_blanks(statement.end);
    if bytes.get(end) == Some(&b';') {
        end = skip_blanks(end + 1);
    }
    if bytes.get(end) == Some(&b'#') {
        end = text[end..].find('\n').map_or(text.len(), |i| end + i);
        if end > 0 && bytes[end - 1] == b'\r' && end < text.len() {
            end -= 1;
        }
    }
    let newline = if text[end..].starts_with("\r\n") {
        "\r\n"
    } else if text[end..].starts_with('\n') {
        "\n"
    } else {
        ""
    };
    let ends_line = !newline.is_empty() || end == text.len();
    if first_on_line && ends_line {
        return (
            line_start..end + newline.len(),
            format!("{indent}pass{newline}"),
        );
    }
    if bytes.get(skip_blanks(statement.end)) == Some(&b';') {
        // Statements after it on its line stay; it goes with its `;`.
        return (statement.start..end, "pass".into());
    }
    let before = text[..statement.start].trim_end_matches([' ', '\t']);
    if before.ends_with(';') {
        let semicolon = before.len() - 1;
        let start = text[..semicolon].trim_end_matches([' ', '\t']).len();
        return (start..statement.end, "pass".into());
    }
    (statement.start..statement.end, "pass".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::structural::testing::{query, rel, rewrite, rewrite_symbol, AWAIT};
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
    fn an_empty_multi_leaves_out_the_comma_written_next_to_it() {
        let p = "$M.send_to_user($USER, $$$REST)";
        let rw = "$M.notify($USER, $$$REST)";
        assert_eq!(rewrite(p, rw, "m.send_to_user(uid)\n"), "m.notify(uid)\n");
        assert_eq!(
            rewrite(p, rw, "m.send_to_user(uid, 1, x=2)\n"),
            "m.notify(uid, 1, x=2)\n"
        );
        assert_eq!(rewrite("f($$$A, x)", "g($$$A, x)", "f(x)\n"), "g(x)\n");
        assert_eq!(rewrite("f($$$A)", "g(x, $$$A, y)", "f()\n"), "g(x, y)\n");
        assert_eq!(
            rewrite("f($$$A)", "g(x, $$$A, y)", "f(1)\n"),
            "g(x, 1, y)\n"
        );
        assert_eq!(
            rewrite("f($$$A, $$$B)", "g(x, $$$A, $$$B)", "f()\n"),
            "g(x)\n"
        );
        assert_eq!(rewrite("f($$$A)", "[$$$A, 0]", "f()\n"), "[0]\n");
        assert_eq!(
            rewrite(
                "d({'k': v, $$$REST})",
                "e({'k': w, $$$REST})",
                "d({'k': v})\nd({'k': v, 'a': 1})\n"
            ),
            "e({'k': w})\ne({'k': w, 'a': 1})\n"
        );
        assert_eq!(
            rewrite("f($$$A)", "def g(self, $$$A): pass", "f()\n"),
            "def g(self): pass\n"
        );
        assert_eq!(
            rewrite(
                "import_all($$$A)",
                "from m import x, $$$A",
                "import_all()\n"
            ),
            "from m import x\n"
        );
        // A trailing comma in the source stays where it was.
        assert_eq!(
            rewrite("f(x, $$$REST)", "g(x, $$$REST)", "f(x, y,)\n"),
            "g(x, y,)\n"
        );
    }

    const SETUP: (&str, &str) = (
        "def setup(self): $$$BODY",
        "def setup_method(self): $$$BODY",
    );

    #[test]
    fn a_block_body_keeps_its_line_breaks_comments_and_indentation() {
        let src = "class TestA:\n    def setup(self):\n        self.x = 1\n";
        assert_eq!(
            rewrite(SETUP.0, SETUP.1, src),
            "class TestA:\n    def setup_method(self):\n        self.x = 1\n"
        );
        let src = "class TestA:\n    @pytest.fixture(autouse=True)\n    def setup(self):  # old name\n        \"\"\"Prepare.\"\"\"\n        # first\n        self.x = 1\n        if self.x:\n            self.y = 2\n\n        self.z = 3\n";
        assert_eq!(
            rewrite(SETUP.0, SETUP.1, src),
            src.replace("def setup(", "def setup_method(")
        );
        let src =
            "class TestA:\r\n    def setup(self):\r\n        self.x = 1\r\n        self.y = 2\r\n";
        assert_eq!(
            rewrite(SETUP.0, SETUP.1, src),
            src.replace("def setup(", "def setup_method(")
        );
        // A body on the header's line stays there.
        let src = "class TestA:\n    def setup(self): return 1\n";
        assert_eq!(
            rewrite(SETUP.0, SETUP.1, src),
            "class TestA:\n    def setup_method(self): return 1\n"
        );
        // A rewrite that puts the body on lines of its own still gets the body as it was.
        let src = "def setup(self):\n    a = 1\n    b = 2\n";
        assert_eq!(
            rewrite(SETUP.0, "def setup_method(self):\n    $$$BODY", src),
            "def setup_method(self):\n    a = 1\n    b = 2\n"
        );
    }

    #[test]
    fn a_symbol_in_a_rewrite_equal_to_its_pattern_is_the_bare_name() {
        let src = "import numpy as np\nx = np.float(y)\nz = float(w)\n";
        assert_eq!(
            rewrite_symbol("float($$$A)", Some("numpy.float"), "float($$$A)", src),
            "import numpy as np\nx = float(y)\nz = float(w)\n"
        );
        // A rewrite that changes something else keeps the reference as it was written.
        let src =
            "import app.wm as wm\nasync def f():\n    m = await wm.get_websocket_manager(x)\n";
        assert_eq!(
            rewrite_symbol(
                AWAIT,
                Some("app.wm.get_websocket_manager"),
                "get_websocket_manager($$$ARGS)",
                src
            ),
            "import app.wm as wm\nasync def f():\n    m = wm.get_websocket_manager(x)\n"
        );
    }

    /// Renaming every method of real code through a pattern whose parameters and body are
    /// metavariables changes the name and nothing else: the parameters after `self` (none at all
    /// included) and the body come back exactly as they were laid out.
    #[test]
    fn renaming_methods_of_real_code_keeps_everything_else() {
        let q = query("def $F(self, $$$P): $$$BODY");
        let r = Rewrite::compile("def renamed(self, $$$P): $$$BODY", &q.pattern).unwrap();
        let modules = ModuleIndex::detached();
        let path = rel("m.py");
        let mut compared = 0;
        for (file, text) in crate::edit::test_corpus::python_files(400_000) {
            let f = ParsedFile::parse(&text, &path, &modules).unwrap();
            for m in q.find(&f) {
                let name = &text[m.binding("F").unwrap().range.clone()];
                let old = &text[m.range.clone()];
                let expected = old.replacen(&format!("def {name}"), "def renamed", 1);
                assert_eq!(
                    r.instantiate(&m, &text),
                    expected,
                    "{}: {name}",
                    file.display()
                );
                compared += 1;
            }
        }
        assert!(compared > 100, "{compared}");
    }
}
