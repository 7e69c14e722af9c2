//! `remedy rollback`: rewinding a run to just before a phase, newest phase first.
//!
//! Every restore is planned before the first file is touched, conflicts (files changed since remedy
//! wrote them) stop the rollback unless `--force` keeps them aside, and each restore checks once
//! more, as it replaces the file, that the file still holds what remedy wrote.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{remove_leftovers, resolve_root};
use crate::error::{Error, Result};
use crate::fsutil::replace::{replace_file, Replaced};
use crate::fsutil::{self, Durability};
use crate::phase::Journal;
use crate::state::checkpoint::{
    self, Checkpoint, FileState, Outcome, PhaseRecord, PhaseStatus, StateDir,
};
use crate::state::lock::RootLock;
use crate::timefmt;
use crate::ui::Ui;

/// Options of `remedy rollback`.
#[derive(Debug, Clone, Default)]
pub(crate) struct RollbackOptions {
    pub(crate) plan: Option<String>,
    /// The phase to rewind to (undoing it and every later phase); `None` with `all`.
    pub(crate) phase: Option<String>,
    pub(crate) all: bool,
    pub(crate) force: bool,
}

/// What a rollback did.
#[derive(Debug, Clone, Default)]
pub(crate) struct RollbackSummary {
    pub(crate) phases: Vec<String>,
    pub(crate) restored: usize,
    pub(crate) removed: usize,
    pub(crate) kept_aside: Vec<PathBuf>,
}

/// `remedy rollback PHASE|--all`: rewinds the run to just before PHASE, newest phase first.
pub(crate) fn rollback(root: &Path, opts: &RollbackOptions, ui: &Ui) -> Result<RollbackSummary> {
    let root = resolve_root(root)?;
    let (state, _) = checkpoint::select_run(&root, opts.plan.as_deref())?;
    let _lock = RootLock::acquire(&root)?;
    let cp = Checkpoint::load_in(&state)?;
    let index = if opts.all {
        0
    } else {
        let name = opts
            .phase
            .as_deref()
            .ok_or_else(|| Error::usage("name the phase to roll back to, or pass `--all`", None))?;
        cp.phases
            .iter()
            .position(|p| p.name == name)
            .ok_or_else(|| {
                let names: Vec<&str> = cp.phases.iter().map(|p| p.name.as_str()).collect();
                Error::usage(
                    format!("the run has no phase `{name}`"),
                    Some(
                        match crate::plan::did_you_mean(name, names.iter().copied()) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => format!("its phases: {}", names.join(", ")),
                        },
                    ),
                )
            })?
    };
    if let Some(note) = cp.relocation_note() {
        ui.note(note);
    }
    remove_leftovers(&cp, &state, ui)?;
    let mut journal = Journal {
        checkpoint: cp,
        state,
    };
    rollback_locked_with(&mut journal, index, opts.force, ui)
}

pub(crate) fn rollback_locked(
    journal: &mut Journal,
    index: usize,
    force: bool,
    ui: &Ui,
) -> Result<RollbackSummary> {
    rollback_locked_with(journal, index, force, ui)
}

/// A file a rollback would put back (or remove), and what it must hold now.
struct Restore {
    phase: usize,
    path: crate::tree::paths::RelPath,
    /// The hash the file must have now for the rollback to touch it.
    expect_now: String,
    /// What the file must hold at the moment it is replaced: `expect_now`, or for a conflict that
    /// `--force` overrides, the version kept aside (`None`: it was deleted, and nothing is there).
    expect_at_write: Option<String>,
    /// Content to put back (`None`: remove the file, for report outputs and created files).
    restore_to: Option<(String, u32)>,
    /// A cache file the run's tests created: changed since, it is left in place rather than
    /// counted as a conflict (Python and pytest rewrite these on their own).
    leave_if_changed: bool,
}

