//! Applying a phase's edits to one file: the passes (regex edits once, structural edits until
//! nothing matches), the overlap check between replacements, and the splice that builds the new
//! text. Every site is reported by its line in the original file, however many passes ran.

use std::ops::Range;

use super::beyond_passes::{finish_python, refactor_replacements, Original};
use super::context::EditContext;
use super::error::EditError;
use super::imports::spec::ImportSpec;
use super::lines::LineIndex;
use super::pass_changes::{keep_blocks, structural_replacements, PassChanges};
use super::python;
use super::regex;
use super::statements::LazyStatements;
use super::structural::Verdict;
use crate::plan::{Edit, EditKind};
use crate::tree::paths::RelPath;

/// How many times a file's structural edits are applied at most. A pass that changes something is
/// followed by another, until nothing matches: nested matches (an awaited call inside the
/// arguments of another) and matches a rewrite uncovers need one more pass each. A rewrite that
/// matches its own pattern again never settles; the file is refused instead of half-done.
pub(crate) const MAX_PASSES: usize = 5;

/// One change: replace `range` of the original text by `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Replacement {
    pub(crate) range: Range<usize>,
    pub(crate) text: String,
    /// Index of the edit in its phase.
    pub(crate) edit: usize,
}

/// A file's new content and the sites that changed.
#[derive(Debug, Clone)]
pub(crate) struct FileEdit {
    pub(crate) content: String,
    /// (1-based line in the original, edit index) per change.
    pub(crate) sites: Vec<(u64, usize)>,
}

/// A structural edit's match that the first pass does not simply edit: the edit's index, the
/// match's 1-based line in the original, and the query's verdict on it.
pub(crate) type SetAsideSite = (usize, u64, Verdict);

