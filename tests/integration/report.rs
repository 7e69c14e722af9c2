//! Reports of the sample run: snapshots of the Markdown and JSON (volatile fields normalised), and the
//! change inventory checked against the real difference between the trees.
//!
//! To accept a deliberate change of the reports, run with `REMEDY_BLESS=1` and review the diff of
//! `tests/snapshots/`.

use std::collections::BTreeSet;
use std::fs;

use regex::Regex;

use crate::harness::*;

/// Replaces what changes from run to run: paths, times, durations, interpreter and versions.
fn normalise(text: &str, sb: &Sandbox, python: &str, pytest: &str, version: &str) -> String {
    let mut t = text
        .replace(sb.repo.to_str().unwrap(), "ROOT")
        .replace(sb.plan.to_str().unwrap(), "PLAN");
    t = t.replace(python, "PYTHON");
    t = t
        .replace(&format!("pytest {pytest}"), "pytest X.Y.Z")
        .replace(
            &format!("\"pytest_version\": \"{pytest}\""),
            "\"pytest_version\": \"X.Y.Z\"",
        );
    t = t
        .replace(&format!("Python {version} "), "Python X.Y.Z ")
        .replace(
            &format!("\"python_version\": \"{version}\""),
            "\"python_version\": \"X.Y.Z\"",
        );
    t = t.replace(
        &format!("remedy {}", env!("CARGO_PKG_VERSION")),
        "remedy VERSION",
    );
    t = t.replace(
        &format!("\"tool_version\": \"{}\"", env!("CARGO_PKG_VERSION")),
        "\"tool_version\": \"VERSION\"",
    );
    let rules = [
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "TIME"),
        (r#""duration_ms": \d+"#, r#""duration_ms": 0"#),
        // The default number of suites at a time is the machine's CPU count.
        (r#""jobs": \d+"#, r#""jobs": N"#),
        // A baseline's key hashes the interpreter and its packages, which differ by machine.
        (r#""cache_key": "[0-9a-f]+""#, r#""cache_key": "KEY""#),
        (r"up to \d+ suites? at a time", "up to N suites at a time"),
        (r"\b\d+(\.\d+)?s\b", "Ns"),
        (r"\b\d+m\d\ds\b", "Ns"),
    ];
    for (re, with) in rules {
        t = Regex::new(re).unwrap().replace_all(&t, with).into_owned();
    }
    t
}

fn check_snapshot(name: &str, actual: &str) {
    let path = workspace().join("tests/snapshots").join(name);
    if std::env::var_os("REMEDY_BLESS").is_some() {
        fs::write(&path, actual).unwrap();
        return;
    }
    let expected = fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing snapshot {}; run with REMEDY_BLESS=1",
            path.display()
        )
    });
    if expected != actual {
        let diff = similar::TextDiff::from_lines(expected.as_str(), actual)
            .unified_diff()
            .header("expected", "actual")
            .to_string();
        panic!("report {name} differs from its snapshot (REMEDY_BLESS=1 accepts it):\n{diff}");
    }
}

