//! What the pull request body and the commit message read off a checkpoint: the patches still in
//! effect, the last test run and its baseline, the criteria and whether each held, and how counts
//! and rates are written.

use crate::state::checkpoint::{
    Checkpoint, Comparison, Counts, Outcome, PatchOutcome, PhaseRecord, PhaseStatus, PytestOutcome,
};
use crate::words::count;

/// Text as inline code outside a table: [`code`](super::markdown::code) escapes `|` for table cells, which elsewhere
/// would show the backslash (in a test id such as `test_parse[a|b]`).
pub(super) fn inline(text: &str) -> String {
    let ticks = if text.contains('`') { "``" } else { "`" };
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{}{pad}{ticks}", text.replace('\n', " "))
}

/// The pull request body of the run, with diffs read from `images` (none without it).
/// The patch phases whose changes are in the tree: succeeded, not rolled back.
pub(super) fn patches_in_effect(
    cp: &Checkpoint,
) -> impl Iterator<Item = (&PhaseRecord, &PatchOutcome)> {
    cp.phases
        .iter()
        .filter(|p| p.status == PhaseStatus::Succeeded)
        .filter_map(|p| match &p.outcome {
            Some(Outcome::Patch(o)) => Some((p, o)),
            _ => None,
        })
}

/// A text on one line: its lines joined with spaces.
pub(super) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// "44 of 44 tests passed (100.0%)", or "no tests ran".
pub(super) fn tally(c: &Counts) -> String {
    match c.pass_rate() {
        Some(_) => format!("{} passed", ratio(c)),
        None => "no tests ran".into(),
    }
}

/// "44 of 44 tests (100.0%)".
pub(super) fn ratio(c: &Counts) -> String {
    format!(
        "{} of {} ({})",
        c.passed,
        count(c.executed(), "test"),
        rate(c.pass_rate())
    )
}

/// The last pytest phase that ran: the one that says how the tree stands after the fix.
pub(super) fn last_tests(cp: &Checkpoint) -> Option<(&PhaseRecord, &PytestOutcome)> {
    cp.phases.iter().rev().find_map(|p| match &p.outcome {
        Some(Outcome::Pytest(o)) if p.status != PhaseStatus::RolledBack => Some((p, o)),
        _ => None,
    })
}

pub(super) fn baseline_of<'a>(cp: &'a Checkpoint, c: &Comparison) -> Option<&'a PytestOutcome> {
    cp.phase(&c.baseline).and_then(|p| match &p.outcome {
        Some(Outcome::Pytest(o)) => Some(o),
        _ => None,
    })
}

pub(super) fn rate(r: Option<f64>) -> String {
    r.map_or("no tests".into(), |r| format!("{:.1}%", r * 100.0))
}

/// Every check of a validate phase and every criterion of a pytest phase that ran, with whether
/// it held.
pub(super) fn criteria(cp: &Checkpoint) -> Vec<(String, bool)> {
    let row = |p: &PhaseRecord, name: &str, expected: &str, actual: &str| {
        format!(
            "{}: {} (expected {}, got {})",
            inline(&p.name),
            one_line(name),
            one_line(expected),
            one_line(actual)
        )
    };
    let mut out = Vec::new();
    for p in cp
        .phases
        .iter()
        .filter(|p| p.status != PhaseStatus::RolledBack)
    {
        match &p.outcome {
            Some(Outcome::Validate(v)) => {
                for c in &v.checks {
                    out.push((row(p, &c.name, &c.expected, &c.actual), c.passed));
                }
            }
            Some(Outcome::Pytest(o)) => {
                for c in &o.criteria {
                    out.push((row(p, &c.name, &c.expected, &c.actual), c.held));
                }
            }
            _ => {}
        }
    }
    out
}
