//! The patch phase: search-and-replace across the tree, write-ahead.
//!
//! Order of work, so that a crash at any instant leaves every file either before or after and the
//! checkpoint knowing which: (1) compute every change in memory; (2) store before- and after-images
//! in the object store and flush them; (3) record the per-file intent (path, hashes, mode) in the
//! checkpoint, durably; (4) check that no target changed since it was read; (5) replace each file
//! atomically; (6) flush, and record the files as written.

use std::sync::Arc;

use crate::edit::{self, EditError};
use crate::error::{Error, Result};
use crate::fsutil::replace::{replace_file, Replaced};
use crate::fsutil::{self, Durability};
use crate::plan::{Edit, Phase};
use crate::state::checkpoint::{
    EditCount, FileChange, FileState, LeftAlone, Outcome, PatchOutcome, Site, SkippedFile,
};
use crate::tree::paths::RelPath;
use crate::tree::scan;
use crate::ui::{unified_diff, Event};

use super::{blocking, PhaseContext, PhaseResult, SharedJournal};

/// One file's planned change.
#[derive(Debug, Clone)]
pub(crate) struct PlannedChange {
    pub(crate) rel: RelPath,
    pub(crate) before: Vec<u8>,
    pub(crate) after: String,
    pub(crate) mode: u32,
    pub(crate) sites: Vec<(u64, usize)>,
}

/// Everything a patch phase would do to the tree.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChangeSet {
    pub(crate) scanned: u64,
    /// Files parsed for structural edits (the others lacked every pattern's literal words).
    pub(crate) parsed: u64,
    pub(crate) changes: Vec<PlannedChange>,
    pub(crate) skipped: Vec<SkippedFile>,
    pub(crate) errors: Vec<EditError>,
    /// Sites the patterns matched but the edits' context kept from changing, by file and line.
    pub(crate) left_alone: Vec<LeftAlone>,
}

/// What the scan makes of one file: its change, or why it is skipped (`Err(Ok(reason))`), or the
/// edit that would go wrong in it (`Err(Err(error))`).
type FileResult = std::result::Result<PlannedChange, std::result::Result<String, EditError>>;

/// What the scan keeps of one file: what becomes of it, and the sites left alone in it.
struct FileVisit {
    result: Option<FileResult>,
    left_alone: Vec<LeftAlone>,
}

/// Computes the changes `edits` make to the tree as `ctx` sees it (blocking).
pub(crate) fn compute_changes(edits: &[Edit], ctx: &PhaseContext) -> ChangeSet {
    let cx = ctx.edit_context();
    let out = scan::scan(
        &ctx.root,
        |p| edits.iter().any(|e| e.selection.matches(p)),
        |rel, path| {
            let (result, left_alone) = plan_file(rel, path, edits, ctx, &cx);
            (result.is_some() || !left_alone.is_empty()).then_some(FileVisit { result, left_alone })
        },
    );
    let mut set = ChangeSet {
        scanned: out.scanned,
        parsed: cx.parsed(),
        ..ChangeSet::default()
    };
    for e in out.errors {
        set.skipped.push(SkippedFile {
            path: RelPath::parse(".").expect("`.` is valid"),
            reason: e,
        });
    }
    for (rel, outside) in out.links {
        let reason = if outside {
            "symbolic link leading outside the root: not followed"
        } else {
            "symbolic link: not followed (its target is edited at its own path)"
        };
        set.skipped.push(SkippedFile {
            path: rel,
            reason: reason.into(),
        });
    }
    for (shown, path) in out.unnamed {
        set.skipped.push(skip_unnamed(edits, shown, &path));
    }
    for (rel, visit) in out.items {
        set.left_alone.extend(visit.left_alone);
        match visit.result {
            Some(Ok(change)) => set.changes.push(change),
            Some(Err(Ok(reason))) => set.skipped.push(SkippedFile { path: rel, reason }),
            Some(Err(Err(e))) => set.errors.push(e),
            None => {}
        }
    }
    set.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    set
}

