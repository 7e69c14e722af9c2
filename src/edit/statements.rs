//! Where a Python file's statements begin and end, found by a lexer that only follows strings,
//! comments, brackets and line continuations: about a hundred times cheaper than a parse.
//!
//! Edits touch a few statements of a file. To check that an edit keeps a file's syntax, or to find
//! the strings around a regex match, it is enough to parse the statements that contain the change:
//! a simple statement (one logical line: an assignment, a call, a `return`...) on its own, anything
//! else as the whole top-level statement around it. When the lexer meets something it does not
//! follow with certainty (an unterminated string, an unbalanced bracket, an f-string that nests its
//! own quote), it gives up and the caller parses the whole file, as it would without it.

use std::ops::Range;
use std::sync::{Arc, LazyLock};

use super::kept::Kept;

mod parts;
mod relex;

pub(crate) use parts::{word_hits, Narrowing};

/// A logical line: one or more physical lines joined by open brackets, strings or backslashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Line {
    start: usize,
    /// After the line's last newline (or the end of the text).
    end: usize,
    /// Bytes of indentation.
    indent: usize,
    kind: Kind,
    /// Whether the line begins a top-level statement: it is not indented, is not a comment or a
    /// clause of the statement above, and does not follow a decorator.
    top: bool,
    /// Whether the line ends with a `:` outside brackets (comments aside): a block must follow.
    opens_block: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Only whitespace or a comment.
    Blank,
    /// A line that is a statement of its own (no block follows it).
    Simple,
    /// The header of a compound statement, or a line starting with a soft keyword.
    Compound,
    /// `else`, `elif`, `except`, `finally`: continues the statement above it.
    Clause,
    /// `@decorator`: belongs to the definition below it.
    Decorator,
}

/// A piece of a file that parses on its own, as part of the file would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unit {
    /// The statement's bytes, from the start of its first line to the end of its last.
    pub(crate) range: Range<usize>,
    /// Bytes of indentation of its first line (0 for a top-level statement). An indented simple
    /// statement is parsed inside a block header (see [`Unit::source`]).
    pub(crate) indent: usize,
}

/// The header an indented statement is parsed under.
const BLOCK_HEADER: &str = "if 1:\n";

/// Where the text parsed for a unit sits in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Placement {
    /// Bytes parsed before the unit's own text (the block header of an indented statement).
    pub(crate) header: usize,
    /// Where the unit starts in the file.
    pub(crate) start: usize,
}

impl Placement {
    /// The whole file, parsed as it is.
    pub(crate) const WHOLE: Placement = Placement {
        header: 0,
        start: 0,
    };

    /// An offset in the parsed text → the offset in the file (`None` inside the header).
    pub(crate) fn to_file(self, offset: usize) -> Option<usize> {
        offset.checked_sub(self.header).map(|o| o + self.start)
    }
}

impl Unit {
    /// The text to parse for this unit of `text`, and where that text sits in `text`.
    pub(crate) fn source(&self, text: &str) -> (String, Placement) {
        let own = &text[self.range.clone()];
        let header = if self.indent == 0 { "" } else { BLOCK_HEADER };
        let placement = Placement {
            header: header.len(),
            start: self.range.start,
        };
        (format!("{header}{own}"), placement)
    }

    /// Whether `new`, the unit's text after an edit, keeps the unit's shape, so that parsing it on
    /// its own tells whether the file still parses. A unit that ended with a line break must still
    /// end with one (or it would run into the next statement). An indented statement must begin at
    /// its old indentation (a deeper one is an error in the file but not under the block header)
    /// and every later logical line must start with that indentation (a shallower line would end
    /// the block around it in the file).
    pub(crate) fn keeps_shape(&self, old: &str, new: &str) -> bool {
        // A top-level statement may go altogether; anything else that ended a line still must.
        if old.ends_with('\n') && !new.ends_with('\n') && !(new.is_empty() && self.indent == 0) {
            return false;
        }
        if self.indent == 0 {
            return true;
        }
        let indentation = &old[..self.indent];
        let Some(s) = Statements::scan(new) else {
            return false;
        };
        let mut code = s.lines.iter().filter(|l| l.kind != Kind::Blank);
        code.next()
            .is_some_and(|l| &new[l.start..l.start + l.indent] == indentation)
            && code.all(|l| new[l.start..].starts_with(indentation))
    }
}

