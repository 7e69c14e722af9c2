//! Reports rendered from the checkpoint alone, so `remedy report` can be rerun at any time.

pub(crate) mod commit;
mod diff_excerpt;
mod facts;
pub(crate) mod github;
pub(crate) mod json;
pub(crate) mod markdown;
pub(crate) mod pr;
pub(crate) mod selection;

use crate::plan::PhaseKind;
use crate::state::checkpoint::{Checkpoint, Outcome, PhaseStatus};

/// The run's overall state, from its phases.
pub(crate) fn run_status(cp: &Checkpoint) -> &'static str {
    let statuses: Vec<PhaseStatus> = cp.phases.iter().map(|p| p.status).collect();
    if statuses.contains(&PhaseStatus::Failed) {
        "failed"
    } else if statuses.contains(&PhaseStatus::Interrupted) {
        "interrupted"
    } else if !statuses.is_empty() && statuses.iter().all(|s| *s == PhaseStatus::RolledBack) {
        "rolled_back"
    } else if cp.phases.iter().all(|p| {
        p.status == PhaseStatus::Succeeded
            || (p.kind == PhaseKind::Report && p.status == PhaseStatus::Running)
    }) {
        "succeeded"
    } else {
        "incomplete"
    }
}

/// The repository's name for people: its `origin` remote when it has one, else its folder's name.
/// Never the full path, which says where it sits on one machine and nothing to anyone else.
pub(crate) fn repository_name(cp: &Checkpoint) -> String {
    cp.git
        .as_ref()
        .and_then(|g| g.remote.clone())
        .or_else(|| {
            cp.root
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| ".".to_string())
}

/// A path as the report shows it: relative to the root when it is inside it.
pub(crate) fn shown_path(cp: &Checkpoint, path: &str) -> String {
    std::path::Path::new(path)
        .strip_prefix(&cp.root)
        .map(|rel| rel.display().to_string())
        .unwrap_or_else(|_| path.to_string())
}

/// Sites changed by all patch phases that are in effect.
pub(crate) fn changed_sites(cp: &Checkpoint) -> u64 {
    cp.phases
        .iter()
        .filter(|p| p.status == PhaseStatus::Succeeded)
        .filter_map(|p| match &p.outcome {
            Some(Outcome::Patch(o)) => {
                Some(o.files.iter().map(|f| f.sites.len() as u64).sum::<u64>())
            }
            _ => None,
        })
        .sum()
}

/// A validate check whose count disagrees with what the patch phases changed: a plan whose
/// precondition under- or over-counts the work is a planning error a reviewer must see.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct CountMismatch {
    pub(crate) phase: String,
    pub(crate) check: String,
    pub(crate) counted: u64,
    pub(crate) changed: u64,
}

pub(crate) fn count_mismatches(cp: &Checkpoint) -> Vec<CountMismatch> {
    let first_patch = cp.phases.iter().position(|p| p.kind == PhaseKind::Patch);
    let Some(first_patch) = first_patch else {
        return Vec::new();
    };
    let changed = changed_sites(cp);
    if changed == 0 {
        return Vec::new();
    }
    // A precondition may describe the whole patch or the work of one edit (code and
    // documentation examples are often counted apart).
    let per_edit: Vec<u64> = cp
        .phases
        .iter()
        .filter(|p| p.status == PhaseStatus::Succeeded)
        .filter_map(|p| match &p.outcome {
            Some(Outcome::Patch(o)) => Some(o.edits.iter().map(|e| e.sites)),
            _ => None,
        })
        .flatten()
        .collect();
    let mut out = Vec::new();
    for p in &cp.phases[..first_patch] {
        if let Some(Outcome::Validate(v)) = &p.outcome {
            // A count of sites meant to stay, or of anything else, is not the patch's work.
            for c in v.checks.iter().filter(|c| c.counts.is_none()) {
                if let Some(count) = c.count {
                    if count > 0 && count != changed && !per_edit.contains(&count) {
                        out.push(CountMismatch {
                            phase: p.name.clone(),
                            check: c.name.clone(),
                            counted: count,
                            changed,
                        });
                    }
                }
            }
        }
    }
    out
}

/// The commands that continue or undo this run.
/// The commands that continue or undo the run, with `root` as their `--root`: the full path for
/// machines, `.` in the report people paste (whose commands run from the repository's root).
pub(crate) fn next_commands(cp: &Checkpoint, root: &str) -> Vec<(String, String)> {
    let plan = &cp.plan_id;
    let mut cmds = vec![
        (
            "status".to_string(),
            format!("remedy status --root {root} --plan {plan}"),
        ),
        (
            "resume".to_string(),
            format!("remedy resume --root {root} --plan {plan}"),
        ),
    ];
    if let Some(p) = cp
        .phases
        .iter()
        .find(|p| p.kind == PhaseKind::Patch && p.status == PhaseStatus::Succeeded)
    {
        cmds.push((
            format!("undo `{}` and later phases", p.name),
            format!("remedy rollback {} --root {root} --plan {plan}", p.name),
        ));
    }
    cmds.push((
        "undo the whole run".to_string(),
        format!("remedy rollback --all --root {root} --plan {plan}"),
    ));
    cmds
}
