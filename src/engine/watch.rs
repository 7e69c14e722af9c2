//! Around a phase that runs programs (tests, commands): the tree is listed before and after it,
//! so that what the programs created is recorded in the phase's record (see
//! [`crate::tree::created`]) and a rollback can remove it.

use std::collections::HashMap;
use std::path::Path;

use crate::error::Result;
use crate::phase::{self, SharedJournal};
use crate::plan::{CheckKind, Phase, PhaseConfig, PhaseKind};

/// Whether a phase runs programs that may write into the tree, so that what they create is
/// recorded (see [`crate::tree::created`]): a pytest or command phase, or a validate phase with a
/// `command` check. Listing a large tree twice costs about as much as a check.
pub(super) fn runs_programs(phase: &Phase) -> bool {
    match (&phase.kind, &phase.config) {
        (PhaseKind::Pytest | PhaseKind::Command, _) => true,
        (PhaseKind::Validate, PhaseConfig::Validate { checks }) => checks
            .iter()
            .any(|c| matches!(c.kind, CheckKind::Command { .. })),
        _ => false,
    }
}

/// Before a phase that runs programs: the tree's listing, and the current hashes of the files
/// earlier phases created.
pub(super) type Watch = (
    crate::tree::created::TreeListing,
    HashMap<crate::tree::paths::RelPath, Option<String>>,
);

pub(super) async fn start_watch(root: &Path, journal: &SharedJournal) -> Result<Watch> {
    let records = journal.lock().await.checkpoint.phases.clone();
    let root = root.to_path_buf();
    phase::blocking(move || {
        (
            crate::tree::created::TreeListing::take(&root),
            crate::tree::created::hashes_of_created(&records, &root),
        )
    })
    .await
}

/// After the phase at `index`: records what appeared in the tree, and follows what it changed of
/// files earlier phases created.
pub(super) async fn end_watch(
    root: &Path,
    journal: &SharedJournal,
    index: usize,
    watch: Watch,
) -> Result<()> {
    let (listing, earlier) = watch;
    let root2 = root.to_path_buf();
    let appeared = phase::blocking(move || listing.appeared_since(&root2)).await?;
    let mut j = journal.lock().await;
    crate::tree::created::follow_created(&mut j.checkpoint.phases, &earlier, root);
    if let Some(rec) = j.checkpoint.phases.get_mut(index) {
        for file in appeared.files {
            rec.created.retain(|f| f.path != file.path);
            rec.created.push(file);
        }
        rec.created.sort_by(|a, b| a.path.cmp(&b.path));
        for dir in appeared.dirs {
            if !rec.created_dirs.contains(&dir) {
                rec.created_dirs.push(dir);
            }
        }
        rec.created_dirs.sort();
        rec.created_unrecorded.extend(appeared.unrecorded);
    }
    Ok(())
}
