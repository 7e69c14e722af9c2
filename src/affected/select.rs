//! The affected selection: from the files the patch changes and the import graph, the test files
//! whose outcome the patch can change, each with why, and a suite's share of them.
//!
//! A test file is selected when the patch changes it, when it imports a changed module directly
//! or through other modules of the root, or when a `conftest.py` in its folder or above does (a
//! changed `conftest.py` counts as importing itself). Where a test file or `conftest.py` reaches a
//! file whose imports cannot be read from its source (see [`super::graph::Untrusted`]), and the
//! patch changes any Python file, every test file of its folder is selected: the selection widens,
//! it never narrows silently. The chain recorded for each reason is the shortest (breadth first).

use std::collections::{BTreeMap, VecDeque};

use super::graph::{folder_of, is_test_file, ImportGraph};
use crate::state::selection::{
    ReasonKind, SelectedFile, SelectionReason, SelectionRecord, Widening,
};

/// For every file, the next file on a shortest import path to one of `targets` (`None`: no path;
/// a target points at itself).
fn paths_to(graph: &ImportGraph, targets: &[usize]) -> Vec<Option<usize>> {
    let importers = graph.importers();
    let mut next = vec![None; graph.files.len()];
    let mut queue = VecDeque::new();
    for &t in targets {
        if next[t].is_none() {
            next[t] = Some(t);
            queue.push_back(t);
        }
    }
    while let Some(i) = queue.pop_front() {
        for &j in &importers[i] {
            if next[j].is_none() {
                next[j] = Some(i);
                queue.push_back(j);
            }
        }
    }
    next
}

/// The chain of paths from `start` along `next` to its target.
fn chain(graph: &ImportGraph, next: &[Option<usize>], start: usize) -> Vec<String> {
    let mut out = vec![graph.files[start].clone()];
    let mut at = start;
    while let Some(n) = next[at] {
        if n == at {
            break;
        }
        out.push(graph.files[n].clone());
        at = n;
    }
    out
}

