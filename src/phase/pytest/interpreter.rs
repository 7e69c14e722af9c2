//! Choosing and probing the interpreter a pytest phase runs its suites with.
//!
//! The interpreter comes from the plan, the project or the `PATH`; when the plan lists
//! `requirements:`, an environment is made for them first. Any reason no suite can start (no
//! pytest, no xdist for `workers`) becomes the phase's failure report here, before anything runs.

use crate::error::Result;
use crate::plan::{Phase, PytestConfig};
use crate::python::venv;
use crate::python::{self, Interpreter};
use crate::state::checkpoint::StateDir;

use super::super::{slug, PhaseContext, PhaseResult};

/// The interpreter a phase runs its suites with, and the environment made for it.
pub(super) struct Prepared {
    pub(super) interpreter: Interpreter,
    /// The `requirements:` environment, relative to the root.
    pub(super) venv: Option<String>,
}

/// Chooses the interpreter (making the `requirements:` environment first, when the plan has one)
/// and probes it. When no suite can start, the phase's failure report comes back as the error.
pub(super) async fn prepare_interpreter(
    phase: &Phase,
    config: &PytestConfig,
    ctx: &PhaseContext,
    state: &StateDir,
) -> Result<std::result::Result<Prepared, PhaseResult>> {
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
    if let Some(report) = missing_xdist(config, &interpreter, venv_rel.is_some()) {
        return Ok(Err(report));
    }
    Ok(Ok(Prepared {
        interpreter,
        venv: venv_rel,
    }))
}

/// The failure report of a phase whose `workers:` needs pytest-xdist when `interpreter` lacks it;
/// `in_venv` says whether it runs in the `requirements:` environment, which changes the advice.
fn missing_xdist(
    config: &PytestConfig,
    interpreter: &Interpreter,
    in_venv: bool,
) -> Option<PhaseResult> {
    if let (Some(workers), None) = (config.workers, &interpreter.xdist_version) {
        let help = if in_venv {
            "add `pytest-xdist` to the plan's `requirements:`, or remove `workers`".to_string()
        } else {
            format!(
                "install it (`{} -m pip install pytest-xdist`), or remove `workers` to run each suite in one process",
                interpreter.program
            )
        };
        return Some(cannot_start(
            config,
            &format!(
                "`workers: {}` needs pytest-xdist, which `{}` ({}) cannot import",
                workers.as_arg(),
                interpreter.executable,
                interpreter.chosen_by
            ),
            &help,
        ));
    }
    None
}

/// The report of a phase none of whose suites could start.
fn cannot_start(config: &PytestConfig, why: &str, help: &str) -> PhaseResult {
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
    PhaseResult {
        success: false,
        summary: "pytest could not run".into(),
        error: Some(format!("{which}: {why}\n  help: {help}")),
        outcome: None,
    }
}
