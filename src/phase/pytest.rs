//! The pytest phase: runs the plan's suites with the chosen interpreter, concurrently, reads each
//! suite's JUnit XML for per-test results, compares them with a baseline phase, and judges the
//! plan's criteria.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::checkpoint::{
    Comparison, Counts, CriterionResult, Outcome, PytestOutcome, SuiteResult, SuiteStatus,
    TestResult, TestStatus, XdistUse,
};
use crate::error::{Error, Result};
use crate::fsutil;
use crate::plan::{Phase, PytestConfig, Suite};
use crate::process::{run_logged, Spawn};
use crate::python::{self, Interpreter};
use crate::ui::Event;
use crate::venv;

use super::{slug, PhaseContext, PhaseReport};

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
    let prepared = match prepare_interpreter(phase, config, ctx, &state).await? {
        Ok(p) => p,
        Err(report) => return Ok(report),
    };
    let interpreter = Arc::new(prepared.interpreter);
    let junit_dir = state.dir.join("junit");
    fsutil::create_dir_all(&junit_dir)?;
    fsutil::create_dir_all(&state.logs_dir())?;

    let jobs = config
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let permits = Arc::new(tokio::sync::Semaphore::new(jobs));
    let mut tasks = tokio::task::JoinSet::new();
    let mut results: Vec<Option<SuiteResult>> = vec![None; config.suites.len()];
    let earlier: Vec<Option<SuiteResult>> = config
        .suites
        .iter()
        .map(|suite| {
            ctx.reusable
                .get(&phase.name)
                .and_then(|e| reusable_suite(e, suite))
        })
        .collect();
    let reused: Vec<&str> = earlier.iter().flatten().map(|r| r.name.as_str()).collect();
    if !reused.is_empty() {
        ctx.ui.note(format!(
            "{}: reusing {} suite(s) that passed in the earlier attempt ({}); `remedy resume --all-suites` runs them again",
            phase.name,
            reused.len(),
            reused.join(", ")
        ));
    }
    for (i, (suite, earlier)) in config.suites.iter().zip(earlier.iter()).enumerate() {
        if let Some(done) = earlier.clone() {
            ctx.ui.send(Event::SuiteFinished {
                phase: phase.name.clone(),
                suite: suite.name.clone(),
                summary: format!(
                    "passed in the earlier attempt ({} passed, {} skipped); reused, not run again",
                    done.counts.passed, done.counts.skipped
                ),
                ok: true,
            });
            results[i] = Some(done);
            continue;
        }
        let base = format!("{}--{}", slug(&phase.name), slug(&suite.name));
        let log = state.logs_dir().join(format!("{base}.log"));
        let spawn = suite_command(
            &interpreter,
            suite,
            config,
            &ctx.root,
            &log,
            &junit_dir.join(format!("{base}.xml")),
        );
        let permits = permits.clone();
        let ctx = ctx.clone();
        let phase_name = phase.name.clone();
        let suite = suite.clone();
        let log_rel = state.rel(&log);
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let r = run_suite(&phase_name, &suite, spawn, log_rel, &ctx).await;
            (i, r)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        let (i, r) =
            joined.map_err(|e| Error::Other(anyhow::anyhow!("a suite task failed: {e}")))?;
        results[i] = Some(r?);
    }
    let suites: Vec<SuiteResult> = results.into_iter().flatten().collect();
    let setup = Setup {
        interpreter: &interpreter,
        venv: prepared.venv,
        jobs,
    };
    Ok(judge(config, &setup, suites, baseline.as_ref()))
}

/// The earlier result of `suite`, when it passed with the same arguments.
fn reusable_suite(earlier: &PytestOutcome, suite: &Suite) -> Option<SuiteResult> {
    earlier
        .suites
        .iter()
        .find(|s| s.name == suite.name && s.args == suite.args && s.status == SuiteStatus::Passed)
        .map(|s| SuiteResult {
            reused: true,
            ..s.clone()
        })
}

/// The interpreter a phase runs its suites with, and the environment made for it.
struct Prepared {
    interpreter: Interpreter,
    /// The `requirements:` environment, relative to the root.
    venv: Option<String>,
}

