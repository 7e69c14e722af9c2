//! File-system primitives with the durability the recovery contract needs.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::error::{Error, Result};

pub(crate) mod parallel;
pub(crate) mod replace;

/// How much a write waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Durability {
    /// fsync the file and its folder before returning: for state files.
    Synced,
    /// Leave flushing to a later [`sync_filesystem`]: for batches of many files.
    Batched,
}

/// Replaces `path` with `bytes` atomically: a temporary file in the same folder, written, given
/// `mode` (without one, the target's) and the target's owner, group and extended attributes, then
/// put in its place. Readers see the old or the new content, never a mix. See [`replace`],
/// which also offers a replacement that refuses when the target changed.
pub(crate) fn write_atomic(
    path: &Path,
    bytes: &[u8],
    mode: Option<u32>,
    durability: Durability,
) -> Result<()> {
    write_atomic_parts(path, &[bytes], mode, durability)
}

/// [`write_atomic`] of the concatenation of `parts`, without building it in memory.
pub(crate) fn write_atomic_parts(
    path: &Path,
    parts: &[&[u8]],
    mode: Option<u32>,
    durability: Durability,
) -> Result<()> {
    replace::replace_file(path, parts, mode, None, durability).map(|_| ())
}

/// Prefix of the temporary files `write_atomic` creates next to their target.
pub(crate) const TEMP_PREFIX: &str = ".remedy-tmp-";

/// Removes temporary files a killed process left in `dir` (not recursive). Returns how many.
pub(crate) fn remove_stale_temp_files(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(TEMP_PREFIX))
        })
        .filter(|e| fs::remove_file(e.path()).is_ok())
        .count()
}

/// Clears the temporary files a killed process left in `dir` (not recursive): those whose content
/// `is_known` recognises are removed; any other is moved into `aside`, since a replacement killed
/// between its exchange and the exchange back leaves another process's version at the temporary
/// path. Returns where the moved files went.
pub(crate) fn clear_temp_files(
    dir: &Path,
    is_known: impl Fn(&[u8]) -> bool,
    aside: &Path,
) -> Result<Vec<std::path::PathBuf>> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut moved = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_str().is_some_and(|n| n.starts_with(TEMP_PREFIX)) {
            continue;
        }
        let path = entry.path();
        let Ok(bytes) = fs::read(&path) else {
            continue;
        };
        if is_known(&bytes) {
            let _ = fs::remove_file(&path);
            continue;
        }
        create_dir_all(aside)?;
        let to = aside.join(&name);
        fs::rename(&path, &to).map_err(|e| Error::io("keep aside", &path, e))?;
        moved.push(to);
    }
    Ok(moved)
}

/// fsyncs a folder so that renames and creations in it survive a power loss.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    let f = fs::File::open(dir).map_err(|e| Error::io("open", dir, e))?;
    f.sync_all().map_err(|e| Error::io("sync", dir, e))
}

/// Flushes every pending write of the file system that holds `path`, in one call. This is how a
/// batch of files written with [`Durability::Batched`] becomes durable without one fsync per file.
pub(crate) fn sync_filesystem(path: &Path) -> Result<()> {
    use std::os::fd::AsRawFd;
    let f = fs::File::open(path).map_err(|e| Error::io("open", path, e))?;
    // SAFETY: syncfs only reads the descriptor, which `f` keeps open for the duration of the call.
    let rc = unsafe { libc::syncfs(f.as_raw_fd()) };
    if rc != 0 {
        return Err(Error::io(
            "sync the file system of",
            path,
            std::io::Error::last_os_error(),
        ));
    }
    Ok(())
}

/// Content hash used everywhere: BLAKE3, hex.
pub(crate) fn hash_bytes(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// Permission bits of a file (without the file type).
pub(crate) fn mode_of(meta: &fs::Metadata) -> u32 {
    meta.permissions().mode() & 0o7777
}

/// Creates `dir` and its parents.
pub(crate) fn create_dir_all(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| Error::io("create the folder", dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_sets_mode_and_content() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.py");
        fs::write(&p, b"old").unwrap();
        write_atomic(&p, b"new\r\n", Some(0o755), Durability::Synced).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new\r\n");
        assert_eq!(mode_of(&fs::metadata(&p).unwrap()), 0o755);
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        sync_filesystem(dir.path()).unwrap();
    }

    #[test]
    fn leftovers_that_are_not_known_images_are_kept_aside() {
        let dir = tempfile::tempdir().unwrap();
        let aside = dir.path().join("aside");
        fs::write(dir.path().join(format!("{TEMP_PREFIX}a")), "image").unwrap();
        fs::write(dir.path().join(format!("{TEMP_PREFIX}b")), "theirs").unwrap();
        fs::write(dir.path().join("f.py"), "theirs").unwrap();
        let moved = clear_temp_files(dir.path(), |b| b == b"image", &aside).unwrap();
        assert_eq!(moved, [aside.join(format!("{TEMP_PREFIX}b"))]);
        assert_eq!(fs::read_to_string(&moved[0]).unwrap(), "theirs");
        let mut left: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        left.sort();
        assert_eq!(left, ["aside", "f.py"]);
    }
}
