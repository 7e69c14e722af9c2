//! `remedy fleet`: one plan over a generated fleet of real git repositories (bare ones served by
//! `file://` URLs, one local bare path, one local checkout), with real pytest runs, a real
//! `kill -9`, real shards as separate processes, and `collect`.
//!
//! The fleet: 20 repositories and one URL to a missing path. Most have an awaited synchronous
//! call to fix and a test that passes once it is fixed; every fourth has nothing to change; one
//! has a test that relies on the await and regresses.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::harness::{remedy_cmd, require_pytest, Run, Tree};

const PLAN: &str = r#"
id: fleet-unawait
title: Stop awaiting the synchronous get_manager()
description: get_manager() returns the manager itself; awaiting it raises TypeError.
files:
  include: ["**/*.py"]
phases:
  - { name: backup, kind: backup }
  - name: baseline
    kind: pytest
    allow_failures: true
    suites: [{ name: unit, args: [tests, -p, no:cacheprovider] }]
  - name: unawait
    kind: patch
    edits:
      - { name: drop await, regex: 'await (get_manager\()', replace: '$1' }
  - name: tests
    kind: pytest
    compare_with: baseline
    suites: [{ name: unit, args: [tests, -p, no:cacheprovider] }]
    criteria: { no_new_failures: true }
  - { name: report, kind: report }
"#;

const BRANCH: &str = "remedy/fleet-unawait";

const MODULE: &str = "def get_manager():\n    return \"manager\"\n\n\nasync def handler():\n    return await get_manager()\n";

const TEST: &str = "import asyncio\n\nfrom app.ws import handler\n\n\ndef test_handler():\n    assert asyncio.run(handler()) == \"manager\"\n";

/// A test that relies on the await failing: the fix regresses it.
const TEST_RELYING_ON_AWAIT: &str = "import asyncio\n\nimport pytest\n\nfrom app.ws import handler\n\n\ndef test_handler_raises():\n    with pytest.raises(TypeError):\n        asyncio.run(handler())\n";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Fix,
    Clean,
    Regress,
}

/// Position → kind of the 20 real repositories (position 15 is the missing URL).
fn kind_of(position: usize) -> Kind {
    if position == 8 {
        Kind::Regress
    } else if position % 4 == 3 {
        Kind::Clean
    } else {
        Kind::Fix
    }
}

const POSITIONS: usize = 21;
const MISSING: usize = 15;
const LOCAL_BARE: usize = 5;
const LOCAL_CHECKOUT: usize = 10;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@localhost"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A work tree with the tiny package of `kind`, committed on `main`.
fn make_checkout(dir: &Path, kind: Kind) {
    fs::create_dir_all(dir.join("app")).unwrap();
    fs::create_dir_all(dir.join("tests")).unwrap();
    fs::write(dir.join("app/__init__.py"), "").unwrap();
    fs::write(dir.join("conftest.py"), "").unwrap();
    let module = if kind == Kind::Clean {
        MODULE.replace("await get_manager()", "get_manager()")
    } else {
        MODULE.to_string()
    };
    fs::write(dir.join("app/ws.py"), module).unwrap();
    let test = if kind == Kind::Regress {
        TEST_RELYING_ON_AWAIT
    } else {
        TEST
    };
    fs::write(dir.join("tests/test_ws.py"), test).unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "initial"]);
}

/// The bare repositories every test's fleet clones from, made once (clones never write to them).
fn sources() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("remedy-fleet-sources-")
            .tempdir()
            .unwrap()
            .keep();
        for p in (0..POSITIONS).filter(|p| *p != MISSING && *p != LOCAL_CHECKOUT) {
            let work = dir.join(format!("work{p:02}"));
            make_checkout(&work, kind_of(p));
            git(
                &dir,
                &[
                    "clone",
                    "-q",
                    "--bare",
                    work.to_str().unwrap(),
                    &format!("repo{p:02}.git"),
                ],
            );
            fs::remove_dir_all(&work).unwrap();
        }
        dir
    })
}

