//! The import graph of a root: every Python file under it, parsed once on the scan's threads, with
//! the files of the root each one imports and the places where its imports cannot be read from
//! the source.
//!
//! An import is an edge to every module it executes: `import a.b.c` runs `a/__init__.py`,
//! `a/b/__init__.py` and `a/b/c.py`; `from a.b import c` runs the first two and `a/b/c.py` when
//! `c` is a module. Imports inside functions, under `if TYPE_CHECKING:` or in a `try` count the same
//! (a test that can reach a module is treated as reaching it). `importlib.import_module("a.b")`
//! and `__import__("a.b")` with a literal name are imports too, and so is each module a
//! `pytest_plugins` list names.
//!
//! Module names: a file is named by its dotted path from the root and from every folder above it
//! that is not a package (has no `__init__.py`), since pytest's rootdir insertion and a
//! `pythonpath` setting put such folders on `sys.path`. A name two files share resolves to both,
//! which can only select more.
//!
//! What cannot be followed is recorded as [`Untrusted`] with its line: a module named at run time
//! (`import_module(name)`, `__import__(name)`, a computed `pytest_plugins`), `exec`/`eval` of
//! computed text, plugin entry points
//! (`entry_points`, `iter_entry_points`), a module loaded from a file path (`spec_from_file_location`,
//! `SourceFileLoader`, `runpy`), and reading Python source (`open`, `read_text`, `glob` and the like in
//! a file that names `.py` files, or `inspect.getsource`).

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use tree_sitter::Node;

use crate::tree::scan;

/// Why a file's imports cannot be read from its source, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Untrusted {
    pub(crate) line: u32,
    pub(crate) why: String,
}

/// What one file imports, as read from its syntax tree.
#[derive(Debug, Clone, Default)]
pub(crate) struct FileImports {
    /// Absolute module names with the names imported from them (`from m import a, b`); a
    /// relative import is stored already resolved to the paths it may name.
    pub(crate) absolute: Vec<(String, Vec<String>)>,
    /// Files of the root named by relative imports, as paths relative to the root.
    pub(crate) relative: Vec<String>,
    pub(crate) untrusted: Vec<Untrusted>,
}

/// The import graph of one root.
#[derive(Debug, Default)]
pub(crate) struct ImportGraph {
    /// Every Python file, sorted.
    pub(crate) files: Vec<String>,
    /// For each file (by index into `files`), the files it imports directly.
    pub(crate) imports: Vec<BTreeSet<usize>>,
    /// For each file, what makes its imports untrustworthy (usually nothing).
    pub(crate) untrusted: Vec<Vec<Untrusted>>,
    /// Python files that could not be read or parsed: `path: why`.
    pub(crate) unreadable: Vec<String>,
    by_path: HashMap<String, usize>,
}

/// Folders never taken for the root's own code: virtual environments and installed packages.
const FOREIGN_DIRS: &[&str] = &[
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "site-packages",
    "__pycache__",
    "node_modules",
];

/// Whether `rel` is a Python file of the root's own code.
pub(crate) fn is_own_python(rel: &str) -> bool {
    rel.ends_with(".py") && !rel.split('/').any(|part| FOREIGN_DIRS.contains(&part))
}

impl ImportGraph {
    /// Walks `root` (honouring the scan's ignore rules), parses every Python file once in
    /// parallel and resolves its imports to files of the root.
    pub(crate) fn build(root: &Path) -> ImportGraph {
        let out = scan::scan(root, None, is_own_python, |rel, path| {
            Some(match std::fs::read(path) {
                Ok(bytes) => match scan::text_of(&bytes) {
                    Ok(text) => read_imports(text, rel.as_str()),
                    Err(why) => Err(why.to_string()),
                },
                Err(e) => Err(e.to_string()),
            })
        });
        let mut parsed = Vec::new();
        let mut unreadable: Vec<String> = out.errors;
        for (rel, r) in out.items {
            match r {
                Ok(imports) => parsed.push((rel.as_str().to_string(), imports)),
                Err(why) => unreadable.push(format!("{}: {why}", rel.as_str())),
            }
        }
        ImportGraph::from_parsed(parsed, unreadable)
    }