/// Chooses the interpreter (making the `requirements:` environment first, when the plan has one)
/// and probes it. When no suite can start, the phase's failure report comes back as the error.
async fn prepare_interpreter(
    phase: &Phase,
    config: &PytestConfig,
    ctx: &PhaseContext,
    state: &crate::checkpoint::StateDir,
) -> Result<std::result::Result<Prepared, PhaseReport>> {
    let (mut program, mut chosen_by) = python::choose(&ctx.root, config.python.as_deref());
    let mut venv_rel = None;
    if !config.requirements.is_empty() {
        ctx.ui.progress(
            &phase.name,
            format!(
                "preparing the environment for requirements [{}]",
                config.requirements.join(", ")
            ),
        );
        let env = venv::ensure(
            &program,
            &config.requirements,
            &ctx.root,
            &state.logs_dir(),
            &format!("{}--", slug(&phase.name)),
            &ctx.groups,
        )
        .await;
        let env = match env {
            Ok(env) => env,
            Err(e) => return Ok(Err(cannot_start(config, &e.to_string(), &e.help()))),
        };
        let rel = state.rel(&env.dir).to_string();
        if env.created {
            ctx.ui.note(format!(
                "{}: created {rel} with [{}]",
                phase.name,
                config.requirements.join(", ")
            ));
        }
        chosen_by = format!(
            "the environment for `requirements:` in {rel}, made with {program} ({chosen_by})"
        );
        program = env.python.to_string_lossy().into_owned();
        venv_rel = Some(rel);
    }
    ctx.ui.progress(&phase.name, format!("probing {program}"));
    let probed = python::probe(&program, &chosen_by, &ctx.root, &ctx.groups).await;
    let interpreter = match probed {
        Ok(i) => i,
        Err(e) => {
            let help = match &e {
                python::PythonError::NoPytest { .. } if venv_rel.is_some() => {
                    "add `pytest` to the plan's `requirements:`".to_string()
                }
                _ => e.help(),
            };
            return Ok(Err(cannot_start(config, &e.to_string(), &help)));
        }
    };
    if let (Some(workers), None) = (config.workers, &interpreter.xdist_version) {
        let help = if venv_rel.is_some() {
            "add `pytest-xdist` to the plan's `requirements:`, or remove `workers`".to_string()
        } else {
            format!(
                "install it (`{} -m pip install pytest-xdist`), or remove `workers` to run each suite in one process",
                interpreter.program
            )
        };
        return Ok(Err(cannot_start(
            config,
            &format!(
                "`workers: {}` needs pytest-xdist, which `{}` ({}) cannot import",
                workers.as_arg(),
                interpreter.executable,
                interpreter.chosen_by
            ),
            &help,
        )));
    }
    Ok(Ok(Prepared {
        interpreter,
        venv: venv_rel,
    }))
}

/// The report of a phase none of whose suites could start.
fn cannot_start(config: &PytestConfig, why: &str, help: &str) -> PhaseReport {
    let names: Vec<String> = config
        .suites
        .iter()
        .map(|s| format!("`{}`", s.name))
        .collect();
    let which = if names.len() == 1 {
        format!("suite {} cannot start", names[0])
    } else {
        format!("suites {} cannot start", names.join(", "))
    };
    PhaseReport {
        success: false,
        summary: "pytest could not run".into(),
        error: Some(format!("{which}: {why}\n  help: {help}")),
        outcome: None,
    }
}

fn suite_command(
    interpreter: &Interpreter,
    suite: &Suite,
    config: &PytestConfig,
    root: &Path,
    log: &Path,
    junit: &Path,
) -> Spawn {
    // `-v` puts one line per test in the output, which is what the progress count reads (without
    // it pytest prints one line per file, and with xdist a single line at the very end).
    let mut args = vec!["-m".to_string(), "pytest".to_string(), "-v".to_string()];
    if let Some(workers) = config.workers {
        args.extend(["-n".to_string(), workers.as_arg()]);
    }
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
    // A bare command name (`python3`) found on the PATH may be a version manager's shim (pyenv),
    // which costs a few hundred milliseconds per start: run the executable the probe reported, the
    // interpreter that was recorded. A path is kept as written, since it may be a wrapper script
    // that sets up the environment on purpose.
    let program =
        if !interpreter.program.contains('/') && Path::new(&interpreter.executable).is_file() {
            interpreter.executable.clone()
        } else {
            interpreter.program.clone()
        };
    Spawn {
        program,
        args,
        cwd: root.to_path_buf(),
        // Running the tests must not leave bytecode caches in the tree being remediated.
        env: vec![("PYTHONDONTWRITEBYTECODE".into(), "1".into())],
        log: Some(log.to_path_buf()),
        timeout: suite.timeout,
    }
}

