//! Symbol renames: every reference that resolves to one qualified name becomes a reference to
//! another, spelled the way the file already reaches things.
//!
//! A reference through a `from` import (`from collections import Mapping`, then `Mapping`) keeps
//! its spelling and the import is rewritten (`from collections.abc import Mapping`), in place; when
//! the statement imports other names too, the moved name gets a statement of its own right after it.
//! A reference through a module (`collections.Mapping`, `np.float`) is rewritten: to the name the
//! file already binds to the target if there is one, else through the same module binding when the
//! target lies under it (`collections.abc.Mapping`, with `import collections.abc` added), else as
//! the target's full name with its module imported. A builtin target (`builtins.float`) is spelled
//! as the bare name, or as `builtins.float` where the file binds `float` itself. A reference that
//! does not resolve to the old name (a local variable or a parameter of that name) is left alone.
//!
//! A rename changes references, not definitions: the target must exist, and the module that defines
//! the old name is left as it is.

use std::collections::BTreeMap;
use std::ops::Range;

use tree_sitter::Node;

use super::names::{indentation_at, is_reference, line_ending};
use super::Refactored;
use crate::edit::apply::Replacement;
use crate::edit::error::EditError;
use crate::edit::imports::spec::ImportSpec;
use crate::edit::python;
use crate::edit::symbols::{FileSymbols, ModuleIndex};
use crate::tree::paths::RelPath;

const BUILTINS: &str = "builtins.";

/// One rename: references to `from` become references to `to` (both qualified names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rename {
    pub(crate) from: String,
    pub(crate) to: String,
}

impl Rename {
    /// The last part of the old name: every file with a reference to it contains this word.
    pub(crate) fn old_name(&self) -> &str {
        last(&self.from)
    }

    fn to_name(&self) -> &str {
        last(&self.to)
    }

    /// The module of the target (`collections.abc` for `collections.abc.Mapping`).
    fn to_module(&self) -> &str {
        self.to.rsplit_once('.').map_or("", |(m, _)| m)
    }

    fn is_builtin(&self) -> bool {
        self.to.starts_with(BUILTINS)
    }
}

fn last(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// One entry of a `from` import that a rename moves to another module.
struct Moved {
    /// Index of the entry among the statement's names.
    entry: usize,
    module: String,
    name: String,
    alias: Option<String>,
}

/// The replacements that carry out `renames` (each with the index of its edit) in `text`, the
/// content of the Python file at `rel`, and the imports the result needs.
pub(crate) fn rename_replacements(
    text: &str,
    rel: &RelPath,
    renames: &[(usize, &[Rename])],
    modules: &ModuleIndex,
) -> Result<Refactored, EditError> {
    let mut out = Refactored::default();
    let Some((tree, offset)) = python::parse(text) else {
        return Ok(out);
    };
    let src = &text[offset..];
    let root = tree.root_node();
    let symbols = FileSymbols::build(root, src, rel);
    let own_module = module_of(rel);
    let file = File {
        text,
        src,
        offset,
        rel,
        symbols: &symbols,
        modules,
    };
    // Entries of `from` imports to move, by statement start.
    let mut moved: BTreeMap<usize, (Node, Vec<Moved>, usize)> = BTreeMap::new();
    for (edit, list) in renames {
        for rename in list.iter() {
            // The module that defines the old name keeps its definition and its own references.
            if rename.from.rsplit_once('.').map(|(m, _)| m) == Some(own_module.as_str()) {
                continue;
            }
            // A file without the old name's last part holds no reference to it.
            if memchr::memmem::find(text.as_bytes(), rename.old_name().as_bytes()).is_none() {
                continue;
            }
            let from_imports = from_imports_of(root, &file, &rename.from);
            // Only these can be references: attribute chains ending in the old name, and the
            // names that imports of it bind (resolving every name of a file would cost more
            // than everything else together).
            let mut bare: Vec<&str> = vec![rename.old_name()];
            bare.extend(from_imports.iter().map(|(_, _, local)| local.as_str()));
            let candidates = Candidates {
                last: rename.old_name(),
                bare: &bare,
            };
            let mut refs = Vec::new();
            collect_references(root, &file, &rename.from, &candidates, &mut refs);
            let mut renamed_bare: Vec<(String, String)> = Vec::new();
            // `from` imports that bind the old name: each is moved to the target's module.
            for (stmt, entry, local) in from_imports.iter().map(|(s, e, l)| (*s, *e, l.clone())) {
                let (module, name, alias) = if rename.is_builtin() {
                    // A builtin needs no import: the entry goes, and references use the bare name.
                    let bare = rename.to_name().to_string();
                    if local != bare {
                        file.refuse_taken(&bare, stmt, rename, *edit)?;
                        renamed_bare.push((local.clone(), bare));
                    }
                    (String::new(), String::new(), None)
                } else {
                    let to_name = rename.to_name().to_string();
                    // The local name stays, so references through it need no change.
                    let alias = (local != to_name).then(|| local.clone());
                    (rename.to_module().to_string(), to_name, alias)
                };
                moved
                    .entry(stmt.start_byte())
                    .or_insert_with(|| (stmt, Vec::new(), *edit))
                    .1
                    .push(Moved {
                        entry,
                        module,
                        name,
                        alias,
                    });
            }
            for r in refs {
                let spelled = match r.kind() {
                    "identifier" => {
                        let name = file.node_text(r);
                        match renamed_bare.iter().find(|(from, _)| from == name) {
                            Some((_, bare)) => bare.clone(),
                            // Spelled through a `from` import that is rewritten instead.
                            None => continue,
                        }
                    }
                    _ => {
                        let mut wanted = Vec::new();
                        let spelled = file.spell(r, rename, *edit, &mut wanted)?;
                        out.imports.extend(
                            wanted
                                .iter()
                                .filter_map(|text| ImportSpec::parse(text).ok())
                                .map(|spec| (*edit, spec)),
                        );
                        spelled
                    }
                };
                if spelled != file.node_text(r) {
                    out.replacements.push(Replacement {
                        range: file.range(r),
                        text: spelled,
                        edit: *edit,
                    });
                }
            }
        }
    }
    for (stmt, mut entries, edit) in moved.into_values() {
        // In the order the statement names them, whichever rename moved them.
        entries.sort_by_key(|m| m.entry);
        out.replacements
            .push(rewrite_from_import(&file, stmt, &entries, edit));
    }
    let mut seen = std::collections::HashSet::new();
    out.imports
        .retain(|(edit, spec)| seen.insert((*edit, spec.to_string())));
    out.tree = Some(tree);
    Ok(out)
}

/// What the rename functions need to know about the file.
struct File<'a> {
    /// The whole content; `src` is the same without a byte-order mark, which tree offsets refer to.
    text: &'a str,
    src: &'a str,
    offset: usize,
    rel: &'a RelPath,
    symbols: &'a FileSymbols,
    modules: &'a ModuleIndex,
}

