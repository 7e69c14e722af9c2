//! Which Python runs the tests, and whether it can import pytest.
//!
//! Order: `python:` in the plan, then `$VIRTUAL_ENV`, `ROOT/.venv`, `ROOT/venv`, then `python3` on
//! the PATH. The first that exists is probed; when it cannot import pytest the error says which
//! interpreter was tried, why it was chosen, and how to fix it. The probe also learns whether
//! pytest-xdist is importable, for phases that ask for `workers:`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::process::{run_capture, ChildGroups};

/// How long the probe may take; an interpreter that starts slowly on a cold cache needs seconds,
/// one that hangs (a broken `sitecustomize`, a network mount) must not hold the run.
const PROBE_TIMEOUT: Duration = Duration::from_secs(60);

/// A probed interpreter.
#[derive(Debug, Clone)]
pub(crate) struct Interpreter {
    /// What was run (a path or a command name).
    pub(crate) program: String,
    /// `sys.executable` as the interpreter reports it.
    pub(crate) executable: String,
    pub(crate) version: String,
    pub(crate) pytest_version: String,
    /// pytest-xdist's version, when the interpreter can import it.
    pub(crate) xdist_version: Option<String>,
    /// Why this interpreter was chosen.
    pub(crate) chosen_by: String,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum PythonError {
    #[error("cannot start the Python interpreter `{program}` ({chosen_by}): {source}")]
    NotFound {
        program: String,
        chosen_by: String,
        #[source]
        source: std::io::Error,
    },
    #[error("pytest is not importable by `{program}` ({chosen_by}): {detail}")]
    NoPytest {
        program: String,
        chosen_by: String,
        detail: String,
    },
}

impl PythonError {
    pub(crate) fn help(&self) -> String {
        match self {
            PythonError::NotFound { .. } => {
                "set `python:` in the plan to an interpreter path (e.g. `.venv/bin/python`), or install python3".into()
            }
            PythonError::NoPytest { program, .. } => format!(
                "install it for that interpreter (`{program} -m pip install pytest`), or point `python:` in the plan at an interpreter that has it (e.g. `.venv/bin/python`)"
            ),
        }
    }
}

/// Picks the interpreter to use for `root`, without running it.
pub(crate) fn choose(root: &Path, configured: Option<&str>) -> (String, String) {
    if let Some(p) = configured {
        let program = if p.contains('/') && !Path::new(p).is_absolute() {
            root.join(p).to_string_lossy().into_owned()
        } else {
            p.to_string()
        };
        return (program, "set by `python:` in the plan".into());
    }
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV") {
        let p = PathBuf::from(venv).join("bin/python");
        if p.exists() {
            return (p.to_string_lossy().into_owned(), "from $VIRTUAL_ENV".into());
        }
    }
    for dir in [".venv", "venv"] {
        let p = root.join(dir).join("bin/python");
        if p.exists() {
            return (
                p.to_string_lossy().into_owned(),
                format!("found {dir}/ in the root"),
            );
        }
    }
    ("python3".into(), "python3 on the PATH".into())
}

const PROBE: &str = "\
import sys
print(sys.executable)
print(sys.version.split()[0])
import pytest
print(pytest.__version__)
try:
    import xdist
    print(getattr(xdist, '__version__', 'unknown'))
except ImportError:
    print('-')
";

/// Runs the interpreter once to learn its version and pytest's.
pub(crate) async fn probe(
    program: &str,
    chosen_by: &str,
    root: &Path,
    groups: &ChildGroups,
) -> Result<Interpreter, PythonError> {
    let out = run_capture(program, &["-c", PROBE], root, PROBE_TIMEOUT, groups)
        .await
        .map_err(|source| PythonError::NotFound {
            program: program.to_string(),
            chosen_by: chosen_by.to_string(),
            source,
        })?;
    if out.exit.timed_out {
        return Err(PythonError::NoPytest {
            program: program.to_string(),
            chosen_by: chosen_by.to_string(),
            detail: format!(
                "the probe did not finish within {}s and was killed",
                PROBE_TIMEOUT.as_secs()
            ),
        });
    }
    let code = out.code();
    let lines: Vec<&str> = out.output.lines().collect();
    if code != Some(0) || lines.len() < 3 {
        let detail = lines
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map_or_else(|| format!("exit code {code:?}"), |l| l.trim().to_string());
        return Err(PythonError::NoPytest {
            program: program.to_string(),
            chosen_by: chosen_by.to_string(),
            detail,
        });
    }
    Ok(Interpreter {
        program: program.to_string(),
        executable: lines[0].to_string(),
        version: lines[1].to_string(),
        pytest_version: lines[2].to_string(),
        xdist_version: lines
            .get(3)
            .map(|l| l.trim())
            .filter(|l| !l.is_empty() && *l != "-")
            .map(str::to_string),
        chosen_by: chosen_by.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn missing_interpreter_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let err = probe(
            "/nonexistent/python9",
            "set by `python:` in the plan",
            dir.path(),
            &ChildGroups::default(),
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("/nonexistent/python9"), "{err}");
    }

    #[tokio::test]
    async fn interpreter_without_pytest_is_explained() {
        // `-S` would not hide site-packages from a plain probe; use an interpreter-like script instead.
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("python");
        std::fs::write(
            &fake,
            "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'pytest'\" >&2\nexit 1\n",
        )
        .unwrap();
        std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let err = probe(
            fake.to_str().unwrap(),
            "test",
            dir.path(),
            &ChildGroups::default(),
        )
        .await
        .unwrap_err();
        assert!(
            err.to_string().contains("No module named 'pytest'"),
            "{err}"
        );
        assert!(err.help().contains("-m pip install pytest"));
    }

    #[test]
    fn root_venv_is_preferred_over_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".venv/bin")).unwrap();
        std::fs::write(dir.path().join(".venv/bin/python"), "").unwrap();
        if std::env::var_os("VIRTUAL_ENV").is_none() {
            let (program, why) = choose(dir.path(), None);
            assert!(program.ends_with(".venv/bin/python"), "{program}");
            assert!(why.contains(".venv"));
        }
        let (program, _) = choose(dir.path(), Some("tools/py"));
        assert_eq!(PathBuf::from(program), dir.path().join("tools/py"));
    }

    fn fake_interpreter(dir: &Path, name: &str, output: &str) -> String {
        let fake = dir.join(name);
        std::fs::write(&fake, format!("#!/bin/sh\nprintf '{output}'\n")).unwrap();
        std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        fake.to_str().unwrap().to_string()
    }

    #[tokio::test]
    async fn the_probe_reads_pytest_xdist_when_present() {
        let dir = tempfile::tempdir().unwrap();
        let with = fake_interpreter(
            dir.path(),
            "with-xdist",
            "/usr/bin/python3\\n3.12.1\\n8.3.2\\n3.6.1\\n",
        );
        let i = probe(&with, "test", dir.path(), &ChildGroups::default())
            .await
            .unwrap();
        assert_eq!(
            (i.version.as_str(), i.pytest_version.as_str()),
            ("3.12.1", "8.3.2")
        );
        assert_eq!(i.xdist_version.as_deref(), Some("3.6.1"));
        let without = fake_interpreter(
            dir.path(),
            "without-xdist",
            "/usr/bin/python3\\n3.12.1\\n8.3.2\\n-\\n",
        );
        assert_eq!(
            probe(&without, "test", dir.path(), &ChildGroups::default())
                .await
                .unwrap()
                .xdist_version,
            None
        );
    }
}
