//! The pytest phase: runs the plan's suites with the chosen interpreter, concurrently, reads each
//! suite's JUnit XML for per-test results, compares them with a baseline phase, and judges the
//! plan's criteria.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::checkpoint::{
    Comparison, Counts, CriterionResult, Outcome, PytestOutcome, SuiteResult, SuiteStatus,
    TestResult, TestStatus,
};
use crate::error::{Error, Result};
use crate::fsutil;
use crate::plan::{Phase, PytestConfig, Suite};
use crate::process::{run_logged, Spawn};
use crate::python::{self, Interpreter};
use crate::ui::Event;

use super::{blocking, slug, PhaseContext, PhaseReport};

/// How many lines of a failure message are kept.
const MESSAGE_LINES: usize = 6;

pub async fn execute(
    phase: &Phase,
    config: &PytestConfig,
    ctx: &PhaseContext,
) -> Result<PhaseReport> {
    if ctx.is_dry_run() {
        return Ok(PhaseReport::skipped_in_dry_run(&format!(
            "{} suites",
            config.suites.len()
        )));
    }
    let journal = ctx.journal.clone().expect("not a dry run");
    let (program, chosen_by) = python::choose(&ctx.root, config.python.as_deref());
    ctx.ui.progress(&phase.name, format!("probing {program}"));
    let interpreter = {
        let root = ctx.root.clone();
        blocking(move || python::probe(&program, &chosen_by, &root)).await?
    };
    let interpreter = match interpreter {
        Ok(i) => Arc::new(i),
        Err(e) => {
            return Ok(PhaseReport {
                success: false,
                summary: "pytest could not run".into(),
                error: Some(format!("{e}\n  help: {}", e.help())),
                outcome: None,
            })
        }
    };
    let (state, baseline) = {
        let j = journal.lock().await;
        let baseline = config.compare_with.as_ref().and_then(|b| {
            match j.checkpoint.phase(b)?.outcome.as_ref()? {
                Outcome::Pytest(p) => Some(p.clone()),
                _ => None,
            }
        });
        (j.state.clone(), baseline)
    };
    let junit_dir = state.dir.join("junit");
    fsutil::create_dir_all(&junit_dir)?;

    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    let permits = Arc::new(tokio::sync::Semaphore::new(jobs));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, suite) in config.suites.iter().enumerate() {
        let base = format!("{}--{}", slug(&phase.name), slug(&suite.name));
        let spawn = suite_command(
            &interpreter,
            suite,
            &ctx.root,
            &state.logs_dir().join(format!("{base}.log")),
            &junit_dir.join(format!("{base}.xml")),
        );
        let permits = permits.clone();
        let ctx = ctx.clone();
        let phase_name = phase.name.clone();
        let suite = suite.clone();
        let log_rel = state.rel(&spawn.log);
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let r = run_suite(&phase_name, &suite, spawn, log_rel, &ctx).await;
            (i, r)
        });
    }
    let mut results: Vec<Option<SuiteResult>> = vec![None; config.suites.len()];
    while let Some(joined) = tasks.join_next().await {
        let (i, r) =
            joined.map_err(|e| Error::Other(anyhow::anyhow!("a suite task failed: {e}")))?;
        results[i] = Some(r?);
    }
    let suites: Vec<SuiteResult> = results.into_iter().flatten().collect();
    Ok(judge(config, &interpreter, suites, baseline.as_ref()))
}

fn suite_command(
    interpreter: &Interpreter,
    suite: &Suite,
    root: &Path,
    log: &Path,
    junit: &Path,
) -> Spawn {
    let mut args = vec!["-m".to_string(), "pytest".to_string()];
    args.extend(suite.args.iter().cloned());
    args.extend([
        format!("--junitxml={}", junit.display()),
        "-o".into(),
        "junit_family=xunit1".into(),
        "-o".into(),
        "console_output_style=count".into(),
        "-p".into(),
        "no:cacheprovider".into(),
    ]);
    Spawn {
        program: interpreter.program.clone(),
        args,
        cwd: root.to_path_buf(),
        // Running the tests must not leave bytecode caches in the tree being remediated.
        env: vec![("PYTHONDONTWRITEBYTECODE".into(), "1".into())],
        log: log.to_path_buf(),
        timeout: suite.timeout,
    }
}

