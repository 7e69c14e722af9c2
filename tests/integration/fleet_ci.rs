//! `remedy fleet ci github`: the workflow it writes passes actionlint (with shellcheck on its
//! scripts when shellcheck is on the PATH), has the jobs and commands the fleet needs, carries
//! awkward paths intact through YAML and the shell, and bad input writes nothing.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::*;

/// A folder with a plan and a list of repositories under a name with spaces, a quote and
/// brackets, and a plain pair beside them.
struct Project {
    dir: tempfile::TempDir,
}

const AWKWARD_PLAN: &str = "fleet plans/fix it's [v2] #1.yaml";
const AWKWARD_REPOS: &str = "fleet plans/repos & more.txt";

impl Project {
    fn new() -> Project {
        let dir = tempfile::Builder::new()
            .prefix("remedy-fleet-ci-")
            .tempdir()
            .unwrap();
        for (path, text) in [
            ("plan.yaml", "id: fix\n"),
            ("repos.txt", "https://example.com/a.git\n"),
            (AWKWARD_PLAN, "id: fix\n"),
            (AWKWARD_REPOS, "https://example.com/a.git\n"),
        ] {
            let p = dir.path().join(path);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, text).unwrap();
        }
        Project { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn generate(&self, args: &[&str]) -> Run {
        let mut cmd = remedy_cmd(self.path());
        cmd.args(["fleet", "ci", "github"]).args(args);
        Run::from(cmd.output().unwrap())
    }

    /// The workflow for `args`, written to `name` in the project, and its text.
    fn workflow(&self, name: &str, args: &[&str]) -> (PathBuf, String) {
        let out = self.generate(args);
        out.expect_code(0);
        let path = self.path().join(".github/workflows").join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, &out.stdout).unwrap();
        (path, out.stdout)
    }
}

fn lint(path: &Path) -> Run {
    let mut cmd = Command::new(actionlint());
    cmd.arg("-no-color").arg(path);
    Run::from(cmd.output().unwrap())
}

#[test]
fn the_workflow_passes_actionlint_for_one_shard_four_and_awkward_paths() {
    let p = Project::new();
    let cases: [(&str, Vec<&str>); 4] = [
        (
            "one.yml",
            vec!["--shards", "1", "--plan", "plan.yaml", "--repos", "repos.txt"],
        ),
        (
            "four.yml",
            vec!["--shards", "4", "--plan", "plan.yaml", "--repos", "repos.txt"],
        ),
        (
            "awkward.yml",
            vec![
                "--shards",
                "3",
                "--plan",
                AWKWARD_PLAN,
                "--repos",
                AWKWARD_REPOS,
                "--on-push",
            ],
        ),
        (
            "install.yml",
            vec![
                "--shards",
                "256",
                "--plan",
                "./plan.yaml",
                "--repos",
                "repos.txt",
                "--install",
                "rustup toolchain install stable\ncargo install --locked --git https://example.com/remedy.git remedy",
            ],
        ),
    ];
    for (name, args) in cases {
        let (path, text) = p.workflow(name, &args);
        let out = lint(&path);
        assert!(
            out.code == 0 && out.stdout.trim().is_empty(),
            "actionlint found problems in the workflow for {args:?} (exit {}):\n{}{}\n--- workflow\n{text}",
            out.code,
            out.stdout,
            out.stderr
        );
    }
    // The linter is not a no-op: a workflow with an unquoted expansion in a script and an
    // unknown key fails it.
    let broken = p.path().join(".github/workflows/broken.yml");
    fs::write(
        &broken,
        "on: workflow_dispatch\njobs:\n  a:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n        shard: [1]\n      fail_fast: false\n    steps:\n      - run: echo ${{ matrix.nope }}\n",
    )
    .unwrap();
    let out = lint(&broken);
    assert_ne!(out.code, 0, "actionlint passed a broken workflow");
    assert!(out.stdout.contains("fail_fast"), "{}", out.stdout);
}

