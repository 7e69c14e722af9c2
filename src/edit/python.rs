//! What remedy knows about Python source, from tree-sitter-python's syntax tree: where strings and
//! comments are (so regexes can stay in code), how many syntax errors a file has (so an edit that
//! breaks a file is refused), and where a function is defined and whether it is `async`.

use std::cell::RefCell;
use std::ops::Range;

use tree_sitter::{InputEdit, Node, Parser, Point, Tree};

use super::statements::LazyStatements;
use crate::plan::Skip;

thread_local! {
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

const BOM: &str = "\u{feff}";

/// Parses `source` (a leading byte-order mark is skipped; offsets still refer to `source`), or
/// gives the tree of the same text parsed lately (see [`tree_cache`](super::tree_cache)).
pub(crate) fn parse(source: &str) -> Option<(Tree, usize)> {
    super::tree_cache::tree_of(source, || parse_uncached(source))
}

/// Parses `source` anew.
pub(crate) fn parse_uncached(source: &str) -> Option<(Tree, usize)> {
    parse_with(source, None)
}

/// Parses only `parts` of `source`: sorted, disjoint byte ranges, each from the start of a line
/// to the start of another (or the end), as `Statements::parts_holding` gives them. The tree's
/// nodes have the offsets and positions they have in the whole file, and the text between the
/// parts is skipped as if it were not there. Kept like [`parse`]'s trees, by text and parts.
pub(crate) fn parse_parts(source: &str, parts: &[Range<usize>]) -> Option<(Tree, usize)> {
    super::tree_cache::tree_of_parts(source, parts, || {
        let offset = bom_len(source);
        let ranges = included_ranges(&source[offset..], parts, offset);
        // A text an edit made from one whose same parts were parsed: that tree, edited, is
        // reused where the edits did not change it.
        let old = super::tree_cache::edited_parts_tree(source, &ranges);
        parse_ranges(source, &ranges, old.as_ref())
    })
}

/// Parses the `ranges` of `source` (after its byte-order mark) anew, reusing `old` (a tree of the
/// same ranges of a text edited into `source`, its edits applied) where it still applies.
fn parse_ranges(
    source: &str,
    ranges: &[tree_sitter::Range],
    old: Option<&Tree>,
) -> Option<(Tree, usize)> {
    let offset = bom_len(source);
    with_parser(|parser| {
        let set = parser.set_included_ranges(ranges).is_ok();
        let tree = set.then(|| parser.parse(&source[offset..], old)).flatten();
        // Back to the whole text for the next parse on this thread.
        let _ = parser.set_included_ranges(&[]);
        tree
    })
    .map(|tree| (tree, offset))
}

/// `parts` of a file (offsets in the file, whose byte-order mark takes `offset` bytes) as ranges of
/// `text`, the file after that mark, with their rows and columns.
fn included_ranges(text: &str, parts: &[Range<usize>], offset: usize) -> Vec<tree_sitter::Range> {
    let bytes = text.as_bytes();
    let (mut at, mut row, mut line_start) = (0, 0, 0);
    let mut point = |to: usize| {
        for nl in memchr::memchr_iter(b'\n', &bytes[at..to]) {
            row += 1;
            line_start = at + nl + 1;
        }
        at = to;
        Point::new(row, to - line_start)
    };
    parts
        .iter()
        .map(|part| {
            let start = part.start.saturating_sub(offset).min(bytes.len());
            let end = part.end.saturating_sub(offset).clamp(start, bytes.len());
            tree_sitter::Range {
                start_byte: start,
                start_point: point(start),
                end_byte: end,
                end_point: point(end),
            }
        })
        .collect()
}

/// Parses `source`, reusing `old` (already edited to match `source`) where it still applies.
fn parse_with(source: &str, old: Option<&Tree>) -> Option<(Tree, usize)> {
    let offset = bom_len(source);
    with_parser(|parser| parser.parse(&source[offset..], old)).map(|t| (t, offset))
}

/// Runs `f` with this thread's Python parser.
fn with_parser<R>(f: impl FnOnce(&mut Parser) -> Option<R>) -> Option<R> {
    PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut parser = Parser::new();
            parser
                .set_language(&tree_sitter_python::LANGUAGE.into())
                .ok()?;
            *slot = Some(parser);
        }
        f(slot.as_mut()?)
    })
}

