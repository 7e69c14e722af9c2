//! Comparing a pytest phase's per-test results with those of its baseline phase.
//!
//! The comparison is what tells a change that broke tests from tests that were failing already.

use std::collections::BTreeMap;

use crate::state::checkpoint::{Comparison, PytestOutcome, SuiteResult, TestStatus};

/// Compares per-test results with a baseline run.
pub(crate) fn compare(
    baseline_name: &str,
    baseline: &PytestOutcome,
    now: &[SuiteResult],
) -> Comparison {
    let index = |suites: &[SuiteResult]| -> BTreeMap<String, TestStatus> {
        suites
            .iter()
            .flat_map(|s| s.tests.iter().map(|t| (t.id.clone(), t.status)))
            .collect()
    };
    let before = index(&baseline.suites);
    let after = index(now);
    let bad = |s: &TestStatus| matches!(s, TestStatus::Failed | TestStatus::Error);
    let mut c = Comparison {
        baseline: baseline_name.to_string(),
        ..Comparison::default()
    };
    for (id, status) in &after {
        match before.get(id) {
            None => c.new.push(id.clone()),
            Some(b) if bad(b) && *status == TestStatus::Passed => c.fixed.push(id.clone()),
            Some(b) if !bad(b) && bad(status) => c.regressed.push(id.clone()),
            Some(b) if bad(b) && bad(status) => c.still_failing.push(id.clone()),
            Some(_) => {}
        }
    }
    c.gone = before
        .keys()
        .filter(|id| !after.contains_key(*id))
        .cloned()
        .collect();
    c
}
