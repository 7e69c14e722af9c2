//! Temporary files a killed run left next to the files it was replacing: removed when they hold
//! one of the run's own images, kept aside when they may be another process's content.

use crate::error::Result;
use crate::fsutil;
use crate::state::checkpoint::{Checkpoint, Outcome, StateDir};
use crate::state::objects::ObjectStore;
use crate::timefmt;
use crate::ui::Ui;

/// Clears the temporary files that a killed run left next to the files it was replacing. One that
/// holds neither a before- nor an after-image of the run may be another process's version of a file
/// (a replacement killed between its exchange and the exchange back): it is kept aside under the
/// run's `conflicts/` folder, and noted.
pub(crate) fn remove_leftovers(cp: &Checkpoint, state: &StateDir, ui: &Ui) -> Result<()> {
    let mut dirs = std::collections::BTreeSet::new();
    for rec in &cp.phases {
        match &rec.outcome {
            Some(Outcome::Patch(o)) => {
                dirs.extend(o.files.iter().map(|f| f.path.parent().to_string()))
            }
            Some(Outcome::Report(r)) => {
                dirs.extend(r.outputs.iter().map(|f| f.path.parent().to_string()))
            }
            _ => {}
        }
    }
    let objects = ObjectStore::new(state.objects_dir());
    let aside = state
        .dir
        .join("conflicts")
        .join(timefmt::rfc3339(timefmt::now_ms()).replace(':', "-"))
        .join("leftovers");
    for dir in dirs {
        // A folder that now leads out of the root through a link is not remedy's to clean.
        let Ok(rel) = crate::tree::paths::RelPath::parse(&dir) else {
            continue;
        };
        let Ok(path) = rel.resolve_inside(&cp.root) else {
            continue;
        };
        let moved = fsutil::clear_temp_files(
            &path,
            |bytes| objects.contains(&fsutil::hash_bytes(bytes)),
            &aside.join(&dir),
        )?;
        for kept in moved {
            ui.note(format!(
                "a temporary file in {} held content remedy does not know (possibly another process's version of a file there); kept at {}",
                path.display(),
                kept.display()
            ));
        }
    }
    fsutil::remove_stale_temp_files(&state.dir);
    Ok(())
}
