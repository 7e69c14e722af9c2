//! Edits compute a file's new content from its old content; they never touch the disk.
//!
//! All edits of a phase are applied to a file together: their matches are found on the original
//! text, checked for overlaps, and spliced in one pass, so the result does not depend on the order in
//! which edits are written, and every reported line number refers to the original file.

pub mod python;
pub mod regex;

use std::ops::Range;

use crate::paths::RelPath;
use crate::plan::Edit;

/// One change: replace `range` of the original text by `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    pub range: Range<usize>,
    pub text: String,
    /// Index of the edit in its phase.
    pub edit: usize,
}

/// A file's new content and the sites that changed.
#[derive(Debug, Clone)]
pub struct FileEdit {
    pub content: String,
    /// (1-based line in the original, edit index) per change.
    pub sites: Vec<(u64, usize)>,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum EditError {
    #[error("{path}:{line}: edits `{first}` and `{second}` change overlapping text")]
    Overlap {
        path: RelPath,
        line: u64,
        first: String,
        second: String,
    },
    #[error("{path}:{line}: edit `{edit}` would leave a Python syntax error")]
    BreaksSyntax {
        path: RelPath,
        line: u64,
        edit: String,
    },
}

/// Applies `edits` (with their indexes in the phase) to `content`. `None` when nothing changes.
pub fn apply_edits(
    path: &RelPath,
    content: &str,
    edits: &[(usize, &Edit)],
) -> Result<Option<FileEdit>, EditError> {
    let is_python = python::is_python_path(path.as_str());
    let needs_ranges = is_python && edits.iter().any(|(_, e)| e.skip.any());
    let mut replacements = Vec::new();
    // The original's syntax tree, parsed at most once: for the skipped ranges of every edit and for
    // the syntax check below.
    let mut parsed: Option<Option<python::ParsedSource>> = None;
    for (index, edit) in edits {
        // A cheap test first: most files a selection matches contain no site at all.
        if !edit.regex.is_match(content) {
            continue;
        }
        let skipped = if needs_ranges && edit.skip.any() {
            parsed
                .get_or_insert_with(|| python::ParsedSource::new(content))
                .as_ref()
                .map_or_else(Vec::new, |p| p.skipped_ranges(edit.skip))
        } else {
            Vec::new()
        };
        replacements.extend(regex::find_replacements(edit, *index, content, &skipped));
    }
    if replacements.is_empty() {
        return Ok(None);
    }
    replacements.sort_by_key(|r| (r.range.start, r.range.end));
    let lines = LineIndex::new(content);
    for pair in replacements.windows(2) {
        if pair[1].range.start < pair[0].range.end {
            let name = |i: usize| {
                edits
                    .iter()
                    .find(|(j, _)| *j == i)
                    .map_or(String::new(), |(_, e)| e.name.clone())
            };
            return Err(EditError::Overlap {
                path: path.clone(),
                line: lines.line_of(pair[1].range.start),
                first: name(pair[0].edit),
                second: name(pair[1].edit),
            });
        }
    }
    let new_content = splice(content, &replacements);
    if is_python {
        let original = parsed.get_or_insert_with(|| python::ParsedSource::new(content));
        let before = original.as_ref().map_or(0, |p| p.error_count());
        // The new text differs from the old only around the replacements, so its tree is the old
        // one reparsed where they are. A refusal is confirmed by a full parse, so that it never
        // rests on the incremental parse alone.
        let after = match original {
            Some(p) => p
                .reparse_edited(
                    content,
                    &new_content,
                    replacements
                        .iter()
                        .map(|r| (r.range.clone(), r.text.as_str())),
                )
                .map_or(0, |t| t.error_count()),
            None => python::error_count(&new_content),
        };
        if after > before && python::error_count(&new_content) > before {
            // Find the replacement that breaks the file, to name it.
            let culprit = replacements
                .iter()
                .find(|r| python::error_count(&splice(content, std::slice::from_ref(r))) > before)
                .unwrap_or(&replacements[0]);
            let edit = edits
                .iter()
                .find(|(j, _)| *j == culprit.edit)
                .map_or(String::new(), |(_, e)| e.name.clone());
            return Err(EditError::BreaksSyntax {
                path: path.clone(),
                line: lines.line_of(culprit.range.start),
                edit,
            });
        }
    }
    let sites = replacements
        .iter()
        .map(|r| (lines.line_of(r.range.start), r.edit))
        .collect();
    Ok(Some(FileEdit {
        content: new_content,
        sites,
    }))
}

/// Builds the new text from sorted, non-overlapping replacements.
fn splice(content: &str, replacements: &[Replacement]) -> String {
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

/// Byte offset → 1-based line number.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    pub fn line_of(&self, offset: usize) -> u64 {
        self.starts.partition_point(|&s| s <= offset) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Selection, Skip};

    fn edit(name: &str, re: &str, replace: &str, skip: Skip) -> Edit {
        Edit {
            name: name.into(),
            regex: ::regex::Regex::new(re).unwrap(),
            replace: replace.into(),
            skip,
            selection: Selection::default(),
            expect: None,
        }
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
        let out = apply_edits(&path("a.py"), src, &[(0, &e)])
            .unwrap()
            .unwrap();
        assert_eq!(out.content, src.replace("m = await get_", "m = get_"));
        assert_eq!(out.sites, vec![(3, 0)]);
    }

    #[test]
    fn markdown_is_plain_text() {
        let e = edit("unawait", r"await\s+(get_websocket_manager\()", "$1", CODE);
        let src = "```python\nm = await get_websocket_manager()\n```\n";
        let out = apply_edits(&path("docs/guide.md"), src, &[(0, &e)])
            .unwrap()
            .unwrap();
        assert_eq!(out.content, "```python\nm = get_websocket_manager()\n```\n");
    }

    #[test]
    fn overlapping_edits_are_refused_with_both_names() {
        let a = edit("a", r"await get", "get", Skip::default());
        let b = edit("b", r"get_websocket", "x", Skip::default());
        let err = apply_edits(
            &path("a.py"),
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
        let err = apply_edits(&path("a.py"), "x = 0\ny = f(1)\n", &[(0, &e)]).unwrap_err();
        assert!(
            matches!(err, EditError::BreaksSyntax { line: 2, .. }),
            "{err:?}"
        );
        // The same text in a non-Python file is just text.
        assert!(apply_edits(&path("a.txt"), "y = f(1)\n", &[(0, &e)])
            .unwrap()
            .is_some());
    }

    #[test]
    fn line_index() {
        let idx = LineIndex::new("a\nb\r\nc");
        assert_eq!([idx.line_of(0), idx.line_of(2), idx.line_of(5)], [1, 2, 3]);
    }
}
