//! One repository's plan, run as a child `remedy run PLAN --root WT --json` (or `remedy resume`)
//! of this very executable, its JSON events read for progress and for where and why it failed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Deserialize;

use crate::process::{self, ChildGroups, Spawn};

/// What the child is asked to do.
#[derive(Debug, Clone)]
pub(crate) enum ChildVerb {
    /// `remedy run PLAN`.
    Run { plan: PathBuf },
    /// `remedy resume --plan ID`.
    Resume { plan_id: String },
}

/// What the fleet shows of a running child.
#[derive(Debug, Clone)]
pub(crate) enum Progress {
    /// Phase `index + 1` of `total` started.
    Phase {
        index: usize,
        total: usize,
        name: String,
    },
    /// Tests done so far in a suite.
    Tests { done: u64, total: u64 },
}

/// How the child ended.
#[derive(Debug, Clone)]
pub(crate) struct ChildEnd {
    /// Its exit code; `None` when a signal ended it.
    pub(crate) code: Option<i32>,
    /// The phase that failed or was interrupted, if one did.
    pub(crate) phase: Option<String>,
    /// Why: the phase's error, or the verb's `error` event, or the last lines it printed.
    pub(crate) reason: Option<String>,
}

/// The events read; the rest of each is ignored (docs/json-events.md).
#[derive(Debug, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum Seen {
    PhaseStarted {
        index: usize,
        total: usize,
        phase: String,
    },
    SuiteProgress {
        done: u64,
        total: u64,
    },
    PhaseFinished {
        phase: String,
        status: String,
        #[serde(default)]
        error: Option<String>,
    },
    Error {
        message: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Default)]
struct Tracked {
    phase: Option<String>,
    reason: Option<String>,
    error: Option<String>,
    last_plain: Vec<String>,
}

/// Runs the child in `root`, with its output in `log`, calling `on_progress` as it goes.
pub(crate) async fn run_child(
    verb: &ChildVerb,
    root: &Path,
    log: &Path,
    groups: &ChildGroups,
    on_progress: impl Fn(Progress) + Send + Sync + 'static,
) -> std::io::Result<ChildEnd> {
    let exe = std::env::current_exe()?;
    let root_s = root.to_string_lossy().into_owned();
    let args: Vec<String> = match verb {
        ChildVerb::Run { plan } => vec![
            "run".into(),
            plan.to_string_lossy().into_owned(),
            "--root".into(),
            root_s,
            "--json".into(),
        ],
        ChildVerb::Resume { plan_id } => vec![
            "resume".into(),
            "--root".into(),
            root_s,
            "--plan".into(),
            plan_id.clone(),
            "--json".into(),
        ],
    };
    if let Some(parent) = log.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let spec = Spawn {
        program: exe.to_string_lossy().into_owned(),
        args,
        cwd: root.to_path_buf(),
        env: vec![("NO_COLOR".into(), "1".into())],
        log: Some(log.to_path_buf()),
        timeout: None,
    };
    let tracked = Arc::new(Mutex::new(Tracked::default()));
    let sink = tracked.clone();
    let exit = process::run_logged(&spec, groups, move |line| {
        let mut t = sink.lock().expect("lock holders do not panic");
        match serde_json::from_str::<Seen>(line) {
            Ok(Seen::PhaseStarted {
                index,
                total,
                phase,
            }) => on_progress(Progress::Phase {
                index,
                total,
                name: phase,
            }),
            Ok(Seen::SuiteProgress { done, total }) => on_progress(Progress::Tests { done, total }),
            Ok(Seen::PhaseFinished {
                phase,
                status,
                error,
            }) if status == "failed" || status == "interrupted" => {
                t.phase = Some(phase);
                t.reason = error;
            }
            Ok(Seen::Error { message }) => t.error = Some(message),
            Ok(_) => {}
            Err(_) => {
                // Not an event (stderr: `error:` lines, a panic): keep the last few for the reason.
                if !line.trim().is_empty() {
                    if t.last_plain.len() == 8 {
                        t.last_plain.remove(0);
                    }
                    t.last_plain.push(line.to_string());
                }
            }
        }
    })
    .await?;
    let t = std::mem::take(&mut *tracked.lock().expect("lock holders do not panic"));
    let code = if exit.signal.is_some() {
        None
    } else {
        exit.code
    };
    let reason = t
        .reason
        .or(t.error)
        .or_else(|| (!t.last_plain.is_empty()).then(|| t.last_plain.join("\n")))
        .map(|r| r.replace(&root.display().to_string(), "."));
    Ok(ChildEnd {
        code,
        phase: t.phase,
        reason,
    })
}
