//! What a run learnt from the files it read through without finding a check's or an edit's
//! needles, so that a later phase looking for the same needles skips them without reading again.
//!
//! A plan's phases look for the same few words: the preflight checks, the backup phase's
//! computation of the patch and the postflight checks each walk the whole tree, and almost every
//! file holds none of their words. The first walk reads each such file through; the walks after it
//! compare the file's status with the one taken before that read and skip the file when nothing
//! about it changed: same inode, size, modification and status-change times. The status-change
//! time cannot be set by a program, and every write moves it, so a file that was written in
//! between is read again.
//!
//! A timestamp is only as fine as the clock the file system takes it from, which can lag behind by
//! a tick: a file written in the same tick as the status was taken could keep its times. So a file
//! whose status changed less than [`SETTLING`] before its status was taken is never remembered:
//! the files a person or a program just wrote are read every time.

use std::collections::HashMap;
use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::tree::paths::RelPath;

/// How long a file's status must have stood still before a run trusts it to show a change.
const SETTLING: Duration = Duration::from_secs(1);

/// Needles one memo tells apart; a run with more keeps the first ones only.
const MOST_KEYS: usize = 64;

/// One string a file was read for: a whole word (not part of a longer identifier), or any
/// occurrence of the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Needle<'a> {
    pub(crate) whole_word: bool,
    pub(crate) bytes: &'a [u8],
}

/// What identifies one state of a file's content without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Stamp {
    pub(crate) fn of(meta: &Metadata) -> Stamp {
        Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// [`Stamp::of`] for a status read by `stat(2)` itself: the same fields as std takes them.
    pub(crate) fn of_stat(st: &libc::stat) -> Stamp {
        Stamp {
            dev: st.st_dev,
            ino: st.st_ino,
            len: st.st_size as u64,
            mtime: (st.st_mtime, st.st_mtime_nsec),
            ctime: (st.st_ctime, st.st_ctime_nsec),
        }
    }

    /// The file's length in bytes.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Whether the status had stood still for [`SETTLING`] at `taken`, when it was read.
    pub(super) fn settled_at(&self, taken: SystemTime) -> bool {
        let Ok(now) = taken.duration_since(UNIX_EPOCH) else {
            return false;
        };
        let Some(limit) = now.checked_sub(SETTLING) else {
            return false;
        };
        let (secs, nanos) = self.ctime;
        let (Ok(secs), Ok(nanos)) = (u64::try_from(secs), u32::try_from(nanos)) else {
            return false;
        };
        Duration::new(secs, nanos.min(999_999_999)) < limit
    }
}

/// A file's status before it was read, and when it was taken.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seen {
    pub(crate) stamp: Stamp,
    pub(crate) taken: SystemTime,
}

/// The files of a run known to hold none of some needles, each with the stamp it had then.
#[derive(Debug, Default)]
pub(crate) struct AbsenceMemo {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Every needle seen, in the order first seen: a file's bit `i` says it lacks `keys[i]`.
    keys: Vec<(bool, Box<[u8]>)>,
    files: HashMap<RelPath, (Stamp, u64)>,
}

impl Inner {
    fn position(&self, key: &Needle) -> Option<usize> {
        self.keys
            .iter()
            .position(|(whole_word, bytes)| *whole_word == key.whole_word && **bytes == *key.bytes)
    }

    fn bits(&self, keys: &[Needle]) -> Option<u64> {
        keys.iter()
            .try_fold(0u64, |bits, key| Some(bits | 1 << self.position(key)?))
    }

    fn bits_adding(&mut self, keys: &[Needle]) -> Option<u64> {
        for key in keys {
            if self.position(key).is_none() && self.keys.len() < MOST_KEYS {
                self.keys
                    .push((key.whole_word, key.bytes.to_vec().into_boxed_slice()));
            }
        }
        self.bits(keys)
    }
}