#[test]
fn the_workflow_has_the_matrix_the_jobs_and_the_fleet_commands() {
    let p = Project::new();
    let (_, text) = p.workflow(
        "w.yml",
        &[
            "--shards",
            "4",
            "--plan",
            AWKWARD_PLAN,
            "--repos",
            AWKWARD_REPOS,
            "--on-push",
        ],
    );
    let y: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    assert!(y["on"]["workflow_dispatch"].is_null() && y["on"].get("workflow_dispatch").is_some());
    let filters: Vec<&str> = y["on"]["push"]["paths"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        filters,
        [
            r"fleet plans/fix it's \[v2\] #1.yaml",
            "fleet plans/repos & more.txt"
        ]
    );

    let shard = &y["jobs"]["shard"];
    assert_eq!(
        shard["strategy"]["fail-fast"],
        serde_yaml::Value::Bool(false)
    );
    let matrix: Vec<u64> = shard["strategy"]["matrix"]["shard"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(matrix, [1, 2, 3, 4]);
    assert_eq!(shard["env"]["FLEET_PLAN"].as_str(), Some(AWKWARD_PLAN));
    assert_eq!(shard["env"]["FLEET_REPOS"].as_str(), Some(AWKWARD_REPOS));
    let steps = shard["steps"].as_sequence().unwrap();
    let step = |steps: &[serde_yaml::Value], name: &str| -> serde_yaml::Value {
        steps
            .iter()
            .find(|s| s["name"].as_str().is_some_and(|n| n.starts_with(name)))
            .unwrap_or_else(|| panic!("no step {name:?} in:\n{text}"))
            .clone()
    };
    assert_eq!(steps[0]["uses"].as_str(), Some("actions/checkout@v6"));
    assert!(step(steps, "Install pytest")["run"]
        .as_str()
        .unwrap()
        .contains("pip install pytest"));
    assert_eq!(
        step(steps, "Install remedy")["run"].as_str(),
        Some("cargo install remedy --locked\n")
    );
    let run = step(steps, "Run shard");
    assert_eq!(
        run["env"]["REMEDY_SHARD"].as_str(),
        Some("${{ matrix.shard }}/4")
    );
    assert_eq!(
        run["run"].as_str(),
        Some(
            r#"remedy fleet run "$FLEET_PLAN" --repos "$FLEET_REPOS" --shard auto --out shard-out --bundles"#
        )
    );
    let upload = step(steps, "Upload");
    assert_eq!(upload["if"].as_str(), Some("always()"));
    assert_eq!(upload["uses"].as_str(), Some("actions/upload-artifact@v6"));
    assert_eq!(
        upload["with"]["name"].as_str(),
        Some("remedy-shard-${{ matrix.shard }}")
    );
    assert_eq!(upload["with"]["path"].as_str(), Some("shard-out"));

    let collect = &y["jobs"]["collect"];
    assert_eq!(collect["needs"].as_str(), Some("shard"));
    assert_eq!(collect["if"].as_str(), Some("always()"));
    let steps = collect["steps"].as_sequence().unwrap();
    let download = step(steps, "Download");
    assert_eq!(download["with"]["pattern"].as_str(), Some("remedy-shard-*"));
    assert!(step(steps, "Merge")["run"]
        .as_str()
        .unwrap()
        .contains(r#"remedy fleet collect "$@" --workspace fleet"#));
    assert!(step(steps, "Report")["run"]
        .as_str()
        .unwrap()
        .contains(r#"remedy fleet report --workspace fleet > fleet-report.md"#));
    assert!(step(steps, "Report")["run"]
        .as_str()
        .unwrap()
        .contains(r#">> "$GITHUB_STEP_SUMMARY""#));
    assert_eq!(
        step(steps, "Upload the merged")["if"].as_str(),
        Some("always()")
    );
}

/// A stand-in `remedy` on the PATH that writes each argument it gets on a line of `args`.
fn recording_remedy(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).unwrap();
    let script = bin.join("remedy");
    fs::write(
        &script,
        "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"$RECORD\"\n",
    )
    .unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

/// Runs a step's script as the runner does (`bash -e`), with `env` and the stand-in remedy.
fn run_step(dir: &Path, script: &str, env: &[(&str, &str)]) -> (Run, Vec<String>) {
    let bin = recording_remedy(dir);
    let record = dir.join("args");
    let _ = fs::remove_file(&record);
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-e", "-c", script])
        .current_dir(dir)
        .env("PATH", path)
        .env("RECORD", &record)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let args = fs::read_to_string(&record)
        .map(|t| t.lines().map(String::from).collect())
        .unwrap_or_default();
    (Run::from(out), args)
}

#[test]
fn the_scripts_hand_awkward_paths_and_every_shard_to_remedy_intact() {
    let p = Project::new();
    let (_, text) = p.workflow(
        "w.yml",
        &[
            "--shards",
            "2",
            "--plan",
            AWKWARD_PLAN,
            "--repos",
            AWKWARD_REPOS,
        ],
    );
    let y: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let script = |job: &str, name: &str| -> String {
        y["jobs"][job]["steps"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|s| s["name"].as_str().is_some_and(|n| n.starts_with(name)))
            .unwrap()["run"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let env = |key: &str| y["jobs"]["shard"]["env"][key].as_str().unwrap().to_string();

    let (out, args) = run_step(
        p.path(),
        &script("shard", "Run shard"),
        &[
            ("FLEET_PLAN", &env("FLEET_PLAN")),
            ("FLEET_REPOS", &env("FLEET_REPOS")),
        ],
    );
    out.expect_code(0);
    assert_eq!(
        args,
        [
            "fleet",
            "run",
            AWKWARD_PLAN,
            "--repos",
            AWKWARD_REPOS,
            "--shard",
            "auto",
            "--out",
            "shard-out",
            "--bundles"
        ]
    );

    // The merge step hands every downloaded shard folder to `remedy fleet collect`...
    let merge = script("collect", "Merge");
    let work = tempfile::tempdir().unwrap();
    for i in [1, 2, 10] {
        fs::create_dir_all(work.path().join(format!("shards/remedy-shard-{i}"))).unwrap();
    }
    let (out, args) = run_step(work.path(), &merge, &[]);
    out.expect_code(0);
    assert_eq!(
        args,
        [
            "fleet",
            "collect",
            "shards/remedy-shard-1",
            "shards/remedy-shard-10",
            "shards/remedy-shard-2",
            "--workspace",
            "fleet"
        ]
    );
    // ...and fails with an annotation when no shard uploaded anything.
    let empty = tempfile::tempdir().unwrap();
    let (out, args) = run_step(empty.path(), &merge, &[]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains("::error::no shard uploaded results"),
        "{}",
        out.stdout
    );
    assert!(args.is_empty());
}

#[test]
fn the_output_file_is_written_with_its_folders_and_holds_what_stdout_shows() {
    let p = Project::new();
    let args = [
        "--shards",
        "2",
        "--plan",
        "plan.yaml",
        "--repos",
        "repos.txt",
    ];
    let stdout = p.generate(&args).stdout;
    let mut with_output = args.to_vec();
    with_output.extend(["--output", ".github/workflows/remedy-fleet.yml"]);
    let out = p.generate(&with_output);
    out.expect_code(0);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr
            .contains("wrote .github/workflows/remedy-fleet.yml (2 shards)"),
        "{}",
        out.stderr
    );
    assert_eq!(
        fs::read_to_string(p.path().join(".github/workflows/remedy-fleet.yml")).unwrap(),
        stdout
    );
}

#[test]
fn bad_input_exits_2_names_the_value_and_writes_nothing() {
    let p = Project::new();
    let cases: [(&[&str], &str); 6] = [
        (
            &[
                "--shards",
                "0",
                "--plan",
                "plan.yaml",
                "--repos",
                "repos.txt",
            ],
            "--shards 0 is out of range: a GitHub Actions matrix runs 1 to 256 jobs",
        ),
        (
            &[
                "--shards",
                "257",
                "--plan",
                "plan.yaml",
                "--repos",
                "repos.txt",
            ],
            "--shards 257 is out of range",
        ),
        (
            &[
                "--shards",
                "four",
                "--plan",
                "plan.yaml",
                "--repos",
                "repos.txt",
            ],
            "invalid value 'four' for '--shards <N>'",
        ),
        (
            &[
                "--shards",
                "2",
                "--plan",
                "plans/missing.yaml",
                "--repos",
                "repos.txt",
            ],
            "--plan plans/missing.yaml: the plan file cannot be read",
        ),
        (
            &[
                "--shards",
                "2",
                "--plan",
                "plan.yaml",
                "--repos",
                "nope.txt",
            ],
            "--repos nope.txt: the list of repositories cannot be read",
        ),
        (
            &[
                "--shards",
                "2",
                "--plan",
                "plan.yaml",
                "--repos",
                "repos.txt",
                "--install",
                "  ",
            ],
            "--install is empty",
        ),
    ];
    for (args, says) in cases {
        let mut args = args.to_vec();
        args.extend(["--output", "out/w.yml"]);
        let out = p.generate(&args);
        out.expect_code(2);
        assert!(out.stderr.contains(says), "{args:?}:\n{}", out.stderr);
        assert!(!p.path().join("out").exists(), "{args:?} wrote something");
    }
}

/// The workflow docs/fleet-ci.md shows is what the command it quotes writes, so the page cannot
/// drift from the generator.
#[test]
fn the_workflow_in_the_docs_is_what_the_generator_writes() {
    let p = Project::new();
    for (path, text) in [("plans/fix.yaml", "id: fix\n"), ("fleet/repos.txt", "a\n")] {
        let f = p.path().join(path);
        fs::create_dir_all(f.parent().unwrap()).unwrap();
        fs::write(f, text).unwrap();
    }
    let out = p.generate(&[
        "--shards",
        "4",
        "--plan",
        "plans/fix.yaml",
        "--repos",
        "fleet/repos.txt",
    ]);
    out.expect_code(0);
    let doc = fs::read_to_string(workspace().join("docs/fleet-ci.md")).unwrap();
    let start = doc
        .find("```yaml\n# Runs the remedy plan")
        .expect("the docs show a workflow")
        + 8;
    let end = start + doc[start..].find("```\n").unwrap();
    assert_eq!(
        &doc[start..end],
        out.stdout,
        "docs/fleet-ci.md shows another workflow than `remedy fleet ci github` writes; paste the new one in"
    );
}
