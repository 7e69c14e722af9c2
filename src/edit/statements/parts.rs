//! The parts of a file to parse so that the statements holding some words come out of the parser
//! as they would from the whole file: each top-level statement that holds one, of a class only its
//! header and the members that hold one, and (where the question allows it) of a function only its
//! header and the statements of its body that hold one.
//!
//! A symbol-aware query needs the statements around its sites, where the names they start with
//! are bound (every binding of a name spells it), and nothing else: the rest of a file is parsed
//! only to be skipped. Parsing just these parts, in the file's own coordinates, gives the same
//! nodes at the same offsets (see `python::parse_parts`).

use std::ops::Range;

use super::{Kind, Line, Statements};
use crate::edit::literal::Word;

/// Which definitions [`Statements::parts_holding`] narrows to the statements of their body that
/// hold a hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Narrowing {
    /// None: every statement holding a hit is kept whole.
    None,
    /// Classes, to their header and the members that hold one.
    Classes,
    /// Classes, and functions to their header and the statements of their body that hold one.
    /// A question about names can take it: a statement of a function's body that does not spell
    /// a name neither binds nor uses it. A question about the statements themselves (a pattern
    /// that is a whole function) cannot.
    Definitions,
}

impl Statements {
    /// The sorted, disjoint byte ranges of `text` (the text these statements were lexed from) to
    /// parse for the statements that hold one of `hits`: every top-level statement holding one,
    /// with the comments and blank lines after it. A definition `narrowing` names whose header
    /// holds none is narrowed to its header and the statements of its body that hold one, each
    /// narrowed the same way. One is kept whole when the lexer cannot vouch for its layout (a
    /// statement of the body indented unlike the first), or when one of its body's own statements
    /// is an import that holds a hit, so that a block an import is removed from is seen whole.
    pub(crate) fn parts_holding(
        &self,
        text: &str,
        hits: &[Range<usize>],
        narrowing: Narrowing,
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
                self.statement_parts(text, first..end, &hit_lines, narrowing, &mut parts);
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
        narrowing: Narrowing,
        out: &mut Vec<Range<usize>>,
    ) {
        let whole = self.start_of(lines.start)..self.start_of(lines.end);
        let members = self.members(text, lines.clone(), hit_lines, narrowing);
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
                self.statement_parts(text, member, hit_lines, narrowing, out);
            }
        }
    }

    /// When the statement on `lines` is a definition that `narrowing` narrows, whose body is a
    /// block of statements at one indentation: the line its first member (statement of the body)
    /// starts on (the header, with its decorators and any comment lines before that member, ends
    /// there), and each member's lines.
    fn members(
        &self,
        text: &str,
        lines: Range<usize>,
        hit_lines: &[usize],
        narrowing: Narrowing,
    ) -> Option<(usize, Vec<Range<usize>>)> {
        if narrowing == Narrowing::None {
            return None;
        }
        let header = (lines.clone())
            .find(|&i| !matches!(self.lines[i].kind, Kind::Decorator | Kind::Blank))?;
        let line = &self.lines[header];
        let narrowed = match keyword_of(text, line) {
            Some("class") => true,
            Some("def") => narrowing == Narrowing::Definitions,
            _ => false,
        };
        if line.kind != Kind::Compound || !line.opens_block || !narrowed {
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
                // An import of the body that holds a hit keeps the body whole: whether removing
                // it leaves the block empty depends on every statement of the block.
                if member.kind == Kind::Simple
                    && holds(hit_lines, i..i + 1)
                    && is_import(&text[member.start + indentation.len()..member.end])
                {
                    return None;
                }
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

/// The definition keyword `line` (a compound statement's header) begins with: `class`, or `def`
/// (after `async` too).
fn keyword_of<'t>(text: &'t str, line: &Line) -> Option<&'t str> {
    let own = text[line.start..line.end].trim_start_matches('\u{feff}');
    let own = &own[line.indent..];
    let own = match word_at_start(own, "async") {
        Some(rest) if rest.starts_with([' ', '\t', '\\']) => {
            rest.trim_start_matches([' ', '\t', '\\', '\r', '\n'])
        }
        _ => own,
    };
    ["class", "def"]
        .into_iter()
        .find(|k| word_at_start(own, k).is_some())
}

/// Whether the statement `text` starts with is an import.
fn is_import(text: &str) -> bool {
    word_at_start(text, "import").is_some() || word_at_start(text, "from").is_some()
}

