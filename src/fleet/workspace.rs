//! A repository's folder in the workspace: a linked worktree of a local repository or a clone of
//! a URL or a bare repository, on the fleet's branch; and the git steps after a run (the commit,
//! the bundle, the reset a rollback does). Every git command runs through `process`, in its own
//! process group and dying with remedy.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::repos::Source;
use super::state::{Checkout, RepoRecord};
use crate::process::{self, ChildGroups, Spawn};

/// The workspace's layout: `fleet.json`, `repos/<name>/`, `logs/<name>.log`.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub(crate) dir: PathBuf,
}

impl Layout {
    pub(crate) fn repo_dir(&self, name: &str) -> PathBuf {
        self.dir.join("repos").join(name)
    }

    pub(crate) fn log_file(&self, name: &str) -> PathBuf {
        self.dir.join("logs").join(format!("{name}.log"))
    }

    pub(crate) fn message_file(&self, name: &str) -> PathBuf {
        self.dir.join("logs").join(format!("{name}.commit-message"))
    }
}

/// The branch a fleet of plan `plan_id` works on.
pub(crate) fn branch_for(plan_id: &str) -> String {
    format!("remedy/{plan_id}")
}

/// How a source is checked out: a worktree for a local non-bare repository, a clone otherwise.
pub(crate) fn checkout_for(source: &Source) -> Checkout {
    match source {
        Source::Local(p) if !is_bare(p) => Checkout::Worktree,
        _ => Checkout::Clone,
    }
}

/// A bare repository has `HEAD` and `objects/` and no `.git`.
fn is_bare(path: &Path) -> bool {
    !path.join(".git").exists() && path.join("HEAD").is_file() && path.join("objects").is_dir()
}

/// Long enough for a large clone; a stuck one (a server that never answers) ends.
const GIT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Runs git in `cwd`; `Ok` with its output when it exits 0, `Err` with what it said otherwise.
pub(crate) async fn git(args: &[&str], cwd: &Path, groups: &ChildGroups) -> Result<String, String> {
    let spec = Spawn {
        program: "git".into(),
        args: args.iter().map(|a| a.to_string()).collect(),
        cwd: cwd.to_path_buf(),
        // Never wait for a password nobody can type, nor open an editor.
        env: vec![
            ("GIT_TERMINAL_PROMPT".into(), "0".into()),
            ("GIT_EDITOR".into(), "true".into()),
            ("LC_ALL".into(), "C".into()),
        ],
        log: None,
        timeout: Some(GIT_TIMEOUT),
    };
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    let exit = process::run_logged(&spec, groups, move |line| {
        let mut l = sink.lock().expect("lock holders do not panic");
        if l.len() < 400 {
            l.push(line.to_string());
        }
    })
    .await
    .map_err(|e| format!("cannot run git: {e}"))?;
    let output = lines.lock().expect("lock holders do not panic").join("\n");
    if exit.code == Some(0) && !exit.timed_out {
        Ok(output)
    } else {
        // git says what went wrong on a `fatal:` or `error:` line; hints and progress follow it.
        let lines: Vec<&str> = output.lines().filter(|l| !l.trim().is_empty()).collect();
        let said = lines
            .iter()
            .find(|l| l.starts_with("fatal: ") || l.starts_with("error: "))
            .or(lines.last())
            .map(|l| {
                l.trim_start_matches("fatal: ")
                    .trim_start_matches("error: ")
            })
            .unwrap_or(if exit.timed_out {
                "timed out"
            } else {
                "no output"
            })
            .to_string();
        // Only the verb: the arguments hold workspace paths, and a reason must read the same
        // wherever the fleet ran.
        let verb = args
            .iter()
            .find(|a| !a.starts_with('-') && !a.contains('='))
            .copied()
            .unwrap_or("");
        Err(format!("`git {verb}` failed: {said}"))
    }
}

