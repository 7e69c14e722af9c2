//! Plan errors: every problem found in a plan, each with its file, line, column and a hint.

use std::fmt;
use std::path::PathBuf;

use super::locate::Location;

/// One problem in a plan.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Diagnostic {
    /// Where in the plan, when known.
    pub(crate) location: Option<Location>,
    /// The key path of the offending value, e.g. `phases[2].edits[0].regex`.
    pub(crate) path: String,
    /// What is wrong.
    pub(crate) message: String,
    /// What would be valid.
    pub(crate) help: Option<String>,
}

/// All problems found in one plan file. Loading collects them all before giving up.
#[derive(Debug, thiserror::Error)]
pub(crate) struct PlanErrors {
    pub(crate) file: PathBuf,
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// The plan's text, to quote the offending line.
    pub(crate) source_text: String,
}

impl PlanErrors {
    pub(crate) fn single(file: PathBuf, diagnostic: Diagnostic, source_text: String) -> Self {
        PlanErrors {
            file,
            diagnostics: vec![diagnostic],
            source_text,
        }
    }
}

impl fmt::Display for PlanErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.diagnostics.len();
        write!(
            f,
            "{} is not a valid plan ({n} error{})",
            self.file.display(),
            if n == 1 { "" } else { "s" }
        )?;
        for d in &self.diagnostics {
            f.write_str("\n")?;
            match d.location {
                Some(loc) => write!(f, "  {}:{}:{}: ", self.file.display(), loc.line, loc.col)?,
                None => write!(f, "  {}: ", self.file.display())?,
            }
            if !d.path.is_empty() {
                write!(f, "{}: ", d.path)?;
            }
            f.write_str(&d.message)?;
            if let Some(loc) = d.location {
                if let Some(line) = self.source_text.lines().nth(loc.line.saturating_sub(1)) {
                    let gutter = loc.line.to_string();
                    let (shown, col) = excerpt(line.trim_end(), loc.col);
                    write!(f, "\n   {gutter} | {shown}")?;
                    let caret_pad: String = shown
                        .chars()
                        .take(col.saturating_sub(1))
                        .map(|c| if c == '\t' { '\t' } else { ' ' })
                        .collect();
                    write!(f, "\n   {} | {caret_pad}^", " ".repeat(gutter.len()))?;
                }
            }
            if let Some(help) = &d.help {
                write!(f, "\n   = help: {help}")?;
            }
        }
        Ok(())
    }
}

/// The warnings of the plan in `file`, one `warning: FILE:LINE:COL: PATH: MESSAGE` line each (the
/// location written as errors write it), followed by its help.
pub(crate) fn render_warnings(file: &std::path::Path, warnings: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in warnings {
        out.push_str("warning: ");
        match d.location {
            Some(loc) => out.push_str(&format!("{}:{}:{}: ", file.display(), loc.line, loc.col)),
            None => out.push_str(&format!("{}: ", file.display())),
        }
        if !d.path.is_empty() {
            out.push_str(&format!("{}: ", d.path));
        }
        out.push_str(&d.message);
        out.push('\n');
        if let Some(help) = &d.help {
            out.push_str(&format!("   = help: {help}\n"));
        }
    }
    out
}

/// How many characters of a source line a message shows.
const SHOWN_CHARS: usize = 120;

/// The part of `line` around column `col` that fits in `SHOWN_CHARS`, with `...` where it is cut,
/// and the column of the same character in it: a generated plan may hold one line of megabytes.
fn excerpt(line: &str, col: usize) -> (String, usize) {
    let count = line.chars().count();
    if count <= SHOWN_CHARS {
        return (line.to_string(), col);
    }
    let start = col.saturating_sub(SHOWN_CHARS / 2).min(count - SHOWN_CHARS);
    let mut shown: String = line.chars().skip(start).take(SHOWN_CHARS).collect();
    let mut col = col - start;
    if start > 0 {
        shown.insert_str(0, "...");
        col += 3;
    }
    if start + SHOWN_CHARS < count {
        shown.push_str("...");
    }
    (shown, col)
}

/// The closest candidate to `word`, if one is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (levenshtein(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Edit distance where swapping two neighbouring characters counts as one edit (`pacth` → `patch`).
fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_line_is_shown_around_the_column() {
        let line = format!("{}x{}", "a".repeat(500), "b".repeat(500));
        let (shown, col) = excerpt(&line, 501);
        assert!(
            shown.starts_with("...") && shown.ends_with("..."),
            "{shown}"
        );
        assert_eq!(shown.chars().nth(col - 1), Some('x'));
        assert_eq!(excerpt("short", 3), ("short".to_string(), 3));
        let (shown, col) = excerpt(&line, 2);
        assert!(!shown.starts_with("...") && shown.ends_with("..."));
        assert_eq!(col, 2);
    }

    #[test]
    fn suggests_near_misses_only() {
        let keys = ["include", "exclude"];
        assert_eq!(did_you_mean("inculde", keys), Some("include"));
        assert_eq!(did_you_mean("paths", keys), None);
    }

    #[test]
    fn distance_counts_insertions_deletions_and_swaps() {
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("abc", ""), 3);
        assert_eq!(levenshtein("pacth", "patch"), 1);
        assert_eq!(levenshtein("replcae", "replace"), 1);
        assert_eq!(levenshtein("min_passrate", "min_pass_rate"), 1);
    }
}
