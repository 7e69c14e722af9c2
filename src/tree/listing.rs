//! The files one walk of the root met, kept so that the later walks of the same run need not list
//! the directories and match their entries against the ignore files again, as long as nothing
//! shows that the listing changed.
//!
//! A plan's phases walk the whole root one after another: the preflight checks, the backup phase's
//! computation of the patch, the postflight checks. On a large tree most of a walk that finds a
//! file's words already remembered ([`super::absent`]) is listing directories and matching their
//! entries against the ignore rules. What a walk met depends only on the names and types of each
//! directory's entries and on the ignore files it read, so a later walk takes the kept listing
//! when every directory the walk read still holds the same names with the same types, and every
//! ignore file it could have read is still absent or has the same status. A directory whose status
//! is the one taken before it was read is not read again; one whose status moved (a file in it was
//! replaced through a rename, as the patch phase does) is read again and its names compared.
//!
//! A listing is not kept when the walk met an error, when a directory's status had changed less
//! than a second before it was taken (a clock tick could hide a change made right after), or
//! when a directory holds a `.git` file (a linked worktree, whose exclude file the walker finds by
//! following it). A `.git` is seen when the walker shows it; one that an ignore rule hides (a
//! `.gitignore` listing `.git`) is not, and a change to its exclude file during the run would go
//! unseen by the listing.

use std::collections::HashMap;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::absent::Stamp;
use crate::fsutil::parallel;
use crate::state::STATE_DIR;
use crate::tree::paths::RelPath;

/// The files in a directory that the walker reads as ignore rules.
const IGNORE_FILES: [&str; 2] = [".gitignore", ".ignore"];

/// What a walk met, in the order it met them.
#[derive(Debug, Clone)]
pub(crate) enum Met {
    /// A regular file, by its path relative to the root.
    File(RelPath),
    /// A symbolic link, never followed.
    Link(RelPath),
    /// A regular file whose path is not UTF-8: its path on disk.
    Unnamed(PathBuf),
}

/// One directory the walk read: its status before it was read, or what it held.
#[derive(Debug)]
struct DirState {
    path: PathBuf,
    /// `None` when it had changed lately: a later change might not move it.
    stamp: Option<Stamp>,
    /// The hash of its names, taken when the status cannot vouch for them: it had changed
    /// lately, or remedy is about to write in it ([`ListingMemo::before_writing_in`]).
    names: Option<[u8; 32]>,
}

impl DirState {
    fn holds(&self) -> bool {
        (self.stamp.is_some() && status(&self.path) == self.stamp)
            || self
                .names
                .is_some_and(|names| names_of(&self.path) == Some(names))
    }
}

/// What one walk met, and what shows whether it still holds.
#[derive(Debug)]
pub(crate) struct Listing {
    dirs: Mutex<HashMap<PathBuf, DirState>>,
    /// Each ignore file the walker could read, with its status when it existed.
    ignores: Vec<(PathBuf, Option<Stamp>)>,
    pub(crate) met: Vec<Met>,
}

impl Listing {
    /// Whether the tree still holds what this listing says: same names in every directory read,
    /// same ignore files. The directories' statuses, thousands on a large tree, are taken on every
    /// core; the ignore files are few.
    fn holds(&self) -> bool {
        if !self
            .ignores
            .iter()
            .all(|(path, stamp)| status(path) == *stamp)
        {
            return false;
        }
        let dirs = self.dirs.lock().expect("listing holders do not panic");
        let dirs: Vec<&DirState> = dirs.values().collect();
        parallel::all(&dirs, |dir| dir.holds())
    }
}

/// The kept listing of a run's root, if a walk left one.
#[derive(Debug, Default)]
pub(crate) struct ListingMemo {
    kept: Mutex<Option<Arc<Listing>>>,
}

impl ListingMemo {
    /// The kept listing, if it still holds.
    pub(crate) fn current(&self) -> Option<Arc<Listing>> {
        let kept = self
            .kept
            .lock()
            .expect("listing holders do not panic")
            .clone()?;
        kept.holds().then_some(kept)
    }

    pub(crate) fn keep(&self, listing: Listing) {
        *self.kept.lock().expect("listing holders do not panic") = Some(Arc::new(listing));
    }

    /// Called before remedy writes in directory `dir`, which moves its status: the kept listing
    /// takes the directory's names while its status still proves that they are the ones the walk
    /// saw, so that a later walk compares names instead. When it no longer proves it, the
    /// listing is dropped.
    pub(crate) fn before_writing_in(&self, dir: &Path) {
        let mut kept = self.kept.lock().expect("listing holders do not panic");
        let Some(listing) = kept.as_ref() else {
            return;
        };
        let mut dirs = listing.dirs.lock().expect("listing holders do not panic");
        let Some(state) = dirs.get_mut(dir) else {
            return;
        };
        if state.names.is_some() {
            return;
        }
        // The status before and after the names were read is the one taken before the walk read
        // the directory, which had stood still: the names are those the walk saw.
        let names = names_of(dir).filter(|_| state.stamp.is_some() && status(dir) == state.stamp);
        match names {
            Some(names) => state.names = Some(names),
            None => {
                drop(dirs);
                *kept = None;
            }
        }
    }
}

