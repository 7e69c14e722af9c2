//! `fleet run` and `fleet resume`: every selected repository prepared, run as a child remedy and
//! committed, up to `-j` at once, the fleet state saved after every change of any repository's
//! status. One repository's failure never stops the others; Ctrl-C (or SIGTERM) ends the children,
//! which record `interrupted` in their own checkpoints, and the fleet records it in its state.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::child::{run_child, ChildVerb};
use super::counts;
use super::error::FleetError;
use super::out;
use super::progress::FleetProgress;
use super::repos::{load_repo_list, Source};
use super::shard::{shard_from_env, Shard, ShardArg};
use super::state::{Checkout, FleetState, PlanInfo, RepoRecord, RepoStatus, WorkspaceLock};
use super::workspace::{self, Layout};
use crate::error::{exit, Error, Result};
use crate::process::ChildGroups;
use crate::ui::Style;

/// What `fleet run` was given.
#[derive(Debug, Clone)]
pub(crate) struct RunArgs {
    pub(crate) plan: PathBuf,
    pub(crate) repos: PathBuf,
    pub(crate) jobs: Option<usize>,
    pub(crate) workspace: Option<PathBuf>,
    pub(crate) shard: Option<ShardArg>,
    pub(crate) out: Option<PathBuf>,
    pub(crate) bundles: bool,
}

/// `remedy fleet run`. Everything is checked (plan, list, shard, workspace) before anything is
/// written.
pub(crate) async fn fleet_run(args: RunArgs, style: Style) -> Result<()> {
    let plan = crate::plan::load_plan(&args.plan, None)?;
    let repos_file = absolute(&args.repos);
    let list = load_repo_list(&repos_file)?;
    let shard = match args.shard {
        None => Shard::WHOLE,
        Some(ShardArg::Fixed(s)) => s,
        Some(ShardArg::Auto) => shard_from_env(&crate::ui::env_var)?,
    };
    let ws = absolute(
        &args
            .workspace
            .clone()
            .unwrap_or_else(|| Path::new("remedy-fleet").join(&plan.id)),
    );
    if ws.join(super::state::STATE_FILE).exists() {
        let plan_id = FleetState::load_from(&ws)
            .map(|s| s.plan.id)
            .unwrap_or_else(|_| "?".into());
        return Err(FleetError::WorkspaceInUse {
            path: ws,
            plan: plan_id,
        }
        .into());
    }
    let out = args.out.as_deref().map(absolute);
    if let Some(o) = &out {
        if o.join(super::state::STATE_FILE).exists() {
            return Err(Error::usage(
                format!("`{}` already holds a fleet's results", o.display()),
                Some("pass an empty or new folder as `--out`".to_string()),
            ));
        }
    }
    if args.jobs == Some(0) {
        return Err(Error::usage(
            "`-j 0` runs nothing",
            Some("pass `-j N` with N >= 1".to_string()),
        ));
    }

    let layout = Layout { dir: ws.clone() };
    let lock = WorkspaceLock::acquire(&ws)?;
    let branch = workspace::branch_for(&plan.id);
    let mut sources = HashMap::new();
    let repositories: Vec<RepoRecord> = list
        .entries
        .iter()
        .filter(|e| shard.selects(e.position))
        .map(|e| {
            sources.insert(e.name.clone(), e.source.clone());
            RepoRecord {
                position: e.position,
                name: e.name.clone(),
                written: e.written.clone(),
                source: e.source.display(),
                git_ref: e.git_ref.clone(),
                status: RepoStatus::Pending,
                phase: None,
                reason: None,
                branch: branch.clone(),
                path: layout.repo_dir(&e.name),
                checkout: workspace::checkout_for(&e.source),
                prepared: false,
                base_commit: None,
                commit: None,
                counts: None,
                duration_ms: None,
            }
        })
        .collect();
    let now = crate::timefmt::now_ms();
    let mut state = FleetState {
        format_version: super::state::FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        plan: PlanInfo {
            id: plan.id.clone(),
            title: plan.title.clone(),
            description: plan.description.clone(),
            path: plan.source.clone(),
        },
        repos_file,
        repos_hash: list.hash.clone(),
        repo_count: list.entries.len(),
        shard,
        collected_from: Vec::new(),
        workspace: ws.clone(),
        out,
        bundles: args.bundles,
        started_at: now,
        updated_at: now,
        repositories,
    };
    state.save_in(&ws)?;
    let progress = FleetProgress::new(style, state.repositories.len() as u64);
    progress.note(&format!(
        "remedy fleet: plan {} on {}{} in {}",
        plan.id,
        crate::words::repositories(state.repositories.len() as u64),
        if shard == Shard::WHOLE {
            String::new()
        } else {
            format!(" (shard {shard} of a fleet of {})", state.repo_count)
        },
        ws.display()
    ));
    let names: Vec<String> = state.repositories.iter().map(|r| r.name.clone()).collect();
    let result = drive(layout, state, sources, names, jobs(args.jobs), progress).await;
    drop(lock);
    result
}