/// The change `edits` make to one file, if any: `None` for a file that cannot change.
fn plan_file(
    rel: &RelPath,
    path: &std::path::Path,
    edits: &[Edit],
    ctx: &PhaseContext,
    cx: &edit::EditContext,
) -> (Option<FileResult>, Vec<LeftAlone>) {
    let applicable: Vec<(usize, &Edit)> = edits
        .iter()
        .enumerate()
        .filter(|(_, e)| e.selection.matches(rel.as_str()))
        .collect();
    let needles: Vec<_> = applicable
        .iter()
        .filter_map(|(_, e)| e.needles_for(rel.as_str()))
        .collect();
    if needles.is_empty() {
        return (None, Vec::new());
    }
    // Most files lack the needles and are never read whole.
    let bytes = match ctx.read_if_needed(rel, path, needles) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return (None, Vec::new()),
        Err(e) => return (Some(Err(Ok(format!("unreadable: {e}")))), Vec::new()),
    };
    // The needles are a necessary condition only; a file that cannot change is neither
    // decoded nor reported.
    if !applicable
        .iter()
        .any(|(_, e)| e.could_change(rel.as_str(), &bytes))
    {
        return (None, Vec::new());
    }
    let text = match scan::text_of(&bytes) {
        Ok(t) => t,
        Err(reason) => {
            return (
                Some(Err(Ok(format!(
                    "{reason}, and an edit's pattern occurs in its bytes: \
                     it may hold sites to fix by hand"
                )))),
                Vec::new(),
            )
        }
    };
    let left_alone = left_alone_in(rel, text, &applicable, cx);
    let edited = edit::apply_edits(rel, text, &applicable, cx);
    let result = match edited {
        Ok(None) => None,
        Ok(Some(fe)) => {
            // Only the few files that change need their mode: no stat for the rest.
            let Ok(meta) = std::fs::metadata(path) else {
                return (None, left_alone);
            };
            let names = std::os::unix::fs::MetadataExt::nlink(&meta);
            if names > 1 {
                return (
                    Some(Err(Ok(format!(
                        "hard-linked ({names} names): replacing it would split the link; \
                         edit it by hand or break the link first"
                    )))),
                    left_alone,
                );
            }
            Some(Ok(PlannedChange {
                rel: rel.clone(),
                before: bytes,
                after: fe.content,
                mode: fsutil::mode_of(&meta),
                sites: fe.sites,
            }))
        }
        Err(e) => Some(Err(Err(e))),
    };
    (result, left_alone)
}

/// The sites the edits' patterns match in `text` but their context keeps from changing: a
/// structural edit's `inside`/`not_inside`, a regex edit's `skip` of strings and comments.
fn left_alone_in(
    rel: &RelPath,
    text: &str,
    applicable: &[(usize, &Edit)],
    cx: &edit::EditContext,
) -> Vec<LeftAlone> {
    applicable
        .iter()
        .flat_map(|(_, e)| {
            let sites = match &e.kind {
                crate::plan::EditKind::Python { query, .. } => {
                    edit::excluded_match_lines(query, rel, text, cx)
                }
                crate::plan::EditKind::Regex { regex, skip, .. }
                    if edit::python::is_python_path(rel.as_str()) =>
                {
                    edit::regex::skipped_match_lines(regex, text, *skip)
                }
                crate::plan::EditKind::Regex { .. } => Vec::new(),
            };
            sites.into_iter().map(|(line, reason)| LeftAlone {
                path: rel.clone(),
                line,
                edit: e.name.clone(),
                reason,
            })
        })
        .collect()
}

/// Why a file whose name is not valid UTF-8 is skipped, saying whether an edit would change it.
fn skip_unnamed(edits: &[Edit], shown: RelPath, path: &std::path::Path) -> SkippedFile {
    // Its content is read only to say whether it matters.
    let holds_a_site = std::fs::read(path).is_ok_and(|bytes| {
        edits
            .iter()
            .filter(|e| e.selection.matches(shown.as_str()))
            .any(|e| e.could_change(shown.as_str(), &bytes))
    });
    let reason = if holds_a_site {
        "its name is not valid UTF-8, so remedy cannot record it, and an edit's pattern occurs \
         in it: fix it by hand, or rename it and run the phase again"
    } else {
        "its name is not valid UTF-8, so remedy cannot record it (no edit's pattern occurs in it)"
    };
    SkippedFile {
        path: shown,
        reason: reason.into(),
    }
}

/// What step (5) did: the state of each file, in the order of the changes, and the error that
/// stopped it early, if one did.
#[derive(Debug)]
struct Writes {
    states: Vec<FileState>,
    error: Option<Error>,
}

