//! The patch phase: search-and-replace across the tree, write-ahead.
//!
//! Order of work, so that a crash at any instant leaves every file either before or after and the
//! checkpoint knowing which: (1) compute every change in memory; (2) store before- and after-images
//! in the object store and flush them; (3) record the per-file intent (path, hashes, mode) in the
//! checkpoint, durably; (4) check that no target changed since it was read; (5) replace each file
//! atomically; (6) flush, and record the files as written.

mod changes;
mod write;

pub(crate) use changes::{compute_changes, ChangeSet, PlannedChange};
use write::{write_changes, Writes};

use std::sync::Arc;

use crate::edit::structural::Unresolved;
use crate::edit::EditError;
use crate::error::{Error, Result};
use crate::fsutil::{self};
use crate::plan::{Edit, EditKind, Phase};
use crate::state::checkpoint::{EditCount, FileChange, FileState, Outcome, PatchOutcome, Site};
use crate::ui::{unified_diff, Event};

use super::{blocking, PhaseContext, PhaseResult, SharedJournal};

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
    show_unresolved(ctx, &phase.name, &set);
    let failing: Vec<String> = set
        .unresolved
        .iter()
        .filter(|u| {
            edits.iter().any(|e| {
                e.name == u.edit
                    && matches!(&e.kind, EditKind::Python { query, .. }
                        if query.unresolved == Unresolved::Fail)
            })
        })
        .map(|u| format!("{}:{}: edit `{}`: {}", u.path, u.line, u.edit, u.reason))
        .collect();
    if !failing.is_empty() {
        for f in &mut outcome.files {
            f.state = FileState::Planned;
        }
        return Ok(PhaseResult {
            success: false,
            summary: format!(
                "refused: {} where the symbol's name does not resolve (`unresolved: fail`); nothing written",
                crate::words::count_of(&failing, "site")
            ),
            error: Some(failing.join("\n")),
            outcome: Some(Outcome::Patch(outcome)),
        });
    }
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
    let writes = check_and_replace(phase, ctx, journal, &changes).await?;
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
        let (lines_added, lines_removed) = change.diffstat;
        files.push(FileChange {
            path: change.rel.clone(),
            before: change.before_hash.clone(),
            after: change.after_hash.clone(),
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
        unresolved: set.unresolved.clone(),
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

/// Names each unresolved site on the terminal (a dry run shows them before anything is decided;
/// a real run records them in the report as well).
fn show_unresolved(ctx: &PhaseContext, phase_name: &str, set: &ChangeSet) {
    for u in &set.unresolved {
        ctx.ui.note(format!(
            "{phase_name}: {}:{}: `{}` matches, but the name is {} ({})",
            u.path, u.line, u.edit, u.reason, u.action
        ));
    }
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
) -> Result<Writes> {
    ctx.ui.progress(
        &phase.name,
        format!("writing {}", crate::words::count_of(changes, "file")),
    );
    let writes = {
        let changes = changes.clone();
        let root = ctx.root.clone();
        let listing = ctx.listing.clone();
        blocking(move || write_changes(&root, &changes, listing.as_deref())).await?
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
    let drifted: Vec<&str> = outcome.drifted().map(|p| p.as_str()).collect();
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
