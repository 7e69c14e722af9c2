//! What a phase gets to work with: the root, the plan, the terminal, the journal (the checkpoint
//! and where it lives), and what phases hand on to later ones in the same run: the dry-run overlay,
//! the results a resumed pytest phase may reuse, the scan a backup phase keeps for its patch
//! phase, the index of the tree's modules that every symbol-aware check and edit shares, and the
//! files known to lack what the run looks for.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::{patch, PhaseResult};
use crate::edit::prefilter::{Gate, Needles};
use crate::edit::symbols::ModuleIndex;
use crate::edit::EditContext;
use crate::error::Result;
use crate::plan::{CheckKind, EditKind, Phase, PhaseConfig, Plan};
use crate::process::ChildGroups;
use crate::state::checkpoint::{Checkpoint, Outcome, PytestOutcome, StateDir};
use crate::state::objects::ObjectStore;
use crate::tree::absent::AbsenceMemo;
use crate::tree::listing::ListingMemo;
use crate::tree::paths::RelPath;
use crate::tree::scan;
use crate::ui::Ui;

/// The checkpoint and where it lives, shared by the engine and the patch phase.
#[derive(Debug)]
pub(crate) struct Journal {
    pub(crate) checkpoint: Checkpoint,
    pub(crate) state: StateDir,
}

impl Journal {
    pub(crate) fn save(&mut self) -> Result<()> {
        self.checkpoint.save(&self.state)
    }

    pub(crate) fn objects(&self) -> ObjectStore {
        ObjectStore::new(self.state.objects_dir())
    }
}

pub(crate) type SharedJournal = Arc<tokio::sync::Mutex<Journal>>;

/// What a phase gets to work with.
#[derive(Debug, Clone)]
pub(crate) struct PhaseContext {
    pub(crate) root: PathBuf,
    pub(crate) plan: Arc<Plan>,
    pub(crate) ui: Ui,
    pub(crate) groups: ChildGroups,
    /// `None` in a dry run: nothing is recorded and nothing is written.
    pub(crate) journal: Option<SharedJournal>,
    /// In a dry run, the content patch phases would have written, so later checks see it.
    pub(crate) overlay: Arc<Mutex<HashMap<RelPath, String>>>,
    /// On resume, the results of pytest phases that failed, by phase name: their suites that
    /// passed are taken over instead of run again. Empty on a fresh run or with `--all-suites`.
    pub(crate) reusable: Arc<HashMap<String, PytestOutcome>>,
    /// The changes a backup phase computed for the patch phase it protects, kept so that the patch
    /// phase does not walk and read the whole tree a second time. See [`PhaseContext::keep_scan`].
    pub(crate) kept_scan: Arc<Mutex<Option<KeptScan>>>,
    /// What the tree's modules export, built once per run and shared by the checks and edits of
    /// every phase; see [`PhaseContext::forget_changed_modules`] for when parts of it are read
    /// again.
    pub(crate) modules: ModuleIndex,
    /// The files the backup phases of this run found the patch phases will change, for an
    /// affected selection in a dry run (a real run reads them from the checkpoint).
    pub(crate) planned_changes: Arc<Mutex<Vec<String>>>,
    /// The files this run read through without finding the needles it looked for, so that a
    /// later phase looking for the same ones does not read them again; `None` when the plan walks
    /// the root once at most, which then saves the cost of remembering.
    pub(crate) absent: Option<Arc<AbsenceMemo>>,
    /// What the last walk of the root met, for later walks while it still holds (`None` as for
    /// `absent`).
    pub(crate) listing: Option<Arc<ListingMemo>>,
    /// The symbols of the plan's symbol-aware checks and edits (see [`EditContext::symbols`]).
    pub(crate) symbols: Arc<Vec<String>>,
}

/// A scan kept for one patch phase.
#[derive(Debug)]
pub(crate) struct KeptScan {
    pub(crate) patch_phase: String,
    pub(crate) changes: Arc<patch::ChangeSet>,
}

impl PhaseContext {
    pub(crate) fn is_dry_run(&self) -> bool {
        self.journal.is_none()
    }

