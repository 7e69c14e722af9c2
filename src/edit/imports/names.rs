//! Which names a Python file binds and which it uses, from one parse, and whether an edit made
//! that worse: a name now used that nothing defines, or an import nothing uses any more.
//!
//! The analysis does not follow scopes: a name counts as bound if any scope binds it, and as used
//! if any scope mentions it. That errs in the safe direction for both questions asked of it (a
//! name is reported undefined only when no binding of it exists anywhere; an import is unused only
//! when its name appears nowhere), at the cost of missing a name used in one function and bound in
//! another. Positions the walk does not understand with certainty (match patterns, type
//! parameters, the inside of a syntax error) count both as binding and as using every name in
//! them, for the same reason.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use tree_sitter::Node;

use super::builtins::is_builtin;
use super::statements::{imports_in, ImportKind, ImportStatement};
use crate::edit::statements::{word_hits, Narrowing, Statements};
use crate::edit::LineIndex;

mod walk;

use crate::edit::{python, tree_cache};
use walk::{overlap, Walk};

/// The names a file binds and uses.
#[derive(Debug, Default)]
pub(crate) struct Names<'s> {
    /// Names referenced as identifiers outside syntax errors, each with the 1-based line of its
    /// first reference.
    referenced: HashMap<&'s str, usize>,
    bound: HashSet<&'s str>,
    /// Names that appear in string annotations (`x: "Mapping[str, int]"`, `List["Mapping"]`,
    /// `cast("Mapping", x)`) and `# type:` comments.
    mentioned: HashSet<&'s str>,
    /// The strings listed in `__all__`.
    exported: HashSet<&'s str>,
    /// Names bound at module level other than by an import, with the line of the first binding.
    module_bound: HashMap<&'s str, usize>,
    has_star_import: bool,
    imports: Vec<ImportStatement>,
    /// The only names the analysis answers for, sorted, when it saw just the statements that
    /// spell them (see [`Names::of_only`]); `None` when it saw the whole file.
    only: Option<Vec<String>>,
}