/// Applies `edits` (with their indexes in the phase) to `content`. `None` when nothing changes.
///
/// The first pass applies every edit to the original text; as long as a pass changed something,
/// structural edits run again on its result (regex edits keep their single pass). Every pass
/// refuses overlapping edits and re-parses a Python file to refuse new syntax errors, and every
/// line reported refers to the original file.
///
/// `set_aside` receives the matches of the structural edits that the first pass saw and did not
/// simply edit, in the order it met them: those an edit's context keeps, and those whose symbol
/// resolves to nothing. It stays `None` when an error stopped that pass before it saw them all.
pub(crate) fn apply_edits_noting(
    path: &RelPath,
    content: &str,
    edits: &[(usize, &Edit)],
    cx: &EditContext,
    set_aside: &mut Option<Vec<SetAsideSite>>,
) -> Result<Option<FileEdit>, EditError> {
    let is_python = python::is_python_path(path.as_str());
    let has_structural = is_python && edits.iter().any(|(_, e)| e.is_structural());
    // Built on the first line number asked for: most files have no site.
    let original_lines = std::cell::OnceCell::new();
    let original_lines = || original_lines.get_or_init(|| LineIndex::new(content));
    let name = |i: usize| edit_name(edits, i);
    // Borrowed until a pass changes it: most files have no site.
    let mut text = std::borrow::Cow::Borrowed(content);
    // The replacements of each pass, to map offsets of later passes back to the original.
    let mut history: Vec<Vec<Replacement>> = Vec::new();
    let mut sites = Vec::new();
    let mut parsed = false;
    // Imports the refactorings need in the new text, with the edit that needs each.
    let mut needed_imports: Vec<(usize, ImportSpec)> = Vec::new();
    // The original's syntax tree, when a refactoring parsed it.
    let mut original_tree: Option<tree_sitter::Tree> = None;
    for pass in 0..=MAX_PASSES {
        let line_of = |offset: usize| original_lines().line_of(map_back(offset, &history));
        // This pass's text, lexed once for every question asked of its statements.
        let statements = LazyStatements::new(&text);
        let mut changes = PassChanges::default();
        if pass == 0 {
            regex_replacements(&statements, is_python, edits, &mut changes.replacements);
            if is_python {
                let refactored = refactor_replacements(path, content, edits, cx)
                    .map_err(|e| e.with_edit_names(&name))?;
                changes.replacements.extend(refactored.replacements);
                needed_imports.extend(refactored.imports);
                original_tree = refactored.tree;
            }
        }
        if has_structural {
            structural_replacements(
                path,
                &statements,
                edits,
                cx,
                &mut parsed,
                &mut changes,
                &|offset, edit, comment| EditError::DropsComment {
                    path: path.clone(),
                    line: line_of(offset),
                    edit: name(edit),
                    comment_line: line_of(comment),
                },
            )?;
        }
        let PassChanges {
            replacements,
            removals,
            set_aside: kept,
        } = changes;
        if pass == 0 {
            *set_aside = Some(
                kept.into_iter()
                    .map(|m| (m.edit, original_lines().line_of(m.offset), m.verdict))
                    .collect(),
            );
        }
        if replacements.is_empty() {
            break;
        }
        if pass == MAX_PASSES {
            return Err(EditError::DoesNotSettle {
                path: path.clone(),
                line: line_of(replacements[0].range.start),
                edit: name(replacements[0].edit),
            });
        }
        let chosen = select(replacements).map_err(|(first, second)| EditError::Overlap {
            path: path.clone(),
            line: line_of(second.range.start),
            first: name(first.edit),
            second: name(second.edit),
        })?;
        let chosen = keep_blocks(chosen, &removals);
        let new_text = splice(&text, &chosen);
        if is_python {
            if let Some(culprit) = breaking_replacement(&statements, &text, &new_text, &chosen) {
                return Err(EditError::BreaksSyntax {
                    path: path.clone(),
                    line: line_of(culprit.range.start),
                    edit: name(culprit.edit),
                });
            }
        }
        if is_python {
            let changes = chosen.iter().map(|r| (r.range.clone(), r.text.as_str()));
            python::remember_edited(&text, &new_text, changes);
        }
        sites.extend(chosen.iter().map(|r| (line_of(r.range.start), r.edit)));
        history.push(chosen);
        text = std::borrow::Cow::Owned(new_text);
        if !has_structural {
            break;
        }
    }
    if history.is_empty() {
        return Ok(None);
    }
    sites.sort();
    let content = if is_python {
        let original = Original {
            text: content,
            tree: original_tree.as_ref(),
        };
        finish_python(
            path,
            &original,
            text.into_owned(),
            &sites,
            edits,
            &needed_imports,
            &history,
        )
        .map_err(|e| e.with_edit_names(&name))?
    } else {
        text.into_owned()
    };
    Ok(Some(FileEdit { content, sites }))
}

/// The name of the edit with index `i` in the phase.
fn edit_name(edits: &[(usize, &Edit)], i: usize) -> String {
    edits
        .iter()
        .find(|(j, _)| *j == i)
        .map_or(String::new(), |(_, e)| e.name.clone())
}

/// The replacement of `chosen` that breaks a Python file, if any does: `new_text` (`text` with every
/// replacement of the pass spliced in) has a syntax error or an indentation error that `text` did
/// not have, and the replacement named is the first that does so on its own (else the first).
fn breaking_replacement<'r>(
    statements: &LazyStatements,
    text: &str,
    new_text: &str,
    chosen: &'r [Replacement],
) -> Option<&'r Replacement> {
    let changes: Vec<(Range<usize>, &str)> = chosen
        .iter()
        .map(|r| (r.range.clone(), r.text.as_str()))
        .collect();
    // Parsing the statements around the changes is enough when they parse on their own; the
    // whole file is parsed when that proves nothing.
    if !python::changes_keep_syntax(statements, &changes) {
        // The new text differs from the old only around the replacements, so its tree is the
        // old one reparsed where they are; a refusal is confirmed by a full parse, so that it
        // never rests on the incremental parse alone.
        let old_tree = python::ParsedSource::new(text);
        let before = old_tree.as_ref().map_or(0, |p| p.error_count());
        let after = match &old_tree {
            Some(p) => p
                .reparse_edited(
                    text,
                    new_text,
                    chosen.iter().map(|r| (r.range.clone(), r.text.as_str())),
                )
                .map_or(0, |t| t.error_count()),
            None => python::error_count(new_text),
        };
        if after > before && python::error_count(new_text) > before {
            // Find the replacement that breaks the file, to name it.
            let culprit = chosen
                .iter()
                .find(|r| python::error_count(&splice(text, std::slice::from_ref(r))) > before)
                .unwrap_or(&chosen[0]);
            return Some(culprit);
        }
    }
    // tree-sitter forgives some indentation Python refuses (an unexpected indent, a header
    // with no block): those are counted on the statement lexer's lines.
    if python::indentation_gets_worse(statements, new_text, &changes) {
        let culprit = chosen
            .iter()
            .find(|r| {
                let alone = splice(text, std::slice::from_ref(r));
                python::indentation_gets_worse(statements, &alone, &[(r.range.clone(), &r.text)])
            })
            .unwrap_or(&chosen[0]);
        return Some(culprit);
    }
    None
}

