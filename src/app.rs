//! The verbs behind the command line, and how their errors reach the user.

use std::io::{IsTerminal, Write};

use clap::Parser;

use crate::cli::{
    CheckFormat, CiEngine, Cli, Command, FleetCommand, FleetReportFormat, OutputArgs, SchemaKind,
};
use crate::engine::{self, ResumeOptions, RollbackOptions};
use crate::error::{exit, Error, Result};
use crate::plan::load_plan;
use crate::report;
use crate::state::checkpoint::{Checkpoint, PhaseStatus};
use crate::timefmt;
use crate::ui::Style;

/// Parses the command line, runs the verb, prints any error, returns the exit code.
/// Prints a line to stdout. A reader that went away (`remedy status | head`) is not an error
/// worth a panic: what it did not read, it did not want.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// [`say!`] without the line break.
macro_rules! say_raw {
    ($($arg:tt)*) => {{
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit::BAD_INPUT
            } else {
                exit::SUCCESS
            };
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return exit::PHASE_FAILED;
        }
    };
    let root = root_of(&cli.command);
    let json = wants_json(&cli.command);
    let color = crate::ui::wants_color(
        cli.output.color,
        std::io::stderr().is_terminal(),
        &crate::ui::env_var,
    );
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => exit::SUCCESS,
        Err(e) => {
            print_error(&e, root.as_deref(), color);
            if json {
                let event = crate::ui::Event::Error {
                    message: e.to_string(),
                    help: e.help_for(root.as_deref()),
                    exit_code: e.exit_code(),
                };
                if let Ok(line) = serde_json::to_string(&event) {
                    say!("{line}");
                }
            }
            e.exit_code()
        }
    }
}

/// Whether a command speaks JSON on stdout, so that its errors are also given there as an
/// `error` event: a program reading it never gets nothing at all.
fn wants_json(command: &Command) -> bool {
    match command {
        Command::Run { json, .. }
        | Command::Resume { json, .. }
        | Command::Status { json, .. }
        | Command::Rollback { json, .. }
        | Command::Diff { json, .. } => *json,
        _ => false,
    }
}

/// The `--root` a command was given, for the hints printed with its errors.
fn root_of(command: &Command) -> Option<std::path::PathBuf> {
    match command {
        Command::Run { root, .. } => Some(root.root.clone()),
        Command::Resume { select, .. }
        | Command::Rollback { select, .. }
        | Command::Status { select, .. }
        | Command::Report { select, .. }
        | Command::Diff { select, .. } => Some(select.root.root.clone()),
        Command::Fleet { command } => fleet_workspace_of(command),
        _ => None,
    }
}

/// Prints `error: ...`, each cause as `caused by: ...`, and `help: ...`.
pub(crate) fn print_error(e: &Error, root: Option<&std::path::Path>, color: bool) {
    let label = |text: &'static str, paint: fn(console::Style) -> console::Style| {
        if color {
            paint(console::Style::new().bold())
                .force_styling(true)
                .apply_to(text)
                .to_string()
        } else {
            text.to_string()
        }
    };
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{} {e}", label("error:", console::Style::red));
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let _ = writeln!(err, "  caused by: {s}");
        source = s.source();
    }
    if let Some(help) = e.help_for(root) {
        let _ = writeln!(err, "{} {help}", label("help:", console::Style::cyan));
    }
}

fn style(output: OutputArgs, json: bool) -> Style {
    Style::detect(output.quiet, json, output.verbose, output.color)
}

