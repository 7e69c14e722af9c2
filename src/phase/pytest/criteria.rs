//! Judging a pytest phase: its criteria (pass rate, all tests pass, no new failures, must pass),
//! the problems that make it fail, and the report and outcome it ends with.

use crate::plan::PytestConfig;
use crate::python::Interpreter;
use crate::state::checkpoint::{
    Comparison, Counts, CriterionResult, Outcome, PytestOutcome, SuiteResult, SuiteStatus,
    TestResult, TestStatus, XdistUse,
};

use super::super::PhaseResult;
use super::compare::compare;

/// How the phase ran its suites, for the record.
pub(super) struct Setup<'a> {
    pub(super) interpreter: &'a Interpreter,
    pub(super) venv: Option<String>,
    pub(super) jobs: usize,
}

/// How many regressed tests a failure message lists before it says "and N more".
const LIST_AT_MOST: usize = 20;

fn listed(ids: &[String]) -> String {
    let mut text = ids
        .iter()
        .take(LIST_AT_MOST)
        .map(|id| format!("\n    {id}"))
        .collect::<String>();
    if ids.len() > LIST_AT_MOST {
        text.push_str(&format!(
            "\n    ... and {} more (see the report)",
            ids.len() - LIST_AT_MOST
        ));
    }
    text
}

/// Checks `must_pass`: every entry must match at least one test, and every test it matches must
/// have passed. Returns the criterion and one line per problem.
fn judge_must_pass(
    config: &PytestConfig,
    suites: &[SuiteResult],
) -> (CriterionResult, Vec<String>) {
    let tests: Vec<&TestResult> = suites.iter().flat_map(|s| s.tests.iter()).collect();
    let mut problems = Vec::new();
    for entry in &config.must_pass {
        let matched: Vec<&&TestResult> = tests.iter().filter(|t| entry.matches(&t.id)).collect();
        if matched.is_empty() {
            let hint = crate::plan::did_you_mean(&entry.text, tests.iter().map(|t| t.id.as_str()))
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            problems.push(format!(
                "must_pass `{}` matched no test that ran, so it did not pass{hint}",
                entry.text
            ));
            continue;
        }
        for t in matched.iter().filter(|t| t.status != TestStatus::Passed) {
            let what = match t.status {
                TestStatus::Skipped => "was skipped",
                TestStatus::Error => "errored",
                _ => "failed",
            };
            let first = t
                .message
                .as_deref()
                .and_then(|m| m.lines().next())
                .map(|m| format!(": {m}"))
                .unwrap_or_default();
            problems.push(format!(
                "must_pass `{}`: `{}` {what}{first}",
                entry.text, t.id
            ));
        }
    }
    let n = config.must_pass.len();
    let criterion = CriterionResult {
        name: "must pass".into(),
        expected: format!(
            "every test of {n} listed entr{} passes",
            if n == 1 { "y" } else { "ies" }
        ),
        actual: if problems.is_empty() {
            "all passed".into()
        } else {
            format!("{} not passed", problems.len())
        },
        held: problems.is_empty(),
    };
    (criterion, problems)
}

/// Judges the phase from its suites' results: the criteria, the problems that make it fail (each
/// on its own line), the summary line and the outcome for the checkpoint.
pub(super) fn judge(
    config: &PytestConfig,
    setup: &Setup,
    suites: Vec<SuiteResult>,
    baseline: Option<&PytestOutcome>,
) -> PhaseResult {
    let mut totals = Counts::default();
    for s in &suites {
        totals.add(&s.counts);
    }
    let pass_rate = totals.pass_rate();
    let rate_text = pass_rate.map_or("no tests ran".to_string(), |r| format!("{:.1}%", r * 100.0));
    let comparison = config
        .compare_with
        .as_deref()
        .zip(baseline)
        .map(|(name, b)| compare(name, b, &suites));
    let mut problems = suite_problems(&suites, config.allow_failures);
    let (criteria, must_pass_problems) =
        judge_criteria(config, &suites, &totals, &rate_text, comparison.as_ref());
    for c in criteria.iter().filter(|c| !c.held) {
        problems.push(format!(
            "criterion `{}` not met: expected {}, got {}",
            c.name, c.expected, c.actual
        ));
    }
    problems.extend(must_pass_problems);
    // Whatever made the phase fail, the tests the change broke are what the user needs first.
    if let Some(c) = comparison
        .as_ref()
        .filter(|c| !c.regressed.is_empty() && !problems.is_empty())
    {
        problems.push(format!(
            "regressed (passed in `{}`, fail now):{}",
            c.baseline,
            listed(&c.regressed)
        ));
    }
    let summary = summary_line(&suites, &totals, &rate_text, comparison.as_ref());
    let interpreter = setup.interpreter;
    PhaseResult {
        success: problems.is_empty(),
        summary,
        error: (!problems.is_empty()).then(|| problems.join("\n")),
        outcome: Some(Outcome::Pytest(PytestOutcome {
            python: interpreter.executable.clone(),
            pytest_version: interpreter.pytest_version.clone(),
            python_chosen_by: interpreter.chosen_by.clone(),
            python_version: interpreter.version.clone(),
            venv: setup.venv.clone(),
            xdist: config.workers.map(|w| XdistUse {
                version: interpreter.xdist_version.clone().unwrap_or_default(),
                workers: w.as_arg(),
            }),
            jobs: setup.jobs as u64,
            suites,
            totals,
            pass_rate,
            criteria,
            comparison,
            selection: None,
        })),
    }
}