fn bom_len(source: &str) -> usize {
    if source.starts_with(BOM) {
        BOM.len()
    } else {
        0
    }
}

/// A file's syntax tree, kept so that one parse serves every question asked about the file.
pub(crate) struct ParsedSource {
    tree: Tree,
    /// Length of the byte-order mark the parser did not see.
    offset: usize,
}

impl ParsedSource {
    /// Parses `source`; `None` only if tree-sitter gives up (it does not without a timeout).
    pub(crate) fn new(source: &str) -> Option<ParsedSource> {
        parse(source).map(|(tree, offset)| ParsedSource { tree, offset })
    }

    /// See [`error_count`].
    pub(crate) fn error_count(&self) -> usize {
        errors_in(&self.tree)
    }

    /// The tree of `new`, which is `old` (the text this tree was parsed from) with `changes` applied:
    /// sorted, non-overlapping `(range in old, replacement text)` pairs. The unchanged parts of the
    /// old tree are reused, so this costs a fraction of a full parse; tree-sitter's incremental
    /// parse gives the tree a full parse would.
    pub(crate) fn reparse_edited<'a>(
        &self,
        old: &str,
        new: &str,
        changes: impl Iterator<Item = (Range<usize>, &'a str)>,
    ) -> Option<ParsedSource> {
        let Some(edits) = input_edits(old, new, self.offset, changes) else {
            return ParsedSource::new(new);
        };
        let mut tree = self.tree.clone();
        for edit in &edits {
            tree.edit(edit);
        }
        parse_with(new, Some(&tree)).map(|(tree, offset)| ParsedSource { tree, offset })
    }
}

/// The edits that make the tree of `old` (whose byte-order mark takes `offset` bytes) one of
/// `new`, which is `old` with `changes` applied (sorted, non-overlapping `(range in old,
/// replacement text)` pairs), in the order to apply them: last first, so that the text before
/// each is still the old text and the positions computed on it hold. `None` when a change touches
/// the byte-order mark, which changes what the parser sees from its first byte.
fn input_edits<'a>(
    old: &str,
    new: &str,
    offset: usize,
    changes: impl Iterator<Item = (Range<usize>, &'a str)>,
) -> Option<Vec<InputEdit>> {
    let changes: Vec<(Range<usize>, &str)> = changes.collect();
    if bom_len(new) != offset
        || bom_len(old) != offset
        || changes.iter().any(|(r, _)| r.start < offset)
    {
        return None;
    }
    let old = &old[offset..];
    let starts = points_at(
        old,
        changes
            .iter()
            .flat_map(|(r, _)| [r.start - offset, r.end - offset]),
    );
    let edits = changes.iter().enumerate().rev().map(|(i, (range, text))| {
        let (start, old_end) = (range.start - offset, range.end - offset);
        let start_position = starts[2 * i];
        InputEdit {
            start_byte: start,
            old_end_byte: old_end,
            new_end_byte: start + text.len(),
            start_position,
            old_end_position: starts[2 * i + 1],
            new_end_position: advance(start_position, text),
        }
    });
    Some(edits.collect())
}

/// Keeps the tree of `new` (`old` with `changes` applied, sorted and apart) for its next parse,
/// made by reparsing the kept tree of `old` where the changes are: an edited file is parsed again
/// by the next pass, the names check and later checks, and the incremental parse costs a
/// fraction of a whole one. Nothing is kept when `old`'s tree is not. What made `new` from `old`
/// is noted too, so that a later parse of some parts of `new` reuses a tree of parts of `old`
/// (see [`parse_parts`]).
pub(crate) fn remember_edited<'a>(
    old: &str,
    new: &str,
    changes: impl Iterator<Item = (Range<usize>, &'a str)>,
) {
    let Some(edits) = input_edits(old, new, bom_len(old), changes) else {
        return;
    };
    super::tree_cache::note_edited(old, new, &edits);
    super::tree_cache::tree_of(new, || {
        let (mut tree, _) = super::tree_cache::kept(old)?;
        for edit in &edits {
            tree.edit(edit);
        }
        parse_with(new, Some(&tree))
    });
}

/// [`remember_edited`] for a `new` text whose changes from `old` are not listed: one change,
/// from the first byte that differs to the last.
pub(crate) fn remember_rewritten(old: &str, new: &str) {
    let (start, old_end, new_end) = super::span::differing(old, new);
    let change = (start..old_end, &new[start..new_end]);
    remember_edited(old, new, std::iter::once(change));
}