    /// The graph of files already read (sorted by path or not).
    pub(crate) fn from_parsed(
        mut parsed: Vec<(String, FileImports)>,
        unreadable: Vec<String>,
    ) -> ImportGraph {
        parsed.sort_by(|a, b| a.0.cmp(&b.0));
        let files: Vec<String> = parsed.iter().map(|(p, _)| p.clone()).collect();
        let by_path: HashMap<String, usize> = files
            .iter()
            .enumerate()
            .map(|(i, p)| (p.clone(), i))
            .collect();
        let packages: BTreeSet<String> = files
            .iter()
            .filter_map(|f| f.strip_suffix("/__init__.py").map(str::to_string))
            .collect();
        let mut modules: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, f) in files.iter().enumerate() {
            for name in module_names(f, &packages) {
                modules.entry(name).or_default().push(i);
            }
        }
        let mut imports = Vec::with_capacity(files.len());
        let mut untrusted = Vec::with_capacity(files.len());
        for (i, (_, file)) in parsed.into_iter().enumerate() {
            let mut to = BTreeSet::new();
            for (module, names) in &file.absolute {
                let parts: Vec<&str> = module.split('.').collect();
                for end in 1..=parts.len() {
                    if let Some(found) = modules.get(&parts[..end].join(".")) {
                        to.extend(found.iter().copied());
                    }
                }
                for name in names {
                    if let Some(found) = modules.get(&format!("{module}.{name}")) {
                        to.extend(found.iter().copied());
                    }
                }
            }
            for path in &file.relative {
                if let Some(&j) = by_path.get(path) {
                    to.insert(j);
                }
            }
            to.remove(&i);
            imports.push(to);
            untrusted.push(file.untrusted);
        }
        ImportGraph {
            files,
            imports,
            untrusted,
            unreadable,
            by_path,
        }
    }

    pub(crate) fn index_of(&self, path: &str) -> Option<usize> {
        self.by_path.get(path).copied()
    }

    /// For each file, the files that import it directly.
    pub(crate) fn importers(&self) -> Vec<Vec<usize>> {
        let mut rev = vec![Vec::new(); self.files.len()];
        for (i, to) in self.imports.iter().enumerate() {
            for &j in to {
                rev[j].push(i);
            }
        }
        rev
    }

    /// Every file `start` reaches through imports, itself included.
    pub(crate) fn reach(&self, start: impl IntoIterator<Item = usize>) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<usize> = start.into_iter().collect();
        while let Some(i) = stack.pop() {
            if seen.insert(i) {
                stack.extend(self.imports[i].iter().copied());
            }
        }
        seen
    }
}

/// The dotted names a file is importable as: from the root, and from every folder above it that is
/// not a package.
fn module_names(path: &str, packages: &BTreeSet<String>) -> Vec<String> {
    let stem = path.strip_suffix(".py").unwrap_or(path);
    let mut parts: Vec<&str> = stem.split('/').collect();
    if parts.last() == Some(&"__init__") {
        parts.pop();
    }
    if parts.is_empty() {
        return Vec::new();
    }
    let mut names = vec![parts.join(".")];
    for cut in 1..parts.len() {
        let folder = path.split('/').take(cut).collect::<Vec<_>>().join("/");
        if !packages.contains(&folder) {
            names.push(parts[cut..].join("."));
        }
    }
    names
}

/// Reads the imports of one file (`rel`, relative to the root) from its text.
pub(crate) fn read_imports(text: &str, rel: &str) -> Result<FileImports, String> {
    let Some((tree, offset)) = crate::edit::python::parse(text) else {
        return Err("tree-sitter could not parse it".into());
    };
    let src = &text[offset..];
    let mut reader = Reader {
        src,
        rel,
        out: FileImports::default(),
        names_py: src.contains(".py\"") || src.contains(".py'") || src.contains("*.py"),
    };
    reader.visit(tree.root_node());
    reader.out.untrusted.sort_by_key(|u| u.line);
    reader.out.untrusted.dedup();
    Ok(reader.out)
}

struct Reader<'s> {
    src: &'s str,
    rel: &'s str,
    out: FileImports,
    /// The file names `.py` files in a string, so reading files may read source.
    names_py: bool,
}

