//! The phase kinds, one module each, behind one `execute` entry point.
//!
//! A phase computes its effect and reports it as an [`Outcome`]; the engine records that outcome in
//! the checkpoint. Only the patch phase writes to the checkpoint itself, because its write-ahead
//! record must be durable before the first target file is replaced.

pub mod backup;
pub mod command;
pub mod patch;
pub mod pytest;
pub mod report;
pub mod validate;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::checkpoint::{Checkpoint, Outcome, PytestOutcome, StateDir};
use crate::edit::prefilter::{Gate, Needles};
use crate::edit::symbols::ModuleIndex;
use crate::edit::EditContext;
use crate::error::Result;
use crate::objects::ObjectStore;
use crate::paths::RelPath;
use crate::plan::{Phase, PhaseConfig, Plan};
use crate::process::ChildGroups;
use crate::scan;
use crate::ui::Ui;

/// The checkpoint and where it lives, shared by the engine and the patch phase.
#[derive(Debug)]
pub struct Journal {
    pub checkpoint: Checkpoint,
    pub state: StateDir,
}

impl Journal {
    pub fn save(&mut self) -> Result<()> {
        self.checkpoint.save(&self.state)
    }

    pub fn objects(&self) -> ObjectStore {
        ObjectStore::new(self.state.objects_dir())
    }
}

pub type SharedJournal = Arc<tokio::sync::Mutex<Journal>>;

/// What a phase gets to work with.
#[derive(Debug, Clone)]
pub struct PhaseContext {
    pub root: PathBuf,
    pub plan: Arc<Plan>,
    pub ui: Ui,
    pub groups: ChildGroups,
    /// `None` in a dry run: nothing is recorded and nothing is written.
    pub journal: Option<SharedJournal>,
    /// In a dry run, the content patch phases would have written, so later checks see it.
    pub overlay: Arc<Mutex<HashMap<RelPath, String>>>,
    /// On resume, the results of pytest phases that failed, by phase name: their suites that
    /// passed are taken over instead of run again. Empty on a fresh run or with `--all-suites`.
    pub reusable: Arc<HashMap<String, PytestOutcome>>,
    /// The changes a backup phase computed for the patch phase it protects, kept so that the patch
    /// phase does not walk and read the whole tree a second time. See [`PhaseContext::keep_scan`].
    pub kept_scan: Arc<Mutex<Option<KeptScan>>>,
}

/// A scan kept for one patch phase.
#[derive(Debug)]
pub struct KeptScan {
    pub patch_phase: String,
    pub changes: Arc<patch::ChangeSet>,
}

impl PhaseContext {
    pub fn is_dry_run(&self) -> bool {
        self.journal.is_none()
    }

    /// A file's text as the run sees it: the dry-run overlay first, then the disk.
    pub fn read_text(
        &self,
        rel: &RelPath,
        path: &Path,
    ) -> std::io::Result<std::result::Result<String, &'static str>> {
        if let Some(text) = self.overlaid(rel) {
            return Ok(Ok(text));
        }
        Ok(scan::text_of(&scan::read_file(path)?).map(str::to_string))
    }

    /// A file's bytes as the run sees them, if they hold `needles` (at least one entry's):
    /// see [`scan::read_if`]. A file of the dry-run overlay is returned as it is.
    pub fn read_if_needed(
        &self,
        rel: &RelPath,
        path: &Path,
        needles: Vec<&Needles>,
    ) -> std::io::Result<Option<Vec<u8>>> {
        if let Some(text) = self.overlaid(rel) {
            return Ok(Some(text.into_bytes()));
        }
        let gate = Gate::new(needles);
        scan::read_if(path, gate.overlap(), |window| gate.admits(window))
    }

    fn overlaid(&self, rel: &RelPath) -> Option<String> {
        self.overlay
            .lock()
            .expect("overlay holders do not panic")
            .get(rel)
            .cloned()
    }

    /// Keeps the changes computed for patch phase `patch_phase`, for that phase to use. A kept scan
    /// describes the tree only as long as nothing writes to it: [`execute`] forgets it before every
    /// phase that may write (pytest, command, report; patch phases take or drop it themselves), and
    /// the patch phase's drift check still proves that each file it changes is the one scanned.
    pub fn keep_scan(&self, patch_phase: &str, changes: Arc<patch::ChangeSet>) {
        *self
            .kept_scan
            .lock()
            .expect("kept-scan holders do not panic") = Some(KeptScan {
            patch_phase: patch_phase.to_string(),
            changes,
        });
    }

    /// The scan kept for patch phase `patch_phase`, if that is the one kept; any kept scan is gone
    /// afterwards, because the patch phase is about to write.
    pub fn take_scan(&self, patch_phase: &str) -> Option<Arc<patch::ChangeSet>> {
        let kept = self
            .kept_scan
            .lock()
            .expect("kept-scan holders do not panic")
            .take()?;
        (kept.patch_phase == patch_phase).then_some(kept.changes)
    }

    fn forget_scan(&self) {
        self.kept_scan
            .lock()
            .expect("kept-scan holders do not panic")
            .take();
    }
}

impl PhaseContext {
    /// What structural edits and checks share in this phase: other modules are read as the run
    /// sees them (overlay first), and never through a symbolic link that leads out of the root.
    pub fn edit_context(&self) -> EditContext {
        let ctx = self.clone();
        EditContext::new(ModuleIndex::new(Box::new(move |rel: &RelPath| {
            let path = rel.resolve_inside(&ctx.root).ok()?;
            if !path.is_file() {
                return None;
            }
            ctx.read_text(rel, &path).ok()?.ok()
        })))
    }
}

/// How a phase ended.
#[derive(Debug, Clone)]
pub struct PhaseReport {
    pub success: bool,
    pub summary: String,
    /// Why it failed, when it did.
    pub error: Option<String>,
    pub outcome: Option<Outcome>,
}

impl PhaseReport {
    pub fn skipped_in_dry_run(what: &str) -> PhaseReport {
        PhaseReport {
            success: true,
            summary: format!("not run in a dry run ({what})"),
            error: None,
            outcome: None,
        }
    }
}

/// Runs one phase to its end.
pub async fn execute(phase: &Phase, ctx: &PhaseContext) -> Result<PhaseReport> {
    // Validate and backup phases only read the tree; patch phases take the kept scan themselves.
    // Anything else may change the tree, which makes a kept scan stale.
    if !matches!(
        phase.config,
        PhaseConfig::Validate { .. } | PhaseConfig::Backup { .. } | PhaseConfig::Patch { .. }
    ) {
        ctx.forget_scan();
    }
    match &phase.config {
        PhaseConfig::Validate { checks } => validate::execute(phase, checks, ctx).await,
        PhaseConfig::Backup { patch_phases } => backup::execute(phase, patch_phases, ctx).await,
        PhaseConfig::Patch { edits } => patch::execute(phase, edits, ctx).await,
        PhaseConfig::Pytest(config) => pytest::execute(phase, config, ctx).await,
        PhaseConfig::Report { markdown, json } => report::execute(phase, markdown, json, ctx).await,
        PhaseConfig::Command(config) => command::execute(phase, config, ctx).await,
    }
}

/// A file name made from free text (suite and phase names): safe characters only.
pub fn slug(text: &str) -> String {
    let s: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    s.trim_matches('-').to_string()
}

/// Runs blocking work on the blocking pool, turning a panic into an error.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| crate::error::Error::Other(anyhow::anyhow!("a worker task failed: {e}")))
}
