//! Bad plans: exit 2, a message naming file:line:col or the offending value, and nothing on disk
//! changes (not even `.remedy/`).

use std::fs;

use crate::harness::*;

/// Runs `remedy run` with a broken plan on the sample and checks the error and the untouched tree.
fn refused(plan: &str, fragments: &[&str]) {
    let sb = Sandbox::sample();
    sb.write_plan(plan);
    let before = Tree::of(&sb.repo, false);
    let run = sb.remedy(&["run", sb.plan_str()]);
    run.expect_code(2);
    for f in fragments {
        assert!(run.stderr.contains(f), "missing `{f}` in:\n{}", run.stderr);
    }
    assert_eq!(
        Tree::of(&sb.repo, false),
        before,
        "a refused plan changed the tree"
    );
    assert!(!sb.repo.join(".remedy").exists());
    // `check` agrees.
    let check = sb.remedy(&["check", sb.plan_str()]);
    assert_eq!(check.code, 2, "{}", check.stderr);
}

fn sample_plan() -> String {
    fs::read_to_string(workspace().join("plans").join(PLAN_NAME)).unwrap()
}

#[test]
fn yaml_syntax_error_names_line_and_column() {
    let plan = sample_plan().replace("kind: backup", "kind: [backup");
    refused(&plan, &["plan.yaml:", "did not find expected", "^"]);
}

#[test]
fn unknown_key_is_located_with_a_suggestion() {
    let plan = sample_plan().replace("    allow_failures: true", "    allow_failure: true");
    let line = plan
        .lines()
        .position(|l| l.contains("allow_failure:"))
        .unwrap()
        + 1;
    refused(
        &plan,
        &[
            &format!("plan.yaml:{line}:5"),
            "unknown field `allow_failure`",
            "did you mean `allow_failures`?",
        ],
    );
}

#[test]
fn unknown_phase_kind_lists_the_kinds() {
    let plan = sample_plan().replace("kind: backup", "kind: snapshot");
    let line = plan
        .lines()
        .position(|l| l.contains("kind: snapshot"))
        .unwrap()
        + 1;
    refused(
        &plan,
        &[
            &format!("plan.yaml:{line}:"),
            "unknown variant `snapshot`",
            "validate, backup, patch, pytest, report, command",
        ],
    );
}

#[test]
fn invalid_regex_is_located() {
    let plan = sample_plan().replace(
        r"regex: 'await\s+(get_websocket_manager\()'",
        r"regex: 'await\s+(get_websocket_manager('",
    );
    let line = plan
        .lines()
        .position(|l| l.contains("regex: 'await"))
        .unwrap()
        + 1;
    refused(
        &plan,
        &[
            &format!("plan.yaml:{line}:16"),
            "invalid regex",
            "unclosed group",
        ],
    );
}

#[test]
fn path_escaping_the_root_is_refused() {
    for (bad, why) in [
        ("../outside.py", "escapes the root"),
        ("/etc/passwd", "is absolute"),
    ] {
        let plan = sample_plan().replace("file: app/websocket_core/websocket_manager.py, name: get_websocket_manager, async: false }\n      - name: the async", &format!("file: {bad}, name: get_websocket_manager, async: false }}\n      - name: the async"));
        assert!(plan.contains(bad));
        refused(&plan, &[why, bad, "plan.yaml:"]);
    }
}