impl<'s> Names<'s> {
    /// Parses `source` once and collects its names and imports.
    pub(crate) fn of(source: &'s str) -> Names<'s> {
        match python::parse(source) {
            Some((tree, offset)) => Names::in_tree(tree.root_node(), source, offset),
            None => Names::default(),
        }
    }

    /// [`Names::of`] for the names `only` alone, from a parse of the statements that spell one of
    /// them (and the star imports): every binding and every use of a name spells it, in code, in a
    /// string annotation, in a type comment or in `__all__`, so what the analysis says of these
    /// names is what the whole file's would. `None` when the statement lexer cannot follow the
    /// file or those statements do not parse cleanly: the whole file must be analysed then.
    pub(crate) fn of_only(source: &'s str, only: &[String]) -> Option<Names<'s>> {
        let statements = Statements::of(source)?;
        let parts =
            statements.parts_holding(source, &word_hits(source, only), Narrowing::Definitions);
        if parts.is_empty() {
            return None;
        }
        // A tree kept from a look at more of the file serves, walked where these parts are.
        let (tree, offset, within) = match tree_cache::covering_tree(source, &parts) {
            Some((tree, offset)) => (tree, offset, Some(parts.as_slice())),
            None => {
                let (tree, offset) = python::parse_parts(source, &parts)?;
                (tree, offset, None)
            }
        };
        if tree.root_node().has_error() {
            return None;
        }
        let mut names = Names::in_tree_within(tree.root_node(), source, offset, within);
        let mut only = only.to_vec();
        only.sort();
        names.only = Some(only);
        Some(names)
    }

    /// Whether the analysis answers for `name` (see [`Names::of_only`]).
    pub(crate) fn answers_for(&self, name: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|only| only.binary_search_by(|n| n.as_str().cmp(name)).is_ok())
    }

    /// [`Names::of`] over a tree already parsed.
    pub(crate) fn in_tree(root: Node, source: &'s str, offset: usize) -> Names<'s> {
        Names::in_tree_within(root, source, offset, None)
    }

    /// [`Names::in_tree`] for the nodes of the tree that reach into `within` only (byte ranges of
    /// `source`, sorted and disjoint), when given: the statements of a tree of more of the file
    /// than the ones asked about are left out, as if the tree held those alone.
    fn in_tree_within(
        root: Node,
        source: &'s str,
        offset: usize,
        within: Option<&[Range<usize>]>,
    ) -> Names<'s> {
        let mut imports = imports_in(root, source, offset);
        if let Some(parts) = within {
            imports.retain(|s| overlap(parts, s.range.clone()).is_some());
        }
        let mut names = Names {
            imports,
            ..Names::default()
        };
        Walk {
            source,
            offset,
            within,
            names: &mut names,
        }
        .run(root);
        names
    }

    /// Whether `name` is used: referenced as an identifier, in a string annotation or type
    /// comment, or listed in `__all__`.
    pub(crate) fn is_used(&self, name: &str) -> bool {
        self.referenced.contains_key(name)
            || self.mentioned.contains(name)
            || self.exported.contains(name)
    }

    /// Whether `name` is used only in string annotations and type comments.
    pub(crate) fn is_used_only_in_annotations(&self, name: &str) -> bool {
        self.mentioned.contains(name)
            && !self.referenced.contains_key(name)
            && !self.exported.contains(name)
    }

    /// Whether `name` is part of the module's interface: listed in `__all__`, or a dunder name
    /// (`from _impl import __doc__, __version__` sets the module's own attributes).
    pub(crate) fn is_exported(&self, name: &str) -> bool {
        self.exported.contains(name)
            || (name.len() > 4 && name.starts_with("__") && name.ends_with("__"))
    }

    /// The line of the first module-level binding of `name` that is not an import.
    pub(crate) fn module_binding(&self, name: &str) -> Option<usize> {
        self.module_bound.get(name).copied()
    }

    pub(crate) fn imports(&self) -> &[ImportStatement] {
        &self.imports
    }

    /// The names referenced, bound nowhere and not builtins, with the line of their first
    /// reference, sorted by line.
    #[cfg(test)]
    pub(crate) fn undefined_names(&self) -> Vec<(&'s str, usize)> {
        let mut found: Vec<(&str, usize)> = self
            .referenced
            .iter()
            .filter(|(n, _)| self.is_undefined(n))
            .map(|(n, l)| (*n, *l))
            .collect();
        found.sort_by_key(|(n, l)| (*l, *n));
        found
    }

    /// Whether `name` is referenced, bound nowhere and not a builtin (never, after a star import).
    fn is_undefined(&self, name: &str) -> bool {
        !self.has_star_import
            && self.referenced.contains_key(name)
            && !self.bound.contains(name)
            && !is_builtin(name)
    }

    /// The names an import binds that nothing uses, with the byte offset of the imported name.
    /// `import a as a` and `from m import b as b` are explicit re-exports and never unused, nor
    /// are the names [`Names::is_exported`] accepts.
    pub(crate) fn unused_imports(&self) -> Vec<(String, usize)> {
        let mut unused = Vec::new();
        for statement in &self.imports {
            if statement.kind == ImportKind::Future {
                continue;
            }
            for (name, bound) in statement.names.iter().zip(statement.bound()) {
                let last = name.name.rsplit('.').next().unwrap_or(&name.name);
                if name.alias.as_deref() == Some(last)
                    || self.is_used(&bound.name)
                    || self.is_exported(&bound.name)
                {
                    continue;
                }
                unused.push((bound.name, name.range.start));
            }
        }
        unused
    }
}

/// What got worse in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameProblemKind {
    /// A name is used that nothing binds and that is not a builtin.
    UndefinedName,
    /// An import binds a name that nothing uses.
    UnusedImport,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NameProblem {
    /// 1-based line in the new text.
    pub(crate) line: usize,
    pub(crate) name: String,
    pub(crate) kind: NameProblemKind,
}

/// The first problem (by line) that `after` has and `before` did not: a name referenced and bound
/// nowhere, or an import whose name is used nowhere. Problems `before` already had are not
/// reported, so a file's existing dynamic names and side-effect imports never count against an
/// edit. Parses each text once.
#[cfg(test)]
pub(crate) fn names_got_worse(before: &str, after: &str) -> Option<NameProblem> {
    names_got_worse_in(&Names::of(before), &Names::of(after), after)
}

/// [`names_got_worse`] with both texts already read: `new` is the names of `after`.
pub(crate) fn names_got_worse_in(old: &Names, new: &Names, after: &str) -> Option<NameProblem> {
    let mut problems = Vec::new();
    for (name, line) in &new.referenced {
        if new.answers_for(name) && new.is_undefined(name) && !old.is_undefined(name) {
            problems.push(NameProblem {
                line: *line,
                name: name.to_string(),
                kind: NameProblemKind::UndefinedName,
            });
        }
    }
    let unused_before: HashSet<String> = old.unused_imports().into_iter().map(|u| u.0).collect();
    let mut unused_after = new.unused_imports();
    unused_after.retain(|(name, _)| new.answers_for(name));
    if unused_after.iter().any(|(n, _)| !unused_before.contains(n)) {
        let lines = LineIndex::new(after);
        for (name, at) in unused_after {
            if !unused_before.contains(&name) {
                problems.push(NameProblem {
                    line: lines.line_of(at) as usize,
                    name,
                    kind: NameProblemKind::UnusedImport,
                });
            }
        }
    }
    problems
        .into_iter()
        .min_by(|a, b| (a.line, a.kind as u8, &a.name).cmp(&(b.line, b.kind as u8, &b.name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn undefined(source: &str) -> Vec<String> {
        let mut found: Vec<String> = Names::of(source)
            .undefined_names()
            .into_iter()
            .map(|(n, _)| n.to_string())
            .collect();
        found.sort();
        found
    }

    #[test]
    fn the_builtin_list_is_sorted_and_holds_this_interpreters_builtins() {
        assert!(super::super::builtins::is_sorted());
        let out = std::process::Command::new("python3")
            .args(["-c", "import builtins; print(' '.join(dir(builtins)))"])
            .output()
            .expect("python3 runs");
        let listed = String::from_utf8(out.stdout).unwrap();
        let missing: Vec<&str> = listed
            .split_whitespace()
            .filter(|n| !is_builtin(n))
            .collect();
        assert!(missing.is_empty(), "{missing:?}");
    }

    #[test]
    fn every_kind_of_binding_binds() {
        let src = r#"
import os.path, sys as system
from m import (a, b as c)
def f(p, q=1, *args, r: int = 2, s: "T" = 3, **kw) -> None:
    global g
    nonlocal_ = [y for y in p if (z := y)]
    for i, (j, *k) in q: pass
    with open(p) as (fh, gh), open(q) as ih: pass
    try: pass
    except E as e: pass
    match p:
        case Point(x=px, y=[py, *rest]) as pt if px: print(px, py, rest, pt)
        case {"k": kv, **others}: print(kv, others)
    del d
    lam = lambda u, v=w: u + v
    print(i, j, k, fh, gh, ih, e, z, lam, nonlocal_, args, kw, r, s, g, d)
class C[T](Base):
    def m(self): return __class__, T
type Alias[V] = list[V]
print(os, system, a, c, C, Alias, __name__)
"#;
        assert_eq!(undefined(src), ["Base", "E", "w"]);
    }

    #[test]
    fn newer_and_rarer_syntax_binds_too() {
        let src = r#"
async def f(*, a, b=1, **k):
    async with ctx() as (x, y), other() as z:
        pass
    async for item in aiter_():
        await item
    try:
        pass
    except* ValueError as group:
        print(group)
    with (open(a) as fa, open(b) as fb):
        print(fa, fb)
    first, *others = k
    match a:
        case str() | bytes():
            pass
        case [1, 2, *tail]:
            print(tail)
        case {"x": 1, **extra}:
            print(extra)
    print(x, y, z, first, others, {v: w for v, w in k.items()}, [n for row in k for n in row])
    def inner():
        nonlocal a
        a = 2
    return inner
def g[T: Bound, *Ts, **P](x: T) -> T:
    return x
__all__ = ["f"]
__all__ += ["g"]
__all__.extend(["h"])
"#;
        // A type parameter's bound is among the names a type parameter list counts as bound, so
        // `Bound` is not reported: the safe side.
        assert_eq!(undefined(src), ["aiter_", "ctx", "other"]);
        let names = Names::of(src);
        for exported in ["f", "g", "h"] {
            assert!(names.is_exported(exported), "{exported}");
        }
    }

    #[test]
    fn a_deeply_nested_expression_does_not_overflow_the_stack() {
        let mut src = String::from("import os\nx = os.sep");
        for _ in 0..50_000 {
            src.push_str(" + y");
        }
        src.push('\n');
        let started = std::time::Instant::now();
        assert_eq!(
            names_got_worse(&src, &src.replace("os.sep", "sep")),
            Some(NameProblem {
                line: 1,
                name: "os".into(),
                kind: NameProblemKind::UnusedImport
            })
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }

    #[test]
    fn names_in_attributes_keywords_and_strings_are_not_references() {
        let src = "x = obj.attr\nf(key=1)\ns = 'undefined_word'\n";
        assert_eq!(undefined(src), ["f", "obj"]);
        assert!(undefined("from m import *\nprint(anything)\n").is_empty());
    }

    #[test]
    fn uses_count_in_string_annotations_type_comments_and_all() {
        let src = "from typing import List, Mapping, Sequence, Set, Dict, Any\nimport os\n__all__ = ['Set']\n\
                   x: \"Mapping[str, int]\" = {}\ny: List[\"Sequence\"] = []\nz = 1  # type: Dict[str, int]\n\
                   w = f'{Any}'\nq = 'os'\n";
        let names = Names::of(src);
        for used in ["List", "Mapping", "Sequence", "Set", "Dict", "Any"] {
            assert!(names.is_used(used), "{used}");
        }
        assert!(!names.is_used("os"));
        assert!(names.is_used_only_in_annotations("Mapping"));
        assert!(!names.is_used_only_in_annotations("List"));
        assert!(names.is_exported("Set"));
    }

    #[test]
    fn a_new_undefined_name_is_reported_with_its_line() {
        let before = "import collections\nx = collections.Mapping\n";
        let after = "import collections\nx = collections.abc.Mapping\ny = timezone.utc\n";
        assert_eq!(
            names_got_worse(before, after),
            Some(NameProblem {
                line: 3,
                name: "timezone".into(),
                kind: NameProblemKind::UndefinedName
            })
        );
        // A name that was already undefined is not the edit's doing.
        let before = "x = magic\n";
        assert_eq!(names_got_worse(before, "x = magic + 1\n"), None);
        assert_eq!(names_got_worse(before, before), None);
    }

    #[test]
    fn a_new_unused_import_is_reported_but_an_old_one_is_not() {
        let before = "import numpy as np\nimport sideeffect\nx = np.float\n";
        let after = "import numpy as np\nimport sideeffect\nx = float\n";
        assert_eq!(
            names_got_worse(before, after),
            Some(NameProblem {
                line: 1,
                name: "np".into(),
                kind: NameProblemKind::UnusedImport
            })
        );
        let reexport = "from m import a as a\nfrom n import b\n__all__ = ['b']\n";
        assert_eq!(names_got_worse("", reexport), None);
    }

    /// What the analysis says of `names`, as a test compares it.
    fn answers(names: &Names, asked: &[&str]) -> Vec<String> {
        let mut out: Vec<String> = asked
            .iter()
            .map(|n| {
                format!(
                    "{n}: used {} undefined {} bound at {:?}",
                    names.is_used(n),
                    names.is_undefined(n),
                    names.module_binding(n)
                )
            })
            .collect();
        out.extend(
            names
                .unused_imports()
                .into_iter()
                .map(|(n, at)| format!("unused {n} at {at}")),
        );
        out.extend(
            names
                .imports()
                .iter()
                .map(|i| format!("import on line {}", i.line)),
        );
        out
    }

    #[test]
    fn a_kept_tree_of_the_whole_file_answers_as_a_parse_of_the_statements_asked_about() {
        let mut body = String::from(
            "import os\nfrom app.ws import get_manager, helper\nfrom extras import *\n\n\n",
        );
        body.push_str("class Service:\n    def other(self):\n        return os.getcwd()\n\n");
        body.push_str("    async def run(self, ctx):\n        return get_manager(ctx)\n\n\n");
        for i in 0..40 {
            body.push_str(&format!(
                "def filler_{i}(x):\n    return helper(x) + {i}\n\n\n"
            ));
        }
        body.push_str(
            "async def main(ctx):\n    manager = get_manager(ctx)\n    return manager\n\n\n",
        );
        let only = vec!["get_manager".to_string(), "get_manager_legacy".to_string()];
        let asked = ["get_manager", "get_manager_legacy", "manager"];
        // A text no tree is kept of is parsed in the statements asked about.
        let alone = format!("{body}LAST = 1\n");
        let parsed = Names::of_only(&alone, &only).unwrap();
        // The same statements in a text whose whole tree is kept, walked where they are.
        let kept = format!("{body}LAST = 2\n");
        python::parse(&kept).unwrap();
        let everything = 0..kept.len();
        assert!(tree_cache::covering_tree(&kept, std::slice::from_ref(&everything)).is_some());
        let walked = Names::of_only(&kept, &only).unwrap();
        assert_eq!(answers(&walked, &asked), answers(&parsed, &asked));
        assert_eq!(walked.has_star_import, parsed.has_star_import);
        // The statements asked about are all it saw: not the use of `os` in another method.
        assert!(!walked.is_used("os"));
        assert_eq!(walked.imports().len(), parsed.imports().len());
        assert!(Names::of(&kept).is_used("os"));
    }
}
