//! The statements of an edited text, from those of the text it was edited from: only the logical
//! lines around each change are lexed again. Every edit of a pass, the names check after it and
//! the checks of later phases lex the edited files, whose lines are nearly all their originals'.
//!
//! The lexer starts each logical line afresh at its first byte and reads nothing past the line
//! break that ends it, so a line of the new text is the old line moved, as long as it lies outside
//! the changes. The lexing starts again one line before the line each change begins in, and goes
//! on until a line ends past the change at a place where an old line began: from there on the new
//! text is the old one moved, up to the next change.

use std::ops::Range;
use std::sync::Arc;

use super::{Lexer, Line, Statements, KEPT, KEPT_SMALLEST};

impl Statements {
    /// The statements of `new`, which is `old` (the text these statements are of) with `changes`
    /// applied (sorted, disjoint ranges of `old` and what replaces each): the kept ones when `new`
    /// was lexed lately, else these moved and lexed again around the changes, and kept.
    pub(crate) fn of_edited(
        &self,
        old: &str,
        new: &str,
        changes: &[(Range<usize>, &str)],
    ) -> Option<Arc<Statements>> {
        if new.len() < KEPT_SMALLEST {
            return Statements::scan(new).map(Arc::new);
        }
        let key = blake3::hash(new.as_bytes());
        if let Some(kept) = KEPT.get(&key) {
            return (*kept).clone();
        }
        let lexed = match self.relexed(old, new, changes) {
            Some(lexed) => lexed,
            None => Statements::scan(new),
        };
        let lexed = Arc::new(lexed.map(Arc::new));
        KEPT.keep(key, lexed.clone(), new.len());
        (*lexed).clone()
    }

