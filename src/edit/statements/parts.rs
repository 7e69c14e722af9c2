//! The parts of a file to parse so that the statements holding some words come out of the parser
//! as they would from the whole file: each top-level statement that holds one, and of a class only
//! its header and the members that hold one.
//!
//! A symbol-aware query needs the statements around its sites, where the names they start with
//! are bound (every binding of a name spells it), and nothing else: the rest of a file is parsed
//! only to be skipped. Parsing just these parts, in the file's own coordinates, gives the same
//! nodes at the same offsets (see `python::parse_parts`).

use std::ops::Range;

use super::{Kind, Line, Statements};
use crate::edit::literal::Word;

impl Statements {
    /// The sorted, disjoint byte ranges of `text` (the text these statements were lexed from) to
    /// parse for the statements that hold one of `hits`: every top-level statement holding one,
    /// with the comments and blank lines after it. With `split_classes`, a class whose header
    /// holds none is narrowed to its header and the members that hold one, each narrowed the same
    /// way; a class whose layout the lexer cannot vouch for (a member indented unlike the first)
    /// is kept whole.
    pub(crate) fn parts_holding(
        &self,
        text: &str,
        hits: &[Range<usize>],
        split_classes: bool,
    ) -> Vec<Range<usize>> {
        let mut hit_lines: Vec<usize> = hits
            .iter()
            .flat_map(|r| {
                self.line_at(r.start)..=self.line_at(r.end.saturating_sub(1).max(r.start))
            })
            .collect();
        hit_lines.sort_unstable();
        hit_lines.dedup();
        let tops: Vec<usize> = (0..self.lines.len())
            .filter(|&i| self.lines[i].top)
            .collect();
        let mut parts = Vec::new();
        // Comment lines before the first statement (a `# type:` comment can name a name).
        let leading = tops.first().copied().unwrap_or(self.lines.len());
        if holds(&hit_lines, 0..leading) {
            parts.push(0..self.start_of(leading));
        }
        for (k, &first) in tops.iter().enumerate() {
            let end = tops.get(k + 1).copied().unwrap_or(self.lines.len());
            if holds(&hit_lines, first..end) {
                self.statement_parts(text, first..end, &hit_lines, split_classes, &mut parts);
            }
        }
        let mut merged: Vec<Range<usize>> = Vec::with_capacity(parts.len());
        for part in parts {
            match merged.last_mut() {
                Some(last) if last.end == part.start => last.end = part.end,
                _ => merged.push(part),
            }
        }
        merged
    }

    /// The byte offset where line `i` starts (the end of the text past the last line).
    fn start_of(&self, i: usize) -> usize {
        self.lines.get(i).map_or(self.len, |l| l.start)
    }

    /// The parts of the statement on `lines` (which hold a hit), pushed onto `out` in order.
    fn statement_parts(
        &self,
        text: &str,
        lines: Range<usize>,
        hit_lines: &[usize],
        split_classes: bool,
        out: &mut Vec<Range<usize>>,
    ) {
        let whole = self.start_of(lines.start)..self.start_of(lines.end);
        let members = if split_classes {
            self.class_members(text, lines.clone())
        } else {
            None
        };
        let Some((header_end, members)) = members else {
            out.push(whole);
            return;
        };
        if holds(hit_lines, lines.start..header_end) {
            out.push(whole);
            return;
        }
        out.push(self.start_of(lines.start)..self.start_of(header_end));
        for member in members {
            if holds(hit_lines, member.clone()) {
                self.statement_parts(text, member, hit_lines, split_classes, out);
            }
        }
    }

    /// When the statement on `lines` is a class whose body is a block of members at one
    /// indentation: the line its first member starts on (the header, with its decorators and any
    /// comment lines before that member, ends there), and each member's lines.
    fn class_members(&self, text: &str, lines: Range<usize>) -> Option<(usize, Vec<Range<usize>>)> {
        let header = (lines.clone())
            .find(|&i| !matches!(self.lines[i].kind, Kind::Decorator | Kind::Blank))?;
        let line = &self.lines[header];
        if line.kind != Kind::Compound || !line.opens_block || !is_class(text, line) {
            return None;
        }
        let body = header + 1..lines.end;
        let first = body.clone().find(|&i| self.lines[i].kind != Kind::Blank)?;
        let indentation = indentation(text, &self.lines[first]);
        if self.lines[first].indent <= line.indent {
            return None;
        }
        let mut starts = Vec::new();
        let mut after_decorator = false;
        for i in first..body.end {
            let member = &self.lines[i];
            if member.kind == Kind::Blank {
                continue;
            }
            // Every line of the body is indented at least as the members are, with the same
            // characters: where tabs and spaces mix, equal byte counts need not be equal columns.
            if !text[member.start..].starts_with(indentation) {
                return None;
            }
            if member.indent == indentation.len() {
                if !after_decorator && member.kind != Kind::Clause {
                    starts.push(i);
                }
                after_decorator = member.kind == Kind::Decorator;
            }
        }
        let members = starts
            .iter()
            .enumerate()
            .map(|(k, &s)| s..starts.get(k + 1).copied().unwrap_or(body.end))
            .collect();
        Some((first, members))
    }
}

