//! Removing the imports an edit left unused, and moving imports only annotations need under
//! `if TYPE_CHECKING:`. A name is removed from its statement with its comma; a statement whose
//! names all go loses its whole lines, and a block that loses all its statements gets a `pass`.
//!
//! Only imports an edit made unused are removed: an import nothing used before the edit either may
//! be there for its side effect or as a re-export, which no analysis of one file can rule out.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use super::add::{add_imports, new_statements_at};
use super::error::ImportError;
use super::lines::{line_end, line_ending, line_start, next_line};
use super::names::Names;
use super::spec::{Bound, ImportSpec};
use super::statements::{is_type_checking, ImportKind, ImportStatement};
use crate::edit::python;

/// `after` without the imported names that `before` used and `after` uses nowhere. Nothing is
/// removed from a package's `__init__.py` (its imports are its interface), nor a name listed in
/// `__all__` or a dunder name (`from _impl import __version__`). `after` is returned as it is if a removal would leave a syntax error.
#[cfg(test)]
pub(crate) fn remove_imports_left_unused(
    before: &str,
    after: &str,
    is_package_init: bool,
) -> String {
    if is_package_init {
        return after.to_string();
    }
    remove_imports_left_unused_in(&Names::of(before), &Names::of(after), after)
}

/// [`remove_imports_left_unused`] with both texts already read (`new` is the names of `after`),
/// for a file that is not a package's `__init__.py`.
pub(crate) fn remove_imports_left_unused_in(old: &Names, new: &Names, after: &str) -> String {
    let gone = |bound: &Bound| {
        new.answers_for(&bound.name)
            && old.is_used(&bound.name)
            && !new.is_used(&bound.name)
            && !new.is_exported(&bound.name)
    };
    let edits = removals(after, new.imports(), |_, bound| gone(bound), true);
    if edits.is_empty() {
        return after.to_string();
    }
    let out = splice(after, &edits);
    if gets_worse(after, &out) {
        return after.to_string();
    }
    out
}

