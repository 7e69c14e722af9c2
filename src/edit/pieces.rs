//! Parsing only as much of a file as structural queries need: the statement units around the
//! occurrences of their patterns' words when that is enough, else the whole file. Parsing is the
//! cost of structural edits, and most of a file lies far from any match.

use super::context::EditContext;
use super::lines::LineIndex;
use super::statements::{LazyStatements, Placement, Unit};
use super::structural::{ParsedFile, Query, Reach, Unresolved, Verdict};
use super::symbols::Resolution;
use crate::tree::paths::RelPath;

/// A parsed part of a file: the whole file, or one unit of it (see [`statements`]).
pub(super) struct Piece<'a> {
    pub(super) file: ParsedFile<'a>,
    placement: Placement,
}

impl Piece<'_> {
    pub(super) fn to_file(&self, offset: usize) -> Option<usize> {
        self.placement.to_file(offset)
    }
}

/// Parses what `queries` need to see of `text` and hands the parsed pieces to `visit`: the units
/// around the occurrences of their patterns' words when that is enough (see [`Reach`]) and every
/// unit parses on its own, else the whole file. With `whole_blocks`, the units are top-level
/// statements, so that every block around a match is parsed whole.
pub(super) fn with_parsed<R>(
    statements: &LazyStatements,
    rel: &RelPath,
    cx: &EditContext,
    queries: &[&Query],
    whole_blocks: bool,
    visit: impl FnOnce(&[Piece]) -> R,
) -> R {
    let text = statements.text();
    if let Some(units) = units_for(statements, queries, whole_blocks) {
        let sources: Vec<(String, Placement)> = units.iter().map(|u| u.source(text)).collect();
        let pieces: Option<Vec<Piece>> = sources
            .iter()
            .map(|(source, placement)| {
                let file =
                    ParsedFile::parse(source, rel, &cx.modules).filter(|f| !f.has_error())?;
                Some(Piece {
                    file,
                    placement: *placement,
                })
            })
            .collect();
        if let Some(pieces) = pieces {
            return visit(&pieces);
        }
    }
    let whole: Vec<Piece> = ParsedFile::parse(text, rel, &cx.modules)
        .map(|file| Piece {
            file,
            placement: Placement::WHOLE,
        })
        .into_iter()
        .collect();
    visit(&whole)
}

/// The units that hold every match of `queries` in the text; `None` when the whole file is needed.
fn units_for(
    statements: &LazyStatements,
    queries: &[&Query],
    whole_blocks: bool,
) -> Option<Vec<Unit>> {
    let text = statements.text();
    let mut top_level_only = whole_blocks;
    let mut anchors = Vec::new();
    for query in queries {
        match query.reach() {
            Reach::File => return None,
            Reach::TopLevel => top_level_only = true,
            Reach::Statement => {}
        }
        anchors.push(query.anchor()?);
    }
    let statements = statements.get()?;
    let ranges = anchors
        .iter()
        .flat_map(|w| w.find_iter(text).map(move |at| at..at + w.len()));
    Some(statements.units_around(ranges, top_level_only))
}

/// What a `python` check sees of one file: the 1-based lines of the matches that count, and
/// those where the pattern matches except that the symbol's name resolves to nothing. One parse
/// and one walk give both.
pub(crate) fn structural_check_sites(
    query: &Query,
    rel: &RelPath,
    content: &str,
    cx: &EditContext,
) -> (Vec<u64>, Vec<(u64, Resolution)>) {
    if !query.could_match(content) {
        return (Vec::new(), Vec::new());
    }
    cx.count_parsed();
    if query.pattern.symbol().is_none() {
        return (match_lines(query, rel, content, cx), Vec::new());
    }
    let (mut counted, mut unresolved) = (Vec::new(), Vec::new());
    for_each_verdict(query, rel, content, cx, |line, verdict| match verdict {
        Verdict::Counts => counted.push(line),
        Verdict::Unresolved(why) => {
            if query.unresolved == Unresolved::Edit {
                counted.push(line);
            }
            unresolved.push((line, why));
        }
        Verdict::LeftAlone(_) => {}
    });
    (counted, unresolved)
}

/// The sites of one file that a query's pattern matches but that do not simply count.
#[derive(Debug, Default)]
pub(crate) struct SetAside {
    /// Lines where the query's context (`inside`, `not_inside`, `in_class`, `unless_comment`)
    /// keeps a match from counting, each with the context that decided.
    pub(crate) left_alone: Vec<(u64, String)>,
    /// Lines where the pattern matches except that the symbol's name resolves to nothing, each
    /// with the reason; these count only when the query edits unresolved sites.
    pub(crate) unresolved: Vec<(u64, Resolution)>,
}

