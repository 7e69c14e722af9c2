//! The pytest phase against the sample projects in `tests/fixtures/pytest-projects/`, with real
//! pytest: the baseline comparison, criteria, resume, timeouts, xdist, and suites that cannot start.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::*;

/// The suites of the `flip` sample.
const FLIP_SUITES: &str = "
    suites:
      - { name: stable, args: [tests/stable] }
      - { name: flip, args: [tests/flip] }";

/// A baseline, the fix (which also breaks a test), and a judged run after it.
fn flip_plan(criteria: &str) -> String {
    format!(
        "id: flip
title: Turn the flag on
files:
  include: [\"app/**/*.py\"]
phases:
  - name: baseline
    kind: pytest
    allow_failures: true{FLIP_SUITES}
  - name: fix
    kind: patch
    edits:
      - {{ name: set the flag, regex: 'FIXED = False', replace: 'FIXED = True' }}
  - name: after
    kind: pytest
    compare_with: baseline
    jobs: 2{FLIP_SUITES}
    criteria: {criteria}
  - {{ name: report, kind: report }}
"
    )
}

fn phase<'a>(cp: &'a Value, name: &str) -> &'a Value {
    cp["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no phase {name} in {cp:#}"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn suite<'a>(outcome: &'a Value, name: &str) -> &'a Value {
    outcome["suites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no suite {name} in {outcome:#}"))
}

fn run_with_env(sb: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = sb.cmd();
    cmd.args(args).arg("--root").arg(&sb.repo);
    for (k, v) in env {
        cmd.env(k, v);
    }
    Run::from(cmd.output().unwrap())
}