/// Whether `path` is `folder` or below it (`""` is the root).
pub(crate) fn is_under(path: &str, folder: &str) -> bool {
    folder.is_empty()
        || path == folder
        || path
            .strip_prefix(folder)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The affected selection of `changed` (paths relative to the root) over `graph`.
pub(crate) fn select(graph: &ImportGraph, changed: &[String]) -> SelectionRecord {
    let changed_py: Vec<usize> = changed.iter().filter_map(|c| graph.index_of(c)).collect();
    let to_changed = paths_to(graph, &changed_py);
    let untrusted: Vec<usize> = (0..graph.files.len())
        .filter(|&i| !graph.untrusted[i].is_empty())
        .collect();
    let to_untrusted = if changed_py.is_empty() {
        vec![None; graph.files.len()]
    } else {
        paths_to(graph, &untrusted)
    };
    let tests: Vec<usize> = (0..graph.files.len())
        .filter(|&i| is_test_file(&graph.files[i]))
        .collect();
    let mut reasons: BTreeMap<usize, Vec<SelectionReason>> = BTreeMap::new();
    let mut widened = Vec::new();
    let mut widen =
        |start: usize, reasons: &mut BTreeMap<usize, Vec<SelectionReason>>, folder: &str| {
            let via = chain(graph, &to_untrusted, start);
            let last = graph
                .index_of(via.last().expect("a chain has its start"))
                .expect("chains name files of the graph");
            let site = &graph.untrusted[last][0];
            widened.push(Widening {
                file: graph.files[last].clone(),
                line: site.line,
                why: site.why.clone(),
                test: graph.files[start].clone(),
                folder: folder.to_string(),
            });
            for &t in &tests {
                if is_under(&graph.files[t], folder) {
                    reasons.entry(t).or_default().push(SelectionReason {
                        kind: ReasonKind::Widened,
                        chain: if via.len() > 1 {
                            via.clone()
                        } else {
                            Vec::new()
                        },
                        site: Some(format!("{}:{}: {}", graph.files[last], site.line, site.why)),
                    });
                }
            }
        };
    for (i, file) in graph.files.iter().enumerate() {
        let name = file.rsplit('/').next().unwrap_or(file);
        if name != "conftest.py" {
            continue;
        }
        let folder = folder_of(file);
        if to_changed[i].is_some() {
            let c = chain(graph, &to_changed, i);
            for &t in &tests {
                if is_under(&graph.files[t], folder) {
                    reasons.entry(t).or_default().push(SelectionReason {
                        kind: ReasonKind::Conftest,
                        chain: c.clone(),
                        site: None,
                    });
                }
            }
        }
        if to_untrusted[i].is_some() {
            widen(i, &mut reasons, folder);
        }
    }
    for &t in &tests {
        if changed_py.contains(&t) {
            reasons.entry(t).or_default().push(SelectionReason {
                kind: ReasonKind::Changed,
                chain: Vec::new(),
                site: None,
            });
        } else if to_changed[t].is_some() {
            reasons.entry(t).or_default().push(SelectionReason {
                kind: ReasonKind::Imports,
                chain: chain(graph, &to_changed, t),
                site: None,
            });
        }
        if to_untrusted[t].is_some() {
            widen(t, &mut reasons, folder_of(&graph.files[t]));
        }
    }
    let files = reasons
        .into_iter()
        .map(|(i, mut r)| {
            r.sort_by_key(|r| (r.chain.len(), r.kind));
            r.dedup();
            SelectedFile {
                path: graph.files[i].clone(),
                reasons: r,
            }
        })
        .collect();
    widened.sort_by(|a, b| (&a.file, a.line, &a.test).cmp(&(&b.file, b.line, &b.test)));
    widened.dedup();
    SelectionRecord {
        changed: changed.to_vec(),
        python_files: graph.files.len() as u64,
        test_files: tests.len() as u64,
        graph_ms: 0,
        files,
        widened,
        unreadable: graph.unreadable.clone(),
        beyond_baseline: Vec::new(),
    }
}

/// Adds the test files under the plan's `always` paths, with that reason.
pub(crate) fn add_always(record: &mut SelectionRecord, graph: &ImportGraph, always: &[String]) {
    for entry in always {
        let entry = entry.trim_end_matches('/');
        for file in graph
            .files
            .iter()
            .filter(|f| is_test_file(f) && is_under(f, entry))
        {
            let reason = SelectionReason {
                kind: ReasonKind::Always,
                chain: Vec::new(),
                site: Some(entry.to_string()),
            };
            match record.files.iter_mut().find(|s| &s.path == file) {
                Some(s) => {
                    if !s.reasons.contains(&reason) {
                        s.reasons.push(reason)
                    }
                }
                None => record.files.push(SelectedFile {
                    path: file.clone(),
                    reasons: vec![reason],
                }),
            }
        }
    }
    record.files.sort_by(|a, b| a.path.cmp(&b.path));
}

/// Options of pytest that take a value in the next argument, which is then not a path.
const TAKES_VALUE: &[&str] = &[
    "-k",
    "-m",
    "-p",
    "-o",
    "-c",
    "-n",
    "-W",
    "--rootdir",
    "--deselect",
    "--ignore",
    "--ignore-glob",
    "--confcutdir",
    "--basetemp",
    "--maxfail",
    "--tb",
    "-r",
];

/// A suite's arguments, split.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct SuiteArgs {
    /// Options and their values, and anything that names no file of the root, as written.
    pub(crate) options: Vec<String>,
    /// Files and folders under the root (`""`: the root itself).
    pub(crate) paths: Vec<String>,
    /// Node ids (`tests/test_a.py::test_x`) with the file each names.
    pub(crate) nodes: Vec<(String, String)>,
}

impl SuiteArgs {
    /// The files and folders the suite is limited to; none means the whole root.
    pub(crate) fn scope(&self) -> Vec<String> {
        let mut scope = self.paths.clone();
        scope.extend(self.nodes.iter().map(|(_, f)| f.clone()));
        scope
    }
}

