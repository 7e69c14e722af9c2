//! The key of a baseline suite's result: a hash of the interpreter, its pytest and installed
//! packages (`pip freeze --all`), the suite's arguments and selection, and the content of every
//! file the selection imports. Two runs with the same key would run the same tests on the same code
//! with the same packages, so the second can take the first's result.
//!
//! The files hashed are the selected test files, every `conftest.py` above them, pytest's
//! configuration files at the root, and every file of the root they import, directly or not.
//! When any of those has imports that cannot be read from its source (a module named at run time,
//! say), every Python file of the root is hashed instead. Data files a test reads are not in the
//! key.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::graph::{folder_of, ImportGraph};
use crate::process::{run_logged, ChildGroups, Spawn};
use crate::python::Interpreter;

/// pytest's configuration files, read from the root.
const CONFIG_FILES: &[&str] = &[
    "pytest.ini",
    "pyproject.toml",
    "setup.cfg",
    "tox.ini",
    ".pytest.ini",
];

/// How long `pip freeze` may take.
const FREEZE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// What every suite of one phase shares in its key.
#[derive(Debug, Clone)]
pub(crate) struct Environment {
    pub(crate) executable: String,
    pub(crate) python_version: String,
    pub(crate) pytest_version: String,
    /// A hash of `pip freeze --all`.
    pub(crate) packages: String,
}

/// The interpreter's environment, or why it cannot be keyed (pip missing or failing).
pub(crate) async fn environment(
    interpreter: &Interpreter,
    root: &Path,
    groups: &ChildGroups,
) -> Result<Environment, String> {
    let spawn = Spawn {
        program: interpreter.executable.clone(),
        args: vec![
            "-m".into(),
            "pip".into(),
            "freeze".into(),
            "--all".into(),
            "--disable-pip-version-check".into(),
        ],
        cwd: root.to_path_buf(),
        env: vec![("PIP_NO_INPUT".into(), "1".into())],
        log: None,
        timeout: Some(FREEZE_TIMEOUT),
    };
    let out = Arc::new(Mutex::new(String::new()));
    let sink = out.clone();
    let exit = run_logged(&spawn, groups, move |line| {
        let mut s = sink.lock().expect("lock holders do not panic");
        s.push_str(line);
        s.push('\n');
    })
    .await
    .map_err(|e| format!("cannot run `{} -m pip freeze`: {e}", interpreter.executable))?;
    if exit.timed_out || exit.code != Some(0) {
        return Err(format!(
            "`{} -m pip freeze` failed, so the installed packages are unknown",
            interpreter.executable
        ));
    }
    let text = out.lock().expect("lock holders do not panic").clone();
    Ok(Environment {
        executable: interpreter.executable.clone(),
        python_version: interpreter.version.clone(),
        pytest_version: interpreter.pytest_version.clone(),
        packages: crate::fsutil::hash_bytes(text.as_bytes()),
    })
}

/// The files whose content a suite running `tests` depends on, sorted; `true` when the graph could
/// not be trusted and every Python file is in.
pub(crate) fn key_files(graph: &ImportGraph, tests: &[String]) -> (Vec<String>, bool) {
    let mut start = BTreeSet::new();
    for t in tests {
        if let Some(i) = graph.index_of(t) {
            start.insert(i);
        }
        let mut folder = folder_of(t).to_string();
        loop {
            let conftest = if folder.is_empty() {
                "conftest.py".to_string()
            } else {
                format!("{folder}/conftest.py")
            };
            if let Some(i) = graph.index_of(&conftest) {
                start.insert(i);
            }
            if folder.is_empty() {
                break;
            }
            folder = folder_of(&folder).to_string();
        }
    }
    let reached = graph.reach(start);
    let untrusted = reached.iter().any(|&i| !graph.untrusted[i].is_empty());
    let mut files: Vec<String> = if untrusted {
        graph.files.clone()
    } else {
        reached.iter().map(|&i| graph.files[i].clone()).collect()
    };
    files.extend(CONFIG_FILES.iter().map(|f| f.to_string()));
    files.sort();
    files.dedup();
    (files, untrusted)
}

/// The key of one suite: `args` as pytest gets them (without the per-run JUnit and log paths), the
/// selection it runs, and the content of `files` under `root`.
pub(crate) fn suite_key(
    env: &Environment,
    args: &[String],
    selection: Option<&[String]>,
    root: &Path,
    files: &[String],
) -> String {
    let contents: BTreeMap<&str, String> = files
        .iter()
        .map(|f| {
            let hash = match std::fs::read(root.join(f)) {
                Ok(bytes) => crate::fsutil::hash_bytes(&bytes),
                Err(_) => "absent".to_string(),
            };
            (f.as_str(), hash)
        })
        .collect();
    let value = serde_json::json!({
        "python": env.executable,
        "python_version": env.python_version,
        "pytest": env.pytest_version,
        "packages": env.packages,
        "args": args,
        "selection": selection,
        "files": contents,
    });
    let bytes = serde_json::to_vec(&value).unwrap_or_default();
    blake3::hash(&bytes).to_hex()[..32].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::affected::graph::graph_of;

    fn env() -> Environment {
        Environment {
            executable: "/usr/bin/python3".into(),
            python_version: "3.11".into(),
            pytest_version: "8".into(),
            packages: "p".into(),
        }
    }

    #[test]
    fn keys_cover_what_the_selection_imports_and_nothing_else() {
        let g = graph_of(&[
            ("conftest.py", "import app.fixtures\n"),
            ("app/__init__.py", ""),
            ("app/fixtures.py", ""),
            ("app/a.py", ""),
            ("app/b.py", ""),
            ("tests/test_a.py", "from app import a\n"),
        ]);
        let (files, untrusted) = key_files(&g, &["tests/test_a.py".into()]);
        assert!(!untrusted);
        assert!(files.contains(&"app/a.py".to_string()));
        assert!(files.contains(&"app/fixtures.py".to_string()));
        assert!(files.contains(&"pytest.ini".to_string()));
        assert!(!files.contains(&"app/b.py".to_string()));

        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("app")).unwrap();
        std::fs::write(dir.path().join("app/a.py"), "A = 1\n").unwrap();
        let args = vec!["tests".to_string()];
        let k1 = suite_key(&env(), &args, None, dir.path(), &files);
        assert_eq!(k1, suite_key(&env(), &args, None, dir.path(), &files));
        std::fs::write(dir.path().join("app/b.py"), "B = 1\n").unwrap();
        assert_eq!(k1, suite_key(&env(), &args, None, dir.path(), &files));
        std::fs::write(dir.path().join("app/a.py"), "A = 2\n").unwrap();
        assert_ne!(k1, suite_key(&env(), &args, None, dir.path(), &files));
        let other = Environment {
            packages: "q".into(),
            ..env()
        };
        assert_ne!(
            suite_key(&env(), &args, None, dir.path(), &files),
            suite_key(&other, &args, None, dir.path(), &files)
        );
    }

    #[test]
    fn an_untrusted_import_puts_every_file_in_the_key() {
        let g = graph_of(&[
            (
                "app/loader.py",
                "import importlib\nimportlib.import_module(name)\n",
            ),
            ("app/b.py", ""),
            ("tests/test_a.py", "import app.loader\n"),
        ]);
        let (files, untrusted) = key_files(&g, &["tests/test_a.py".into()]);
        assert!(untrusted);
        assert!(files.contains(&"app/b.py".to_string()));
    }
}