/// A test's own folder: the plan, the list, and the local checkout the list names.
struct Fleet {
    dir: tempfile::TempDir,
}

impl Fleet {
    fn new() -> Fleet {
        require_pytest();
        let dir = tempfile::Builder::new()
            .prefix("remedy-fleet-")
            .tempdir()
            .unwrap();
        fs::write(dir.path().join("plan.yaml"), PLAN).unwrap();
        make_checkout(&dir.path().join("local/app"), kind_of(LOCAL_CHECKOUT));
        let src = sources();
        let mut list = String::from("# the fleet of the tests\n\n");
        for p in 0..POSITIONS {
            let line = match p {
                MISSING => format!("file://{}/missing.git", src.display()),
                LOCAL_BARE => format!(
                    "{}/repo{p:02}.git   # a bare repository by path",
                    src.display()
                ),
                LOCAL_CHECKOUT => "local/app main".to_string(),
                _ => format!("file://{}/repo{p:02}.git", src.display()),
            };
            list.push_str(&line);
            list.push('\n');
        }
        fs::write(dir.path().join("repos.txt"), list).unwrap();
        Fleet { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = remedy_cmd(self.dir.path());
        for var in SHARD_VARS {
            cmd.env_remove(var);
        }
        cmd.env_remove("CI").args(args);
        cmd
    }

    fn remedy(&self, args: &[&str]) -> Run {
        Run::from(self.cmd(args).output().unwrap())
    }

    fn run_args(&self, ws: &str) -> Vec<String> {
        [
            "fleet",
            "run",
            "plan.yaml",
            "--repos",
            "repos.txt",
            "-j",
            "2",
            "--workspace",
            ws,
        ]
        .map(String::from)
        .to_vec()
    }

    fn report(&self, ws: &str) -> (String, serde_json::Value) {
        let md = self.remedy(&["fleet", "report", "--workspace", ws]);
        md.expect_code(0);
        let json = self.remedy(&["fleet", "report", "--workspace", ws, "--format", "json"]);
        json.expect_code(0);
        (md.stdout, serde_json::from_str(&json.stdout).unwrap())
    }
}

const SHARD_VARS: [&str; 9] = [
    "REMEDY_SHARD",
    "CI_NODE_INDEX",
    "CI_NODE_TOTAL",
    "JOB_COMPLETION_INDEX",
    "REMEDY_SHARD_COUNT",
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_MIN",
    "SLURM_ARRAY_TASK_COUNT",
    "GITHUB_ACTIONS",
];

fn name_of(position: usize) -> String {
    match position {
        MISSING => "missing".into(),
        LOCAL_CHECKOUT => "app".into(),
        p => format!("repo{p:02}"),
    }
}

fn expected_status(position: usize) -> &'static str {
    if position == MISSING {
        return "failed";
    }
    match kind_of(position) {
        Kind::Fix => "succeeded",
        Kind::Clean => "nothing_to_change",
        Kind::Regress => "failed",
    }
}

/// The single-machine run every other way of running the fleet must report the same as.
struct Reference {
    fleet: Fleet,
    run: Run,
    md: String,
    json: serde_json::Value,
    local_before: Tree,
    local_head: String,
}

fn reference() -> &'static Reference {
    static REF: OnceLock<Reference> = OnceLock::new();
    REF.get_or_init(|| {
        let fleet = Fleet::new();
        let local = fleet.path("local/app");
        let local_before = Tree::of(&local, false);
        let local_head = git(&local, &["rev-parse", "HEAD"]);
        let args = fleet.run_args("ws");
        let run = Run::from(
            fleet
                .cmd(&args.iter().map(String::as_str).collect::<Vec<_>>())
                .output()
                .unwrap(),
        );
        let (md, json) = fleet.report("ws");
        Reference {
            fleet,
            run,
            md,
            json,
            local_before,
            local_head,
        }
    })
}