    /// A file's text as the run sees it: the dry-run overlay first, then the disk.
    pub(crate) fn read_text(
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
    pub(crate) fn read_if_needed(
        &self,
        rel: &RelPath,
        path: &Path,
        needles: Vec<&Needles>,
    ) -> std::io::Result<Option<Vec<u8>>> {
        if let Some(text) = self.overlaid(rel) {
            return Ok(Some(text.into_bytes()));
        }
        let gate = Gate::new(needles);
        let strings = self.absent.as_ref().and_then(|_| gate.strings());
        let absent = self.absent.as_deref().zip(strings.as_deref());
        if let Some((absent, strings)) = absent {
            if absent.holds_none(rel, path, strings) {
                return Ok(None);
            }
        }
        let (bytes, seen) = scan::read_if_seen(
            path,
            gate.overlap(),
            |window| gate.admits(window),
            absent.is_some(),
        )?;
        if let (None, Some(seen), Some((absent, strings))) = (&bytes, seen, absent) {
            absent.remember(rel, seen, strings);
        }
        Ok(bytes)
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
    ///
    /// [`execute`]: super::execute
    pub(crate) fn keep_scan(&self, patch_phase: &str, changes: Arc<patch::ChangeSet>) {
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
    pub(crate) fn take_scan(&self, patch_phase: &str) -> Option<Arc<patch::ChangeSet>> {
        let kept = self
            .kept_scan
            .lock()
            .expect("kept-scan holders do not panic")
            .take()?;
        (kept.patch_phase == patch_phase).then_some(kept.changes)
    }

    pub(super) fn forget_scan(&self) {
        self.kept_scan
            .lock()
            .expect("kept-scan holders do not panic")
            .take();
    }
}

impl PhaseContext {
    /// The context of a run over `root`: an empty overlay, no kept scan, and an index of the
    /// tree's modules that nothing has read yet.
    pub(crate) fn new(
        root: &Path,
        plan: Arc<Plan>,
        ui: Ui,
        groups: ChildGroups,
        journal: Option<SharedJournal>,
        reusable: HashMap<String, PytestOutcome>,
    ) -> PhaseContext {
        let overlay = Arc::new(Mutex::new(HashMap::new()));
        let remembers = walks_in(&plan) > 1;
        let symbols = Arc::new(symbols_in(&plan));
        PhaseContext {
            root: root.to_path_buf(),
            plan,
            ui,
            groups,
            journal,
            modules: run_modules(root.to_path_buf(), overlay.clone()),
            overlay,
            reusable: Arc::new(reusable),
            kept_scan: Arc::default(),
            planned_changes: Arc::default(),
            absent: remembers.then(Arc::default),
            listing: remembers.then(Arc::default),
            symbols,
        }
    }

    /// What structural edits and checks share in this phase: the run's index of modules, and a
    /// count of the files this phase parses.
    pub(crate) fn edit_context(&self) -> EditContext {
        EditContext::with_symbols(self.modules.clone(), self.symbols.clone())
    }

    /// Makes the index of modules forget what `phase` (which ended with `result`, if it ended)
    /// may have changed. Validate and backup phases only read. A patch phase changes the files
    /// its outcome lists, on disk or in a dry run's overlay, and nothing else; one without an
    /// outcome may have written any of them. Every other kind runs programs or writes reports,
    /// which may change anything.
    pub(crate) fn forget_changed_modules(&self, phase: &Phase, result: Option<&PhaseResult>) {
        match (&phase.config, result.and_then(|r| r.outcome.as_ref())) {
            (PhaseConfig::Validate { .. } | PhaseConfig::Backup { .. }, _) => {}
            (PhaseConfig::Patch { .. }, Some(Outcome::Patch(outcome))) => {
                self.modules
                    .forget_files(outcome.files.iter().map(|f| &f.path));
            }
            _ => self.modules.forget_all(),
        }
    }
}

/// How many of `plan`'s phases walk the whole root: validate phases with a `pattern` or `python`
/// check, backup phases, and patch phases but one that a backup phase protecting it alone hands
/// its scan.
fn walks_in(plan: &Plan) -> usize {
    let handed: Vec<&str> = plan
        .phases
        .iter()
        .filter_map(|p| match &p.config {
            PhaseConfig::Backup { patch_phases } if patch_phases.len() == 1 => {
                Some(patch_phases[0].as_str())
            }
            _ => None,
        })
        .collect();
    plan.phases
        .iter()
        .filter(|p| match &p.config {
            PhaseConfig::Validate { checks } => checks.iter().any(|c| {
                matches!(
                    c.kind,
                    CheckKind::Pattern { .. } | CheckKind::Structural { .. }
                )
            }),
            PhaseConfig::Backup { .. } => true,
            PhaseConfig::Patch { .. } => !handed.contains(&p.name.as_str()),
            _ => false,
        })
        .count()
}

/// The symbols of `plan`'s symbol-aware `python` checks and edits, sorted, each once.
fn symbols_in(plan: &Plan) -> Vec<String> {
    let mut symbols: Vec<String> = plan
        .phases
        .iter()
        .flat_map(|p| {
            let queries: Vec<&crate::edit::structural::Query> = match &p.config {
                PhaseConfig::Validate { checks } => checks
                    .iter()
                    .filter_map(|c| match &c.kind {
                        CheckKind::Structural { query, .. } => Some(query.as_ref()),
                        _ => None,
                    })
                    .collect(),
                PhaseConfig::Patch { edits } => edits
                    .iter()
                    .filter_map(|e| match &e.kind {
                        EditKind::Python { query, .. } => Some(query.as_ref()),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            queries
                .into_iter()
                .filter_map(|q| q.pattern.symbol().map(str::to_string))
                .collect::<Vec<_>>()
        })
        .collect();
    symbols.sort();
    symbols.dedup();
    symbols
}

/// The index of the modules under `root` as the run sees them (the dry-run `overlay` first),
/// never read through a symbolic link that leads out of the root.
fn run_modules(root: PathBuf, overlay: Arc<Mutex<HashMap<RelPath, String>>>) -> ModuleIndex {
    ModuleIndex::new(Box::new(move |rel: &RelPath| {
        let overlaid = overlay
            .lock()
            .expect("overlay holders do not panic")
            .get(rel)
            .cloned();
        if overlaid.is_some() {
            return overlaid;
        }
        let path = rel.resolve_inside(&root).ok()?;
        if !path.is_file() {
            return None;
        }
        let bytes = scan::read_file(&path).ok()?;
        scan::text_of(&bytes).ok().map(str::to_string)
    }))
}
