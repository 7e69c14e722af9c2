//! Report phases: where the markdown and JSON reports are written. A report must not land in
//! `.git/`, in another plan's state, on top of the other report, or on a file the plan's own edits
//! may patch, since each of those would lose or corrupt something the run depends on.

use super::super::model::{Phase, PhaseConfig};
use super::super::spec::{PhaseSpec, PlanSpec};
use super::checker::Checker;
use crate::state::STATE_DIR;

/// Validates the output paths of report phase `p` (at `at`).
pub(super) fn validate_report(
    c: &mut Checker,
    at: &str,
    spec: &PlanSpec,
    p: &PhaseSpec,
) -> Option<PhaseConfig> {
    let own_state = format!("{STATE_DIR}/{}", spec.id);
    let mut report_path = |key: &str, written: Option<&str>, default: &str| {
        let path = format!("{at}.{key}");
        let rel = c.rel_path(&path, written.unwrap_or(default))?;
        let first = rel.as_str().split('/').next().unwrap_or("");
        let inside_own_state = rel.as_str().starts_with(&format!("{own_state}/"));
        let refusal = if first == ".git" {
            Some("is inside `.git/`, which belongs to git")
        } else if first == STATE_DIR && !inside_own_state {
            Some("is inside `.remedy/` but not in this plan's own state folder")
        } else if rel.as_str().is_empty() || rel.as_str() == STATE_DIR || rel.as_str() == own_state
        {
            Some("is a folder, not a file")
        } else {
            None
        };
        match refusal {
            Some(why) => {
                c.at_value(
                    &path,
                    format!("the {key} report path `{rel}` {why}"),
                    Some(&format!(
                        "write the report under `{own_state}/` (the default) or to a file of the repository, e.g. `REPORT.{}`",
                        if key == "json" { "json" } else { "md" }
                    )),
                );
                None
            }
            None => Some(rel),
        }
    };
    let md = report_path(
        "markdown",
        p.markdown.as_deref(),
        &format!("{own_state}/report.md"),
    );
    let json = report_path(
        "json",
        p.json.as_deref(),
        &format!("{own_state}/report.json"),
    );
    let (markdown, json) = (md?, json?);
    if markdown == json {
        let key = if p.json.is_some() { "json" } else { "markdown" };
        c.at_value(
            &format!("{at}.{key}"),
            format!("the markdown and json reports would both be written to `{markdown}`"),
            Some("give them different paths, e.g. `markdown: REPORT.md` and `json: report.json`"),
        );
        return None;
    }
    Some(PhaseConfig::Report { markdown, json })
}

/// Reports each report output of `spec` that an edit of the validated `phases` may patch: a report
/// must never overwrite a file the plan's own edits select.
pub(super) fn check_outputs_unpatched(c: &mut Checker, spec: &PlanSpec, phases: &[Phase]) {
    for (i, p) in spec.phases.iter().enumerate() {
        let Some(Phase {
            config: PhaseConfig::Report { markdown, json },
            ..
        }) = phases.iter().find(|ph| ph.name == p.name)
        else {
            continue;
        };
        for (key, out) in [("markdown", markdown), ("json", json)] {
            // The scanner never enters the state folder, so nothing there can be patched.
            if out.as_str().starts_with(&format!("{STATE_DIR}/")) {
                continue;
            }
            let patched_by = phases.iter().find_map(|ph| match &ph.config {
                PhaseConfig::Patch { edits } => edits
                    .iter()
                    .find(|e| e.selection.matches(out.as_str()))
                    .map(|e| (ph.name.clone(), e.name.clone())),
                _ => None,
            });
            if let Some((phase, edit)) = patched_by {
                let at = if p.markdown.is_some() && key == "markdown"
                    || p.json.is_some() && key == "json"
                {
                    format!("phases[{i}].{key}")
                } else {
                    format!("phases[{i}]")
                };
                c.at_value(
                &at,
                format!("report output `{out}` is a file that edit `{edit}` of phase `{phase}` may patch"),
                Some("write reports where no edit looks, e.g. under .remedy/ or reports/ (outside the edits' `files:`)"),
            );
            }
        }
    }
}
