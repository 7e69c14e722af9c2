//! Files that appear in the tree while a phase runs other programs: test suites, commands, the
//! commands of validate checks.
//!
//! remedy records every byte it writes itself, but a test suite writes where it likes: a log file
//! in the tree, `__pycache__/`, `.pytest_cache/`. The engine lists the tree's files before such a
//! phase and after it; what appeared is recorded in the phase's record (path, hash, mode) and
//! shown in the report, and a rollback removes each file still holding the content it had when
//! the phase ended (refusing, as for edits, the ones changed since). A file the phase created and
//! a later phase of the run changed is recorded with its latest content, so the run's own test
//! phases never make a rollback see a conflict.
//!
//! The listing does not read `.gitignore`: ignored files are exactly the ones tests tend to
//! create. It never enters `.git` or `.remedy`, and does not follow symbolic links.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};

use crate::fsutil;
use crate::state::checkpoint::{CreatedFile, PhaseRecord};
use crate::state::STATE_DIR;
use crate::tree::paths::RelPath;

/// The files and folders of a tree at one moment, by relative path.
#[derive(Debug, Default)]
pub(crate) struct TreeListing {
    files: BTreeSet<RelPath>,
    dirs: BTreeSet<RelPath>,
    /// Entries whose path is not UTF-8, as displayed: they cannot be recorded.
    unnamed: BTreeSet<String>,
}

/// What appeared in the tree between two listings.
#[derive(Debug, Default)]
pub(crate) struct Appeared {
    pub(crate) files: Vec<CreatedFile>,
    pub(crate) dirs: Vec<RelPath>,
    /// Files that appeared but cannot be recorded (their path is not UTF-8), as displayed.
    pub(crate) unrecorded: Vec<String>,
}

impl TreeListing {
    /// Lists every regular file and folder under `root` (blocking).
    pub(crate) fn take(root: &Path) -> TreeListing {
        let listing = Mutex::new(TreeListing::default());
        WalkBuilder::new(root)
            .standard_filters(false)
            .follow_links(false)
            .filter_entry(|entry| {
                let name = entry.file_name();
                !(entry.file_type().is_some_and(|t| t.is_dir())
                    && (name == ".git" || name == STATE_DIR))
            })
            .build_parallel()
            .run(|| {
                Box::new(|entry| {
                    let Ok(entry) = entry else {
                        return WalkState::Continue;
                    };
                    let Some(kind) = entry.file_type() else {
                        return WalkState::Continue;
                    };
                    if !(kind.is_file() || kind.is_dir()) || entry.depth() == 0 {
                        return WalkState::Continue;
                    }
                    let mut listing = listing.lock().expect("no panics while holding the lock");
                    match RelPath::from_walk(root, entry.path()) {
                        Some(rel) if kind.is_dir() => {
                            listing.dirs.insert(rel);
                        }
                        Some(rel) => {
                            listing.files.insert(rel);
                        }
                        None => {
                            let shown = entry.path().strip_prefix(root).unwrap_or(entry.path());
                            listing.unnamed.insert(shown.to_string_lossy().into_owned());
                        }
                    }
                    WalkState::Continue
                })
            });
        listing.into_inner().unwrap_or_default()
    }

    /// The regular files and folders under `root` now that this listing did not have (blocking).
    pub(crate) fn appeared_since(&self, root: &Path) -> Appeared {
        let now = TreeListing::take(root);
        let files = now
            .files
            .difference(&self.files)
            .filter_map(|rel| {
                let path = rel.to_path(root);
                let bytes = std::fs::read(&path).ok()?;
                let meta = std::fs::metadata(&path).ok()?;
                Some(CreatedFile {
                    path: rel.clone(),
                    hash: fsutil::hash_bytes(&bytes),
                    mode: fsutil::mode_of(&meta),
                })
            })
            .collect();
        Appeared {
            files,
            dirs: now.dirs.difference(&self.dirs).cloned().collect(),
            unrecorded: now.unnamed.difference(&self.unnamed).cloned().collect(),
        }
    }
}

/// The current hashes of the files earlier phases of the run recorded as created: taken before a
/// phase so that what the phase changes of them can be told from what a person changed.
pub(crate) fn hashes_of_created(
    records: &[PhaseRecord],
    root: &Path,
) -> HashMap<RelPath, Option<String>> {
    records
        .iter()
        .flat_map(|r| &r.created)
        .map(|f| (f.path.clone(), hash_now(&f.path, root)))
        .collect()
}

/// After a phase: a file an earlier phase created, still as recorded when this phase started, and
/// changed (or removed) by this phase, is recorded as this phase left it.
pub(crate) fn follow_created(
    records: &mut [PhaseRecord],
    before: &HashMap<RelPath, Option<String>>,
    root: &Path,
) {
    for rec in records.iter_mut() {
        rec.created.retain_mut(|f| {
            let Some(Some(at_start)) = before.get(&f.path) else {
                return true;
            };
            if *at_start != f.hash {
                return true; // Someone else's change: a rollback must see it as a conflict.
            }
            let path = f.path.to_path(root);
            match std::fs::read(&path) {
                Ok(bytes) => {
                    f.hash = fsutil::hash_bytes(&bytes);
                    if let Ok(meta) = std::fs::metadata(&path) {
                        f.mode = fsutil::mode_of(&meta);
                    }
                    true
                }
                Err(_) => false,
            }
        });
    }
}

fn hash_now(rel: &RelPath, root: &Path) -> Option<String> {
    std::fs::read(rel.to_path(root))
        .ok()
        .map(|b| fsutil::hash_bytes(&b))
}

/// Whether a created file is a cache that Python or pytest rewrites on its own: one changed
/// since the run is left in place by a rollback rather than counted as a person's edit.
pub(crate) fn is_cache(path: &RelPath) -> bool {
    path.as_str()
        .split('/')
        .any(|part| part == "__pycache__" || part == ".pytest_cache")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_what_appeared_including_ignored_files_but_not_state() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join(".gitignore"), "*.log\n").unwrap();
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(root.join("src/a.py"), "a = 1\n").unwrap();
        let before = TreeListing::take(root);
        std::fs::write(root.join("run.log"), "hello\n").unwrap();
        std::fs::create_dir_all(root.join("src/__pycache__")).unwrap();
        std::fs::write(root.join("src/__pycache__/a.pyc"), "x").unwrap();
        std::fs::create_dir_all(root.join(".remedy/p")).unwrap();
        std::fs::write(root.join(".remedy/p/log"), "x").unwrap();
        std::fs::write(root.join("src/a.py"), "a = 2\n").unwrap();
        let appeared = before.appeared_since(root);
        let files: Vec<&str> = appeared.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(files, ["run.log", "src/__pycache__/a.pyc"]);
        assert_eq!(appeared.files[0].hash, fsutil::hash_bytes(b"hello\n"));
        let dirs: Vec<&str> = appeared.dirs.iter().map(RelPath::as_str).collect();
        assert_eq!(dirs, ["src/__pycache__"]);
        assert!(is_cache(&appeared.files[1].path));
        assert!(!is_cache(&appeared.files[0].path));
    }
}