impl AbsenceMemo {
    /// Whether the file at `rel` (on disk at `path`) is known to hold none of `keys`: it was read
    /// through without them, and its status is still the one it had then.
    pub(crate) fn holds_none(&self, rel: &RelPath, path: &Path, keys: &[Needle]) -> bool {
        let stamp = {
            let inner = self.inner.lock().expect("memo holders do not panic");
            let Some(wanted) = inner.bits(keys) else {
                return false;
            };
            match inner.files.get(rel) {
                Some((stamp, lacks)) if lacks & wanted == wanted => *stamp,
                _ => return false,
            }
        };
        super::through_dir::status_of(path).is_ok_and(|(now, is_file)| is_file && now == stamp)
    }

    /// Records that the file at `rel`, whose status was `seen` before it was read through, holds
    /// none of `keys`.
    pub(crate) fn remember(&self, rel: &RelPath, seen: Seen, keys: &[Needle]) {
        if !seen.stamp.settled_at(seen.taken) {
            return;
        }
        let mut inner = self.inner.lock().expect("memo holders do not panic");
        let Some(bits) = inner.bits_adding(keys) else {
            return;
        };
        let entry = inner.files.entry(rel.clone()).or_insert((seen.stamp, 0));
        if entry.0 != seen.stamp {
            *entry = (seen.stamp, 0);
        }
        entry.1 |= bits;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn words(words: &[&'static str]) -> Vec<Needle<'static>> {
        words
            .iter()
            .map(|w| Needle {
                whole_word: true,
                bytes: w.as_bytes(),
            })
            .collect()
    }

    fn seen(path: &Path) -> Seen {
        Seen {
            stamp: Stamp::of(&fs::symlink_metadata(path).unwrap()),
            taken: SystemTime::now(),
        }
    }

    /// Sets the file's times back, as a checkout made a while ago has them; the status-change
    /// time cannot be set, so the test takes its stamp as if it had been read a while later.
    fn later(seen: Seen) -> Seen {
        Seen {
            taken: seen.taken + Duration::from_secs(5),
            ..seen
        }
    }

    #[test]
    fn a_file_is_skipped_for_the_needles_it_lacked_until_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.py");
        fs::write(&path, "x = 1\n").unwrap();
        let rel = RelPath::parse("a.py").unwrap();
        let memo = AbsenceMemo::default();
        memo.remember(&rel, later(seen(&path)), &words(&["foo", "bar"]));
        assert!(memo.holds_none(&rel, &path, &words(&["foo"])));
        assert!(memo.holds_none(&rel, &path, &words(&["bar", "foo"])));
        // A needle it was not read for is looked for again.
        assert!(!memo.holds_none(&rel, &path, &words(&["foo", "baz"])));
        assert!(!memo.holds_none(&RelPath::parse("b.py").unwrap(), &path, &words(&["foo"])));
        // Written again, even with the same length: its status changed.
        std::thread::sleep(Duration::from_millis(50));
        fs::write(&path, "y = 1\n").unwrap();
        assert!(!memo.holds_none(&rel, &path, &words(&["foo"])));
        // Replaced by another file through a rename.
        memo.remember(&rel, later(seen(&path)), &words(&["foo"]));
        assert!(memo.holds_none(&rel, &path, &words(&["foo"])));
        let other = dir.path().join("b.py");
        fs::write(&other, "y = 1\n").unwrap();
        fs::rename(&other, &path).unwrap();
        assert!(!memo.holds_none(&rel, &path, &words(&["foo"])));
        // Gone.
        memo.remember(&rel, later(seen(&path)), &words(&["foo"]));
        fs::remove_file(&path).unwrap();
        assert!(!memo.holds_none(&rel, &path, &words(&["foo"])));
    }

    #[test]
    fn a_file_written_just_before_it_was_read_is_not_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.py");
        fs::write(&path, "x = 1\n").unwrap();
        let rel = RelPath::parse("a.py").unwrap();
        let memo = AbsenceMemo::default();
        memo.remember(&rel, seen(&path), &words(&["foo"]));
        assert!(!memo.holds_none(&rel, &path, &words(&["foo"])));
    }
}