/// Steps (4) and (5): refuses the whole batch if any target no longer has the content it was read
/// with (`expected` before-hashes, one per change), and only then replaces the files. Each
/// replacement checks again, atomically, that the file it swaps out still has that content; a file
/// that does not is left with the content another process gave it, and is `Drifted`.
fn write_changes(
    root: &std::path::Path,
    changes: &[PlannedChange],
    expected: &[String],
) -> Result<Writes> {
    let mut drifted = Vec::new();
    for (change, before) in changes.iter().zip(expected) {
        let path = change.rel.to_path(root);
        let now = std::fs::read(&path).map_err(|e| Error::io("read", &path, e))?;
        if &fsutil::hash_bytes(&now) != before {
            drifted.push(change.rel.to_string());
        }
    }
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
    let results: Vec<std::sync::OnceLock<Replaced>> =
        changes.iter().map(|_| std::sync::OnceLock::new()).collect();
    let items: Vec<usize> = (0..changes.len()).collect();
    let written = try_for_each_parallel(&items, |&i| {
        let change = &changes[i];
        let replaced = replace_file(
            &change.rel.to_path(root),
            &[change.after.as_bytes()],
            Some(change.mode),
            Some(&expected[i]),
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

/// Runs `work` on every item on up to one thread per core, and stops at the first error. Creating
/// files is mostly kernel time spent allocating inodes, which spreads over the cores.
fn try_for_each_parallel<T: Sync>(
    items: &[T],
    work: impl Fn(&T) -> Result<()> + Sync,
) -> Result<()> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    if threads <= 1 {
        return items.iter().try_for_each(work);
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let first_error = std::sync::Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let Some(item) = items.get(next.fetch_add(1, Ordering::Relaxed)) else {
                        break;
                    };
                    if let Err(e) = work(item) {
                        stop.store(true, Ordering::Relaxed);
                        first_error
                            .lock()
                            .expect("no panics while holding the lock")
                            .get_or_insert(e);
                    }
                }
            });
        }
    });
    match first_error
        .into_inner()
        .expect("no panics while holding the lock")
    {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Lines added and removed. Lines before the first difference and after the last are the same
/// on both sides, so only the lines between are diffed.
fn diffstat(before: &str, after: &str) -> (u64, u64) {
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

pub(crate) async fn execute(
    phase: &Phase,
    edits: &[Edit],
    ctx: &PhaseContext,
) -> Result<PhaseResult> {
    // (1) Every change, computed in memory.
    let set = changes_for(phase, edits, ctx).await?;
    if !set.errors.is_empty() {
        return Ok(refused_as_wrong(&set.errors));
    }
    let mut outcome = planned_outcome(edits, &set);
    let unmet = unmet_expectations(edits, &outcome.edits);
    if !unmet.is_empty() {
        for f in &mut outcome.files {
            f.state = FileState::Planned;
        }
        return Ok(PhaseResult {
            success: false,
            summary: "refused: an edit's count is not what the plan expects; nothing written"
                .into(),
            error: Some(unmet.join("; ")),
            outcome: Some(Outcome::Patch(outcome)),
        });
    }
    let sites: u64 = outcome.edits.iter().map(|e| e.sites).sum();
    let tail = format!(
        "{} ({} scanned{})",
        crate::words::count_of(&set.changes, "file"),
        set.scanned,
        if set.skipped.is_empty() {
            String::new()
        } else {
            format!(", {} skipped", set.skipped.len())
        }
    );
    let summary = |verb: &str| format!("{verb} {} in {tail}", crate::words::count(sites, "site"));

    let Some(journal) = &ctx.journal else {
        show_dry_run(ctx, &phase.name, &set.changes);
        return Ok(PhaseResult {
            success: true,
            summary: summary("would change"),
            error: None,
            outcome: Some(Outcome::Patch(outcome)),
        });
    };
    let changes = Arc::new(set.changes);
    // (2) Before- and after-images into the object store, flushed.
    store_images(phase, ctx, journal, &changes, &outcome).await?;
    // (3) The write-ahead record.
    record_outcome(journal, &phase.name, Some(Outcome::Patch(outcome.clone()))).await?;
    // (4) Nothing changed under our feet since the scan, then (5) replace the files.
    let writes = check_and_replace(phase, ctx, journal, &changes, &outcome).await?;
    // (6) Recorded as written, each file as far as it got.
    record_writes(journal, &phase.name, &mut outcome, writes).await?;
    Ok(PhaseResult {
        success: true,
        summary: summary("changed"),
        error: None,
        outcome: Some(Outcome::Patch(outcome)),
    })
}

/// Step (1): the changes, from the scan the backup phase kept for this phase or from a new one.
async fn changes_for(phase: &Phase, edits: &[Edit], ctx: &PhaseContext) -> Result<ChangeSet> {
    Ok(match ctx.take_scan(&phase.name) {
        // The backup phase just before scanned for exactly these edits and nothing has written to
        // the tree since; the drift check still compares every target with what was read.
        Some(kept) => Arc::try_unwrap(kept).unwrap_or_else(|shared| (*shared).clone()),
        None => {
            ctx.ui.progress(&phase.name, "scanning");
            let edits = edits.to_vec();
            let ctx = ctx.clone();
            blocking(move || compute_changes(&edits, &ctx)).await?
        }
    })
}

/// The report of a phase refused because some of its edits would go wrong.
fn refused_as_wrong(errors: &[EditError]) -> PhaseResult {
    let list: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    PhaseResult {
        success: false,
        summary: format!(
            "refused: {} would be edited wrongly; nothing written",
            crate::words::count_of(&list, "file")
        ),
        error: Some(list.join("\n")),
        outcome: None,
    }
}

/// The outcome the phase records before writing: every file `Intended`, with its hashes, sites and
/// diffstat, and the count of sites and files per edit.
fn planned_outcome(edits: &[Edit], set: &ChangeSet) -> PatchOutcome {
    let mut edit_counts: Vec<EditCount> = edits
        .iter()
        .map(|e| EditCount {
            name: e.name.clone(),
            sites: 0,
            files: 0,
            expected: e.expect.map(|x| x.to_string()),
        })
        .collect();
    let mut files = Vec::new();
    for change in &set.changes {
        let mut touched = vec![false; edits.len()];
        for (_, edit) in &change.sites {
            edit_counts[*edit].sites += 1;
            touched[*edit] = true;
        }
        for (i, t) in touched.iter().enumerate() {
            edit_counts[i].files += u64::from(*t);
        }
        let before_text = String::from_utf8_lossy(&change.before);
        let (lines_added, lines_removed) = diffstat(&before_text, &change.after);
        files.push(FileChange {
            path: change.rel.clone(),
            before: fsutil::hash_bytes(&change.before),
            after: fsutil::hash_bytes(change.after.as_bytes()),
            mode: change.mode,
            state: FileState::Intended,
            sites: change
                .sites
                .iter()
                .map(|(line, edit)| Site {
                    line: *line,
                    edit: *edit,
                })
                .collect(),
            lines_added,
            lines_removed,
        });
    }
    PatchOutcome {
        scanned: set.scanned,
        parsed: set.parsed,
        files,
        edits: edit_counts,
        skipped: set.skipped.clone(),
        left_alone: set.left_alone.clone(),
    }
}

/// One line per edit whose count of sites is not the one the plan expects.
fn unmet_expectations(edits: &[Edit], counts: &[EditCount]) -> Vec<String> {
    edits
        .iter()
        .zip(counts)
        .filter_map(|(e, c)| {
            let expect = e.expect?;
            (!expect.holds(c.sites)).then(|| {
                format!(
                    "edit `{}` changes {}, expected {expect}",
                    e.name,
                    crate::words::count(c.sites, "site")
                )
            })
        })
        .collect()
}

/// Dry run: shows the diffs and lets later phases see the result.
fn show_dry_run(ctx: &PhaseContext, phase_name: &str, changes: &[PlannedChange]) {
    for change in changes {
        let before = String::from_utf8_lossy(&change.before);
        ctx.ui.send(Event::Diff {
            phase: phase_name.to_string(),
            path: change.rel.as_str().to_string(),
            diff: unified_diff(change.rel.as_str(), &before, &change.after),
        });
    }
    let mut overlay = ctx.overlay.lock().expect("overlay holders do not panic");
    for change in changes {
        overlay.insert(change.rel.clone(), change.after.clone());
    }
}

/// Step (2): before- and after-images into the object store, flushed in one batch.
async fn store_images(
    phase: &Phase,
    ctx: &PhaseContext,
    journal: &SharedJournal,
    changes: &Arc<Vec<PlannedChange>>,
    outcome: &PatchOutcome,
) -> Result<()> {
    ctx.ui.progress(
        &phase.name,
        format!("storing {} before-images", changes.len()),
    );
    let (objects, state_dir) = {
        let j = journal.lock().await;
        (j.objects(), j.state.dir.clone())
    };
    let changes = changes.clone();
    let hashes: Vec<(String, String)> = outcome
        .files
        .iter()
        .map(|f| (f.before.clone(), f.after.clone()))
        .collect();
    blocking(move || -> Result<()> {
        let batch: Vec<(&str, &[u8])> = changes
            .iter()
            .zip(&hashes)
            .flat_map(|(change, (before, after))| {
                [
                    (before.as_str(), change.before.as_slice()),
                    (after.as_str(), change.after.as_bytes()),
                ]
            })
            .collect();
        objects.put_all(&batch)?;
        fsutil::sync_filesystem(&state_dir)
    })
    .await?
}

/// Sets the outcome the checkpoint records for phase `phase` and saves the checkpoint durably.
async fn record_outcome(
    journal: &SharedJournal,
    phase: &str,
    outcome: Option<Outcome>,
) -> Result<()> {
    let mut j = journal.lock().await;
    if let Some(rec) = j.checkpoint.phase_mut(phase) {
        rec.outcome = outcome;
    }
    j.save()
}

/// Steps (4) and (5): nothing changed under our feet since the scan, then the files are replaced
/// (see [`write_changes`]). When the check refuses, nothing was written and the intent is withdrawn,
/// so that no later rollback treats these files as ours.
async fn check_and_replace(
    phase: &Phase,
    ctx: &PhaseContext,
    journal: &SharedJournal,
    changes: &Arc<Vec<PlannedChange>>,
    outcome: &PatchOutcome,
) -> Result<Writes> {
    ctx.ui.progress(
        &phase.name,
        format!("writing {}", crate::words::count_of(changes, "file")),
    );
    let writes = {
        let changes = changes.clone();
        let root = ctx.root.clone();
        let expected: Vec<String> = outcome.files.iter().map(|f| f.before.clone()).collect();
        blocking(move || write_changes(&root, &changes, &expected)).await?
    };
    match writes {
        Ok(w) => Ok(w),
        Err(e) => {
            if matches!(e, Error::Refused { .. }) {
                record_outcome(journal, &phase.name, None).await?;
            }
            Err(e)
        }
    }
}

/// Step (6): each file recorded as far as it got. When a write failed or a file drifted, the phase
/// fails and the record says which files hold remedy's content, so that a rollback or a resume
/// undoes exactly those.
async fn record_writes(
    journal: &SharedJournal,
    phase: &str,
    outcome: &mut PatchOutcome,
    writes: Writes,
) -> Result<()> {
    for (f, state) in outcome.files.iter_mut().zip(&writes.states) {
        f.state = *state;
    }
    let drifted: Vec<&str> = outcome
        .files
        .iter()
        .filter(|f| f.state == FileState::Drifted)
        .map(|f| f.path.as_str())
        .collect();
    if writes.error.is_some() || !drifted.is_empty() {
        record_outcome(journal, phase, Some(Outcome::Patch(outcome.clone()))).await?;
    }
    if let Some(e) = writes.error {
        return Err(e);
    }
    if !drifted.is_empty() {
        let written = outcome.files.len() - drifted.len();
        return Err(Error::Refused {
            message: format!(
                "refused to overwrite: {} drifted (another process changed them while remedy was writing; they keep that content): {}; {} written",
                crate::words::count_of(&drifted, "file"),
                drifted.join(", "),
                if written == 1 {
                    "1 other file was".to_string()
                } else {
                    format!("{written} other files were")
                }
            ),
            help: "let whatever is editing the tree finish, then `remedy resume` (it puts back the files written and runs the phase again), or undo them with `remedy rollback --all`".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        PlannedChange {
            rel: RelPath::parse(name).unwrap(),
            before: before.as_bytes().to_vec(),
            after: after.into(),
            mode: 0o644,
            sites: vec![(1, 0)],
        }
    }

    #[test]
    fn a_file_changed_under_our_feet_stops_the_batch_before_any_write() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let changes = vec![
            change(root, "a.py", "x = await f()\n", "x = f()\n"),
            change(root, "b.py", "y = await f()\n", "y = f()\n"),
        ];
        let expected: Vec<String> = changes
            .iter()
            .map(|c| fsutil::hash_bytes(&c.before))
            .collect();
        // Someone edits b.py between the scan and the write.
        std::fs::write(root.join("b.py"), "y = await f()  # mine\n").unwrap();
        let err = write_changes(root, &changes, &expected).unwrap_err();
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
        let writes = write_changes(root, &changes, &expected).unwrap();
        assert!(writes.error.is_none());
        assert_eq!(writes.states, [FileState::Written, FileState::Written]);
        assert_eq!(
            std::fs::read_to_string(root.join("b.py")).unwrap(),
            "y = f()\n"
        );
    }

    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn parallel_work_visits_every_item_and_reports_an_error() {
        let items: Vec<usize> = (0..100).collect();
        let seen = AtomicUsize::new(0);
        try_for_each_parallel(&items, |i| {
            seen.fetch_add(*i, Ordering::Relaxed);
            Ok(())
        })
        .unwrap();
        assert_eq!(seen.into_inner(), (0..100).sum::<usize>());
        let err = try_for_each_parallel(&items, |i| {
            if *i == 7 {
                Err(Error::Other(anyhow::anyhow!("item 7")))
            } else {
                Ok(())
            }
        })
        .unwrap_err();
        assert!(err.to_string().contains("item 7"), "{err}");
    }
}
