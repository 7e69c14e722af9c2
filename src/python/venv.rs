//! The virtual environment behind a plan's `requirements:`.
//!
//! It lives in `ROOT/.remedy/venvs/<hash>/`, where the hash covers the requirement list and the
//! interpreter that creates it, so an unchanged plan reuses the environment and a changed list gets
//! a fresh one. The environment is made without `--system-site-packages`: what the tests see is
//! exactly what the list names, whatever happens to be installed on the machine. A marker file
//! written last says the environment is complete; a folder without it (a run killed during `pip
//! install`) is removed and made again.
//!
//! When the creating interpreter has pip 22.3 or later, the environment is made without pip of its
//! own and filled by that pip (`pip --python ENV/bin/python install`): bootstrapping pip into every
//! new environment costs several seconds, about three times what the install itself takes for a
//! few packages. Otherwise the environment gets its own pip, which then installs the list.

use std::path::{Path, PathBuf};

use crate::process::{run_capture, run_logged, ChildGroups, Spawn};
use crate::state::STATE_DIR;

/// Written into the environment once pip has installed everything.
const READY_MARKER: &str = "remedy-ready";
/// How many lines of pip's output an error quotes.
const TAIL_LINES: usize = 8;
/// How long asking pip its version may take.
const ASK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
/// How long `python -m venv` may take (bootstrapping pip into it is the slow part).
pub(crate) const VENV_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5 * 60);
/// How long `pip install` may take: downloads and builds from source can be slow, but a pip that
/// waits on an unreachable index must not hold the run forever.
pub(crate) const INSTALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// A ready environment.
#[derive(Debug, Clone)]
pub(crate) struct RequirementsEnv {
    /// The environment's folder.
    pub(crate) dir: PathBuf,
    /// Its interpreter.
    pub(crate) python: PathBuf,
    /// False when an earlier run had already made it.
    pub(crate) created: bool,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum VenvError {
    #[error("cannot create a virtual environment in {} with `{base}`: {detail}", dir.display())]
    Create {
        base: String,
        dir: PathBuf,
        detail: String,
        log: PathBuf,
    },
    #[error("pip could not install the plan's requirements [{}] into {}:\n{tail}", list.join(", "), dir.display())]
    Install {
        list: Vec<String>,
        dir: PathBuf,
        tail: String,
        log: PathBuf,
    },
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl VenvError {
    pub(crate) fn help(&self) -> String {
        match self {
            VenvError::Create { log, .. } => format!(
                "the interpreter needs its `venv` module (on Debian and Ubuntu: the python3-venv package), or point `python:` at another interpreter; full output in {}",
                log.display()
            ),
            VenvError::Install { log, .. } => format!(
                "check the names and versions in `requirements:` (pip reads its index from PIP_INDEX_URL or pip.conf); pip's full output is in {}",
                log.display()
            ),
            VenvError::Io { .. } => "check the permissions of the root's `.remedy/` folder".into(),
        }
    }
}

/// Where the environment for `requirements`, made by `base`, lives under `root`.
pub(crate) fn env_dir(root: &Path, base: &str, requirements: &[String]) -> PathBuf {
    let mut hasher = blake3::Hasher::new();
    hasher.update(base.as_bytes());
    for r in requirements {
        // A separator that cannot occur inside an entry keeps `[a, bc]` and `[ab, c]` apart.
        hasher.update(b"\n");
        hasher.update(r.trim().as_bytes());
    }
    let hash = hasher.finalize().to_hex();
    root.join(STATE_DIR).join("venvs").join(&hash[..16])
}

/// Makes sure the environment exists and holds the requirements; `logs` receives the output of
/// `venv` and pip as `<prefix>venv.log` and `<prefix>pip.log`.
pub(crate) async fn ensure(
    base: &str,
    requirements: &[String],
    root: &Path,
    logs: &Path,
    prefix: &str,
    groups: &ChildGroups,
) -> Result<RequirementsEnv, VenvError> {
    let dir = env_dir(root, base, requirements);
    let python = dir.join("bin/python");
    if dir.join(READY_MARKER).is_file() && python.exists() {
        return Ok(RequirementsEnv {
            dir,
            python,
            created: false,
        });
    }
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|source| VenvError::Io {
            action: "remove the incomplete environment",
            path: dir.clone(),
            source,
        })?;
    }
    let io = |action: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| VenvError::Io {
            action,
            path,
            source,
        }
    };
    let parent = dir.parent().expect("env_dir has a parent");
    std::fs::create_dir_all(parent).map_err(io("create", parent))?;
    std::fs::create_dir_all(logs).map_err(io("create", logs))?;

    let outside_pip = pip_can_target_others(base, root, groups).await;
    let venv_log = logs.join(format!("{prefix}venv.log"));
    let mut args = vec!["-m".to_string(), "venv".to_string()];
    if outside_pip {
        args.push("--without-pip".into());
    }
    args.push(dir.to_string_lossy().into_owned());
    let spawn = Spawn {
        program: base.to_string(),
        args,
        cwd: root.to_path_buf(),
        env: vec![],
        log: Some(venv_log.clone()),
        timeout: Some(VENV_TIMEOUT),
    };
    let created = run_logged(&spawn, groups, |_| {}).await;
    let failure = match created {
        Err(e) => Some(format!("cannot start it: {e}")),
        Ok(exit) if exit.timed_out => Some(format!(
            "it did not finish within {}s and was killed",
            VENV_TIMEOUT.as_secs()
        )),
        Ok(exit) if exit.code != Some(0) || !python.exists() => {
            Some(last_lines(&venv_log, 3).unwrap_or_else(|| format!("exit code {:?}", exit.code)))
        }
        Ok(_) => None,
    };
    if let Some(detail) = failure {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(VenvError::Create {
            base: base.to_string(),
            dir,
            detail,
            log: venv_log,
        });
    }

    // A requirements file rather than arguments: entries may be pip options (`--find-links ...`,
    // `-e .`), which pip accepts in a file one per line.
    let list_file = dir.join("remedy-requirements.txt");
    let text: String = requirements
        .iter()
        .map(|r| format!("{}\n", r.trim()))
        .collect();
    std::fs::write(&list_file, &text).map_err(io("write", &list_file))?;
    let pip_log = logs.join(format!("{prefix}pip.log"));
    let (program, mut args) = if outside_pip {
        (
            base.to_string(),
            vec![
                "-m".to_string(),
                "pip".to_string(),
                "--python".to_string(),
                python.to_string_lossy().into_owned(),
            ],
        )
    } else {
        (
            python.to_string_lossy().into_owned(),
            vec!["-m".to_string(), "pip".to_string()],
        )
    };
    args.extend([
        "install".into(),
        "--disable-pip-version-check".into(),
        "--no-input".into(),
        "-r".into(),
        list_file.to_string_lossy().into_owned(),
    ]);
    let spawn = Spawn {
        program,
        args,
        cwd: root.to_path_buf(),
        env: vec![],
        log: Some(pip_log.clone()),
        timeout: Some(INSTALL_TIMEOUT),
    };
    let installed = run_logged(&spawn, groups, |_| {}).await;
    let failure = match installed {
        Err(e) => Some(format!("cannot start pip: {e}")),
        Ok(exit) if exit.timed_out => Some(format!(
            "pip did not finish within {}s and was killed",
            INSTALL_TIMEOUT.as_secs()
        )),
        Ok(exit) if exit.code != Some(0) => Some(
            last_lines(&pip_log, TAIL_LINES)
                .unwrap_or_else(|| format!("pip exited with {:?}", exit.code)),
        ),
        Ok(_) => None,
    };
    if let Some(tail) = failure {
        // Leave nothing half-made behind: the next attempt starts clean.
        let _ = std::fs::remove_dir_all(&dir);
        return Err(VenvError::Install {
            list: requirements.to_vec(),
            dir,
            tail,
            log: pip_log,
        });
    }
    let marker = dir.join(READY_MARKER);
    std::fs::write(&marker, &text).map_err(io("write", &marker))?;
    Ok(RequirementsEnv {
        dir,
        python,
        created: true,
    })
}