/// Row and byte column of each of the ascending `offsets` in `text`, in one pass.
fn points_at(text: &str, offsets: impl Iterator<Item = usize>) -> Vec<Point> {
    let bytes = text.as_bytes();
    let (mut at, mut row, mut line_start) = (0, 0, 0);
    offsets
        .map(|offset| {
            for (i, b) in bytes[at..offset].iter().enumerate() {
                if *b == b'\n' {
                    row += 1;
                    line_start = at + i + 1;
                }
            }
            at = offset;
            Point::new(row, offset - line_start)
        })
        .collect()
}

/// The position after `text` inserted at `start`.
fn advance(start: Point, text: &str) -> Point {
    match text.rfind('\n') {
        Some(last) => Point::new(
            start.row + text.bytes().filter(|b| *b == b'\n').count(),
            text.len() - last - 1,
        ),
        None => Point::new(start.row, start.column + text.len()),
    }
}

pub(crate) fn is_python_path(path: &str) -> bool {
    path.ends_with(".py") || path.ends_with(".pyi")
}

/// Byte ranges of `source` that are inside string literals or comments (as `skip` asks), sorted.
/// The code inside f-string `{...}` interpolations is not part of a string range.
pub(crate) fn skipped_ranges(source: &str, skip: Skip) -> Vec<Range<usize>> {
    let Some((tree, offset)) = parse(source) else {
        return Vec::new();
    };
    ranges_in(&tree, offset, skip)
}

/// [`skipped_ranges`] where they matter for `around` (the ranges of regex matches): only the
/// statements that contain them are parsed, unless one of those does not parse on its own, and then
/// the whole file is.
pub(crate) fn skipped_ranges_around(
    statements: &LazyStatements,
    skip: Skip,
    around: &[Range<usize>],
) -> Vec<Range<usize>> {
    let source = statements.text();
    let in_units = statements.get().and_then(|statements| {
        let mut out = Vec::new();
        for unit in statements.units_around(around.iter().cloned(), false) {
            let (piece, placement) = unit.source(source);
            let (tree, offset) = parse(&piece)?;
            if tree.root_node().has_error() {
                return None;
            }
            // Strings and comments never lie in the block header.
            out.extend(
                ranges_in(&tree, offset, skip)
                    .into_iter()
                    .filter_map(|r| Some(placement.to_file(r.start)?..placement.to_file(r.end)?)),
            );
        }
        Some(out)
    });
    in_units.unwrap_or_else(|| skipped_ranges(source, skip))
}

/// Whether parsing only the statements around `changes` (sorted, non-overlapping `(range in old,
/// replacement)` pairs) proves that they leave `old` without a new syntax error: every such
/// statement parses on its own before and after, and keeps its shape (see [`Unit::keeps_shape`](super::statements::Unit::keeps_shape)).
/// `false` means "not proven": the caller parses the whole file.
/// Whether `new`, the text of `old` after an edit, breaks Python's indentation rules in more places
/// than `old` did. `false` when either text is one the statement lexer does not follow: the
/// tree-sitter check is then all there is.
/// `changes` (sorted, disjoint ranges of `old` and their replacements) made `new`: its statements
/// are then `old`'s, lexed again only around them.
pub(crate) fn indentation_gets_worse(
    old: &LazyStatements,
    new: &str,
    changes: &[(Range<usize>, &str)],
) -> bool {
    let Some(before) = old.get() else {
        return false;
    };
    let Some(after) = before.of_edited(old.text(), new, changes) else {
        return false;
    };
    after.indentation_errors(new) > before.indentation_errors(old.text())
}

/// Whether `new`, which is `old` changed in one place, keeps its syntax as far as parsing the
/// statements around that place tells (see [`changes_keep_syntax`]); `false` proves nothing.
pub(crate) fn change_keeps_syntax(old: &str, new: &str) -> bool {
    let (start, old_end, new_end) = super::span::differing(old, new);
    let change = (start..old_end, &new[start..new_end]);
    let statements = LazyStatements::new(old);
    changes_keep_syntax(&statements, std::slice::from_ref(&change))
        && !indentation_gets_worse(&statements, new, &[change])
}