/// `remedy fleet resume`: the repositories that did not succeed, each continued where it
/// stopped (a `running` one, found after a kill, is interrupted).
pub(crate) async fn fleet_resume(
    workspace: &Path,
    jobs_arg: Option<usize>,
    style: Style,
) -> Result<()> {
    let ws = absolute(workspace);
    let lock = WorkspaceLock::acquire(&ws)?;
    let mut state = FleetState::load_from(&ws)?;
    let layout = Layout { dir: ws.clone() };
    if !state.collected_from.is_empty() {
        return Err(FleetError::CollectedState { path: ws }.into());
    }
    let mut sources = HashMap::new();
    let mut names = Vec::new();
    for rec in &mut state.repositories {
        let source = match rec.checkout {
            Checkout::Worktree => Source::Local(PathBuf::from(&rec.source)),
            Checkout::Clone => Source::Url(rec.source.clone()),
        };
        sources.insert(rec.name.clone(), source);
        if rec.status == RepoStatus::Running {
            rec.status = RepoStatus::Interrupted;
            rec.reason = Some("the fleet was stopped while it ran".to_string());
        }
        if !rec.status.is_ok() && rec.status != RepoStatus::RolledBack {
            names.push(rec.name.clone());
        }
    }
    state.save_in(&ws)?;
    let progress = FleetProgress::new(style, names.len() as u64);
    progress.note(&format!(
        "remedy fleet: resuming {} of {} in {}",
        crate::words::repositories(names.len() as u64),
        state.repositories.len(),
        ws.display()
    ));
    let result = drive(layout, state, sources, names, jobs(jobs_arg), progress).await;
    drop(lock);
    result
}

fn jobs(arg: Option<usize>) -> usize {
    arg.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1)
}

/// A path made absolute against the current folder, without resolving symlinks.
pub(crate) fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// What every repository's task shares.
struct Ctx {
    layout: Layout,
    plan: PlanInfo,
    state: Mutex<FleetState>,
    groups: ChildGroups,
    stop: AtomicBool,
    progress: FleetProgress,
}

impl Ctx {
    /// Changes one record and saves the state at once.
    fn update(&self, name: &str, change: impl FnOnce(&mut RepoRecord)) -> Result<()> {
        let mut state = self.state.lock().expect("lock holders do not panic");
        if let Some(rec) = state.record_mut(name) {
            change(rec);
        }
        state.save_in(&self.layout.dir)
    }

    fn record(&self, name: &str) -> Option<RepoRecord> {
        let mut state = self.state.lock().expect("lock holders do not panic");
        state.record_mut(name).cloned()
    }
}

