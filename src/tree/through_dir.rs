//! Opening a walk's files and taking their status through a handle on their directory, so that
//! the path of a directory is looked up once for a run of its files instead of once per file.
//!
//! A walk meets a directory's files one after another. Looking up each file's path from the root
//! walks every component of it again, and on a deep tree that is most of what taking a file's
//! status costs. While a thread visits the files of a walk ([`Walk::visit`]), it keeps a handle on
//! the directory of the last file it opened or looked at, and uses it for the next file when that
//! is in the same directory. The handle is taken again for every other directory and is never used
//! outside the walk that took it, so it lives as long as one run of a directory's files: a
//! directory renamed in the meantime behaves as it does for a path looked up a moment earlier.
//! Outside a walk's visits, and for a path without a directory part, the path is used as it is.

use std::cell::{Cell, RefCell};
use std::ffi::CString;
use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::absent::Stamp;

/// The walks started so far: each gets its own number, so a handle never outlives its walk.
static WALKS: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The walk whose files this thread is visiting; 0 outside a visit.
    static VISITING: Cell<u64> = const { Cell::new(0) };
    /// The directory of the file this thread last reached, with the walk it was taken for.
    static LAST_DIR: RefCell<Option<(u64, PathBuf, OwnedFd)>> = const { RefCell::new(None) };
}

/// One walk of a tree, whose visits may reach files through their directory.
#[derive(Debug)]
pub(crate) struct Walk(u64);

impl Walk {
    pub(crate) fn start() -> Walk {
        Walk(WALKS.fetch_add(1, Ordering::Relaxed))
    }

    /// Runs `visit` (the work a walk does on one of its files) on this thread, with the files it
    /// opens or looks at through [`open_noatime`] and [`status_of`] reached through their
    /// directory.
    pub(crate) fn visit<R>(&self, visit: impl FnOnce() -> R) -> R {
        let outer = VISITING.with(|v| v.replace(self.0));
        let out = visit();
        VISITING.with(|v| v.set(outer));
        out
    }
}

impl Drop for Walk {
    fn drop(&mut self) {
        // The thread that ends the walk lets go of its handle; the walk's other threads end with it.
        LAST_DIR.with(|last| {
            let mut last = last.borrow_mut();
            if last.as_ref().is_some_and(|(walk, _, _)| *walk == self.0) {
                *last = None;
            }
        });
    }
}

/// Calls `with` with a descriptor of `path`'s directory and the file's name in it, when this
/// thread is visiting a walk's files and the path has both; `None` otherwise, or when the
/// directory cannot be opened (the caller then uses the path, and meets the error there).
fn through_dir<R>(path: &Path, with: impl FnOnce(libc::c_int, &CString) -> R) -> Option<R> {
    let walk = VISITING.with(Cell::get);
    if walk == 0 {
        return None;
    }
    let (dir, name) = (path.parent()?, path.file_name()?);
    if dir.as_os_str().is_empty() {
        return None;
    }
    let name = CString::new(name.as_bytes()).ok()?;
    LAST_DIR.with(|last| {
        let mut last = last.borrow_mut();
        let held = last
            .as_ref()
            .is_some_and(|(w, held, _)| *w == walk && held == dir);
        if !held {
            *last = None;
            let c_dir = CString::new(dir.as_os_str().as_bytes()).ok()?;
            // SAFETY: `c_dir` is a NUL-terminated path; the descriptor returned is owned here.
            let fd = unsafe {
                libc::open(
                    c_dir.as_ptr(),
                    libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
                )
            };
            if fd < 0 {
                return None;
            }
            // SAFETY: `fd` was just opened and nothing else owns it.
            *last = Some((walk, dir.to_path_buf(), unsafe { OwnedFd::from_raw_fd(fd) }));
        }
        let (_, _, fd) = last.as_ref()?;
        Some(with(fd.as_raw_fd(), &name))
    })
}