pub(crate) fn changes_keep_syntax(
    statements: &LazyStatements,
    changes: &[(Range<usize>, &str)],
) -> bool {
    let old = statements.text();
    if changes.iter().any(|(r, _)| r.start < bom_len(old)) {
        return false;
    }
    let Some(statements) = statements.get() else {
        return false;
    };
    let units = statements.units_around(changes.iter().map(|(r, _)| r.clone()), false);
    let mut next = 0;
    units.iter().all(|unit| {
        let before = &old[unit.range.clone()];
        let mut after = String::with_capacity(before.len());
        let mut at = unit.range.start;
        // Each change lies in one unit; an insertion at the very end belongs to the last.
        let mine = |r: &Range<usize>| r.start < unit.range.end || r.start == old.len();
        while let Some((range, text)) = changes.get(next).filter(|(r, _)| mine(r)) {
            after.push_str(&old[at..range.start]);
            after.push_str(text);
            at = range.end;
            next += 1;
        }
        after.push_str(&old[at..unit.range.end]);
        let (piece, placement) = unit.source(old);
        unit.keeps_shape(before, &after)
            && error_count(&piece) == 0
            && error_count(&format!("{}{after}", &piece[..placement.header])) == 0
    })
}

fn ranges_in(tree: &Tree, offset: usize, skip: Skip) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        match node.kind() {
            "comment" if skip.comments => {
                ranges.push(node.start_byte() + offset..node.end_byte() + offset)
            }
            "string" if skip.strings => {
                let mut start = node.start_byte();
                let mut cursor = node.walk();
                for child in node.children(&mut cursor) {
                    if child.kind() == "interpolation" {
                        ranges.push(start + offset..child.start_byte() + offset);
                        start = child.end_byte();
                        stack.push(child);
                    }
                }
                ranges.push(start + offset..node.end_byte() + offset);
            }
            _ => {
                let mut cursor = node.walk();
                stack.extend(node.children(&mut cursor));
            }
        }
    }
    ranges.sort_by_key(|r| r.start);
    ranges
}

/// Whether `pos` lies inside one of the sorted `ranges`.
pub(crate) fn in_ranges(ranges: &[Range<usize>], pos: usize) -> bool {
    let i = ranges.partition_point(|r| r.start <= pos);
    i > 0 && ranges[i - 1].contains(&pos)
}

/// Number of syntax errors (ERROR and MISSING nodes) in `source`.
pub(crate) fn error_count(source: &str) -> usize {
    let Some((tree, _)) = parse(source) else {
        return 0;
    };
    errors_in(&tree)
}

fn errors_in(tree: &Tree) -> usize {
    if !tree.root_node().has_error() {
        return 0;
    }
    let mut count = 0;
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if node.is_error() || node.is_missing() {
            count += 1;
        } else if node.has_error() {
            let mut cursor = node.walk();
            let before = stack.len();
            stack.extend(node.children(&mut cursor).filter(|c| c.has_error()));
            // A missing hidden token (a line break between two statements) is not among the
            // children a cursor visits; the node that holds it still says it has an error.
            if stack.len() == before {
                count += 1;
            }
        }
    }
    count
}

/// A function definition found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FunctionDef {
    pub(crate) line: usize,
    pub(crate) is_async: bool,
}

/// The definitions of `name` (`f` at module level, `Class.method` in a class), in file order.
pub(crate) fn find_functions(source: &str, name: &str) -> Vec<FunctionDef> {
    let Some((tree, offset)) = parse(source) else {
        return Vec::new();
    };
    let wanted: Vec<&str> = name.split('.').collect();
    let mut found = Vec::new();
    collect_functions(
        tree.root_node(),
        source,
        offset,
        &mut Vec::new(),
        &wanted,
        &mut found,
    );
    found.sort_by_key(|f| f.line);
    found
}

