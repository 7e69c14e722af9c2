//! Child processes: short helper commands (duct), and long phase commands (tokio) that run in their
//! own process group, stream their output to a log, and can be ended as a whole tree on a timeout
//! or Ctrl-C.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The process groups of the children that are running, so that Ctrl-C can end them all.
#[derive(Debug, Clone, Default)]
pub struct ChildGroups(Arc<Mutex<HashSet<i32>>>);

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
    pub fn signal_all(&self, signal: i32) {
        for pgid in self.0.lock().expect("lock holders do not panic").iter() {
            kill_group(*pgid, signal);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.lock().expect("lock holders do not panic").is_empty()
    }
}

fn kill_group(pgid: i32, signal: i32) {
    // SAFETY: killpg has no memory-safety preconditions; a stale group id only yields ESRCH.
    unsafe {
        libc::killpg(pgid, signal);
    }
}

/// A command to run in its own process group with its output in a log file.
#[derive(Debug, Clone)]
pub struct Spawn {
    pub program: String,
    pub args: Vec<String>,
    pub cwd: PathBuf,
    pub env: Vec<(String, String)>,
    pub log: PathBuf,
    pub timeout: Option<Duration>,
}

/// How a child ended.
#[derive(Debug, Clone)]
pub struct Exit {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub timed_out: bool,
    pub duration: Duration,
}

/// Grace period between SIGTERM and SIGKILL when a group is ended.
const GRACE: Duration = Duration::from_secs(3);

/// Runs `spec`, calling `on_line` for each line of combined stdout and stderr (on another thread).
/// The child's whole process group is killed on timeout, and when the returned future is dropped.
pub async fn run_logged(
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
    let log = std::fs::File::create(&spec.log)?;
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

fn pump_lines(reader: std::io::PipeReader, mut log: std::fs::File, mut on_line: impl FnMut(&str)) {
    let mut reader = BufReader::new(reader);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let _ = log.write_all(&buf);
                on_line(String::from_utf8_lossy(&buf).trim_end());
            }
        }
    }
    let _ = log.flush();
}

/// Runs a short helper command to completion and returns (exit code, combined output).
pub fn run_capture(
    program: &str,
    args: &[&str],
    cwd: &Path,
) -> std::io::Result<(Option<i32>, String)> {
    let out = duct::cmd(program, args)
        .dir(cwd)
        .stdin_null()
        .stderr_to_stdout()
        .stdout_capture()
        .unchecked()
        .run()?;
    Ok((
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
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
            log: dir.path().join("log"),
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

    #[test]
    fn captures_helper_output() {
        let (code, out) = run_capture(
            "sh",
            &["-c", "echo hi; echo err >&2; exit 3"],
            Path::new("."),
        )
        .unwrap();
        assert_eq!(code, Some(3));
        assert_eq!(out, "hi\nerr\n");
    }
}
