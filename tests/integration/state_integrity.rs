//! The state folder can be copied, moved, shared by two processes, edited or damaged: remedy acts
//! only on the tree that holds the `.remedy/` it read, admits one writer at a time, and refuses a
//! record it may not trust without writing anything.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::harness::*;

/// `cp -a`: the copy keeps modes and times, as a user's copy would.
fn copy_all(from: &Path, to: &Path) {
    let ok = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap()
        .success();
    assert!(ok, "cp -a {} {}", from.display(), to.display());
}

fn remedy_at(root: &Path, args: &[&str]) -> Run {
    let mut cmd = remedy_cmd(root);
    cmd.args(args).arg("--root").arg(root);
    Run::from(cmd.output().unwrap())
}

#[test]
fn rollback_in_a_copied_tree_restores_the_copy_and_never_touches_the_original() {
    let sb = small_repo("");
    let before = sb.snapshot();
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    let copy = sb.dir.path().join("copy");
    copy_all(&sb.repo, &copy);
    // The user goes on working in the original.
    sb.write("app/m1.py", "edited in the original\n");
    let original = sb.snapshot();

    let rolled = remedy_at(&copy, &["rollback", "--all"]);
    rolled.expect_code(0);
    assert!(
        rolled.stderr.contains("moved or copied"),
        "{}",
        rolled.stderr
    );
    assert_eq!(
        Tree::of(&copy, true).differences(&before),
        Vec::<String>::new(),
        "the copy is byte-identical to the tree before the run"
    );
    assert_eq!(
        sb.snapshot().differences(&original),
        Vec::<String>::new(),
        "the original was not touched"
    );
    // And the original's own run is still there to roll back, around the user's edit.
    sb.remedy(&["rollback", "--all"]).expect_code(3);
}

#[test]
fn rollback_in_a_moved_tree_restores_it_and_never_recreates_the_old_place() {
    let sb = small_repo("");
    let before = sb.snapshot();
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    let moved = sb.dir.path().join("moved");
    fs::rename(&sb.repo, &moved).unwrap();

    let status = remedy_at(&moved, &["status"]);
    status.expect_code(0);
    assert!(
        status.stdout.contains("moved or copied"),
        "{}",
        status.stdout
    );
    remedy_at(&moved, &["rollback", "--all"]).expect_code(0);
    assert_eq!(
        Tree::of(&moved, true).differences(&before),
        Vec::<String>::new()
    );
    assert!(
        !sb.repo.exists(),
        "rollback wrote into the folder the tree was moved away from"
    );
}

#[test]
fn resume_in_a_copy_of_a_run_cut_short_in_its_patch_redoes_the_copy_only() {
    let sb = small_repo("  - { name: gate, kind: command, argv: [sh, -c, \"exit 1\"] }\n");
    sb.remedy(&["run", sb.plan_str()]).expect_code(1);
    let patched = sb.snapshot();
    let copy = sb.dir.path().join("copy");
    copy_all(&sb.repo, &copy);
    // Make the copy's record say what a kill in the middle of the patch leaves: the patch phase
    // running with its files written, nothing after it.
    let cp_path = copy.join(".remedy/small/checkpoint.json");
    let mut cp: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&cp_path).unwrap()).unwrap();
    cp["phases"][1]["status"] = "running".into();
    cp["phases"][2]["status"] = "pending".into();
    fs::write(&cp_path, serde_json::to_vec_pretty(&cp).unwrap()).unwrap();
    let plan = fs::read_to_string(&sb.plan).unwrap();
    sb.write_plan(&plan.replace("exit 1", "exit 0"));

    remedy_at(&copy, &["resume"]).expect_code(0);
    assert!(fs::read_to_string(copy.join("app/m2.py"))
        .unwrap()
        .contains("m = get_websocket_manager(2)"));
    assert_eq!(
        sb.snapshot().differences(&patched),
        Vec::<String>::new(),
        "resume in the copy changed the original"
    );
}

