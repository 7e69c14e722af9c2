//! What `remedy check` prints for programs: a JSON object, or GitHub Actions annotations, so
//! that a plan changed in a pull request shows its problems on the lines that have them. The
//! warnings of a valid plan are given too (`warnings`, `::warning`); they do not fail it.

use std::path::Path;

use serde_json::json;

use crate::plan::{Diagnostic, Plan, PlanErrors};
use crate::report::github::{data, property};

/// `{"valid": …, "file": …, "plan": {…}, "warnings": [...] | "errors": [...]}`.
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
            "warnings": plan.warnings.iter().map(diagnostic).collect::<Vec<_>>(),
        }),
        Err(errors) => json!({
            "valid": false,
            "file": file,
            "errors": errors.diagnostics.iter().map(diagnostic).collect::<Vec<_>>(),
        }),
    };
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

fn diagnostic(d: &Diagnostic) -> serde_json::Value {
    json!({
        "path": d.path,
        "line": d.location.map(|l| l.line),
        "col": d.location.map(|l| l.col),
        "message": d.message,
        "help": d.help,
    })
}

/// One `::error` workflow command per problem of an invalid plan; one `::warning` per warning of
/// a valid one.
pub(crate) fn github(file: &Path, loaded: &Result<Plan, PlanErrors>) -> String {
    match loaded {
        Ok(plan) => annotations("warning", &file.display().to_string(), &plan.warnings),
        Err(errors) => annotations(
            "error",
            &errors.file.display().to_string(),
            &errors.diagnostics,
        ),
    }
}

/// One `::LEVEL` workflow command per diagnostic.
fn annotations(level: &str, file: &str, diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|d| {
            let mut props = format!("file={}", property(file));
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
            format!("::{level} {props}::{}\n", data(&message))
        })
        .collect()
}