async fn run_suite(
    phase: &str,
    suite: &Suite,
    spawn: Spawn,
    log_rel: crate::paths::RelPath,
    ctx: &PhaseContext,
) -> Result<SuiteResult> {
    ctx.ui.send(Event::SuiteStarted {
        phase: phase.to_string(),
        suite: suite.name.clone(),
    });
    let junit = spawn
        .args
        .iter()
        .find_map(|a| a.strip_prefix("--junitxml="))
        .map(std::path::PathBuf::from)
        .expect("suite_command always passes --junitxml");
    let _ = std::fs::remove_file(&junit);
    let ui = ctx.ui.clone();
    let (p, s) = (phase.to_string(), suite.name.clone());
    let progress = regex::Regex::new(r"\[\s*(\d+)/(\d+)\]\s*$").expect("a valid regex");
    let exit = run_logged(&spawn, &ctx.groups, move |line| {
        if let Some(c) = progress.captures(line) {
            let done = c[1].parse().unwrap_or(0);
            let total = c[2].parse().unwrap_or(0);
            ui.send(Event::SuiteProgress {
                phase: p.clone(),
                suite: s.clone(),
                done,
                total,
            });
        }
    })
    .await
    .map_err(|e| Error::PhaseFailed {
        phase: phase.to_string(),
        message: format!(
            "suite `{}` could not start `{}`: {e}",
            suite.name, spawn.program
        ),
    })?;
    let status = if exit.timed_out {
        SuiteStatus::TimedOut
    } else {
        SuiteStatus::from_exit_code(exit.code)
    };
    let tests = std::fs::read_to_string(&junit)
        .ok()
        .map(|xml| parse_junit(&xml))
        .unwrap_or_default();
    let mut counts = Counts::default();
    for t in &tests {
        match t.status {
            TestStatus::Passed => counts.passed += 1,
            TestStatus::Failed => counts.failed += 1,
            TestStatus::Error => counts.errors += 1,
            TestStatus::Skipped => counts.skipped += 1,
        }
    }
    let summary = format!(
        "{} ({} passed, {} failed, {} errors, {} skipped) in {}",
        status.describe(),
        counts.passed,
        counts.failed,
        counts.errors,
        counts.skipped,
        crate::timefmt::duration(exit.duration.as_millis() as u64)
    );
    ctx.ui.send(Event::SuiteFinished {
        phase: phase.to_string(),
        suite: suite.name.clone(),
        summary,
        ok: status == SuiteStatus::Passed,
    });
    Ok(SuiteResult {
        name: suite.name.clone(),
        args: suite.args.clone(),
        status,
        exit_code: exit.code,
        counts,
        duration_ms: exit.duration.as_millis() as u64,
        log: log_rel,
        tests,
    })
}

/// Reads pytest's JUnit XML (xunit1 family, which carries each test's file).
pub fn parse_junit(xml: &str) -> Vec<TestResult> {
    let Ok(doc) = roxmltree::Document::parse(xml) else {
        return Vec::new();
    };
    let mut tests = Vec::new();
    for case in doc.descendants().filter(|n| n.has_tag_name("testcase")) {
        let name = case.attribute("name").unwrap_or("?");
        let classname = case.attribute("classname").unwrap_or("");
        let id = match case.attribute("file") {
            Some(file) => {
                let module = file.trim_end_matches(".py").replace('/', ".");
                let class = classname
                    .strip_prefix(&module)
                    .unwrap_or("")
                    .trim_start_matches('.');
                if class.is_empty() {
                    format!("{file}::{name}")
                } else {
                    format!("{file}::{}::{name}", class.replace('.', "::"))
                }
            }
            None if classname.is_empty() => name.to_string(),
            None => format!("{classname}::{name}"),
        };
        let mut status = TestStatus::Passed;
        let mut message = None;
        for child in case.children().filter(|c| c.is_element()) {
            let (s, take) = match child.tag_name().name() {
                "failure" => (TestStatus::Failed, true),
                "error" => (TestStatus::Error, true),
                "skipped" => (TestStatus::Skipped, false),
                _ => continue,
            };
            // A test that failed and then errored in teardown counts as failed.
            if status == TestStatus::Passed || s == TestStatus::Failed {
                status = s;
            }
            if take && message.is_none() {
                let text = child
                    .attribute("message")
                    .map(str::to_string)
                    .unwrap_or_default();
                let body = child.text().unwrap_or("");
                let full = if text.is_empty() {
                    body.to_string()
                } else {
                    text
                };
                message = Some(
                    full.lines()
                        .take(MESSAGE_LINES)
                        .collect::<Vec<_>>()
                        .join("\n"),
                );
            }
        }
        tests.push(TestResult {
            id,
            status,
            message,
        });
    }
    tests
}

