//! `remedy run` on the sample project: the whole plan, the dry run, and what must never change.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use regex::Regex;

use crate::harness::*;

/// An awaited call of the factory in any of the sample's forms: direct, through the aliased
/// import `manager_for`, or as an attribute of the module imported as `wm`.
fn awaited() -> Regex {
    Regex::new(r"await\s+((?:wm\.|module\.)?get_websocket_manager\(|manager_for\()").unwrap()
}

#[test]
fn run_fixes_every_site_and_nothing_else() {
    require_pytest();
    let sb = Sandbox::sample();
    let before = sb.snapshot();
    let original: std::collections::BTreeMap<String, String> = before
        .0
        .keys()
        .filter(|k| !k.ends_with('/'))
        .map(|k| (k.clone(), fs::read_to_string(sb.repo.join(k)).unwrap()))
        .collect();

    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    let after = sb.snapshot();

    // Every changed line is the old line with `await ` removed before the factory; nothing else moved.
    let re = awaited();
    let mut changed_files = Vec::new();
    for (path, old) in &original {
        let new = fs::read_to_string(sb.repo.join(path)).unwrap();
        if &new == old {
            continue;
        }
        changed_files.push(path.clone());
        let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
        let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
        assert_eq!(
            old_lines.len(),
            new_lines.len(),
            "{path}: line count changed"
        );
        for (i, (o, n)) in old_lines.iter().zip(&new_lines).enumerate() {
            if o != n {
                assert_eq!(
                    &re.replace_all(o, "$1"),
                    n,
                    "{path}:{}: unexpected change",
                    i + 1
                );
            }
        }
    }
    assert_eq!(changed_files.len(), 23, "changed files: {changed_files:?}");

    // What remains awaited is exactly the three mentions inside a string, a comment and a
    // docstring, the reproductions that await the factory on purpose (inside
    // `pytest.raises(TypeError)` or `except TypeError`, or marked by a comment), and the call of a
    // name its file never binds.
    let mut remaining = Vec::new();
    for path in original.keys() {
        let text = fs::read_to_string(sb.repo.join(path)).unwrap();
        for (i, line) in text.lines().enumerate() {
            if re.is_match(line) {
                remaining.push(format!("{path}:{}", i + 1));
            }
        }
    }
    assert_eq!(
        remaining,
        vec![
            "app/routes/health.py:30",
            "app/services/legacy_alerts.py:12",
            "app/websocket_core/websocket_manager.py:178",
            "tests/unit/test_reproductions.py:21",
            "tests/unit/test_reproductions.py:28",
            "tests/unit/test_reproductions.py:37",
            "tests/unit/test_websocket_manager.py:17",
            "tests/unit/test_websocket_manager.py:26",
        ],
        "only the decoys and the deliberate await may still mention the awaited call"
    );
    for path in &remaining {
        let (file, line) = path.split_once(':').unwrap();
        let n: usize = line.parse().unwrap();
        assert_eq!(
            original[file].lines().nth(n - 1),
            sb.read(file).lines().nth(n - 1),
            "decoy {path} changed"
        );
    }

    // The real coroutines are still awaited, as often as before.
    for decoy in [
        "await get_websocket_manager_async(",
        "await get_websocket_manager_factory(",
        "await self.get_websocket_manager(",
    ] {
        let count = |tree: &dyn Fn(&str) -> String| {
            original
                .keys()
                .map(|p| tree(p).matches(decoy).count())
                .sum::<usize>()
        };
        assert_eq!(
            count(&|p| original[p].clone()),
            count(&|p| sb.read(p)),
            "{decoy}"
        );
    }

    // Line endings and permissions are kept.
    let crlf = "app/services/notification_service.py";
    let text = sb.read(crlf);
    assert_eq!(
        text.matches("\r\n").count(),
        text.matches('\n').count(),
        "{crlf} lost CRLF line endings"
    );
    assert_eq!(
        text.matches("\r\n").count(),
        original[crlf].matches("\r\n").count()
    );
    let mode = fs::metadata(sb.repo.join("scripts/broadcast_maintenance.py"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o755);
    for diff in before.differences(&after) {
        assert!(diff.starts_with("changed: "), "unexpected: {diff}");
    }

    // The checkpoint: the baseline failed as the defect predicts, the tests pass after the fix.
    let cp = sb.checkpoint();
    let phase = |name: &str| {
        cp["phases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()
            .clone()
    };
    let baseline = phase("baseline");
    assert_eq!(baseline["status"], "succeeded");
    assert!(
        baseline["outcome"]["totals"]["failed"].as_u64().unwrap() >= 20,
        "{baseline}"
    );
    let messages = serde_json::to_string(&baseline["outcome"]["suites"]).unwrap();
    assert!(messages.contains("can't be used in 'await' expression"));
    let tests = phase("tests");
    assert_eq!(tests["outcome"]["totals"]["failed"], 0);
    assert_eq!(tests["outcome"]["totals"]["errors"], 0);
    assert!(tests["outcome"]["totals"]["passed"].as_u64().unwrap() >= 30);
    assert!(tests["outcome"]["comparison"]["regressed"]
        .as_array()
        .unwrap()
        .is_empty());
    assert!(
        tests["outcome"]["comparison"]["fixed"]
            .as_array()
            .unwrap()
            .len()
            >= 20
    );

    // The JSON report states the counts; the Markdown report names every changed file and line.
    let report: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(
            sb.repo
                .join(".remedy/issue-1184-websocket-await/report.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["changes"]["sites_changed"], 58);
    assert_eq!(report["changes"]["files_changed"], 23);
    let md =
        fs::read_to_string(sb.repo.join(".remedy/issue-1184-websocket-await/report.md")).unwrap();
    for file in report["changes"]["files"].as_array().unwrap() {
        let path = file["path"].as_str().unwrap();
        let lines: Vec<String> = file["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.to_string())
            .collect();
        let row = format!("| `{path}` | {} |", lines.join(", "));
        assert!(md.contains(&row), "report lacks the row {row}");
        // The lines are those where the original had a site.
        for l in file["lines"].as_array().unwrap() {
            let n = l.as_u64().unwrap() as usize;
            assert!(
                re.is_match(original[path].lines().nth(n - 1).unwrap()),
                "{path}:{n} is not a site"
            );
        }
    }

    // `.remedy/` hides itself from git.
    assert_eq!(
        fs::read_to_string(sb.repo.join(".remedy/.gitignore")).unwrap(),
        "*\n"
    );
    // Running tests left no bytecode or pytest cache in the tree.
    assert!(!after
        .0
        .keys()
        .any(|k| k.contains("__pycache__") || k.contains(".pytest_cache")));
}

#[test]
fn dry_run_writes_nothing_and_prints_diffs() {
    let sb = Sandbox::sample();
    let before = Tree::of(&sb.repo, false);
    let run = sb.remedy(&["run", sb.plan_str(), "--dry-run"]);
    run.expect_code(0);
    assert_eq!(
        Tree::of(&sb.repo, false),
        before,
        "a dry run changed the tree"
    );
    assert!(!sb.repo.join(".remedy").exists());
    assert!(
        run.stdout.contains("--- a/app/agents/execution_engine.py"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("+++ b/app/agents/execution_engine.py"));
    assert!(run
        .stdout
        .contains("-        manager = await get_websocket_manager(ctx)"));
    assert!(run
        .stdout
        .contains("+        manager = get_websocket_manager(ctx)"));
    // Postconditions are evaluated against the previewed result, so they pass.
    assert!(
        run.stderr.contains("postflight succeeded"),
        "{}",
        run.stderr
    );
    // Not a terminal: no escape codes anywhere.
    assert!(
        !run.all().contains('\u{1b}'),
        "escape codes in non-terminal output"
    );
}

#[test]
fn rollback_all_restores_every_byte_and_mode() {
    require_pytest();
    let sb = Sandbox::sample();
    let before = sb.snapshot();
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    assert_ne!(sb.snapshot(), before);
    let out = sb.remedy(&["rollback", "--all"]);
    out.expect_code(0);
    assert_eq!(sb.snapshot().differences(&before), Vec::<String>::new());
    assert!(!sb
        .repo
        .join(".remedy/issue-1184-websocket-await/report.md")
        .exists());
    // A second rollback is a no-op.
    let again = sb.remedy(&["rollback", "--all"]);
    again.expect_code(0);
    assert!(
        again.stdout.contains("nothing to roll back"),
        "{}",
        again.stdout
    );
    assert_eq!(sb.snapshot().differences(&before), Vec::<String>::new());
    let status = sb.remedy(&["status"]);
    assert!(status.stdout.contains("rolled back"), "{}", status.stdout);
}

#[test]
fn missing_pytest_names_the_interpreter_and_the_fix() {
    let sb = Sandbox::sample();
    // A real interpreter without pytest: a bare virtual environment without pip or site-packages.
    let venv = sb.dir.path().join("bare-venv");
    let ok = std::process::Command::new("python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .unwrap()
        .success();
    assert!(ok, "python3 -m venv failed");
    let python = venv.join("bin/python");
    let plan = fs::read_to_string(&sb.plan).unwrap().replace(
        "files:\n",
        &format!("python: {}\nfiles:\n", python.display()),
    );
    sb.write_plan(&plan);
    let run = sb.remedy(&["run", sb.plan_str()]);
    run.expect_code(1);
    let text = run.all();
    assert!(text.contains(&python.display().to_string()), "{text}");
    assert!(
        text.contains("No module named 'pytest'") || text.contains("No module named pytest"),
        "{text}"
    );
    assert!(text.contains("-m pip install pytest"), "{text}");
    assert!(text.contains("python:"), "{text}");
    // Nothing was patched: the failing phase comes before the patch.
    let status = sb.remedy(&["status"]);
    assert!(
        status.stdout.contains("baseline    pytest    failed"),
        "{}",
        status.stdout
    );
    assert!(
        status.stdout.contains("unawait     patch     pending"),
        "{}",
        status.stdout
    );
}

#[test]
fn demo_runs_the_sample_end_to_end_in_the_given_folder() {
    require_pytest();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("try");
    let out = Run::from(
        remedy_cmd(dir.path())
            .arg("demo")
            .arg(&target)
            .output()
            .unwrap(),
    );
    out.expect_code(0);
    let repo = target.join("websocket-app");
    assert!(out.stdout.contains("Report: "), "{}", out.stdout);
    assert!(out
        .stdout
        .contains(&format!("remedy rollback --all --root {}", repo.display())));
    assert!(repo
        .join(".remedy/issue-1184-websocket-await/report.md")
        .is_file());
    assert!(!fs::read_to_string(repo.join("app/agents/supervisor.py"))
        .unwrap()
        .contains("await get_websocket_manager("));
    // A second demo into the same folder refuses rather than mixing runs.
    let again = Run::from(
        remedy_cmd(dir.path())
            .arg("demo")
            .arg(&target)
            .output()
            .unwrap(),
    );
    again.expect_code(2);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
}

#[test]
fn patch_after_a_command_sees_what_the_command_wrote() {
    // The backup phase's scan is reused by the patch phase it protects, but not across a phase that
    // may write to the tree: here a command adds a file with a site in between.
    let sb = Sandbox::empty(
        r#"
id: kept-scan
files:
  include: ["**/*.py"]
phases:
  - { name: backup, kind: backup, phases: [unawait] }
  - name: add
    kind: command
    argv: [sh, -c, "printf 'async def g():\n    return await get_websocket_manager()\n' > app/late.py"]
  - name: unawait
    kind: patch
    edits:
      - { name: drop await, regex: 'await\s+(get_websocket_manager\()', replace: '$1' }
"#,
    );
    sb.write(
        "app/early.py",
        "async def f():\n    return await get_websocket_manager()\n",
    );
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    assert_eq!(
        sb.read("app/early.py"),
        "async def f():\n    return get_websocket_manager()\n"
    );
    assert_eq!(
        sb.read("app/late.py"),
        "async def g():\n    return get_websocket_manager()\n"
    );
}

/// The `help:` line of a failed run names commands that work as printed, from the folder the
/// user ran remedy in, with the `--root` they gave.
#[test]
fn the_hints_of_a_failed_run_can_be_pasted_as_printed() {
    let sb = Sandbox::empty(
        "id: hints\nphases:\n  - { name: gate, kind: command, argv: [sh, -c, \"exit 1\"] }\n",
    );
    // A root given relative to where the user stands, with a space in its name.
    let root = sb.dir.path().join("my repo");
    fs::create_dir_all(&root).unwrap();
    let out = Run::from(
        remedy_cmd(sb.dir.path())
            .args(["run", sb.plan_str(), "--root", "my repo"])
            .output()
            .unwrap(),
    );
    out.expect_code(1);
    let help = out
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("help: "))
        .unwrap_or_else(|| panic!("no help line:\n{}", out.stderr));
    let commands: Vec<&str> = help.split('`').skip(1).step_by(2).collect();
    assert!(
        commands.contains(&"remedy resume --root 'my repo'"),
        "{help}"
    );
    for command in commands {
        let pasted = std::process::Command::new("sh")
            .arg("-c")
            .arg(command.replacen("remedy", env!("CARGO_BIN_EXE_remedy"), 1))
            .current_dir(sb.dir.path())
            .output()
            .unwrap();
        // Usage errors (exit 2) are what a hint must never lead to.
        assert_ne!(pasted.status.code(), Some(2), "`{command}`: {pasted:?}");
    }
}

#[test]
fn a_run_that_stops_still_writes_its_report_with_the_cause_at_the_top() {
    let sb = Sandbox::empty(
        "id: stops\nphases:\n  - { name: gate, kind: command, argv: [sh, -c, \"echo the gate is shut; exit 3\"] }\n  - { name: report, kind: report }\n",
    );
    let out = sb.remedy(&["run", sb.plan_str()]);
    out.expect_code(1);
    assert!(
        out.stderr.contains(".remedy/stops/report.md"),
        "{}",
        out.stderr
    );
    let md = sb.read(".remedy/stops/report.md");
    let caution = md.find("[!CAUTION]").expect("the cause is at the top");
    assert!(caution < md.find("## Phases").unwrap(), "{md}");
    assert!(md.contains("phase `gate` failed"), "{md}");
    let json: serde_json::Value =
        serde_json::from_str(&sb.read(".remedy/stops/report.json")).unwrap();
    assert_eq!(json["status"], "failed");
    assert_eq!(json["phases"][0]["status"], "failed");
    // The run is still one to resume or roll back; the report does not stand in the way.
    sb.remedy(&["rollback", "--all"]).expect_code(0);
}

#[test]
fn diff_and_rollback_speak_json_when_asked() {
    let sb = Sandbox::empty(
        "id: js\nfiles:\n  include: [\"**/*.py\"]\nphases:\n  - { name: backup, kind: backup }\n  - name: unawait\n    kind: patch\n    edits:\n      - { name: drop await, regex: 'await\\s+(get_websocket_manager\\()', replace: '$1' }\n",
    );
    sb.write(
        "app/m.py",
        "async def f():\n    return await get_websocket_manager()\n",
    );
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    let diff = sb.remedy(&["diff", "--json"]);
    diff.expect_code(0);
    let diffs: serde_json::Value = serde_json::from_str(&diff.stdout).unwrap();
    assert_eq!(diffs[0]["phase"], "unawait");
    assert_eq!(diffs[0]["path"], "app/m.py");
    assert!(diffs[0]["diff"]
        .as_str()
        .unwrap()
        .contains("+    return get_websocket_manager()"));
    let rolled = sb.remedy(&["rollback", "--all", "--json"]);
    rolled.expect_code(0);
    let summary: serde_json::Value = serde_json::from_str(rolled.stdout.trim()).unwrap();
    assert_eq!(summary["phases"], serde_json::json!(["unawait", "backup"]));
    assert_eq!(summary["restored"], 1);
    // A rollback that cannot start answers in JSON too.
    let again = sb.remedy(&["rollback", "nope", "--json"]);
    again.expect_code(2);
    let error: serde_json::Value = serde_json::from_str(again.stdout.trim()).unwrap();
    assert_eq!(error["event"], "error");
}

#[test]
fn a_dry_run_in_json_gives_each_diff_with_its_file() {
    let sb = Sandbox::empty(
        "id: dry\nfiles:\n  include: [\"**/*.py\"]\nphases:\n  - name: unawait\n    kind: patch\n    edits:\n      - { name: drop await, regex: 'await\\s+(get_websocket_manager\\()', replace: '$1' }\n",
    );
    sb.write(
        "app/a.py",
        "async def f():\n    return await get_websocket_manager()\n",
    );
    sb.write(
        "app/b.py",
        "async def g():\n    return await get_websocket_manager(1)\n",
    );
    let before = sb.snapshot();
    let run = sb.remedy(&["run", sb.plan_str(), "--dry-run", "--json"]);
    run.expect_code(0);
    let diffs: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["event"] == "diff")
        .collect();
    let paths: Vec<&str> = diffs.iter().map(|d| d["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["app/a.py", "app/b.py"]);
    assert_eq!(diffs[0]["phase"], "unawait");
    assert!(diffs[1]["diff"]
        .as_str()
        .unwrap()
        .contains("+    return get_websocket_manager(1)"));
    assert_eq!(sb.snapshot().differences(&before), Vec::<String>::new());
}

/// On a machine whose python3 has no pytest, the demo makes an environment beside the sample
/// (it needs the package index), names it in its copy of the plan, and a rollback then leaves the
/// sample exactly as bundled.
#[test]
fn demo_without_pytest_installs_it_beside_the_sample_and_rolls_back_to_the_bundled_tree() {
    let dir = tempfile::tempdir().unwrap();
    let bare = dir.path().join("bare");
    let made = std::process::Command::new("python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(&bare)
        .status()
        .unwrap();
    assert!(made.success(), "python3 -m venv failed");
    let path = std::env::join_paths(std::iter::once(bare.join("bin")).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let target = dir.path().join("try");
    let out = Run::from(
        remedy_cmd(dir.path())
            .env("PATH", &path)
            .arg("demo")
            .arg(&target)
            .output()
            .unwrap(),
    );
    out.expect_code(0);
    assert!(
        out.stderr.contains("cannot import pytest; creating"),
        "{}",
        out.stderr
    );
    let plan = fs::read_to_string(target.join("issue-1184-websocket-await.yaml")).unwrap();
    let venv_python = target.join("python-venv/bin/python");
    assert!(
        plan.trim_end()
            .ends_with(&format!("python: {}", venv_python.display())),
        "{plan}"
    );
    let repo = target.join("websocket-app");
    let rolled = Run::from(
        remedy_cmd(dir.path())
            .env("PATH", &path)
            .args(["rollback", "--all", "--root"])
            .arg(&repo)
            .output()
            .unwrap(),
    );
    rolled.expect_code(0);
    // The bundled folder may hold what a local pytest run or venv left there; the demo embeds only
    // the sample's own files.
    let sample_only = |mut tree: Tree| {
        tree.0.retain(|k, _| {
            !k.split('/')
                .any(|part| matches!(part, "__pycache__" | ".pytest_cache" | ".venv"))
        });
        tree
    };
    let bundled = sample_only(Tree::of(&workspace().join("examples/websocket-app"), true));
    let now = sample_only(Tree::of(&repo, true));
    assert_eq!(now.differences(&bundled), Vec::<String>::new());
}
