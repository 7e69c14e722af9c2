//! The command phase: a program run with its arguments (no shell unless `shell: true`), in its own
//! process group, its output in the run's logs, its exit code compared with the expected one.

use crate::error::Result;
use crate::plan::{CommandConfig, Phase};
use crate::process::{run_logged, Spawn};
use crate::state::checkpoint::{CommandOutcome, Outcome};

use super::{slug, PhaseContext, PhaseResult};

pub(crate) async fn execute(
    phase: &Phase,
    config: &CommandConfig,
    ctx: &PhaseContext,
) -> Result<PhaseResult> {
    let Some(journal) = &ctx.journal else {
        return Ok(PhaseResult::skipped_in_dry_run(&config.argv.join(" ")));
    };
    let state = journal.lock().await.state.clone();
    let cwd = match config.cwd.resolve_inside(&ctx.root) {
        Ok(p) => p,
        Err(e) => {
            return Ok(PhaseResult {
                success: false,
                summary: "refused to run".into(),
                error: Some(e),
                outcome: None,
            })
        }
    };
    let (program, args) = if config.shell {
        (
            "sh".to_string(),
            vec!["-c".to_string(), config.argv[0].clone()],
        )
    } else {
        (config.argv[0].clone(), config.argv[1..].to_vec())
    };
    let log = state.logs_dir().join(format!("{}.log", slug(&phase.name)));
    let spawn = Spawn {
        program,
        args,
        cwd,
        env: Vec::new(),
        log: Some(log.clone()),
        timeout: config.timeout,
    };
    ctx.ui
        .progress(&phase.name, format!("running {}", config.argv.join(" ")));
    let exit = match run_logged(&spawn, &ctx.groups, |_| {}).await {
        Ok(e) => e,
        Err(e) => {
            return Ok(PhaseResult {
                success: false,
                summary: "could not start".into(),
                error: Some(format!("cannot start `{}`: {e}", spawn.program)),
                outcome: None,
            })
        }
    };
    let ok = !exit.timed_out && exit.code == Some(config.exit_code);
    let actual = if exit.timed_out {
        "timed out".to_string()
    } else {
        exit.code.map_or_else(
            || format!("killed by signal {}", exit.signal.unwrap_or(0)),
            |c| format!("exit code {c}"),
        )
    };
    let log_rel = state.rel(&log);
    Ok(PhaseResult {
        success: ok,
        summary: format!("{actual} (expected {})", config.exit_code),
        error: (!ok).then(|| {
            format!(
                "`{}` ended with {actual}, expected exit code {}; output in {log_rel}",
                config.argv.join(" "),
                config.exit_code
            )
        }),
        outcome: Some(Outcome::Command(CommandOutcome {
            argv: config.argv.clone(),
            exit_code: exit.code,
            expected_exit_code: config.exit_code,
            log: log_rel,
            timed_out: exit.timed_out,
        })),
    })
}