/// Calls that read files or list folders: with a `.py` name in the same file, reading source.
const READS_FILES: &[&str] = &[
    "open",
    "read_text",
    "read_bytes",
    "glob",
    "rglob",
    "iglob",
    "walk",
    "iterdir",
    "listdir",
    "scandir",
];

impl<'s> Reader<'s> {
    fn text(&self, n: Node) -> &'s str {
        &self.src[n.byte_range()]
    }

    fn untrusted(&mut self, n: Node, why: String) {
        self.out.untrusted.push(Untrusted {
            line: n.start_position().row as u32 + 1,
            why,
        });
    }

    fn visit(&mut self, n: Node) {
        match n.kind() {
            "import_statement" => self.import(n),
            "import_from_statement" => self.import_from(n),
            "call" => self.call(n),
            "assignment" => self.plugins(n),
            _ => {}
        }
        let mut cursor = n.walk();
        for child in n.named_children(&mut cursor) {
            self.visit(child);
        }
    }

    /// The dotted names an import statement `n` imports, without their `as` aliases.
    fn imported_names(&self, n: Node) -> Vec<String> {
        let mut cursor = n.walk();
        n.children_by_field_name("name", &mut cursor)
            .filter_map(|name| {
                if name.kind() == "aliased_import" {
                    name.child_by_field_name("name")
                } else {
                    Some(name)
                }
            })
            .map(|d| dotted_text(self.text(d)))
            .collect()
    }

    fn import(&mut self, n: Node) {
        for module in self.imported_names(n) {
            self.out.absolute.push((module, Vec::new()));
        }
    }

    fn import_from(&mut self, n: Node) {
        let Some(module) = n.child_by_field_name("module_name") else {
            return;
        };
        let names = self.imported_names(n);
        if module.kind() == "relative_import" {
            let text = dotted_text(self.text(module));
            let level = text.chars().take_while(|c| *c == '.').count();
            let rest = &text[level..];
            self.relative(level, rest, &names);
        } else {
            let module = dotted_text(self.text(module));
            self.out.absolute.push((module, names));
        }
    }

    /// `from {level dots}{rest} import {names}`: the files it may name, as paths.
    fn relative(&mut self, level: usize, rest: &str, names: &[String]) {
        let mut dir: Vec<&str> = self.rel.split('/').collect();
        dir.pop();
        for _ in 1..level {
            if dir.pop().is_none() {
                return;
            }
        }
        let mut base: Vec<String> = dir.iter().map(|s| s.to_string()).collect();
        // Every package on the way runs its `__init__.py`.
        let mut targets = Vec::new();
        for part in rest.split('.').filter(|p| !p.is_empty()) {
            base.push(part.to_string());
            targets.push(format!("{}/__init__.py", base.join("/")));
        }
        let here = base.join("/");
        let prefix = if here.is_empty() {
            String::new()
        } else {
            format!("{here}/")
        };
        if !rest.is_empty() {
            targets.push(format!("{here}.py"));
        } else {
            targets.push(format!("{prefix}__init__.py"));
        }
        for name in names {
            let path = name.replace('.', "/");
            targets.push(format!("{prefix}{path}.py"));
            targets.push(format!("{prefix}{path}/__init__.py"));
        }
        self.out.relative.extend(targets);
    }

    /// `pytest_plugins = ["a.b", ...]` (in a `conftest.py` or a test file) imports those modules
    /// when pytest loads the file; anything but a literal string or list of them is a module named
    /// at run time.
    fn plugins(&mut self, n: Node) {
        let (Some(left), Some(right)) = (
            n.child_by_field_name("left"),
            n.child_by_field_name("right"),
        ) else {
            return;
        };
        if self.text(left) != "pytest_plugins" {
            return;
        }
        let items: Vec<Node> = if matches!(right.kind(), "list" | "tuple") {
            let mut cursor = right.walk();
            right
                .named_children(&mut cursor)
                .filter(|c| c.kind() != "comment")
                .collect()
        } else {
            vec![right]
        };
        for item in items {
            match string_literal(self.text(item), item) {
                Some(module) => self.out.absolute.push((module, Vec::new())),
                None => self.untrusted(
                    item,
                    "`pytest_plugins` names a plugin module computed at run time".into(),
                ),
            }
        }
    }

    fn call(&mut self, n: Node) {
        let Some(function) = n.child_by_field_name("function") else {
            return;
        };
        let callee = self.text(function);
        let last = callee.rsplit('.').next().unwrap_or(callee).trim();
        let first_arg = n.child_by_field_name("arguments").and_then(|a| {
            let mut cursor = a.walk();
            let found = a
                .named_children(&mut cursor)
                .find(|c| c.kind() != "comment");
            found
        });
        let literal = first_arg.and_then(|a| string_literal(self.text(a), a));
        match last {
            "import_module" | "__import__" => match literal {
                Some(name) if !name.starts_with('.') => {
                    self.out.absolute.push((name, Vec::new()));
                }
                _ => self.untrusted(
                    n,
                    format!(
                        "`{last}` of a module named at run time: the module it imports is unknown"
                    ),
                ),
            },
            "exec" | "eval" if !callee.contains('.') => match literal {
                Some(code) if !code.contains("import") => {}
                _ => self.untrusted(n, format!("`{last}` of text that may import any module")),
            },
            "entry_points" | "iter_entry_points" | "load_entry_point" => self.untrusted(
                n,
                format!("`{last}`: plugin entry points load modules named in package metadata"),
            ),
            "spec_from_file_location" | "SourceFileLoader" | "run_path" | "run_module" => self
                .untrusted(
                    n,
                    format!("`{last}` loads a module from a path, not through an import"),
                ),
            "getsource" | "getsourcefile" | "getsourcelines" => self.untrusted(
                n,
                format!("`{last}` reads Python source, which the patch may change"),
            ),
            name if self.names_py && READS_FILES.contains(&name) => self.untrusted(
                n,
                format!("`{name}` in a file that names `.py` files: it may read Python source"),
            ),
            _ => {}
        }
    }
}