/// `source` with its top-level imports of names used only in string annotations and `# type:`
/// comments moved into an `if TYPE_CHECKING:` block (the file's own, or a new one after its
/// imports, with `from typing import TYPE_CHECKING` added if the file lacks it), so that they are
/// not imported when the code runs.
pub(crate) fn move_type_only_imports(source: &str) -> Result<String, ImportError> {
    let Some((tree, offset)) = python::parse(source) else {
        return Ok(source.to_string());
    };
    let root = tree.root_node();
    let names = Names::in_tree(root, source, offset);
    let type_only = |statement: &ImportStatement, bound: &Bound| {
        statement.placement.top_level
            && names.is_used_only_in_annotations(&bound.name)
            && !names.is_exported(&bound.name)
    };
    // A statement that shares its lines with another cannot go as a whole; its names stay.
    let stuck: HashSet<usize> = names
        .imports()
        .iter()
        .filter(|s| s.bound().all(|b| type_only(s, &b)))
        .filter(|s| whole_lines(source, s.range.clone()).is_none())
        .map(|s| s.range.start)
        .collect();
    let moves = |statement: &ImportStatement, bound: &Bound| {
        type_only(statement, bound) && !stuck.contains(&statement.range.start)
    };
    let mut moved = Vec::new();
    for statement in names.imports() {
        if statement.kind == ImportKind::Future || statement.is_star {
            continue;
        }
        let picked: Vec<String> = statement
            .names
            .iter()
            .zip(statement.bound())
            .filter(|(_, bound)| moves(statement, bound))
            .map(|(name, _)| match &name.alias {
                Some(alias) => format!("{} as {alias}", name.name),
                None => name.name.clone(),
            })
            .collect();
        if picked.is_empty() {
            continue;
        }
        match &statement.module {
            Some(module) => moved.push(format!("from {module} import {}", picked.join(", "))),
            None => moved.extend(picked.iter().map(|p| format!("import {p}"))),
        }
    }
    if moved.is_empty() {
        return Ok(source.to_string());
    }
    let mut edits = removals(source, names.imports(), moves, false);
    let eol = line_ending(source);
    let existing = root.named_children(&mut root.walk()).find(|n| {
        n.kind() == "if_statement"
            && n.child_by_field_name("alternative").is_none()
            && n.child_by_field_name("condition")
                .is_some_and(|c| is_type_checking(c, source, offset))
    });
    // The file's own block takes the imports if its body starts on a line of its own.
    let block = existing.and_then(|n| {
        let block = n.child_by_field_name("consequence")?;
        let first = block.named_child(0)?;
        (first.start_position().row > n.start_position().row).then_some((block, first))
    });
    match block {
        Some((block, first)) => {
            let first_start = first.start_byte() + offset;
            let indent = &source[line_start(source, first_start)..first_start];
            let end = line_end(source, block.end_byte() + offset);
            let lines: String = moved.iter().map(|m| format!("{eol}{indent}{m}")).collect();
            edits.push((end..end, lines));
        }
        _ => {
            let indent = indent_unit(source);
            let mut text = "if TYPE_CHECKING:".to_string();
            for m in &moved {
                text.push_str(&format!("{eol}{indent}{m}"));
            }
            let (at, text) = new_statements_at(source, root, offset, names.imports(), &[text], eol);
            edits.push((at..at, text));
        }
    }
    edits.sort_by_key(|(r, _)| (r.start, r.end));
    let out = splice(source, &edits);
    let has_flag = existing.is_some()
        || names
            .imports()
            .iter()
            .any(|s| s.placement.top_level && s.bound().any(|b| b.name == "TYPE_CHECKING"));
    let out = if has_flag {
        out
    } else {
        let flag = ImportSpec::parse("from typing import TYPE_CHECKING").map_err(|_| {
            ImportError::BreaksSyntax {
                import: "from typing import TYPE_CHECKING".into(),
            }
        })?;
        add_imports(&out, &[flag])?
    };
    if gets_worse(source, &out) {
        return Err(ImportError::BreaksSyntax {
            import: moved.join("; "),
        });
    }
    Ok(out)
}

/// Whether `new` has more syntax errors than `old`; `old` is parsed again only if `new` has any.
/// `new` is `old` changed in one place: its tree is `old`'s, when that is kept, reparsed there.
fn gets_worse(old: &str, new: &str) -> bool {
    if python::change_keeps_syntax(old, new) {
        return false;
    }
    python::remember_rewritten(old, new);
    let errors = python::error_count(new);
    errors > 0 && errors > python::error_count(old)
}

/// The file's indentation step: that of the first indented line after a line ending in `:`.
fn indent_unit(source: &str) -> &str {
    let mut opens = false;
    for line in source.lines() {
        let content = line.trim_start();
        if opens && !content.is_empty() && content.len() < line.len() {
            return &line[..line.len() - content.len()];
        }
        if !content.is_empty() && !content.starts_with('#') {
            opens = content.trim_end().ends_with(':');
        }
    }
    "    "
}