#[test]
fn sample_reports_match_snapshots_and_the_real_diff() {
    require_pytest();
    let sb = Sandbox::sample();
    let before = read_all(&sb);
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    let state = sb.repo.join(".remedy/issue-1184-websocket-await");
    let md = fs::read_to_string(state.join("report.md")).unwrap();
    let json_text = fs::read_to_string(state.join("report.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&json_text).unwrap();
    let tests = json["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "tests")
        .unwrap();
    let python = tests["outcome"]["python"].as_str().unwrap().to_string();
    let pytest = tests["outcome"]["pytest_version"]
        .as_str()
        .unwrap()
        .to_string();
    let version = tests["outcome"]["python_version"]
        .as_str()
        .unwrap()
        .to_string();

    check_snapshot(
        "sample-report.md",
        &normalise(&md, &sb, &python, &pytest, &version),
    );
    check_snapshot(
        "sample-report.json",
        &normalise(&json_text, &sb, &python, &pytest, &version),
    );

    // `remedy report` renders the same Markdown from the checkpoint alone. Only the report phase's
    // own row differs: while it wrote the report it had no duration yet, and called itself "this
    // report"; now its record has both.
    let again = sb.remedy(&["report"]);
    again.expect_code(0);
    assert_eq!(
        normalise(&again.stdout, &sb, &python, &pytest, &version).replace(
            "| ✅ succeeded | Ns | wrote .remedy/issue-1184-websocket-await/report.md and .remedy/issue-1184-websocket-await/report.json |",
            "| ✅ succeeded |  | this report |"
        ),
        normalise(&md, &sb, &python, &pytest, &version)
    );

    // The pull request body: a snapshot, and the whole diff inside it byte for byte (the sample
    // has a file with CRLF endings), since the sample's fits.
    let pr = sb.remedy(&["report", "--format", "pr"]);
    pr.expect_code(0);
    check_snapshot(
        "sample-report-pr.md",
        &normalise(&pr.stdout, &sb, &python, &pytest, &version),
    );
    let diff = sb.remedy(&["diff"]);
    diff.expect_code(0);
    assert!(
        pr.stdout.contains(&format!("diff\n{}````\n", diff.stdout)),
        "the body does not hold the whole diff:\n{}\n--- remedy diff\n{}",
        pr.stdout,
        diff.stdout
    );
    assert!(!pr.stdout.contains("left out"), "{}", pr.stdout);
    let commit = sb.remedy(&["report", "--format", "commit"]);
    commit.expect_code(0);
    assert!(
        commit.stdout.starts_with(
            "Remove await from the synchronous get_websocket_manager()\n\nget_websocket_manager() returns"
        ),
        "{}",
        commit.stdout
    );
    assert!(
        commit.stdout.contains("\nChanges 58 sites in 23 files.\nTests `tests`: 44 of 44 tests (100.0%) passed; against baseline: 32\nfixed, 0 regressed, 0 still failing.\nCriteria: 12 of 12 met.\n\nRemedy-Plan: issue-1184-websocket-await\n"),
        "{}",
        commit.stdout
    );

    // The inventory (file, line) equals the lines that really differ between the trees.
    let after = read_all(&sb);
    let mut real = BTreeSet::new();
    for (path, old) in &before {
        let new = &after[path];
        for (i, (o, n)) in old.lines().zip(new.lines()).enumerate() {
            if o != n {
                real.insert((path.clone(), i as u64 + 1));
            }
        }
    }
    let mut reported = BTreeSet::new();
    for f in json["changes"]["files"].as_array().unwrap() {
        for l in f["lines"].as_array().unwrap() {
            reported.insert((f["path"].as_str().unwrap().to_string(), l.as_u64().unwrap()));
        }
    }
    assert_eq!(reported, real);
}

fn read_all(sb: &Sandbox) -> std::collections::BTreeMap<String, String> {
    sb.snapshot()
        .0
        .keys()
        .filter(|k| !k.ends_with('/'))
        .map(|k| (k.clone(), fs::read_to_string(sb.repo.join(k)).unwrap()))
        .collect()
}

#[test]
fn run_output_off_a_terminal_has_no_escape_codes_and_json_events_parse() {
    require_pytest();
    let sb = Sandbox::sample();
    let run = sb.remedy(&["run", sb.plan_str()]);
    run.expect_code(0);
    assert!(
        !run.all().contains('\u{1b}'),
        "escape codes in:\n{}",
        run.all()
    );
    assert!(
        run.stderr.contains("[4/7] unawait (patch)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("changed 58 sites in 23 files"),
        "{}",
        run.stderr
    );
    sb.remedy(&["rollback", "--all"]).expect_code(0);
    let json = sb.remedy(&["run", sb.plan_str(), "--json"]);
    json.expect_code(0);
    let events: Vec<serde_json::Value> = json
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.first().unwrap()["event"], "run_started");
    assert_eq!(events.last().unwrap()["event"], "run_finished");
    let finished: Vec<_> = events
        .iter()
        .filter(|e| e["event"] == "phase_finished")
        .collect();
    assert_eq!(finished.len(), 7);
    assert!(finished.iter().all(|e| e["status"] == "succeeded"));
    let status = sb.remedy(&["status", "--json"]);
    let st: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(st["status"], "succeeded");
}

#[test]
fn precondition_that_miscounts_the_work_is_flagged_in_the_report() {
    // The precondition counts the pattern in strings and comments too (no `skip`), so it finds three
    // more sites than the patch, which rightly leaves those alone.
    let sb = Sandbox::sample();
    sb.write_plan(
        r#"
id: issue-1184-websocket-await
files:
  include: ["**/*.py", "docs/**/*.md"]
phases:
  - name: preflight
    kind: validate
    checks:
      - { name: awaited call sites exist, pattern: 'await\s+get_websocket_manager\(', expect: ">= 1" }
  - name: unawait
    kind: patch
    edits:
      - { name: drop await, regex: 'await\s+(get_websocket_manager\()', replace: '$1', skip: [strings, comments] }
  - { name: report, kind: report }
"#,
    );
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    let md = sb.remedy(&["report"]).stdout;
    assert!(
        md.contains("**Count mismatch:** check “awaited call sites exist” in phase `preflight` counted **63** sites, but the patch changed **60**"),
        "{md}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&sb.remedy(&["report", "--format", "json"]).stdout).unwrap();
    assert_eq!(json["count_mismatches"][0]["counted"], 63);
    assert_eq!(json["count_mismatches"][0]["changed"], 60);
}

/// The figures docs/tutorial.md quotes from the sample's run (files and bytes backed up, sites
/// changed, files scanned and parsed, checks and tests) are the ones a real run of the sample
/// gives, so the tutorial cannot drift from what a reader sees.
#[test]
fn the_tutorial_quotes_the_figures_of_a_real_run_of_the_sample() {
    require_pytest();
    let sb = Sandbox::sample();
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    let cp = sb.checkpoint();
    let mut real: String = cp["phases"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["summary"].as_str())
        .collect::<Vec<_>>()
        .join("\n");
    real.push_str(&sb.read(".remedy/issue-1184-websocket-await/report.md"));
    let tutorial = fs::read_to_string(workspace().join("docs/tutorial.md")).unwrap();
    let figures = [
        r"back(?:ed)? up \d+ files \(\d+ bytes\)",
        r"changed \d+ sites in \d+ files \(\d+ scanned\)",
        r"\d+ of \d+ checks passed",
        r"\d+ passed, \d+ failed, \d+ errors, \d+ skipped \([\d.]+%\)",
        r"\*\*\d+ sites in \d+ files\*\* \(\d+ files scanned, \d+ parsed\)",
        r"\d+ fixed, \d+ regressed, \d+ still failing",
    ];
    let mut stale = Vec::new();
    let mut quoted = 0;
    for figure in figures {
        for m in Regex::new(figure).unwrap().find_iter(&tutorial) {
            quoted += 1;
            let text = m.as_str().replace("back up", "backed up");
            if !real.contains(&text) {
                stale.push(text);
            }
        }
    }
    assert!(quoted >= 10, "the tutorial quotes only {quoted} figures");
    stale.dedup();
    assert!(
        stale.is_empty(),
        "docs/tutorial.md quotes figures the sample's run does not give: {stale:?}\n--- the run gave\n{real}"
    );
}

/// `remedy report --format github` puts a failed postcondition on the lines that still hold the
/// site, and sites left alone on purpose as notices.
#[test]
fn the_report_as_github_annotations_points_at_the_lines() {
    let sb = Sandbox::empty(
        r#"
id: gh
files:
  include: ["**/*.py"]
phases:
  - name: unawait
    kind: patch
    edits:
      - { name: drop await, regex: 'await\s+(get_websocket_manager\()', replace: '$1', skip: [comments], files: { include: ["app/**"] } }
  - name: post
    kind: validate
    checks:
      - { name: none left, pattern: 'await\s+get_websocket_manager\(', skip: [comments], expect: "== 0" }
"#,
    );
    sb.write("app/m.py", "async def f():\n    # await get_websocket_manager()\n    return await get_websocket_manager()\n");
    sb.write(
        "lib/n.py",
        "async def g():\n    return await get_websocket_manager()\n",
    );
    sb.remedy(&["run", sb.plan_str()]).expect_code(1);
    let out = sb.remedy(&["report", "--format", "github"]);
    out.expect_code(0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines.contains(&"::notice file=app/m.py,line=2,title=unawait%3A left alone::`drop await` did not change this site: in a string or a comment (`skip`)"),
        "{}",
        out.stdout
    );
    assert!(
        lines.contains(&"::error file=lib/n.py,line=2,title=post%3A none left::expected == 0, found 1 in 1 file"),
        "{}",
        out.stdout
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("::error title=phase post failed::")),
        "{}",
        out.stdout
    );
}

/// A run that stopped early still has a pull request body: it names the phase that failed and
/// what did not run, and checks off only the criteria that held.
#[test]
fn the_pull_request_body_of_a_run_that_stopped_early_names_the_failed_phase() {
    let sb = Sandbox::empty(
        r#"
id: early
title: Drop the await
phases:
  - name: unawait
    kind: patch
    edits:
      - { name: drop await, regex: 'await\s+(get_websocket_manager\()', replace: '$1', files: { include: ["app/**"] } }
  - name: post
    kind: validate
    checks:
      - { name: none left, pattern: 'await\s+get_websocket_manager\(', expect: "== 0" }
  - { name: report, kind: report }
"#,
    );
    sb.write(
        "app/m.py",
        "async def f():\n    return await get_websocket_manager()\n",
    );
    sb.write(
        "lib/n.py",
        "async def g():\n    return await get_websocket_manager()\n",
    );
    sb.remedy(&["run", sb.plan_str()]).expect_code(1);
    let out = sb.remedy(&["report", "--format", "pr"]);
    out.expect_code(0);
    let body = out.stdout;
    assert!(
        body.contains("> **The run stopped early:** the validate phase `post` failed."),
        "{body}"
    );
    assert!(body.contains("> Not run: `report`."), "{body}");
    assert!(
        body.contains("- [ ] `post`: none left (expected == 0, got 1 in 1 file)"),
        "{body}"
    );
    assert!(body.contains("`unawait`: **1 site in 1 file**"), "{body}");
    assert!(
        body.contains(
            "-    return await get_websocket_manager()\n+    return get_websocket_manager()\n"
        ),
        "{body}"
    );
    assert!(body.contains("The plan runs no tests."), "{body}");
}
