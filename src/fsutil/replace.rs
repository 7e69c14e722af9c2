//! Replacing a file without losing another process's write to it, or its owner, group, mode and
//! extended attributes.
//!
//! The new content goes into a temporary file next to the target, which is given the target's
//! owner and group, its extended attributes, then the mode (after the owner: `chown` clears the
//! setuid and setgid bits). The two names are then swapped with `renameat2(RENAME_EXCHANGE)`, so
//! the file that was at the target is now at the temporary path, and it is read back there. If it
//! no longer has the content the caller expects, another process wrote to it after it was read:
//! the names are swapped back, so the target holds that process's bytes again, and the caller hears
//! [`Replaced::Drifted`]. Otherwise the old file is removed. A write that completed before the swap
//! is thus either part of the checked content or makes the check fail; nothing that completed is
//! lost. A writer that keeps a descriptor open across the swap could write into the old file after
//! it was read back: the old file is read back only once no descriptor is open on it for writing
//! (a read lease, which also makes a new open for writing wait until the old file is removed), and
//! when one stays open for 200 ms the names are swapped back, so that the writer's file is at the
//! target again. The new content is removed after a swap back only if no one opened it for
//! writing in between; otherwise it is kept and the caller hears an error naming it. Where leases
//! are refused (a file system without them, a file of another owner without `CAP_LEASE`), what
//! remains is in docs/recovery.md.
//!
//! The content is also checked just before the swap, so that a file changed earlier is never
//! swapped at all: the swap back is only for a write in the instant between that check and the
//! swap. Where the file system cannot exchange names (`EINVAL`, `ENOSYS`, `EOPNOTSUPP`), that check
//! immediately before a plain rename is all there is, which leaves the window between the two calls.

use std::ffi::CString;
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use crate::error::{Error, Result};
use crate::fsutil::{hash_bytes, mode_of, sync_dir, Durability, TEMP_PREFIX};

/// How a checked replacement ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Replaced {
    /// The target holds the new content.
    Done,
    /// The target no longer had the expected content (or was gone); it was left as it is.
    Drifted,
}

/// Replaces `path` with the concatenation of `parts`, keeping the owner, group and extended
/// attributes of the file it replaces, and giving it `mode` (without one, the replaced file's
/// mode, or 0644 for a new file). With `expect`, the replaced file must have that content hash at
/// the moment it is replaced; if it does not, or there is no file, the target is left as it is and
/// the result is [`Replaced::Drifted`]. Without `expect`, whatever is there is replaced.
pub(crate) fn replace_file(
    path: &Path,
    parts: &[&[u8]],
    mode: Option<u32>,
    expect: Option<&str>,
    durability: Durability,
) -> Result<Replaced> {
    replace_file_with(path, parts, mode, expect, durability, &mut || {})
}