/// Makes the repository's folder at `rec.path` on `rec.branch`, starting from its ref (or
/// `HEAD`), and returns the commit it starts from. A folder left half-made by a killed fleet is
/// removed and made again; the user's own checkout is never touched.
pub(crate) async fn prepare(
    rec: &RepoRecord,
    source: &Source,
    groups: &ChildGroups,
) -> Result<String, String> {
    let dest = &rec.path;
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
    }
    if std::fs::symlink_metadata(dest).is_ok() {
        std::fs::remove_dir_all(dest).map_err(|e| {
            format!(
                "cannot remove the half-made folder `{}`: {e}",
                dest.display()
            )
        })?;
    }
    let start = rec.git_ref.as_deref().unwrap_or("HEAD");
    let dest_s = dest.to_string_lossy().into_owned();
    match (rec.checkout, source) {
        (Checkout::Worktree, Source::Local(src)) => {
            // A worktree removed with its folder stays registered until pruned.
            git(&["worktree", "prune"], src, groups).await?;
            let base = rev_parse(src, &format!("{start}^{{commit}}"), groups)
                .await
                .map_err(|_| format!("`{start}` names no commit in `{}`", src.display()))?;
            let branch_ref = format!("refs/heads/{}", rec.branch);
            if let Ok(existing) = rev_parse(src, &branch_ref, groups).await {
                if existing != base {
                    return Err(format!(
                        "branch `{}` already exists in `{}` at another commit; delete it (`git -C {} branch -D {}`) or run the fleet from its ref",
                        rec.branch,
                        src.display(),
                        crate::error::shell_word(src),
                        rec.branch
                    ));
                }
            }
            git(
                &["worktree", "add", "-q", "-B", &rec.branch, &dest_s, &base],
                src,
                groups,
            )
            .await?;
            Ok(base)
        }
        (_, source) => {
            let url = source.display();
            let parent = dest.parent().unwrap_or(Path::new("."));
            git(
                &["clone", "-q", "--no-checkout", "--", &url, &dest_s],
                parent,
                groups,
            )
            .await
            .map_err(|e| format!("cannot clone `{url}`: {e}"))?;
            let base = match rev_parse(dest, &format!("{start}^{{commit}}"), groups).await {
                Ok(c) => c,
                Err(_) => rev_parse(dest, &format!("origin/{start}^{{commit}}"), groups)
                    .await
                    .map_err(|_| {
                        if rec.git_ref.is_some() {
                            format!("`{start}` names no branch, tag or commit of `{url}`")
                        } else {
                            format!("`{url}` has no commit to start from")
                        }
                    })?,
            };
            git(&["checkout", "-q", "-B", &rec.branch, &base], dest, groups).await?;
            exclude_state_dir(dest)
                .map_err(|e| format!("cannot write `.git/info/exclude`: {e}"))?;
            Ok(base)
        }
    }
}

async fn rev_parse(repo: &Path, what: &str, groups: &ChildGroups) -> Result<String, String> {
    let out = git(&["rev-parse", "--verify", "-q", what], repo, groups).await?;
    out.lines()
        .last()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .ok_or_else(|| format!("`{what}` resolves to nothing"))
}

/// `.remedy/` ignores itself already; the clone's own exclude says so too, for a git that reads
/// only that.
fn exclude_state_dir(clone: &Path) -> std::io::Result<()> {
    let info = clone.join(".git").join("info");
    std::fs::create_dir_all(&info)?;
    let exclude = info.join("exclude");
    let text = std::fs::read_to_string(&exclude).unwrap_or_default();
    if text.lines().any(|l| l.trim() == "/.remedy/") {
        return Ok(());
    }
    let mut new = text;
    if !new.is_empty() && !new.ends_with('\n') {
        new.push('\n');
    }
    new.push_str("/.remedy/\n");
    std::fs::write(&exclude, new)
}

/// Commits `files` (relative to the folder) on the branch with `message`, and returns the commit;
/// `None` when they hold no change. Done already (the branch moved past its base, as when the
/// fleet was killed right after committing) returns that commit.
pub(crate) async fn commit(
    rec: &RepoRecord,
    files: &[String],
    message: &str,
    message_file: &Path,
    groups: &ChildGroups,
) -> Result<Option<String>, String> {
    let dir = &rec.path;
    let head = rev_parse(dir, "HEAD", groups).await?;
    if rec.base_commit.as_deref().is_some_and(|b| b != head) {
        return Ok(Some(head));
    }
    if files.is_empty() {
        return Ok(None);
    }
    let mut add = vec!["add", "--"];
    add.extend(files.iter().map(String::as_str));
    git(&add, dir, groups).await?;
    if git(&["diff", "--cached", "--quiet"], dir, groups)
        .await
        .is_ok()
    {
        return Ok(None);
    }
    if let Some(parent) = message_file.parent() {
        std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    }
    std::fs::write(message_file, message)
        .map_err(|e| format!("cannot write `{}`: {e}", message_file.display()))?;
    let msg = message_file.to_string_lossy().into_owned();
    let has_identity = git(&["config", "user.email"], dir, groups).await.is_ok();
    let mut args: Vec<&str> = Vec::new();
    if !has_identity {
        args.extend([
            "-c",
            "user.name=remedy",
            "-c",
            "user.email=remedy@localhost",
        ]);
    }
    args.extend(["commit", "-q", "--no-edit", "-F", &msg]);
    git(&args, dir, groups).await?;
    rev_parse(dir, "HEAD", groups).await.map(Some)
}

/// Writes the branch's new commits (from its base) as a git bundle at `to`.
pub(crate) async fn bundle(
    rec: &RepoRecord,
    to: &Path,
    groups: &ChildGroups,
) -> Result<(), String> {
    let (Some(base), Some(_)) = (&rec.base_commit, &rec.commit) else {
        return Ok(());
    };
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    }
    let to_s = to.to_string_lossy().into_owned();
    let not_base = format!("^{base}");
    git(
        &["bundle", "create", "-q", &to_s, &rec.branch, &not_base],
        &rec.path,
        groups,
    )
    .await
    .map(|_| ())
}

/// Moves the branch back to its base commit and the index with it; the files are left as they
/// are (a rollback has just restored them).
pub(crate) async fn reset_to_base(rec: &RepoRecord, groups: &ChildGroups) -> Result<(), String> {
    let Some(base) = &rec.base_commit else {
        return Ok(());
    };
    git(&["reset", "-q", base], &rec.path, groups)
        .await
        .map(|_| ())
}