/// One line per suite that neither passed nor merely failed tests. With `allow_failures` (a
/// baseline before a fix), test files that cannot be imported are failures like any other: code
/// that uses a removed API often fails exactly there, when pytest collects the tests.
fn suite_problems(suites: &[SuiteResult], allow_failures: bool) -> Vec<String> {
    let mut problems = Vec::new();
    for s in suites {
        let detail = s
            .detail
            .as_deref()
            .map(|d| format!(": {}", d.replace('\n', "; ")))
            .unwrap_or_default();
        match s.status {
            SuiteStatus::Passed | SuiteStatus::TestsFailed => {}
            SuiteStatus::CollectionError if allow_failures => {}
            SuiteStatus::UsageError => problems.push(format!(
                "suite `{}` cannot start: pytest rejected its arguments{detail} (see {})",
                s.name, s.log
            )),
            _ => problems.push(format!(
                "suite `{}`: {}{detail} (see {})",
                s.name,
                s.status.describe(),
                s.log
            )),
        }
    }
    problems
}

/// The plan's criteria as they turned out, in the order the report lists them, and the
/// `must_pass` problems found on the way.
fn judge_criteria(
    config: &PytestConfig,
    suites: &[SuiteResult],
    totals: &Counts,
    rate_text: &str,
    comparison: Option<&Comparison>,
) -> (Vec<CriterionResult>, Vec<String>) {
    let pass_rate = totals.pass_rate();
    let mut criteria = Vec::new();
    if let Some(min) = config.min_pass_rate {
        criteria.push(CriterionResult {
            name: "pass rate".into(),
            expected: format!(">= {:.1}%", min * 100.0),
            actual: rate_text.to_string(),
            // A phase whose selection reaches no test has nothing the patch can fail.
            held: pass_rate.map_or(nothing_selected(suites), |r| r + 1e-12 >= min),
        });
    } else if !config.allow_failures {
        criteria.push(CriterionResult {
            name: "all tests pass".into(),
            expected: "0 failed, 0 errors".into(),
            actual: format!("{} failed, {} errors", totals.failed, totals.errors),
            held: totals.failed == 0 && totals.errors == 0,
        });
    }
    if config.no_new_failures {
        let regressed = comparison.map_or(0, |c| c.regressed.len());
        criteria.push(CriterionResult {
            name: "no new failures".into(),
            expected: "0 regressed tests".into(),
            actual: format!("{regressed} regressed"),
            held: regressed == 0,
        });
    }
    let mut must_pass_problems = Vec::new();
    if !config.must_pass.is_empty() {
        let (criterion, found) = judge_must_pass(config, suites);
        criteria.push(criterion);
        must_pass_problems = found;
    }
    (criteria, must_pass_problems)
}

/// The phase's one-line summary: the counts, the comparison with the baseline, the reused suites.
fn summary_line(
    suites: &[SuiteResult],
    totals: &Counts,
    rate_text: &str,
    comparison: Option<&Comparison>,
) -> String {
    let reused: Vec<&str> = suites
        .iter()
        .filter(|s| s.reused)
        .map(|s| s.name.as_str())
        .collect();
    let mut summary = format!(
        "{} passed, {} failed, {} errors, {} skipped ({})",
        totals.passed, totals.failed, totals.errors, totals.skipped, rate_text
    );
    if let Some(c) = comparison {
        summary.push_str(&format!(
            "; vs `{}`: {} fixed, {} regressed, {} still failing",
            c.baseline,
            c.fixed.len(),
            c.regressed.len(),
            c.still_failing.len()
        ));
    }
    if !reused.is_empty() {
        summary.push_str(&format!(
            "; reused from the earlier attempt: {}",
            reused.join(", ")
        ));
    }
    summary
}

/// Whether every suite had an affected selection and none had a test file in it.
fn nothing_selected(suites: &[SuiteResult]) -> bool {
    !suites.is_empty()
        && suites
            .iter()
            .all(|s| s.selected.as_ref().is_some_and(|f| f.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phase::pytest::tests::result;

    fn must_pass(entries: &[&str]) -> PytestConfig {
        PytestConfig {
            suites: vec![],
            allow_failures: true,
            min_pass_rate: None,
            no_new_failures: false,
            compare_with: None,
            python: None,
            requirements: vec![],
            jobs: None,
            workers: None,
            must_pass: entries
                .iter()
                .map(|e| crate::plan::MustPass {
                    text: e.to_string(),
                    glob: e.contains('*').then(|| {
                        globset::GlobBuilder::new(e)
                            .literal_separator(false)
                            .build()
                            .unwrap()
                            .compile_matcher()
                    }),
                })
                .collect(),
        }
    }

    #[test]
    fn must_pass_matches_ids_and_globs_and_counts_skips_as_not_passed() {
        let suites = vec![result(
            "u",
            SuiteStatus::TestsFailed,
            &[
                ("tests/a/test_m.py::test_ok", TestStatus::Passed),
                ("tests/a/test_m.py::TestK::test_p[x]", TestStatus::Passed),
                ("tests/b/test_n.py::test_skip", TestStatus::Skipped),
            ],
        )];
        let (c, problems) = judge_must_pass(
            &must_pass(&["tests/a/*", "tests/a/test_m.py::TestK::test_p[x]"]),
            &suites,
        );
        assert!(c.held, "{problems:?}");
        let (c, problems) = judge_must_pass(
            &must_pass(&["tests/b/*", "tests/a/test_m.py::test_k"]),
            &suites,
        );
        assert!(!c.held);
        assert_eq!(
            problems,
            [
                "must_pass `tests/b/*`: `tests/b/test_n.py::test_skip` was skipped: boom",
                "must_pass `tests/a/test_m.py::test_k` matched no test that ran, so it did not pass (did you mean `tests/a/test_m.py::test_ok`?)",
            ]
        );
    }
}