/// [`replace_file`], calling `before_swap` between the last check of the target and the swap: tests
/// write to the target there, as another process would in that instant.
fn replace_file_with(
    path: &Path,
    parts: &[&[u8]],
    mode: Option<u32>,
    expect: Option<&str>,
    durability: Durability,
    before_swap: &mut dyn FnMut(),
) -> Result<Replaced> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let existing = match fs::symlink_metadata(path) {
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io("read the metadata of", path, e)),
    };
    if expect.is_some() && existing.is_none() {
        return Ok(Replaced::Drifted);
    }
    // Metadata is carried over from regular files only: a symbolic link is replaced by a file, as
    // a rename would, and its target's metadata is not the link's.
    let regular = existing.as_ref().filter(|m| m.file_type().is_file());

    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)
        .map_err(|e| Error::io("create a temporary file in", dir, e))?;
    for part in parts {
        tmp.write_all(part)
            .map_err(|e| Error::io("write", tmp.path().to_path_buf(), e))?;
    }
    if let Some(meta) = regular {
        set_owner(tmp.as_file(), meta).map_err(|e| Error::io("set the owner of", tmp.path(), e))?;
        copy_xattrs(path, tmp.as_file())
            .map_err(|e| Error::io("copy the extended attributes of", path, e))?;
    }
    // A temporary file starts as 0600, which would make a new report unreadable to others.
    let mode = mode.or(regular.map(mode_of)).unwrap_or(0o644);
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(mode))
        .map_err(|e| Error::io("set permissions of", tmp.path().to_path_buf(), e))?;
    if durability == Durability::Synced {
        tmp.as_file()
            .sync_all()
            .map_err(|e| Error::io("sync", tmp.path().to_path_buf(), e))?;
    }
    let tmp = tmp.into_temp_path();
    // A file already changed is left alone before the new content is ever at the target: the swap
    // back below is for a write in the instant between this check and the swap, and has a window of
    // its own (a writer opening the target between the two swaps writes into the new content).
    if let Some(expected) = expect {
        if !has_hash(path, expected) {
            return Ok(Replaced::Drifted);
        }
    }
    before_swap();
    if existing.is_some() {
        match exchange(&tmp, path) {
            Ok(()) => {
                // `tmp` now names the replaced file. A writer that opened it before the swap
                // could still write into it: it is read back once no one has it open to write.
                if let Some(expected) = expect {
                    let mut closed = kept_from_writers(&tmp);
                    // Read through the leased descriptor: another open, even remedy's, would
                    // break the lease.
                    let swapped_out = match closed.as_mut() {
                        Some(lease) => lease.read(),
                        None => fs::read(&tmp),
                    };
                    let unchanged = swapped_out.as_ref().map(|b| hash_bytes(b)).ok().as_deref()
                        == Some(expected);
                    if !unchanged || closed.as_ref().is_some_and(|c| !c.alone) {
                        if let Err(e) = exchange(&tmp, path) {
                            let kept = tmp.keep().map_err(|e| e.error);
                            return Err(Error::Other(anyhow::anyhow!(
                                "cannot put back the version of {} another process wrote: {e}; it is at {}",
                                path.display(),
                                kept.map_or_else(|e| format!("an unknown path ({e})"), |p| p.display().to_string())
                            )));
                        }
                        swapped_out.map_err(|e| Error::io("read back", path, e))?;
                        // `tmp` names the new content again. A writer that opened the target
                        // between the two swaps wrote into it, or may: then it is kept.
                        drop(closed);
                        let ours = parts.concat();
                        let untouched = match kept_from_writers(&tmp) {
                            Some(mut lease) => lease.alone && lease.read().is_ok_and(|b| b == ours),
                            None => fs::read(&tmp).is_ok_and(|b| b == ours),
                        };
                        if !untouched {
                            let kept = tmp.keep().map_err(|e| e.error);
                            return Err(Error::Other(anyhow::anyhow!(
                                "another process wrote to {} while it was being replaced, into remedy's version, which is kept at {}",
                                path.display(),
                                kept.map_or_else(|e| format!("an unknown path ({e})"), |p| p.display().to_string())
                            )));
                        }
                        return Ok(Replaced::Drifted);
                    }
                    // Removed while the lease is held: no one can have opened it since the check.
                    tmp.close()
                        .map_err(|e| Error::io("remove the replaced version of", path, e))?;
                    drop(closed);
                    if durability == Durability::Synced {
                        sync_dir(dir)?;
                    }
                    return Ok(Replaced::Done);
                }
                tmp.close()
                    .map_err(|e| Error::io("remove the replaced version of", path, e))?;
            }
            Err(e) if is_unsupported(&e) => {
                // Checked just above; nothing closer to the rename is possible without an exchange.
                tmp.persist(path)
                    .map_err(|e| Error::io("replace", path, e.error))?;
            }
            Err(e) => return Err(Error::io("replace", path, e)),
        }
    } else {
        tmp.persist(path)
            .map_err(|e| Error::io("replace", path, e.error))?;
    }
    if durability == Durability::Synced {
        sync_dir(dir)?;
    }
    Ok(Replaced::Done)
}

/// How long a replaced file may stay open for writing elsewhere before the replacement gives way.
const OPEN_ELSEWHERE_WAIT: std::time::Duration = std::time::Duration::from_millis(200);

/// A file remedy holds a read lease on, or tried to: the kernel grants one only while no
/// descriptor is open for writing on the file, and makes an open for writing wait while it is
/// held. Readers (a pager, an editor that only reads) do not stand in the way.
struct Lease {
    /// Whether no one had the file open for writing when the lease was granted.
    alone: bool,
    file: File,
}

impl Lease {
    fn read(&mut self) -> io::Result<Vec<u8>> {
        use std::io::{Read, Seek};
        self.file.seek(io::SeekFrom::Start(0))?;
        let mut bytes = Vec::new();
        self.file.read_to_end(&mut bytes)?;
        Ok(bytes)
    }
}

/// Waits until no process holds the file at `path` open for writing, up to
/// [`OPEN_ELSEWHERE_WAIT`], and keeps it so (a read lease) until the returned value is dropped. `None` where leases are not
/// available (another owner without `CAP_LEASE`, a file system without them): then nothing is known.
fn kept_from_writers(path: &Path) -> Option<Lease> {
    let file = File::open(path).ok()?;
    let deadline = std::time::Instant::now() + OPEN_ELSEWHERE_WAIT;
    loop {
        // SAFETY: F_SETLEASE takes an int argument and only reads the descriptor.
        let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETLEASE, libc::F_RDLCK) };
        if rc == 0 {
            return Some(Lease { alone: true, file });
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EAGAIN) {
            return None;
        }
        if std::time::Instant::now() >= deadline {
            return Some(Lease { alone: false, file });
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// Whether the file at `path` has content hash `expected` (a file that cannot be read has not).
fn has_hash(path: &Path, expected: &str) -> bool {
    fs::read(path).is_ok_and(|b| hash_bytes(&b) == expected)
}

fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path holds a NUL byte"))
}