/// A file's [`Statements`], lexed on first use: most files never need them, and a file that does
/// is lexed once for every question asked about it (and, kept by [`Statements::of`], once for the
/// questions of every phase).
pub(crate) struct LazyStatements<'t> {
    text: &'t str,
    lexed: std::cell::OnceCell<Option<Arc<Statements>>>,
}

impl<'t> LazyStatements<'t> {
    pub(crate) fn new(text: &'t str) -> LazyStatements<'t> {
        LazyStatements {
            text,
            lexed: std::cell::OnceCell::new(),
        }
    }

    pub(crate) fn text(&self) -> &'t str {
        self.text
    }

    /// The statements, or `None` when the lexer cannot be sure where they are.
    pub(crate) fn get(&self) -> Option<&Statements> {
        self.lexed
            .get_or_init(|| Statements::of(self.text))
            .as_deref()
    }
}

/// Bytes of source whose statements are kept; they take about as much again.
const KEPT_BYTES: usize = 64 << 20;

/// Texts shorter than this are lexed each time: hashing them costs about as much.
const KEPT_SMALLEST: usize = 4096;

/// The statements of the texts lexed lately, by content, or `None` where the lexer gave up.
static KEPT: LazyLock<Kept<Option<Arc<Statements>>>> = LazyLock::new(|| Kept::new(KEPT_BYTES));

/// The logical lines of a file.
#[derive(Debug)]
pub(crate) struct Statements {
    lines: Vec<Line>,
    len: usize,
}

impl Statements {
    /// The statements of `text` ([`Statements::scan`]): the kept ones when this text was lexed
    /// lately. The checks of a validate phase, the edits of a patch, their checks after each pass
    /// and the phases after them ask about the same texts.
    pub(crate) fn of(text: &str) -> Option<Arc<Statements>> {
        if text.len() < KEPT_SMALLEST {
            return Statements::scan(text).map(Arc::new);
        }
        let key = blake3::hash(text.as_bytes());
        let kept = KEPT.get(&key).unwrap_or_else(|| {
            let lexed = Arc::new(Statements::scan(text).map(Arc::new));
            KEPT.keep(key, lexed.clone(), text.len());
            lexed
        });
        (*kept).clone()
    }

    /// Lexes `text`; `None` when the lexer cannot be sure where statements are.
    pub(crate) fn scan(text: &str) -> Option<Statements> {
        let bytes = text.as_bytes();
        // A byte-order mark is not indentation: the first line starts after it.
        let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let mut lexer = Lexer { bytes, at: bom };
        let mut lines = Vec::new();
        while lexer.at < bytes.len() {
            lines.push(lexer.line()?);
        }
        Some(Statements::of_lines(lines, bytes.len()))
    }

    /// The statements of a text `len` bytes long whose logical lines, as the lexer gave them,
    /// are `lines`: the first starts at 0 (before a byte-order mark), and each line that begins a
    /// top-level statement is marked so.
    fn of_lines(mut lines: Vec<Line>, len: usize) -> Statements {
        if let Some(first) = lines.first_mut() {
            first.start = 0;
        }
        let mut after_decorator = false;
        for line in &mut lines {
            line.top = false;
            if line.indent > 0 || line.kind == Kind::Blank {
                continue;
            }
            line.top = line.kind != Kind::Clause && !after_decorator;
            after_decorator = line.kind == Kind::Decorator;
        }
        Statements { lines, len }
    }

