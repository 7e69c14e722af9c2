//! Running one suite: the pytest command line, the child process with its log, and what its exit
//! and output say about how it ended.
//!
//! Each suite runs as its own child process group, writing JUnit XML that the `junit` module reads
//! back for per-test results; its output lines feed the progress count as they arrive.

use std::path::Path;

use crate::error::{Error, Result};
use crate::plan::{PytestConfig, Suite};
use crate::process::{run_logged, Spawn};
use crate::python::Interpreter;
use crate::state::checkpoint::{Counts, SuiteResult, SuiteStatus, TestResult, TestStatus};
use crate::ui::Event;

use super::super::PhaseContext;
use super::junit::parse_junit;
use super::progress::ProgressReader;

pub(super) fn suite_command(
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

pub(super) async fn run_suite(
    phase: &str,
    suite: &Suite,
    spawn: Spawn,
    log_rel: crate::tree::paths::RelPath,
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
    let counts = count(&tests);
    let output = spawn
        .log
        .as_ref()
        .and_then(|log| std::fs::read_to_string(log).ok())
        .unwrap_or_default();
    let status = refine(status, &output);
    let detail = explain(status, &output, suite, &exit);
    let summary = finished_summary(status, &counts, &exit, detail.as_deref());
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
        selected: None,
        cache_key: None,
        from_cache: false,
    })
}

/// pytest ends with exit code 2 both when it is interrupted and when a test file fails to be
/// collected (an `ImportError`, say); its banner says which. Only the first is an interruption.
fn refine(status: SuiteStatus, output: &str) -> SuiteStatus {
    let collection = output.lines().any(|l| {
        l.contains("Interrupted:")
            && (l.contains("during collection") || l.contains("errors during"))
    });
    if status == SuiteStatus::Interrupted && collection {
        SuiteStatus::CollectionError
    } else {
        status
    }
}

/// How many tests passed, failed, errored and were skipped.
fn count(tests: &[TestResult]) -> Counts {
    let mut counts = Counts::default();
    for t in tests {
        match t.status {
            TestStatus::Passed => counts.passed += 1,
            TestStatus::Failed => counts.failed += 1,
            TestStatus::Error => counts.errors += 1,
            TestStatus::Skipped => counts.skipped += 1,
        }
    }
    counts
}

/// The line shown when a suite ends: how it ended, its counts and time, and the first line of why.
fn finished_summary(
    status: SuiteStatus,
    counts: &Counts,
    exit: &crate::process::Exit,
    detail: Option<&str>,
) -> String {
    format!(
        "{} ({} passed, {} failed, {} errors, {} skipped) in {}{}",
        status.describe(),
        counts.passed,
        counts.failed,
        counts.errors,
        counts.skipped,
        crate::timefmt::duration(exit.duration.as_millis() as u64),
        detail
            .map(|d| format!(": {}", d.lines().next().unwrap_or("")))
            .unwrap_or_default()
    )
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
        // The file that failed (pytest's short summary: `ERROR tests/x.py - ImportError: ...`),
        // then the error itself from the traceback (`E   ModuleNotFoundError: ...`).
        SuiteStatus::CollectionError => {
            let files = picked(&|l: &str| l.starts_with("ERROR "), 5);
            let errors = picked(&|l: &str| l.starts_with("E   "), 3);
            match (files, errors) {
                (Some(f), Some(e)) => Some(format!("{f}\n{e}")),
                (f, e) => f.or(e).or(last),
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phase::pytest::tests::suite;

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
            explain(
                refine(SuiteStatus::Interrupted, collection),
                collection,
                &suite("u"),
                &exit()
            )
            .as_deref(),
            Some("ERROR tests/test_x.py - ImportError: no module")
        );
        let hung = "collected 1 item\n\ntests/test_h.py::test_hangs ";
        assert_eq!(
            explain(SuiteStatus::TimedOut, hung, &suite("u"), &exit()).as_deref(),
            Some("killed with its whole process group after 3.0s; last output: tests/test_h.py::test_hangs")
        );
        assert!(explain(SuiteStatus::TestsFailed, hung, &suite("u"), &exit()).is_none());
    }
}