/// Swaps the names `a` and `b` atomically; both must exist.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    let (a, b) = (c_path(a)?, c_path(b)?);
    // SAFETY: both paths are NUL-terminated and outlive the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::from_raw_os_error(libc::ENOSYS))
}

/// The file system (or kernel) cannot exchange names; a checked plain rename is the fallback.
fn is_unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP)
    )
}

/// Gives `file` the owner and group of `meta`. A process that may not (not root, say) keeps its
/// own: that is what any editor saving the file would do.
fn set_owner(file: &File, meta: &fs::Metadata) -> io::Result<()> {
    // SAFETY: fchown only reads the descriptor, which `file` keeps open for the call.
    let rc = unsafe { libc::fchown(file.as_raw_fd(), meta.uid(), meta.gid()) };
    if rc == 0 {
        return Ok(());
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EPERM | libc::EINVAL) => Ok(()),
        _ => Err(e),
    }
}

/// Copies every extended attribute of `from` (not following a link) to `to`. A file system without
/// extended attributes has none to copy; attributes outside `user.*` that this process may not set
/// (`trusted.*` without privilege, say) are left out.
fn copy_xattrs(from: &Path, to: &File) -> io::Result<()> {
    let from = c_path(from)?;
    let names = match read_xattr_buffer(|buf, len| {
        // SAFETY: `from` is NUL-terminated; `buf` has room for `len` bytes (or is null with 0).
        unsafe { libc::llistxattr(from.as_ptr(), buf.cast(), len) }
    }) {
        Ok(names) => names,
        Err(e) if is_xattr_unsupported(&e) => return Ok(()),
        Err(e) => return Err(e),
    };
    for name in names.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let cname = CString::new(name).expect("split at NUL bytes");
        let value = match read_xattr_buffer(|buf, len| {
            // SAFETY: both strings are NUL-terminated; `buf` has room for `len` bytes.
            unsafe { libc::lgetxattr(from.as_ptr(), cname.as_ptr(), buf.cast(), len) }
        }) {
            Ok(v) => v,
            // Removed since it was listed.
            Err(e) if e.raw_os_error() == Some(libc::ENODATA) => continue,
            Err(e) => return Err(e),
        };
        // SAFETY: the name is NUL-terminated, the value is `value.len()` readable bytes, and the
        // descriptor stays open for the call.
        let rc = unsafe {
            libc::fsetxattr(
                to.as_raw_fd(),
                cname.as_ptr(),
                value.as_ptr().cast(),
                value.len(),
                0,
            )
        };
        if rc != 0 {
            let e = io::Error::last_os_error();
            let forbidden = matches!(e.raw_os_error(), Some(libc::EPERM | libc::EACCES));
            if is_xattr_unsupported(&e) || (forbidden && !name.starts_with(b"user.")) {
                continue;
            }
            return Err(e);
        }
    }
    Ok(())
}

fn is_xattr_unsupported(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOTSUP))
}

