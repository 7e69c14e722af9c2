//! The JSON report: the same facts as the Markdown report, for machines. Its shape is documented in
//! docs/report-json.md and versioned by `schema_version`.

use serde_json::{json, Value};

use crate::state::checkpoint::{Checkpoint, FileState, Outcome, PhaseStatus};

use super::{count_mismatches, next_commands, run_status};

pub(crate) const SCHEMA_VERSION: u32 = 1;

pub(crate) fn render(cp: &Checkpoint) -> String {
    let mut value = to_value(cp);
    if let Some(obj) = value.as_object_mut() {
        obj.insert("schema_version".into(), json!(SCHEMA_VERSION));
    }
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_else(|_| "{}".into());
    text.push('\n');
    text
}

pub(crate) fn to_value(cp: &Checkpoint) -> Value {
    let mut files = Vec::new();
    let mut total_sites = 0u64;
    for p in &cp.phases {
        if p.status == PhaseStatus::RolledBack {
            continue;
        }
        if let Some(Outcome::Patch(o)) = &p.outcome {
            // Files the phase never wrote: refused, or changed by another process first.
            for f in o
                .files
                .iter()
                .filter(|f| !matches!(f.state, FileState::Planned | FileState::Drifted))
            {
                total_sites += f.sites.len() as u64;
                files.push(json!({
                    "phase": p.name,
                    "path": f.path,
                    "lines": f.sites.iter().map(|s| s.line).collect::<Vec<_>>(),
                    "sites": f.sites.len(),
                    "lines_added": f.lines_added,
                    "lines_removed": f.lines_removed,
                    "before": f.before,
                    "after": f.after,
                    "state": f.state,
                }));
            }
        }
    }
    let phases: Vec<Value> = cp
        .phases
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "kind": p.kind,
                "description": p.description,
                "status": p.status,
                "duration_ms": p.duration_ms,
                "summary": p.summary,
                "error": p.error,
                "outcome": p.outcome,
                "created": p.created,
                "created_dirs": p.created_dirs,
                "created_unrecorded": p.created_unrecorded,
            })
        })
        .collect();
    let commands: serde_json::Map<String, Value> =
        next_commands(cp, &cp.root.display().to_string())
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
    json!({
        "schema_version": SCHEMA_VERSION,
        "tool_version": cp.tool_version,
        "plan": {
            "id": cp.plan_id,
            "title": cp.plan_title,
            "description": cp.plan_description,
            "path": cp.plan_path,
        },
        "root": cp.root,
        "git": cp.git,
        "status": run_status(cp),
        "started_at": crate::timefmt::rfc3339(cp.started_at),
        "changes": {
            "files_changed": files.len(),
            "sites_changed": total_sites,
            "files": files,
        },
        "count_mismatches": count_mismatches(cp),
        "phases": phases,
        "commands": commands,
    })
}
