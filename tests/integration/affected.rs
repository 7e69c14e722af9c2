//! `select: affected`: the test files a patch can reach, on the bundled sample and on a generated
//! project of a few hundred modules; the proof that every test whose outcome the patch changes is
//! selected; and baselines kept by key across `rollback` and `resume`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::harness::{require_pytest, test_python3, workspace, Run, Sandbox};

fn phase<'a>(cp: &'a Value, name: &str) -> &'a Value {
    cp["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no phase {name}"))
}

fn selected(cp: &Value, name: &str) -> BTreeSet<String> {
    phase(cp, name)["outcome"]["selection"]["files"]
        .as_array()
        .unwrap_or_else(|| panic!("phase {name} has no selection"))
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect()
}

/// Every test of a pytest phase with its status.
fn statuses(cp: &Value, name: &str) -> BTreeMap<String, String> {
    phase(cp, name)["outcome"]["suites"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["tests"].as_array().unwrap().iter())
        .map(|t| {
            (
                t["id"].as_str().unwrap().to_string(),
                t["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn file_of(id: &str) -> &str {
    id.split("::").next().unwrap()
}

/// The sample's founding plan with `select: affected` on every suite of both pytest phases
/// (`tests` and, through `compare_with`, `baseline`).
fn affected_sample_plan() -> String {
    let text =
        std::fs::read_to_string(workspace().join("plans/issue-1184-websocket-await.yaml")).unwrap();
    let out: String = text
        .lines()
        .map(|l| {
            if l.contains("args: [tests/") {
                format!(
                    "{}, select: affected }}\n",
                    l.trim_end().trim_end_matches('}').trim_end()
                )
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    assert_eq!(out.matches("select: affected").count(), 6, "{out}");
    out
}

/// The generated project (see `tests/fixtures/affected/gen_project.py`) and its expected
/// selection.
fn generated(plan: &str) -> (Sandbox, BTreeSet<String>) {
    let sb = Sandbox::empty(plan);
    let ok = Command::new(test_python3())
        .arg(workspace().join("tests/fixtures/affected/gen_project.py"))
        .arg(&sb.repo)
        .status()
        .unwrap();
    assert!(ok.success());
    let expected = std::fs::read_to_string(sb.dir.path().join("expected-affected.txt"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    (sb, expected)
}

/// The generated project's plan: raise `FACTOR` in the target module, with a baseline before it.
fn generated_plan(select: &str) -> String {
    format!(
        r#"id: factor
files: {{ include: ["**/*.py"] }}
phases:
  - {{ name: backup, kind: backup }}
  - name: baseline
    kind: pytest
    allow_failures: true
    suites:
      - {{ name: unit, args: [tests/unit]{select} }}
      - {{ name: integration, args: [tests/integration]{select} }}
      - {{ name: plugins, args: [tests/plugins]{select} }}
      - {{ name: other, args: [tests/other]{select} }}
  - name: raise
    kind: patch
    edits:
      - {{ name: factor two, regex: 'FACTOR = 1\b', replace: 'FACTOR = 2', files: {{ include: [proj/target/engine.py] }} }}
  - name: tests
    kind: pytest
    compare_with: baseline
    allow_failures: true
    suites:
      - {{ name: unit, args: [tests/unit]{select} }}
      - {{ name: integration, args: [tests/integration]{select} }}
      - {{ name: plugins, args: [tests/plugins]{select} }}
      - {{ name: other, args: [tests/other]{select} }}
  - {{ name: report, kind: report }}
"#
    )
}

fn run_logged(sb: &Sandbox, args: &[&str], log: &Path) -> Run {
    let mut cmd = sb.cmd();
    cmd.args(args).arg("--root").arg(&sb.repo);
    cmd.env("AFFECTED_SESSION_LOG", log);
    Run::from(cmd.output().unwrap())
}

fn sessions(log: &Path) -> usize {
    std::fs::read_to_string(log).map_or(0, |t| t.lines().count())
}

fn tests_run(cp: &Value, name: &str) -> u64 {
    phase(cp, name)["outcome"]["suites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["tests"].as_array().unwrap().len() as u64)
        .sum()
}

/// Every test whose outcome differs between the baseline and the patched run of the whole suite.
fn changed_outcomes(cp: &Value) -> BTreeSet<String> {
    let before = statuses(cp, "baseline");
    let after = statuses(cp, "tests");
    let mut ids: BTreeSet<&String> = before.keys().collect();
    ids.extend(after.keys());
    ids.into_iter()
        .filter(|id| before.get(*id) != after.get(*id))
        .cloned()
        .collect()
}

#[test]
fn the_generated_selection_is_exact_and_covers_every_test_the_patch_changes() {
    require_pytest();
    // The whole suite, before and after the patch.
    let (full, expected) = generated(&generated_plan(""));
    full.remedy(&["run", full.plan_str()]).expect_code(0);
    let full_cp = full.checkpoint_of("factor");
    let changed = changed_outcomes(&full_cp);
    assert!(
        changed.contains("tests/plugins/test_plugins.py::test_engine_factor"),
        "the plugin test changes outcome only through its run-time import: {changed:?}"
    );
    assert!(changed.len() >= 20, "{changed:?}");

    // The same patch with the affected selection.
    let (sb, _) = generated(&generated_plan(", select: affected"));
    let dry = sb.remedy(&["run", sb.plan_str(), "--dry-run"]);
    dry.expect_code(0);
    assert!(
        dry.all()
            .contains("affected selection: 36 of 116 test files"),
        "{}",
        dry.all()
    );
    assert!(
        dry.all().contains("tests/unit/pkg07/test_mod03.py: imports proj/pkg07/__init__.py → proj/pkg07/mod00.py → proj/target/__init__.py → proj/target/engine.py"),
        "{}",
        dry.all()
    );
    assert!(
        dry.all()
            .contains("proj/plugins.py:7: `import_module` of a module named at run time"),
        "{}",
        dry.all()
    );
    let run = sb.remedy(&["run", sb.plan_str()]);
    run.expect_code(0);
    let cp = sb.checkpoint_of("factor");
    let chosen = selected(&cp, "tests");
    assert_eq!(
        chosen, expected,
        "the selection is exactly the expected set"
    );
    assert_eq!(
        selected(&cp, "baseline"),
        chosen,
        "the baseline runs the same selection"
    );
    for id in &changed {
        assert!(
            chosen.contains(file_of(id)),
            "{id} changed outcome but was not selected"
        );
    }
    // Test for test, the selection gives the same outcomes as the whole suite on what it runs.
    let all_after = statuses(&full_cp, "tests");
    for (id, status) in statuses(&cp, "tests") {
        assert_eq!(all_after.get(&id), Some(&status), "{id}");
    }
    let run_count = tests_run(&cp, "tests");
    let whole = tests_run(&full_cp, "tests");
    assert_eq!(
        (run_count, whole),
        (65, 224),
        "tests run with the selection against the whole suite"
    );
    // Reasons: the conftest, the relative import and the widening are each named.
    let files = phase(&cp, "tests")["outcome"]["selection"]["files"]
        .as_array()
        .unwrap()
        .clone();
    let reason = |path: &str| -> Value {
        files.iter().find(|f| f["path"] == path).unwrap()["reasons"][0].clone()
    };
    assert_eq!(
        reason("tests/integration/test_flow0.py")["kind"],
        "conftest"
    );
    assert_eq!(
        reason("tests/integration/test_flow0.py")["chain"][0],
        "tests/integration/conftest.py"
    );
    assert_eq!(
        reason("tests/unit/pkg05/test_mod00.py")["chain"][1],
        "proj/pkg05/mod00.py"
    );
    assert_eq!(
        reason("tests/plugins/test_plugin_names.py")["kind"],
        "widened"
    );
    // The suite with nothing affected did not run pytest, and says so.
    let other = &phase(&cp, "tests")["outcome"]["suites"][3];
    assert_eq!(other["selected"], serde_json::json!([]));
    assert!(other["detail"]
        .as_str()
        .unwrap()
        .contains("pytest did not run"));
    let report = std::fs::read_to_string(sb.repo.join(".remedy/factor/report.md")).unwrap();
    assert!(
        report.contains("**Affected selection:** 36 of 116 test files (65 tests run)"),
        "{report}"
    );
    assert!(
        report.contains("Import graph not trusted: proj/plugins.py:7"),
        "{report}"
    );
    let json = std::fs::read_to_string(sb.repo.join(".remedy/factor/report.json")).unwrap();
    assert!(json.contains("\"selection\""));
}

#[test]
fn a_baseline_is_reused_after_rollback_and_run_again_when_an_imported_file_changes() {
    require_pytest();
    let (sb, _) = generated(&generated_plan(", select: affected"));
    let log = sb.dir.path().join("sessions.log");
    run_logged(&sb, &["run", sb.plan_str()], &log).expect_code(0);
    // Three suites ran pytest in each phase (`other` has nothing affected).
    assert_eq!(sessions(&log), 6);
    let first = sb.checkpoint_of("factor");
    let keys: Vec<Value> = phase(&first, "baseline")["outcome"]["suites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["cache_key"].clone())
        .collect();
    assert!(keys[..3].iter().all(|k| k.is_string()), "{keys:?}");

    sb.remedy(&["rollback", "--all"]).expect_code(0);
    let again = run_logged(&sb, &["run", sb.plan_str()], &log);
    again.expect_code(0);
    assert!(
        again
            .all()
            .contains("baseline: suite `unit`: baseline reused (key"),
        "{}",
        again.all()
    );
    // Only the phase after the patch ran pytest.
    assert_eq!(sessions(&log), 9);
    let second = sb.checkpoint_of("factor");
    let base = &phase(&second, "baseline")["outcome"];
    for (i, s) in base["suites"].as_array().unwrap()[..3].iter().enumerate() {
        assert_eq!(s["from_cache"], true, "{s}");
        assert_eq!(s["cache_key"], keys[i]);
    }
    assert_eq!(statuses(&first, "baseline"), statuses(&second, "baseline"));
    let report = std::fs::read_to_string(sb.repo.join(".remedy/factor/report.md")).unwrap();
    assert!(
        report.contains("Baseline reused from `.remedy/cache/baselines/`"),
        "{report}"
    );

    // A file the unit selection imports changes: that suite runs again, the others do not.
    sb.remedy(&["rollback", "--all"]).expect_code(0);
    let m = sb.read("proj/pkg00/mod02.py");
    sb.write("proj/pkg00/mod02.py", format!("# reviewed\n{m}"));
    let third = run_logged(&sb, &["run", sb.plan_str()], &log);
    third.expect_code(0);
    let cp = sb.checkpoint_of("factor");
    let suites = phase(&cp, "baseline")["outcome"]["suites"]
        .as_array()
        .unwrap()
        .clone();
    assert_ne!(suites[0]["cache_key"], keys[0]);
    assert_eq!(suites[0]["from_cache"], Value::Null, "unit ran again");
    assert_eq!(
        suites[1]["from_cache"], true,
        "integration imports nothing that changed"
    );
    // The plugin suite reaches a run-time import, so every Python file is in its key.
    assert_ne!(suites[2]["cache_key"], keys[2]);
    assert_eq!(sessions(&log), 9 + 2 + 3);
}

/// The generated plan with a second patch step after the first, behind its own backup; `tidy` is
/// its edit of a module no test imports.
fn two_step_plan(tidy: &str) -> String {
    generated_plan(", select: affected").replace(
        "  - name: tests\n",
        &format!(
            "  - {{ name: guard, kind: backup, phases: [tidy] }}\n  - name: tidy\n    kind: patch\n    edits:\n      - {{ name: tidy, regex: 'return below\\(\\) \\+ 1', replace: '{tidy}', files: {{ include: [proj/pkg11/mod23.py] }} }}\n  - name: tests\n"
        ),
    )
}

#[test]
fn a_resume_after_a_failed_patch_reuses_the_baseline() {
    require_pytest();
    // The second patch step breaks the syntax of the file it edits, so it is refused.
    let (sb, _) = generated(&two_step_plan("return (below() + 1"));
    let log = sb.dir.path().join("sessions.log");
    let failed = run_logged(&sb, &["run", sb.plan_str()], &log);
    assert_ne!(failed.code, 0, "{}", failed.all());
    let cp = sb.checkpoint_of("factor");
    assert_eq!(phase(&cp, "raise")["status"], "succeeded");
    assert_eq!(phase(&cp, "tidy")["status"], "failed");
    assert_eq!(sessions(&log), 3);
    // The plan is fixed; the run is undone from its baseline on and resumed.
    sb.write_plan(&two_step_plan("return below() + 1  # tidy"));
    sb.remedy(&["rollback", "baseline"]).expect_code(0);
    let resumed = run_logged(&sb, &["resume"], &log);
    resumed.expect_code(0);
    assert!(
        resumed.all().contains("baseline reused (key"),
        "{}",
        resumed.all()
    );
    assert_eq!(
        sessions(&log),
        6,
        "only the phase after the patch ran pytest"
    );
    let cp = sb.checkpoint_of("factor");
    for s in phase(&cp, "baseline")["outcome"]["suites"]
        .as_array()
        .unwrap()[..3]
        .iter()
    {
        assert_eq!(s["from_cache"], true, "{s}");
    }
    assert_eq!(phase(&cp, "tests")["status"], "succeeded");
    assert!(sb.read("proj/pkg11/mod23.py").contains("# tidy"));
}

/// Every test file of the sample under `dir`, as paths from the root.
fn test_files_under(root: &Path, dir: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![root.join(dir)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_str().unwrap().to_string();
            if p.is_dir() {
                stack.push(p);
            } else if name.starts_with("test_") && name.ends_with(".py") {
                out.insert(p.strip_prefix(root).unwrap().to_str().unwrap().to_string());
            }
        }
    }
    out
}

#[test]
fn the_sample_selection_covers_every_test_the_founding_patch_changes() {
    require_pytest();
    let sb = Sandbox::sample();
    sb.write_plan(&affected_sample_plan());
    let dry = sb.remedy(&["run", sb.plan_str(), "--dry-run"]);
    dry.expect_code(0);
    assert!(
        dry.all().contains(
            "test_factory_lifecycle.py:15: `spec_from_file_location` loads a module from a path"
        ),
        "{}",
        dry.all()
    );
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    let cp = sb.checkpoint();
    // Every test file of the sample is changed by the patch, imports a module it changes, or sits
    // in the folder of a test that loads a module by path: the selection is the whole suite, before
    // and after the patch, and every test whose outcome the patch changes is in it.
    let all = test_files_under(&sb.repo, "tests");
    assert_eq!(selected(&cp, "tests"), all);
    assert_eq!(selected(&cp, "baseline"), all);
    let changed = changed_outcomes(&cp);
    assert!(changed.len() >= 20, "{changed:?}");
    for id in &changed {
        assert!(all.contains(file_of(id)), "{id}");
    }
    let ran: BTreeSet<String> = statuses(&cp, "tests")
        .keys()
        .map(|id| file_of(id).to_string())
        .collect();
    assert_eq!(ran, all, "every test file ran");
    let files = phase(&cp, "tests")["outcome"]["selection"]["files"]
        .as_array()
        .unwrap()
        .clone();
    let first = |path: &str| -> Value {
        files.iter().find(|f| f["path"] == path).unwrap()["reasons"][0].clone()
    };
    assert_eq!(first("tests/unit/test_reproductions.py")["kind"], "changed");
    assert_eq!(
        first("tests/unit/test_presence.py")["chain"],
        serde_json::json!(["tests/unit/test_presence.py", "app/services/presence.py"])
    );
}

#[test]
fn select_keys_are_checked() {
    let sb = Sandbox::empty(
        "id: x\nphases:\n  - name: t\n    kind: pytest\n    suites:\n      - { name: u, args: [tests], select: affected, always: [../out] }\n      - { name: v, always: [tests/smoke] }\n",
    );
    let out = sb.remedy(&["check", sb.plan_str()]);
    out.expect_code(2);
    let text = out.all();
    assert!(
        text.contains("`select: affected` needs a backup phase"),
        "{text}"
    );
    assert!(text.contains("always[0]"), "{text}");
    assert!(
        text.contains("but this suite runs every test file"),
        "{text}"
    );
    sb.write_plan(
        "id: x\nphases:\n  - { name: t, kind: pytest, suites: [{ name: w, select: some }] }\n",
    );
    let out = sb.remedy(&["check", sb.plan_str()]);
    out.expect_code(2);
    assert!(
        out.all()
            .contains("unknown variant `some`, expected `all` or `affected`"),
        "{}",
        out.all()
    );
}
