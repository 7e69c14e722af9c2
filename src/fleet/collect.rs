//! `fleet collect`: shard outputs merged into one fleet state (and their reports and bundles into
//! one folder), refused unless every shard of one fleet is there exactly once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::FleetError;
use super::out;
use super::run::absolute;
use super::shard::Shard;
use super::state::{FleetState, STATE_FILE};
use crate::error::Result;

/// Merges the shard outputs `dirs` into `workspace`, and returns the merged state.
pub(crate) fn collect(dirs: &[PathBuf], workspace: &Path) -> Result<FleetState> {
    let ws = absolute(workspace);
    let mut shards: Vec<(PathBuf, FleetState)> = Vec::new();
    for dir in dirs {
        let dir = absolute(dir);
        let state = FleetState::load_from(&dir)?;
        shards.push((dir, state));
    }
    let merged = merge(&shards)?;
    if ws.join(STATE_FILE).exists() {
        match FleetState::load_from(&ws) {
            Ok(existing) if !existing.collected_from.is_empty() => {}
            _ => {
                return Err(FleetError::Collect {
                    message: format!(
                        "`{}` holds a fleet run's workspace; collect into a new folder",
                        ws.display()
                    ),
                }
                .into())
            }
        }
    }
    crate::fsutil::create_dir_all(&ws)?;
    for (dir, _) in &shards {
        out::copy_results(dir, &ws)?;
    }
    let mut merged = merged;
    merged.workspace = ws.clone();
    merged.save_in(&ws)?;
    Ok(merged)
}

