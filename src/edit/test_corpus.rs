//! Real Python source for tests that compare the statement-unit shortcuts with whole-file parses:
//! the bundled sample project and the first files of Python's standard library (real code with
//! every kind of string, decorator and clause).

use std::path::PathBuf;

/// Files that parse without an error, up to about `budget` bytes in all (the sample first).
pub(crate) fn python_files(budget: usize) -> Vec<(PathBuf, String)> {
    let mut paths = Vec::new();
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/websocket-app");
    for entry in ignore::WalkBuilder::new(sample).build().flatten() {
        paths.push(entry.into_path());
    }
    let stdlib = std::process::Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['stdlib'])",
        ])
        .output()
        .expect("python3 runs");
    let stdlib = String::from_utf8(stdlib.stdout).expect("a UTF-8 path");
    let mut library: Vec<_> = std::fs::read_dir(stdlib.trim())
        .expect("the standard library is readable")
        .flatten()
        .map(|e| e.path())
        .collect();
    library.sort();
    paths.extend(library);
    let mut left = budget;
    let mut files = Vec::new();
    for path in paths {
        if path.extension().is_none_or(|e| e != "py") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if text.len() > 150_000 || text.len() > left || super::python::error_count(&text) > 0 {
            continue;
        }
        left -= text.len();
        files.push((path, text));
    }
    assert!(
        files.len() > 20,
        "too few Python files found: {}",
        files.len()
    );
    files
}
