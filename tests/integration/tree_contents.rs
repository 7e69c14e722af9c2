//! Files remedy did not write itself but must still account for: files with names that are not
//! UTF-8, and files the run's test suites and commands create in the tree.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;

use crate::harness::*;

#[test]
fn a_file_whose_name_is_not_utf8_is_counted_and_listed_as_skipped_never_invisible() {
    let sb = Sandbox::empty(
        r#"
id: latin1
files:
  include: ["**/*.py"]
phases:
  - name: pre
    kind: validate
    checks:
      - { name: sites, pattern: 'await\s+get_websocket_manager\(', expect: "== 2" }
  - { name: backup, kind: backup }
  - name: unawait
    kind: patch
    edits:
      - { name: drop await, regex: 'await\s+(get_websocket_manager\()', replace: '$1' }
  - { name: report, kind: report }
  - name: post
    kind: validate
    checks:
      - { name: none left, pattern: 'await\s+get_websocket_manager\(', expect: "== 0" }
"#,
    );
    sb.write(
        "app/ok.py",
        "async def f():\n    return await get_websocket_manager()\n",
    );
    let latin1 = sb.repo.join("app").join(OsStr::from_bytes(b"caf\xe9.py"));
    let content = b"async def g():\n    return await get_websocket_manager()\n";
    fs::write(&latin1, content).unwrap();

    let out = sb.remedy(&["run", sb.plan_str()]);
    // The postcondition sees the site that could not be fixed.
    out.expect_code(1);
    assert!(out.all().contains("none left"), "{}", out.all());
    assert_eq!(
        fs::read(&latin1).unwrap(),
        content,
        "the file was not touched"
    );
    assert!(sb
        .read("app/ok.py")
        .contains("return get_websocket_manager()"));
    let cp = sb.checkpoint_of("latin1");
    assert_eq!(cp["phases"][0]["outcome"]["checks"][0]["count"], 2, "{cp}");
    let skipped = cp["phases"][2]["outcome"]["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0]["path"], "app/caf\u{fffd}.py");
    let reason = skipped[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("not valid UTF-8") && reason.contains("by hand"),
        "{reason}"
    );
    let report = sb.read(".remedy/latin1/report.md");
    assert!(report.contains("caf\u{fffd}.py"), "{report}");
    assert_eq!(cp["phases"][4]["outcome"]["checks"][0]["count"], 1, "{cp}");
}

/// A plan whose tests write a log into the tree, before and after the patch.
const LOGGING_PLAN: &str = r#"
id: logs
files:
  include: ["**/*.py"]
phases:
  - { name: backup, kind: backup }
  - name: baseline
    kind: pytest
    suites: [{ name: unit, args: [tests] }]
  - name: unawait
    kind: patch
    edits:
      - { name: drop await, regex: 'await\s+(get_websocket_manager\()', replace: '$1' }
  - name: tests
    kind: pytest
    suites: [{ name: unit, args: [tests] }]
  - { name: report, kind: report }
"#;

fn logging_repo() -> Sandbox {
    require_pytest();
    let sb = Sandbox::empty(LOGGING_PLAN);
    sb.write(
        "app/m.py",
        "async def f():\n    return await get_websocket_manager()\n",
    );
    sb.write(
        "tests/test_log.py",
        "import pathlib\n\n\ndef test_writes_a_log():\n    logs = pathlib.Path('logs')\n    logs.mkdir(exist_ok=True)\n    with open(logs / 'run.log', 'a') as f:\n        f.write('ran\\n')\n",
    );
    sb
}

#[test]
fn files_a_test_suite_creates_are_listed_and_rollback_gives_the_exact_original_tree() {
    let sb = logging_repo();
    let before = sb.snapshot();
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    // The baseline created the log, the tests phase appended to it: both were the run's doing.
    assert_eq!(sb.read("logs/run.log"), "ran\nran\n");
    let cp = sb.checkpoint_of("logs");
    let created: Vec<&str> = cp["phases"][1]["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    // remedy runs pytest without its cache and without bytecode, so the log is all there is.
    assert_eq!(created, ["logs/run.log"]);
    assert_eq!(cp["phases"][1]["created_dirs"], serde_json::json!(["logs"]));
    assert!(cp["phases"][3]["created"].is_null(), "{cp}");
    let report = sb.read(".remedy/logs/report.md");
    assert!(
        report.contains("Files created by tests and commands") && report.contains("`logs/run.log`"),
        "{report}"
    );

    sb.remedy(&["rollback", "--all"]).expect_code(0);
    assert_eq!(
        sb.snapshot().differences(&before),
        Vec::<String>::new(),
        "rollback left the tree different from before the run"
    );
}

#[test]
fn a_created_file_edited_since_the_run_is_a_conflict_and_force_keeps_it_aside() {
    let sb = logging_repo();
    let before = sb.snapshot();
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    sb.write("logs/run.log", "ran\nran\nmy own note\n");
    let refused = sb.remedy(&["rollback", "--all"]);
    refused.expect_code(3);
    assert!(
        refused.stderr.contains("logs/run.log"),
        "{}",
        refused.stderr
    );
    assert_eq!(sb.read("logs/run.log"), "ran\nran\nmy own note\n");
    assert!(sb
        .read("app/m.py")
        .contains("return get_websocket_manager()"));

    let forced = sb.remedy(&["rollback", "--all", "--force"]);
    forced.expect_code(0);
    let aside: Vec<_> = walk_files(&sb.repo.join(".remedy/logs/conflicts"))
        .into_iter()
        .filter(|p| p.ends_with("logs/run.log"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert_eq!(
        fs::read_to_string(&aside[0]).unwrap(),
        "ran\nran\nmy own note\n"
    );
    assert_eq!(sb.snapshot().differences(&before), Vec::<String>::new());
}

fn walk_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk_files(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// A run remembers what its first walk met and which files lacked its words; a phase between two
/// walks that creates a file, gives an unchanged-looking file a site, and changes an ignore file
/// must be seen by the next walk, whether the tree had just been written (its directories are
/// then compared by name) or had stood still (their status is trusted).
#[test]
fn what_a_phase_changes_between_two_walks_is_seen_by_the_next_walk() {
    for settled in [false, true] {
        let sb = Sandbox::empty(
            r#"
id: between
files:
  include: ["**/*.py"]
phases:
  - name: preflight
    kind: validate
    checks:
      - name: sites exist
        python: { pattern: 'await get_websocket_manager($$$A)' }
        expect: ">= 1"
  - name: more
    kind: command
    argv: [sh, -c, 'mkdir -p late && printf "async def g():\n    return await get_websocket_manager(9)\n" > late/new.py && printf "async def h():\n    return await get_websocket_manager(8)\n" > app/quiet.py && printf "nothing/\n" > .gitignore']
  - { name: backup, kind: backup }
  - name: fix
    kind: patch
    edits:
      - name: drop await
        python: { pattern: 'await get_websocket_manager($$$A)', rewrite: 'get_websocket_manager($$$A)' }
  - name: postflight
    kind: validate
    checks:
      - name: none left
        python: { pattern: 'await get_websocket_manager($$$A)' }
        expect: "== 0"
"#,
        );
        sb.write(
            "app/m.py",
            "async def f():\n    return await get_websocket_manager(1)\n",
        );
        // Same length as what the command writes there, so only its status tells it changed.
        let quiet = "async def h():\n    return await get_something_else_ab(8)\n";
        assert_eq!(
            quiet.len(),
            "async def h():\n    return await get_websocket_manager(8)\n".len()
        );
        sb.write("app/quiet.py", quiet);
        sb.write(".gitignore", "build/\n");
        sb.write(
            "build/b.py",
            "async def b():\n    return await get_websocket_manager(2)\n",
        );
        if settled {
            // Older than the second a status must stand still to be trusted.
            std::thread::sleep(std::time::Duration::from_millis(1100));
        }
        let run = sb.remedy(&["run", sb.plan_str()]);
        assert_eq!(run.code, 0, "settled {settled}: {}", run.stderr);
        for (rel, call) in [
            ("app/m.py", "get_websocket_manager(1)"),
            ("late/new.py", "get_websocket_manager(9)"),
            ("app/quiet.py", "get_websocket_manager(8)"),
            ("build/b.py", "get_websocket_manager(2)"),
        ] {
            let text = sb.read(rel);
            assert!(
                text.contains(&format!("return {call}")) && !text.contains("await"),
                "settled {settled}: {rel} was not patched:\n{text}"
            );
        }
    }
}