/// The edits that remove each name of `statements` that `remove` picks: sorted, non-overlapping
/// `(range, replacement)` pairs.
fn removals(
    source: &str,
    statements: &[ImportStatement],
    remove: impl Fn(&ImportStatement, &Bound) -> bool,
    spare_blank_lines: bool,
) -> Vec<(Range<usize>, String)> {
    let eol = line_ending(source);
    let mut edits = Vec::new();
    // Whole statements removed from each block, to know when a block is left empty.
    let mut emptied: HashMap<(usize, usize), (usize, Vec<usize>)> = HashMap::new();
    for statement in statements {
        if statement.kind == ImportKind::Future || statement.is_star {
            continue;
        }
        let picked: Vec<bool> = statement.bound().map(|b| remove(statement, &b)).collect();
        if !picked.contains(&true) {
            continue;
        }
        if !picked.contains(&false) {
            let Some(lines) = whole_lines(source, statement.range.clone()) else {
                continue;
            };
            // Not when something is inserted where the statement was (a move).
            let lines = if spare_blank_lines && statement.placement.top_level {
                with_spare_blank_lines(source, lines)
            } else {
                lines
            };
            let edit = edits.len();
            edits.push((lines, String::new()));
            if !statement.placement.top_level {
                emptied
                    .entry((statement.parent.start, statement.parent.end))
                    .or_insert_with(|| (statement.siblings, Vec::new()))
                    .1
                    .push(edit);
            }
            continue;
        }
        edits.extend(name_removals(source, statement, &picked));
    }
    for (siblings, removed) in emptied.values() {
        if removed.len() == *siblings {
            // The block keeps a statement: `pass` at the indentation of the first import.
            let first = removed[0];
            let start = edits[first].0.start;
            let indent: String = source[start..]
                .chars()
                .take_while(|c| *c == ' ' || *c == '\t')
                .collect();
            edits[first].1 = format!("{indent}pass{eol}");
        }
    }
    edits.sort_by_key(|(r, _)| (r.start, r.end));
    edits
}

/// `lines` (a top-level statement's whole lines) with the blank lines after it that its removal
/// makes spare: of the blank lines on both sides, as many stay as the larger side had, and none at
/// the start of the file, so removing the only import between a docstring and a function keeps
/// the two blank lines before the function, not three.
fn with_spare_blank_lines(source: &str, lines: Range<usize>) -> Range<usize> {
    let is_blank = |line: &str| line.trim().is_empty();
    let before: Vec<&str> = source[..lines.start].split_inclusive('\n').collect();
    let blank_before = before.iter().rev().take_while(|l| is_blank(l)).count();
    let at_start = blank_before == before.len();
    let mut end = lines.end;
    let mut blank_after = Vec::new();
    for line in source[lines.end..].split_inclusive('\n') {
        if !is_blank(line) || !line.ends_with('\n') {
            break;
        }
        blank_after.push(line.len());
    }
    let spare = if at_start {
        blank_after.len()
    } else {
        blank_before.min(blank_after.len())
    };
    end += blank_after[..spare].iter().sum::<usize>();
    lines.start..end
}

/// The lines of `statement` with their line break, if nothing else shares them (a comment after it
/// goes with it).
fn whole_lines(source: &str, statement: Range<usize>) -> Option<Range<usize>> {
    let start = line_start(source, statement.start);
    if !source[start..statement.start].trim().is_empty() {
        return None;
    }
    let end = line_end(source, statement.end);
    let rest = source[statement.end..end].trim();
    if !(rest.is_empty() || rest.starts_with('#')) {
        return None;
    }
    Some(start..next_line(source, end))
}

/// The edits that remove the `picked` names of `statement` (some, not all) with their commas.
fn name_removals(
    source: &str,
    statement: &ImportStatement,
    picked: &[bool],
) -> Vec<(Range<usize>, String)> {
    let names = &statement.names;
    let Some(last_kept) = picked.iter().rposition(|p| !p) else {
        return Vec::new();
    };
    let mut edits = Vec::new();
    for i in 0..last_kept {
        if picked[i] {
            edits.push((
                names[i].range.start..names[i + 1].range.start,
                String::new(),
            ));
        }
    }
    if last_kept + 1 < names.len() {
        // The names after the last kept one go with the comma before them, or, one per line,
        // with their lines.
        let (kept, first, last) = (
            &names[last_kept],
            &names[last_kept + 1],
            &names[names.len() - 1],
        );
        let first_line = line_start(source, first.range.start);
        let own_lines = source[kept.range.end..first.range.start].contains('\n')
            && source[first_line..first.range.start].trim().is_empty();
        if own_lines {
            let end = last.separator.as_ref().map_or(last.range.end, |s| s.end);
            let line_end = line_end(source, end);
            let rest = source[end..line_end].trim();
            let end = if rest.is_empty() || rest.starts_with('#') {
                next_line(source, line_end)
            } else {
                end
            };
            edits.push((first_line..end, String::new()));
        } else {
            edits.push((kept.range.end..last.range.end, String::new()));
        }
    }
    edits
}

