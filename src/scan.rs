//! Parallel walk of the root: the files a selection names, visited on the walker's own threads.
//!
//! Respects `.gitignore` (also outside a git repository: a `.gitignore` is a statement about what is
//! not source), never enters `.git` or `.remedy`, and never follows symbolic links, so a link can
//! neither lead the scanner out of the root nor get a regular file written in its place.

use std::path::Path;
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};

use crate::paths::RelPath;
use crate::plan::STATE_DIR;

/// The result of one walk.
#[derive(Debug)]
pub struct ScanOutput<T> {
    /// Regular files the selection matched.
    pub scanned: u64,
    /// What the visitor returned, sorted by path.
    pub items: Vec<(RelPath, T)>,
    /// Entries that could not be read during the walk.
    pub errors: Vec<String>,
    /// Symbolic links the selection matched, never followed: `true` when the link leads out of
    /// the root (or nowhere), `false` when its target is inside and visited at its own path.
    pub links: Vec<(RelPath, bool)>,
}

/// Visits every regular file under `root` whose relative path `select` accepts.
pub fn scan<T, S, V>(root: &Path, select: S, visit: V) -> ScanOutput<T>
where
    T: Send,
    S: Fn(&str) -> bool + Sync,
    V: Fn(&RelPath, &Path) -> Option<T> + Sync,
{
    let items = Mutex::new(Vec::new());
    let errors = Mutex::new(Vec::new());
    let links = Mutex::new(Vec::new());
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let scanned = std::sync::atomic::AtomicU64::new(0);
    let walker = WalkBuilder::new(root)
        .hidden(false)
        .follow_links(false)
        .require_git(false)
        .git_global(false)
        .filter_entry(|entry| {
            let name = entry.file_name();
            !(entry.file_type().is_some_and(|t| t.is_dir())
                && (name == ".git" || name == STATE_DIR))
        })
        .build_parallel();
    walker.run(|| {
        Box::new(|entry| {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    errors
                        .lock()
                        .expect("no panics while holding the lock")
                        .push(e.to_string());
                    return WalkState::Continue;
                }
            };
            if entry.file_type().is_some_and(|t| t.is_symlink()) {
                if let Some(rel) = RelPath::from_walk(root, entry.path()) {
                    if select(rel.as_str()) {
                        let outside = !std::fs::canonicalize(entry.path())
                            .is_ok_and(|target| target.starts_with(&canonical_root));
                        links
                            .lock()
                            .expect("no panics while holding the lock")
                            .push((rel, outside));
                    }
                }
                return WalkState::Continue;
            }
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return WalkState::Continue;
            }
            let Some(rel) = RelPath::from_walk(root, entry.path()) else {
                return WalkState::Continue;
            };
            if !select(rel.as_str()) {
                return WalkState::Continue;
            }
            scanned.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if let Some(item) = visit(&rel, entry.path()) {
                items
                    .lock()
                    .expect("no panics while holding the lock")
                    .push((rel, item));
            }
            WalkState::Continue
        })
    });
    let mut items = items.into_inner().unwrap_or_default();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let mut links = links.into_inner().unwrap_or_default();
    links.sort();
    ScanOutput {
        scanned: scanned.into_inner(),
        items,
        errors: errors.into_inner().unwrap_or_default(),
        links,
    }
}

/// Reads a whole file without updating its access time where the system allows it: a scan reads
/// every selected file, and on a freshly checked-out tree each atime update dirties an inode that the
/// next `syncfs` then has to write.
pub fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOATIME)
        .open(path)
    {
        // O_NOATIME is refused on files the caller does not own.
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => std::fs::File::open(path)?,
        other => other?,
    };
    let size = file.metadata().map_or(0, |m| m.len() as usize);
    let mut bytes = Vec::with_capacity(size + 1);
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Why a file's content is not edited or counted.
pub fn text_of(bytes: Vec<u8>) -> Result<String, &'static str> {
    if memchr::memchr(0, &bytes).is_some() {
        return Err("binary (contains a NUL byte)");
    }
    String::from_utf8(bytes).map_err(|_| "not UTF-8 text")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn skips_state_git_ignored_and_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for p in [
            "a.py",
            "pkg/b.py",
            ".git/c.py",
            ".remedy/d.py",
            "build/e.py",
            "pkg/f.txt",
        ] {
            fs::create_dir_all(root.join(p).parent().unwrap()).unwrap();
            fs::write(root.join(p), "x").unwrap();
        }
        fs::write(root.join(".gitignore"), "build/\n").unwrap();
        std::os::unix::fs::symlink(root.join("a.py"), root.join("link.py")).unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("x.py"), "x").unwrap();
        std::os::unix::fs::symlink(outside.path().join("x.py"), root.join("out.py")).unwrap();
        let out = scan(root, |p| p.ends_with(".py"), |_, _| Some(()));
        let paths: Vec<&str> = out.items.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, vec!["a.py", "pkg/b.py"]);
        assert_eq!(out.scanned, 2);
        let links: Vec<(&str, bool)> = out.links.iter().map(|(p, o)| (p.as_str(), *o)).collect();
        assert_eq!(links, vec![("link.py", false), ("out.py", true)]);
    }

    #[test]
    fn classifies_binary_and_non_utf8() {
        assert_eq!(text_of(b"ok".to_vec()).unwrap(), "ok");
        assert!(text_of(b"a\0b".to_vec()).unwrap_err().contains("NUL"));
        assert!(text_of(vec![0xff, 0xfe, b'a'])
            .unwrap_err()
            .contains("UTF-8"));
    }
}
