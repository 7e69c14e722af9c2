//! `remedy fleet ci github`: a GitHub Actions workflow that runs a plan over a list of
//! repositories in N shards (one matrix job each, `--shard auto` reading `REMEDY_SHARD`), uploads
//! each shard's results, and merges them in a last job into one report on the run's summary page.
//!
//! The YAML is written by hand rather than through a serializer so that it reads like a workflow
//! a person wrote (comments, key order, block scripts). What comes from the user goes in as
//! single-quoted YAML scalars, and reaches the shell only through environment variables, so no
//! path can break the YAML or the scripts.

use std::fmt::Write;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// The install step's command when `--install` is not given: the released crate.
pub(crate) const DEFAULT_INSTALL: &str = "cargo install remedy --locked";

/// GitHub runs at most this many jobs of one matrix.
pub(crate) const MAX_SHARDS: u64 = 256;

/// The actions the workflow uses, at major versions that run on Node 24: GitHub removed the Node
/// 20 runtime from its runners in September 2026, so the `@v4` of checkout and the artifact
/// actions no longer start.
const CHECKOUT: &str = "actions/checkout@v6";
const SETUP_PYTHON: &str = "actions/setup-python@v6";
const UPLOAD_ARTIFACT: &str = "actions/upload-artifact@v6";
const DOWNLOAD_ARTIFACT: &str = "actions/download-artifact@v7";

/// The folder each shard's `remedy fleet run --out` writes, and its artifact's prefix.
const SHARD_OUT: &str = "shard-out";
const ARTIFACT_PREFIX: &str = "remedy-shard-";

/// What the workflow runs.
#[derive(Debug, Clone)]
pub(crate) struct GithubOptions {
    pub(crate) shards: u64,
    /// The plan file, as given on the command line.
    pub(crate) plan: PathBuf,
    /// The list of repositories, as given on the command line.
    pub(crate) repos: PathBuf,
    /// The shell command that installs remedy on a runner.
    pub(crate) install: String,
    /// Also run on a push that changes the plan or the list.
    pub(crate) on_push: bool,
}

/// The workflow for `opts`, with paths given relative to `cwd` written relative to the root of
/// the repository around `cwd` (the folder the workflow's checkout starts in).
pub(crate) fn github_workflow(opts: &GithubOptions, cwd: &Path) -> Result<String> {
    if opts.shards == 0 || opts.shards > MAX_SHARDS {
        return Err(Error::usage(
            format!(
                "--shards {} is out of range: a GitHub Actions matrix runs 1 to {MAX_SHARDS} jobs",
                opts.shards
            ),
            format!("pass a number from 1 to {MAX_SHARDS}, e.g. --shards 4"),
        ));
    }
    let install = opts.install.trim();
    if install.is_empty() {
        return Err(Error::usage(
            "--install is empty: the workflow needs a command that installs remedy",
            format!("leave --install out for `{DEFAULT_INSTALL}`"),
        ));
    }
    let top = repository_root(cwd);
    let plan = workflow_path(&opts.plan, "--plan", "plan file", cwd, top.as_deref())?;
    let repos = workflow_path(
        &opts.repos,
        "--repos",
        "list of repositories",
        cwd,
        top.as_deref(),
    )?;
    Ok(render(opts.shards, &plan, &repos, install, opts.on_push))
}

/// The nearest folder at or above `cwd` that holds a `.git` (a folder, or a file for a worktree).
fn repository_root(cwd: &Path) -> Option<PathBuf> {
    let cwd = cwd.canonicalize().ok()?;
    cwd.ancestors()
        .find(|dir| dir.join(".git").exists())
        .map(Path::to_path_buf)
}

