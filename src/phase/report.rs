//! The report phase: Markdown and JSON rendered from the checkpoint, written write-ahead.
//!
//! The phase records its outputs (with their hashes) before writing them, so a rollback finds them
//! even if the process died in between. A report that replaces an existing file first stores that
//! file's image, so a rollback puts it back rather than deleting it.

use std::path::Path;

use crate::error::{Error, Result};
use crate::fsutil::{self, Durability};
use crate::plan::Phase;
use crate::report;
use crate::state::checkpoint::{Outcome, OutputFile, ReportOutcome};
use crate::state::objects::ObjectStore;
use crate::tree::paths::RelPath;

use super::{PhaseContext, PhaseResult};

pub(crate) async fn execute(
    phase: &Phase,
    markdown: &RelPath,
    json: &RelPath,
    ctx: &PhaseContext,
) -> Result<PhaseResult> {
    let Some(journal) = &ctx.journal else {
        return Ok(PhaseResult::skipped_in_dry_run(&format!(
            "would write {markdown} and {json}"
        )));
    };
    ctx.ui.progress(&phase.name, "rendering the report");
    let (mut checkpoint, objects) = {
        let j = journal.lock().await;
        (j.checkpoint.clone(), j.objects())
    };
    // The report describes the run as it stands once this phase has written it: the phase itself
    // is not shown as still running.
    if let Some(rec) = checkpoint.phase_mut(&phase.name) {
        rec.status = crate::state::checkpoint::PhaseStatus::Succeeded;
        rec.summary = Some("this report".into());
    }
    let files = [
        (
            markdown,
            report::markdown::render(&checkpoint, Some(&objects)).into_bytes(),
        ),
        (json, report::json::render(&checkpoint).into_bytes()),
    ];

    let (outputs, created_dirs) = store_images(&files, &ctx.root, &objects)?;
    // Write-ahead, as for patches: images first, then the record, then the files.
    {
        let mut j = journal.lock().await;
        fsutil::sync_filesystem(&j.state.dir)?;
        if let Some(rec) = j.checkpoint.phase_mut(&phase.name) {
            rec.outcome = Some(Outcome::Report(ReportOutcome {
                outputs: outputs.clone(),
                markdown: Some(markdown.clone()),
                created_dirs: created_dirs.clone(),
            }));
        }
        j.save()?;
    }
    for (rel, bytes) in &files {
        let path = rel.to_path(&ctx.root);
        if let Some(parent) = path.parent() {
            fsutil::create_dir_all(parent)?;
        }
        fsutil::write_atomic(&path, bytes, None, Durability::Synced)?;
    }
    let replaced = outputs.iter().filter(|o| o.before.is_some()).count();
    Ok(PhaseResult {
        success: true,
        summary: format!(
            "wrote {markdown} and {json}{}",
            if replaced > 0 {
                format!(
                    " (replacing {} kept for rollback)",
                    if replaced == 1 {
                        "1 existing file,".to_string()
                    } else {
                        format!("{replaced} existing files,")
                    }
                )
            } else {
                String::new()
            }
        ),
        error: None,
        outcome: Some(Outcome::Report(ReportOutcome {
            outputs,
            markdown: Some(markdown.clone()),
            created_dirs,
        })),
    })
}

/// The outputs the phase will write, each with the image of the file it replaces stored first, and
/// the folders it will create for them.
fn store_images(
    files: &[(&RelPath, Vec<u8>)],
    root: &Path,
    objects: &ObjectStore,
) -> Result<(Vec<OutputFile>, Vec<RelPath>)> {
    let mut outputs = Vec::new();
    let mut created_dirs = Vec::new();
    for (rel, bytes) in files {
        let path = rel.resolve_inside(root).map_err(|e| Error::Refused {
            message: e,
            help: "write report files inside the root".into(),
        })?;
        let (before, before_mode) = match std::fs::read(&path) {
            Ok(old) => {
                let hash = fsutil::hash_bytes(&old);
                objects.put(&hash, &old)?;
                let mode = std::fs::metadata(&path).map(|m| fsutil::mode_of(&m)).ok();
                (Some(hash), mode)
            }
            Err(_) => (None, None),
        };
        created_dirs.extend(missing_dirs(root, rel));
        outputs.push(OutputFile {
            path: (*rel).clone(),
            hash: fsutil::hash_bytes(bytes),
            before,
            before_mode,
        });
    }
    created_dirs.sort();
    created_dirs.dedup();
    Ok((outputs, created_dirs))
}

/// The folders above `rel` that do not exist yet, deepest first.
fn missing_dirs(root: &Path, rel: &RelPath) -> Vec<RelPath> {
    let mut out = Vec::new();
    let mut dir = rel.parent();
    while !dir.is_empty() && !root.join(dir).exists() {
        if let Ok(p) = RelPath::parse(dir) {
            out.push(p);
        }
        dir = dir.rfind('/').map_or("", |i| &dir[..i]);
    }
    out
}