/// Reads progress from pytest's output lines: the number of tests collected, then a `[done/total]`
/// count per test (at the end of the line, or after the worker name with xdist).
#[derive(Debug)]
struct ProgressReader {
    collected: regex::Regex,
    workers: regex::Regex,
    count: regex::Regex,
    xdist_count: regex::Regex,
    done: u64,
}

impl ProgressReader {
    fn new() -> ProgressReader {
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
    fn read(&mut self, line: &str) -> Option<(u64, u64)> {
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
    let mut progress = ProgressReader::new();
    let exit = run_logged(&spawn, &ctx.groups, move |line| {
        if let Some((done, total)) = progress.read(line) {
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
            "suite `{}` cannot start: cannot run `{}`: {e}",
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
    let output = spawn
        .log
        .as_ref()
        .and_then(|log| std::fs::read_to_string(log).ok())
        .unwrap_or_default();
    let detail = explain(status, &output, suite, &exit);
    let summary = format!(
        "{} ({} passed, {} failed, {} errors, {} skipped) in {}{}",
        status.describe(),
        counts.passed,
        counts.failed,
        counts.errors,
        counts.skipped,
        crate::timefmt::duration(exit.duration.as_millis() as u64),
        detail
            .as_deref()
            .map(|d| format!(": {}", d.lines().next().unwrap_or("")))
            .unwrap_or_default()
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
        detail,
        reused: false,
    })
}

/// Says, in pytest's own words where it has them, why a suite neither passed nor merely failed
/// tests.
fn explain(
    status: SuiteStatus,
    output: &str,
    suite: &Suite,
    exit: &crate::process::Exit,
) -> Option<String> {
    let lines: Vec<&str> = output
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect();
    let picked = |keep: &dyn Fn(&str) -> bool, max: usize| -> Option<String> {
        let found: Vec<&str> = lines
            .iter()
            .copied()
            .filter(|l| keep(l))
            .take(max)
            .collect();
        (!found.is_empty()).then(|| found.join("\n"))
    };
    let last = lines.last().map(|l| l.trim().to_string());
    match status {
        SuiteStatus::Passed | SuiteStatus::TestsFailed => None,
        SuiteStatus::NoTests => Some(format!(
            "pytest collected no test from args [{}]; check the paths, any `-k` or `-m` expression, and that test files are named test_*.py or *_test.py",
            suite.args.join(", ")
        )),
        SuiteStatus::UsageError => {
            picked(
            // pytest prints its usage line as an error too; the reason is on the other lines.
            &|l: &str| {
                (l.starts_with("ERROR:") && !l.starts_with("ERROR: usage:"))
                    || l.contains(": error:")
            },
            3,
        )
        .or(last)
        }
        SuiteStatus::Interrupted => picked(
            &|l: &str| l.starts_with("ERROR ") || l.contains("Interrupted:"),
            5,
        )
        .or(last),
        SuiteStatus::InternalError => lines
            .iter()
            .rev()
            .find(|l| l.starts_with("INTERNALERROR>"))
            .map(|l| l.to_string())
            .or(last),
        SuiteStatus::TimedOut => Some(format!(
            "killed with its whole process group after {}{}",
            suite
                .timeout
                .map(|t| crate::timefmt::duration(t.as_millis() as u64))
                .unwrap_or_default(),
            last.map(|l| format!("; last output: {l}"))
                .unwrap_or_default()
        )),
        SuiteStatus::Crashed => Some(match (exit.signal, exit.code) {
            (Some(sig), _) => format!("ended by signal {sig}"),
            (None, Some(code)) => format!("pytest exited with code {code}, which it does not document"),
            (None, None) => "ended without an exit code".into(),
        }),
    }
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

/// How the phase ran its suites, for the record.
struct Setup<'a> {
    interpreter: &'a Interpreter,
    venv: Option<String>,
    jobs: usize,
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

fn judge(
    config: &PytestConfig,
    setup: &Setup,
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
        let detail = s
            .detail
            .as_deref()
            .map(|d| format!(": {}", d.replace('\n', "; ")))
            .unwrap_or_default();
        match s.status {
            SuiteStatus::Passed | SuiteStatus::TestsFailed => {}
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
    let mut must_pass_problems = Vec::new();
    if !config.must_pass.is_empty() {
        let (criterion, found) = judge_must_pass(config, &suites);
        criteria.push(criterion);
        must_pass_problems = found;
    }
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
    let reused: Vec<&str> = suites
        .iter()
        .filter(|s| s.reused)
        .map(|s| s.name.as_str())
        .collect();
    let mut summary = format!(
        "{} passed, {} failed, {} errors, {} skipped ({})",
        totals.passed, totals.failed, totals.errors, totals.skipped, rate_text
    );
    if let Some(c) = &comparison {
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
    let interpreter = setup.interpreter;
    PhaseReport {
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

    fn suite(name: &str) -> Suite {
        Suite {
            name: name.into(),
            args: vec!["tests".into()],
            timeout: Some(std::time::Duration::from_secs(3)),
        }
    }

    fn exit() -> crate::process::Exit {
        crate::process::Exit {
            code: Some(4),
            signal: None,
            timed_out: false,
            duration: std::time::Duration::from_secs(1),
        }
    }

    #[test]
    fn explanations_quote_pytest() {
        let usage = "ERROR: usage: python -m pytest [options]\npython -m pytest: error: unrecognized arguments: --nope\n  inifile: None\n";
        assert_eq!(
            explain(SuiteStatus::UsageError, usage, &suite("u"), &exit()).as_deref(),
            Some("python -m pytest: error: unrecognized arguments: --nope")
        );
        let collection = "collected 1 item / 1 error\n\nERROR tests/test_x.py - ImportError: no module\n!!!!!!! Interrupted: 1 error during collection !!!!!!!\n";
        assert_eq!(
            explain(SuiteStatus::Interrupted, collection, &suite("u"), &exit()).as_deref(),
            Some("ERROR tests/test_x.py - ImportError: no module\n!!!!!!! Interrupted: 1 error during collection !!!!!!!")
        );
        let hung = "collected 1 item\n\ntests/test_h.py::test_hangs ";
        assert_eq!(
            explain(SuiteStatus::TimedOut, hung, &suite("u"), &exit()).as_deref(),
            Some("killed with its whole process group after 3.0s; last output: tests/test_h.py::test_hangs")
        );
        assert!(explain(SuiteStatus::TestsFailed, hung, &suite("u"), &exit()).is_none());
    }

    fn result(name: &str, status: SuiteStatus, tests: &[(&str, TestStatus)]) -> SuiteResult {
        SuiteResult {
            name: name.into(),
            args: vec!["tests".into()],
            status,
            exit_code: Some(0),
            counts: Counts::default(),
            duration_ms: 1,
            log: crate::paths::RelPath::parse("log").unwrap(),
            tests: tests
                .iter()
                .map(|(id, status)| TestResult {
                    id: id.to_string(),
                    status: *status,
                    message: Some("boom\nsecond line".into()),
                })
                .collect(),
            detail: None,
            reused: false,
        }
    }

    #[test]
    fn only_passed_suites_with_the_same_args_are_reused() {
        let earlier = PytestOutcome {
            suites: vec![
                result("a", SuiteStatus::Passed, &[]),
                result("b", SuiteStatus::TestsFailed, &[]),
            ],
            ..PytestOutcome::default()
        };
        assert!(reusable_suite(&earlier, &suite("a")).unwrap().reused);
        assert!(reusable_suite(&earlier, &suite("b")).is_none());
        let mut other_args = suite("a");
        other_args.args.push("-k".into());
        assert!(reusable_suite(&earlier, &other_args).is_none());
    }

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