/// A path as the workflow's checkout sees it: relative to the repository's root, `/`-separated.
/// The file must exist (a typo would only show on the runner), sit inside the repository, and
/// hold nothing GitHub would read as an expression or YAML as a line break.
fn workflow_path(
    given: &Path,
    flag: &str,
    what: &str,
    cwd: &Path,
    top: Option<&Path>,
) -> Result<String> {
    let full = cwd.join(given);
    let meta = std::fs::metadata(&full).map_err(|e| {
        Error::usage(
            format!("{flag} {}: the {what} cannot be read: {e}", given.display()),
            format!(
                "pass the path of an existing file, relative to the current folder ({})",
                cwd.display()
            ),
        )
    })?;
    if !meta.is_file() {
        return Err(Error::usage(
            format!("{flag} {}: the {what} is not a file", given.display()),
            None,
        ));
    }
    let relative = match top {
        Some(top) => {
            let canonical = full
                .canonicalize()
                .map_err(|e| Error::io("resolve", &full, e))?;
            canonical
                .strip_prefix(top)
                .map(Path::to_path_buf)
                .map_err(|_| {
                    Error::usage(
                        format!(
                            "{flag} {}: the {what} is outside the repository at {}, and the workflow sees only that repository's checkout",
                            given.display(),
                            top.display()
                        ),
                        "commit the file to the repository the workflow runs in, and pass its path there".to_string(),
                    )
                })?
        }
        None if given.is_absolute() => {
            return Err(Error::usage(
                format!(
                    "{flag} {}: an absolute path means nothing on a runner, and no repository around the current folder tells where the file sits in the checkout",
                    given.display()
                ),
                "run this from the repository the workflow will live in, or give the path relative to its root".to_string(),
            ))
        }
        None => normalise(given),
    };
    let text = relative
        .components()
        .map(|c| c.as_os_str().to_str())
        .collect::<Option<Vec<_>>>()
        .map(|parts| parts.join("/"))
        .ok_or_else(|| {
            Error::usage(
                format!(
                    "{flag} {}: the path is not valid UTF-8, which a workflow file must be",
                    given.display()
                ),
                None,
            )
        })?;
    if text.chars().any(char::is_control) {
        return Err(Error::usage(
            format!("{flag} {text:?}: the path holds a control character (a line break, a tab), which a workflow cannot carry safely"),
            "rename the file".to_string(),
        ));
    }
    if text.contains("${{") {
        return Err(Error::usage(
            format!("{flag} {text}: GitHub Actions would read `${{{{` in the path as the start of an expression"),
            "rename the file".to_string(),
        ));
    }
    Ok(text)
}

