//! Writes remedy must not lose or disturb: another process appending to the files being patched, and
//! the owner, group, mode, extended attributes and hard links of the files it replaces.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::harness::*;

const PLAN: &str = r#"
id: appenders
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
"#;

const FILES: usize = 1500;

/// `FILES` modules, each with one awaited call of the factory. Returns their relative paths.
fn generate_tree(repo: &Path) -> Vec<String> {
    (0..FILES)
        .map(|i| {
            let rel = format!("pkg{}/mod_{i}.py", i % 30);
            let path = repo.join(&rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(
                &path,
                format!(
                    "\"\"\"Module {i}.\"\"\"\n\n\nasync def handler(ctx):\n    \
                     manager = await get_websocket_manager(ctx)\n    return manager\n"
                ),
            )
            .unwrap();
            rel
        })
        .collect()
}

/// When an [`Appender`] starts appending.
#[derive(Debug, Clone, Copy)]
enum From {
    /// With remedy.
    Start,
    /// Once remedy replaces (or restores) its first file.
    Writing,
}

/// A thread that appends a numbered line to random files until stopped, and returns what it
/// appended, in order.
struct Appender {
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<Vec<(String, String)>>,
}

impl Appender {
    fn start(repo: &Path, files: &[String], interval: Duration, from: From, seed: u64) -> Appender {
        let stop = Arc::new(AtomicBool::new(false));
        let (repo, files, flag) = (repo.to_path_buf(), files.to_vec(), stop.clone());
        let first_dir = repo.join("pkg0");
        let handle = std::thread::spawn(move || {
            let mut state = seed | 1;
            let mut appended = Vec::new();
            let first = first_dir.join("mod_0.py");
            let first_content = fs::read(&first).unwrap();
            let started = || match from {
                From::Start => true,
                // The first file remedy replaces (or restores) is `pkg0/mod_0.py`: its temporary
                // file shows in `pkg0`, then its content changes.
                From::Writing => {
                    fs::read_dir(&first_dir).is_ok_and(|mut d| {
                        d.any(|e| {
                            e.is_ok_and(|e| {
                                e.file_name().to_string_lossy().starts_with(".remedy-tmp-")
                            })
                        })
                    }) || fs::read(&first).is_ok_and(|t| t != first_content)
                }
            };
            while !flag.load(Ordering::Relaxed) && !started() {
                std::thread::yield_now();
            }
            let mut n = 0u64;
            // A cap keeps a busy loop from growing the files without bound on a slow machine.
            while !flag.load(Ordering::Relaxed) && appended.len() < 4_000 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let rel = &files[(state % files.len() as u64) as usize];
                let line = format!("# appended by another process: {seed}-{n}\n");
                n += 1;
                let mut f = fs::OpenOptions::new()
                    .append(true)
                    .open(repo.join(rel))
                    .unwrap();
                f.write_all(line.as_bytes()).unwrap();
                drop(f);
                appended.push((rel.clone(), line));
                if !interval.is_zero() {
                    std::thread::sleep(interval);
                }
            }
            appended
        });
        Appender { stop, handle }
    }

    fn finish(self) -> Vec<(String, String)> {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().unwrap()
    }
}

/// Appended lines no longer in their file.
fn lost_lines(repo: &Path, appended: &[(String, String)]) -> Vec<String> {
    let mut texts: BTreeMap<&str, String> = BTreeMap::new();
    appended
        .iter()
        .filter(|(rel, line)| {
            let text = texts
                .entry(rel.as_str())
                .or_insert_with(|| fs::read_to_string(repo.join(rel)).unwrap());
            !text.contains(line.as_str())
        })
        .map(|(rel, line)| format!("{rel}: {}", line.trim_end()))
        .collect()
}

