//! Regex edits and pattern counts over one file's text.

use std::ops::Range;

use regex::Regex;

use super::prefilter::Needles;
use super::python::in_ranges;
use super::Replacement;

/// A plan's regex, compiled twice: over text, to find and replace, and over bytes, to tell whether
/// a file can match before it is decoded. Both read the same pattern the same way, so on UTF-8
/// text they match at the same places; most files of a tree have no match and are never decoded.
/// Its literal prefixes or suffixes decide, while a file is read, whether it is read whole.
#[derive(Debug, Clone)]
pub(crate) struct FileRegex {
    text: Regex,
    bytes: regex::bytes::Regex,
    needles: Needles,
}

impl FileRegex {
    pub(crate) fn new(pattern: &str) -> Result<FileRegex, regex::Error> {
        Ok(FileRegex {
            text: Regex::new(pattern)?,
            bytes: regex::bytes::Regex::new(pattern)?,
            needles: Needles::of_regex(pattern),
        })
    }

    /// What a file must contain for the regex to match in it.
    pub(crate) fn needles(&self) -> &Needles {
        &self.needles
    }

    /// Whether the regex matches somewhere in `bytes`, which need not be UTF-8.
    pub(crate) fn is_match_bytes(&self, bytes: &[u8]) -> bool {
        self.bytes.is_match(bytes)
    }
}

impl std::ops::Deref for FileRegex {
    type Target = Regex;

    fn deref(&self) -> &Regex {
        &self.text
    }
}

/// The replacements `regex` → `replace` makes in `content`, skipping matches that start in
/// `skipped` ranges. Matches whose replacement equals the matched text are not changes and are left
/// out.
pub(crate) fn find_replacements(
    regex: &Regex,
    replace: &str,
    edit_index: usize,
    content: &str,
    skipped: &[Range<usize>],
) -> Vec<Replacement> {
    let mut out = Vec::new();
    let mut text = String::new();
    for caps in regex.captures_iter(content) {
        let m = caps.get(0).expect("group 0 always participates");
        if in_ranges(skipped, m.start()) {
            continue;
        }
        text.clear();
        caps.expand(replace, &mut text);
        if text == m.as_str() {
            continue;
        }
        out.push(Replacement {
            range: m.range(),
            text: text.clone(),
            edit: edit_index,
        });
    }
    out
}

/// Byte offsets where `regex` matches in `content`, outside the `skipped` ranges.
pub(crate) fn match_starts(regex: &Regex, content: &str, skipped: &[Range<usize>]) -> Vec<usize> {
    regex
        .find_iter(content)
        .map(|m| m.start())
        .filter(|&start| !in_ranges(skipped, start))
        .collect()
}

/// Lines where `regex` matches in a Python file but `skip` leaves the match alone (it is in a
/// string or a comment): the sites a regex edit deliberately does not change.
pub(crate) fn skipped_match_lines(
    regex: &Regex,
    content: &str,
    skip: crate::plan::Skip,
) -> Vec<(u64, String)> {
    if !skip.any() {
        return Vec::new();
    }
    let matches: Vec<Range<usize>> = regex.find_iter(content).map(|m| m.range()).collect();
    if matches.is_empty() {
        return Vec::new();
    }
    let statements = crate::edit::statements::LazyStatements::new(content);
    let skipped = crate::edit::python::skipped_ranges_around(&statements, skip, &matches);
    let lines = crate::edit::LineIndex::new(content);
    matches
        .iter()
        .filter(|m| in_ranges(&skipped, m.start))
        .map(|m| {
            (
                lines.line_of(m.start),
                "in a string or a comment (`skip`)".to_string(),
            )
        })
        .collect()
}