/// A relative path without `.` components; `..` stays (the file exists, so it resolves).
fn normalise(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

/// A YAML scalar that reads back as exactly `s`: single-quoted, quotes doubled. `s` holds no
/// control characters (checked by [`workflow_path`]).
fn yaml_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A path filter of `on.push.paths` that matches exactly `path`: the characters GitHub's filter
/// patterns treat as special, escaped with a backslash.
fn path_filter(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if matches!(c, '*' | '?' | '+' | '[' | ']' | '!' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A word as a POSIX shell would read it, for the comment that says how the file was made.
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// `lines` as the body of a block scalar (`run: |`) indented by `indent` spaces.
fn block(lines: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    lines
        .lines()
        .map(|l| {
            if l.trim().is_empty() {
                "\n".to_string()
            } else {
                format!("{pad}{}\n", l.trim_end())
            }
        })
        .collect()
}

fn render(shards: u64, plan: &str, repos: &str, install: &str, on_push: bool) -> String {
    let mut y = String::new();
    let mut made_by = format!(
        "remedy fleet ci github --shards {shards} --plan {} --repos {}",
        shell_word(plan),
        shell_word(repos)
    );
    if on_push {
        made_by.push_str(" --on-push");
    }
    if install != DEFAULT_INSTALL {
        made_by.push_str(" --install …");
    }
    let _ = writeln!(
        y,
        "# Runs the remedy plan {plan:?} over the repositories listed in {repos:?},\n\
         # in {} of a GitHub Actions matrix, then merges their results into one report.\n\
         # Made by: {made_by}\n\
         # Run that again rather than editing this file by hand.\n",
        crate::words::count(shards, "shard"),
    );
    let _ = writeln!(y, "name: remedy fleet\n");
    let _ = writeln!(y, "on:\n  workflow_dispatch:");
    if on_push {
        let _ = writeln!(
            y,
            "  push:\n    paths:\n      - {}\n      - {}",
            yaml_str(&path_filter(plan)),
            yaml_str(&path_filter(repos))
        );
    }
    let _ = writeln!(y, "\npermissions:\n  contents: read\n");
    let _ = writeln!(y, "jobs:");

    let shard_list: Vec<String> = (1..=shards).map(|i| i.to_string()).collect();
    let _ = writeln!(
        y,
        "  shard:\n    name: shard ${{{{ matrix.shard }}}} of {shards}\n    runs-on: ubuntu-latest\n    strategy:\n      fail-fast: false\n      matrix:\n        shard: [{}]",
        shard_list.join(", ")
    );
    let _ = writeln!(
        y,
        "    env:\n      FLEET_PLAN: {}\n      FLEET_REPOS: {}",
        yaml_str(plan),
        yaml_str(repos)
    );
    let _ = writeln!(y, "    steps:\n      - uses: {CHECKOUT}");
    let _ = writeln!(
        y,
        "      - uses: {SETUP_PYTHON}\n        with:\n          python-version: '3.12'"
    );
    let _ = writeln!(
        y,
        "      - name: Install pytest\n        run: python -m pip install pytest pytest-xdist"
    );
    let _ = write!(
        y,
        "      - name: Install remedy\n        run: |\n{}",
        block(install, 10)
    );
    let _ = writeln!(
        y,
        "      - name: Run shard ${{{{ matrix.shard }}}} of {shards}\n        env:\n          REMEDY_SHARD: ${{{{ matrix.shard }}}}/{shards}\n        run: remedy fleet run \"$FLEET_PLAN\" --repos \"$FLEET_REPOS\" --shard auto --out {SHARD_OUT} --bundles"
    );
    // Uploaded whatever the run's exit code: a shard with failed repositories has the most to say.
    let _ = writeln!(
        y,
        "      - name: Upload the shard's results\n        if: always()\n        uses: {UPLOAD_ARTIFACT}\n        with:\n          name: {ARTIFACT_PREFIX}${{{{ matrix.shard }}}}\n          path: {SHARD_OUT}\n          if-no-files-found: warn\n"
    );

    let _ = writeln!(
        y,
        "  collect:\n    needs: shard\n    # Merges what the shards uploaded even when some of them failed.\n    if: always()\n    runs-on: ubuntu-latest\n    steps:\n      - uses: {CHECKOUT}"
    );
    let _ = write!(
        y,
        "      - name: Install remedy\n        run: |\n{}",
        block(install, 10)
    );
    let _ = writeln!(
        y,
        "      - name: Download the shards' results\n        uses: {DOWNLOAD_ARTIFACT}\n        with:\n          pattern: {ARTIFACT_PREFIX}*\n          path: shards"
    );
    let _ = write!(
        y,
        "      - name: Merge the shards\n        run: |\n{}",
        block(
            &format!(
                "shopt -s nullglob\n\
                 set -- shards/{ARTIFACT_PREFIX}*\n\
                 if [ \"$#\" -eq 0 ]; then\n\
                 \x20 echo \"::error::no shard uploaded results; see the shard jobs' logs\"\n\
                 \x20 exit 1\n\
                 fi\n\
                 remedy fleet collect \"$@\" --workspace fleet"
            ),
            10
        )
    );
    let _ = write!(
        y,
        "      - name: Report\n        run: |\n{}",
        block(
            "remedy fleet report --workspace fleet --format json > fleet-report.json\n\
             remedy fleet report --workspace fleet > fleet-report.md\n\
             cat fleet-report.md >> \"$GITHUB_STEP_SUMMARY\"",
            10
        )
    );
    let _ = writeln!(
        y,
        "      - name: Upload the merged results\n        if: always()\n        uses: {UPLOAD_ARTIFACT}\n        with:\n          name: remedy-fleet\n          path: |\n            fleet\n            fleet-report.md\n            fleet-report.json"
    );
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_yaml_string_reads_back_as_itself() {
        for s in [
            "plain",
            "with space",
            "it's",
            "a: b #c",
            "-x",
            "'q'",
            "[x]",
            "{y}",
            "@z",
            "*a",
            "yes",
            "1.0",
        ] {
            let doc = format!("k: {}\n", yaml_str(s));
            let v: serde_yaml::Value = serde_yaml::from_str(&doc).unwrap();
            assert_eq!(v["k"].as_str(), Some(s), "{doc}");
        }
    }

    #[test]
    fn a_path_filter_escapes_what_glob_patterns_treat_as_special() {
        assert_eq!(path_filter("plans/fix.yaml"), "plans/fix.yaml");
        assert_eq!(
            path_filter("p/a*b?c+d[e]!f.yaml"),
            r"p/a\*b\?c\+d\[e\]\!f.yaml"
        );
    }

    #[test]
    fn a_shell_word_is_quoted_only_when_it_must_be() {
        assert_eq!(shell_word("plans/fix.yaml"), "plans/fix.yaml");
        assert_eq!(shell_word("my plans/it's.yaml"), r"'my plans/it'\''s.yaml'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn a_block_indents_each_line_and_keeps_blank_ones_blank() {
        assert_eq!(block("a\n\n  b  \n", 4), "    a\n\n      b\n");
    }

    fn options(dir: &Path, shards: u64) -> GithubOptions {
        std::fs::write(dir.join("plan.yaml"), "id: x\n").unwrap();
        std::fs::write(dir.join("repos.txt"), "a\n").unwrap();
        GithubOptions {
            shards,
            plan: "plan.yaml".into(),
            repos: "./repos.txt".into(),
            install: DEFAULT_INSTALL.into(),
            on_push: false,
        }
    }

    #[test]
    fn shards_out_of_the_matrix_range_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for n in [0, MAX_SHARDS + 1] {
            let e = github_workflow(&options(dir.path(), n), dir.path()).unwrap_err();
            assert_eq!(e.exit_code(), crate::error::exit::BAD_INPUT);
            assert!(
                e.to_string()
                    .contains(&format!("--shards {n} is out of range")),
                "{e}"
            );
        }
        assert!(github_workflow(&options(dir.path(), MAX_SHARDS), dir.path()).is_ok());
    }

    #[test]
    fn paths_a_workflow_cannot_carry_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut o = options(dir.path(), 2);
        for (name, says) in [
            ("a${{ secrets.X }}.yaml", "expression"),
            ("line\nbreak.yaml", "control character"),
        ] {
            std::fs::write(dir.path().join(name), "").unwrap();
            o.plan = name.into();
            let e = github_workflow(&o, dir.path()).unwrap_err();
            assert!(e.to_string().contains(says), "{e}");
        }
        o.plan = "missing.yaml".into();
        let e = github_workflow(&o, dir.path()).unwrap_err();
        assert!(
            e.to_string()
                .contains("--plan missing.yaml: the plan file cannot be read"),
            "{e}"
        );
        o.plan = ".".into();
        let e = github_workflow(&o, dir.path()).unwrap_err();
        assert!(e.to_string().contains("is not a file"), "{e}");
    }

    #[test]
    fn paths_inside_a_repository_are_written_from_its_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        let sub = dir.path().join("ops/fleet");
        std::fs::create_dir_all(&sub).unwrap();
        let mut o = options(&sub, 3);
        o.plan = "../fleet/plan.yaml".into();
        let y = github_workflow(&o, &sub).unwrap();
        assert!(y.contains("FLEET_PLAN: 'ops/fleet/plan.yaml'\n"), "{y}");
        assert!(y.contains("FLEET_REPOS: 'ops/fleet/repos.txt'\n"), "{y}");
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("p.yaml"), "").unwrap();
        o.plan = outside.path().join("p.yaml");
        let e = github_workflow(&o, &sub).unwrap_err();
        assert!(e.to_string().contains("is outside the repository"), "{e}");
    }
}