/// What a walk records as it goes, to become a [`Listing`].
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    dirs: Mutex<Vec<DirState>>,
    ignores: Mutex<Vec<(PathBuf, Option<Stamp>)>>,
    met: Mutex<Vec<Met>>,
    unusable: AtomicBool,
}

impl Recorder {
    /// A recorder for a walk of `root`, which has noted the root and the ignore files of the
    /// directories above it (which the walker also reads).
    pub(crate) fn new(root: &Path) -> Recorder {
        let recorder = Recorder::default();
        let absolute = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        for ancestor in absolute.ancestors().skip(1) {
            recorder.note_ignore_files(ancestor, true);
        }
        recorder.note_dir(root);
        recorder
    }

    /// Notes directory `path`, before the walker reads it.
    pub(crate) fn note_dir(&self, path: &Path) {
        let taken = SystemTime::now();
        let stamp = status(path);
        // A status that moved lately may not show the next change: the names are then taken, to
        // be compared every time.
        let (stamp, names) = match stamp.filter(|s| s.settled_at(taken)) {
            Some(stamp) => (Some(stamp), None),
            None => match names_of(path) {
                Some(names) => (None, Some(names)),
                None => return self.give_up(),
            },
        };
        self.dirs
            .lock()
            .expect("recorder holders do not panic")
            .push(DirState {
                path: path.to_path_buf(),
                stamp,
                names,
            });
        self.note_ignore_files(path, false);
    }