    /// [`Statements::of_edited`] without the keeping: `Some(None)` when the lexer gives up on
    /// `new` (as a whole scan would), `None` when the old lines cannot be reused (a byte-order
    /// mark that changes, changes that are not sorted and disjoint, texts that do not match).
    fn relexed(
        &self,
        old: &str,
        new: &str,
        changes: &[(Range<usize>, &str)],
    ) -> Option<Option<Statements>> {
        let bom = |t: &str| if t.starts_with('\u{feff}') { 3 } else { 0 };
        let sorted = changes.windows(2).all(|w| w[0].0.end <= w[1].0.start);
        let grown: isize = changes
            .iter()
            .map(|(r, t)| t.len() as isize - r.len() as isize)
            .sum();
        if changes.is_empty()
            || !sorted
            || self.len != old.len()
            || old.len() as isize + grown != new.len() as isize
            || bom(old) != bom(new)
            || changes
                .iter()
                .any(|(r, _)| r.start < bom(old) || r.end > old.len())
        {
            return None;
        }
        let old_lines = &self.lines;
        let moved = |line: &Line, by: isize| Line {
            start: (line.start as isize + by) as usize,
            end: (line.end as isize + by) as usize,
            ..*line
        };
        let bytes = new.as_bytes();
        let mut lines: Vec<Line> = Vec::with_capacity(old_lines.len() + changes.len());
        // The next old line to take, and how far the old text has moved there.
        let (mut next, mut by) = (0usize, 0isize);
        let mut k = 0;
        while k < changes.len() {
            let from = self.line_at(changes[k].0.start).saturating_sub(1).max(next);
            lines.extend(old_lines[next..from].iter().map(|l| moved(l, by)));
            let start = match old_lines.get(from) {
                _ if from == 0 => bom(new),
                Some(line) => (line.start as isize + by) as usize,
                None => (old.len() as isize + by) as usize,
            };
            let mut lexer = Lexer { bytes, at: start };
            // How far the old text has moved after change `k`, and where that change ends in `new`.
            let mut after = by + changes[k].1.len() as isize - changes[k].0.len() as isize;
            let mut end = (changes[k].0.end as isize + after) as usize;
            loop {
                if lexer.at >= bytes.len() {
                    next = old_lines.len();
                    k = changes.len();
                    break;
                }
                let Some(line) = lexer.line() else {
                    return Some(None);
                };
                lines.push(line);
                let at = lexer.at;
                // A change that begins inside the lines just lexed is lexed with them.
                while let Some((range, text)) = changes.get(k + 1) {
                    if (range.start as isize + after) as usize >= at {
                        break;
                    }
                    k += 1;
                    after += text.len() as isize - range.len() as isize;
                    end = (range.end as isize + after) as usize;
                }
                if at < end {
                    continue;
                }
                let old_at = (at as isize - after) as usize;
                if old_at == old.len() {
                    next = old_lines.len();
                    by = after;
                    k += 1;
                    break;
                }
                if let Ok(j) = old_lines.binary_search_by_key(&old_at, |l| l.start) {
                    next = j;
                    by = after;
                    k += 1;
                    break;
                }
            }
        }
        lines.extend(old_lines[next..].iter().map(|l| moved(l, by)));
        Some(Some(Statements::of_lines(lines, new.len())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies `changes` (sorted, disjoint) to `text`.
    fn apply(text: &str, changes: &[(Range<usize>, &str)]) -> String {
        let mut out = String::new();
        let mut at = 0;
        for (range, with) in changes {
            out.push_str(&text[at..range.start]);
            out.push_str(with);
            at = range.end;
        }
        out.push_str(&text[at..]);
        out
    }

    fn lines_of(s: &Option<Statements>) -> Option<&Vec<Line>> {
        s.as_ref().map(|s| &s.lines)
    }

    /// Edits that change how the lines after them are lexed (an opened bracket or string, a joined
    /// or split line, a new block) as well as edits inside lines: the statements of each edited
    /// text are exactly what a scan of the whole of it gives.
    #[test]
    fn an_edited_texts_statements_are_those_a_whole_scan_gives() {
        let replacements = [
            "",
            "x",
            "\n",
            "(",
            ")",
            "'",
            "\"\"\"",
            "#",
            "\\\n",
            "    ",
            "\tif y:\n",
            ":\n",
            "else:\n",
            "@d\n",
            "f(\n  1,\n)",
            "\r\n",
        ];
        let (mut compared, mut reused) = (0, 0);
        for (path, text) in crate::edit::test_corpus::python_files(1_500_000) {
            let Some(old) = Statements::scan(&text) else {
                continue;
            };
            // Spread over the file: a few edits at places derived from its length.
            let len = text.len();
            let mut seed = len;
            for round in 0..12 {
                let mut changes: Vec<(Range<usize>, &str)> = Vec::new();
                let mut at = 0;
                for _ in 0..(1 + round % 4) {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let start = at + (seed >> 17) % (len / 3 + 1);
                    if start >= len {
                        break;
                    }
                    let start = (start..len)
                        .find(|&i| text.is_char_boundary(i))
                        .unwrap_or(len);
                    let take = (seed >> 40) % 12;
                    let end = (start..=(start + take).min(len))
                        .rev()
                        .find(|&i| text.is_char_boundary(i))
                        .unwrap_or(start);
                    let with = replacements[(seed >> 8) % replacements.len()];
                    changes.push((start..end, with));
                    at = end + 1;
                }
                if round == 0 {
                    changes = vec![(0..0, "import os\n")];
                }
                if round == 1 {
                    changes = vec![(len..len, "\nprint(1)")];
                }
                let new = apply(&text, &changes);
                let whole = Statements::scan(&new);
                let part = old.relexed(&text, &new, &changes);
                if let Some(part) = &part {
                    assert_eq!(
                        lines_of(part),
                        lines_of(&whole),
                        "{}: {changes:?}",
                        path.display()
                    );
                    reused += 1;
                }
                compared += 1;
            }
        }
        assert!(compared > 500, "{compared} edits compared");
        assert!(reused * 10 > compared * 9, "{reused} of {compared} relexed");
    }

    #[test]
    fn changes_that_do_not_fit_the_texts_are_lexed_whole() {
        let text = "x = 1\ny = 2\n";
        let old = Statements::scan(text).unwrap();
        let new = "x = 1\ny = 3\n";
        assert!(old.relexed(text, new, &[(10..11, "3")]).is_some());
        assert!(old.relexed(text, new, &[]).is_none());
        assert!(old.relexed(text, "x = 1\n", &[(10..11, "3")]).is_none());
        assert!(old
            .relexed(text, new, &[(8..11, "= 3"), (6..9, "y =")])
            .is_none());
        let with_bom = format!("\u{feff}{text}");
        assert!(old
            .relexed(text, &with_bom, &[(0..0, "\u{feff}")])
            .is_none());
    }
}
