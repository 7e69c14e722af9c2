//! What a repository's run did, read from its own checkpoint through the JSON report
//! (docs/report-json.md): the files it wrote, the sites it fixed, the tests it fixed and broke.

use std::path::Path;

use super::state::RepoCounts;
use crate::state::checkpoint::Checkpoint;

/// The run's checkpoint in `root`, when there is one.
pub(crate) fn load_checkpoint(root: &Path, plan_id: &str) -> Option<Checkpoint> {
    crate::engine::load_run(root, Some(plan_id))
        .ok()
        .map(|(_, cp)| cp)
}

/// The report JSON of the run in `root`, as `remedy report --format json` prints it.
pub(crate) fn report_json(root: &Path, plan_id: &str) -> Option<String> {
    load_checkpoint(root, plan_id).map(|cp| crate::report::json::render(&cp))
}

/// The counts and the files written (relative to the root), from a report.
pub(crate) fn counts_of(report: &serde_json::Value) -> (RepoCounts, Vec<String>) {
    let changes = &report["changes"];
    let files: Vec<String> = changes["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["state"] == "written")
        .filter_map(|f| f["path"].as_str().map(str::to_string))
        .collect();
    let mut unique = files.clone();
    unique.sort();
    unique.dedup();
    let mut counts = RepoCounts {
        files_changed: unique.len() as u64,
        sites_fixed: changes["sites_changed"].as_u64().unwrap_or(0),
        ..RepoCounts::default()
    };
    for phase in report["phases"].as_array().into_iter().flatten() {
        let comparison = &phase["outcome"]["comparison"];
        let len = |key: &str| comparison[key].as_array().map_or(0, |a| a.len() as u64);
        counts.tests_fixed += len("fixed");
        counts.tests_regressed += len("regressed");
    }
    (counts, unique)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_sum_the_pytest_comparisons_and_keep_written_files() {
        let report = serde_json::json!({
            "changes": { "files_changed": 3, "sites_changed": 5, "files": [
                { "path": "a.py", "state": "written" },
                { "path": "b.py", "state": "intended" },
                { "path": "a.py", "state": "written" },
                { "path": "c.py", "state": "written" },
            ]},
            "phases": [
                { "name": "base", "outcome": { "kind": "pytest" } },
                { "name": "tests", "outcome": { "kind": "pytest", "comparison": {
                    "fixed": ["t1", "t2"], "regressed": ["t3"] } } },
                { "name": "patch", "outcome": null },
            ],
        });
        let (counts, files) = counts_of(&report);
        assert_eq!(files, ["a.py", "c.py"]);
        assert_eq!(
            counts,
            RepoCounts {
                files_changed: 2,
                sites_fixed: 5,
                tests_fixed: 2,
                tests_regressed: 1
            }
        );
    }
}
