//! One writer per root: `run`, `resume` and `rollback` hold an advisory lock on `.remedy/lock`.
//!
//! The lock is the kernel's (`flock(2)` through `File::try_lock`), held on an open descriptor for
//! as long as the [`RootLock`] lives. The kernel releases it when the holder exits, however it
//! exits, so there is no stale lock to detect and no window in which two processes can both
//! believe they hold it. The file itself is never removed: removing it would let a newcomer lock a
//! fresh file while an older process still holds the old one. Its content (the holder's pid and
//! start time) is written only after the lock is held, and is read only to name the holder in the
//! message a second writer gets.

use std::fs;
use std::io::{Read, Seek, Write};
use std::path::Path;

use super::STATE_DIR;
use crate::error::{Error, Result};
use crate::fsutil;

/// The root's lock, held until dropped.
#[derive(Debug)]
pub(crate) struct RootLock {
    // Holding the descriptor open is what holds the lock.
    _file: fs::File,
}

impl RootLock {
    /// Takes the lock on `root`, or fails with [`Error::Locked`] when another process holds it.
    pub(crate) fn acquire(root: &Path) -> Result<RootLock> {
        let dir = root.join(STATE_DIR);
        fsutil::create_dir_all(&dir)?;
        let path = dir.join("lock");
        let mut file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io("open the lock", &path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                return Err(Error::Locked {
                    pid: parse_holder(&text).map(|(pid, _)| pid),
                    root: root.to_path_buf(),
                });
            }
            Err(fs::TryLockError::Error(e)) => return Err(Error::io("lock", &path, e)),
        }
        let pid = std::process::id();
        let holder = format!("{pid} {}\n", start_time(pid).unwrap_or(0));
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(holder.as_bytes()))
            .map_err(|e| Error::io("write", &path, e))?;
        Ok(RootLock { _file: file })
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

/// The process's start time in clock ticks since boot (field 22 of /proc/PID/stat), written next
/// to the pid so that a reader can tell the holder from a later process that reused its pid.
fn start_time(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may contain spaces; fields after it follow the last `)`.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let lock_path = dir.path().join(".remedy/lock");
        let first = RootLock::acquire(dir.path()).unwrap();
        let text = fs::read_to_string(&lock_path).unwrap();
        assert_eq!(
            parse_holder(&text),
            Some((std::process::id(), start_time(std::process::id())))
        );
        // flock locks belong to open file descriptions: a second open in the same process
        // conflicts as a second process would.
        match RootLock::acquire(dir.path()) {
            Err(Error::Locked { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("expected Locked, got {other:?}"),
        }
        drop(first);
        // The file stays; the lock does not.
        assert!(lock_path.exists());
        let _again = RootLock::acquire(dir.path()).unwrap();
    }

    #[test]
    fn leftover_content_of_a_dead_holder_does_not_keep_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let lock_path = dir.path().join(".remedy/lock");
        fs::create_dir_all(lock_path.parent().unwrap()).unwrap();
        // What a holder killed before it could write leaves, and what a dead holder leaves.
        for leftover in ["", "4194304000 17\n", "not a pid"] {
            fs::write(&lock_path, leftover).unwrap();
            let lock = RootLock::acquire(dir.path()).unwrap();
            let text = fs::read_to_string(&lock_path).unwrap();
            assert_eq!(parse_holder(&text).unwrap().0, std::process::id());
            drop(lock);
        }
    }
}