#[test]
fn comparison_classifies_fixed_regressed_and_still_failing_and_lists_the_regressed() {
    require_pytest();
    let sb = Sandbox::fixture(
        "flip",
        &flip_plan("{ min_pass_rate: 0.5, no_new_failures: true }"),
    );
    let run = sb.remedy(&["run", sb.plan_str()]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("criterion `no new failures` not met"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("regressed (passed in `baseline`, fail now):\n    tests/flip/test_flip.py::test_regressed"),
        "{}",
        run.stderr
    );

    let cp = sb.checkpoint_of("flip");
    let after = &phase(&cp, "after")["outcome"];
    let c = &after["comparison"];
    assert_eq!(
        strings(&c["fixed"]),
        ["tests/flip/test_flip.py::test_fixed"]
    );
    assert_eq!(
        strings(&c["regressed"]),
        ["tests/flip/test_flip.py::test_regressed"]
    );
    assert_eq!(
        strings(&c["still_failing"]),
        ["tests/flip/test_flip.py::test_still_failing"]
    );
    assert!(strings(&c["new"]).is_empty() && strings(&c["gone"]).is_empty());
    assert_eq!(after["totals"]["passed"], 4);
    assert_eq!(after["totals"]["failed"], 2);
    assert_eq!(after["jobs"], 2);
    assert!(after["pytest_version"]
        .as_str()
        .unwrap()
        .starts_with(char::is_numeric));
    assert_eq!(after["python_chosen_by"], "python3 on the PATH");
    assert!(after.get("xdist").is_none(), "{after:#}");

    // The report, rendered from the checkpoint, shows the comparison and the failure messages.
    let report = sb.remedy(&["report"]);
    report.expect_code(0);
    let md = report.stdout;
    assert!(
        md.contains("| Fixed | Regressed | Still failing | New | Gone |\n|---:|---:|---:|---:|---:|\n| 1 | 1 | 1 | 0 | 0 |"),
        "{md}"
    );
    assert!(
        md.contains("AssertionError: this test relied on the flag being off"),
        "{md}"
    );
    assert!(md.contains("| stable | passed | 2 | 0 | 0 | 0 |"), "{md}");
    assert!(
        md.contains("Ran up to 2 suites at a time, no pytest-xdist."),
        "{md}"
    );
}

#[test]
fn resume_reruns_only_the_suites_that_did_not_pass() {
    require_pytest();
    let sb = Sandbox::fixture(
        "flip",
        &flip_plan("{ no_new_failures: true, min_pass_rate: 0.5 }"),
    );
    let trace = sb.dir.path().join("stable-runs");
    let trace_str = trace.to_str().unwrap();
    let runs_of_stable = || {
        fs::read_to_string(&trace)
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };
    let env = [("REMEDY_FIXTURE_TRACE", trace_str)];
    run_with_env(&sb, &["run", sb.plan_str()], &env).expect_code(1);
    // Two phases ran the stable suite's two tests.
    assert_eq!(runs_of_stable(), 4);

    // Nothing changed: --all-suites runs the passed suite again, and the phase fails again.
    run_with_env(&sb, &["resume", "--all-suites"], &env).expect_code(1);
    assert_eq!(runs_of_stable(), 6);
    let cp = sb.checkpoint_of("flip");
    assert!(suite(&phase(&cp, "after")["outcome"], "stable")
        .get("reused")
        .is_none());

    // The user fixes the test the change broke; a plain resume leaves the passed suite alone.
    let test = sb.read("tests/flip/test_flip.py");
    sb.write(
        "tests/flip/test_flip.py",
        test.replace("assert not flags.FIXED", "assert flags.FIXED"),
    );
    let resumed = run_with_env(&sb, &["resume"], &env);
    resumed.expect_code(0);
    assert_eq!(runs_of_stable(), 6, "the passed suite ran again");
    assert!(
        resumed
            .stderr
            .contains("after: reusing 1 suite that passed in the earlier attempt (stable)"),
        "{}",
        resumed.stderr
    );
    let cp = sb.checkpoint_of("flip");
    let after = phase(&cp, "after");
    assert_eq!(after["status"], "succeeded");
    assert_eq!(suite(&after["outcome"], "stable")["reused"], true);
    assert!(suite(&after["outcome"], "flip").get("reused").is_none());
    // The reused results still count: the totals cover both suites.
    assert_eq!(after["outcome"]["totals"]["passed"], 5);
    assert!(
        after["summary"]
            .as_str()
            .unwrap()
            .contains("reused from the earlier attempt: stable"),
        "{after:#}"
    );
    let md = fs::read_to_string(sb.repo.join(".remedy/flip/report.md")).unwrap();
    assert!(
        md.contains("Reused from the earlier attempt (passed then, not run again): `stable`."),
        "{md}"
    );
    assert!(md.contains("| stable | passed (reused) |"), "{md}");
}

#[test]
fn must_pass_names_failed_and_unmatched_tests() {
    require_pytest();
    let plan = format!(
        "id: flip
phases:
  - name: tests
    kind: pytest
    allow_failures: true{FLIP_SUITES}
    criteria:
      must_pass:
        - tests/stable/*
        - tests/flip/test_flip.py::test_still_failing
        - tests/flip/test_flip.py::test_fixd
"
    );
    let sb = Sandbox::fixture("flip", &plan);
    let run = sb.remedy(&["run", sb.plan_str()]);
    run.expect_code(1);
    for fragment in [
        "criterion `must pass` not met: expected every test of 3 listed entries passes, got 2 not passed",
        "must_pass `tests/flip/test_flip.py::test_still_failing`: `tests/flip/test_flip.py::test_still_failing` failed: AssertionError: arithmetic is not what this test thinks",
        "must_pass `tests/flip/test_flip.py::test_fixd` matched no test that ran, so it did not pass (did you mean `tests/flip/test_flip.py::test_fixed`?)",
    ] {
        assert!(run.stderr.contains(fragment), "missing `{fragment}` in:\n{}", run.stderr);
    }
    assert!(
        !run.stderr.contains("must_pass `tests/stable/*`"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_bad_must_pass_glob_and_zero_jobs_are_plan_errors() {
    let sb = Sandbox::empty(
        "id: x
phases:
  - name: tests
    kind: pytest
    jobs: 0
    workers: 0
    suites: [{ name: unit, args: [tests] }]
    criteria:
      must_pass: ['tests/test_a.py::test_b[x']
",
    );
    let run = sb.remedy(&["check", sb.plan_str()]);
    run.expect_code(2);
    for fragment in [
        "plan.yaml:5:11: phases[0].jobs: `jobs: 0` would run no suite",
        "plan.yaml:6:14: phases[0].workers: `workers: 0` asks pytest-xdist for no workers",
        "plan.yaml:9:19: phases[0].criteria.must_pass[0]: invalid glob `tests/test_a.py::test_b[x`",
        "write `[[]` for a literal `[`",
    ] {
        assert!(
            run.stderr.contains(fragment),
            "missing `{fragment}` in:\n{}",
            run.stderr
        );
    }
    sb.write_plan(
        "id: x\nphases:\n  - { name: t, kind: pytest, workers: many, suites: [{ name: u }] }\n",
    );
    let run = sb.remedy(&["check", sb.plan_str()]);
    run.expect_code(2);
    assert!(
        run.stderr
            .contains("expected `auto` or a number of workers"),
        "{}",
        run.stderr
    );
}

/// The pids of live processes whose command line contains `marker`.
fn processes_with(marker: &str) -> Vec<i32> {
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        // A process that exits between the listing and the read simply has no cmdline any more.
        let cmdline = fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(marker) {
            found.push(pid);
        }
    }
    found
}

#[test]
fn a_hanging_suite_is_killed_with_its_children_at_its_timeout() {
    require_pytest();
    let sb = Sandbox::fixture(
        "hang",
        "id: hang
phases:
  - name: tests
    kind: pytest
    suites:
      - { name: hangs, args: [tests], timeout: 5 }
",
    );
    let marker = sb.dir.path().join("hang-marker");
    fs::create_dir_all(&marker).unwrap();
    let marker_str = marker.to_str().unwrap();
    let started = Instant::now();
    let run = run_with_env(
        &sb,
        &["run", sb.plan_str()],
        &[("REMEDY_FIXTURE_MARKER", marker_str)],
    );
    run.expect_code(1);
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(
        run.stderr.contains("suite `hangs`: timed out: killed with its whole process group after 5.0s; last output: tests/test_hang.py::test_hangs"),
        "{}",
        run.stderr
    );
    let cp = sb.checkpoint_of("hang");
    let outcome = &phase(&cp, "tests")["outcome"];
    assert_eq!(suite(outcome, "hangs")["status"], "timed_out");

    // The test really started its child before it was killed: both pids were written.
    let pids = fs::read_to_string(marker.join("pids")).expect("the hanging test wrote its pids");
    let pids: Vec<i32> = pids
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    assert_eq!(pids.len(), 2);
    // Every process of the suite had the marker in its command line (pytest through its junit
    // path, the child as an argument). The kernel may take a moment to tear the last one down.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut survivors = processes_with(marker_str);
    while !survivors.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        survivors = processes_with(marker_str);
    }
    assert!(
        survivors.is_empty(),
        "processes survived the timeout: {survivors:?}"
    );
    // A process being torn down still has its /proc entry for a moment: poll, never read once.
    for pid in pids {
        let gone = |state: &str| state.is_empty() || state.split_whitespace().nth(2) == Some("Z");
        let mut state = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        while !gone(&state) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
            state = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        }
        assert!(gone(&state), "pid {pid} is alive: {state}");
    }
}

#[test]
fn no_tests_collected_is_a_failure_that_says_so() {
    require_pytest();
    let sb = Sandbox::fixture(
        "empty",
        "id: empty
phases:
  - name: tests
    kind: pytest
    allow_failures: true
    suites: [{ name: unit, args: [tests] }]
",
    );
    let run = sb.remedy(&["run", sb.plan_str()]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("suite `unit`: no tests collected: pytest collected no test from args [tests]; check the paths, any `-k` or `-m` expression, and that test files are named test_*.py or *_test.py"),
        "{}",
        run.stderr
    );
    let cp = sb.checkpoint_of("empty");
    assert_eq!(
        suite(&phase(&cp, "tests")["outcome"], "unit")["status"],
        "no_tests"
    );
}

#[test]
fn suites_that_cannot_start_are_named() {
    require_pytest();
    // An interpreter that does not exist.
    let sb = Sandbox::fixture(
        "flip",
        "id: flip
python: /nonexistent/python3
phases:
  - name: tests
    kind: pytest
    suites: [{ name: unit, args: [tests/flip] }, { name: more, args: [tests/stable] }]
",
    );
    let run = sb.remedy(&["run", sb.plan_str()]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("suites `unit`, `more` cannot start: cannot start the Python interpreter `/nonexistent/python3` (set by `python:` in the plan)"),
        "{}",
        run.stderr
    );

    // Arguments pytest rejects.
    let sb = Sandbox::fixture(
        "flip",
        "id: flip
phases:
  - name: tests
    kind: pytest
    suites:
      - { name: fine, args: [tests/stable] }
      - { name: typo, args: [tests/flip, --no-such-option] }
      - { name: nowhere, args: [tests/nowhere] }
",
    );
    let run = sb.remedy(&["run", sb.plan_str()]);
    run.expect_code(1);
    for fragment in [
        "suite `typo` cannot start: pytest rejected its arguments: python -m pytest: error: unrecognized arguments: --no-such-option",
        "suite `nowhere` cannot start: pytest rejected its arguments: ERROR: file or directory not found: tests/nowhere",
    ] {
        assert!(run.stderr.contains(fragment), "missing `{fragment}` in:\n{}", run.stderr);
    }
    let cp = sb.checkpoint_of("flip");
    let outcome = &phase(&cp, "tests")["outcome"];
    assert_eq!(suite(outcome, "fine")["status"], "passed");
    assert_eq!(suite(outcome, "typo")["status"], "usage_error");
}

/// The per-test statuses of a phase, by node id.
fn statuses(outcome: &Value) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = outcome["suites"]
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
        .collect();
    all.sort();
    all
}

#[test]
fn xdist_on_and_off_give_the_same_results_and_progress() {
    require_xdist();
    let sb = Sandbox::fixture(
        "flip",
        &format!(
            "id: flip
phases:
  - name: plain
    kind: pytest
    allow_failures: true{FLIP_SUITES}
  - name: parallel
    kind: pytest
    allow_failures: true
    workers: 2{FLIP_SUITES}
"
        ),
    );
    let run = sb.remedy(&["run", sb.plan_str(), "--json"]);
    run.expect_code(0);
    let cp = sb.checkpoint_of("flip");
    let plain = &phase(&cp, "plain")["outcome"];
    let parallel = &phase(&cp, "parallel")["outcome"];
    assert_eq!(statuses(plain).len(), 6);
    assert_eq!(statuses(plain), statuses(parallel));
    assert!(plain.get("xdist").is_none());
    assert_eq!(parallel["xdist"]["workers"], "2");
    assert!(!parallel["xdist"]["version"].as_str().unwrap().is_empty());
    let log = fs::read_to_string(sb.repo.join(".remedy/flip/logs/parallel--flip.log")).unwrap();
    assert!(log.contains("2 workers [4 items]"), "{log}");

    // Progress reaches "all tests done" in both modes.
    for phase_name in ["plain", "parallel"] {
        let last = run
            .stdout
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .rfind(|e| {
                e["event"] == "suite_progress" && e["phase"] == phase_name && e["suite"] == "flip"
            })
            .unwrap_or_else(|| panic!("no progress for {phase_name}:\n{}", run.stdout));
        assert_eq!((&last["done"], &last["total"]), (&4.into(), &4.into()));
    }
}

#[test]
fn workers_without_xdist_is_a_clear_error() {
    require_pytest();
    let sb = Sandbox::fixture(
        "flip",
        "id: flip
python: ../py-without-xdist
phases:
  - name: tests
    kind: pytest
    workers: auto
    suites: [{ name: unit, args: [tests/flip] }]
",
    );
    // The machine's python3, with pytest-xdist hidden by a module that refuses to import.
    let shim = sb.dir.path().join("shim/xdist");
    fs::create_dir_all(&shim).unwrap();
    fs::write(
        shim.join("__init__.py"),
        "raise ImportError('pytest-xdist is hidden from this interpreter')\n",
    )
    .unwrap();
    let wrapper = sb.dir.path().join("py-without-xdist");
    fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nPYTHONPATH={}\nexport PYTHONPATH\nexec python3 \"$@\"\n",
            sb.dir.path().join("shim").display()
        ),
    )
    .unwrap();
    make_executable(&wrapper);
    sb.write_plan(
        &fs::read_to_string(&sb.plan)
            .unwrap()
            .replace("../py-without-xdist", wrapper.to_str().unwrap()),
    );
    let run = sb.remedy(&["run", sb.plan_str()]);
    run.expect_code(1);
    assert!(
        run.stderr
            .contains("suite `unit` cannot start: `workers: auto` needs pytest-xdist, which"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("-m pip install pytest-xdist"),
        "{}",
        run.stderr
    );
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// Writes a minimal wheel of a package `remedy_fixture_pkg` into `dir`, so pip can install
/// something without reaching an index.
fn write_fixture_wheel(dir: &Path) -> std::path::PathBuf {
    fs::create_dir_all(dir).unwrap();
    let script = r#"
import base64, hashlib, sys, zipfile
name, version = "remedy_fixture_pkg", "1.0"
info = f"{name}-{version}.dist-info"
files = {
    f"{name}/__init__.py": "VALUE = 42\n",
    f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
    f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: remedy-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = []
for path, text in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
    record.append(f"{path},sha256={digest},{len(text.encode())}")
record.append(f"{info}/RECORD,,")
files[f"{info}/RECORD"] = "\n".join(record) + "\n"
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for path, text in files.items():
        z.writestr(path, text)
"#;
    let wheel = dir.join("remedy_fixture_pkg-1.0-py3-none-any.whl");
    let ok = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&wheel)
        .status()
        .unwrap()
        .success();
    assert!(ok, "could not write the fixture wheel");
    wheel
}

#[test]
fn requirements_make_one_environment_and_pip_failures_are_explained() {
    require_pytest();
    // Offline: pip may only use what the plan points at.
    let offline = [("PIP_NO_INDEX", "1"), ("PIP_FIND_LINKS", "")];
    let plan = |requirements: &str| {
        format!(
            "id: reqs
requirements: [{requirements}]
phases:
  - name: tests
    kind: pytest
    suites: [{{ name: unit, args: [tests/stable] }}]
"
        )
    };
    let sb = Sandbox::fixture("flip", &plan("remedy-no-such-package==0.0.1"));
    let run = run_with_env(&sb, &["run", sb.plan_str()], &offline);
    run.expect_code(1);
    assert!(
        run.stderr.contains("suite `unit` cannot start: pip could not install the plan's requirements [remedy-no-such-package==0.0.1] into"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("No matching distribution found for remedy-no-such-package==0.0.1"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("pip's full output is in"),
        "{}",
        run.stderr
    );
    let venvs = sb.repo.join(".remedy/venvs");
    let left: Vec<_> = fs::read_dir(&venvs).unwrap().flatten().collect();
    assert!(
        left.is_empty(),
        "a failed environment was left behind: {left:?}"
    );

    // A list pip can satisfy offline: the environment is made once and holds the package, and it
    // has only what the list names (no pytest from the machine), which the error says how to fix.
    let sb = Sandbox::fixture(
        "flip",
        &plan("./wheels/remedy_fixture_pkg-1.0-py3-none-any.whl"),
    );
    write_fixture_wheel(&sb.repo.join("wheels"));
    let run = run_with_env(&sb, &["run", sb.plan_str()], &offline);
    run.expect_code(1);
    assert!(
        run.stderr.contains("tests: created .remedy/venvs/"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("pytest is not importable by"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("add `pytest` to the plan's `requirements:`"),
        "{}",
        run.stderr
    );
    let venvs = sb.repo.join(".remedy/venvs");
    let envs: Vec<_> = fs::read_dir(&venvs)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(envs.len(), 1, "{envs:?}");
    let python = envs[0].join("bin/python");
    let out = std::process::Command::new(&python)
        .args(["-c", "import remedy_fixture_pkg as m; print(m.VALUE)"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "42");

    // The second run reuses it.
    sb.remedy(&["rollback", "--all"]).expect_code(0);
    let marker = envs[0].join("remedy-ready");
    let made = fs::metadata(&marker).unwrap().modified().unwrap();
    let again = run_with_env(&sb, &["run", sb.plan_str()], &offline);
    again.expect_code(1);
    assert!(
        !again.stderr.contains("created .remedy/venvs/"),
        "{}",
        again.stderr
    );
    assert_eq!(fs::metadata(&marker).unwrap().modified().unwrap(), made);
}

/// A test file that fails to import is a collection error, named with its file and its error,
/// not "interrupted" (the word for Ctrl-C), on the console, in the checkpoint and in the report.
#[test]
fn a_test_file_that_fails_to_import_is_a_collection_error_with_its_cause() {
    require_pytest();
    let sb = Sandbox::empty(
        "id: imports
phases:
  - name: tests
    kind: pytest
    suites: [{ name: unit, args: [tests] }]
  - { name: report, kind: report }
",
    );
    sb.write(
        "tests/test_broken.py",
        "import remedy_no_such_module\n\n\ndef test_never_runs():\n    assert True\n",
    );
    sb.write("tests/test_fine.py", "def test_fine():\n    assert True\n");
    let run = sb.remedy(&["run", sb.plan_str()]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("suite `unit`: collection error")
            && run.stderr.contains("tests/test_broken.py"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("interrupted"), "{}", run.stderr);
    let cp = sb.checkpoint_of("imports");
    let unit = suite(&phase(&cp, "tests")["outcome"], "unit");
    assert_eq!(unit["status"], "collection_error");
    let detail = unit["detail"].as_str().unwrap();
    assert!(
        detail.contains("ERROR tests/test_broken.py")
            && detail.contains("ModuleNotFoundError: No module named 'remedy_no_such_module'"),
        "{detail}"
    );
}

/// In a baseline (`allow_failures: true`), a test file that cannot be imported is a failure like
/// any other: code that uses a removed API fails exactly there. The suite still says why.
#[test]
fn a_collection_error_in_a_baseline_counts_as_failures() {
    require_pytest();
    let sb = Sandbox::empty(
        "id: imports
phases:
  - name: baseline
    kind: pytest
    allow_failures: true
    suites: [{ name: unit, args: [tests] }]
",
    );
    sb.write(
        "tests/test_broken.py",
        "from collections import Mapping\n\n\ndef test_never_runs():\n    assert Mapping\n",
    );
    sb.write("tests/test_fine.py", "def test_fine():\n    assert True\n");
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    let cp = sb.checkpoint_of("imports");
    let outcome = &phase(&cp, "baseline")["outcome"];
    let unit = suite(outcome, "unit");
    assert_eq!(unit["status"], "collection_error");
    assert!(
        unit["detail"].as_str().unwrap().contains("ImportError"),
        "{unit}"
    );
    assert_eq!(outcome["totals"]["errors"], 1, "{outcome}");
}
