//! Child processes. Every child remedy starts (test suites, command phases, validate `command`
//! checks, pip, the interpreter probe, git) runs through `run_logged`: in its own process group,
//! with a death signal so it never outlives remedy, registered in `ChildGroups` so Ctrl-C ends it,
//! and with its whole tree killed on timeout or when the future running it is dropped.

use std::collections::{HashSet, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The process groups of the children that are running, so that Ctrl-C can end them all.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChildGroups(Arc<Mutex<HashSet<i32>>>);

impl ChildGroups {
    fn insert(&self, pgid: i32) {
        self.0
            .lock()
            .expect("lock holders do not panic")
            .insert(pgid);
    }

    fn remove(&self, pgid: i32) {
        self.0
            .lock()
            .expect("lock holders do not panic")
            .remove(&pgid);
    }

    /// Sends `signal` to every registered process group.
    pub(crate) fn signal_all(&self, signal: i32) {
        for pgid in self.0.lock().expect("lock holders do not panic").iter() {
            kill_group(*pgid, signal);
        }
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.0.lock().expect("lock holders do not panic").is_empty()
    }
}

fn kill_group(pgid: i32, signal: i32) {
    // SAFETY: killpg has no memory-safety preconditions; a stale group id only yields ESRCH.
    unsafe {
        libc::killpg(pgid, signal);
    }
}

/// A command to run in its own process group, with its output in a log file when `log` is set.
#[derive(Debug, Clone)]
pub(crate) struct Spawn {
    pub(crate) program: String,
    pub(crate) args: Vec<String>,
    pub(crate) cwd: PathBuf,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) log: Option<PathBuf>,
    pub(crate) timeout: Option<Duration>,
}

/// How a child ended.
#[derive(Debug, Clone)]
pub(crate) struct Exit {
    pub(crate) code: Option<i32>,
    pub(crate) signal: Option<i32>,
    pub(crate) timed_out: bool,
    pub(crate) duration: Duration,
}

/// Grace period between SIGTERM and SIGKILL when a group is ended.
const GRACE: Duration = Duration::from_secs(3);

/// Runs `spec`, calling `on_line` for each line of combined stdout and stderr (on another thread).
/// The child's whole process group is killed on timeout, and when the returned future is dropped.
pub(crate) async fn run_logged(
    spec: &Spawn,
    groups: &ChildGroups,
    on_line: impl FnMut(&str) + Send + 'static,
) -> std::io::Result<Exit> {
    let (reader, writer) = std::io::pipe()?;
    let mut cmd = tokio::process::Command::new(&spec.program);
    cmd.args(&spec.args)
        .current_dir(&spec.cwd)
        .stdin(Stdio::null())
        .stdout(writer.try_clone()?)
        .stderr(writer)
        .process_group(0)
        .kill_on_drop(true);
    // If remedy itself dies (SIGKILL, a crash), the child must not run on unobserved and write into
    // the logs of a resumed run: ask the kernel to kill it when its parent goes.
    // SAFETY: the closure runs between fork and exec and only calls async-signal-safe functions.
    let parent = std::process::id() as libc::pid_t;
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before the request took effect.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
    for (k, v) in &spec.env {
        cmd.env(k, v);
    }
    let log = spec.log.as_ref().map(std::fs::File::create).transpose()?;
    let started = Instant::now();
    let mut child = cmd.spawn()?;
    // The parent's copies of the pipe's write end are inside `cmd`; drop them so EOF can arrive.
    drop(cmd);
    let pgid = child.id().map(|p| p as i32).unwrap_or(0);
    groups.insert(pgid);
    let guard = GroupGuard {
        pgid,
        groups: groups.clone(),
    };
    let watchdog = spawn_watchdog(pgid);
    let pump = std::thread::spawn(move || pump_lines(reader, log, on_line));

    let status = match spec.timeout {
        None => Some(child.wait().await?),
        Some(limit) => tokio::time::timeout(limit, child.wait())
            .await
            .ok()
            .transpose()?,
    };
    let (status, timed_out) = match status {
        Some(s) => (s, false),
        None => {
            kill_group(pgid, libc::SIGTERM);
            let s = match tokio::time::timeout(GRACE, child.wait()).await {
                Ok(s) => s?,
                Err(_) => {
                    kill_group(pgid, libc::SIGKILL);
                    child.wait().await?
                }
            };
            (s, true)
        }
    };
    // Children the command left behind in its group would keep the log pipe open: end them.
    kill_group(pgid, libc::SIGKILL);
    if let Some((mut watchdog, alive)) = watchdog {
        let _ = watchdog.wait().await;
        drop(alive);
    }
    drop(guard);
    let _ = tokio::task::spawn_blocking(move || pump.join()).await;
    use std::os::unix::process::ExitStatusExt;
    Ok(Exit {
        code: status.code(),
        signal: status.signal(),
        timed_out,
        duration: started.elapsed(),
    })
}

