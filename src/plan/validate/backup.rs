//! Backup phases. A backup protects the patch phases after it, all of them or those it lists; a
//! backup that would protect nothing, or names a phase it cannot protect, is refused up front
//! rather than discovered when a rollback finds nothing to restore.

use super::super::error::did_you_mean;
use super::super::model::PhaseConfig;
use super::super::spec::{PhaseKind, PlanSpec};
use super::checker::Checker;

/// Validates backup phase `index` of `spec` (at `at`).
pub(super) fn validate_backup(
    c: &mut Checker,
    at: &str,
    spec: &PlanSpec,
    index: usize,
) -> Option<PhaseConfig> {
    let later_patches: Vec<&str> = spec.phases[index + 1..]
        .iter()
        .filter(|p| p.kind == PhaseKind::Patch)
        .map(|p| p.name.as_str())
        .collect();
    let phase = &spec.phases[index];
    let listed = if later_patches.is_empty() {
        "there is no patch phase after this backup".to_string()
    } else {
        format!(
            "patch phases after this backup: {}",
            later_patches.join(", ")
        )
    };
    let names = match &phase.phases {
        Some(names) if names.is_empty() => {
            c.at_value(
                &format!("{at}.phases"),
                "`phases` is empty, so the backup would protect nothing",
                Some(&format!("list the patch phases to back up, or remove `phases` to back up every later one; {listed}")),
            );
            return None;
        }
        Some(names) => {
            if !check_listed(c, at, spec, names, &later_patches, &listed) {
                return None;
            }
            names.clone()
        }
        None => later_patches.iter().map(|s| s.to_string()).collect(),
    };
    if names.is_empty() {
        c.at_value(
            at,
            format!(
                "backup phase `{}` has no later patch phase to back up",
                phase.name
            ),
            Some(&move_backup_help(spec, index)),
        );
        return None;
    }
    Some(PhaseConfig::Backup {
        patch_phases: names,
    })
}

/// Checks that every phase a backup lists in `names` is one of the `later_patches`; `listed` is
/// the help that names those. True when all are.
fn check_listed(
    c: &mut Checker,
    at: &str,
    spec: &PlanSpec,
    names: &[String],
    later_patches: &[&str],
    listed: &str,
) -> bool {
    let mut ok = true;
    for (k, n) in names.iter().enumerate() {
        if !later_patches.contains(&n.as_str()) {
            let message = match spec.phases.iter().position(|q| q.name == *n) {
                Some(j) if spec.phases[j].kind != PhaseKind::Patch => format!(
                    "`{n}` is a {} phase; a backup protects patch phases",
                    spec.phases[j].kind
                ),
                Some(_) => format!(
                    "`{n}` runs before this backup, so its files would be backed up too late"
                ),
                None => format!("`{n}` is not a phase of this plan"),
            };
            let is_phase = spec.phases.iter().any(|q| q.name == *n);
            let help = match did_you_mean(n, later_patches.iter().copied()) {
                Some(s) if !is_phase => format!("did you mean `{s}`?"),
                _ => listed.to_string(),
            };
            c.at_value(&format!("{at}.phases[{k}]"), message, Some(&help));
            ok = false;
        }
    }
    ok
}

/// What to do about backup phase `index` that no patch phase follows.
fn move_backup_help(spec: &PlanSpec, index: usize) -> String {
    match spec.phases[..index]
        .iter()
        .find(|p| p.kind == PhaseKind::Patch)
    {
        Some(earlier) => format!(
            "move the backup phase before `{}`, the patch phase it should protect",
            earlier.name
        ),
        None => "put the backup phase before the patch phases it protects".to_string(),
    }
}
