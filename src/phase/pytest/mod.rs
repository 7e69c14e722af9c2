//! The pytest phase: runs the plan's suites with the chosen interpreter, concurrently, reads each
//! suite's JUnit XML for per-test results, compares them with a baseline phase, and judges the
//! plan's criteria.
//!
//! This file holds the phase's entry point and the glue between its parts: choosing the
//! interpreter (`interpreter`), running one suite (`suites`) while counting its progress
//! (`progress`), reading its JUnit XML (`junit`), comparing with the baseline (`compare`) and
//! judging the criteria (`criteria`). With `select: affected` the suites run the test files the
//! patch can reach (`selection`); a baseline phase keeps its results by key and takes them when
//! the key matches (`baseline`).

mod baseline;
mod compare;
mod criteria;
mod interpreter;
mod junit;
mod progress;
mod selection;
mod suites;

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::fsutil;
use crate::plan::{Phase, PytestConfig, Suite};
use crate::python::Interpreter;
use crate::state::checkpoint::{Outcome, PytestOutcome, StateDir, SuiteResult, SuiteStatus};
use crate::ui::Event;

use super::{slug, PhaseContext, PhaseResult};
use criteria::{judge, Setup};
use interpreter::prepare_interpreter;
use selection::SuitePlan;
use suites::{run_suite, suite_command};

pub(crate) async fn execute(
    phase: &Phase,
    config: &PytestConfig,
    ctx: &PhaseContext,
) -> Result<PhaseResult> {
    if ctx.is_dry_run() {
        let what = match selection::prepare(phase, config, ctx, None).await? {
            Some(sel) => format!(
                "{}, {} of {} test files selected",
                crate::words::count_of(&config.suites, "suite"),
                sel.record.files.len(),
                sel.record.test_files
            ),
            None => crate::words::count_of(&config.suites, "suite"),
        };
        return Ok(PhaseResult::skipped_in_dry_run(&what));
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
    fsutil::create_dir_all(&state.dir.join("junit"))?;
    fsutil::create_dir_all(&state.logs_dir())?;

    let jobs = config
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let earlier = earlier_results(phase, config, ctx);
    let selection = selection::prepare(phase, config, ctx, baseline.as_ref()).await?;
    let plans: Vec<SuitePlan> = config
        .suites
        .iter()
        .map(|s| selection::plan_suite(s, selection.as_ref(), &ctx.root))
        .collect();
    let keying = if baseline::is_baseline(phase, ctx) {
        baseline::keying(
            phase,
            ctx,
            &interpreter,
            selection.as_ref().map(|s| s.graph.clone()),
        )
        .await?
    } else {
        None
    };
    let run = SuiteRun {
        phase,
        config,
        ctx,
        state: &state,
        interpreter: &interpreter,
        plans: &plans,
        keying: keying.as_ref(),
    };
    let suites = run_suites(&run, jobs, earlier).await?;
    let setup = Setup {
        interpreter: &interpreter,
        venv: prepared.venv,
        jobs,
    };
    let mut result = judge(config, &setup, suites, baseline.as_ref());
    if let (Some(Outcome::Pytest(p)), Some(sel)) = (result.outcome.as_mut(), selection) {
        p.selection = Some(sel.record);
    }
    Ok(result)
}

/// For each suite of the phase, its result from the earlier attempt when that can be taken over
/// (see [`reusable_suite`]); says so when any is.
fn earlier_results(
    phase: &Phase,
    config: &PytestConfig,
    ctx: &PhaseContext,
) -> Vec<Option<SuiteResult>> {
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
            "{}: reusing {} that passed in the earlier attempt ({}); `remedy resume --all-suites` runs them again",
            phase.name,
            crate::words::count_of(&reused, "suite"),
            reused.join(", ")
        ));
    }
    earlier
}

/// What every suite of one phase runs with.
struct SuiteRun<'a> {
    phase: &'a Phase,
    config: &'a PytestConfig,
    ctx: &'a PhaseContext,
    state: &'a StateDir,
    interpreter: &'a Interpreter,
    /// How each suite runs (its arguments under the selection), in the plan's order.
    plans: &'a [SuitePlan],
    /// For a baseline phase: how its suites are keyed in the cache.
    keying: Option<&'a baseline::Keying>,
}