/// The folders `rollback --force` kept conflicting versions in.
fn kept_aside_dirs(repo: &Path) -> Vec<std::path::PathBuf> {
    fs::read_dir(repo.join(".remedy/appenders/conflicts"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default()
}

/// Appended lines neither in their file nor in a version of it kept aside.
fn lost_lines_kept_aside_too(repo: &Path, appended: &[(String, String)]) -> Vec<String> {
    let aside = kept_aside_dirs(repo);
    lost_lines(repo, appended)
        .into_iter()
        .filter(|l| {
            let (rel, line) = l.split_once(": ").unwrap();
            !aside
                .iter()
                .any(|d| fs::read_to_string(d.join(rel)).is_ok_and(|t| t.contains(line)))
        })
        .collect()
}

/// The paths of a patch phase's files in state `state`.
fn files_in_state(cp: &serde_json::Value, state: &str) -> Vec<String> {
    cp["phases"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["outcome"]["files"].as_array())
        .flatten()
        .filter(|f| f["state"] == state)
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_line_appended_by_another_process_during_the_patch_is_never_lost() {
    let started = Instant::now();
    // Interval between appends, and when the writer starts.
    let rounds = [
        (Duration::ZERO, From::Writing),
        (Duration::from_millis(5), From::Writing),
        (Duration::from_millis(50), From::Start),
    ];
    let mut report = Vec::new();
    for (round, (interval, from)) in rounds.into_iter().enumerate() {
        let round_started = Instant::now();
        let sb = Sandbox::empty(PLAN);
        let files = generate_tree(&sb.repo);
        let original: BTreeMap<String, String> = files
            .iter()
            .map(|rel| (rel.clone(), sb.read(rel)))
            .collect();
        let appender = Appender::start(&sb.repo, &files, interval, from, round as u64 + 7);
        let run = Run::from(
            sb.cmd()
                .args(["run", sb.plan_str(), "--root"])
                .arg(&sb.repo)
                .output()
                .unwrap(),
        );
        let appended = appender.finish();
        let lost = lost_lines(&sb.repo, &appended);
        assert!(
            lost.is_empty(),
            "round {round} ({interval:?} from {from:?}): {} of {} appended lines lost (remedy exited {}):\n{}\n{}",
            lost.len(),
            appended.len(),
            run.code,
            lost[..lost.len().min(20)].join("\n"),
            run.stderr
        );
        assert!(
            run.code == 0 || run.code == 3,
            "round {round}: exit {}\n{}",
            run.code,
            run.all()
        );
        let cp = sb.checkpoint_of("appenders");
        let drifted = files_in_state(&cp, "drifted");
        if run.code == 3 {
            assert!(
                run.stderr.contains("drifted") || run.stderr.contains("changed while"),
                "{}",
                run.stderr
            );
            // A drifted file holds exactly the user's content: the original and every line appended
            // to it, in order; remedy never wrote it.
            for rel in &drifted {
                assert!(
                    run.stderr.contains(rel.as_str()),
                    "{rel} not listed:\n{}",
                    run.stderr
                );
                let mine: String = appended
                    .iter()
                    .filter(|(r, _)| r == rel)
                    .map(|(_, l)| l.as_str())
                    .collect();
                assert_eq!(sb.read(rel), format!("{}{mine}", original[rel]), "{rel}");
            }
        } else {
            assert!(drifted.is_empty(), "{drifted:?}");
        }
        let written = files_in_state(&cp, "written").len();
        // Rolling back restores what remedy wrote. A file appended to after remedy wrote it is a
        // conflict (edited since remedy wrote it), which a rollback refuses to overwrite.
        let back = sb.remedy(&["rollback", "--all"]);
        assert!(back.code == 0 || back.code == 3, "{}", back.all());
        if back.code == 3 {
            assert!(
                back.stderr.contains("edited since remedy wrote it"),
                "{}",
                back.stderr
            );
            assert!(!back.stderr.contains("deleted"), "{}", back.stderr);
        }
        let lost = lost_lines(&sb.repo, &appended);
        assert!(lost.is_empty(), "lost after rollback:\n{}", lost.join("\n"));
        let mut kept_aside = 0;
        if back.code == 3 {
            // `--force` restores the conflicting files too, and keeps the versions with the appended
            // lines aside: every line is then in its file or in the copy kept aside.
            sb.remedy(&["rollback", "--all", "--force"]).expect_code(0);
            let aside = kept_aside_dirs(&sb.repo);
            kept_aside = files
                .iter()
                .filter(|rel| aside.iter().any(|d| d.join(rel).exists()))
                .count();
            let missing = lost_lines_kept_aside_too(&sb.repo, &appended);
            assert!(
                missing.is_empty(),
                "lost after rollback --force:\n{}",
                missing.join("\n")
            );
        }
        if back.code == 0 || kept_aside > 0 {
            // Every file is back to the original with the appended lines.
            for rel in &files {
                let text = sb.read(rel);
                assert!(
                    text.starts_with(&original[rel]),
                    "{rel} not restored:\n{text}"
                );
            }
        }
        report.push(format!(
            "round {round} ({interval:?} from {from:?}): {} appends, remedy exit {}, {written} written, {} drifted, rollback exit {}, {kept_aside} kept aside by --force, {:?}",
            appended.len(),
            run.code,
            drifted.len(),
            back.code,
            round_started.elapsed()
        ));
    }
    eprintln!("{}\nin {:?}", report.join("\n"), started.elapsed());
}

#[test]
fn a_line_appended_by_another_process_during_a_rollback_is_never_lost() {
    let mut report = Vec::new();
    for (round, interval) in [Duration::ZERO, Duration::from_millis(5)]
        .into_iter()
        .enumerate()
    {
        let sb = Sandbox::empty(PLAN);
        let files = generate_tree(&sb.repo);
        sb.remedy(&["run", sb.plan_str()]).expect_code(0);
        let appender =
            Appender::start(&sb.repo, &files, interval, From::Writing, round as u64 + 11);
        let back = sb.remedy(&["rollback", "--all"]);
        let appended = appender.finish();
        let lost = lost_lines(&sb.repo, &appended);
        assert!(
            lost.is_empty(),
            "round {round}: {} of {} appended lines lost (rollback exited {}):\n{}",
            lost.len(),
            appended.len(),
            back.code,
            lost[..lost.len().min(20)].join("\n")
        );
        assert!(back.code == 0 || back.code == 3, "{}", back.all());
        if back.code == 3 {
            assert!(
                back.stderr
                    .contains("changed while they were being rolled back"),
                "{}",
                back.stderr
            );
        }
        // Once the writer has stopped, a second rollback finishes: the files appended to are
        // conflicts now, which `--force` keeps aside.
        let again = sb.remedy(&["rollback", "--all", "--force"]);
        again.expect_code(0);
        let missing = lost_lines_kept_aside_too(&sb.repo, &appended);
        assert!(missing.is_empty(), "lost:\n{}", missing.join("\n"));
        for rel in &files {
            assert!(sb.read(rel).contains("await"), "{rel} not restored");
        }
        report.push(format!(
            "round {round} ({interval:?}): {} appends, rollback exit {}",
            appended.len(),
            back.code
        ));
    }
    eprintln!("{}", report.join("\n"));
}

/// Sets the extended attribute `name` of `path`; false where the file system has none.
fn set_xattr(path: &Path, name: &str, value: &[u8]) -> bool {
    let (p, n) = (
        c_string(path.as_os_str().as_encoded_bytes()),
        c_string(name.as_bytes()),
    );
    // SAFETY: NUL-terminated strings and a readable value for the call.
    let rc = unsafe {
        libc::setxattr(
            p.as_ptr(),
            n.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    if rc == 0 {
        return true;
    }
    let e = std::io::Error::last_os_error();
    assert_eq!(
        e.raw_os_error(),
        Some(libc::ENOTSUP),
        "setxattr {}: {e}",
        path.display()
    );
    false
}

fn get_xattr(path: &Path, name: &str) -> Option<Vec<u8>> {
    let (p, n) = (
        c_string(path.as_os_str().as_encoded_bytes()),
        c_string(name.as_bytes()),
    );
    let mut buf = vec![0u8; 256];
    // SAFETY: as above, with room for `buf.len()` bytes.
    let len = unsafe { libc::getxattr(p.as_ptr(), n.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    (len >= 0).then(|| buf[..len as usize].to_vec())
}

fn c_string(bytes: &[u8]) -> std::ffi::CString {
    std::ffi::CString::new(bytes).unwrap()
}

/// Owner, group, mode (with the setuid bit), inode and the `user.test` attribute of a file.
fn metadata_of(path: &Path) -> (u32, u32, u32, u64, Option<Vec<u8>>) {
    use std::os::unix::fs::MetadataExt;
    let m = fs::metadata(path).unwrap();
    (
        m.uid(),
        m.gid(),
        m.mode() & 0o7777,
        m.ino(),
        get_xattr(path, "user.test"),
    )
}

#[test]
fn patch_and_rollback_keep_owner_group_mode_and_xattrs_and_never_split_a_hard_link() {
    use std::os::unix::fs::{chown, MetadataExt, PermissionsExt};
    let sb = Sandbox::empty(PLAN);
    let site = "async def handler(ctx):\n    return await get_websocket_manager(ctx)\n";
    for name in ["owned.py", "tool.py", "tagged.py", "linked.py"] {
        sb.write(name, format!("\"\"\"{name}\"\"\"\n{site}"));
    }
    let p = |name: &str| sb.repo.join(name);
    fs::hard_link(p("linked.py"), p("alias.py")).unwrap();
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if root {
        chown(p("owned.py"), Some(1234), Some(1234)).unwrap();
        chown(p("tool.py"), Some(1234), Some(1234)).unwrap();
    } else {
        eprintln!("not root: owner and group are not changed, only kept");
    }
    // After chown, which clears it.
    fs::set_permissions(p("tool.py"), fs::Permissions::from_mode(0o4755)).unwrap();
    let has_xattrs = set_xattr(&p("tagged.py"), "user.test", b"keep me");
    if !has_xattrs {
        eprintln!("the temp folder's file system has no user xattrs: not checked");
    }
    let names = ["owned.py", "tool.py", "tagged.py", "linked.py", "alias.py"];
    let before: BTreeMap<&str, _> = names.iter().map(|n| (*n, metadata_of(&p(n)))).collect();
    let content: BTreeMap<&str, String> = names.iter().map(|n| (*n, sb.read(n))).collect();

    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    for name in ["owned.py", "tool.py", "tagged.py"] {
        let (uid, gid, mode, ino, xattr) = metadata_of(&p(name));
        let (uid0, gid0, mode0, ino0, xattr0) = before[name].clone();
        assert!(!sb.read(name).contains("await"), "{name} not patched");
        assert_eq!(
            (uid, gid, mode, &xattr),
            (uid0, gid0, mode0, &xattr0),
            "{name}"
        );
        assert_ne!(ino, ino0, "{name} was replaced, not edited in place");
    }
    if root {
        assert_eq!(metadata_of(&p("owned.py")).0, 1234);
    }
    assert_eq!(metadata_of(&p("tool.py")).2, 0o4755);
    if has_xattrs {
        assert_eq!(
            metadata_of(&p("tagged.py")).4.as_deref(),
            Some(&b"keep me"[..])
        );
    }
    // Both names of the hard link are skipped with the reason, and stay one unchanged file.
    let cp = sb.checkpoint_of("appenders");
    let patch = cp["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "unawait")
        .unwrap();
    for name in ["linked.py", "alias.py"] {
        let skipped = patch["outcome"]["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["path"] == name)
            .unwrap_or_else(|| panic!("{name} not skipped: {patch:#}"));
        let reason = skipped["reason"].as_str().unwrap();
        assert!(
            reason.starts_with("hard-linked (2 names): replacing it would split the link"),
            "{reason}"
        );
        assert_eq!(sb.read(name), content[name]);
    }
    assert_eq!(
        metadata_of(&p("linked.py")).3,
        metadata_of(&p("alias.py")).3
    );
    assert_eq!(fs::metadata(p("linked.py")).unwrap().nlink(), 2);
    // The validate phase still counts their sites: five names, five sites.
    let preflight = cp["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "preflight")
        .unwrap();
    assert_eq!(
        preflight["outcome"]["checks"][0]["count"], 5,
        "{preflight:#}"
    );

    sb.remedy(&["rollback", "--all"]).expect_code(0);
    for name in names {
        let (uid, gid, mode, _, xattr) = metadata_of(&p(name));
        let (uid0, gid0, mode0, _, xattr0) = before[name].clone();
        assert_eq!(sb.read(name), content[name], "{name}");
        assert_eq!(
            (uid, gid, mode, xattr),
            (uid0, gid0, mode0, xattr0),
            "{name}"
        );
    }
    assert_eq!(metadata_of(&p("linked.py")).3, before["linked.py"].3);
    assert_eq!(metadata_of(&p("alias.py")).3, before["alias.py"].3);
}

/// The record a patch phase leaves when `drifted` changed under it: the other files written, that
/// one `drifted` with the user's content, the phase failed.
fn drifted_run(drifted: &str) -> (Sandbox, String) {
    let sb = Sandbox::empty(PLAN);
    let site = "async def handler(ctx):\n    return await get_websocket_manager(ctx)\n";
    for i in 0..4 {
        sb.write(&format!("m{i}.py"), site);
    }
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    let mine = format!("{site}# mine\n");
    sb.write(drifted, &mine);
    let path = sb.repo.join(".remedy/appenders/checkpoint.json");
    let mut cp: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    for phase in cp["phases"].as_array_mut().unwrap() {
        if phase["name"] == "unawait" {
            phase["status"] = "failed".into();
            for f in phase["outcome"]["files"].as_array_mut().unwrap() {
                if f["path"] == drifted {
                    f["state"] = "drifted".into();
                }
            }
        }
    }
    fs::write(&path, serde_json::to_string_pretty(&cp).unwrap()).unwrap();
    (sb, mine)
}

#[test]
fn rollback_after_drift_restores_the_written_files_and_leaves_the_drifted_one_alone() {
    let (sb, mine) = drifted_run("m2.py");
    let md = sb.remedy(&["report"]);
    assert!(
        md.stdout
            .contains("**Drifted: 1 file not written.** Another process changed them"),
        "{}",
        md.stdout
    );
    let json = sb.remedy(&["report", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(json["changes"]["files_changed"], 3);
    assert!(!sb.remedy(&["diff"]).stdout.contains("m2.py"));
    let back = sb.remedy(&["rollback", "--all"]);
    back.expect_code(0);
    assert!(!back.all().contains("m2.py"), "{}", back.all());
    for i in [0, 1, 3] {
        assert!(
            sb.read(&format!("m{i}.py")).contains("await"),
            "m{i}.py not restored"
        );
    }
    assert_eq!(sb.read("m2.py"), mine);
}

#[test]
fn resume_after_drift_puts_back_the_written_files_and_patches_all_again() {
    let (sb, mine) = drifted_run("m2.py");
    sb.remedy(&["resume"]).expect_code(0);
    for i in 0..4 {
        assert!(
            !sb.read(&format!("m{i}.py")).contains("await"),
            "m{i}.py not patched"
        );
    }
    assert_eq!(sb.read("m2.py"), mine.replace("await ", ""));
    // And the new run is undone whole, the user's line included in what comes back.
    sb.remedy(&["rollback", "--all"]).expect_code(0);
    assert_eq!(sb.read("m2.py"), mine);
}
