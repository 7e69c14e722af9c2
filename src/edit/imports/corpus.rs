//! The import and name analyses over real Python: the bundled sample and the first files of the
//! standard library, whose names Python's own `symtable` module can vouch for.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::process::{Command, Stdio};

use super::names::names_got_worse;
use super::names::Names;
use crate::edit::test_corpus::python_files;

/// What Python's compiler sees of a file's names, in all its scopes together.
#[derive(Default)]
struct PythonNames {
    bound: HashSet<String>,
    referenced: HashSet<String>,
}

/// The names each file binds and those it reads, in any scope, as Python's compiler sees them.
fn names_python_sees(paths: &[String]) -> HashMap<String, PythonNames> {
    let script = r#"
import json, symtable, sys
out = {}
for path in sys.stdin.read().splitlines():
    bound, referenced = set(), set()
    tables = [symtable.symtable(open(path, encoding="utf-8").read(), path, "exec")]
    while tables:
        table = tables.pop()
        tables.extend(table.get_children())
        for s in table.get_symbols():
            if (s.is_assigned() or s.is_imported() or s.is_parameter() or s.is_namespace()
                    or s.is_declared_global() or s.is_nonlocal()):
                bound.add(s.get_name())
            if s.is_referenced():
                referenced.add(s.get_name())
    out[path] = [sorted(bound), sorted(referenced)]
print(json.dumps(out))
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(paths.join("\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let parsed: HashMap<String, (Vec<String>, Vec<String>)> =
        serde_json::from_slice(&out.stdout).unwrap();
    parsed
        .into_iter()
        .map(|(path, (bound, referenced))| {
            let names = PythonNames {
                bound: bound.into_iter().collect(),
                referenced: referenced.into_iter().collect(),
            };
            (path, names)
        })
        .collect()
}

#[test]
fn no_name_python_binds_is_reported_undefined_and_no_import_python_reads_is_unused() {
    let files = python_files(4_000_000);
    let paths: Vec<String> = files
        .iter()
        .map(|(p, _)| p.to_string_lossy().into_owned())
        .collect();
    let seen = names_python_sees(&paths);
    let mut checked = 0;
    for ((_, text), path) in files.iter().zip(&paths) {
        let Some(python) = seen.get(path) else {
            continue;
        };
        checked += 1;
        let names = Names::of(text);
        for (name, line) in names.undefined_names() {
            assert!(
                !python.bound.contains(name),
                "{path}:{line}: `{name}` is bound but reported undefined"
            );
        }
        for (name, at) in names.unused_imports() {
            assert!(
                !python.referenced.contains(&name),
                "{path}@{at}: `{name}` is read but its import reported unused"
            );
        }
    }
    assert!(checked > 20);
}

#[test]
fn an_unchanged_real_file_got_no_worse() {
    for (path, text) in python_files(1_000_000) {
        assert_eq!(names_got_worse(&text, &text), None, "{}", path.display());
    }
}

#[test]
fn adding_an_import_to_real_files_keeps_them_parsing() {
    use super::add::add_imports;
    use super::error::ImportError;
    use super::spec::ImportSpec;
    use crate::edit::python::error_count;
    let specs = [
        "from datetime import timezone",
        "import collections.abc",
        "from typing import Mapping",
    ];
    let mut added = 0;
    for (path, text) in python_files(600_000) {
        for spec in specs {
            let spec = ImportSpec::parse(spec).unwrap();
            match add_imports(&text, std::slice::from_ref(&spec)) {
                Ok(new) => {
                    assert_eq!(error_count(&new), 0, "{}: {spec}\n{new}", path.display());
                    added += usize::from(new != text);
                    // Asking again changes nothing: the name is bound now.
                    assert_eq!(add_imports(&new, &[spec]).unwrap(), new);
                }
                Err(ImportError::NameTaken { .. }) => {}
                Err(e) => panic!("{}: {e}", path.display()),
            }
        }
    }
    assert!(added > 20);
}

#[test]
fn removing_nothing_changes_nothing_in_real_files() {
    use super::remove::remove_imports_left_unused;
    for (path, text) in python_files(1_000_000) {
        assert_eq!(
            remove_imports_left_unused(&text, &text, false),
            text,
            "{}",
            path.display()
        );
    }
}

#[test]
fn removing_the_imports_real_files_leave_unused_keeps_them_parsing_and_defined() {
    use super::remove::{move_type_only_imports, remove_imports_left_unused};
    use super::statements::imports_of;
    use crate::edit::python::error_count;
    let mut removed = 0;
    for (path, text) in python_files(1_000_000) {
        // A version of the file that uses every name its imports bind: the file itself has then
        // lost the uses of the imports it does not use.
        let mut before = text.clone();
        before.push_str("\n_ = (");
        for statement in imports_of(&text) {
            for bound in statement.bound() {
                before.push_str(&bound.name);
                before.push_str(", ");
            }
        }
        before.push_str(")\n");
        let after = remove_imports_left_unused(&before, &text, false);
        assert_eq!(error_count(&after), 0, "{}\n{after}", path.display());
        assert_eq!(names_got_worse(&text, &after), None, "{}", path.display());
        if after != text && std::env::var_os("SHOW_REMOVALS").is_some() {
            let diff = similar::TextDiff::from_lines(&text, &after);
            eprintln!(
                "{}\n{}",
                path.display(),
                diff.unified_diff().context_radius(1)
            );
        }
        removed += usize::from(after != text);
        let moved = move_type_only_imports(&text);
        if let Ok(moved) = moved {
            assert_eq!(error_count(&moved), 0, "{}\n{moved}", path.display());
        }
    }
    assert!(removed > 0);
}
