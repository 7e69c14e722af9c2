//! Regex edits and pattern counts over one file's text.

use std::ops::Range;

use regex::Regex;

use super::python::in_ranges;
use super::Replacement;

/// The replacements `regex` → `replace` makes in `content`, skipping matches that start in
/// `skipped` ranges. Matches whose replacement equals the matched text are not changes and are left
/// out.
pub fn find_replacements(
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
pub fn match_starts(regex: &Regex, content: &str, skipped: &[Range<usize>]) -> Vec<usize> {
    regex
        .find_iter(content)
        .map(|m| m.start())
        .filter(|&start| !in_ranges(skipped, start))
        .collect()
}