/// `a . b` as tree-sitter may keep it, without spaces.
fn dotted_text(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The value of a plain string literal (no interpolation, no concatenation), if `node` is one.
fn string_literal(text: &str, node: Node) -> Option<String> {
    if node.kind() != "string" {
        return None;
    }
    let mut cursor = node.walk();
    if node
        .named_children(&mut cursor)
        .any(|c| c.kind() == "interpolation")
    {
        return None;
    }
    let body = text.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let quote = ["\"\"\"", "'''", "\"", "'"]
        .into_iter()
        .find(|q| body.starts_with(q) && body.ends_with(q) && body.len() >= 2 * q.len())?;
    Some(body[quote.len()..body.len() - quote.len()].to_string())
}

/// The test files pytest collects by default: `test_*.py` and `*_test.py`.
pub(crate) fn is_test_file(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name.ends_with(".py")
        && (name.starts_with("test_") || name.ends_with("_test.py"))
        && name != "conftest.py"
}

/// Groups paths by folder, for messages.
pub(crate) fn folder_of(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// The graph's files as a map, for tests.
#[cfg(test)]
pub(crate) fn edges(graph: &ImportGraph) -> std::collections::BTreeMap<String, Vec<String>> {
    graph
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            (
                f.clone(),
                graph.imports[i]
                    .iter()
                    .map(|&j| graph.files[j].clone())
                    .collect(),
            )
        })
        .collect()
}

