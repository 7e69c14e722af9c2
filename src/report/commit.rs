//! A commit message for a run's changes, from the checkpoint: what a fleet commits in each
//! repository, and what `remedy report --format commit` prints.

use std::fmt::Write;

use crate::state::checkpoint::Checkpoint;
use crate::words::count;

use super::diff_excerpt::chars;
use super::facts::{criteria, last_tests, one_line, patches_in_effect, tally};

/// A commit message for the run's changes: the plan's title, a blank line, the description and
/// a few lines of figures (sites, tests, criteria), and a trailer naming the plan.
pub(crate) fn commit_message(cp: &Checkpoint) -> String {
    let title = one_line(&cp.plan_title);
    let mut msg = format!(
        "{}\n\n",
        if title.is_empty() {
            &cp.plan_id
        } else {
            &title
        }
    );
    if let Some(d) = cp
        .plan_description
        .as_deref()
        .filter(|d| !d.trim().is_empty())
    {
        for para in d.trim().split("\n\n") {
            msg.push_str(&wrap(&one_line(para), 72));
            msg.push_str("\n\n");
        }
    }
    let mut figures = Vec::new();
    let (mut sites, mut files) = (0usize, 0usize);
    for (_, o) in patches_in_effect(cp) {
        sites += o.files.iter().map(|f| f.sites.len()).sum::<usize>();
        files += o.files.len();
    }
    figures.push(format!(
        "Changes {} in {}.",
        count(sites as u64, "site"),
        count(files as u64, "file")
    ));
    if let Some((p, o)) = last_tests(cp) {
        let mut s = format!("Tests `{}`: {}", p.name, tally(&o.totals));
        if let Some(c) = &o.comparison {
            let _ = write!(
                s,
                "; against {}: {} fixed, {} regressed, {} still failing",
                c.baseline,
                c.fixed.len(),
                c.regressed.len(),
                c.still_failing.len()
            );
        }
        s.push('.');
        figures.push(s);
    }
    let criteria = criteria(cp);
    if !criteria.is_empty() {
        figures.push(format!(
            "Criteria: {} of {} met.",
            criteria.iter().filter(|(_, ok)| *ok).count(),
            criteria.len()
        ));
    }
    for f in figures {
        msg.push_str(&wrap(&f, 72));
        msg.push('\n');
    }
    let _ = writeln!(msg, "\nRemedy-Plan: {}", cp.plan_id);
    msg
}

/// Words joined into lines of at most `width` characters (a longer word stands alone).
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && chars(&line) + 1 + chars(word) > width {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::pr::tests::run;

    #[test]
    fn the_commit_message_is_the_title_a_blank_line_and_wrapped_figures() {
        let cp = run(3, 2, "succeeded");
        let msg = commit_message(&cp);
        let lines: Vec<&str> = msg.lines().collect();
        assert_eq!(lines[0], "Fix the thing");
        assert_eq!(lines[1], "");
        assert_eq!(lines[2], "The thing is broken.");
        assert_eq!(lines[3], "");
        assert_eq!(lines[4], "This mends it.");
        assert!(msg.contains("\nChanges 6 sites in 3 files.\n"), "{msg}");
        assert!(
            msg.contains("Tests `tests`: 4 of 4 tests (100.0%) passed; against baseline:"),
            "{msg}"
        );
        assert!(msg.contains("\nCriteria: 1 of 2 met.\n"), "{msg}");
        assert!(msg.ends_with("\n\nRemedy-Plan: fix-it\n"), "{msg}");
        assert!(lines.iter().all(|l| chars(l) <= 72), "{msg}");
    }

    #[test]
    fn a_commit_message_without_a_title_uses_the_plan_id() {
        let mut cp = run(1, 1, "succeeded");
        cp.plan_title = "  \n ".into();
        cp.plan_description = None;
        assert!(commit_message(&cp).starts_with("fix-it\n\nChanges 1 site in 1 file.\n"));
    }

    #[test]
    fn words_wrap_at_the_width() {
        assert_eq!(wrap("aa bb cc dd", 5), "aa bb\ncc dd");
        assert_eq!(wrap("abcdefgh ij", 5), "abcdefgh\nij");
        assert_eq!(wrap("", 5), "");
    }
}
