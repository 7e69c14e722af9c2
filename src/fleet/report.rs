//! The fleet report, from the fleet state alone: Markdown for people, JSON for programs
//! (documented in docs/fleet.md). Neither holds a path or a time, so a fleet run on one machine,
//! resumed after a kill, or run as shards and collected reports the same.

use serde::Serialize;

use super::state::{FleetState, RepoRecord, RepoStatus};

/// The report's JSON format; a reader checks it first.
pub(crate) const REPORT_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Totals {
    pub(crate) repositories: usize,
    pub(crate) succeeded: usize,
    pub(crate) nothing_to_change: usize,
    pub(crate) failed: usize,
    pub(crate) interrupted: usize,
    pub(crate) pending: usize,
    pub(crate) running: usize,
    pub(crate) rolled_back: usize,
    pub(crate) files_changed: u64,
    pub(crate) sites_fixed: u64,
    pub(crate) tests_fixed: u64,
    pub(crate) tests_regressed: u64,
}

pub(crate) fn totals(state: &FleetState) -> Totals {
    let mut t = Totals {
        repositories: state.repositories.len(),
        ..Totals::default()
    };
    for r in &state.repositories {
        match r.status {
            RepoStatus::Succeeded => t.succeeded += 1,
            RepoStatus::NothingToChange => t.nothing_to_change += 1,
            RepoStatus::Failed => t.failed += 1,
            RepoStatus::Interrupted => t.interrupted += 1,
            RepoStatus::Pending => t.pending += 1,
            RepoStatus::Running => t.running += 1,
            RepoStatus::RolledBack => t.rolled_back += 1,
        }
        if let Some(c) = &r.counts {
            t.files_changed += c.files_changed;
            t.sites_fixed += c.sites_fixed;
            t.tests_fixed += c.tests_fixed;
            t.tests_regressed += c.tests_regressed;
        }
    }
    t
}

/// The branch a row names: only where the change is (or was) committed.
fn shown_branch(r: &RepoRecord) -> Option<&str> {
    (r.status == RepoStatus::Succeeded).then_some(r.branch.as_str())
}