    /// The smallest unit around `range`: the simple statement that contains all of it, or else the
    /// top-level statement(s) around it.
    pub(crate) fn unit(&self, range: &Range<usize>) -> Unit {
        let first = self.line_at(range.start);
        let last = self.line_at(range.end.saturating_sub(1).max(range.start));
        if first == last {
            let line = self.lines[first];
            if line.kind == Kind::Simple && line.indent > 0 {
                return Unit {
                    range: line.start..line.end,
                    indent: line.indent,
                };
            }
        }
        self.top_level(range)
    }

    /// The top-level statements around `range` (with the comments and blank lines that follow
    /// them, up to the next statement).
    pub(crate) fn top_level(&self, range: &Range<usize>) -> Unit {
        let first = self.line_at(range.start);
        let last = self.line_at(range.end.saturating_sub(1).max(range.start));
        let start = (0..=first)
            .rev()
            .find(|&i| self.lines[i].top)
            .map_or(0, |i| self.lines[i].start);
        let end = (last + 1..self.lines.len())
            .find(|&i| self.lines[i].top)
            .map_or(self.len, |i| self.lines[i].start);
        Unit {
            range: start..end,
            indent: 0,
        }
    }

    /// The units around each of `ranges`, sorted and disjoint: two that overlap become the
    /// top-level statements around both. With `top_level_only`, every unit is a top-level
    /// statement (for questions that look at a node's ancestors).
    pub(crate) fn units_around(
        &self,
        ranges: impl IntoIterator<Item = Range<usize>>,
        top_level_only: bool,
    ) -> Vec<Unit> {
        let mut units: Vec<Unit> = ranges
            .into_iter()
            .map(|r| {
                if top_level_only {
                    self.top_level(&r)
                } else {
                    self.unit(&r)
                }
            })
            .collect();
        units.sort_by_key(|u| (u.range.start, std::cmp::Reverse(u.range.end)));
        let mut merged: Vec<Unit> = Vec::with_capacity(units.len());
        for unit in units {
            match merged.last_mut() {
                Some(last) if unit.range.start < last.range.end => {
                    if unit.range.end > last.range.end || unit.indent != last.indent {
                        let end = unit.range.end.max(last.range.end);
                        *last = self.top_level(&(last.range.start..end));
                    }
                }
                _ => merged.push(unit),
            }
        }
        merged
    }

    /// How many lines of `text` (the text these statements were lexed from) break Python's
    /// indentation rules: an indented line that no block header asks for, a header with no
    /// indented block after it, a dedent to a level never opened, an `else`/`elif`/`except`/
    /// `finally` that no statement at its level can take. tree-sitter forgives some of these, so
    /// the syntax check counts them too.
    pub(crate) fn indentation_errors(&self, text: &str) -> usize {
        let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let prefix = |i: usize, line: &Line| {
            let start = if i == 0 { line.start + bom } else { line.start };
            &text[start..start + line.indent]
        };
        // The open blocks' indentation, and the kind of the last line seen at each level.
        let mut levels: Vec<(&str, Kind)> = vec![("", Kind::Blank)];
        let mut errors = 0;
        let mut after_header = false;
        for (i, line) in self.lines.iter().enumerate() {
            if line.kind == Kind::Blank {
                continue;
            }
            let indent = prefix(i, line);
            let (current, _) = *levels.last().expect("the outermost level stays");
            if after_header {
                if indent.len() > current.len() && indent.starts_with(current) {
                    levels.push((indent, Kind::Blank));
                } else {
                    errors += 1;
                }
            } else if indent != current {
                if indent.len() > current.len() {
                    errors += 1;
                } else {
                    while levels.len() > 1
                        && levels.last().is_some_and(|(l, _)| l.len() > indent.len())
                    {
                        levels.pop();
                    }
                    if levels.last().is_some_and(|(l, _)| *l != indent) {
                        errors += 1;
                    }
                }
            }
            let level = levels.last_mut().expect("the outermost level stays");
            if line.kind == Kind::Clause && !matches!(level.1, Kind::Compound | Kind::Clause) {
                errors += 1;
            }
            level.1 = line.kind;
            after_header = line.opens_block;
        }
        errors + usize::from(after_header)
    }