/// Reads a file's imports the way [`ImportGraph::build`] does, for tests that build graphs from
/// text.
#[cfg(test)]
pub(crate) fn graph_of(files: &[(&str, &str)]) -> ImportGraph {
    let parsed = files
        .iter()
        .map(|(rel, text)| (rel.to_string(), read_imports(text, rel).expect("parses")))
        .collect();
    ImportGraph::from_parsed(parsed, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_imports_reach_every_package_on_the_way() {
        let g = graph_of(&[
            ("app/__init__.py", ""),
            ("app/core/__init__.py", "from .manager import get\n"),
            ("app/core/manager.py", "def get(): pass\n"),
            ("app/core/other.py", ""),
            ("tests/test_a.py", "import app.core.manager as m\n"),
            ("tests/test_b.py", "from app.core import other, get\n"),
            ("tests/test_c.py", "def f():\n    from app import core\n"),
        ]);
        let e = edges(&g);
        assert_eq!(
            e["tests/test_a.py"],
            [
                "app/__init__.py",
                "app/core/__init__.py",
                "app/core/manager.py"
            ]
        );
        assert_eq!(
            e["tests/test_b.py"],
            [
                "app/__init__.py",
                "app/core/__init__.py",
                "app/core/other.py"
            ]
        );
        assert_eq!(
            e["tests/test_c.py"],
            ["app/__init__.py", "app/core/__init__.py"]
        );
        // The re-export in the package's `__init__` is an edge like any other.
        assert_eq!(e["app/core/__init__.py"], ["app/core/manager.py"]);
    }

    #[test]
    fn relative_imports_resolve_from_the_files_package() {
        let g = graph_of(&[
            ("pkg/__init__.py", "from . import a\n"),
            ("pkg/a.py", "from .sub.b import x\n"),
            ("pkg/sub/__init__.py", ""),
            ("pkg/sub/b.py", "from .. import c\nfrom ..d import y\n"),
            ("pkg/c.py", ""),
            ("pkg/d.py", ""),
        ]);
        let e = edges(&g);
        assert_eq!(e["pkg/__init__.py"], ["pkg/a.py"]);
        assert_eq!(e["pkg/a.py"], ["pkg/sub/__init__.py", "pkg/sub/b.py"]);
        assert_eq!(
            e["pkg/sub/b.py"],
            ["pkg/__init__.py", "pkg/c.py", "pkg/d.py"]
        );
    }

    #[test]
    fn folders_that_are_not_packages_are_on_the_path() {
        let g = graph_of(&[
            ("src/lib/__init__.py", ""),
            ("src/lib/core.py", ""),
            ("tests/helpers.py", ""),
            (
                "tests/test_x.py",
                "from lib.core import f\nimport helpers\n",
            ),
        ]);
        assert_eq!(
            edges(&g)["tests/test_x.py"],
            ["src/lib/__init__.py", "src/lib/core.py", "tests/helpers.py"]
        );
    }

    #[test]
    fn what_cannot_be_followed_is_named_with_its_line() {
        let text = "import importlib\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from app import m\n\ndef load(name):\n    importlib.import_module(\"app.fixed\")\n    return importlib.import_module(name)\n\nexec(code)\neval(\"1 + 1\")\n__import__(f\"app.{x}\")\n";
        let r = read_imports(text, "app/loader.py").unwrap();
        let lines: Vec<u32> = r.untrusted.iter().map(|u| u.line).collect();
        assert_eq!(lines, [8, 10, 12]);
        assert!(r.absolute.iter().any(|(m, _)| m == "app.fixed"));
        assert!(r.absolute.iter().any(|(m, n)| m == "app" && n == &["m"]));
        let plugins = read_imports(
            "from importlib.metadata import entry_points\nfor ep in entry_points(group='x'):\n    ep.load()\n",
            "p.py",
        )
        .unwrap();
        assert_eq!(plugins.untrusted.len(), 1);
        assert_eq!(plugins.untrusted[0].line, 2);
        let reads = read_imports(
            "from pathlib import Path\n\ndef test_no_print():\n    for f in Path('app').rglob('*.py'):\n        assert 'print(' not in f.read_text()\n",
            "tests/test_src.py",
        )
        .unwrap();
        assert_eq!(
            reads.untrusted.iter().map(|u| u.line).collect::<Vec<_>>(),
            [4, 5]
        );
        let plugins = read_imports(
            "pytest_plugins = ['app.fixtures', \"app.more\"]\n",
            "tests/conftest.py",
        )
        .unwrap();
        assert_eq!(plugins.absolute.len(), 2);
        assert_eq!(plugins.absolute[1].0, "app.more");
        let computed = read_imports("pytest_plugins = PLUGINS\n", "conftest.py").unwrap();
        assert_eq!(computed.untrusted.len(), 1);
        // Reading files without naming Python source is not reading source.
        let data =
            read_imports("def test_data():\n    open('data.json').read()\n", "t.py").unwrap();
        assert!(data.untrusted.is_empty());
    }
}