impl File<'_> {
    fn node_text(&self, n: Node) -> &str {
        &self.src[n.byte_range()]
    }

    fn range(&self, n: Node) -> Range<usize> {
        n.start_byte() + self.offset..n.end_byte() + self.offset
    }

    fn resolves_to(&self, n: Node, symbol: &str) -> bool {
        let text = |n: Node| &self.src[n.byte_range()];
        self.symbols
            .resolve_in(n, &text, self.modules)
            .is_some_and(|q| self.modules.same_symbol(&q, symbol))
    }

    /// Refuses the file when the rename needs `name` and the file binds it to something else.
    fn refuse_taken(
        &self,
        name: &str,
        at: Node,
        rename: &Rename,
        edit: usize,
    ) -> Result<(), EditError> {
        if self.symbols.binds_anywhere(name) {
            return Err(EditError::NameTaken {
                path: self.rel.clone(),
                line: at.start_position().row as u64 + 1,
                edit: edit_marker(edit),
                name: name.to_string(),
                target: rename.to.clone(),
            });
        }
        Ok(())
    }

    /// How the file should spell `rename.to` where the attribute chain `r` spelled the old name;
    /// imports the spelling needs are added to `imports`.
    fn spell(
        &self,
        r: Node,
        rename: &Rename,
        edit: usize,
        imports: &mut Vec<String>,
    ) -> Result<String, EditError> {
        if rename.is_builtin() {
            let bare = rename.to_name();
            if !self.symbols.binds_anywhere(bare) {
                return Ok(bare.to_string());
            }
            self.refuse_taken("builtins", r, rename, edit)?;
            imports.push("import builtins".into());
            return Ok(rename.to.clone());
        }
        if let Some(name) = self.symbols.module_name_for(&rename.to) {
            return Ok(name);
        }
        let to_module = rename.to_module();
        // The leftmost name of the chain, and the module it stands for.
        let mut base = r;
        while base.kind() == "attribute" {
            match base.child_by_field_name("object") {
                Some(o) => base = o,
                None => break,
            }
        }
        let text = |n: Node| &self.src[n.byte_range()];
        let base_module = (base.kind() == "identifier")
            .then(|| self.symbols.resolve(base, &text))
            .flatten();
        if let Some(module) = base_module {
            let under = to_module == module || to_module.starts_with(&format!("{module}."));
            if under {
                if to_module != module {
                    imports.push(format!("import {to_module}"));
                }
                let rest = &rename.to[module.len()..];
                return Ok(format!("{}{rest}", self.node_text(base)));
            }
        }
        // The target's full name, with its module imported, when its first part is free.
        let first = to_module.split('.').next().unwrap_or(to_module);
        let first_is_free = match self.symbols.module_binding(first) {
            None => !self.symbols.binds_anywhere(first),
            Some(bound) => bound.as_deref() == Some(first),
        };
        if first_is_free && !to_module.is_empty() {
            imports.push(format!("import {to_module}"));
            return Ok(rename.to.clone());
        }
        let name = rename.to_name();
        self.refuse_taken(name, r, rename, edit)?;
        imports.push(format!("from {to_module} import {name}"));
        Ok(name.to_string())
    }
}