    /// Index of the line that contains `offset` (the last line for the end of the text).
    fn line_at(&self, offset: usize) -> usize {
        self.lines
            .partition_point(|l| l.start <= offset)
            .saturating_sub(1)
    }
}

struct Lexer<'a> {
    bytes: &'a [u8],
    at: usize,
}

const COMPOUND: &[&str] = &[
    "if", "while", "for", "try", "with", "def", "class", "async", "match", "case",
];
const CLAUSES: &[&str] = &["else", "elif", "except", "finally"];
const STRING_PREFIXES: &[&str] = &["r", "u", "b", "f", "t", "br", "rb", "fr", "rf", "tr", "rt"];

impl Lexer<'_> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.at + ahead).copied()
    }

    /// One logical line, from its first byte to after its last newline.
    fn line(&mut self) -> Option<Line> {
        let start = self.at;
        while matches!(self.peek(0), Some(b' ' | b'\t' | b'\x0c')) {
            self.at += 1;
        }
        let indent = self.at - start;
        let kind = match self.peek(0) {
            None | Some(b'\n' | b'#') => Kind::Blank,
            Some(b'\r') if self.peek(1) == Some(b'\n') => Kind::Blank,
            Some(b'@') => Kind::Decorator,
            Some(_) => {
                let word = word_at(self.bytes, self.at);
                if COMPOUND.contains(&word) {
                    Kind::Compound
                } else if CLAUSES.contains(&word) {
                    Kind::Clause
                } else {
                    Kind::Simple
                }
            }
        };
        let mut depth = 0usize;
        let mut opens_block = false;
        loop {
            if let Some(b) = self.peek(0) {
                // Whatever comes next but space, a comment or a line break is the line's last
                // token so far.
                if !matches!(b, b' ' | b'\t' | b'\x0c' | b'\r' | b'\n' | b'#' | b'\\') {
                    opens_block = b == b':' && depth == 0;
                }
            }
            let Some(b) = self.peek(0) else {
                // The end of the text ends the line, unless a bracket is still open.
                return (depth == 0).then_some(Line {
                    start,
                    end: self.at,
                    indent,
                    kind,
                    top: false,
                    opens_block,
                });
            };
            match b {
                b'\n' => {
                    self.at += 1;
                    if depth == 0 {
                        return Some(Line {
                            start,
                            end: self.at,
                            indent,
                            kind,
                            top: false,
                            opens_block,
                        });
                    }
                }
                b'#' => {
                    self.at = memchr::memchr(b'\n', &self.bytes[self.at..])
                        .map_or(self.bytes.len(), |i| self.at + i);
                }
                b'\\' => match (self.peek(1), self.peek(2)) {
                    (Some(b'\n'), _) => self.at += 2,
                    (Some(b'\r'), Some(b'\n')) => self.at += 3,
                    _ => return None,
                },
                // A carriage return alone ends a line for Python; not followed here.
                b'\r' if self.peek(1) != Some(b'\n') => return None,
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    self.at += 1;
                }
                b')' | b']' | b'}' => {
                    depth = depth.checked_sub(1)?;
                    self.at += 1;
                }
                b'"' | b'\'' => self.string(false)?,
                b if is_ident_start(b) => self.word(None)?,
                _ => self.at += 1,
            }
        }
    }

    /// An identifier, keyword or number, and the string it prefixes if it is a string prefix. A
    /// string in an f-string's field that uses `own_quote`, the quote of the f-string, is given up on.
    fn word(&mut self, own_quote: Option<u8>) -> Option<()> {
        let word = word_at(self.bytes, self.at);
        self.at += word.len();
        match self.peek(0) {
            Some(q @ (b'"' | b'\'')) => {
                if Some(q) == own_quote
                    || !STRING_PREFIXES.contains(&word.to_ascii_lowercase().as_str())
                {
                    return None;
                }
                let formatted = word.bytes().any(|c| matches!(c, b'f' | b'F' | b't' | b'T'));
                self.string(formatted)
            }
            _ => Some(()),
        }
    }

    /// A string literal starting at its opening quote; leaves `at` after its closing quote.
    fn string(&mut self, formatted: bool) -> Option<()> {
        let quote = self.bytes[self.at];
        let triple = self.peek(1) == Some(quote) && self.peek(2) == Some(quote);
        self.at += if triple { 3 } else { 1 };
        self.string_body(quote, triple, formatted, false)
    }

    /// The rest of a string after its opening quote (or of an f-string's format spec, which ends
    /// at `}`).
    fn string_body(&mut self, quote: u8, triple: bool, formatted: bool, spec: bool) -> Option<()> {
        loop {
            let b = self.peek(0)?;
            match b {
                b'\\' => {
                    if spec {
                        return None;
                    }
                    self.at += if self.peek(1) == Some(b'\r') && self.peek(2) == Some(b'\n') {
                        3
                    } else {
                        2
                    };
                }
                b'\n' if !triple => return None,
                b if b == quote => {
                    if spec {
                        return None;
                    }
                    if !triple {
                        self.at += 1;
                        return Some(());
                    }
                    if self.peek(1) == Some(quote) && self.peek(2) == Some(quote) {
                        self.at += 3;
                        return Some(());
                    }
                    self.at += 1;
                }
                b'{' if formatted => {
                    if self.peek(1) == Some(b'{') && !spec {
                        self.at += 2;
                    } else {
                        self.at += 1;
                        self.replacement_field(quote, triple)?;
                    }
                }
                b'}' if spec => {
                    self.at += 1;
                    return Some(());
                }
                _ => self.at += 1,
            }
        }
    }

    /// An f-string's `{expression!conversion:spec}` after its `{`; leaves `at` after its `}`. An
    /// expression that uses the string's own quote is given up on: Python 3.12 reads it as a nested
    /// string, older versions as the end of the string.
    fn replacement_field(&mut self, quote: u8, triple: bool) -> Option<()> {
        let mut depth = 0usize;
        loop {
            let b = self.peek(0)?;
            match b {
                // A triple-quoted f-string may hold strings in its own quote in its fields, as
                // long as they do not close it.
                b if b == quote
                    && (!triple
                        || (self.peek(1) == Some(quote) && self.peek(2) == Some(quote))) =>
                {
                    return None
                }
                b if b == quote => self.string(false)?,
                b'\\' | b'#' => return None,
                b'\n' if !triple => return None,
                b'"' | b'\'' => self.string(false)?,
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    self.at += 1;
                }
                b')' | b']' => {
                    depth = depth.checked_sub(1)?;
                    self.at += 1;
                }
                b'}' => {
                    self.at += 1;
                    if depth == 0 {
                        return Some(());
                    }
                    depth -= 1;
                }
                b':' if depth == 0 => {
                    self.at += 1;
                    return self.string_body(quote, triple, true, true);
                }
                b if is_ident_start(b) => self.word((!triple).then_some(quote))?,
                _ => self.at += 1,
            }
        }
    }
}