fn rollback_locked_with(
    journal: &mut Journal,
    index: usize,
    force: bool,
    ui: &Ui,
) -> Result<RollbackSummary> {
    let root = journal.checkpoint.root.clone();
    let objects = journal.objects();
    let targets: Vec<usize> = (index..journal.checkpoint.phases.len())
        .rev()
        .filter(|i| {
            !matches!(
                journal.checkpoint.phases[*i].status,
                PhaseStatus::Pending | PhaseStatus::RolledBack
            )
        })
        .collect();

    // Plan every restore first, newest phase first, simulating the tree so that two phases that
    // changed the same file are undone in turn; nothing is written while a conflict exists.
    let mut simulated: HashMap<String, Option<String>> = HashMap::new();
    let mut restores = Vec::new();
    let mut conflicts = Vec::new();
    let all: Vec<Restore> = targets
        .iter()
        .flat_map(|&i| restores_of(&journal.checkpoint.phases[i], i))
        .collect();
    check_targets_inside(&all, &root, &journal.state)?;
    for r in all {
        let key = r.path.as_str().to_string();
        let now = match simulated.get(&key) {
            Some(h) => h.clone(),
            None => std::fs::read(r.path.to_path(&root))
                .ok()
                .map(|b| fsutil::hash_bytes(&b)),
        };
        let target = r.restore_to.as_ref().map(|(h, _)| h.clone());
        if now == target {
            continue; // Already restored (a rollback that was interrupted, or a write that never happened).
        }
        if now.as_deref() != Some(r.expect_now.as_str()) {
            if !r.leave_if_changed {
                conflicts.push((r, now));
            }
            continue;
        }
        simulated.insert(key, target);
        restores.push(r);
    }
    // Every image a restore needs must be readable and intact before the first file is touched.
    let mut unusable = Vec::new();
    for r in restores.iter().chain(conflicts.iter().map(|(r, _)| r)) {
        if let Some((hash, _)) = &r.restore_to {
            if let Err(e) = objects.get(hash) {
                unusable.push(format!("  {}: {e}", r.path));
            }
        }
    }
    if !unusable.is_empty() {
        return Err(Error::Refused {
            message: format!(
                "the stored image of {} cannot be read back intact; nothing was rolled back:\n{}",
                crate::words::count_of(&unusable, "file"),
                unusable.join("\n")
            ),
            help: format!(
                "the images are in {}; restore that folder from a copy if you have one, or put these files back by hand (git checkout, say)",
                objects.dir().display()
            ),
        });
    }
    let mut kept_aside = Vec::new();
    if !conflicts.is_empty() && !force {
        let list: Vec<String> = conflicts
            .iter()
            .map(|(r, now)| {
                format!(
                    "  {}{}",
                    r.path,
                    if now.is_some() {
                        " (edited since remedy wrote it)"
                    } else {
                        " (deleted since remedy wrote it)"
                    }
                )
            })
            .collect();
        return Err(Error::Refused {
            message: format!(
                "{} changed since remedy wrote them; nothing was rolled back:\n{}",
                crate::words::count_of(&conflicts, "file"),
                list.join("\n")
            ),
            help: "resolve them by hand, or pass `--force` to keep your versions aside and restore remedy's backups".into(),
        });
    }
    if !conflicts.is_empty() {
        let aside = journal
            .state
            .dir
            .join("conflicts")
            .join(timefmt::rfc3339(timefmt::now_ms()).replace(':', "-"));
        for (mut r, now) in conflicts {
            let src = r.path.to_path(&root);
            r.expect_at_write = now.clone();
            if now.is_some() {
                let dst = aside.join(r.path.as_str());
                if let Some(parent) = dst.parent() {
                    fsutil::create_dir_all(parent)?;
                }
                std::fs::copy(&src, &dst).map_err(|e| Error::io("keep aside", &src, e))?;
                kept_aside.push(dst);
            }
            restores.push(r);
        }
        fsutil::sync_filesystem(&journal.state.dir)?;
        ui.note(format!(
            "your versions of conflicting files are kept in {}",
            aside.display()
        ));
    }

    // Apply, newest phase first, recording each phase as rolled back once its files are back.
    let mut summary = RollbackSummary {
        kept_aside,
        ..RollbackSummary::default()
    };
    for &i in &targets {
        // A file another process changes between the check above and its restore is left as that
        // process made it; the phase is then not rolled back, and a second rollback lists the file
        // as a conflict.
        let mut changed = Vec::new();
        for r in restores.iter().filter(|r| r.phase == i) {
            let path = r.path.to_path(&root);
            match &r.restore_to {
                Some((hash, mode)) => {
                    let bytes = objects.get(hash)?;
                    if let Some(parent) = path.parent() {
                        fsutil::create_dir_all(parent)?;
                    }
                    let replaced = replace_file(
                        &path,
                        &[&bytes],
                        Some(*mode),
                        r.expect_at_write.as_deref(),
                        Durability::Batched,
                    )?;
                    match replaced {
                        Replaced::Done => summary.restored += 1,
                        Replaced::Drifted => changed.push(format!("  {}", r.path)),
                    }
                }
                None => match std::fs::remove_file(&path) {
                    Ok(()) => summary.removed += 1,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::io("remove", &path, e)),
                },
            }
        }
        if !changed.is_empty() {
            fsutil::sync_filesystem(&root)?;
            return Err(Error::Refused {
                message: format!(
                    "refused to overwrite: {} changed while they were being rolled back, and keep that content; phase `{}` is not rolled back:\n{}",
                    crate::words::count_of(&changed, "file"),
                    journal.checkpoint.phases[i].name,
                    changed.join("\n")
                ),
                help: "let whatever is editing them finish, then `remedy rollback` again: it restores the rest, and lists these as conflicts (`--force` keeps your versions aside)".into(),
            });
        }
        // Folders a report phase created go when they are empty again (deepest first).
        if let Some(Outcome::Report(r)) = &journal.checkpoint.phases[i].outcome {
            for dir in r.created_dirs.iter().rev() {
                let _ = std::fs::remove_dir(dir.to_path(&root));
            }
        }
        // So do folders the phase's programs created (`__pycache__/`, say).
        let mut created_dirs = journal.checkpoint.phases[i].created_dirs.clone();
        created_dirs.sort_by_key(|d| std::cmp::Reverse(d.as_str().matches('/').count()));
        for dir in created_dirs {
            if let Ok(path) = dir.resolve_inside(&root) {
                let _ = std::fs::remove_dir(path);
            }
        }
        fsutil::sync_filesystem(&root)?;
        let rec = &mut journal.checkpoint.phases[i];
        rec.status = PhaseStatus::RolledBack;
        rec.created.clear();
        rec.created_dirs.clear();
        if let Some(Outcome::Patch(o)) = &mut rec.outcome {
            for f in &mut o.files {
                if !matches!(f.state, FileState::Planned | FileState::Drifted) {
                    f.state = FileState::Restored;
                }
            }
        }
        summary.phases.push(rec.name.clone());
        ui.note(format!("rolled back `{}`", rec.name));
        journal.save()?;
    }
    Ok(summary)
}