/// Whether `base` has a pip that can install into another environment (`--python`, pip 22.3+).
async fn pip_can_target_others(base: &str, root: &Path, groups: &ChildGroups) -> bool {
    let asked = run_capture(base, &["-m", "pip", "--version"], root, ASK_TIMEOUT, groups).await;
    match asked {
        Ok(out) if out.code() == Some(0) => pip_version_targets_others(&out.output),
        _ => false,
    }
}

/// Reads `pip X.Y[.Z] from ...`.
fn pip_version_targets_others(version_line: &str) -> bool {
    let Some(version) = version_line
        .lines()
        .find_map(|l| l.strip_prefix("pip "))
        .and_then(|rest| rest.split_whitespace().next())
    else {
        return false;
    };
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let major = parts.next().unwrap_or(0);
    let minor = parts.next().unwrap_or(0);
    (major, minor) >= (22, 3)
}

/// The last `n` non-empty lines of a log, indented for an error message.
fn last_lines(log: &Path, n: usize) -> Option<String> {
    let text = std::fs::read_to_string(log).ok()?;
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return None;
    }
    let tail = &lines[lines.len().saturating_sub(n)..];
    Some(
        tail.iter()
            .map(|l| format!("  | {l}"))
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folder_depends_on_the_list_and_the_interpreter() {
        let root = Path::new("/r");
        let a = env_dir(root, "python3", &["pytest>=7".into()]);
        assert!(a.starts_with("/r/.remedy/venvs"));
        assert_eq!(a, env_dir(root, "python3", &[" pytest>=7 ".into()]));
        assert_ne!(a, env_dir(root, "python3.12", &["pytest>=7".into()]));
        assert_ne!(
            env_dir(root, "p", &["a".into(), "bc".into()]),
            env_dir(root, "p", &["ab".into(), "c".into()])
        );
    }

    #[test]
    fn pip_from_22_3_installs_into_other_environments() {
        assert!(pip_version_targets_others(
            "pip 23.2.1 from /usr/lib/python3/dist-packages/pip (python 3.11)\n"
        ));
        assert!(pip_version_targets_others("pip 22.3 from x"));
        assert!(!pip_version_targets_others("pip 22.2.2 from x"));
        assert!(!pip_version_targets_others("pip 9.0.1 from x"));
        assert!(!pip_version_targets_others("No module named pip"));
    }

    #[tokio::test]
    async fn a_missing_base_interpreter_is_a_create_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = ensure(
            "/nonexistent/python3",
            &["pytest".into()],
            dir.path(),
            &dir.path().join("logs"),
            "t--",
            &ChildGroups::default(),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, VenvError::Create { .. }), "{err}");
        assert!(err.to_string().contains("/nonexistent/python3"), "{err}");
        assert!(!env_dir(dir.path(), "/nonexistent/python3", &["pytest".into()]).exists());
    }
}