fn collect_functions<'s>(
    node: Node,
    source: &'s str,
    offset: usize,
    scope: &mut Vec<&'s str>,
    wanted: &[&str],
    found: &mut Vec<FunctionDef>,
) {
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        match child.kind() {
            "function_definition" | "class_definition" => {
                let Some(name_node) = child.child_by_field_name("name") else {
                    continue;
                };
                let name = &source[name_node.start_byte() + offset..name_node.end_byte() + offset];
                scope.push(name);
                if child.kind() == "function_definition" && scope.as_slice() == wanted {
                    let is_async = child.child(0).is_some_and(|c| c.kind() == "async");
                    found.push(FunctionDef {
                        line: child.start_position().row + 1,
                        is_async,
                    });
                }
                if let Some(body) = child.child_by_field_name("body") {
                    collect_functions(body, source, offset, scope, wanted, found);
                }
                scope.pop();
            }
            "decorated_definition"
            | "block"
            | "if_statement"
            | "try_statement"
            | "else_clause"
            | "except_clause"
            | "finally_clause"
            | "elif_clause" => {
                collect_functions(child, source, offset, scope, wanted, found);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::statements::Narrowing;

    const ALL: Skip = Skip {
        strings: true,
        comments: true,
    };

    #[test]
    fn strings_and_comments_are_skipped_but_interpolations_are_code() {
        let src = "x = 'await f()'  # await f()\ny = f\"{await f()} await f()\"\nawait f()\n";
        let ranges = skipped_ranges(src, ALL);
        let sites: Vec<usize> = src.match_indices("await f()").map(|(i, _)| i).collect();
        let skipped: Vec<bool> = sites.iter().map(|&i| in_ranges(&ranges, i)).collect();
        assert_eq!(skipped, vec![true, true, false, true, false]);
        let comments_only = skipped_ranges(
            src,
            Skip {
                strings: false,
                comments: true,
            },
        );
        assert!(!in_ranges(&comments_only, sites[0]));
        assert!(in_ranges(&comments_only, sites[1]));
    }

    #[test]
    fn finds_functions_and_async() {
        let src = "\u{feff}import x\n\ndef get():\n    pass\n\nclass M:\n    async def get(self):\n        pass\n\n@deco\nasync def other():\n    pass\n";
        assert_eq!(
            find_functions(src, "get"),
            vec![FunctionDef {
                line: 3,
                is_async: false
            }]
        );
        assert_eq!(
            find_functions(src, "M.get"),
            vec![FunctionDef {
                line: 7,
                is_async: true
            }]
        );
        assert_eq!(
            find_functions(src, "other"),
            vec![FunctionDef {
                line: 11,
                is_async: true
            }]
        );
        assert!(find_functions(src, "missing").is_empty());
    }

    #[test]
    fn an_edited_reparse_gives_the_tree_of_a_full_parse() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            (
                "async def f():\r\n    m = await get()\r\n    x = 'await get()'\r\n",
                &[("await get()", "get()")],
            ),
            ("x = f(1)\ny = f(1)\n", &[("f(1)", "f(1")]),
            (
                "\u{feff}def g():\n    return await h()\n",
                &[("await ", "")],
            ),
            (
                "a = 1\nb = (\n  2,\n)\n",
                &[("(\n", "[\n"), (")", "]\nc = {")],
            ),
            (
                "s = \"\"\"\nawait x\n\"\"\"\n",
                &[("await x", "x\n\"\"\"\nawait = (")],
            ),
        ];
        for (old, edits) in cases {
            // Every occurrence of each needle is replaced, as a regex edit would.
            let mut changes: Vec<(Range<usize>, &str)> = Vec::new();
            for (needle, text) in *edits {
                for (at, _) in old.match_indices(needle) {
                    changes.push((at..at + needle.len(), *text));
                }
            }
            changes.sort_by_key(|(r, _)| r.start);
            let mut new = String::new();
            let mut at = 0;
            for (r, text) in &changes {
                new.push_str(&old[at..r.start]);
                new.push_str(text);
                at = r.end;
            }
            new.push_str(&old[at..]);
            let parsed = ParsedSource::new(old).unwrap();
            let incremental = parsed
                .reparse_edited(old, &new, changes.iter().map(|(r, t)| (r.clone(), *t)))
                .unwrap();
            let full = ParsedSource::new(&new).unwrap();
            assert_eq!(
                incremental.tree.root_node().to_sexp(),
                full.tree.root_node().to_sexp(),
                "{new:?}"
            );
            assert_eq!(incremental.error_count(), error_count(&new), "{new:?}");
        }
    }

    /// A rewritten text's kept tree, reparsed from its original's, is the tree a whole parse
    /// gives, also when the change starts or ends inside a multi-byte character's neighbours.
    #[test]
    fn a_rewritten_texts_kept_tree_is_the_whole_parse() {
        let body = "def f(x):\n    return x  # ünïcödé\n\n".repeat(60);
        let old = format!("import os\nimport sys\n\n{body}print(os.sep)\n");
        for new in [
            old.replacen("import sys\n", "", 1),
            old.replacen("ünïcödé", "ünïcode", 1),
            old.replacen("return x", "return (x +\n        1)", 3),
            format!("{old}def g():\n    pass\n"),
        ] {
            parse(&old).unwrap();
            remember_rewritten(&old, &new);
            let (kept, _) = super::super::tree_cache::kept(&new).expect("kept");
            let (whole, _) = parse_uncached(&new).unwrap();
            assert_eq!(kept.root_node().to_sexp(), whole.root_node().to_sexp());
            assert_eq!(
                kept.root_node().byte_range(),
                whole.root_node().byte_range()
            );
        }
    }

    /// Every node of `tree`, in order: kind and byte range.
    fn nodes(tree: &Tree) -> Vec<(&'static str, Range<usize>)> {
        let mut out = Vec::new();
        let mut cursor = tree.walk();
        loop {
            let node = cursor.node();
            out.push((node.kind(), node.byte_range()));
            if cursor.goto_first_child() || cursor.goto_next_sibling() {
                continue;
            }
            loop {
                if !cursor.goto_parent() {
                    return out;
                }
                if cursor.goto_next_sibling() {
                    break;
                }
            }
        }
    }

    #[test]
    fn an_edited_texts_parts_reparsed_from_its_originals_are_a_fresh_parse() {
        use crate::edit::statements::{word_hits, Statements};
        let (mut compared, mut reused) = (0, 0);
        for (_, old) in crate::edit::test_corpus::python_files(1_500_000) {
            if old.len() < 2048 {
                continue;
            }
            // The first function defined at top level: renamed, a line added to its body, and a
            // comment added halfway through the file, inside a part or between two.
            let Some(at) = old.find("\ndef ").map(|at| at + 5) else {
                continue;
            };
            let len = old[at..].find('(').unwrap_or(0);
            let Some(body) = old[at..].find(":\n").map(|n| at + n + 2) else {
                continue;
            };
            if len == 0 {
                continue;
            }
            let name = &old[at..at + len];
            let renamed = format!("{name}_renamed");
            let words = [name.to_string(), "import".to_string()];
            let Some(statements) = Statements::of(&old) else {
                continue;
            };
            let old_parts =
                statements.parts_holding(&old, &word_hits(&old, &words), Narrowing::None);
            parse_parts(&old, &old_parts).unwrap();
            let half = old[..old.len() / 2].rfind('\n').map_or(0, |n| n + 1);
            let mut changes = vec![
                (at..at + len, renamed.as_str()),
                (body..body, "    extra_line = 1\n"),
            ];
            if half > body {
                changes.push((half..half, "# a comment\n"));
            }
            let mut new = old.clone();
            for (range, text) in changes.iter().rev() {
                new.replace_range(range.clone(), text);
            }
            remember_edited(&old, &new, changes.iter().cloned());
            let words = [words[0].clone(), words[1].clone(), renamed.clone()];
            let Some(statements) = Statements::of(&new) else {
                continue;
            };
            let new_parts =
                statements.parts_holding(&new, &word_hits(&new, &words), Narrowing::None);
            let ranges = included_ranges(&new, &new_parts, 0);
            let reusable = super::super::tree_cache::edited_parts_tree(&new, &ranges).is_some();
            let (kept, _) = parse_parts(&new, &new_parts).unwrap();
            let (fresh, _) = parse_ranges(&new, &ranges, None).unwrap();
            assert_eq!(nodes(&kept), nodes(&fresh));
            assert_eq!(kept.root_node().has_error(), fresh.root_node().has_error());
            compared += 1;
            reused += usize::from(reusable);
        }
        assert!(compared > 20, "{compared} files compared");
        assert!(
            reused * 2 > compared,
            "{reused} of {compared} reused their original's parts"
        );
    }

    #[test]
    fn counts_syntax_errors() {
        assert_eq!(error_count("x = f(1)\n"), 0);
        assert!(error_count("x = f(1\n") > 0);
        // Two statements joined on one line: the parser inserts a line break it cannot show as a
        // child node.
        assert!(error_count("def f():\n    x = g()  return x\n") > 0);
    }
}