/// Where `words` occur in `text` as whole words, and where its `from m import *` statements are:
/// the names a star import may bind are those of no statement that spells them, so every question
/// about a name's bindings looks at these statements too.
pub(crate) fn word_hits(text: &str, words: &[String]) -> Vec<Range<usize>> {
    let mut hits: Vec<Range<usize>> = words
        .iter()
        .flat_map(|w| {
            Word::new(w)
                .find_iter(text)
                .map(|at| at..at + w.len())
                .collect::<Vec<_>>()
        })
        .collect();
    const IMPORT: &str = "import";
    hits.extend(Word::new(IMPORT).find_iter(text).filter_map(|at| {
        let rest = &text[at + IMPORT.len()..];
        let trimmed = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '\\');
        trimmed
            .starts_with('*')
            .then(|| at..at + IMPORT.len() + (rest.len() - trimmed.len()) + 1)
    }));
    hits
}

/// Whether one of the sorted `hit_lines` lies in `lines`.
fn holds(hit_lines: &[usize], lines: Range<usize>) -> bool {
    let at = hit_lines.partition_point(|&l| l < lines.start);
    hit_lines.get(at).is_some_and(|&l| l < lines.end)
}

/// The indentation `line` starts with (a byte-order mark before it is not part of it).
fn indentation<'t>(text: &'t str, line: &Line) -> &'t str {
    let own = &text[line.start..line.end];
    let bom = own.len() - own.trim_start_matches('\u{feff}').len();
    &own[bom..bom + line.indent]
}

/// Whether `line` (a compound statement's header) begins with `class`.
fn is_class(text: &str, line: &Line) -> bool {
    let own = text[line.start..line.end].trim_start_matches('\u{feff}');
    own[line.indent..]
        .strip_prefix("class")
        .and_then(|rest| rest.bytes().next())
        .is_some_and(|b| !(b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts<'t>(text: &'t str, word: &str, split: bool) -> Vec<&'t str> {
        let s = Statements::scan(text).unwrap();
        let hits: Vec<Range<usize>> = text
            .match_indices(word)
            .map(|(at, w)| at..at + w.len())
            .collect();
        s.parts_holding(text, &hits, split)
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    const CLASS: &str = "import os\n\n\n@decorated\nclass C(Base):\n    \"\"\"Doc.\"\"\"\n\n    x = 1\n\n    @property\n    def a(self):\n        return os.getcwd()\n\n    def b(self):\n        try:\n            pass\n        except E:\n            hit()\n\n    class Inner:\n        def c(self):\n            hit()\n\n        def d(self):\n            pass\n\n\ndef f():\n    hit()\n";

    #[test]
    fn a_class_is_narrowed_to_its_header_and_the_members_holding_a_word() {
        assert_eq!(
            parts(CLASS, "hit", true),
            vec![
                "@decorated\nclass C(Base):\n",
                "    def b(self):\n        try:\n            pass\n        except E:\n            hit()\n\n    class Inner:\n        def c(self):\n            hit()\n\n",
                "def f():\n    hit()\n",
            ]
        );
        // The docstring is the first member: the header ends where it starts.
        assert_eq!(
            parts(CLASS, "getcwd", true)[0],
            "@decorated\nclass C(Base):\n"
        );
        assert_eq!(
            parts(CLASS, "getcwd", true)[1],
            "    @property\n    def a(self):\n        return os.getcwd()\n\n"
        );
    }

    #[test]
    fn classes_stay_whole_where_asked_or_where_their_header_holds_the_word() {
        let whole = &CLASS[CLASS.find("@decorated").unwrap()..CLASS.find("def f").unwrap()];
        // Without splitting, the class and the function after it are one part.
        let from_class = &CLASS[CLASS.find("@decorated").unwrap()..];
        assert_eq!(parts(CLASS, "hit", false), vec![from_class]);
        assert_eq!(parts(CLASS, "Base", true), vec![whole]);
        // A member indented unlike the first keeps its class whole.
        let mixed = "class C:\n    def a(self):\n        hit()\n\tdef b(self):\n\t\tpass\n";
        assert_eq!(parts(mixed, "hit", true), vec![mixed]);
    }
}