/// What follows `word` when `text` starts with it as a whole word.
fn word_at_start<'t>(text: &'t str, word: &str) -> Option<&'t str> {
    (super::word_at(text.as_bytes(), 0) == word).then(|| &text[word.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts<'t>(text: &'t str, word: &str, narrowing: Narrowing) -> Vec<&'t str> {
        let s = Statements::scan(text).unwrap();
        let hits: Vec<Range<usize>> = text
            .match_indices(word)
            .map(|(at, w)| at..at + w.len())
            .collect();
        s.parts_holding(text, &hits, narrowing)
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    const CLASS: &str = "import os\n\n\n@decorated\nclass C(Base):\n    \"\"\"Doc.\"\"\"\n\n    x = 1\n\n    @property\n    def a(self):\n        return os.getcwd()\n\n    def b(self):\n        try:\n            pass\n        except E:\n            hit()\n\n    class Inner:\n        def c(self):\n            hit()\n\n        def d(self):\n            pass\n\n\ndef f():\n    hit()\n";

    #[test]
    fn a_class_is_narrowed_to_its_header_and_the_members_holding_a_word() {
        assert_eq!(
            parts(CLASS, "hit", Narrowing::Classes),
            vec![
                "@decorated\nclass C(Base):\n",
                "    def b(self):\n        try:\n            pass\n        except E:\n            hit()\n\n    class Inner:\n        def c(self):\n            hit()\n\n",
                "def f():\n    hit()\n",
            ]
        );
        // The docstring is the first member: the header ends where it starts.
        assert_eq!(
            parts(CLASS, "getcwd", Narrowing::Classes)[0],
            "@decorated\nclass C(Base):\n"
        );
        assert_eq!(
            parts(CLASS, "getcwd", Narrowing::Classes)[1],
            "    @property\n    def a(self):\n        return os.getcwd()\n\n"
        );
    }

    #[test]
    fn classes_stay_whole_where_asked_or_where_their_header_holds_the_word() {
        let whole = &CLASS[CLASS.find("@decorated").unwrap()..CLASS.find("def f").unwrap()];
        // Without splitting, the class and the function after it are one part.
        let from_class = &CLASS[CLASS.find("@decorated").unwrap()..];
        assert_eq!(parts(CLASS, "hit", Narrowing::None), vec![from_class]);
        assert_eq!(parts(CLASS, "Base", Narrowing::Classes), vec![whole]);
        // A member indented unlike the first keeps its class whole.
        let mixed = "class C:\n    def a(self):\n        hit()\n\tdef b(self):\n\t\tpass\n";
        assert_eq!(parts(mixed, "hit", Narrowing::Classes), vec![mixed]);
    }

    const FUNCTION: &str = "import os\n\n\n@route(\"/\")\nasync def handler(request):\n    \"\"\"Doc.\"\"\"\n    user = request.user\n    try:\n        hit(user)\n    except E:\n        pass\n    log(user)\n\n    def inner():\n        x = 1\n        return hit(x)\n\n    return inner\n\n\ndef one(): return hit()\n";

    #[test]
    fn a_function_is_narrowed_to_its_header_and_the_statements_holding_a_word() {
        assert_eq!(
            parts(FUNCTION, "hit", Narrowing::Definitions),
            vec![
                "@route(\"/\")\nasync def handler(request):\n",
                "    try:\n        hit(user)\n    except E:\n        pass\n",
                "    def inner():\n",
                "        return hit(x)\n\n",
                "def one(): return hit()\n",
            ]
        );
        // Narrowing classes only, or nothing, keeps the function whole.
        let whole = &FUNCTION[FUNCTION.find("@route").unwrap()..];
        assert_eq!(parts(FUNCTION, "hit", Narrowing::Classes), vec![whole]);
        assert_eq!(parts(FUNCTION, "hit", Narrowing::None), vec![whole]);
        // A header that holds the word keeps its function whole.
        let handler =
            &FUNCTION[FUNCTION.find("@route").unwrap()..FUNCTION.find("def one").unwrap()];
        assert_eq!(
            parts(FUNCTION, "request", Narrowing::Definitions),
            vec![handler]
        );
    }

    #[test]
    fn a_definition_whose_body_imports_a_word_is_kept_whole() {
        let text = "def f():\n    from m import hit\n    a = 1\n    return hit()\n\n\nclass C:\n    import hit\n    b = 2\n";
        assert_eq!(parts(text, "hit", Narrowing::Definitions), vec![text]);
        // An import that does not hold the word does not.
        let other = "def f():\n    from m import other\n    a = 1\n    return hit()\n";
        assert_eq!(
            parts(other, "hit", Narrowing::Definitions),
            vec!["def f():\n", "    return hit()\n"]
        );
    }

    #[test]
    fn only_definitions_are_narrowed_and_async_def_is_one() {
        let text = "async  def f():\n    a = 1\n    hit()\n\n\nif x:\n    a = 1\n    hit()\n\n\nasyncdef = 1\n";
        assert_eq!(
            parts(text, "hit", Narrowing::Definitions),
            vec![
                "async  def f():\n",
                "    hit()\n\n\nif x:\n    a = 1\n    hit()\n\n\n"
            ]
        );
    }
}