/// Calls a list/get xattr function first for the size, then with a buffer of that size, again if
/// the value grew in between.
fn read_xattr_buffer(mut call: impl FnMut(*mut u8, usize) -> isize) -> io::Result<Vec<u8>> {
    loop {
        let size = call(std::ptr::null_mut(), 0);
        if size < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut buf = vec![0u8; size as usize];
        if buf.is_empty() {
            return Ok(buf);
        }
        let n = call(buf.as_mut_ptr(), buf.len());
        if n >= 0 {
            buf.truncate(n as usize);
            return Ok(buf);
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::ERANGE) {
            return Err(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash_of(path: &Path) -> String {
        hash_bytes(&fs::read(path).unwrap())
    }

    fn entries(dir: &Path) -> usize {
        fs::read_dir(dir).unwrap().count()
    }

    /// Replaces `x = await f()` at `p` with `x = f()`, calling `before_swap` between the last
    /// check and the swap.
    fn replace_unawaited(p: &Path, before_swap: &mut dyn FnMut()) -> Replaced {
        fs::write(p, "x = await f()\n").unwrap();
        let expected = hash_of(p);
        replace_file_with(
            p,
            &[b"x = f()\n"],
            None,
            Some(&expected),
            Durability::Batched,
            before_swap,
        )
        .unwrap()
    }

    #[test]
    fn a_write_just_before_the_swap_is_swapped_back_and_the_temporary_file_removed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.py");
        let outcome = replace_unawaited(&p, &mut || {
            let mut f = fs::OpenOptions::new().append(true).open(&p).unwrap();
            f.write_all(b"# mine\n").unwrap();
        });
        assert_eq!(outcome, Replaced::Drifted);
        assert_eq!(fs::read_to_string(&p).unwrap(), "x = await f()\n# mine\n");
        assert_eq!(entries(dir.path()), 1, "the temporary file is removed");
    }

    /// A writer that opened the file before the swap and writes after it: while it holds the file
    /// open, the replacement gives way, so what it writes later lands in the file at the path.
    #[test]
    fn a_writer_holding_the_file_open_across_the_swap_keeps_its_write() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.py");
        let mut held = None;
        let outcome = replace_unawaited(&p, &mut || {
            held = Some(fs::OpenOptions::new().append(true).open(&p).unwrap());
        });
        held.unwrap().write_all(b"# mine\n").unwrap();
        assert_eq!(outcome, Replaced::Drifted);
        assert_eq!(fs::read_to_string(&p).unwrap(), "x = await f()\n# mine\n");
        assert_eq!(entries(dir.path()), 1, "the temporary file is removed");
    }

    /// A writer that closes the file soon after the swap without writing: the replacement waits
    /// for it, then goes ahead. A reader holding the file open does not stand in the way.
    #[test]
    fn a_file_closed_soon_after_the_swap_is_replaced_and_a_reader_is_no_obstacle() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.py");
        let mut closer = None;
        let outcome = replace_unawaited(&p, &mut || {
            let f = fs::OpenOptions::new().append(true).open(&p).unwrap();
            closer = Some(std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(20));
                drop(f);
            }));
        });
        closer.unwrap().join().unwrap();
        assert_eq!(outcome, Replaced::Done);
        assert_eq!(fs::read_to_string(&p).unwrap(), "x = f()\n");
        assert_eq!(entries(dir.path()), 1);
        let mut reader = None;
        let outcome = replace_unawaited(&p, &mut || reader = Some(fs::File::open(&p).unwrap()));
        assert_eq!(outcome, Replaced::Done);
        assert_eq!(fs::read_to_string(&p).unwrap(), "x = f()\n");
        drop(reader);
        assert_eq!(entries(dir.path()), 1);
    }

    #[test]
    fn a_file_that_still_has_the_expected_content_is_replaced_and_the_old_one_removed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.py");
        fs::write(&p, "x = await f()\n").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o4755)).unwrap();
        let expected = hash_of(&p);
        let outcome = replace_file(
            &p,
            &[b"x = f()\n"],
            None,
            Some(&expected),
            Durability::Synced,
        )
        .unwrap();
        assert_eq!(outcome, Replaced::Done);
        assert_eq!(fs::read_to_string(&p).unwrap(), "x = f()\n");
        assert_eq!(mode_of(&fs::metadata(&p).unwrap()), 0o4755);
        assert_eq!(entries(dir.path()), 1);
    }

    #[test]
    fn a_missing_or_changed_target_is_drift_and_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.py");
        let gone = replace_file(&p, &[b"new"], None, Some("0"), Durability::Batched).unwrap();
        assert_eq!(gone, Replaced::Drifted);
        assert!(!p.exists());
        fs::write(&p, "theirs").unwrap();
        let stale = hash_bytes(b"ours");
        let changed = replace_file(&p, &[b"new"], None, Some(&stale), Durability::Batched).unwrap();
        assert_eq!(changed, Replaced::Drifted);
        assert_eq!(fs::read_to_string(&p).unwrap(), "theirs");
        assert_eq!(entries(dir.path()), 1);
        // Without an expectation, whatever is there is replaced.
        replace_file(&p, &[b"new"], None, None, Durability::Batched).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "new");
    }

    #[test]
    fn owner_group_and_user_xattrs_are_carried_over() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.py");
        fs::write(&p, "old").unwrap();
        let c = c_path(&p).unwrap();
        let (name, value) = (c"user.remedy-test", b"kept");
        // SAFETY: NUL-terminated strings and a readable value for the call.
        let rc = unsafe { libc::setxattr(c.as_ptr(), name.as_ptr(), value.as_ptr().cast(), 4, 0) };
        let has_xattrs = rc == 0;
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        if root {
            std::os::unix::fs::chown(&p, Some(1234), Some(1234)).unwrap();
        }
        replace_file(&p, &[b"new"], None, None, Durability::Batched).unwrap();
        let meta = fs::metadata(&p).unwrap();
        if root {
            assert_eq!((meta.uid(), meta.gid()), (1234, 1234));
        }
        if has_xattrs {
            let mut buf = [0u8; 16];
            // SAFETY: as above, with room for 16 bytes.
            let n =
                unsafe { libc::getxattr(c.as_ptr(), name.as_ptr(), buf.as_mut_ptr().cast(), 16) };
            assert_eq!(n, 4);
            assert_eq!(&buf[..4], value);
        }
    }
}