/// Runs the phase's suites, at most `jobs` at a time, taking over the `earlier` results instead of
/// running those suites again. The results come back in the plan's order.
async fn run_suites(
    run: &SuiteRun<'_>,
    jobs: usize,
    earlier: Vec<Option<SuiteResult>>,
) -> Result<Vec<SuiteResult>> {
    let (phase, ctx, state) = (run.phase, run.ctx, run.state);
    ctx.ui.progress(
        &phase.name,
        format!(
            "running {}, up to {jobs} at a time",
            crate::words::count_of(&run.config.suites, "suite")
        ),
    );
    let junit_dir = state.dir.join("junit");
    let permits = Arc::new(tokio::sync::Semaphore::new(jobs));
    let mut tasks = tokio::task::JoinSet::new();
    let mut results: Vec<Option<SuiteResult>> = vec![None; run.config.suites.len()];
    for (i, (suite, earlier)) in run.config.suites.iter().zip(earlier).enumerate() {
        if let Some(done) = earlier {
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
        let log_rel = state.rel(&log);
        let plan = &run.plans[i];
        if plan.selected.as_ref().is_some_and(|f| f.is_empty()) {
            results[i] = Some(not_selected(phase, suite, plan, log_rel, ctx));
            continue;
        }
        let key = run
            .keying
            .map(|k| baseline::key_of(k, suite, plan, &ctx.root));
        if let (Some(keying), Some(key)) = (run.keying, &key) {
            if let Some(kept) = baseline::reuse(keying, key, suite, &log, log_rel.clone()) {
                let short = &key[..12];
                ctx.ui.note(format!(
                    "{}: suite `{}`: baseline reused (key {short}), not run again: its interpreter, packages, arguments, selection and every file it imports are unchanged",
                    phase.name, suite.name
                ));
                ctx.ui.send(Event::SuiteFinished {
                    phase: phase.name.clone(),
                    suite: suite.name.clone(),
                    summary: format!(
                        "baseline reused (key {short}): {} passed, {} failed, {} errors, {} skipped",
                        kept.counts.passed, kept.counts.failed, kept.counts.errors, kept.counts.skipped
                    ),
                    ok: kept.status == SuiteStatus::Passed,
                });
                results[i] = Some(SuiteResult {
                    selected: plan.selected.clone(),
                    ..kept
                });
                continue;
            }
        }
        let mut effective = suite.clone();
        effective.args = plan.args.clone();
        let spawn = suite_command(
            run.interpreter,
            &effective,
            run.config,
            &ctx.root,
            &log,
            &junit_dir.join(format!("{base}.xml")),
        );
        let permits = permits.clone();
        let ctx = ctx.clone();
        let phase_name = phase.name.clone();
        let selected = plan.selected.clone();
        let args = suite.args.clone();
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let r = run_suite(&phase_name, &effective, spawn, log_rel, &ctx)
                .await
                .map(|r| SuiteResult {
                    args,
                    selected,
                    cache_key: key,
                    ..r
                });
            (i, r, log)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        let (i, r, log) =
            joined.map_err(|e| Error::Other(anyhow::anyhow!("a suite task failed: {e}")))?;
        let r = r?;
        if let Some(keying) = run.keying {
            baseline::keep(keying, ctx, phase, run.config.allow_failures, &r, &log)?;
        }
        results[i] = Some(r);
    }
    Ok(results.into_iter().flatten().collect())
}

/// The result of a suite none of whose test files the patch can reach: pytest does not run.
fn not_selected(
    phase: &Phase,
    suite: &Suite,
    plan: &SuitePlan,
    log_rel: crate::tree::paths::RelPath,
    ctx: &PhaseContext,
) -> SuiteResult {
    ctx.ui.send(Event::SuiteFinished {
        phase: phase.name.clone(),
        suite: suite.name.clone(),
        summary: "no test file of this suite is affected; not run".into(),
        ok: true,
    });
    SuiteResult {
        name: suite.name.clone(),
        args: suite.args.clone(),
        status: SuiteStatus::Passed,
        exit_code: None,
        counts: Default::default(),
        duration_ms: 0,
        log: log_rel,
        tests: Vec::new(),
        detail: Some(
            "no test file of this suite is affected by the patch; pytest did not run".into(),
        ),
        reused: false,
        selected: plan.selected.clone(),
        cache_key: None,
        from_cache: false,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::checkpoint::{Counts, TestResult, TestStatus};

    pub(super) fn suite(name: &str) -> Suite {
        Suite {
            name: name.into(),
            args: vec!["tests".into()],
            timeout: Some(std::time::Duration::from_secs(3)),
            affected: false,
            always: Vec::new(),
        }
    }

    pub(super) fn result(
        name: &str,
        status: SuiteStatus,
        tests: &[(&str, TestStatus)],
    ) -> SuiteResult {
        SuiteResult {
            name: name.into(),
            args: vec!["tests".into()],
            status,
            exit_code: Some(0),
            counts: Counts::default(),
            duration_ms: 1,
            log: crate::tree::paths::RelPath::parse("log").unwrap(),
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
            selected: None,
            cache_key: None,
            from_cache: false,
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
}
