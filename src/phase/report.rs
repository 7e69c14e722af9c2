//! The report phase: Markdown and JSON rendered from the checkpoint, written atomically.

use crate::checkpoint::{Outcome, OutputFile, ReportOutcome};
use crate::error::Result;
use crate::fsutil::{self, Durability};
use crate::paths::RelPath;
use crate::plan::Phase;
use crate::report;

use super::{PhaseContext, PhaseReport};

pub async fn execute(
    phase: &Phase,
    markdown: &RelPath,
    json: &RelPath,
    ctx: &PhaseContext,
) -> Result<PhaseReport> {
    let Some(journal) = &ctx.journal else {
        return Ok(PhaseReport::skipped_in_dry_run(&format!(
            "would write {markdown} and {json}"
        )));
    };
    ctx.ui.progress(&phase.name, "rendering the report");
    let checkpoint = journal.lock().await.checkpoint.clone();
    let md = report::markdown::render(&checkpoint);
    let js = report::json::render(&checkpoint);
    let mut outputs = Vec::new();
    for (rel, bytes) in [(markdown, md.into_bytes()), (json, js.into_bytes())] {
        let path = rel
            .resolve_inside(&ctx.root)
            .map_err(|e| crate::error::Error::Refused {
                message: e,
                help: "write report files inside the root".into(),
            })?;
        if let Some(parent) = path.parent() {
            fsutil::create_dir_all(parent)?;
        }
        fsutil::write_atomic(&path, &bytes, None, Durability::Synced)?;
        outputs.push(OutputFile {
            path: rel.clone(),
            hash: fsutil::hash_bytes(&bytes),
        });
    }
    Ok(PhaseReport {
        success: true,
        summary: format!("wrote {markdown} and {json}"),
        error: None,
        outcome: Some(Outcome::Report(ReportOutcome { outputs })),
    })
}