async fn drive(
    layout: Layout,
    state: FleetState,
    sources: HashMap<String, Source>,
    names: Vec<String>,
    jobs: usize,
    progress: FleetProgress,
) -> Result<()> {
    let ctx = Arc::new(Ctx {
        layout,
        plan: state.plan.clone(),
        state: Mutex::new(state),
        groups: ChildGroups::default(),
        stop: AtomicBool::new(false),
        progress: progress.clone(),
    });
    let semaphore = Arc::new(tokio::sync::Semaphore::new(jobs));
    let mut tasks = tokio::task::JoinSet::new();
    for name in names {
        let ctx = ctx.clone();
        let semaphore = semaphore.clone();
        let source = sources[&name].clone();
        tasks.spawn(async move {
            let Ok(_permit) = semaphore.acquire_owned().await else {
                return Ok(());
            };
            if ctx.stop.load(Ordering::SeqCst) {
                return Ok(());
            }
            work_on(&ctx, &name, &source).await
        });
    }

    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| Error::Other(e.into()))?;
    let mut first_error: Option<Error> = None;
    loop {
        tokio::select! {
            joined = tasks.join_next() => match joined {
                None => break,
                Some(Ok(Ok(()))) => {}
                Some(Ok(Err(e))) => { first_error.get_or_insert(e); }
                Some(Err(e)) => { first_error.get_or_insert(Error::Other(e.into())); }
            },
            _ = tokio::signal::ctrl_c(), if !ctx.stop.load(Ordering::SeqCst) => {
                stop_all(&ctx);
            }
            _ = sigterm.recv(), if !ctx.stop.load(Ordering::SeqCst) => {
                stop_all(&ctx);
            }
        }
    }
    progress.finish();
    if let Some(e) = first_error {
        // The state file could not be written: nothing after this can be trusted to be recorded.
        return Err(e);
    }
    let mut state = std::mem::replace(
        &mut *ctx.state.lock().expect("lock holders do not panic"),
        placeholder(),
    );
    if state.out.is_some() {
        out::write_out(&state, &ctx.groups).await?;
    }
    state.save_in(&ctx.layout.dir)?;
    progress.note(&super::report::one_line(&state));
    let total = state.repositories.len();
    if ctx.stop.load(Ordering::SeqCst) {
        let left = state
            .repositories
            .iter()
            .filter(|r| !r.status.is_ok() && r.status != RepoStatus::Failed)
            .count();
        return Err(FleetError::Interrupted { left, total }.into());
    }
    let failed = state.not_ok();
    if failed > 0 {
        return Err(FleetError::Incomplete { failed, total }.into());
    }
    Ok(())
}

/// An empty state, to move the real one out of the shared context at the end.
fn placeholder() -> FleetState {
    FleetState {
        format_version: super::state::FORMAT_VERSION,
        tool_version: String::new(),
        plan: PlanInfo {
            id: String::new(),
            title: String::new(),
            description: None,
            path: PathBuf::new(),
        },
        repos_file: PathBuf::new(),
        repos_hash: String::new(),
        repo_count: 0,
        shard: Shard::WHOLE,
        collected_from: Vec::new(),
        workspace: PathBuf::new(),
        out: None,
        bundles: false,
        started_at: 0,
        updated_at: 0,
        repositories: Vec::new(),
    }
}

fn stop_all(ctx: &Ctx) {
    ctx.stop.store(true, Ordering::SeqCst);
    ctx.progress
        .note("remedy fleet: stopping; every running repository records where it stopped");
    ctx.groups.signal_all(libc::SIGTERM);
}