#[test]
fn symlink_out_of_the_root_is_refused() {
    let sb = Sandbox::sample();
    let outside = tempfile::tempdir().unwrap();
    fs::write(
        outside.path().join("m.py"),
        "def get_websocket_manager():\n    pass\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path(), sb.repo.join("linked")).unwrap();
    let plan = sample_plan().replacen(
        "file: app/websocket_core/websocket_manager.py",
        "file: linked/m.py",
        1,
    );
    sb.write_plan(&plan);
    let run = sb.remedy(&["run", sb.plan_str()]);
    run.expect_code(2);
    assert!(run.stderr.contains("outside the root"), "{}", run.stderr);
    assert!(!sb.repo.join(".remedy").exists());
}

#[test]
fn several_errors_are_reported_at_once() {
    let plan = sample_plan()
        .replace(
            r"regex: 'await\s+(get_websocket_manager\()'",
            r"regex: 'await\s+(get_websocket_manager('",
        )
        .replacen(r#"expect: "== 0""#, r#"expect: "none""#, 1)
        .replace("compare_with: baseline", "compare_with: baselin");
    refused(
        &plan,
        &[
            "3 errors",
            "invalid regex",
            "`none` is not a count expectation",
            "did you mean `baseline`?",
        ],
    );
}

#[test]
fn committed_schema_is_the_generated_one_and_accepts_the_sample_plan() {
    let sb = Sandbox::sample();
    let out = sb.remedy(&["schema"]);
    out.expect_code(0);
    let committed = fs::read_to_string(workspace().join("docs/plan.schema.json")).unwrap();
    assert_eq!(
        out.stdout, committed,
        "docs/plan.schema.json is stale: run `remedy schema > docs/plan.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&committed).unwrap();
    // Unknown keys are refused by the schema as by the loader.
    assert_eq!(schema["additionalProperties"], false);
    let phase = &schema["$defs"]["PhaseSpec"];
    assert_eq!(phase["additionalProperties"], false);
    for key in [
        "name",
        "kind",
        "checks",
        "edits",
        "suites",
        "criteria",
        "compare_with",
        "argv",
    ] {
        assert!(
            phase["properties"].get(key).is_some(),
            "schema lacks phases[].{key}"
        );
    }
    assert!(sample_plan().starts_with("# yaml-language-server: $schema=../docs/plan.schema.json"));
}

#[test]
fn structural_rewrite_with_an_unbound_metavariable_is_located() {
    let plan = sample_plan().replace(
        "rewrite: 'get_websocket_manager($$$ARGS)'",
        "rewrite: 'get_websocket_manager($$$ARGZ)'",
    );
    let line = plan
        .lines()
        .position(|l| l.contains("rewrite: 'get_websocket_manager($$$ARGZ)'"))
        .unwrap()
        + 1;
    refused(
        &plan,
        &[
            &format!("plan.yaml:{line}:20"),
            "uses `$ARGZ`, which the pattern `await get_websocket_manager($$$ARGS)` does not bind",
        ],
    );
}

#[test]
fn structural_pattern_that_is_not_python_is_located() {
    let plan = sample_plan().replacen(
        "python: { pattern: 'await get_websocket_manager($$$ARGS)' }",
        "python: { pattern: 'await get_websocket_manager($$$ARGS' }",
        1,
    );
    let line = plan
        .lines()
        .position(|l| l.contains("($$$ARGS' }"))
        .unwrap()
        + 1;
    refused(
        &plan,
        &[&format!("plan.yaml:{line}:28"), "does not parse as Python"],
    );
}

#[test]
fn color_is_chosen_by_the_flag_then_no_color_then_clicolor_force() {
    let sb = Sandbox::empty("id: x\nphases:\n  - { name: p, kind: pach }\n");
    let run = |args: &[&str], env: &[(&str, &str)], unset_no_color: bool| {
        let mut cmd = remedy_cmd(sb.dir.path());
        cmd.args(args).arg("check").arg(&sb.plan);
        for (k, v) in env {
            cmd.env(k, v);
        }
        if unset_no_color {
            cmd.env_remove("NO_COLOR");
        }
        let out = Run::from(cmd.output().unwrap());
        out.expect_code(2);
        out.stderr.contains("\u{1b}[")
    };
    // The harness sets NO_COLOR; the flag overrides it, and it overrides CLICOLOR_FORCE.
    assert!(!run(&[], &[], false));
    assert!(run(&["--color", "always"], &[], false));
    assert!(!run(&[], &[("CLICOLOR_FORCE", "1")], false));
    assert!(run(&[], &[("CLICOLOR_FORCE", "1")], true));
    assert!(run(&[], &[("FORCE_COLOR", "1")], true));
    assert!(!run(
        &["--color", "never"],
        &[("CLICOLOR_FORCE", "1")],
        true
    ));
    // Not a terminal, nothing forcing it: plain.
    assert!(!run(&[], &[], true));
    let bad = Run::from(
        remedy_cmd(sb.dir.path())
            .args(["--color", "sometimes", "check"])
            .arg(&sb.plan)
            .output()
            .unwrap(),
    );
    bad.expect_code(2);
    assert!(bad.stderr.contains("auto, always, never"), "{}", bad.stderr);
}

/// Every line `--json` prints is one of the documented events, and the committed schema is the
/// generated one.
#[test]
fn json_events_are_the_documented_ones() {
    let sb = Sandbox::empty(
        "id: ev\nphases:\n  - { name: ok, kind: command, argv: [\"true\"] }\n  - { name: gate, kind: command, argv: [sh, -c, \"exit 1\"] }\n",
    );
    let out = sb.remedy(&["schema", "events"]);
    out.expect_code(0);
    let committed = fs::read_to_string(workspace().join("docs/events.schema.json")).unwrap();
    assert_eq!(
        out.stdout, committed,
        "docs/events.schema.json is stale: run `remedy schema events > docs/events.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&committed).unwrap();
    let documented: Vec<String> = schema["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            v["properties"]["event"]["const"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let doc = fs::read_to_string(workspace().join("docs/json-events.md")).unwrap();
    for name in &documented {
        assert!(
            doc.contains(&format!("`{name}`")),
            "docs/json-events.md lacks `{name}`"
        );
    }
    let run = sb.remedy(&["run", sb.plan_str(), "--json"]);
    run.expect_code(1);
    let events: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    for e in &events {
        let name = e["event"].as_str().unwrap();
        assert!(
            documented.iter().any(|d| d == name),
            "undocumented event {e}"
        );
    }
    let [.., finished, error] = events.as_slice() else {
        panic!("too few events: {events:?}");
    };
    assert_eq!(finished["event"], "run_finished");
    assert_eq!(finished["outcome"], "failed");
    assert_eq!(error["event"], "error");
    assert_eq!(error["exit_code"], 1);
    // A plan that does not load still answers in JSON, with only the error.
    sb.write_plan(
        "id: ev
phases: nope
",
    );
    let bad = sb.remedy(&["run", sb.plan_str(), "--json"]);
    bad.expect_code(2);
    let only: serde_json::Value = serde_json::from_str(bad.stdout.trim()).unwrap();
    assert_eq!(only["event"], "error");
    assert_eq!(only["exit_code"], 2);
    let failed = events
        .iter()
        .find(|e| e["event"] == "phase_finished" && e["phase"] == "gate")
        .unwrap();
    assert!(
        failed["error"].as_str().unwrap().contains("exit code 1"),
        "{failed}"
    );
}

#[test]
fn check_prints_problems_as_json_or_as_github_annotations() {
    let sb = Sandbox::empty(
        "id: x\nphases:\n  - { name: p, kind: pach, edits: [] }\n  - { name: p, kind: backup }\n",
    );
    let check = |format: &str| {
        let out = sb.remedy(&["check", sb.plan_str(), "--format", format]);
        out.expect_code(2);
        out
    };
    let gh = check("github");
    let lines: Vec<&str> = gh.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", gh.stdout);
    assert!(
        lines[0].starts_with(&format!("::error file={},line=3,col=", sb.plan_str()))
            && lines[0].contains("title=remedy check::phases[0].kind: unknown variant `pach`")
            && lines[0].contains("%0Ahelp: did you mean `patch`?"),
        "{}",
        lines[0]
    );
    let json: serde_json::Value = serde_json::from_str(&check("json").stdout).unwrap();
    assert_eq!(json["valid"], false);
    let errors = json["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 4, "{json}");
    assert_eq!(errors[0]["path"], "phases[0].kind");
    assert_eq!(errors[0]["line"], 3);
    // A valid plan: JSON says so, and the annotations are none.
    let ok = sb.remedy(&[
        "check",
        &workspace()
            .join("plans")
            .join(PLAN_NAME)
            .display()
            .to_string(),
        "--format",
        "json",
    ]);
    ok.expect_code(0);
    let json: serde_json::Value = serde_json::from_str(&ok.stdout).unwrap();
    assert_eq!(json["valid"], true);
    assert_eq!(json["plan"]["id"], "issue-1184-websocket-await");
}
