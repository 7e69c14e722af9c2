//! The recovery contract: resume and rollback after real failures, kills and signals.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use regex::Regex;

use crate::harness::*;

/// A small deterministic generator, so a failing seed can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const PLAN: &str = r#"
id: crash
title: Remove await from the synchronous factory
files:
  include: ["**/*.py"]
phases:
  - name: preflight
    kind: validate
    checks:
      - { name: sites exist, pattern: 'await\s+get_websocket_manager\(', expect: ">= 1" }
  - name: backup
    kind: backup
  - name: unawait
    kind: patch
    edits:
      - { name: drop await, regex: 'await\s+(get_websocket_manager\()', replace: '$1' }
  - name: slow
    kind: pytest
    suites: [{ name: slow, args: [tests] }]
  - name: report
    kind: report
"#;

/// Writes a repository of `files` Python modules, a tenth of them with awaited call sites, some CRLF,
/// some executable, plus a slow test suite.
fn generate_repo(root: &Path, files: usize, rng: &mut Rng) {
    for i in 0..files {
        let dir = root.join(format!("pkg{}/sub{}", i % 37, i % 5));
        fs::create_dir_all(&dir).unwrap();
        let mut text = format!("\"\"\"Module {i}.\"\"\"\nimport asyncio\n\n");
        for f in 0..(1 + rng.below(6)) {
            text.push_str(&format!(
                "\nasync def handler_{f}(ctx):\n    value = {}\n",
                rng.below(1000)
            ));
            match rng.below(20) {
                0 | 1 => text.push_str(
                    "    manager = await get_websocket_manager(ctx)\n    return manager\n",
                ),
                2 => text.push_str(
                    "    return await get_websocket_manager(\n        user_context=ctx,\n    )\n",
                ),
                3 => text.push_str(
                    "    other = await get_websocket_manager_async(ctx)\n    return other\n",
                ),
                _ => text.push_str("    await asyncio.sleep(0)\n    return value\n"),
            }
        }
        if rng.below(10) == 0 {
            text = text.replace('\n', "\r\n");
        }
        let path = dir.join(format!("mod_{i}.py"));
        fs::write(&path, text).unwrap();
        if rng.below(15) == 0 {
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    fs::create_dir_all(root.join("tests")).unwrap();
    fs::write(
        root.join("tests/test_slow.py"),
        "import time\n\n\ndef test_one():\n    time.sleep(0.4)\n\n\ndef test_two():\n    time.sleep(0.4)\n",
    )
    .unwrap();
}

/// The tree the plan must produce: every site fixed, every mode kept.
fn expected_after(before: &BTreeMap<String, (Vec<u8>, u32)>) -> BTreeMap<String, (Vec<u8>, u32)> {
    let re = Regex::new(r"await\s+(get_websocket_manager\()").unwrap();
    before
        .iter()
        .map(|(k, (bytes, mode))| {
            let text = String::from_utf8(bytes.clone()).unwrap();
            (
                k.clone(),
                (re.replace_all(&text, "$1").into_owned().into_bytes(), *mode),
            )
        })
        .collect()
}

/// Every file (not folders) under `root`, outside `.remedy/`: content and mode.
fn read_tree(root: &Path) -> BTreeMap<String, (Vec<u8>, u32)> {
    let mut out = BTreeMap::new();
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, (Vec<u8>, u32)>) {
        for e in fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if rel == ".remedy" {
                continue;
            }
            if e.file_type().unwrap().is_dir() {
                walk(root, &p, out);
            } else {
                let mode = e.metadata().unwrap().permissions().mode() & 0o7777;
                out.insert(rel, (fs::read(&p).unwrap(), mode));
            }
        }
    }
    walk(root, root, &mut out);
    out
}