async fn dispatch(cli: Cli) -> Result<()> {
    let out = cli.output;
    match cli.command {
        Command::Check { plan, root, format } => {
            let root = root.map(|r| engine::resolve_root(&r)).transpose()?;
            let loaded = load_plan(&plan, root.as_deref());
            match format {
                CheckFormat::Text => {
                    let p = loaded?;
                    let _ = write!(
                        std::io::stderr().lock(),
                        "{}",
                        crate::plan::render_warnings(&plan, &p.warnings)
                    );
                    if !out.quiet {
                        say!(
                            "{}: plan `{}` is valid ({}: {})",
                            plan.display(),
                            p.id,
                            crate::words::count_of(&p.phases, "phase"),
                            p.phases
                                .iter()
                                .map(|ph| format!("{} ({})", ph.name, ph.kind))
                                .collect::<Vec<_>>()
                                .join(", ")
                        );
                    }
                    Ok(())
                }
                CheckFormat::Json => {
                    say!("{}", crate::check_output::json(&plan, &loaded));
                    loaded.map(|_| ()).map_err(Error::from)
                }
                CheckFormat::Github => {
                    say_raw!("{}", crate::check_output::github(&plan, &loaded));
                    loaded.map(|_| ()).map_err(Error::from)
                }
            }
        }
        Command::Run {
            plan,
            root,
            dry_run,
            json,
        } => {
            engine::run(&plan, &root.root, dry_run, style(out, json)).await?;
            Ok(())
        }
        Command::Resume {
            select,
            rerun_changed,
            all_suites,
            json,
        } => {
            let opts = ResumeOptions {
                plan: select.plan,
                rerun_changed,
                all_suites,
            };
            engine::resume(&select.root.root, &opts, style(out, json)).await?;
            Ok(())
        }
        Command::Rollback {
            phase,
            all,
            force,
            select,
            json,
        } => {
            let opts = RollbackOptions {
                plan: select.plan,
                phase,
                all,
                force,
            };
            // Notes go to stderr as lines; with --json, stdout holds only the result.
            let (ui, task) = crate::ui::Ui::start(style(out, false));
            let result = engine::rollback(&select.root.root, &opts, &ui);
            drop(ui);
            let _ = task.await;
            let s = result?;
            if json {
                let value = serde_json::json!({
                    "phases": s.phases,
                    "restored": s.restored,
                    "removed": s.removed,
                    "kept_aside": s.kept_aside,
                });
                say!("{value}");
            } else if !out.quiet {
                if s.phases.is_empty() {
                    say!("nothing to roll back");
                } else {
                    say!(
                        "rolled back {} ({}): {} restored, {} removed",
                        crate::words::count_of(&s.phases, "phase"),
                        s.phases.join(", "),
                        crate::words::count(s.restored as u64, "file"),
                        crate::words::count(s.removed as u64, "file")
                    );
                }
            }
            Ok(())
        }
        Command::Status { select, json } => {
            let (_, cp) = engine::load_run(&select.root.root, select.plan.as_deref())?;
            if json {
                say!("{}", status_json(&cp));
            } else {
                say_raw!("{}", status_text(&cp));
            }
            Ok(())
        }
        Command::Report { select, format } => {
            let (state, cp) = engine::load_run(&select.root.root, select.plan.as_deref())?;
            say_raw!("{}", engine::write_report_text(&state, &cp, format));
            Ok(())
        }
        Command::Diff {
            phase,
            select,
            json,
        } => {
            let diffs = engine::diff(&select.root.root, select.plan.as_deref(), phase.as_deref())?;
            if json {
                say!(
                    "{}",
                    serde_json::to_string_pretty(&diffs).unwrap_or_default()
                );
                return Ok(());
            }
            let text: String = diffs.into_iter().map(|d| d.diff).collect();
            let (ui, task) = crate::ui::Ui::start(style(out, false));
            ui.send(crate::ui::Event::Text { text });
            drop(ui);
            let _ = task.await;
            Ok(())
        }
        Command::Schema { of } => {
            say_raw!(
                "{}",
                match of {
                    SchemaKind::Plan => crate::plan::schema_json(),
                    SchemaKind::Events => crate::ui::events_schema_json(),
                }
            );
            Ok(())
        }
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "remedy", &mut std::io::stdout());
            Ok(())
        }
        Command::Demo { dir } => crate::demo::run(dir, style(out, false)).await,
        Command::Fleet { command } => dispatch_fleet(command, out).await,
    }
}

/// The workspace a fleet verb names, for the hints printed with its errors.
fn fleet_workspace_of(command: &FleetCommand) -> Option<std::path::PathBuf> {
    match command {
        FleetCommand::Run { workspace, .. } => workspace.clone(),
        FleetCommand::Status { workspace, .. }
        | FleetCommand::Resume { workspace, .. }
        | FleetCommand::Rollback { workspace, .. }
        | FleetCommand::Report { workspace, .. }
        | FleetCommand::Collect { workspace, .. } => Some(workspace.clone()),
        FleetCommand::Ci { .. } => None,
    }
}

async fn dispatch_fleet(command: FleetCommand, out: OutputArgs) -> Result<()> {
    use crate::fleet;
    match command {
        FleetCommand::Ci { engine } => run_fleet_ci(engine, out),
        FleetCommand::Run {
            plan,
            repos,
            jobs,
            workspace,
            shard,
            out: out_dir,
            bundles,
        } => {
            let args = fleet::RunArgs {
                plan,
                repos,
                jobs,
                workspace,
                shard,
                out: out_dir,
                bundles,
            };
            fleet::fleet_run(args, style(out, false)).await
        }
        FleetCommand::Resume { workspace, jobs } => {
            fleet::fleet_resume(&workspace, jobs, style(out, false)).await
        }
        FleetCommand::Rollback { workspace, repos } => {
            fleet::fleet_rollback(&workspace, &repos, style(out, false)).await
        }
        FleetCommand::Status { workspace, json } => {
            let state = fleet::FleetState::load_from(&workspace)?;
            if json {
                say!(
                    "{}",
                    serde_json::to_string_pretty(&state).unwrap_or_default()
                );
            } else {
                say_raw!("{}", fleet::status_text(&state));
            }
            Ok(())
        }
        FleetCommand::Report { workspace, format } => {
            let state = fleet::FleetState::load_from(&workspace)?;
            match format {
                FleetReportFormat::Md => say_raw!("{}", fleet::render_markdown(&state)),
                FleetReportFormat::Json => say_raw!("{}", fleet::render_json(&state)),
            }
            Ok(())
        }
        FleetCommand::Collect { dirs, workspace } => {
            let state = fleet::collect(&dirs, &workspace)?;
            if !out.quiet {
                eprintln!(
                    "collected {} into {}",
                    crate::words::count(dirs.len() as u64, "shard"),
                    workspace.display()
                );
            }
            let failed = state.not_ok();
            if failed > 0 {
                return Err(fleet::FleetError::Incomplete {
                    failed,
                    total: state.repositories.len(),
                }
                .into());
            }
            Ok(())
        }
    }
}