/// The edit index as the error carries it until `apply` puts the edit's name in.
fn edit_marker(edit: usize) -> String {
    format!("#{edit}")
}

/// What a reference to the old name can look like in a file.
struct Candidates<'a> {
    /// The old name's last part, which an attribute chain that refers to it ends with.
    last: &'a str,
    /// The names that can refer to it on their own.
    bare: &'a [&'a str],
}

impl Candidates<'_> {
    fn admits(&self, node: Node, file: &File) -> bool {
        match node.kind() {
            "identifier" => self.bare.contains(&file.node_text(node)),
            "attribute" => node
                .child_by_field_name("attribute")
                .is_some_and(|a| file.node_text(a) == self.last),
            _ => false,
        }
    }
}

/// References (identifiers and attribute chains, outside imports) that resolve to `symbol`.
fn collect_references<'t>(
    root: Node<'t>,
    file: &File,
    symbol: &str,
    candidates: &Candidates,
    out: &mut Vec<Node<'t>>,
) {
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if matches!(
            node.kind(),
            "import_statement"
                | "import_from_statement"
                | "future_import_statement"
                | "comment"
                | "string"
        ) {
            continue;
        }
        if candidates.admits(node, file) && is_reference(node) && file.resolves_to(node, symbol) {
            out.push(node);
            continue;
        }
        let mut cursor = node.walk();
        stack.extend(node.children(&mut cursor));
    }
    out.sort_by_key(|n| n.start_byte());
}

/// Entries of `from` imports anywhere in the file that bind a name resolving to `symbol`:
/// (statement, entry index, local name).
fn from_imports_of<'t>(
    root: Node<'t>,
    file: &File,
    symbol: &str,
) -> Vec<(Node<'t>, usize, String)> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        if n.kind() == "import_from_statement" {
            for (i, entry) in entries(n).into_iter().enumerate() {
                let (name, alias) = entry_parts(entry);
                let Some(name) = name else { continue };
                let local = alias.unwrap_or(name);
                // What the local name means where the statement binds it: an import that a
                // fallback in a `try` overrides does not count as a reference to the old name.
                let Some(local_ident) = last_identifier(local) else {
                    continue;
                };
                if file.resolves_to(local_ident, symbol) {
                    out.push((n, i, file.node_text(local).to_string()));
                }
            }
            continue;
        }
        let mut cursor = n.walk();
        stack.extend(n.children(&mut cursor));
    }
    out.sort_by_key(|(n, i, _)| (n.start_byte(), *i));
    out
}

/// The last identifier of a name (`c` of `a.b.c`), or the identifier itself.
fn last_identifier(node: Node) -> Option<Node> {
    if node.kind() == "identifier" {
        return Some(node);
    }
    let mut cursor = node.walk();
    let last = node
        .named_children(&mut cursor)
        .filter(|n| n.kind() == "identifier")
        .last();
    last
}

/// The imported names of a `from` statement, in order.
fn entries(stmt: Node) -> Vec<Node> {
    let mut cursor = stmt.walk();
    stmt.children_by_field_name("name", &mut cursor).collect()
}

/// The name node and the alias node of an entry (`Mapping`, or `Mapping as M`).
fn entry_parts(entry: Node) -> (Option<Node>, Option<Node>) {
    match entry.kind() {
        "aliased_import" => (
            entry.child_by_field_name("name"),
            entry.child_by_field_name("alias"),
        ),
        _ => (Some(entry), None),
    }
}