fn spawn_run(repo: &Path, plan: &Path) -> Child {
    remedy_cmd(repo)
        .args(["run"])
        .arg(plan)
        .arg("--root")
        .arg(repo)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn kill9(child: &mut Child) {
    // SAFETY: sending a signal to our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    let _ = child.wait();
}

/// After a kill, every file is either its before- or its after-version, with its mode.
fn assert_before_or_after(
    tree: &BTreeMap<String, (Vec<u8>, u32)>,
    before: &BTreeMap<String, (Vec<u8>, u32)>,
    after: &BTreeMap<String, (Vec<u8>, u32)>,
    context: &str,
) {
    for (path, now) in tree {
        if path
            .rsplit('/')
            .next()
            .is_some_and(|n| n.starts_with(".remedy-tmp-"))
        {
            continue; // A temporary file of an interrupted atomic write; resume and rollback remove it.
        }
        let b = before.get(path);
        let a = after.get(path);
        assert!(
            b == Some(now) || a == Some(now),
            "{context}: {path} is neither before nor after"
        );
    }
    for path in before.keys() {
        assert!(tree.contains_key(path), "{context}: {path} vanished");
    }
}

#[track_caller]
fn assert_tree(repo: &Path, want: &BTreeMap<String, (Vec<u8>, u32)>, context: &str) {
    let now = read_tree(repo);
    let diff: Vec<&String> = want
        .keys()
        .chain(now.keys())
        .filter(|k| want.get(*k) != now.get(*k))
        .collect();
    assert!(
        diff.is_empty(),
        "{context}: tree differs at {:?}",
        diff.iter().take(10).collect::<Vec<_>>()
    );
}

/// Kills `remedy run` at random instants, then resumes or rolls back, and checks the tree each time.
#[test]
fn crash_consistency_under_sigkill() {
    require_pytest();
    let seed: u64 = std::env::var("REMEDY_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    let kills: usize = std::env::var("REMEDY_CRASH_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(16);
    let files: usize = std::env::var("REMEDY_CRASH_FILES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    println!("crash test: seed {seed} (replay with REMEDY_CRASH_SEED={seed}), {kills} kills, {files} files");
    let mut rng = Rng(seed);
    let sb = Sandbox::empty(PLAN);
    generate_repo(&sb.repo, files, &mut rng);
    let before = read_tree(&sb.repo);
    let after = expected_after(&before);
    assert_ne!(before, after);

    // One full run tells how long a run takes, so kills can land anywhere in it.
    let t = Instant::now();
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    let full = t.elapsed();
    assert_tree(&sb.repo, &after, "full run");
    sb.remedy(&["rollback", "--all"]).expect_code(0);
    assert_tree(&sb.repo, &before, "rollback after full run");

    let mut phases_hit: BTreeMap<String, usize> = BTreeMap::new();
    for k in 0..kills {
        // Half the kills land early, where scanning, backup and patching happen.
        let window = if k % 2 == 0 {
            full.min(Duration::from_millis(600))
        } else {
            full
        };
        let delay = Duration::from_micros(rng.below(window.as_micros() as u64));
        let mut child = spawn_run(&sb.repo, &sb.plan);
        std::thread::sleep(delay);
        kill9(&mut child);
        let context = format!("kill {k} after {delay:?} (seed {seed})");
        assert_before_or_after(&read_tree(&sb.repo), &before, &after, &context);
        let cp_path = sb.repo.join(".remedy/crash/checkpoint.json");
        let running = fs::read_to_string(&cp_path)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|cp| {
                cp["phases"]
                    .as_array()?
                    .iter()
                    .find(|p| p["status"] == "running")
                    .map(|p| p["name"].as_str().unwrap_or("").to_string())
            })
            .unwrap_or_else(|| "(none)".into());
        *phases_hit.entry(running).or_default() += 1;

        if !cp_path.exists() {
            // Killed before the run recorded anything: nothing to resume, and nothing was changed.
            assert_tree(&sb.repo, &before, &context);
            continue;
        }
        // The recovery verb itself is killed too, every third time, and must converge when run again.
        let verb = if k % 2 == 0 { "resume" } else { "rollback" };
        if k % 3 == 0 {
            let mut args = vec![verb.to_string()];
            if verb == "rollback" {
                args.push("--all".into());
            }
            let mut child = remedy_cmd(&sb.repo)
                .args(&args)
                .arg("--root")
                .arg(&sb.repo)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let delay = Duration::from_micros(rng.below(full.as_micros() as u64 / 2));
            std::thread::sleep(delay);
            kill9(&mut child);
            assert_before_or_after(
                &read_tree(&sb.repo),
                &before,
                &after,
                &format!("{context}, {verb} killed after {delay:?}"),
            );
        }
        if verb == "resume" {
            sb.remedy(&["resume"]).expect_code(0);
            assert_tree(&sb.repo, &after, &format!("{context}, then resume"));
            sb.remedy(&["rollback", "--all"]).expect_code(0);
            assert_tree(&sb.repo, &before, &format!("{context}, resume, rollback"));
        } else {
            sb.remedy(&["rollback", "--all"]).expect_code(0);
            assert_tree(&sb.repo, &before, &format!("{context}, then rollback"));
        }
    }
    println!("crash test: phase running at each kill: {phases_hit:?}");
}

#[test]
fn resume_refuses_drifted_files() {
    let sb = small_repo("  - { name: check, kind: command, argv: [\"false\"] }\n");
    sb.remedy(&["run", sb.plan_str()]).expect_code(1);
    sb.write("app/m2.py", "# edited by hand\n");
    let run = sb.remedy(&["resume"]);
    run.expect_code(3);
    assert!(run.stderr.contains("app/m2.py"), "{}", run.stderr);
    assert_eq!(sb.read("app/m2.py"), "# edited by hand\n");
}

#[test]
fn rollback_conflict_changes_nothing_and_force_keeps_the_edit_aside() {
    let sb = small_repo("");
    let original = sb.read("app/m1.py");
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    sb.write("app/m1.py", "# my edit\n");
    let patched0 = sb.read("app/m0.py");
    let run = sb.remedy(&["rollback", "--all"]);
    run.expect_code(3);
    assert!(run.stderr.contains("app/m1.py"), "{}", run.stderr);
    // Nothing was rolled back: the other patched files are untouched too.
    assert_eq!(sb.read("app/m0.py"), patched0);
    assert_eq!(sb.read("app/m1.py"), "# my edit\n");

    let forced = sb.remedy(&["rollback", "--all", "--force"]);
    forced.expect_code(0);
    assert_eq!(sb.read("app/m1.py"), original);
    assert!(sb
        .read("app/m0.py")
        .contains("await get_websocket_manager(0)"));
    assert!(
        forced.stderr.contains(".remedy/small/conflicts/"),
        "{}",
        forced.stderr
    );
    let kept: Vec<_> = walk_files(&sb.repo.join(".remedy/small/conflicts"));
    assert_eq!(kept.len(), 1);
    assert_eq!(fs::read_to_string(&kept[0]).unwrap(), "# my edit\n");
}

#[test]
fn rollback_with_a_damaged_image_store_changes_nothing_and_says_where() {
    let sb = small_repo("");
    let original = sb.read("app/m2.py");
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    // The images of the backup and of the patch are in packs; damage the before-image of
    // app/m2.py wherever it is stored.
    let packs = walk_files(&sb.repo.join(".remedy/small/objects/packs"));
    assert!(!packs.is_empty(), "the batches are packed");
    let mut damaged = 0;
    for pack in &packs {
        let mut bytes = fs::read(pack).unwrap();
        if let Some(at) = bytes
            .windows(original.len())
            .position(|w| w == original.as_bytes())
        {
            let digit = at + original.find("(2)").unwrap() + 1;
            bytes[digit] = b'7';
            let mut perms = fs::metadata(pack).unwrap().permissions();
            std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o644);
            fs::set_permissions(pack, perms).unwrap();
            fs::write(pack, &bytes).unwrap();
            damaged += 1;
        }
    }
    assert!(damaged >= 1, "the before-image is in a pack");
    let before = sb.snapshot();
    let run = sb.remedy(&["rollback", "--all"]);
    run.expect_code(3);
    assert!(run.stderr.contains("app/m2.py"), "{}", run.stderr);
    assert!(run.stderr.contains("corrupt"), "{}", run.stderr);
    // Not one file was restored, and the report the run wrote is still there.
    assert!(sb.snapshot().differences(&before).is_empty());
}

fn walk_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap().flatten() {
        if e.file_type().unwrap().is_dir() {
            out.extend(walk_files(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

#[test]
fn failed_phase_is_resumed_without_redoing_the_patch() {
    let sb = small_repo("  - { name: gate, kind: command, argv: [test, -f, ready] }\n");
    sb.remedy(&["run", sb.plan_str()]).expect_code(1);
    let status = sb.remedy(&["status"]);
    assert!(status.stdout.contains("gate"), "{}", status.stdout);
    assert!(status.stdout.contains("failed"), "{}", status.stdout);
    let patched = sb.read("app/m0.py");
    let cp_before: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(sb.repo.join(".remedy/small/checkpoint.json")).unwrap(),
    )
    .unwrap();
    sb.write("ready", "");
    sb.remedy(&["resume"]).expect_code(0);
    assert_eq!(sb.read("app/m0.py"), patched);
    let cp: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(sb.repo.join(".remedy/small/checkpoint.json")).unwrap(),
    )
    .unwrap();
    // The patch phase kept its record (same start time): it was not run again.
    assert_eq!(
        cp["phases"][1]["started_at"],
        cp_before["phases"][1]["started_at"]
    );
    assert_eq!(cp["phases"][2]["status"], "succeeded");
    assert_eq!(cp["phases"][3]["status"], "succeeded");
}

#[test]
fn stale_phase_is_reported_and_rerun_changed_redoes_it() {
    let sb = small_repo("  - { name: gate, kind: command, argv: [\"false\"] }\n");
    // The renamed call must name something the files bind, or the edit is refused.
    for i in 0..4 {
        sb.write(
            &format!("app/m{i}.py"),
            format!("from app.wm import get_websocket_manager, ws_get_websocket_manager, wss_get_websocket_manager\n\n\nasync def f():\n    m = await get_websocket_manager({i})\n    return m\n"),
        );
    }
    sb.remedy(&["run", sb.plan_str()]).expect_code(1);
    // The plan changes: the edit now also renames the call.
    let plan = fs::read_to_string(&sb.plan).unwrap();
    sb.write_plan(
        &plan
            .replace("replace: '$1'", "replace: 'ws_$1'")
            .replace("argv: [\"false\"]", "argv: [\"true\"]"),
    );
    let run = sb.remedy(&["resume"]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("phase `unawait` changed"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--rerun-changed"), "{}", run.stderr);
    // The first way out the help names: roll back to the changed phase, then resume.
    sb.remedy(&["rollback", "unawait"]).expect_code(0);
    sb.remedy(&["resume"]).expect_code(0);
    assert!(
        sb.read("app/m0.py")
            .contains("m = ws_get_websocket_manager(0)"),
        "{}",
        sb.read("app/m0.py")
    );
    // The second: change the plan again and let resume roll back and run on by itself.
    let plan = fs::read_to_string(&sb.plan).unwrap();
    sb.write_plan(&plan.replace("replace: 'ws_$1'", "replace: 'wss_$1'"));
    sb.remedy(&["resume"]).expect_code(2);
    sb.remedy(&["resume", "--rerun-changed"]).expect_code(0);
    assert!(
        sb.read("app/m0.py")
            .contains("m = wss_get_websocket_manager(0)"),
        "{}",
        sb.read("app/m0.py")
    );
}

#[test]
fn second_writer_is_locked_out() {
    let sb = small_repo("  - { name: wait, kind: command, argv: [sleep, \"5\"] }\n");
    let mut child = spawn_run(&sb.repo, &sb.plan);
    let lock = sb.repo.join(".remedy/lock");
    let t = Instant::now();
    while !sb.repo.join(".remedy/small/checkpoint.json").exists()
        && t.elapsed() < Duration::from_secs(10)
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(lock.exists());
    let second = sb.remedy(&["rollback", "--all"]);
    second.expect_code(4);
    assert!(
        second.stderr.contains(&format!("pid {}", child.id())),
        "{}",
        second.stderr
    );
    kill9(&mut child);
    // The kernel released the lock with its holder.
    sb.remedy(&["rollback", "--all"]).expect_code(0);
    assert!(sb
        .read("app/m0.py")
        .contains("await get_websocket_manager(0)"));
}

#[test]
fn ctrl_c_records_interrupted_kills_children_and_resume_continues() {
    let sb = small_repo(
        "  - { name: wait, kind: command, argv: [sh, -c, \"echo $$ > child.pid; sleep 30\"] }\n",
    );
    let mut child = spawn_run(&sb.repo, &sb.plan);
    let pidfile = sb.repo.join("child.pid");
    let t = Instant::now();
    while fs::read_to_string(&pidfile).map_or(true, |s| s.trim().is_empty()) {
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "the command phase never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let grandchild: i32 = fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // SAFETY: signalling our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    // The command's process group is gone.
    let t = Instant::now();
    while Path::new(&format!("/proc/{grandchild}")).exists()
        && !fs::read_to_string(format!("/proc/{grandchild}/stat"))
            .unwrap_or_default()
            .contains(") Z")
    {
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "child {grandchild} survived Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let st = sb.remedy(&["status"]);
    assert!(st.stdout.contains("interrupted"), "{}", st.stdout);
    // Resume runs the interrupted phase again; make it quick this time.
    let plan = fs::read_to_string(&sb.plan).unwrap();
    sb.write_plan(&plan.replace("sleep 30", "true"));
    sb.remedy(&["resume", "--rerun-changed"]).expect_code(0);
    assert!(sb
        .read("app/m3.py")
        .contains("m = get_websocket_manager(3)"));
}

#[test]
fn report_over_an_existing_file_is_undone_byte_exactly() {
    let sb = Sandbox::empty(
        "id: rep\nphases:\n  - { name: check, kind: validate, checks: [{ name: readme, file_exists: README.md }] }\n  - { name: report, kind: report, markdown: README.md, json: reports/deep/report.json }\n",
    );
    sb.write("README.md", "# My project, written by hand\n");
    fs::set_permissions(sb.repo.join("README.md"), fs::Permissions::from_mode(0o640)).unwrap();
    let before = sb.snapshot();
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    assert!(sb.read("README.md").starts_with("# Remediation report"));
    let json_mode = fs::metadata(sb.repo.join("reports/deep/report.json"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(json_mode, 0o644);
    sb.remedy(&["rollback", "--all"]).expect_code(0);
    assert_eq!(sb.snapshot().differences(&before), Vec::<String>::new());
}

#[test]
fn refused_patch_writes_nothing_and_reports_nothing_as_changed() {
    let sb = small_repo("");
    let plan = fs::read_to_string(&sb.plan).unwrap();
    sb.write_plan(&plan.replace("replace: '$1' }", "replace: '$1', expect: \"== 5\" }"));
    let before = sb.snapshot();
    let run = sb.remedy(&["run", sb.plan_str()]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("changes 4 sites, expected == 5"),
        "{}",
        run.stderr
    );
    assert_eq!(sb.snapshot().differences(&before), Vec::<String>::new());
    let diff = sb.remedy(&["diff"]);
    diff.expect_code(0);
    assert!(diff.stdout.trim().is_empty(), "{}", diff.stdout);
    let report = sb.remedy(&["report", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&report.stdout).unwrap();
    assert_eq!(json["changes"]["files_changed"], 0);
    let md = sb.remedy(&["report"]);
    assert!(
        md.stdout.contains("Refused: nothing was written"),
        "{}",
        md.stdout
    );
    sb.remedy(&["rollback", "--all"]).expect_code(0);
    assert_eq!(sb.snapshot().differences(&before), Vec::<String>::new());
}

/// A validate `command` check whose shell starts a grandchild and then hangs; it writes both pids
/// (the shell's and the grandchild's) to `pids` in the root.
const HANGING_CHECK: &str = "id: hang-check
phases:
  - name: pre
    kind: validate
    checks:
      - name: hangs
        command: [sh, -c, 'sleep 600 & echo $$ $! > pids; wait']
        timeout: 2
";

#[test]
fn a_hanging_command_check_fails_at_its_timeout_and_its_whole_tree_is_killed() {
    let sb = Sandbox::empty(HANGING_CHECK);
    let run = sb.remedy(&["run", sb.plan_str()]);
    run.expect_code(1);
    assert!(
        run.stderr.contains(
            "`sh -c sleep 600 & echo $$ $! > pids; wait` was still running after 2s (`timeout: 2`)"
        ),
        "{}",
        run.stderr
    );
    let pids = wait_for_pids(&sb.repo.join("pids"), 2, Duration::from_secs(5));
    for pid in pids {
        assert!(
            is_gone_within(pid, Duration::from_secs(5)),
            "pid {pid} survived the check's timeout"
        );
    }
}

#[test]
fn the_processes_of_a_command_check_die_with_a_killed_remedy() {
    let sb = Sandbox::empty(&HANGING_CHECK.replace("timeout: 2", "timeout: 600"));
    let mut child = spawn_run(&sb.repo, &sb.plan);
    let pids = wait_for_pids(&sb.repo.join("pids"), 2, Duration::from_secs(20));
    kill9(&mut child);
    for pid in pids {
        assert!(
            is_gone_within(pid, Duration::from_secs(5)),
            "pid {pid} outlived the killed remedy"
        );
    }
}