/// The sites of `content` that `query` sets aside (see [`SetAside`]): the sites an edit
/// deliberately leaves alone, and those it cannot tell are the symbol. Not counted as a parse: it
/// looks again at a file the edit already parsed.
pub(crate) fn set_aside_lines(
    query: &Query,
    rel: &RelPath,
    content: &str,
    cx: &EditContext,
) -> SetAside {
    let mut out = SetAside::default();
    if !query.sets_aside() || !query.could_match(content) {
        return out;
    }
    for_each_verdict(query, rel, content, cx, |line, verdict| match verdict {
        Verdict::Counts => {}
        Verdict::LeftAlone(reason) => out.left_alone.push((line, reason)),
        Verdict::Unresolved(why) => out.unresolved.push((line, why)),
    });
    out
}

/// Every structural match of `query` in `content`, by its 1-based line, with the query's verdict,
/// in file order.
fn for_each_verdict(
    query: &Query,
    rel: &RelPath,
    content: &str,
    cx: &EditContext,
    mut visit: impl FnMut(u64, Verdict),
) {
    let lines = LineIndex::new(content);
    with_parsed(
        &LazyStatements::new(content),
        rel,
        cx,
        &[query],
        false,
        |pieces| {
            for p in pieces {
                for (m, verdict) in query.find_all(&p.file) {
                    if let Some(at) = p.to_file(m.range.start) {
                        visit(lines.line_of(at), verdict);
                    }
                }
            }
        },
    );
}

fn match_lines(query: &Query, rel: &RelPath, content: &str, cx: &EditContext) -> Vec<u64> {
    let lines = LineIndex::new(content);
    with_parsed(
        &LazyStatements::new(content),
        rel,
        cx,
        &[query],
        false,
        |pieces| {
            pieces
                .iter()
                .flat_map(|p| {
                    query
                        .find(&p.file)
                        .into_iter()
                        .filter_map(|m| p.to_file(m.range.start))
                })
                .map(|at| lines.line_of(at))
                .collect()
        },
    )
}

#[cfg(test)]
mod tests {
    use std::ops::Range;

    use super::*;
    use crate::edit::{python, structural, test_corpus};
    use crate::plan::Skip;

    const CODE: Skip = Skip {
        strings: true,
        comments: true,
    };

    /// The strings and comments found by parsing only the statements around regex matches are
    /// those of the whole file's parse, at every match in real code.
    #[test]
    fn skipped_ranges_of_units_agree_with_the_whole_file() {
        let re =
            ::regex::Regex::new(r#"\b(self|return|if|len|print|await|not|x)\b|#|'|""#).unwrap();
        let mut compared = 0;
        for (path, text) in test_corpus::python_files(600_000) {
            let matches: Vec<Range<usize>> = re.find_iter(&text).map(|m| m.range()).collect();
            let around = python::skipped_ranges_around(&LazyStatements::new(&text), CODE, &matches);
            let whole = python::skipped_ranges(&text, CODE);
            for m in &matches {
                compared += 1;
                assert_eq!(
                    python::in_ranges(&around, m.start),
                    python::in_ranges(&whole, m.start),
                    "{}: at byte {} ({:?})",
                    path.display(),
                    m.start,
                    &text[m.start..(m.start + 40).min(text.len())]
                );
            }
        }
        assert!(compared > 10_000, "{compared}");
    }

    /// Structural matches found in statement units are those found in the whole file's tree, for
    /// patterns of every reach.
    #[test]
    fn structural_matches_in_units_agree_with_the_whole_file() {
        let queries: Vec<Query> = [
            ("len($X)", None, None),
            ("self.$M($$$A)", None, None),
            ("isinstance($A, $B)", None, None),
            ("return $X", None, None),
            ("raise $E($$$A)", None, None),
            ("await $X", None, None),
            ("if $C: $$$B", None, None),
            ("len($X)", Some("def $F($$$P): $$$B"), None),
            ("self.$M($$$A)", None, Some("with $$$W: $$$B")),
        ]
        .into_iter()
        .map(|(p, inside, not_inside)| Query {
            inside: inside
                .map(|i| structural::Pattern::compile(i, None).unwrap())
                .into_iter()
                .collect(),
            not_inside: not_inside
                .map(|i| structural::Pattern::compile(i, None).unwrap())
                .into_iter()
                .collect(),
            ..Query::new(structural::Pattern::compile(p, None).unwrap())
        })
        .collect();
        assert_eq!(queries[0].reach(), Reach::Statement);
        assert_eq!(queries[6].reach(), Reach::TopLevel);
        assert_eq!(queries[7].reach(), Reach::TopLevel);
        let cx = EditContext::detached();
        let mut found = 0;
        for (path, text) in test_corpus::python_files(400_000) {
            let rel = RelPath::parse("m.py").unwrap();
            let whole = ParsedFile::parse(&text, &rel, &cx.modules).unwrap();
            let lines = LineIndex::new(&text);
            for query in &queries {
                let expected: Vec<u64> = query
                    .find(&whole)
                    .iter()
                    .map(|m| lines.line_of(m.range.start))
                    .collect();
                let got = structural_check_sites(query, &rel, &text, &cx).0;
                assert_eq!(got, expected, "{}: {}", path.display(), query.describe());
                found += got.len();
            }
        }
        assert!(found > 1_000, "{found}");
    }
}