/// The regex edits' replacements on the original text.
fn regex_replacements(
    statements: &LazyStatements,
    is_python: bool,
    edits: &[(usize, &Edit)],
    out: &mut Vec<Replacement>,
) {
    let content = statements.text();
    for (index, edit) in edits {
        let EditKind::Regex {
            regex: re,
            replace,
            skip,
        } = &edit.kind
        else {
            continue;
        };
        // A cheap test first: most files a selection matches contain no site at all.
        if !re.is_match(content) {
            continue;
        }
        let skipped = if is_python && skip.any() {
            let matches: Vec<Range<usize>> = re.find_iter(content).map(|m| m.range()).collect();
            python::skipped_ranges_around(statements, *skip, &matches)
        } else {
            Vec::new()
        };
        out.extend(regex::find_replacements(
            re, replace, *index, content, &skipped,
        ));
    }
}

/// Sorts replacements and keeps those that can be applied together. Two edits that change the
/// same text are an error (their order would decide the result); two matches of one edit that
/// overlap (one nested in the other) keep the first, and the next pass sees the other again.
fn select(
    mut replacements: Vec<Replacement>,
) -> Result<Vec<Replacement>, (Replacement, Replacement)> {
    replacements.sort_by_key(|r| (r.range.start, r.range.end, r.edit));
    let mut chosen: Vec<Replacement> = Vec::with_capacity(replacements.len());
    for r in replacements {
        // The chosen ones are sorted and disjoint, so only the last can reach into `r`.
        let clash = chosen.last().filter(|c| overlaps(c, &r)).cloned();
        match clash {
            None => chosen.push(r),
            Some(c) if c.edit == r.edit => {}
            Some(c) => return Err((c, r)),
        }
    }
    Ok(chosen)
}

/// Whether two replacements touch the same bytes; two insertions at one point also clash, since
/// their order would be arbitrary.
fn overlaps(a: &Replacement, b: &Replacement) -> bool {
    let (a, b) = (&a.range, &b.range);
    (a.start < b.end && b.start < a.end) || (a.is_empty() && b.is_empty() && a.start == b.start)
}

/// An offset in the text after the passes in `history` → the offset in the original text (text
/// a replacement inserted maps to the start of what it replaced).
pub(super) fn map_back(mut offset: usize, history: &[Vec<Replacement>]) -> usize {
    for pass in history.iter().rev() {
        let mut shift: isize = 0;
        let mut mapped = None;
        for r in pass {
            let new_start = (r.range.start as isize + shift) as usize;
            if offset < new_start {
                break;
            }
            if offset < new_start + r.text.len() {
                mapped = Some(r.range.start);
                break;
            }
            shift += r.text.len() as isize - r.range.len() as isize;
        }
        offset = mapped.unwrap_or((offset as isize - shift) as usize);
    }
    offset
}