/// The replacement of a `from` statement some of whose entries move to other modules.
fn rewrite_from_import(file: &File, stmt: Node, moved: &[Moved], edit: usize) -> Replacement {
    let all = entries(stmt);
    let is_moved = |i: usize| moved.iter().any(|m| m.entry == i);
    let kept: Vec<usize> = (0..all.len()).filter(|i| !is_moved(*i)).collect();
    let start = stmt.start_byte();
    let end = stmt.end_byte();
    let stmt_text = &file.src[start..end];
    // Groups of moved entries by target module, in the order they are written; builtins need none.
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for m in moved.iter().filter(|m| !m.module.is_empty()) {
        let entry = match &m.alias {
            Some(a) => format!("{} as {a}", m.name),
            None => m.name.clone(),
        };
        match groups.iter_mut().find(|(module, _)| *module == m.module) {
            Some((_, names)) => {
                if !names.contains(&entry) {
                    names.push(entry)
                }
            }
            None => groups.push((m.module.clone(), vec![entry])),
        }
    }
    let newline = line_ending(file.text);
    let indent = indentation_at(file.src, start).to_string();
    let statement = |(module, names): &(String, Vec<String>)| {
        format!("from {module} import {}", names.join(", "))
    };
    let new_text = if kept.is_empty() {
        let lines: Vec<String> = groups.iter().map(statement).collect();
        if lines.is_empty() {
            // Every entry was a builtin: the statement goes; `pass` keeps a block that held only it.
            if is_alone_in_block(stmt) {
                "pass".to_string()
            } else {
                String::new()
            }
        } else {
            lines.join(&format!("{newline}{indent}"))
        }
    } else {
        let mut kept_text = String::new();
        let mut at = 0;
        for (from, to) in removal_ranges(&all, &kept) {
            kept_text.push_str(&stmt_text[at..from - start]);
            at = to - start;
        }
        kept_text.push_str(&stmt_text[at..]);
        let mut text = kept_text;
        for g in &groups {
            text.push_str(newline);
            text.push_str(&indent);
            text.push_str(&statement(g));
        }
        text
    };
    let mut range = file.range(stmt);
    if new_text.is_empty() {
        range = whole_lines(file.text, range);
    }
    Replacement {
        range,
        text: new_text,
        edit,
    }
}

/// Byte ranges (tree offsets) that remove every entry not in `kept` together with its separator.
fn removal_ranges(all: &[Node], kept: &[usize]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < all.len() {
        if kept.contains(&i) {
            i += 1;
            continue;
        }
        let run_start = i;
        while i < all.len() && !kept.contains(&i) {
            i += 1;
        }
        // A run followed by a kept entry takes the separators after it; a run at the end takes
        // the separator before it.
        if i < all.len() {
            out.push((all[run_start].start_byte(), all[i].start_byte()));
        } else {
            out.push((all[run_start - 1].end_byte(), all[i - 1].end_byte()));
        }
    }
    out
}

/// Whether `stmt` is the only statement of its block (a block that must not become empty).
fn is_alone_in_block(stmt: Node) -> bool {
    let Some(parent) = stmt.parent() else {
        return false;
    };
    if parent.kind() != "block" {
        return false;
    }
    let mut cursor = parent.walk();
    let statements = parent
        .named_children(&mut cursor)
        .filter(|n| n.kind() != "comment")
        .count();
    statements == 1
}

/// `range` widened to the whole lines it covers when nothing else is on them.
fn whole_lines(text: &str, range: Range<usize>) -> Range<usize> {
    let line_start = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[range.end..]
        .find('\n')
        .map_or(text.len(), |i| range.end + i + 1);
    let before = &text[line_start..range.start];
    let after = &text[range.end..line_end];
    if before.trim().is_empty() && after.trim().is_empty() {
        line_start..line_end
    } else {
        range
    }
}