/// `remedy fleet ci`: writes the CI configuration of a sharded fleet.
fn run_fleet_ci(engine: CiEngine, out: OutputArgs) -> Result<()> {
    match engine {
        CiEngine::Github {
            shards,
            plan,
            repos,
            output,
            install,
            on_push,
        } => {
            let cwd = std::env::current_dir()
                .map_err(|e| Error::io("read the current folder", ".", e))?;
            let workflow = crate::fleet::ci::github_workflow(
                &crate::fleet::ci::GithubOptions {
                    shards,
                    plan,
                    repos,
                    install,
                    on_push,
                },
                &cwd,
            )?;
            match output {
                None => say_raw!("{workflow}"),
                Some(path) => {
                    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                        std::fs::create_dir_all(parent)
                            .map_err(|e| Error::io("create the folder", parent, e))?;
                    }
                    crate::fsutil::write_atomic(
                        &path,
                        workflow.as_bytes(),
                        Some(0o644),
                        crate::fsutil::Durability::Synced,
                    )?;
                    if !out.quiet {
                        let _ = writeln!(
                            std::io::stderr().lock(),
                            "wrote {} ({})",
                            path.display(),
                            crate::words::count(shards, "shard")
                        );
                    }
                }
            }
            Ok(())
        }
    }
}

/// The human-readable status table.
pub(crate) fn status_text(cp: &Checkpoint) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "plan {} ({}) on {}\nstatus: {}; started {}\n\n",
        cp.plan_id,
        cp.plan_title,
        cp.root.display(),
        report::run_status(cp).replace('_', " "),
        timefmt::rfc3339(cp.started_at)
    ));
    if let Some(note) = cp.relocation_note() {
        s.push_str(&format!("{note}\n\n"));
    }
    let width = cp
        .phases
        .iter()
        .map(|p| p.name.len())
        .max()
        .unwrap_or(5)
        .max(5);
    s.push_str(&format!(
        "  {:<width$}  {:<8}  {:<11}  {:>8}  summary\n",
        "phase", "kind", "status", "time"
    ));
    for p in &cp.phases {
        s.push_str(&format!(
            "  {:<width$}  {:<8}  {:<11}  {:>8}  {}\n",
            p.name,
            p.kind.as_str(),
            p.status.as_str(),
            p.duration_ms.map(timefmt::duration).unwrap_or_default(),
            p.summary.as_deref().unwrap_or("")
        ));
        if let Some(e) = &p.error {
            if matches!(p.status, PhaseStatus::Failed | PhaseStatus::Interrupted) {
                for line in e.lines().take(12) {
                    s.push_str(&format!("  {:<width$}    {line}\n", ""));
                }
            }
        }
    }
    let first_open = cp
        .phases
        .iter()
        .find(|p| p.status != PhaseStatus::Succeeded);
    if let Some(p) = first_open {
        if matches!(
            p.status,
            PhaseStatus::Failed | PhaseStatus::Interrupted | PhaseStatus::Running
        ) {
            s.push_str(&format!(
                "\nnext: fix the cause, then `remedy resume --root {r}`; or undo with `remedy rollback --all --root {r}`\n",
                r = cp.root.display()
            ));
        }
    }
    s
}

fn status_json(cp: &Checkpoint) -> String {
    let phases: Vec<serde_json::Value> = cp
        .phases
        .iter()
        .map(|p| {
            serde_json::json!({
                "name": p.name,
                "kind": p.kind,
                "status": p.status,
                "duration_ms": p.duration_ms,
                "summary": p.summary,
                "error": p.error,
            })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "plan": cp.plan_id,
        "title": cp.plan_title,
        "root": cp.root,
        "status": report::run_status(cp),
        "started_at": timefmt::rfc3339(cp.started_at),
        "phases": phases,
    }))
    .unwrap_or_default()
}