/// What the status of a file without following a link says: its stamp, and whether it is a
/// regular file.
pub(crate) fn status_of(path: &Path) -> std::io::Result<(Stamp, bool)> {
    let at_dir = through_dir(path, |dir, name| {
        let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: `name` is NUL-terminated and `st` has room for a `stat`, which the call fills
        // in when it returns 0.
        let rc = unsafe {
            libc::fstatat(
                dir,
                name.as_ptr(),
                st.as_mut_ptr(),
                libc::AT_SYMLINK_NOFOLLOW,
            )
        };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: the call returned 0, so it filled `st` in.
        let st = unsafe { st.assume_init() };
        Ok((
            Stamp::of_stat(&st),
            st.st_mode & libc::S_IFMT == libc::S_IFREG,
        ))
    });
    match at_dir {
        Some(status) => status,
        None => {
            let meta = std::fs::symlink_metadata(path)?;
            Ok((Stamp::of(&meta), meta.is_file()))
        }
    }
}

/// Opens `path` for reading without updating its access time where the system allows it (not on
/// files of another owner): a scan reads every selected file, and on a freshly checked-out tree
/// each atime update dirties an inode that the next `syncfs` then has to write.
pub(crate) fn open_noatime(path: &Path) -> std::io::Result<File> {
    let at_dir = through_dir(path, |dir, name| {
        let flags = libc::O_RDONLY | libc::O_CLOEXEC;
        // SAFETY: `name` is NUL-terminated; a descriptor returned is owned by the `File`.
        let mut fd = unsafe { libc::openat(dir, name.as_ptr(), flags | libc::O_NOATIME) };
        if fd < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM) {
            // SAFETY: as above.
            fd = unsafe { libc::openat(dir, name.as_ptr(), flags) };
        }
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `fd` was just opened and nothing else owns it.
        Ok(unsafe { File::from_raw_fd(fd) })
    });
    if let Some(file) = at_dir {
        return file;
    }
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOATIME)
        .open(path)
    {
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => File::open(path),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn through_a_directory_a_file_reads_and_stats_as_through_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("pkg");
        std::fs::create_dir(&sub).unwrap();
        let (a, b) = (sub.join("a.py"), sub.join("b.py"));
        std::fs::write(&a, "x = 1\n").unwrap();
        std::fs::write(&b, "y = 2\n").unwrap();
        std::os::unix::fs::symlink("a.py", sub.join("link.py")).unwrap();
        let walk = Walk::start();
        walk.visit(|| {
            for path in [&a, &b] {
                let mut text = String::new();
                open_noatime(path)
                    .unwrap()
                    .read_to_string(&mut text)
                    .unwrap();
                assert_eq!(text, std::fs::read_to_string(path).unwrap());
                let meta = std::fs::symlink_metadata(path).unwrap();
                assert_eq!(status_of(path).unwrap(), (Stamp::of(&meta), true));
            }
            // A link is looked at, not followed; a missing file is an error, as through its path.
            assert!(!status_of(&sub.join("link.py")).unwrap().1);
            let missing = status_of(&sub.join("gone.py")).unwrap_err();
            assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
            assert!(open_noatime(&sub.join("gone.py")).is_err());
        });
        assert!(LAST_DIR.with(|l| l.borrow().is_some()));
        drop(walk);
        assert!(LAST_DIR.with(|l| l.borrow().is_none()));
    }

    #[test]
    fn a_directory_replaced_between_walks_is_looked_up_again() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("pkg");
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join("a.py"), "old\n").unwrap();
        let first = Walk::start();
        first.visit(|| status_of(&sub.join("a.py")).unwrap());
        // The directory is replaced by another holding a file of the same name.
        std::fs::rename(&sub, dir.path().join("moved")).unwrap();
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join("a.py"), "new text\n").unwrap();
        let second = Walk::start();
        let (stamp, _) = second.visit(|| status_of(&sub.join("a.py")).unwrap());
        assert_eq!(stamp.len(), "new text\n".len() as u64);
        // Outside a visit, the path is used as it is.
        assert!(VISITING.with(Cell::get) == 0);
        drop(first);
    }
}