/// Compares per-test results with a baseline run.
pub fn compare(baseline_name: &str, baseline: &PytestOutcome, now: &[SuiteResult]) -> Comparison {
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

fn judge(
    config: &PytestConfig,
    interpreter: &Interpreter,
    suites: Vec<SuiteResult>,
    baseline: Option<&PytestOutcome>,
) -> PhaseReport {
    let mut totals = Counts::default();
    for s in &suites {
        totals.add(&s.counts);
    }
    let pass_rate = totals.pass_rate();
    let mut criteria = Vec::new();
    let mut problems = Vec::new();
    for s in &suites {
        if !matches!(s.status, SuiteStatus::Passed | SuiteStatus::TestsFailed) {
            problems.push(format!(
                "suite `{}`: {} (see {})",
                s.name,
                s.status.describe(),
                s.log
            ));
        }
    }
    let rate_text = pass_rate.map_or("no tests ran".to_string(), |r| format!("{:.1}%", r * 100.0));
    if let Some(min) = config.min_pass_rate {
        criteria.push(CriterionResult {
            name: "pass rate".into(),
            expected: format!(">= {:.1}%", min * 100.0),
            actual: rate_text.clone(),
            held: pass_rate.is_some_and(|r| r + 1e-12 >= min),
        });
    } else if !config.allow_failures {
        criteria.push(CriterionResult {
            name: "all tests pass".into(),
            expected: "0 failed, 0 errors".into(),
            actual: format!("{} failed, {} errors", totals.failed, totals.errors),
            held: totals.failed == 0 && totals.errors == 0,
        });
    }
    let comparison = config
        .compare_with
        .as_deref()
        .zip(baseline)
        .map(|(name, b)| compare(name, b, &suites));
    if config.no_new_failures {
        let regressed = comparison.as_ref().map_or(0, |c| c.regressed.len());
        criteria.push(CriterionResult {
            name: "no new failures".into(),
            expected: "0 regressed tests".into(),
            actual: format!("{regressed} regressed"),
            held: regressed == 0,
        });
    }
    for c in criteria.iter().filter(|c| !c.held) {
        problems.push(format!(
            "criterion `{}` not met: expected {}, got {}",
            c.name, c.expected, c.actual
        ));
    }
    if let Some(c) = comparison
        .as_ref()
        .filter(|c| !c.regressed.is_empty() && config.no_new_failures)
    {
        problems.push(format!("regressed: {}", c.regressed.join(", ")));
    }
    let summary = format!(
        "{} passed, {} failed, {} errors, {} skipped ({})",
        totals.passed, totals.failed, totals.errors, totals.skipped, rate_text
    );
    PhaseReport {
        success: problems.is_empty(),
        summary,
        error: (!problems.is_empty()).then(|| problems.join("\n")),
        outcome: Some(Outcome::Pytest(PytestOutcome {
            python: interpreter.executable.clone(),
            pytest_version: interpreter.pytest_version.clone(),
            suites,
            totals,
            pass_rate,
            criteria,
            comparison,
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_junit_ids_and_messages() {
        let xml = r#"<?xml version="1.0"?><testsuites><testsuite name="pytest">
          <testcase classname="tests.unit.test_m" name="test_a" file="tests/unit/test_m.py" line="3" time="0.1"/>
          <testcase classname="tests.unit.test_m.TestK" name="test_b[x]" file="tests/unit/test_m.py" line="9" time="0.1">
            <failure message="TypeError: object WebSocketManager can't be used in 'await' expression">trace</failure>
          </testcase>
          <testcase classname="tests.unit.test_m" name="test_c" file="tests/unit/test_m.py"><skipped message="later"/></testcase>
        </testsuite></testsuites>"#;
        let tests = parse_junit(xml);
        assert_eq!(tests[0].id, "tests/unit/test_m.py::test_a");
        assert_eq!(tests[1].id, "tests/unit/test_m.py::TestK::test_b[x]");
        assert_eq!(tests[1].status, TestStatus::Failed);
        assert!(tests[1]
            .message
            .as_deref()
            .unwrap()
            .contains("can't be used in 'await'"));
        assert_eq!(tests[2].status, TestStatus::Skipped);
    }
}