/// Refuses a rollback whose record names a file it may not write: the root itself, or a path that
/// leads out of the root through a symbolic link in the tree as it is now. (Absolute paths and
/// `..` never load; see [`crate::tree::paths::RelPath`].) Nothing has been written when this fails.
fn check_targets_inside(restores: &[Restore], root: &Path, state: &StateDir) -> Result<()> {
    let bad: Vec<String> = restores
        .iter()
        .filter_map(|r| {
            if r.path.as_str().is_empty() {
                return Some("  `.`: names the root itself, not a file".to_string());
            }
            r.path
                .resolve_inside(root)
                .err()
                .map(|reason| format!("  {reason}"))
        })
        .collect();
    if bad.is_empty() {
        return Ok(());
    }
    Err(Error::Checkpoint(
        checkpoint::CheckpointError::OutsideRoot {
            path: state.checkpoint_path(),
            files: bad,
        },
    ))
}

/// What undoing one phase puts back: the outcome's files, then the files its programs created.
fn restores_of(rec: &PhaseRecord, index: usize) -> Vec<Restore> {
    let mut restores = outcome_restores(rec, index);
    restores.extend(rec.created.iter().map(|f| Restore {
        phase: index,
        path: f.path.clone(),
        expect_now: f.hash.clone(),
        expect_at_write: Some(f.hash.clone()),
        restore_to: None,
        leave_if_changed: crate::tree::created::is_cache(&f.path),
    }));
    restores
}

fn outcome_restores(rec: &PhaseRecord, index: usize) -> Vec<Restore> {
    match &rec.outcome {
        Some(Outcome::Patch(o)) => o
            .files
            .iter()
            // A drifted file was never written: it holds another process's content, which is theirs.
            .filter(|f| {
                !matches!(
                    f.state,
                    FileState::Restored | FileState::Planned | FileState::Drifted
                )
            })
            .map(|f| Restore {
                phase: index,
                path: f.path.clone(),
                expect_now: f.after.clone(),
                expect_at_write: Some(f.after.clone()),
                restore_to: Some((f.before.clone(), f.mode)),
                leave_if_changed: false,
            })
            .collect(),
        Some(Outcome::Report(r)) => r
            .outputs
            .iter()
            .map(|o| Restore {
                phase: index,
                path: o.path.clone(),
                expect_now: o.hash.clone(),
                expect_at_write: Some(o.hash.clone()),
                // A report that replaced a file puts it back; one that created a file removes it.
                restore_to: o
                    .before
                    .clone()
                    .map(|h| (h, o.before_mode.unwrap_or(0o644))),
                leave_if_changed: false,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Puts back the files a cut-short patch phase wrote, before it is run again.
pub(crate) fn rollback_phase_files(
    journal: &mut Journal,
    index: usize,
    force: bool,
    ui: &Ui,
) -> Result<()> {
    if journal.checkpoint.phases[index].outcome.is_none() {
        return Ok(());
    }
    rollback_locked(journal, index, force, ui)?;
    let rec = &mut journal.checkpoint.phases[index];
    rec.outcome = None;
    rec.status = PhaseStatus::Pending;
    journal.save()
}