/// Two different plans on one root, started together, many times: the kernel's lock lets exactly
/// one write at a time, so neither plan's edits are ever lost to the other.
#[test]
fn two_plans_started_together_never_both_write() {
    const PAIRS: usize = 200;
    let plan = |id: &str, word: &str| {
        format!(
            "id: {id}\nfiles:\n  include: [\"**/*.py\"]\nphases:\n  - name: swap\n    kind: patch\n    edits:\n      - {{ name: up, regex: '\\b{word}\\b', replace: '{}' }}\n",
            word.to_uppercase()
        )
    };
    let base = tempfile::Builder::new()
        .prefix("remedy-test-")
        .tempdir()
        .unwrap();
    let (plan_a, plan_b) = (base.path().join("a.yaml"), base.path().join("b.yaml"));
    fs::write(&plan_a, plan("alpha", "alpha")).unwrap();
    fs::write(&plan_b, plan("beta", "beta")).unwrap();
    let mut locked_out = 0;
    for pair in 0..PAIRS {
        let root = base.path().join(format!("root{pair}"));
        for f in 0..30 {
            let p = root.join(format!("pkg{}/m{f}.py", f % 3));
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            // The words are in strings: an edit that writes an unbound name would be refused.
            fs::write(&p, format!("x = 'alpha {f}'\ny = 'beta {f}'\n")).unwrap();
        }
        let start = |plan: &Path| {
            remedy_cmd(&root)
                .arg("run")
                .arg(plan)
                .arg("--root")
                .arg(&root)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (start(&plan_a), start(&plan_b));
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        let codes = (a.status.code(), b.status.code());
        let context = format!(
            "pair {pair}: exits {codes:?}\n{}\n{}",
            String::from_utf8_lossy(&a.stderr),
            String::from_utf8_lossy(&b.stderr)
        );
        let (a_wrote, b_wrote) = match codes {
            (Some(0), Some(0)) => (true, true),
            (Some(0), Some(4)) => (true, false),
            (Some(4), Some(0)) => (false, true),
            _ => panic!("{context}"),
        };
        locked_out += usize::from(!(a_wrote && b_wrote));
        for f in 0..30 {
            let text = fs::read_to_string(root.join(format!("pkg{}/m{f}.py", f % 3))).unwrap();
            let want = format!(
                "x = '{} {f}'\ny = '{} {f}'\n",
                if a_wrote { "ALPHA" } else { "alpha" },
                if b_wrote { "BETA" } else { "beta" }
            );
            assert_eq!(text, want, "{context}");
        }
        fs::remove_dir_all(&root).unwrap();
    }
    // The pairs really did overlap: otherwise this test proves nothing about the lock.
    assert!(
        locked_out > 0,
        "no start of {PAIRS} pairs ever met the other's lock"
    );
}

/// A file outside the root holding exactly what remedy wrote, so that a rollback that followed
/// the injected path would overwrite it.
fn bait_outside(sb: &Sandbox) -> (std::path::PathBuf, String) {
    let outside = sb.dir.path().join("outside.py");
    let content = sb.read("app/m0.py");
    fs::write(&outside, &content).unwrap();
    (outside, content)
}

#[test]
fn a_checkpoint_naming_paths_outside_the_root_is_refused_and_nothing_is_written() {
    let sb = small_repo("");
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    let cp_path = sb.repo.join(".remedy/small/checkpoint.json");
    let original = fs::read_to_string(&cp_path).unwrap();
    let (outside, bait) = bait_outside(&sb);
    let absolute = outside.display().to_string();
    for injected in ["../outside.py", absolute.as_str(), "app/../../outside.py"] {
        let mut cp: serde_json::Value = serde_json::from_str(&original).unwrap();
        cp["phases"][1]["outcome"]["files"][0]["path"] = injected.into();
        fs::write(&cp_path, serde_json::to_vec_pretty(&cp).unwrap()).unwrap();
        let tree = sb.snapshot();
        for verb in [
            &["rollback", "--all"][..],
            &["rollback", "--all", "--force"],
            &["resume"],
        ] {
            let out = sb.remedy(verb);
            out.expect_code(2);
            assert!(out.stderr.contains(injected), "{verb:?}: {}", out.stderr);
            assert_eq!(fs::read_to_string(&outside).unwrap(), bait, "{injected}");
            assert_eq!(sb.snapshot().differences(&tree), Vec::<String>::new());
        }
    }
}

#[test]
fn a_folder_replaced_by_a_link_out_of_the_root_is_refused_at_rollback() {
    let sb = small_repo("");
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    // `app/` moves out of the root and a link to it takes its place.
    let elsewhere = sb.dir.path().join("elsewhere");
    fs::rename(sb.repo.join("app"), &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, sb.repo.join("app")).unwrap();
    let outside = Tree::of(&elsewhere, false);
    let out = sb.remedy(&["rollback", "--all", "--force"]);
    out.expect_code(2);
    assert!(out.stderr.contains("outside the root"), "{}", out.stderr);
    assert_eq!(
        Tree::of(&elsewhere, false).differences(&outside),
        Vec::<String>::new()
    );
}

#[test]
fn an_unreadable_checkpoint_is_bad_input_and_changes_nothing() {
    let sb = small_repo("");
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    let cp_path = sb.repo.join(".remedy/small/checkpoint.json");
    let text = fs::read_to_string(&cp_path).unwrap();
    fs::write(&cp_path, &text[..text.len() / 2]).unwrap();
    let tree = Tree::of(&sb.repo, false);
    for verb in [
        &["rollback", "--all"][..],
        &["resume"],
        &["status"],
        &["report"],
        &["diff"],
    ] {
        let out = sb.remedy(verb);
        out.expect_code(2);
        assert!(
            out.stderr.contains("checkpoint.json") && out.stderr.contains("line"),
            "{verb:?}: {}",
            out.stderr
        );
        assert_eq!(
            Tree::of(&sb.repo, false).differences(&tree),
            Vec::<String>::new()
        );
    }
}
