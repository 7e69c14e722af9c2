//! Steps (4) and (5) of the patch phase: the check that nothing changed since the scan, and the
//! replacement of every file (on every core), each checked once more as it is swapped in; and the
//! diffstat of a change.

use crate::error::{Error, Result};
use crate::fsutil::replace::{replace_file, Replaced};
use crate::fsutil::{self, parallel, Durability};
use crate::state::checkpoint::FileState;
use crate::tree::listing::ListingMemo;

use super::PlannedChange;

/// What step (5) did: the state of each file, in the order of the changes, and the error that
/// stopped it early, if one did.
#[derive(Debug)]
pub(super) struct Writes {
    pub(super) states: Vec<FileState>,
    pub(super) error: Option<Error>,
}

/// Steps (4) and (5): refuses the whole batch if any target no longer has the content it was read
/// with (each change's before-hash), and only then replaces the files. Each
/// replacement checks again, atomically, that the file it swaps out still has that content; a file
/// that does not is left with the content another process gave it, and is `Drifted`.
pub(super) fn write_changes(
    root: &std::path::Path,
    changes: &[PlannedChange],
    listing: Option<&ListingMemo>,
) -> Result<Writes> {
    let items: Vec<usize> = (0..changes.len()).collect();
    let drifted_at = std::sync::Mutex::new(Vec::new());
    parallel::try_for_each(&items, |&i| {
        let path = changes[i].rel.to_path(root);
        let now = std::fs::read(&path).map_err(|e| Error::io("read", &path, e))?;
        if fsutil::hash_bytes(&now) != changes[i].before_hash {
            drifted_at
                .lock()
                .expect("no panics while holding the lock")
                .push(i);
        }
        Ok(())
    })?;
    let mut drifted_at = drifted_at
        .into_inner()
        .expect("no panics while holding the lock");
    drifted_at.sort_unstable();
    let drifted: Vec<String> = drifted_at
        .iter()
        .map(|&i| changes[i].rel.to_string())
        .collect();
    if !drifted.is_empty() {
        return Err(Error::Refused {
            message: format!(
                "{} changed while the patch was being prepared: {}; nothing was written",
                crate::words::count_of(&drifted, "file"),
                drifted.join(", ")
            ),
            help: "let whatever is editing the tree finish, then `remedy resume`".into(),
        });
    }
    // Each replacement moves its directory's status: a walk's kept listing notes the
    // directories first, to compare their names instead.
    if let Some(listing) = listing {
        let mut dirs: Vec<std::path::PathBuf> = changes
            .iter()
            .filter_map(|c| Some(c.rel.to_path(root).parent()?.to_path_buf()))
            .collect();
        dirs.sort();
        dirs.dedup();
        for dir in &dirs {
            listing.before_writing_in(dir);
        }
    }
    let results: Vec<std::sync::OnceLock<Replaced>> =
        changes.iter().map(|_| std::sync::OnceLock::new()).collect();
    let written = parallel::try_for_each(&items, |&i| {
        let change = &changes[i];
        let replaced = replace_file(
            &change.rel.to_path(root),
            &[change.after.as_bytes()],
            Some(change.mode),
            Some(&change.before_hash),
            Durability::Batched,
        )?;
        let _ = results[i].set(replaced);
        Ok(())
    });
    let synced = fsutil::sync_filesystem(root);
    let states = results
        .iter()
        .map(|r| match r.get() {
            Some(Replaced::Done) => FileState::Written,
            Some(Replaced::Drifted) => FileState::Drifted,
            None => FileState::Intended,
        })
        .collect();
    Ok(Writes {
        states,
        error: written.and(synced).err(),
    })
}

