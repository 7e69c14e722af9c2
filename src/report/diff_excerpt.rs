//! A diff cut to fit a budget of characters: whole files in order, one huge file cut so that the
//! next ones are seen, long lines cut, and a count of what was left out, for a pull request body.

use std::fmt::Write;

use crate::words::count;

/// A file's diff shows at most this many lines, so that one huge file does not crowd out the
/// others.
const FILE_DIFF_LINES: usize = 200;

/// A diff line longer than this (minified code, a data blob) is cut.
const DIFF_LINE_CHARS: usize = 300;

/// Space a partly shown file must at least get; with less, the file is left out whole.
const MIN_PARTIAL: usize = 500;

/// One changed file's unified diff.
#[derive(Debug, Clone)]
pub(crate) struct FileDiff {
    pub(crate) path: String,
    pub(crate) diff: String,
}

/// The length of a text as GitHub counts it: in characters.
pub(super) fn chars(s: &str) -> usize {
    s.chars().count()
}

/// What of the diffs fits in a budget.
#[derive(Debug)]
pub(super) struct Excerpt {
    pub(super) text: String,
    pub(super) files_whole: usize,
    pub(super) files_part: usize,
    pub(super) lines_shown: usize,
}

pub(super) fn fit_diffs(diffs: &[FileDiff], room: usize) -> Excerpt {
    let mut ex = Excerpt {
        text: String::new(),
        files_whole: 0,
        files_part: 0,
        lines_shown: 0,
    };
    let mut used = 0;
    for d in diffs {
        // Lines keep their endings, so that a file with CRLF endings shows as `remedy diff` does.
        let lines: Vec<&str> = d.diff.split_inclusive('\n').collect();
        let capped = lines.len() > FILE_DIFF_LINES;
        let mut block = String::new();
        let mut shown = 0;
        let mut complete = true;
        for line in lines.iter().take(FILE_DIFF_LINES) {
            let line = cut_line(line);
            // Keep room for the note that says the file goes on.
            if used + chars(&block) + chars(&line) + 80 > room {
                complete = false;
                break;
            }
            block.push_str(&line);
            shown += 1;
        }
        if complete && !capped {
            ex.files_whole += 1;
        } else {
            if !complete && (shown == 0 || chars(&block) < MIN_PARTIAL.min(d.diff.len())) {
                // Too little room for a useful part of this file: stop before it.
                break;
            }
            ex.files_part += 1;
            let _ = writeln!(
                block,
                "# … {} of {}",
                count((lines.len() - shown) as u64, "more line"),
                d.path
            );
        }
        used += chars(&block);
        ex.text.push_str(&block);
        ex.lines_shown += shown;
        if !complete {
            break;
        }
    }
    ex
}

/// A line of the diff with its ending (a last line without one gets one), cut at
/// [`DIFF_LINE_CHARS`].
fn cut_line(line: &str) -> String {
    let text = line.strip_suffix('\n').unwrap_or(line);
    let ending = if text.ends_with('\r') { "\r\n" } else { "\n" };
    let text = text.strip_suffix('\r').unwrap_or(text);
    if chars(text) <= DIFF_LINE_CHARS {
        format!("{text}{ending}")
    } else {
        let cut: String = text.chars().take(DIFF_LINE_CHARS).collect();
        format!("{cut} …{ending}")
    }
}

pub(super) fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::pr::tests::diff;

    #[test]
    fn diffs_that_fit_are_shown_whole() {
        let diffs = [diff("a.py", 10), diff("b.py", 20)];
        let ex = fit_diffs(&diffs, 10_000);
        assert_eq!((ex.files_whole, ex.files_part, ex.lines_shown), (2, 0, 30));
        assert_eq!(ex.text, format!("{}{}", diffs[0].diff, diffs[1].diff));
    }

    #[test]
    fn diffs_past_the_room_end_with_a_partial_file_and_leave_the_rest_out() {
        let diffs = [diff("a.py", 10), diff("b.py", 150), diff("c.py", 10)];
        let room = chars(&diffs[0].diff) + 2_000;
        let ex = fit_diffs(&diffs, room);
        assert!(chars(&ex.text) <= room, "{} > {room}", chars(&ex.text));
        assert_eq!((ex.files_whole, ex.files_part), (1, 1));
        assert!(
            ex.lines_shown > 10 && ex.lines_shown < 160,
            "{}",
            ex.lines_shown
        );
        assert!(ex.text.contains("more lines of b.py"), "{}", ex.text);
        assert!(!ex.text.contains("c.py"));
        // Every shown line is a whole line of the diff.
        for line in ex.text.lines().filter(|l| !l.starts_with("# …")) {
            assert!(
                diffs.iter().any(|d| d.diff.lines().any(|l| l == line)),
                "{line}"
            );
        }
    }

    #[test]
    fn too_little_room_for_a_useful_part_leaves_the_file_out() {
        let diffs = [diff("a.py", 10), diff("b.py", 150)];
        let ex = fit_diffs(&diffs, chars(&diffs[0].diff) + 100);
        assert_eq!((ex.files_whole, ex.files_part, ex.lines_shown), (1, 0, 10));
    }

    #[test]
    fn one_huge_file_is_cut_so_the_next_ones_are_seen() {
        let diffs = [diff("huge.py", 5_000), diff("small.py", 8)];
        let ex = fit_diffs(&diffs, 60_000);
        assert_eq!((ex.files_whole, ex.files_part), (1, 1));
        assert_eq!(ex.lines_shown, FILE_DIFF_LINES + 8);
        assert!(
            ex.text.contains("# … 4800 more lines of huge.py"),
            "{}",
            &ex.text[..200]
        );
        assert!(ex.text.contains("+++ b/small.py"));
    }

    #[test]
    fn a_long_line_is_cut() {
        let long = "x".repeat(5_000);
        let cut = cut_line(&long);
        assert_eq!(chars(&cut), DIFF_LINE_CHARS + 3);
        assert!(cut.ends_with(" …\n"));
        assert_eq!(cut_line("short"), "short\n");
        assert_eq!(cut_line("crlf\r\n"), "crlf\r\n");
        assert!(cut_line(&format!("{long}\r\n")).ends_with(" …\r\n"));
    }
}