pub(crate) fn render_json(state: &FleetState) -> String {
    let repositories: Vec<serde_json::Value> = state
        .repositories
        .iter()
        .map(|r| {
            let c = r.counts.clone().unwrap_or_default();
            serde_json::json!({
                "position": r.position,
                "name": r.name,
                "source": r.written,
                "ref": r.git_ref,
                "status": r.status,
                "phase": r.phase,
                "reason": r.reason,
                "branch": shown_branch(r),
                "files_changed": c.files_changed,
                "sites_fixed": c.sites_fixed,
                "tests_fixed": c.tests_fixed,
                "tests_regressed": c.tests_regressed,
            })
        })
        .collect();
    let value = serde_json::json!({
        "schema_version": REPORT_SCHEMA_VERSION,
        "plan": { "id": state.plan.id, "title": state.plan.title },
        "repos_hash": state.repos_hash,
        "repo_count": state.repo_count,
        "complete": state.repositories.len() == state.repo_count,
        "totals": totals(state),
        "repositories": repositories,
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

pub(crate) fn render_markdown(state: &FleetState) -> String {
    let t = totals(state);
    let mut s = format!("# Fleet report: {}\n\n", state.plan.title.trim());
    s.push_str(&format!("Plan `{}`", state.plan.id));
    if state.repositories.len() != state.repo_count {
        s.push_str(&format!(
            "; {} of the fleet's {} repositories",
            state.repositories.len(),
            state.repo_count
        ));
    }
    s.push_str(".\n\n");
    s.push_str("| repositories | succeeded | nothing to change | failed | interrupted | not run | sites fixed | files changed | tests fixed | tests regressed |\n");
    s.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    s.push_str(&format!(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n\n",
        t.repositories,
        t.succeeded,
        t.nothing_to_change,
        t.failed,
        t.interrupted,
        t.pending + t.running,
        t.sites_fixed,
        t.files_changed,
        t.tests_fixed,
        t.tests_regressed
    ));
    s.push_str(
        "| repository | status | sites fixed | tests fixed | tests regressed | branch | note |\n",
    );
    s.push_str("|---|---|---:|---:|---:|---|---|\n");
    for r in &state.repositories {
        let c = r.counts.clone().unwrap_or_default();
        let note = match (&r.phase, &r.reason) {
            (Some(p), Some(why)) => format!("`{p}`: {}", first_line(why)),
            (Some(p), None) => format!("`{p}`"),
            (None, Some(why)) => first_line(why),
            (None, None) => String::new(),
        };
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            cell(&r.name),
            r.status.as_str().replace('_', " "),
            c.sites_fixed,
            c.tests_fixed,
            c.tests_regressed,
            shown_branch(r)
                .map(|b| format!("`{b}`"))
                .unwrap_or_default(),
            cell(&note)
        ));
    }
    s
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().trim().to_string()
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// One line for the end of a fleet verb.
pub(crate) fn one_line(state: &FleetState) -> String {
    let t = totals(state);
    let mut parts = Vec::new();
    for (n, what) in [
        (t.succeeded, "succeeded"),
        (t.nothing_to_change, "nothing to change"),
        (t.failed, "failed"),
        (t.interrupted, "interrupted"),
        (t.pending + t.running, "not run"),
        (t.rolled_back, "rolled back"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    format!(
        "remedy fleet: {}: {}; {} fixed; report: `remedy fleet report --workspace {}`",
        crate::words::repositories(t.repositories as u64),
        parts.join(", "),
        crate::words::count(t.sites_fixed, "site"),
        crate::error::shell_word(&state.workspace)
    )
}

/// `fleet status`: a row per repository with where it stands.
pub(crate) fn status_text(state: &FleetState) -> String {
    let mut s = format!(
        "fleet of plan {} ({}) in {}\n",
        state.plan.id,
        state.plan.title.trim(),
        state.workspace.display()
    );
    if state.shard.count > 1 {
        s.push_str(&format!(
            "shard {} of a fleet of {} repositories\n",
            state.shard, state.repo_count
        ));
    }
    s.push('\n');
    let width = state
        .repositories
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(10)
        .max(10);
    s.push_str(&format!(
        "  {:<width$}  {:<17}  {:>5}  where\n",
        "repository", "status", "sites"
    ));
    for r in &state.repositories {
        let place = match (&r.phase, &r.reason) {
            (Some(p), Some(why)) => format!("{p}: {}", first_line(why)),
            (Some(p), None) => p.clone(),
            _ => r.path.display().to_string(),
        };
        s.push_str(&format!(
            "  {:<width$}  {:<17}  {:>5}  {place}\n",
            r.name,
            r.status.as_str(),
            r.counts.as_ref().map_or(0, |c| c.sites_fixed),
        ));
    }
    s.push('\n');
    s.push_str(&one_line(state));
    s.push('\n');
    if state.not_ok() > 0 {
        s.push_str(&format!(
            "next: `remedy fleet resume --workspace {w}`; undo with `remedy fleet rollback --workspace {w}`\n",
            w = crate::error::shell_word(&state.workspace)
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::shard::Shard;
    use crate::fleet::state::{Checkout, PlanInfo, RepoCounts};

    fn record(position: usize, status: RepoStatus, sites: u64) -> RepoRecord {
        RepoRecord {
            position,
            name: format!("r{position}"),
            written: format!("file:///r{position}.git"),
            source: format!("file:///r{position}.git"),
            git_ref: None,
            status,
            phase: (status == RepoStatus::Failed).then(|| "tests".to_string()),
            reason: (status == RepoStatus::Failed)
                .then(|| "1 regressed | see log\nmore".to_string()),
            branch: "remedy/p".into(),
            path: format!("/machine/ws/repos/r{position}").into(),
            checkout: Checkout::Clone,
            prepared: true,
            base_commit: Some("b".into()),
            commit: None,
            counts: Some(RepoCounts {
                files_changed: sites,
                sites_fixed: sites,
                tests_fixed: sites,
                tests_regressed: u64::from(status == RepoStatus::Failed),
            }),
            duration_ms: Some(1234),
        }
    }

    fn state() -> FleetState {
        FleetState {
            format_version: 1,
            tool_version: "t".into(),
            plan: PlanInfo {
                id: "p".into(),
                title: "Fix it".into(),
                description: None,
                path: "/p.yaml".into(),
            },
            repos_file: "/r.txt".into(),
            repos_hash: "h".into(),
            repo_count: 3,
            shard: Shard::WHOLE,
            collected_from: vec![],
            workspace: "/machine/ws".into(),
            out: None,
            bundles: false,
            started_at: 1,
            updated_at: 2,
            repositories: vec![
                record(0, RepoStatus::Succeeded, 2),
                record(1, RepoStatus::NothingToChange, 0),
                record(2, RepoStatus::Failed, 1),
            ],
        }
    }

    #[test]
    fn markdown_has_totals_then_rows_without_paths_or_times() {
        let md = render_markdown(&state());
        assert!(
            md.contains("| 3 | 1 | 1 | 1 | 0 | 0 | 3 | 3 | 3 | 1 |\n"),
            "{md}"
        );
        assert!(
            md.contains("| r0 | succeeded | 2 | 2 | 0 | `remedy/p` |  |\n"),
            "{md}"
        );
        assert!(
            md.contains("| r2 | failed | 1 | 1 | 1 |  | `tests`: 1 regressed \\| see log |\n"),
            "{md}"
        );
        assert!(!md.contains("/machine") && !md.contains("1234"), "{md}");
    }

    #[test]
    fn json_carries_statuses_and_totals() {
        let v: serde_json::Value = serde_json::from_str(&render_json(&state())).unwrap();
        let statuses: Vec<&str> = v["repositories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, ["succeeded", "nothing_to_change", "failed"]);
        assert_eq!(v["totals"]["sites_fixed"], 3);
        assert_eq!(v["totals"]["failed"], 1);
        assert_eq!(v["repositories"][1]["branch"], serde_json::Value::Null);
        assert_eq!(v["complete"], true);
        assert!(!v.to_string().contains("/machine"));
    }
}
