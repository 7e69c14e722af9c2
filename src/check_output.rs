//! What `remedy check` prints for programs: a JSON object, or GitHub Actions annotations, so
//! that a plan changed in a pull request shows its problems on the lines that have them.

use std::path::Path;

use serde_json::json;

use crate::plan::{Plan, PlanErrors};
use crate::report::github::{data, property};

/// `{"valid": …, "file": …, "plan": {…} | "errors": [...]}`.
pub(crate) fn json(file: &Path, loaded: &Result<Plan, PlanErrors>) -> String {
    let value = match loaded {
        Ok(plan) => json!({
            "valid": true,
            "file": file,
            "plan": {
                "id": plan.id,
                "title": plan.title,
                "phases": plan.phases.iter().map(|p| json!({"name": p.name, "kind": p.kind})).collect::<Vec<_>>(),
            },
        }),
        Err(errors) => json!({
            "valid": false,
            "file": file,
            "errors": errors.diagnostics.iter().map(|d| json!({
                "path": d.path,
                "line": d.location.map(|l| l.line),
                "col": d.location.map(|l| l.col),
                "message": d.message,
                "help": d.help,
            })).collect::<Vec<_>>(),
        }),
    };
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

/// One `::error` workflow command per problem; nothing for a valid plan.
pub(crate) fn github(loaded: &Result<Plan, PlanErrors>) -> String {
    let Err(errors) = loaded else {
        return String::new();
    };
    let file = errors.file.display().to_string();
    errors
        .diagnostics
        .iter()
        .map(|d| {
            let mut props = format!("file={}", property(&file));
            if let Some(l) = d.location {
                props.push_str(&format!(",line={},col={}", l.line, l.col));
            }
            props.push_str(",title=remedy check");
            let mut message = if d.path.is_empty() {
                d.message.clone()
            } else {
                format!("{}: {}", d.path, d.message)
            };
            if let Some(help) = &d.help {
                message.push_str(&format!("\nhelp: {help}"));
            }
            format!("::error {props}::{}\n", data(&message))
        })
        .collect()
}
