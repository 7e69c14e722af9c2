//! `remedy run`: a fresh run of a plan over a root, or with `--dry-run` a preview that writes
//! nothing. It takes the root's lock, refuses a plan that already has a run there, and starts a
//! checkpoint (with the git commit the tree was at) before the first phase.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::phase::Journal;
use crate::plan::{load_plan, Plan};
use crate::process::{run_capture, ChildGroups};
use crate::report;
use crate::state::checkpoint::{self, Checkpoint, GitInfo, PhaseStatus, StateDir};
use crate::state::lock::RootLock;
use crate::timefmt;
use crate::ui::{Event, Style, Ui};

use super::drive::{drive, pending_record};
use super::{finish, resolve_root, RunSummary};

/// How long each `git` question may take (a status over a huge or network-mounted tree is slow;
/// a git waiting on a lock or a credential prompt must not hold the run).
const GIT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The commit and whether the tree is dirty, when the root is in a git repository. No Ctrl-C
/// handler is installed yet when this runs, so SIGINT ends remedy and the death signal ends git.
pub(super) async fn git_info(root: &Path) -> Option<GitInfo> {
    let groups = ChildGroups::default();
    let ask = |args: &'static [&'static str]| run_capture("git", args, root, GIT_TIMEOUT, &groups);
    let head = ask(&["rev-parse", "HEAD"]).await.ok()?;
    if head.code() != Some(0) {
        return None;
    }
    let status = ask(&["status", "--porcelain"]).await.ok()?;
    if status.code() != Some(0) {
        return None;
    }
    let remote = ask(&["remote", "get-url", "origin"])
        .await
        .ok()
        .filter(|r| r.code() == Some(0))
        .map(|r| without_credentials(r.output.trim()))
        .filter(|r| !r.is_empty());
    Some(GitInfo {
        commit: head.output.trim().to_string(),
        dirty: !status.output.trim().is_empty(),
        remote,
    })
}

/// A remote URL without the user name or token an `https://user:token@host/...` URL may carry:
/// it goes into reports that people paste.
fn without_credentials(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            if path.is_empty() {
                format!("{scheme}://{host}")
            } else {
                format!("{scheme}://{host}/{path}")
            }
        }
        None => url.to_string(),
    }
}

pub(super) async fn new_checkpoint(plan: &Plan, root: &Path) -> Checkpoint {
    let now = timefmt::now_ms();
    Checkpoint {
        format_version: checkpoint::FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        plan_id: plan.id.clone(),
        plan_title: plan.title.clone(),
        plan_description: plan.description.clone(),
        plan_path: plan.source.clone(),
        root: root.to_path_buf(),
        started_at: now,
        updated_at: now,
        git: git_info(root).await,
        phases: plan.phases.iter().map(pending_record).collect(),
        relocated_from: None,
    }
}

/// `remedy run PLAN`: the whole plan, or with `dry_run` a preview that writes nothing.
pub(crate) async fn run(
    plan_path: &Path,
    root: &Path,
    dry_run: bool,
    style: Style,
) -> Result<RunSummary> {
    let root = resolve_root(root)?;
    let plan = Arc::new(load_plan(plan_path, Some(&root))?);
    // Before the run starts, so that they are read before anything is changed.
    eprint!(
        "{}",
        crate::plan::render_warnings(plan_path, &plan.warnings)
    );
    let (ui, ui_task) = Ui::start(style);
    ui.send(Event::RunStarted {
        plan: plan.id.clone(),
        title: plan.title.clone(),
        root: root.display().to_string(),
        dry_run,
    });
    let result = if dry_run {
        drive(&plan, &root, None, 0, HashMap::new(), &ui).await
    } else {
        start_run(&plan, &root, &ui).await
    };
    finish(ui, ui_task, result, dry_run).await
}

async fn start_run(plan: &Arc<Plan>, root: &Path, ui: &Ui) -> Result<Option<PathBuf>> {
    let _lock = RootLock::acquire(root)?;
    let state = StateDir::new(root, &plan.id);
    if state.checkpoint_path().exists() {
        let cp = Checkpoint::load_in(&state)?;
        if !cp
            .phases
            .iter()
            .all(|p| matches!(p.status, PhaseStatus::RolledBack | PhaseStatus::Pending))
        {
            return Err(Error::usage(
                format!(
                    "plan `{}` already has a run under {} ({})",
                    plan.id,
                    root.display(),
                    report::run_status(&cp).replace('_', " ")
                ),
                Some(format!(
                    "see `remedy status --root {r}`; continue it with `remedy resume --root {r}`, or undo it with `remedy rollback --all --root {r}` and run again",
                    r = root.display()
                )),
            ));
        }
    }
    state.create()?;
    let mut cp = new_checkpoint(plan, root).await;
    cp.save(&state)?;
    let journal = Arc::new(tokio::sync::Mutex::new(Journal {
        checkpoint: cp,
        state,
    }));
    drive(plan, root, Some(journal), 0, HashMap::new(), ui).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_reach_a_report() {
        assert_eq!(
            without_credentials("https://bot:ghp_secret@github.com/org/app.git"),
            "https://github.com/org/app.git"
        );
        assert_eq!(
            without_credentials("git@github.com:org/app.git"),
            "git@github.com:org/app.git"
        );
        assert_eq!(
            without_credentials("file:///srv/git/app"),
            "file:///srv/git/app"
        );
    }
}
