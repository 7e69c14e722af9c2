//! Reading a running suite's progress from pytest's output, so the terminal can show a count.
//!
//! pytest is run with `-v` and the `count` console style for this: one line per test, each ending
//! in `[done/total]` (or, with xdist, carrying it after the worker name).

/// Reads progress from pytest's output lines: the number of tests collected, then a `[done/total]`
/// count per test (at the end of the line, or after the worker name with xdist).
#[derive(Debug)]
pub(super) struct ProgressReader {
    collected: regex::Regex,
    workers: regex::Regex,
    count: regex::Regex,
    xdist_count: regex::Regex,
    done: u64,
}

impl ProgressReader {
    pub(super) fn new() -> ProgressReader {
        let re = |s: &str| regex::Regex::new(s).expect("a valid regex");
        ProgressReader {
            collected: re(r"collected (\d+) items?(?: / \d+ deselected / (\d+) selected)?"),
            workers: re(r"^\d+ workers? \[(\d+) items?\]"),
            count: re(r"\[\s*(\d+)/(\d+)\]\s*$"),
            xdist_count: re(r"^\[gw\d+\] \[\s*(\d+)/(\d+)\]"),
            done: 0,
        }
    }

    /// (done, total) when the line moves the count.
    pub(super) fn read(&mut self, line: &str) -> Option<(u64, u64)> {
        let number = |m: Option<regex::Match>| m.and_then(|m| m.as_str().parse::<u64>().ok());
        if let Some(c) = self.collected.captures(line) {
            let total = number(c.get(2)).or(number(c.get(1)))?;
            return Some((self.done, total));
        }
        if let Some(c) = self.workers.captures(line) {
            return Some((self.done, number(c.get(1))?));
        }
        let c = self
            .count
            .captures(line)
            .or_else(|| self.xdist_count.captures(line))?;
        // xdist workers report out of order; the count only moves forward.
        self.done = self.done.max(number(c.get(1))?);
        Some((self.done, number(c.get(2))?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_counts_plain_and_xdist_output() {
        let mut p = ProgressReader::new();
        assert_eq!(p.read("collecting ... collected 10 items"), Some((0, 10)));
        assert_eq!(
            p.read("tests/test_m.py::test_a[1/2] PASSED                [ 1/10]"),
            Some((1, 10))
        );
        assert_eq!(p.read("tests/test_m.py::test_b "), None);
        let mut p = ProgressReader::new();
        assert_eq!(
            p.read("collected 12 items / 2 deselected / 10 selected"),
            Some((0, 10))
        );
        let mut x = ProgressReader::new();
        assert_eq!(x.read("2 workers [4 items]"), Some((0, 4)));
        assert_eq!(
            x.read("[gw1] [ 2/4] PASSED tests/test_m.py::test_a"),
            Some((2, 4))
        );
        // Workers report out of order; the count never goes back.
        assert_eq!(
            x.read("[gw0] [ 1/4] FAILED tests/test_m.py::test_b"),
            Some((2, 4))
        );
    }
}