/// `a/b/c.py` → `a.b.c`; `a/b/__init__.py` → `a.b`.
fn module_of(rel: &RelPath) -> String {
    let path = rel.as_str();
    let stem = path
        .strip_suffix(".py")
        .or_else(|| path.strip_suffix(".pyi"))
        .unwrap_or(path);
    let stem = stem.strip_suffix("/__init__").unwrap_or(stem);
    stem.replace('/', ".")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `src` after the renames, and the imports the result needs.
    fn renamed(src: &str, renames: &[(&str, &str)]) -> (String, Vec<String>) {
        let renames: Vec<Rename> = renames
            .iter()
            .map(|(f, t)| Rename {
                from: f.to_string(),
                to: t.to_string(),
            })
            .collect();
        let rel = RelPath::parse("pkg/mod.py").unwrap();
        let out = rename_replacements(
            src,
            &rel,
            &[(0, renames.as_slice())],
            &ModuleIndex::detached(),
        )
        .unwrap();
        let mut r = out.replacements;
        r.sort_by_key(|r| r.range.start);
        let mut text = String::new();
        let mut at = 0;
        for rep in &r {
            text.push_str(&src[at..rep.range.start]);
            text.push_str(&rep.text);
            at = rep.range.end;
        }
        text.push_str(&src[at..]);
        (
            text,
            out.imports.iter().map(|(_, s)| s.to_string()).collect(),
        )
    }

    const ABC: &[(&str, &str)] = &[
        ("collections.Mapping", "collections.abc.Mapping"),
        (
            "collections.MutableMapping",
            "collections.abc.MutableMapping",
        ),
    ];

    #[test]
    fn a_from_import_moves_and_its_references_stay() {
        let (text, imports) = renamed(
            "from collections import Mapping\n\nisinstance(x, Mapping)\n",
            ABC,
        );
        assert_eq!(
            text,
            "from collections.abc import Mapping\n\nisinstance(x, Mapping)\n"
        );
        assert!(imports.is_empty());
        let (text, _) = renamed(
            "from collections import OrderedDict, Mapping, defaultdict as dd\nMapping\n",
            ABC,
        );
        assert_eq!(
            text,
            "from collections import OrderedDict, defaultdict as dd\nfrom collections.abc import Mapping\nMapping\n"
        );
        let (text, _) = renamed(
            "def f():\n    from collections import (\n        MutableMapping as MM,\n        OrderedDict,\n        Mapping,\n    )\n    return MM, Mapping\n",
            ABC,
        );
        assert_eq!(
            text,
            "def f():\n    from collections import (\n        OrderedDict,\n    )\n    from collections.abc import MutableMapping as MM, Mapping\n    return MM, Mapping\n"
        );
    }

    #[test]
    fn module_references_are_spelled_through_the_files_own_bindings() {
        let (text, imports) = renamed(
            "import collections\n\nclass S(collections.MutableMapping):\n    pass\n",
            ABC,
        );
        assert_eq!(
            text,
            "import collections\n\nclass S(collections.abc.MutableMapping):\n    pass\n"
        );
        assert_eq!(imports, ["import collections.abc"]);
        let (text, imports) = renamed("import collections as c\nc.Mapping\n", ABC);
        assert_eq!(text, "import collections as c\nc.abc.Mapping\n");
        assert_eq!(imports, ["import collections.abc"]);
        // A name already bound to the target is used.
        let (text, imports) = renamed(
            "import collections\nfrom collections.abc import Mapping\ncollections.Mapping\n",
            ABC,
        );
        assert_eq!(
            text,
            "import collections\nfrom collections.abc import Mapping\nMapping\n"
        );
        assert!(imports.is_empty());
    }

    const NUMPY: &[(&str, &str)] = &[
        ("numpy.float", "builtins.float"),
        ("numpy.int", "builtins.int"),
    ];

    #[test]
    fn builtins_are_bare_names_and_shadowing_names_are_left_alone() {
        let src = "import numpy as np\n\ndef f(x):\n    return np.float(x) + np.float64(x)\n\ndef g(np, x):\n    return np.float(x)\n# np.float(x)\ns = 'np.int(1)'\n";
        let (text, imports) = renamed(src, NUMPY);
        assert_eq!(
            text,
            src.replacen("return np.float(x) +", "return float(x) +", 1)
        );
        assert!(imports.is_empty());
        let (text, _) = renamed(
            "from numpy import float as npf, int\nnpf(1) + int(2)\n",
            NUMPY,
        );
        assert_eq!(text, "float(1) + int(2)\n");
    }

    #[test]
    fn a_builtin_the_file_binds_itself_is_written_in_full() {
        let src = "import numpy\n\ndef float(x):\n    return numpy.float(x)\n";
        let (text, imports) = renamed(src, NUMPY);
        assert_eq!(text, src.replace("numpy.float(x)", "builtins.float(x)"));
        assert_eq!(imports, ["import builtins"]);
    }

    #[test]
    fn a_needed_name_bound_to_something_else_refuses_the_file() {
        let src = "from numpy import float as npf\n\ndef float(x):\n    return npf(x)\n";
        let rel = RelPath::parse("m.py").unwrap();
        let renames = [Rename {
            from: "numpy.float".into(),
            to: "builtins.float".into(),
        }];
        let err = rename_replacements(src, &rel, &[(0, &renames[..])], &ModuleIndex::detached())
            .unwrap_err();
        assert!(
            matches!(&err, EditError::NameTaken { line: 1, name, .. } if name == "float"),
            "{err:?}"
        );
    }
}