/// Lines added and removed. Lines before the first difference and after the last are the same
/// on both sides, so only the lines between are diffed.
pub(super) fn diffstat(before: &str, after: &str) -> (u64, u64) {
    let (b, a) = (before.as_bytes(), after.as_bytes());
    let same_start = b.iter().zip(a).take_while(|(x, y)| x == y).count();
    // Back to the start of the line the first difference is on.
    let start = b[..same_start]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |i| i + 1);
    let same_end = b[start..]
        .iter()
        .rev()
        .zip(a[start..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    // The common tail counts from a point where both sides start a line: where they already do,
    // else just after the tail's first line break (none: the tail is part of the last line).
    let at_line_start = |side: &[u8]| {
        let at = side.len() - same_end;
        at == start || side[at - 1] == b'\n'
    };
    let common_end = if at_line_start(b) && at_line_start(a) {
        same_end
    } else {
        let tail = &b[b.len() - same_end..];
        tail.iter()
            .position(|&c| c == b'\n')
            .map_or(0, |i| same_end - (i + 1))
    };
    let (before, after) = (
        &before[start..before.len() - common_end],
        &after[start..after.len() - common_end],
    );
    let diff = similar::TextDiff::from_lines(before, after);
    let (mut added, mut removed) = (0, 0);
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Insert => added += 1,
            similar::ChangeTag::Delete => removed += 1,
            similar::ChangeTag::Equal => {}
        }
    }
    (added, removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::paths::RelPath;

    #[test]
    fn diffstat_of_the_changed_lines_equals_that_of_the_whole_files() {
        let whole = |before: &str, after: &str| {
            let diff = similar::TextDiff::from_lines(before, after);
            let mut counts = (0, 0);
            for change in diff.iter_all_changes() {
                match change.tag() {
                    similar::ChangeTag::Insert => counts.0 += 1,
                    similar::ChangeTag::Delete => counts.1 += 1,
                    similar::ChangeTag::Equal => {}
                }
            }
            counts
        };
        let before = "a\nawait f(x)\nb\r\nc\nawait f(y)\nd\n";
        let cases = [
            before.replace("await f(x)", "f(x)"),
            before.replace("await ", ""),
            before.replace("d\n", "d"),
            before.replace("a\n", ""),
            format!("{before}e\n"),
            format!("x{before}"),
            before.replace("b\r\n", "b\r\nnew\r\n"),
            before.replace("\n", "\r\n"),
            String::new(),
            before.to_string(),
            "a\nawait f(x)\n".to_string(),
        ];
        for after in &cases {
            assert_eq!(diffstat(before, after), whole(before, after), "{after:?}");
            assert_eq!(
                diffstat(after, before),
                whole(after, before),
                "{after:?} reversed"
            );
        }
        assert_eq!(diffstat("x = 1", "x = 2"), (1, 1));
        assert_eq!(diffstat("ab\n", "ab\nab\n"), (1, 0));
    }

    fn change(root: &std::path::Path, name: &str, before: &str, after: &str) -> PlannedChange {
        std::fs::write(root.join(name), before).unwrap();
        PlannedChange::new(
            RelPath::parse(name).unwrap(),
            before.as_bytes().to_vec(),
            after.into(),
            0o644,
            vec![(1, 0)],
        )
    }

    #[test]
    fn a_file_changed_under_our_feet_stops_the_batch_before_any_write() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let changes = vec![
            change(root, "a.py", "x = await f()\n", "x = f()\n"),
            change(root, "b.py", "y = await f()\n", "y = f()\n"),
        ];
        // Someone edits b.py between the scan and the write.
        std::fs::write(root.join("b.py"), "y = await f()  # mine\n").unwrap();
        let err = write_changes(root, &changes, None).unwrap_err();
        assert!(err.to_string().contains("b.py"), "{err}");
        assert!(matches!(err, Error::Refused { .. }));
        assert_eq!(
            std::fs::read_to_string(root.join("a.py")).unwrap(),
            "x = await f()\n"
        );
        assert_eq!(
            std::fs::read_to_string(root.join("b.py")).unwrap(),
            "y = await f()  # mine\n"
        );
        // Unchanged targets are written.
        std::fs::write(root.join("b.py"), "y = await f()\n").unwrap();
        let writes = write_changes(root, &changes, None).unwrap();
        assert!(writes.error.is_none());
        assert_eq!(writes.states, [FileState::Written, FileState::Written]);
        assert_eq!(
            std::fs::read_to_string(root.join("b.py")).unwrap(),
            "y = f()\n"
        );
    }
}