/// A suite's arguments split into options, paths and node ids.
pub(crate) fn split_args(args: &[String], root: &std::path::Path) -> SuiteArgs {
    let mut out = SuiteArgs::default();
    let mut value_next = false;
    for a in args {
        if value_next {
            value_next = false;
            out.options.push(a.clone());
            continue;
        }
        if a.starts_with('-') {
            value_next = TAKES_VALUE.contains(&a.as_str());
            out.options.push(a.clone());
            continue;
        }
        let (file, node) = match a.split_once("::") {
            Some((f, _)) => (f, true),
            None => (a.as_str(), false),
        };
        let clean = file.trim_start_matches("./").trim_end_matches('/');
        if !root.join(clean).exists() {
            out.options.push(a.clone());
        } else if node {
            out.nodes.push((a.clone(), clean.to_string()));
        } else {
            out.paths.push(if clean == "." {
                String::new()
            } else {
                clean.to_string()
            });
        }
    }
    out
}

/// How a suite runs under a selection: the arguments pytest gets and the test files it runs. A
/// node id stays as written when its file is selected (and is dropped when not); a file under a
/// path argument is passed by name.
pub(crate) fn suite_run(
    record: &SelectionRecord,
    args: &SuiteArgs,
    always: &[String],
) -> (Vec<String>, Vec<String>) {
    let scope = args.scope();
    let mut files: Vec<String> = record
        .files
        .iter()
        .filter(|f| {
            scope.is_empty()
                || scope.iter().any(|p| is_under(&f.path, p))
                || always.iter().any(|a| is_under(&f.path, a))
        })
        .map(|f| f.path.clone())
        .collect();
    files.sort();
    let mut argv = args.options.clone();
    let under_paths = |f: &str| args.paths.iter().any(|p| is_under(f, p));
    for (node, file) in &args.nodes {
        if files.contains(file) && !under_paths(file) {
            argv.push(node.clone());
        }
    }
    let by_node: Vec<&String> = args.nodes.iter().map(|(_, f)| f).collect();
    argv.extend(
        files
            .iter()
            .filter(|f| !by_node.contains(f) || under_paths(f))
            .cloned(),
    );
    (argv, files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::affected::graph::graph_of;

    fn selected(r: &SelectionRecord) -> Vec<&str> {
        r.files.iter().map(|f| f.path.as_str()).collect()
    }

    fn project() -> Vec<(&'static str, &'static str)> {
        vec![
            ("app/__init__.py", ""),
            ("app/core/__init__.py", "from .manager import get\n"),
            ("app/core/manager.py", "def get(): pass\n"),
            ("app/other.py", "X = 1\n"),
            ("app/uses.py", "from app.core import get\n"),
            ("tests/unit/test_core.py", "from app.core import get\n"),
            ("tests/unit/test_uses.py", "import app.uses\n"),
            ("tests/unit/test_other.py", "from app import other\n"),
            ("tests/api/conftest.py", "from app.uses import *\n"),
            ("tests/api/test_a.py", "def test_a(): pass\n"),
            ("tests/api/deep/test_b.py", "def test_b(): pass\n"),
            ("tests/misc/test_m.py", "def test_m(): pass\n"),
        ]
    }

    #[test]
    fn reexports_chains_and_conftests() {
        let g = graph_of(&project());
        let r = select(&g, &["app/core/manager.py".into()]);
        // `app/other.py` is imported through `app/__init__.py`, which the change does not reach.
        assert_eq!(
            selected(&r),
            [
                "tests/api/deep/test_b.py",
                "tests/api/test_a.py",
                "tests/unit/test_core.py",
                "tests/unit/test_uses.py"
            ]
        );
        let core = &r.files[2].reasons[0];
        assert_eq!(core.kind, ReasonKind::Imports);
        assert_eq!(
            core.chain,
            [
                "tests/unit/test_core.py",
                "app/core/__init__.py",
                "app/core/manager.py"
            ]
        );
        assert_eq!(r.files[0].reasons[0].kind, ReasonKind::Conftest);
        assert_eq!(r.files[0].reasons[0].chain[0], "tests/api/conftest.py");
        assert!(r.widened.is_empty());
        assert_eq!(r.test_files, 6);
    }

    #[test]
    fn a_changed_test_and_a_changed_conftest_select_themselves() {
        let g = graph_of(&project());
        let r = select(
            &g,
            &[
                "tests/misc/test_m.py".into(),
                "tests/api/conftest.py".into(),
                "docs/x.md".into(),
            ],
        );
        assert_eq!(
            selected(&r),
            [
                "tests/api/deep/test_b.py",
                "tests/api/test_a.py",
                "tests/misc/test_m.py"
            ]
        );
        assert_eq!(r.files[2].reasons[0].kind, ReasonKind::Changed);
    }

    #[test]
    fn a_dynamic_import_widens_to_the_folder_of_the_test_that_reaches_it() {
        let mut files = project();
        files.push((
            "app/plugins.py",
            "import importlib\ndef load(n):\n    return importlib.import_module(n)\n",
        ));
        files.push((
            "tests/misc/test_plugins.py",
            "from app.plugins import load\n",
        ));
        let g = graph_of(&files);
        let r = select(&g, &["app/other.py".into()]);
        assert_eq!(
            selected(&r),
            [
                "tests/misc/test_m.py",
                "tests/misc/test_plugins.py",
                "tests/unit/test_other.py"
            ]
        );
        assert_eq!(r.widened.len(), 1);
        assert_eq!(r.widened[0].file, "app/plugins.py");
        assert_eq!(r.widened[0].line, 3);
        assert_eq!(r.widened[0].folder, "tests/misc");
        assert_eq!(r.files[0].reasons[0].kind, ReasonKind::Widened);
        // Nothing in Python changes: nothing can be reached, so nothing widens.
        let none = select(&g, &["docs/x.md".into()]);
        assert!(none.files.is_empty() && none.widened.is_empty());
    }

    #[test]
    fn always_and_what_a_suite_runs() {
        let g = graph_of(&project());
        let mut r = select(&g, &["app/other.py".into()]);
        add_always(&mut r, &g, &["tests/misc/".into()]);
        assert_eq!(
            selected(&r),
            ["tests/misc/test_m.py", "tests/unit/test_other.py"]
        );
        let args = |paths: &[&str], nodes: &[(&str, &str)]| SuiteArgs {
            options: vec!["-q".into()],
            paths: paths.iter().map(|p| p.to_string()).collect(),
            nodes: nodes
                .iter()
                .map(|(n, f)| (n.to_string(), f.to_string()))
                .collect(),
        };
        let (argv, files) = suite_run(&r, &args(&["tests/unit"], &[]), &[]);
        assert_eq!(argv, ["-q", "tests/unit/test_other.py"]);
        assert_eq!(files, ["tests/unit/test_other.py"]);
        assert_eq!(suite_run(&r, &args(&[], &[]), &[]).1.len(), 2);
        // `always` reaches beyond the suite's paths.
        let (_, files) = suite_run(&r, &args(&["tests/unit"], &[]), &["tests/misc".into()]);
        assert_eq!(files.len(), 2);
        // A node id runs as written when its file is selected, and not at all when it is not.
        let nodes = args(
            &[],
            &[
                (
                    "tests/unit/test_other.py::test_x",
                    "tests/unit/test_other.py",
                ),
                ("tests/unit/test_core.py::test_y", "tests/unit/test_core.py"),
            ],
        );
        assert_eq!(
            suite_run(&r, &nodes, &[]).0,
            ["-q", "tests/unit/test_other.py::test_x"]
        );
        assert!(
            is_under("tests/unit/x.py", "tests/unit")
                && !is_under("tests/unitx/x.py", "tests/unit")
        );
    }
}