/// The identifier (or number) starting at `at`.
fn word_at(bytes: &[u8], at: usize) -> &str {
    let len = bytes[at..]
        .iter()
        .take_while(|&&b| is_ident_start(b) || b.is_ascii_digit())
        .count();
    std::str::from_utf8(&bytes[at..at + len]).unwrap_or("")
}

/// ASCII letters, `_`, and every byte of a non-ASCII character (Python identifiers may use them).
fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(usize, Kind)> {
        Statements::scan(text)
            .unwrap()
            .lines
            .iter()
            .map(|l| (l.indent, l.kind))
            .collect()
    }

    #[test]
    fn logical_lines_follow_brackets_strings_and_continuations() {
        let text = "x = f(\n    1)\ns = '''a\nb'''\ny = 1 + \\\n    2\n# c\nif x:\n    pass\nelse:\n    z = \"#\"  # c\n";
        assert_eq!(
            kinds(text),
            vec![
                (0, Kind::Simple),
                (0, Kind::Simple),
                (0, Kind::Simple),
                (0, Kind::Blank),
                (0, Kind::Compound),
                (4, Kind::Simple),
                (0, Kind::Clause),
                (4, Kind::Simple),
            ]
        );
    }

    #[test]
    fn an_indented_simple_statement_is_its_own_unit() {
        let text = "class A:\n    async def f(self):\n        x = await g(\n            1)\n        return x\n";
        let s = Statements::scan(text).unwrap();
        let at = text.find("await").unwrap();
        let unit = s.unit(&(at..at + 5));
        assert_eq!(
            &text[unit.range.clone()],
            "        x = await g(\n            1)\n"
        );
        assert_eq!(unit.indent, 8);
        let (source, placement) = unit.source(text);
        assert_eq!(&source[placement.header..], &text[unit.range]);
    }

    #[test]
    fn headers_and_decorated_definitions_widen_to_the_top_level_statement() {
        let text = "import a\n\n@dec\n# c\n@dec2\ndef f():\n    if await g():\n        pass\n\nclass B:\n    pass\n";
        let s = Statements::scan(text).unwrap();
        let at = text.find("await").unwrap();
        let unit = s.unit(&(at..at + 5));
        assert_eq!(unit.indent, 0);
        assert_eq!(
            &text[unit.range],
            "@dec\n# c\n@dec2\ndef f():\n    if await g():\n        pass\n\n"
        );
    }

    #[test]
    fn clauses_stay_with_their_statement() {
        let text = "try:\n    a()\nexcept E:\n    b()\nfinally:\n    c()\nd()\n";
        let s = Statements::scan(text).unwrap();
        let at = text.find("finally").unwrap();
        assert_eq!(
            s.top_level(&(at..at + 1)).range,
            0..text.find("d()").unwrap()
        );
    }

    #[test]
    fn f_strings_with_nested_fields_and_other_quotes() {
        let text = "x = f\"{a['k']:{w}} {{b}} {c!r:>{n}}\"\ny = rb'\\''\nz = 1\n";
        assert_eq!(kinds(text).len(), 3);
        let text = "x = f\"\"\"<a id=\"{f(\"k\", rb\"v\")}\">\n  {y}\"\"\"\nz = 1\n";
        assert_eq!(kinds(text).len(), 2);
    }

    #[test]
    fn gives_up_where_it_cannot_be_sure() {
        for text in [
            "x = (1,\n",
            "x = 1)\n",
            "s = 'abc\n",
            "s = '''abc\n",
            "s = f\"{d[\"k\"]}\"\n",
            "x = 1 \\ y\n",
            "x = 1\ry = 2\n",
        ] {
            assert!(Statements::scan(text).is_none(), "{text:?}");
        }
    }

    #[test]
    fn a_change_that_dedents_or_joins_lines_does_not_keep_the_shape() {
        let text = "def f():\n    x = g()\n    y = 1\n";
        let s = Statements::scan(text).unwrap();
        let at = text.find("g()").unwrap();
        let unit = s.unit(&(at..at + 3));
        let old = &text[unit.range.clone()];
        assert!(unit.keeps_shape(old, "    x = h()\n"));
        assert!(unit.keeps_shape(old, "    x = h()\n    z = 2\n"));
        assert!(unit.keeps_shape(old, "    if h():\n        z = 2\n"));
        assert!(!unit.keeps_shape(old, "      x = h()\n"));
        assert!(!unit.keeps_shape(old, "    x = h()\nz = 2\n"));
        assert!(!unit.keeps_shape(old, "    x = h()"));
    }

    fn indentation_errors(text: &str) -> usize {
        Statements::scan(text).unwrap().indentation_errors(text)
    }

    #[test]
    fn indentation_python_refuses_is_counted() {
        let good = [
            "if x:\n    a\nelif y:\n    b\nelse:\n    c\n",
            "try:\n    a\nexcept E:\n    b\nelse:\n    c\nfinally:\n    d\n",
            "class A:\n    def f(self):\n        return (\n  1)\n\n    x = 1  # :\n",
            "if x: y\nelse: z\n",
            "def f(\n    a: int,\n) -> int:\n    # c\n\n    return {1: a}[1]\n",
            "@dec\ndef f(): ...\nfor i in x:\n\tpass\nelse:\n\tpass\n",
            "\u{feff}x = 1\nwhile x:\n  x -= 1\n",
            "s = '''a:\n  b'''\nif (y :=\n  1):\n  pass\n",
            "if x:\r\n    a\r\nelse:\r\n    b\r\n",
        ];
        for text in good {
            assert_eq!(indentation_errors(text), 0, "{text:?}");
        }
        let bad = [
            ("x = 1\n    y = 2\n", "unexpected indent"),
            ("if x:\ny = 2\n", "header without a block"),
            ("def f():\n", "header at the end"),
            ("if x:\n    a\n  b\n", "dedent to no level"),
            ("x = 1\nelse:\n    y\n", "clause after a simple statement"),
            ("if x:\n    a\n\tb\n", "tab where spaces opened the block"),
        ];
        for (text, what) in bad {
            assert_eq!(indentation_errors(text), 1, "{what}: {text:?}");
        }
    }

    /// Every unit the lexer finds in a file that parses must parse on its own.
    #[test]
    fn units_of_real_files_parse_on_their_own() {
        let (mut checked_files, mut units) = (0, 0);
        for (path, text) in crate::edit::test_corpus::python_files(2_000_000) {
            checked_files += 1;
            let s = Statements::scan(&text)
                .unwrap_or_else(|| panic!("{}: lexer gave up", path.display()));
            // Real code follows the indentation rules the syntax check counts.
            assert_eq!(s.indentation_errors(&text), 0, "{}", path.display());
            let mut seen = std::collections::HashSet::new();
            for line in &s.lines {
                if line.kind == Kind::Blank {
                    continue;
                }
                let unit = s.unit(&(line.start + line.indent..line.start + line.indent + 1));
                if !seen.insert(unit.range.clone()) {
                    continue;
                }
                let (source, _) = unit.source(&text);
                units += 1;
                assert_eq!(
                    crate::edit::python::error_count(&source),
                    0,
                    "{}: unit {:?} does not parse on its own:\n{source}",
                    path.display(),
                    unit.range
                );
            }
        }
        assert!(
            checked_files > 40 && units > 5_000,
            "{checked_files} files, {units} units"
        );
    }

    #[test]
    fn overlapping_units_merge_into_their_top_level_statement() {
        let text = "def f():\n    a = g()\n    b = g()\n    if g():\n        pass\nx = g()\n";
        let s = Statements::scan(text).unwrap();
        let calls: Vec<Range<usize>> = text.match_indices("g()").map(|(i, _)| i..i + 3).collect();
        let units = s.units_around(calls.clone(), false);
        let f_end = text.find("x = ").unwrap();
        assert_eq!(
            units.iter().map(|u| u.range.clone()).collect::<Vec<_>>(),
            vec![0..f_end, f_end..text.len()]
        );
        let units = s.units_around(calls[..2].to_vec(), false);
        assert_eq!(units.len(), 2);
        assert!(units.iter().all(|u| u.indent == 4));
        let units = s.units_around(calls[..2].to_vec(), true);
        assert_eq!(units.len(), 1);
        assert_eq!(units[0].range, 0..f_end);
    }

    #[test]
    fn crlf_and_byte_order_mark() {
        let text = "\u{feff}import a\r\ndef f():\r\n    return a\r\n";
        let s = Statements::scan(text).unwrap();
        assert_eq!(s.lines.len(), 3);
        assert_eq!(s.lines[0].start, 0);
        let at = text.find("return").unwrap();
        assert_eq!(s.unit(&(at..at + 6)).indent, 4);
    }
}
