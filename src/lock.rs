//! One writer per root: `run`, `resume` and `rollback` hold `.remedy/lock`, which names their pid.
//!
//! The lock file is created with `O_EXCL`, so two processes cannot both take it. It names the
//! holder's pid and the pid's start time; a lock whose holder is gone (SIGKILLed, or the pid now
//! belongs to another process) is stale and is taken over.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::fsutil;
use crate::plan::STATE_DIR;

#[derive(Debug)]
pub struct RootLock {
    path: PathBuf,
}

impl RootLock {
    pub fn acquire(root: &Path) -> Result<RootLock> {
        let dir = root.join(STATE_DIR);
        fsutil::create_dir_all(&dir)?;
        let path = dir.join("lock");
        for _ in 0..3 {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    let pid = std::process::id();
                    writeln!(f, "{pid} {}", start_time(pid).unwrap_or(0))
                        .map_err(|e| Error::io("write", &path, e))?;
                    f.sync_all().map_err(|e| Error::io("sync", &path, e))?;
                    return Ok(RootLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = fs::read_to_string(&path)
                        .ok()
                        .and_then(|s| parse_holder(&s));
                    match holder {
                        Some((pid, started))
                            if pid != std::process::id() && is_alive(pid, started) =>
                        {
                            return Err(Error::Locked {
                                pid,
                                root: root.to_path_buf(),
                            });
                        }
                        // Stale (holder gone), or half-written by a holder killed while creating it.
                        _ => {
                            let _ = fs::remove_file(&path);
                        }
                    }
                }
                Err(e) => return Err(Error::io("create the lock", &path, e)),
            }
        }
        Err(Error::io(
            "take the lock",
            &path,
            std::io::Error::other("the lock kept changing hands"),
        ))
    }
}

impl Drop for RootLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

fn parse_holder(text: &str) -> Option<(u32, Option<u64>)> {
    let mut parts = text.split_whitespace();
    let pid = parts.next()?.parse().ok()?;
    let started = parts
        .next()
        .and_then(|s| s.parse().ok())
        .filter(|s| *s != 0);
    Some((pid, started))
}

/// The process's start time in clock ticks since boot (field 22 of /proc/PID/stat).
fn start_time(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may contain spaces; fields after it follow the last `)`.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Whether the holder still runs: the pid exists and, when recorded, started at the same time.
fn is_alive(pid: u32, started: Option<u64>) -> bool {
    let Ok(raw) = i32::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let rc = unsafe { libc::kill(raw, 0) };
    let exists = rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    match (exists, started, start_time(pid)) {
        (false, _, _) => false,
        (true, Some(recorded), Some(now)) => recorded == now,
        (true, _, _) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_and_stale_lock_is_taken() {
        let dir = tempfile::tempdir().unwrap();
        // A live foreign holder: our parent process.
        let lock_path = dir.path().join(".remedy/lock");
        fs::create_dir_all(lock_path.parent().unwrap()).unwrap();
        let parent = std::os::unix::process::parent_id();
        fs::write(&lock_path, format!("{parent}\n")).unwrap();
        assert!(matches!(
            RootLock::acquire(dir.path()),
            Err(Error::Locked { .. })
        ));
        // A dead holder: a pid that cannot exist.
        fs::write(&lock_path, "4194304000\n").unwrap();
        let lock = RootLock::acquire(dir.path()).unwrap();
        let text = fs::read_to_string(&lock_path).unwrap();
        assert_eq!(parse_holder(&text).unwrap().0, std::process::id());
        assert_eq!(
            parse_holder(&text).unwrap().1,
            start_time(std::process::id())
        );
        // A live pid with another start time is a reused pid: stale.
        assert!(!is_alive(parent, Some(1)));
        assert!(is_alive(parent, start_time(parent)));
        drop(lock);
        assert!(!lock_path.exists());
    }
}