/// Builds the new text from sorted, non-overlapping replacements.
pub(super) fn splice(content: &str, replacements: &[Replacement]) -> String {
    let mut out = String::with_capacity(content.len());
    let mut at = 0;
    for r in replacements {
        out.push_str(&content[at..r.range.start]);
        out.push_str(&r.text);
        at = r.range.end;
    }
    out.push_str(&content[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::structural::{self, Query};
    use crate::plan::{Selection, Skip};

    /// [`apply_edits_noting`] without the sites set aside.
    fn apply_edits(
        path: &RelPath,
        content: &str,
        edits: &[(usize, &Edit)],
        cx: &EditContext,
    ) -> Result<Option<FileEdit>, EditError> {
        apply_edits_noting(path, content, edits, cx, &mut None)
    }

    fn edit(name: &str, re: &str, replace: &str, skip: Skip) -> Edit {
        Edit {
            name: name.into(),
            kind: EditKind::Regex {
                regex: crate::edit::regex::FileRegex::new(re).unwrap(),
                replace: replace.into(),
                skip,
            },
            selection: Selection::default(),
            expect: None,
            move_annotation_imports: false,
        }
    }

    fn structural(name: &str, pattern: &str, rewrite: &str) -> Edit {
        let pattern = structural::Pattern::compile(pattern, None).unwrap();
        let rewrite = structural::Rewrite::compile(rewrite, &pattern).unwrap();
        Edit {
            name: name.into(),
            kind: EditKind::Python {
                query: std::sync::Arc::new(Query::new(pattern)),
                rewrite: std::sync::Arc::new(rewrite),
                imports: std::sync::Arc::default(),
            },
            selection: Selection::default(),
            expect: None,
            move_annotation_imports: false,
        }
    }

    fn apply(p: &str, src: &str, edits: &[(usize, &Edit)]) -> Result<Option<FileEdit>, EditError> {
        apply_edits(&path(p), src, edits, &EditContext::detached())
    }

    fn path(p: &str) -> RelPath {
        RelPath::parse(p).unwrap()
    }

    const CODE: Skip = Skip {
        strings: true,
        comments: true,
    };

    #[test]
    fn removes_await_in_code_only_and_keeps_crlf() {
        let e = edit("unawait", r"await\s+(get_websocket_manager\()", "$1", CODE);
        let src = "async def f():\r\n    # await get_websocket_manager()\r\n    m = await get_websocket_manager(\r\n        user_context=ctx,\r\n    )\r\n    log('await get_websocket_manager(')\r\n";
        let out = apply("a.py", src, &[(0, &e)]).unwrap().unwrap();
        assert_eq!(out.content, src.replace("m = await get_", "m = get_"));
        assert_eq!(out.sites, vec![(3, 0)]);
    }

    #[test]
    fn markdown_is_plain_text() {
        let e = edit("unawait", r"await\s+(get_websocket_manager\()", "$1", CODE);
        let src = "```python\nm = await get_websocket_manager()\n```\n";
        let out = apply("docs/guide.md", src, &[(0, &e)]).unwrap().unwrap();
        assert_eq!(out.content, "```python\nm = get_websocket_manager()\n```\n");
    }

    #[test]
    fn overlapping_edits_are_refused_with_both_names() {
        let a = edit("a", r"await get", "get", Skip::default());
        let b = edit("b", r"get_websocket", "x", Skip::default());
        let err = apply(
            "a.py",
            "x = 1\ny = await get_websocket()\n",
            &[(0, &a), (1, &b)],
        )
        .unwrap_err();
        assert_eq!(
            err,
            EditError::Overlap {
                path: path("a.py"),
                line: 2,
                first: "a".into(),
                second: "b".into()
            }
        );
    }

    #[test]
    fn syntax_breaking_edit_is_refused() {
        let e = edit("drop paren", r"f\(1\)", "f(1", Skip::default());
        let err = apply("a.py", "x = 0\ny = f(1)\n", &[(0, &e)]).unwrap_err();
        assert!(
            matches!(err, EditError::BreaksSyntax { line: 2, .. }),
            "{err:?}"
        );
        // The same text in a non-Python file is just text.
        assert!(apply("a.txt", "y = f(1)\n", &[(0, &e)]).unwrap().is_some());
    }

    #[test]
    fn an_edit_that_breaks_indentation_is_refused() {
        // Each result is one tree-sitter-python parses without an error.
        let cases = [
            ("x = 1\ny = 2\n", r"y = 2", "    y = 2", 2),
            ("def f():\n    return 1\n", r"    return 1\n", "", 2),
            ("x = 1\nc = 1\n", r"c = 1", "else: c = 1", 2),
        ];
        for (before, re, replace, line) in cases {
            let e = edit("reindent", re, replace, Skip::default());
            let after = replaced_everywhere(before, re, replace);
            assert_eq!(
                python::error_count(&after),
                0,
                "tree-sitter forgives {after:?}"
            );
            let err = apply("a.py", before, &[(0, &e)]).unwrap_err();
            assert!(
                matches!(err, EditError::BreaksSyntax { line: l, .. } if l == line),
                "{before:?} -> {after:?}: {err:?}"
            );
        }
        // Lines added at the block's own indentation are fine.
        let e = edit("add", r"    b\(\)\n", "    b()\n    b()\n", Skip::default());
        assert!(apply("a.py", "if a:\n    b()\nc = 1\n", &[(0, &e)])
            .unwrap()
            .is_some());
    }

    fn replaced_everywhere(before: &str, re: &str, replace: &str) -> String {
        ::regex::Regex::new(re)
            .unwrap()
            .replace_all(before, replace)
            .into_owned()
    }

    const UNAWAIT: (&str, &str) = (
        "await get_websocket_manager($$$ARGS)",
        "get_websocket_manager($$$ARGS)",
    );

    #[test]
    fn structural_edit_handles_nesting_in_one_pass_and_keeps_crlf_and_bom() {
        let e = structural("unawait", UNAWAIT.0, UNAWAIT.1);
        let src = "\u{feff}async def f():\r\n    m = await get_websocket_manager(\r\n        await get_websocket_manager(x),\r\n    )\r\n";
        let out = apply("a.py", src, &[(0, &e)]).unwrap().unwrap();
        assert_eq!(out.content, src.replace("await ", ""));
        assert_eq!(out.sites, vec![(2, 0), (3, 0)]);
    }

    #[test]
    fn a_match_uncovered_by_a_rewrite_is_edited_in_a_second_pass() {
        let e = structural("unawait", UNAWAIT.0, UNAWAIT.1);
        let src = "async def f():\n    pass\n    m = await (await get_websocket_manager())\n";
        let out = apply("a.py", src, &[(0, &e)]).unwrap().unwrap();
        assert_eq!(
            out.content,
            "async def f():\n    pass\n    m = get_websocket_manager()\n"
        );
        assert_eq!(out.sites, vec![(3, 0), (3, 0)]);
    }

    #[test]
    fn a_rewrite_that_matches_its_own_pattern_is_refused() {
        let e = structural("grow", "f($$$A)", "f($$$A, 1)");
        let err = apply("a.py", "x = 0\ny = f(0)\n", &[(0, &e)]).unwrap_err();
        assert_eq!(
            err,
            EditError::DoesNotSettle {
                path: path("a.py"),
                line: 2,
                edit: "grow".into()
            }
        );
    }

    #[test]
    fn structural_and_regex_edits_on_the_same_text_are_refused() {
        let s = structural("unawait", UNAWAIT.0, UNAWAIT.1);
        let r = edit("rename", r"await get_websocket", "get_ws", Skip::default());
        let err = apply(
            "a.py",
            "async def f():\n    await get_websocket_manager()\n",
            &[(0, &s), (1, &r)],
        )
        .unwrap_err();
        assert!(
            matches!(&err, EditError::Overlap { line: 2, first, second, .. } if first == "unawait" && second == "rename"),
            "{err:?}"
        );
    }

    #[test]
    fn a_structural_edit_that_breaks_syntax_is_refused() {
        // A rewrite that does not parse is refused when the plan is loaded; this one parses alone
        // but not in place: a statement where an expression is needed.
        assert!(structural::Rewrite::compile(
            "f($A",
            &structural::Pattern::compile("f($A)", None).unwrap()
        )
        .is_err());
        let e = structural("bad", "f($A)", "import $A");
        let err = apply("a.py", "x = 1\ny = f(z)\n", &[(0, &e)]).unwrap_err();
        assert!(
            matches!(&err, EditError::BreaksSyntax { line: 2, edit, .. } if edit == "bad"),
            "{err:?}"
        );
    }

    #[test]
    fn a_method_renamed_with_its_body_keeps_the_body_on_its_lines() {
        let e = structural(
            "setup_method",
            "def setup(self): $$$BODY",
            "def setup_method(self): $$$BODY",
        );
        let src = "class TestA:\n    def setup(self):\n        self.a = 1\n        self.b = 2\n\n    def test(self):\n        pass\n";
        let out = apply("t.py", src, &[(0, &e)]).unwrap().unwrap();
        assert_eq!(out.content, src.replace("def setup(", "def setup_method("));
    }

    fn removed(pattern: &str, src: &str) -> String {
        let e = structural("remove", pattern, "");
        apply("a.py", src, &[(0, &e)]).unwrap().unwrap().content
    }

    #[test]
    fn an_empty_rewrite_removes_the_statement_with_its_lines() {
        assert_eq!(
            removed(
                "log($$$A)",
                "def f():\n    a()\n    log(x)  # why\n    b()\n"
            ),
            "def f():\n    a()\n    b()\n"
        );
        assert_eq!(
            removed("log($$$A)", "import os\nlog(\n    1,  # one\n)\nx = 2\n"),
            "import os\nx = 2\n"
        );
        assert_eq!(removed("log($$$A)", "log(1)\n"), "");
        assert_eq!(
            removed("log($$$A)", "if x:\r\n    y()\r\n    log(1)\r\nz = 2\r\n"),
            "if x:\r\n    y()\r\nz = 2\r\n"
        );
        // A statement that shares its line goes with its `;` only.
        assert_eq!(removed("b = 2", "a = 1; b = 2\n"), "a = 1\n");
        assert_eq!(removed("a = 1", "a = 1; b = 2\n"), "b = 2\n");
        // A definition goes with its decorators.
        assert_eq!(
            removed(
                "def setup(self): $$$B",
                "class T:\n    @fixture\n    def setup(self):\n        self.x = 1\n\n    def test(self):\n        pass\n"
            ),
            "class T:\n\n    def test(self):\n        pass\n"
        );
    }

    #[test]
    fn an_empty_rewrite_of_part_of_a_statement_is_not_a_removal() {
        let e = structural("remove", "log($$$A)", "");
        let err = apply("a.py", "x = 0\ny = log(1)\n", &[(0, &e)]).unwrap_err();
        assert!(
            matches!(err, EditError::BreaksSyntax { line: 2, .. }),
            "{err:?}"
        );
    }

    /// Removing every assertion of real code leaves files that parse, with a `pass` wherever a
    /// block held nothing else, and not one line left blank where an assertion was.
    #[test]
    fn removing_the_assertions_of_real_code_keeps_it_valid() {
        let e = structural("no asserts", "assert $$$A", "");
        let mut changed = 0;
        for (file, text) in crate::edit::test_corpus::python_files(600_000) {
            let Some(out) = apply("a.py", &text, &[(0, &e)]).unwrap() else {
                continue;
            };
            changed += 1;
            assert_eq!(python::error_count(&out.content), 0, "{}", file.display());
            let blank = |t: &str| t.lines().filter(|l| l.trim().is_empty()).count();
            // Fewer when an import only the assertions used went with its blank lines.
            assert!(blank(&out.content) <= blank(&text), "{}", file.display());
        }
        assert!(changed > 3, "{changed}");
    }

    #[test]
    fn an_emptied_block_keeps_one_pass() {
        assert_eq!(
            removed(
                "log($$$A)",
                "def f():\n    log(1)\n    # note\n    log(2)\nx = 1\n"
            ),
            "def f():\n    # note\n    pass\nx = 1\n"
        );
        assert_eq!(
            removed("log($$$A)", "if x:\r\n    log(1)\r\ny = 2\r\n"),
            "if x:\r\n    pass\r\ny = 2\r\n"
        );
        assert_eq!(removed("log($$$A)", "if x: log(1)\n"), "if x: pass\n");
        assert_eq!(
            removed("log($$$A)", "if x:\n    log(1); log(2)\n"),
            "if x:\n    pass\n"
        );
        // Blocks that keep a statement get no `pass`, nested ones included.
        assert_eq!(
            removed(
                "log($$$A)",
                "def f():\n    if x:\n        log(1)\n    log(2)\n    return 3\n"
            ),
            "def f():\n    if x:\n        pass\n    return 3\n"
        );
        // Two edits that empty a block between them leave one `pass`.
        let a = structural("a", "log($$$A)", "");
        let b = structural("b", "trace($$$A)", "");
        let out = apply(
            "a.py",
            "def f():\n    log(1)\n    trace(2)\n",
            &[(0, &a), (1, &b)],
        )
        .unwrap()
        .unwrap();
        assert_eq!(out.content, "def f():\n    pass\n");
    }

    #[test]
    fn a_file_without_the_literal_core_is_not_parsed() {
        let e = structural("unawait", UNAWAIT.0, UNAWAIT.1);
        let cx = EditContext::detached();
        let none = apply_edits(&path("a.py"), "x = await other()\n", &[(0, &e)], &cx).unwrap();
        assert!(none.is_none());
        assert_eq!(cx.parsed(), 0);
        apply_edits(
            &path("a.py"),
            "get_websocket_manager = 1  # await\n",
            &[(0, &e)],
            &cx,
        )
        .unwrap();
        assert_eq!(cx.parsed(), 1);
    }

    /// Edits whose damage shows only in the statements around them: each must be refused although
    /// the statement it touches parses on its own afterwards. (What CPython rejects but
    /// tree-sitter-python accepts, such as an unexpected indent or a lone `else:` read as an
    /// annotation, is not seen by the syntax check at all, with or without units.)
    #[test]
    fn damage_beyond_the_edited_statement_is_refused() {
        let src = "class A:\n    def f(self):\n        x = g()\n        return x\n\ny = 1\n";
        for (re, replace) in [
            (r"g\(\)\n", "g() "),                        // joins two statements
            (r"g\(\)", "g('''"),                         // opens a string that swallows the rest
            (r"g\(\)", "g(["),                           // opens a bracket
            (r"(?m)^y = 1\n", "@dec\n"),                 // a decorator with nothing to decorate
            (r"(?m)^        return x\n", "    else:\n"), // a clause whose block is elsewhere
        ] {
            let e = edit("e", re, replace, Skip::default());
            assert!(
                matches!(
                    apply("a.py", src, &[(0, &e)]),
                    Err(EditError::BreaksSyntax { .. })
                ),
                "{re} -> {replace:?} was accepted"
            );
        }
        // The same kind of edits that keep the file whole are accepted.
        for (re, replace) in [
            (r"x = g\(\)", "x = g()\n        z = 1"),
            (r"g\(\)", "g(\n            1,\n        )"),
            (r"(?m)^y = 1\n", "if A:\n    pass\n"),
        ] {
            let e = edit("e", re, replace, Skip::default());
            assert!(apply("a.py", src, &[(0, &e)]).unwrap().is_some(), "{re}");
        }
    }

    #[test]
    fn map_back_follows_every_pass() {
        let pass1 = vec![Replacement {
            range: 2..8,
            text: String::new(),
            edit: 0,
        }];
        let pass2 = vec![Replacement {
            range: 0..1,
            text: "xyz".into(),
            edit: 0,
        }];
        assert_eq!(map_back(5, std::slice::from_ref(&pass1)), 11);
        assert_eq!(map_back(1, std::slice::from_ref(&pass1)), 1);
        assert_eq!(map_back(4, &[pass1.clone(), pass2.clone()]), 8);
        assert_eq!(map_back(1, &[pass1, pass2]), 0);
    }
}