/// `source` with the sorted, non-overlapping `edits` applied.
fn splice(source: &str, edits: &[(Range<usize>, String)]) -> String {
    let mut out = String::with_capacity(source.len());
    let mut at = 0;
    for (range, text) in edits {
        if range.start < at {
            continue;
        }
        out.push_str(&source[at..range.start]);
        out.push_str(text);
        at = range.end;
    }
    out.push_str(&source[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn removed(before: &str, after: &str) -> String {
        remove_imports_left_unused(before, after, false)
    }

    #[test]
    fn removes_only_what_the_edit_left_unused() {
        let before = "import numpy as np\nimport sideeffect\nimport os\nx = np.float\ny = os.sep\n";
        let after = "import numpy as np\nimport sideeffect\nimport os\nx = float\ny = os.sep\n";
        assert_eq!(
            removed(before, after),
            "import sideeffect\nimport os\nx = float\ny = os.sep\n"
        );
        assert_eq!(remove_imports_left_unused(before, after, true), after);
        let exported = "import numpy as np\n__all__ = ['np']\nx = float\n";
        assert_eq!(removed(before, exported), exported);
        let dunder = "from _impl import __version__\n";
        assert_eq!(
            removed("from _impl import __version__\nx = __version__\n", dunder),
            dunder
        );
    }

    #[test]
    fn removes_one_name_with_its_comma() {
        let before = "from collections import Mapping, OrderedDict\nimport a, b, c\nx = Mapping, OrderedDict, a, b, c\n";
        for (after, expected) in [
            (
                "from collections import Mapping, OrderedDict\nimport a, b, c\nx = OrderedDict, a, b, c\n",
                "from collections import OrderedDict\nimport a, b, c\nx = OrderedDict, a, b, c\n",
            ),
            (
                "from collections import Mapping, OrderedDict\nimport a, b, c\nx = Mapping, a\n",
                "from collections import Mapping\nimport a\nx = Mapping, a\n",
            ),
            (
                "from collections import Mapping, OrderedDict\nimport a, b, c\nx = Mapping, b\n",
                "from collections import Mapping\nimport b\nx = Mapping, b\n",
            ),
        ] {
            assert_eq!(removed(before, after), expected);
        }
        let before = "from typing import (\n    Any,  # why\n    List,\n    Mapping,\n)\nx: Any\ny: List\nz: Mapping\n";
        let after = "from typing import (\n    Any,  # why\n    List,\n    Mapping,\n)\nx: Any\n";
        assert_eq!(
            removed(before, after),
            "from typing import (\n    Any,  # why\n)\nx: Any\n"
        );
        let after =
            "from typing import (\n    Any,  # why\n    List,\n    Mapping,\n)\nz: Mapping\n";
        assert_eq!(
            removed(before, after),
            "from typing import (\n    Mapping,\n)\nz: Mapping\n"
        );
    }

    #[test]
    fn an_emptied_block_gets_a_pass() {
        let before = "try:\n    import json  # fast\nexcept ImportError:\n    json = None\n\ndef f():\n    import re\n    return json, re\n";
        let after = "try:\n    import json  # fast\nexcept ImportError:\n    json = None\n\ndef f():\n    import re\n    return json\n";
        assert_eq!(
            removed(before, after),
            "try:\n    import json  # fast\nexcept ImportError:\n    json = None\n\ndef f():\n    return json\n"
        );
        // The fallback binding is not a use: `json` is unused once nothing reads it.
        let after = "try:\n    import json  # fast\nexcept ImportError:\n    json = None\n\ndef f():\n    return 1\n";
        assert_eq!(
            removed(before, after),
            "try:\n    pass\nexcept ImportError:\n    json = None\n\ndef f():\n    return 1\n"
        );
        let before = "try:\r\n    import simplejson\r\n    import ujson\r\nexcept ImportError:\r\n    pass\r\nx = simplejson, ujson\r\n";
        let after = "try:\r\n    import simplejson\r\n    import ujson\r\nexcept ImportError:\r\n    pass\r\nx = 1\r\n";
        assert_eq!(
            removed(before, after),
            "try:\r\n    pass\r\nexcept ImportError:\r\n    pass\r\nx = 1\r\n"
        );
    }

    #[test]
    fn names_in_annotations_comments_and_decorators_keep_their_import() {
        let before = "import a, b, c, d, e\nx = a, b, c, d, e\n";
        let after = "import a, b, c, d, e\n@a.deco\ndef f(x=b.default) -> 'c.T':\n    y = 1  # type: d.T\n    return e\n";
        assert_eq!(removed(before, after), after);
        // A statement sharing its line with another is left alone.
        let before = "import a; x = a\n";
        assert_eq!(removed(before, "import a; x = 1\n"), "import a; x = 1\n");
    }

    #[test]
    fn a_refactoring_gets_its_import_and_loses_the_old_one() {
        use super::super::names::names_got_worse;
        let before = "\"\"\"Times.\"\"\"\nimport numpy\nfrom datetime import datetime\n\n\ndef now():\n    return datetime.utcnow(), numpy.float\n";
        let edited = "\"\"\"Times.\"\"\"\nimport numpy\nfrom datetime import datetime\n\n\ndef now():\n    return datetime.now(timezone.utc), float\n";
        assert!(names_got_worse(before, edited).is_some());
        let spec = ImportSpec::parse("from datetime import timezone").unwrap();
        let added = add_imports(edited, &[spec]).unwrap();
        let after = remove_imports_left_unused(before, &added, false);
        assert_eq!(
            after,
            "\"\"\"Times.\"\"\"\nfrom datetime import datetime, timezone\n\n\ndef now():\n    return datetime.now(timezone.utc), float\n"
        );
        assert_eq!(names_got_worse(before, &after), None);
    }

    #[test]
    fn moves_annotation_only_imports_under_type_checking() {
        let src = "\"\"\"Doc.\"\"\"\nimport os\nfrom typing import Mapping, List\n\ndef f(x: \"Mapping[str, int]\") -> List[int]:\n    return os.sep\n";
        assert_eq!(
            move_type_only_imports(src).unwrap(),
            "\"\"\"Doc.\"\"\"\nimport os\nfrom typing import List, TYPE_CHECKING\nif TYPE_CHECKING:\n    from typing import Mapping\n\ndef f(x: \"Mapping[str, int]\") -> List[int]:\n    return os.sep\n"
        );
        let src = "from typing import TYPE_CHECKING\nimport decimal\nif TYPE_CHECKING:\n    import fractions\n\nx: \"decimal.Decimal\" = 1  # type: fractions.Fraction\n";
        assert_eq!(
            move_type_only_imports(src).unwrap(),
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import fractions\n    import decimal\n\nx: \"decimal.Decimal\" = 1  # type: fractions.Fraction\n"
        );
        let one_line = "if TYPE_CHECKING: import fractions\nfrom typing import TYPE_CHECKING\nimport decimal\nx: 'decimal.Decimal'\n";
        assert_eq!(
            move_type_only_imports(one_line).unwrap(),
            "if TYPE_CHECKING: import fractions\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import decimal\nx: 'decimal.Decimal'\n"
        );
        let shared = "import decimal; import os\nx: 'decimal.Decimal' = os.sep\n";
        assert_eq!(move_type_only_imports(shared).unwrap(), shared);
        let nothing = "import os\nprint(os)\n";
        assert_eq!(move_type_only_imports(nothing).unwrap(), nothing);
    }
}