/// Starts a watchdog in the child's process group that kills the group when remedy dies.
/// `PR_SET_PDEATHSIG` reaches only the direct child; what it started (a shell's `sleep`, pytest's
/// workers) would run on after a SIGKILL of remedy. The watchdog waits on a pipe whose only write
/// end remedy holds (close-on-exec, so no child inherits it); when remedy dies the kernel closes it,
/// the read ends, and the watchdog kills its own group. Returns the watchdog and the write end to
/// hold while the child runs; `None` when it cannot start, which leaves the death signal alone.
fn spawn_watchdog(pgid: i32) -> Option<(tokio::process::Child, std::io::PipeWriter)> {
    let (read, write) = std::io::pipe().ok()?;
    let watchdog = tokio::process::Command::new("/bin/sh")
        .args(["-c", "read -r _; kill -9 0"])
        .stdin(read)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(pgid)
        .kill_on_drop(true)
        .spawn()
        .ok()?;
    Some((watchdog, write))
}

/// Kills the group if the future running it is dropped (Ctrl-C, or an aborted phase task).
struct GroupGuard {
    pgid: i32,
    groups: ChildGroups,
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        kill_group(self.pgid, libc::SIGKILL);
        self.groups.remove(self.pgid);
    }
}

fn pump_lines(
    reader: std::io::PipeReader,
    mut log: Option<std::fs::File>,
    mut on_line: impl FnMut(&str),
) {
    let mut reader = BufReader::new(reader);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                if let Some(log) = &mut log {
                    let _ = log.write_all(&buf);
                }
                on_line(String::from_utf8_lossy(&buf).trim_end());
            }
        }
    }
    if let Some(log) = &mut log {
        let _ = log.flush();
    }
}

/// How many lines of a helper's output `run_capture` keeps (the last ones), so that a chatty
/// command cannot fill memory.
const CAPTURE_LINES: usize = 200;

/// How a helper command ended, with the last lines of its combined stdout and stderr.
#[derive(Debug, Clone)]
pub(crate) struct Captured {
    pub(crate) exit: Exit,
    pub(crate) output: String,
}

impl Captured {
    /// The exit code, or `None` when a signal or the timeout ended it.
    pub(crate) fn code(&self) -> Option<i32> {
        if self.exit.timed_out {
            None
        } else {
            self.exit.code
        }
    }
}

/// Runs a short helper command in the root (or another folder) under the same rules as a phase's
/// children, and returns how it ended with the last `CAPTURE_LINES` lines of its output.
pub(crate) async fn run_capture(
    program: &str,
    args: &[&str],
    cwd: &Path,
    timeout: Duration,
    groups: &ChildGroups,
) -> std::io::Result<Captured> {
    let spec = Spawn {
        program: program.to_string(),
        args: args.iter().map(|a| a.to_string()).collect(),
        cwd: cwd.to_path_buf(),
        env: Vec::new(),
        log: None,
        timeout: Some(timeout),
    };
    let lines = Arc::new(Mutex::new(VecDeque::new()));
    let sink = lines.clone();
    let exit = run_logged(&spec, groups, move |line| {
        let mut lines = sink.lock().expect("lock holders do not panic");
        if lines.len() == CAPTURE_LINES {
            lines.pop_front();
        }
        lines.push_back(line.to_string());
    })
    .await?;
    let lines = lines.lock().expect("lock holders do not panic");
    let mut output = String::new();
    for line in lines.iter() {
        output.push_str(line);
        output.push('\n');
    }
    Ok(Captured { exit, output })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn timeout_kills_the_whole_group() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("grandchild.pid");
        let spec = Spawn {
            program: "sh".into(),
            args: vec![
                "-c".into(),
                format!(
                    "sleep 60 & echo $! > {}; echo started; wait",
                    pidfile.display()
                ),
            ],
            cwd: dir.path().to_path_buf(),
            env: vec![],
            log: Some(dir.path().join("log")),
            timeout: Some(Duration::from_millis(500)),
        };
        let groups = ChildGroups::default();
        let exit = run_logged(&spec, &groups, |_| {}).await.unwrap();
        assert!(exit.timed_out);
        assert!(groups.is_empty());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("log")).unwrap(),
            "started\n"
        );
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // The grandchild (`sleep`) is gone too; give the kernel a moment to reap it.
        let mut alive = true;
        for _ in 0..50 {
            let zombie_or_gone = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .map(|s| s.split_whitespace().nth(2) == Some("Z"))
                .unwrap_or(true);
            if zombie_or_gone {
                alive = false;
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(!alive, "grandchild {pid} survived the timeout");
    }

    #[tokio::test]
    async fn captures_helper_output() {
        let groups = ChildGroups::default();
        let out = run_capture(
            "sh",
            &["-c", "echo hi; echo err >&2; exit 3"],
            Path::new("."),
            Duration::from_secs(30),
            &groups,
        )
        .await
        .unwrap();
        assert_eq!(out.code(), Some(3));
        assert_eq!(out.output, "hi\nerr\n");
        assert!(groups.is_empty());
    }

    #[tokio::test]
    async fn captured_output_keeps_the_last_lines() {
        let out = run_capture(
            "sh",
            &[
                "-c",
                "i=0; while [ $i -lt 1000 ]; do echo $i; i=$((i+1)); done",
            ],
            Path::new("."),
            Duration::from_secs(30),
            &ChildGroups::default(),
        )
        .await
        .unwrap();
        let lines: Vec<&str> = out.output.lines().collect();
        assert_eq!(lines.len(), CAPTURE_LINES);
        assert_eq!(lines.last(), Some(&"999"));
    }
}