    /// Notes the ignore files in `dir`: those that exist, and with `absent_too` those that do not.
    /// In a directory the walk reads, one created later or removed shows in its names (which hold
    /// `.git` too); the directories above the root are not read, so there each absence counts.
    fn note_ignore_files(&self, dir: &Path, absent_too: bool) {
        let mut found: Vec<(PathBuf, Option<Stamp>)> = Vec::new();
        for name in IGNORE_FILES {
            let path = dir.join(name);
            let stamp = status(&path);
            if stamp.is_some() || absent_too {
                found.push((path, stamp));
            }
        }
        // In a directory the walk reads, the walker shows `.git` (see `note_git`).
        if absent_too {
            let git = dir.join(".git");
            match std::fs::symlink_metadata(&git) {
                Ok(meta) if meta.is_dir() => found.extend(git_excludes(&git)),
                Ok(_) => self.give_up(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => found.push((git, None)),
                Err(_) => self.give_up(),
            }
        }
        if !found.is_empty() {
            self.ignores
                .lock()
                .expect("recorder holders do not panic")
                .extend(found);
        }
    }

    /// Notes `.git` in a directory the walk reads: a directory's exclude file is one the walker
    /// reads; a `.git` file (a linked worktree's) leads to one this listing does not follow.
    pub(crate) fn note_git(&self, git: &Path, is_dir: bool) {
        if !is_dir {
            return self.give_up();
        }
        let found = git_excludes(git);
        self.ignores
            .lock()
            .expect("recorder holders do not panic")
            .extend(found);
    }

    pub(crate) fn note(&self, met: Met) {
        self.met
            .lock()
            .expect("recorder holders do not panic")
            .push(met);
    }

    /// Says the walk cannot be kept: it met an error, or something it read may change unseen.
    pub(crate) fn give_up(&self) {
        self.unusable.store(true, Ordering::Relaxed);
    }

    /// The listing, if it can be kept.
    pub(crate) fn finish(self) -> Option<Listing> {
        if self.unusable.into_inner() {
            return None;
        }
        let dirs = self.dirs.into_inner().ok()?;
        Some(Listing {
            dirs: Mutex::new(dirs.into_iter().map(|d| (d.path.clone(), d)).collect()),
            ignores: self.ignores.into_inner().ok()?,
            met: self.met.into_inner().ok()?,
        })
    }
}

/// The exclude file of the git directory `git`, and the directory holding it (which shows it
/// created).
fn git_excludes(git: &Path) -> Vec<(PathBuf, Option<Stamp>)> {
    ["info", "info/exclude"]
        .iter()
        .map(|inside| {
            let path = git.join(inside);
            let stamp = status(&path);
            (path, stamp)
        })
        .collect()
}

/// The status of `path` itself (a link is not followed), or `None` when there is nothing there.
fn status(path: &Path) -> Option<Stamp> {
    std::fs::symlink_metadata(path)
        .ok()
        .map(|meta| Stamp::of(&meta))
}

/// A hash of the names and types of the entries of directory `path`, in any order, leaving out
/// the run's state directory.
fn names_of(path: &Path) -> Option<[u8; 32]> {
    let mut entries: Vec<(Vec<u8>, u8)> = Vec::new();
    for entry in std::fs::read_dir(path).ok()? {
        let entry = entry.ok()?;
        let kind = entry.file_type().ok()?;
        let kind = if kind.is_symlink() {
            b'l'
        } else if kind.is_dir() {
            b'd'
        } else if kind.is_file() {
            b'f'
        } else {
            b'o'
        };
        let name = entry.file_name();
        if kind == b'd' && name == STATE_DIR {
            continue;
        }
        entries.push((name.as_bytes().to_vec(), kind));
    }
    entries.sort_unstable();
    let mut hasher = blake3::Hasher::new();
    for (name, kind) in &entries {
        hasher.update(&(name.len() as u64).to_le_bytes());
        hasher.update(name);
        hasher.update(&[*kind]);
    }
    Some(*hasher.finalize().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::scan::scan;
    use std::fs;

    fn files(root: &Path, memo: &ListingMemo) -> Vec<String> {
        scan(root, Some(memo), |p| p.ends_with(".py"), |_, _| Some(()))
            .items
            .into_iter()
            .map(|(rel, ())| rel.as_str().to_string())
            .collect()
    }

    fn tree(root: &Path) {
        for rel in ["a.py", "pkg/b.py", "pkg/deep/c.py", "build/d.py"] {
            fs::create_dir_all(root.join(rel).parent().unwrap()).unwrap();
            fs::write(root.join(rel), "x = 1\n").unwrap();
        }
        fs::write(root.join(".gitignore"), "build/\n").unwrap();
    }

    /// Every change to what a walk meets makes the kept listing give way, both in a tree just
    /// written (names compared) and in one that stood still (statuses trusted).
    #[test]
    fn a_kept_listing_is_taken_only_while_the_tree_holds_it() {
        for settled in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path();
            tree(root);
            if settled {
                std::thread::sleep(std::time::Duration::from_millis(1100));
            }
            let memo = ListingMemo::default();
            assert_eq!(files(root, &memo), ["a.py", "pkg/b.py", "pkg/deep/c.py"]);
            assert!(memo.current().is_some(), "settled {settled}: kept");
            // Content changes do not change the listing.
            fs::write(root.join("pkg/b.py"), "y = 2\n").unwrap();
            assert!(memo.current().is_some(), "settled {settled}");
            // A new file deep down.
            fs::write(root.join("pkg/deep/e.py"), "").unwrap();
            assert!(memo.current().is_none(), "settled {settled}: e.py");
            assert_eq!(
                files(root, &memo),
                ["a.py", "pkg/b.py", "pkg/deep/c.py", "pkg/deep/e.py"]
            );
            // An ignore file's content.
            fs::write(root.join(".gitignore"), "pkg/\n").unwrap();
            assert!(memo.current().is_none(), "settled {settled}: .gitignore");
            assert_eq!(files(root, &memo), ["a.py", "build/d.py"]);
            // A new ignore file in a directory read.
            fs::write(root.join("build/.ignore"), "d.py\n").unwrap();
            assert_eq!(files(root, &memo), ["a.py"]);
            // A file that gives way to a directory of the same name.
            fs::remove_file(root.join("a.py")).unwrap();
            fs::create_dir(root.join("a.py")).unwrap();
            fs::write(root.join("a.py/f.py"), "").unwrap();
            assert_eq!(files(root, &memo), ["a.py/f.py"]);
        }
    }

    /// Remedy's own writes replace files through a rename, which moves the directory's status:
    /// a directory noted before the write is compared by name afterwards, so the listing still
    /// holds, and a file created after that is still seen.
    #[test]
    fn a_directory_noted_before_a_write_is_compared_by_name_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        tree(root);
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let memo = ListingMemo::default();
        files(root, &memo);
        memo.before_writing_in(&root.join("pkg"));
        let tmp = root.join("pkg/.b.py.tmp");
        fs::write(&tmp, "y = 2\n").unwrap();
        fs::rename(&tmp, root.join("pkg/b.py")).unwrap();
        assert!(memo.current().is_some(), "the rename leaves the names");
        fs::write(root.join("pkg/new.py"), "").unwrap();
        assert!(memo.current().is_none());
        // Not noted: the status moved, the listing gives way.
        let memo = ListingMemo::default();
        files(root, &memo);
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let memo = ListingMemo::default();
        files(root, &memo);
        let tmp = root.join("pkg/deep/.c.py.tmp");
        fs::write(&tmp, "y = 2\n").unwrap();
        fs::rename(&tmp, root.join("pkg/deep/c.py")).unwrap();
        assert!(memo.current().is_none());
    }

    #[test]
    fn a_walk_that_met_a_linked_worktree_is_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        tree(root);
        fs::write(root.join("pkg/.git"), "gitdir: /nowhere\n").unwrap();
        let memo = ListingMemo::default();
        files(root, &memo);
        assert!(memo.current().is_none());
    }
}