/// One repository: prepare, run (or resume), commit. Only a failure to save the fleet state is an
/// error here; everything else is the repository's outcome.
async fn work_on(ctx: &Ctx, name: &str, source: &Source) -> Result<()> {
    let started = Instant::now();
    ctx.update(name, |r| {
        r.status = RepoStatus::Running;
        r.phase = None;
        r.reason = None;
    })?;
    ctx.progress.started(name, "preparing");
    let Some(mut rec) = ctx.record(name) else {
        return Ok(());
    };
    let end = |status: RepoStatus, phase: Option<String>, reason: Option<String>| {
        let detail = match (&phase, &reason) {
            (Some(p), Some(r)) => format!("{p}: {}", r.lines().next().unwrap_or_default()),
            (Some(p), None) => p.clone(),
            (None, Some(r)) => r.lines().next().unwrap_or_default().to_string(),
            (None, None) => String::new(),
        };
        ctx.progress.finished(name, status, &detail);
        let ms = started.elapsed().as_millis() as u64;
        ctx.update(name, |r| {
            r.status = status;
            r.phase = phase;
            r.reason = reason;
            r.duration_ms = Some(r.duration_ms.unwrap_or(0) + ms);
        })
    };
    let stopped = || ctx.stop.load(Ordering::SeqCst);

    if !rec.prepared {
        match workspace::prepare(&rec, source, &ctx.groups).await {
            Ok(base) => {
                ctx.update(name, |r| {
                    r.prepared = true;
                    r.base_commit = Some(base.clone());
                })?;
                rec.prepared = true;
                rec.base_commit = Some(base);
            }
            Err(_) if stopped() => {
                return end(RepoStatus::Interrupted, Some("prepare".into()), None);
            }
            Err(reason) => return end(RepoStatus::Failed, Some("prepare".into()), Some(reason)),
        }
    }

    let checkpoint = counts::load_checkpoint(&rec.path, &ctx.plan.id);
    let already_done = checkpoint
        .as_ref()
        .is_some_and(|cp| crate::report::run_status(cp) == "succeeded");
    if !already_done {
        let verb = if checkpoint.is_some() {
            ChildVerb::Resume {
                plan_id: ctx.plan.id.clone(),
            }
        } else {
            ChildVerb::Run {
                plan: ctx.plan.path.clone(),
            }
        };
        ctx.progress.step(name, "running");
        let progress = ctx.progress.clone();
        let shown = name.to_string();
        let finished = run_child(
            &verb,
            &rec.path,
            &ctx.layout.log_file(name),
            &ctx.groups,
            move |p| progress.update(&shown, &p),
        )
        .await;
        let child = match finished {
            Ok(c) => c,
            Err(e) => {
                return end(
                    RepoStatus::Failed,
                    Some("run".into()),
                    Some(format!("cannot start remedy: {e}")),
                )
            }
        };
        if child.code != Some(exit::SUCCESS) {
            record_counts(ctx, name, &rec.path)?;
            let interrupted =
                child.code == Some(exit::INTERRUPTED) || child.code.is_none() || stopped();
            let reason = child.reason.or_else(|| {
                Some(format!(
                    "remedy ended with {}; see {}",
                    child
                        .code
                        .map_or("a signal".to_string(), |c| format!("exit code {c}")),
                    ctx.layout.log_file(name).display()
                ))
            });
            let status = if interrupted && (stopped() || child.code == Some(exit::INTERRUPTED)) {
                RepoStatus::Interrupted
            } else {
                RepoStatus::Failed
            };
            return end(status, child.phase.or(Some("run".into())), reason);
        }
    }

    ctx.progress.step(name, "committing");
    let Some(checkpoint) = counts::load_checkpoint(&rec.path, &ctx.plan.id) else {
        return end(
            RepoStatus::Failed,
            Some("commit".into()),
            Some("the run left no checkpoint to report from".into()),
        );
    };
    let report_text = crate::report::json::render(&checkpoint);
    let report: serde_json::Value = serde_json::from_str(&report_text).unwrap_or_default();
    let (repo_counts, files) = counts::counts_of(&report);
    let message = crate::report::commit::commit_message(&checkpoint);
    ctx.update(name, |r| r.counts = Some(repo_counts.clone()))?;
    match workspace::commit(
        &rec,
        &files,
        &message,
        &ctx.layout.message_file(name),
        &ctx.groups,
    )
    .await
    {
        Ok(Some(commit)) => {
            ctx.update(name, |r| r.commit = Some(commit))?;
            end(RepoStatus::Succeeded, None, None)
        }
        Ok(None) => end(RepoStatus::NothingToChange, None, None),
        Err(_) if stopped() => end(RepoStatus::Interrupted, Some("commit".into()), None),
        Err(reason) => end(RepoStatus::Failed, Some("commit".into()), Some(reason)),
    }
}

/// Records what a run that did not succeed did so far (a patch that went in, tests it broke).
fn record_counts(ctx: &Ctx, name: &str, root: &Path) -> Result<()> {
    let Some(text) = counts::report_json(root, &ctx.plan.id) else {
        return Ok(());
    };
    let report: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let (c, _) = counts::counts_of(&report);
    ctx.update(name, |r| r.counts = Some(c))
}