/// The merge itself: same plan, list and shard count everywhere; every shard once; every
/// repository of the list once.
pub(crate) fn merge(shards: &[(PathBuf, FleetState)]) -> Result<FleetState, FleetError> {
    let err = |message: String| FleetError::Collect { message };
    let Some((first_dir, first)) = shards.first() else {
        return Err(err("no shard output given".into()));
    };
    let count = first.shard.count;
    for (dir, s) in shards {
        let differs = |what: &str, a: &str, b: &str| {
            err(format!(
                "`{}` is from another fleet than `{}`: its {what} is {b}, not {a}",
                dir.display(),
                first_dir.display()
            ))
        };
        if s.plan.id != first.plan.id {
            return Err(differs("plan", &first.plan.id, &s.plan.id));
        }
        if s.repos_hash != first.repos_hash {
            return Err(differs(
                "repositories list (hash)",
                &first.repos_hash[..12.min(first.repos_hash.len())],
                &s.repos_hash[..12.min(s.repos_hash.len())],
            ));
        }
        if s.shard.count != count {
            return Err(differs(
                "shard count",
                &count.to_string(),
                &s.shard.count.to_string(),
            ));
        }
        if s.repo_count != first.repo_count {
            return Err(differs(
                "repository count",
                &first.repo_count.to_string(),
                &s.repo_count.to_string(),
            ));
        }
    }
    let mut by_index: BTreeMap<usize, Vec<&PathBuf>> = BTreeMap::new();
    for (dir, s) in shards {
        by_index.entry(s.shard.index).or_default().push(dir);
    }
    let twice: Vec<String> = by_index
        .iter()
        .filter(|(_, d)| d.len() > 1)
        .map(|(i, d)| {
            format!(
                "shard {i}/{count} is given twice ({})",
                d.iter()
                    .map(|p| format!("`{}`", p.display()))
                    .collect::<Vec<_>>()
                    .join(" and ")
            )
        })
        .collect();
    if !twice.is_empty() {
        return Err(err(twice.join("; ")));
    }
    let missing: Vec<String> = (1..=count)
        .filter(|i| !by_index.contains_key(i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(err(format!(
            "shard{} {} {} missing (given: {})",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", "),
            if missing.len() > 1 { "are" } else { "is" },
            by_index
                .keys()
                .map(|i| format!("{i}/{count}"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let mut repositories = Vec::new();
    for (dir, s) in shards {
        for r in &s.repositories {
            if !s.shard.selects(r.position) {
                return Err(err(format!(
                    "`{}` holds repository `{}` (position {}), which is not in shard {}",
                    dir.display(),
                    r.name,
                    r.position,
                    s.shard
                )));
            }
            repositories.push(r.clone());
        }
    }
    repositories.sort_by_key(|r| r.position);
    if repositories.len() != first.repo_count
        || repositories
            .iter()
            .enumerate()
            .any(|(i, r)| r.position != i)
    {
        return Err(err(format!(
            "the shards hold {} repositories, and the fleet has {}: a shard output is incomplete",
            repositories.len(),
            first.repo_count
        )));
    }
    let mut merged = first.clone();
    merged.shard = Shard::WHOLE;
    merged.collected_from = shards.iter().map(|(d, _)| d.clone()).collect();
    merged.out = None;
    merged.bundles = shards.iter().any(|(_, s)| s.bundles);
    merged.started_at = shards.iter().map(|(_, s)| s.started_at).min().unwrap_or(0);
    merged.repositories = repositories;
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::state::{Checkout, PlanInfo, RepoRecord, RepoStatus};

    fn shard_state(index: usize, count: usize, total: usize) -> FleetState {
        let shard = Shard { index, count };
        FleetState {
            format_version: 1,
            tool_version: "t".into(),
            plan: PlanInfo {
                id: "p".into(),
                title: "P".into(),
                description: None,
                path: "/p.yaml".into(),
            },
            repos_file: "/r.txt".into(),
            repos_hash: "abcdef0123456789".into(),
            repo_count: total,
            shard,
            collected_from: vec![],
            workspace: "/ws".into(),
            out: None,
            bundles: false,
            started_at: 0,
            updated_at: 0,
            repositories: (0..total)
                .filter(|p| shard.selects(*p))
                .map(|p| RepoRecord {
                    position: p,
                    name: format!("r{p}"),
                    written: format!("file:///r{p}"),
                    source: format!("file:///r{p}"),
                    git_ref: None,
                    status: RepoStatus::Succeeded,
                    phase: None,
                    reason: None,
                    branch: "remedy/p".into(),
                    path: format!("/ws/repos/r{p}").into(),
                    checkout: Checkout::Clone,
                    prepared: true,
                    base_commit: None,
                    commit: None,
                    counts: None,
                    duration_ms: None,
                })
                .collect(),
        }
    }

    fn given(states: Vec<FleetState>) -> Vec<(PathBuf, FleetState)> {
        states
            .into_iter()
            .map(|s| (PathBuf::from(format!("/out{}", s.shard.index)), s))
            .collect()
    }

    #[test]
    fn every_shard_once_merges_in_list_order() {
        let merged = merge(&given((1..=3).map(|i| shard_state(i, 3, 8)).collect())).unwrap();
        let positions: Vec<usize> = merged.repositories.iter().map(|r| r.position).collect();
        assert_eq!(positions, (0..8).collect::<Vec<_>>());
        assert_eq!(merged.shard, Shard::WHOLE);
    }

    #[test]
    fn a_missing_or_doubled_shard_is_named() {
        let e = merge(&given(vec![shard_state(1, 3, 8), shard_state(3, 3, 8)])).unwrap_err();
        assert!(e.to_string().contains("shard 2/3 is missing"), "{e}");
        let mut states = given(vec![
            shard_state(1, 2, 8),
            shard_state(2, 2, 8),
            shard_state(2, 2, 8),
        ]);
        states[2].0 = "/again".into();
        let e = merge(&states).unwrap_err();
        assert!(e.to_string().contains("shard 2/2 is given twice"), "{e}");
        assert!(e.to_string().contains("/again"), "{e}");
    }

    #[test]
    fn different_fleets_are_refused() {
        let mut other = shard_state(2, 2, 8);
        other.plan.id = "q".into();
        let e = merge(&given(vec![shard_state(1, 2, 8), other])).unwrap_err();
        assert!(e.to_string().contains("plan is q"), "{e}");
        let mut other = shard_state(2, 2, 8);
        other.repos_hash = "ffffffffffffffff".into();
        assert!(merge(&given(vec![shard_state(1, 2, 8), other])).is_err());
        let e = merge(&given(vec![shard_state(1, 2, 8), shard_state(2, 3, 8)])).unwrap_err();
        assert!(e.to_string().contains("shard count"), "{e}");
    }

    #[test]
    fn a_shard_that_lost_a_repository_is_refused() {
        let mut s2 = shard_state(2, 2, 8);
        s2.repositories.pop();
        let e = merge(&given(vec![shard_state(1, 2, 8), s2])).unwrap_err();
        assert!(e.to_string().contains("incomplete"), "{e}");
    }
}