#[test]
fn a_fleet_run_fixes_commits_reports_and_rolls_back() {
    let r = reference();
    // The failing ones (the regression, the clone) make the exit code 1; the others still ran.
    r.run.expect_code(1);
    assert!(r.run.stderr.contains("/ws"), "{}", r.run.stderr);

    let repos = r.json["repositories"].as_array().unwrap();
    assert_eq!(repos.len(), POSITIONS);
    for (p, row) in repos.iter().enumerate() {
        assert_eq!(row["name"], name_of(p), "{row}");
        assert_eq!(row["status"], expected_status(p), "{row}");
        let fixes = expected_status(p) == "succeeded" || (p == 8);
        assert_eq!(row["sites_fixed"], if fixes { 1 } else { 0 }, "{row}");
        let branch = if expected_status(p) == "succeeded" {
            serde_json::json!(BRANCH)
        } else {
            serde_json::Value::Null
        };
        assert_eq!(row["branch"], branch, "{row}");
    }
    let regressed = &repos[8];
    assert_eq!(regressed["phase"], "tests");
    assert_eq!(regressed["tests_regressed"], 1);
    assert_eq!(repos[MISSING]["phase"], "prepare");
    assert!(
        repos[MISSING]["reason"]
            .as_str()
            .unwrap()
            .contains("cannot clone"),
        "{}",
        repos[MISSING]
    );
    let succeeded = (0..POSITIONS)
        .filter(|p| expected_status(*p) == "succeeded")
        .count();
    let clean = (0..POSITIONS)
        .filter(|p| expected_status(*p) == "nothing_to_change")
        .count();
    let totals = &r.json["totals"];
    assert_eq!(totals["repositories"], POSITIONS);
    assert_eq!(totals["succeeded"], succeeded);
    assert_eq!(totals["nothing_to_change"], clean);
    assert_eq!(totals["failed"], 2);
    assert_eq!(totals["sites_fixed"], succeeded + 1);
    assert_eq!(totals["tests_fixed"], succeeded);
    assert_eq!(totals["tests_regressed"], 1);
    assert_eq!(r.json["complete"], true);

    // The Markdown: totals first, then a row per repository.
    let totals_at = r.md.find("| repositories |").unwrap();
    let rows_at = r.md.find("| repository |").unwrap();
    assert!(totals_at < rows_at, "{}", r.md);
    assert!(
        r.md.contains(&format!(
            "| {POSITIONS} | {succeeded} | {clean} | 2 | 0 | 0 | {} | {} | {succeeded} | 1 |",
            succeeded + 1,
            succeeded + 1
        )),
        "{}",
        r.md
    );
    assert!(
        r.md.contains("| repo00 | succeeded | 1 | 1 | 0 | `remedy/fleet-unawait` |  |"),
        "{}",
        r.md
    );
    assert!(
        r.md.contains("| repo03 | nothing to change | 0 | 0 | 0 |  |  |"),
        "{}",
        r.md
    );
    assert!(
        r.md.contains("| repo08 | failed | 1 | 0 | 1 |  | `tests`: "),
        "{}",
        r.md
    );

    // Commits on the branch, with the plan's title, description and the run's summary; only the
    // patched file, never .remedy/.
    let ws = r.fleet.path("ws");
    for p in (0..POSITIONS).filter(|p| expected_status(*p) == "succeeded") {
        let wt = ws.join("repos").join(name_of(p));
        assert_eq!(git(&wt, &["rev-parse", "--abbrev-ref", "HEAD"]), BRANCH);
        assert_eq!(git(&wt, &["rev-list", "--count", "HEAD^..HEAD"]), "1");
        let message = git(&wt, &["log", "-1", "--format=%B"]);
        assert!(message.starts_with("Stop awaiting the synchronous get_manager()\n\nget_manager() returns the manager itself"), "{message}");
        assert!(message.contains("Changes 1 site in 1 file."), "{message}");
        let words = message.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            words.contains("against baseline: 1 fixed, 0 regressed, 0 still failing."),
            "{message}"
        );
        assert!(
            message.trim_end().ends_with("Remedy-Plan: fleet-unawait"),
            "{message}"
        );
        assert_eq!(
            git(&wt, &["show", "--name-only", "--format=", "HEAD"]),
            "app/ws.py"
        );
        assert!(!fs::read_to_string(wt.join("app/ws.py"))
            .unwrap()
            .contains("await"));
        assert!(wt.join(".remedy/fleet-unawait/checkpoint.json").is_file());
        assert_eq!(git(&wt, &["status", "--porcelain", "--", ".remedy"]), "");
    }
    for p in (0..POSITIONS).filter(|p| expected_status(*p) == "nothing_to_change") {
        let wt = ws.join("repos").join(name_of(p));
        assert_eq!(
            git(&wt, &["rev-parse", "HEAD"]),
            git(&wt, &["rev-parse", "origin/main"])
        );
    }
    // The local checkout got a linked worktree; its own files, index and HEAD are untouched, and
    // so are the bare sources.
    let local = r.fleet.path("local/app");
    let wt = ws.join("repos/app");
    assert!(
        wt.join(".git").is_file(),
        "a linked worktree has a .git file"
    );
    let mut now = Tree::of(&local, false);
    let mut before = r.local_before.clone();
    // git's own bookkeeping of the new worktree and branch lives in .git.
    now.0.retain(|k, _| !k.starts_with(".git/"));
    before.0.retain(|k, _| !k.starts_with(".git/"));
    assert_eq!(before.differences(&now), Vec::<String>::new());
    assert_eq!(git(&local, &["rev-parse", "HEAD"]), r.local_head);
    assert_eq!(git(&local, &["status", "--porcelain"]), "");
    let src = sources();
    assert_eq!(
        git(
            &src.join("repo00.git"),
            &["for-each-ref", "--format=%(refname)"]
        ),
        "refs/heads/main"
    );

    // Status names every repository.
    let status = r.fleet.remedy(&["fleet", "status", "--workspace", "ws"]);
    status.expect_code(0);
    assert!(status.stdout.contains("repo08") && status.stdout.contains("failed"));

    // Rollback: every folder is byte-exactly its starting commit again, and the branch is back
    // at it.
    let unknown = r
        .fleet
        .remedy(&["fleet", "rollback", "--workspace", "ws", "nosuch"]);
    unknown.expect_code(2);
    assert!(
        unknown.stderr.contains("`nosuch`") && unknown.stderr.contains("repo00"),
        "{}",
        unknown.stderr
    );
    let one = r
        .fleet
        .remedy(&["fleet", "rollback", "--workspace", "ws", "repo00"]);
    one.expect_code(0);
    let status = r
        .fleet
        .remedy(&["fleet", "status", "--workspace", "ws", "--json"]);
    status.expect_code(0);
    let state: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(state["repositories"][0]["status"], "rolled_back");
    assert_eq!(state["repositories"][1]["status"], "succeeded");
    let rolled = r.fleet.remedy(&["fleet", "rollback", "--workspace", "ws"]);
    rolled.expect_code(0);
    for p in (0..POSITIONS).filter(|p| *p != MISSING) {
        let wt = ws.join("repos").join(name_of(p));
        let pristine = r.fleet.path(&format!("pristine/{}", name_of(p)));
        let from = if p == LOCAL_CHECKOUT {
            local.clone()
        } else {
            src.join(format!("repo{p:02}.git"))
        };
        git(
            r.fleet.dir.path(),
            &[
                "clone",
                "-q",
                from.to_str().unwrap(),
                pristine.to_str().unwrap(),
            ],
        );
        let strip = |mut t: Tree| {
            t.0.retain(|k, _| k != ".git" && k != ".git/" && !k.starts_with(".git/"));
            t
        };
        let got = strip(Tree::of(&wt, true));
        let want = strip(Tree::of(&pristine, true));
        assert_eq!(
            want.differences(&got),
            Vec::<String>::new(),
            "{}",
            name_of(p)
        );
        assert_eq!(
            git(&wt, &["rev-parse", BRANCH]),
            git(&pristine, &["rev-parse", "HEAD"])
        );
        assert_eq!(git(&wt, &["status", "--porcelain"]), "", "{}", name_of(p));
    }
    let state: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(ws.join("fleet.json")).unwrap()).unwrap();
    let rolled_back = state["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "rolled_back")
        .count();
    assert_eq!(rolled_back, POSITIONS - 1);
}

/// Pids of processes whose command line names `needle`.
fn processes_naming(needle: &str) -> Vec<i32> {
    let mut pids = Vec::new();
    for e in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let cmdline = fs::read(e.path().join("cmdline")).unwrap_or_default();
        let stat = fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        let zombie = stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z'));
        if !zombie && String::from_utf8_lossy(&cmdline).contains(needle) {
            pids.push(pid);
        }
    }
    pids
}

#[test]
fn a_kill_9_then_resume_reports_as_an_uninterrupted_run() {
    let fleet = Fleet::new();
    let args = fleet.run_args("ws");
    let mut child = fleet
        .cmd(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until some repositories are done and others are not, then kill -9.
    let state_file = fleet.path("ws/fleet.json");
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let text = fs::read_to_string(&state_file).unwrap_or_default();
        if let Ok(state) = serde_json::from_str::<serde_json::Value>(&text) {
            let done = state["repositories"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["status"] != "pending" && r["status"] != "running")
                .count();
            if done >= 4 {
                assert!(done < POSITIONS, "the fleet finished before the kill");
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the fleet never finished 4 repositories"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // Every child of the killed fleet dies with it.
    let ws = fleet.path("ws");
    let ws_text = ws.to_string_lossy().into_owned();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !processes_naming(&ws_text).is_empty() {
        assert!(
            Instant::now() < deadline,
            "children outlived the killed fleet: {:?}",
            processes_naming(&ws_text)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let state: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&state_file).unwrap()).unwrap();
    let unfinished = state["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "pending" || r["status"] == "running")
        .count();
    assert!(unfinished > 0, "{state}");

    // A second run into the same workspace is refused; resume completes it.
    let again = fleet.remedy(&args.iter().map(String::as_str).collect::<Vec<_>>());
    again.expect_code(2);
    assert!(again.stderr.contains("fleet resume"), "{}", again.stderr);
    let resumed = fleet.remedy(&["fleet", "resume", "--workspace", "ws", "-j", "2"]);
    resumed.expect_code(1);
    let (md, json) = fleet.report("ws");
    let r = reference();
    assert_eq!(json, r.json);
    assert_eq!(md, r.md);
    // No change committed twice.
    for p in (0..POSITIONS).filter(|p| expected_status(*p) == "succeeded") {
        let wt = ws.join("repos").join(name_of(p));
        let base = if p == LOCAL_CHECKOUT {
            "main"
        } else {
            "origin/main"
        };
        assert_eq!(
            git(&wt, &["rev-list", "--count", &format!("{base}..HEAD")]),
            "1"
        );
    }
}

#[test]
fn four_shards_collect_to_the_single_run_report() {
    let fleet = Fleet::new();
    // Four machines, as four processes: two name their shard, two read it from the environment
    // a CI engine sets.
    let mut children = Vec::new();
    for i in 1..=4 {
        let ws = format!("ws{i}");
        let out = format!("out{i}");
        let mut args = fleet.run_args(&ws);
        args[6] = "1".into(); // -j 1: four shards at once on two cores
        args.extend(["--out".into(), out, "--bundles".into(), "--shard".into()]);
        let mut cmd = match i {
            2 => {
                args.push("auto".into());
                let mut c = fleet.cmd(&args.iter().map(String::as_str).collect::<Vec<_>>());
                c.env("REMEDY_SHARD", "2/4");
                c
            }
            3 => {
                args.push("auto".into());
                let mut c = fleet.cmd(&args.iter().map(String::as_str).collect::<Vec<_>>());
                c.env("CI_NODE_INDEX", "3").env("CI_NODE_TOTAL", "4");
                c
            }
            _ => {
                args.push(format!("{i}/4"));
                fleet.cmd(&args.iter().map(String::as_str).collect::<Vec<_>>())
            }
        };
        cmd.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        children.push(cmd.spawn().unwrap());
    }
    for (i, child) in children.into_iter().enumerate() {
        let run = Run::from(child.wait_with_output().unwrap());
        assert!(
            run.code == 0 || run.code == 1,
            "shard {}: {}",
            i + 1,
            run.all()
        );
    }
    // Shard 1 holds positions 0, 4, 8, 12, 16, 20.
    let shard1: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(fleet.path("out1/fleet.json")).unwrap()).unwrap();
    let positions: Vec<u64> = shard1["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["position"].as_u64().unwrap())
        .collect();
    assert_eq!(positions, [0, 4, 8, 12, 16, 20]);
    assert_eq!(shard1["shard"], serde_json::json!({"index": 1, "count": 4}));
    assert_eq!(shard1["repo_count"], POSITIONS);
    assert!(fleet.path("out1/reports/repo00.json").is_file());
    let bundle = fleet.path("out1/bundles/repo00.bundle");
    assert!(git(
        fleet.dir.path(),
        &["bundle", "list-heads", bundle.to_str().unwrap()]
    )
    .contains(BRANCH));
    assert!(!fleet.path("out1/bundles/repo08.bundle").exists());

    let collected = fleet.remedy(&[
        "fleet",
        "collect",
        "out1",
        "out2",
        "out3",
        "out4",
        "--workspace",
        "merged",
    ]);
    collected.expect_code(1);
    let (md, json) = fleet.report("merged");
    let r = reference();
    assert_eq!(json, r.json);
    assert_eq!(md, r.md);

    // The collected state reports; its repositories are in the shards' workspaces.
    let resume = fleet.remedy(&["fleet", "resume", "--workspace", "merged"]);
    resume.expect_code(2);
    assert!(resume.stderr.contains("collected"), "{}", resume.stderr);

    let missing = fleet.remedy(&[
        "fleet",
        "collect",
        "out1",
        "out2",
        "out4",
        "--workspace",
        "m2",
    ]);
    missing.expect_code(2);
    assert!(
        missing.stderr.contains("shard 3/4 is missing"),
        "{}",
        missing.stderr
    );
    assert!(!fleet.path("m2").exists());
    let twice = fleet.remedy(&[
        "fleet",
        "collect",
        "out1",
        "out2",
        "out3",
        "out4",
        "out2",
        "--workspace",
        "m3",
    ]);
    twice.expect_code(2);
    assert!(
        twice.stderr.contains("shard 2/4 is given twice"),
        "{}",
        twice.stderr
    );
    assert!(!fleet.path("m3").exists());
}

#[test]
fn a_bad_repos_line_is_named_and_nothing_is_written() {
    let fleet = Fleet::new();
    fs::write(
        fleet.path("bad.txt"),
        "# fleet\nfile:///srv/a.git\nfile:///srv/b.git main extra\n",
    )
    .unwrap();
    let run = fleet.remedy(&[
        "fleet",
        "run",
        "plan.yaml",
        "--repos",
        "bad.txt",
        "--workspace",
        "ws",
    ]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("bad.txt:3: expected `SOURCE [REF]`"),
        "{}",
        run.stderr
    );
    assert!(!fleet.path("ws").exists());
    assert!(!fleet.path("remedy-fleet").exists());
}

#[test]
fn shard_auto_without_a_shard_in_the_environment_names_the_variables() {
    let fleet = Fleet::new();
    let run = fleet.remedy(&[
        "fleet",
        "run",
        "plan.yaml",
        "--repos",
        "repos.txt",
        "--shard",
        "auto",
        "--workspace",
        "ws",
    ]);
    run.expect_code(2);
    for var in [
        "REMEDY_SHARD",
        "CI_NODE_INDEX",
        "JOB_COMPLETION_INDEX",
        "SLURM_ARRAY_TASK_ID",
    ] {
        assert!(run.stderr.contains(var), "{}", run.stderr);
    }
    assert!(!fleet.path("ws").exists());
}
