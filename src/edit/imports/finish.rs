//! The last step of editing a Python file, after every pass of its edits: the imports the new text
//! needs are added, the imports the change left unused are removed, and the result is compared with
//! the original for names, so that an edit never leaves a name undefined or an import unused.

use super::add::add_imports;
use super::error::ImportError;
use super::names::{names_got_worse_in, NameProblem, NameProblemKind, Names};
use super::remove::{move_type_only_imports, remove_imports_left_unused_in};
use super::spec::ImportSpec;

/// Why the edited text of a file cannot be kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unfinished {
    /// An import the edit needs cannot be added (`needed` is its index among the imports asked).
    Import { needed: usize, error: ImportError },
    /// The edited text has an undefined name or an unused import that the original did not.
    Names(NameProblem),
}

/// `edited` (the text after the passes) with the imports in `needed` added where the file does
/// not bind their names yet, without the imports that `original` used and `edited` no longer does,
/// and checked for names against `original`. `is_package_init`: the file is a package's
/// `__init__.py`, whose imports are its exports and are never removed or called unused.
pub(crate) fn finish_edit(
    original: &str,
    original_tree: Option<&tree_sitter::Tree>,
    edited: String,
    needed: &[ImportSpec],
    is_package_init: bool,
    move_annotation_imports: bool,
) -> Result<String, Unfinished> {
    let mut text = edited;
    if !needed.is_empty() {
        // One at a time for the error, to say which import could not go in; then all together,
        // so that names of one module share one statement.
        if let Err(error) = add_imports(&text, needed) {
            let needed = (0..needed.len())
                .find(|i| add_imports(&text, &needed[*i..=*i]).is_err())
                .unwrap_or(0);
            return Err(Unfinished::Import { needed, error });
        }
        text =
            add_imports(&text, needed).map_err(|error| Unfinished::Import { needed: 0, error })?;
    }
    // Parsing is most of the cost on large trees: the original is read for names once (from the
    // tree the edits already parsed, when there is one), the new text once unless the removal
    // changes it.
    let offset = original.len() - original.trim_start_matches('\u{feff}').len();
    let old = match original_tree {
        Some(tree) => Names::in_tree(tree.root_node(), original, offset),
        None => Names::of(original),
    };
    let new = Names::of(&text);
    let removed = if is_package_init {
        None
    } else {
        Some(remove_imports_left_unused_in(&old, &new, &text)).filter(|r| *r != text)
    };
    let moved = if move_annotation_imports && !is_package_init {
        // Only imports the edit left annotation-only move: when the original already had some,
        // moving would take theirs along too, so the file keeps its imports as they are.
        let original_has_some =
            move_type_only_imports(original).is_ok_and(|moved| moved != original);
        let current = removed.as_deref().unwrap_or(&text);
        (!original_has_some)
            .then(|| move_type_only_imports(current).ok())
            .flatten()
            .filter(|m| m != current)
    } else {
        None
    };
    // The texts after the removal and the move were checked for syntax from the tree of the text
    // before each, reparsed where they changed (see `remove`): every tree below is kept.
    let problem = match moved.as_ref().or(removed.as_ref()) {
        Some(changed) => names_got_worse_in(&old, &Names::of(changed), changed),
        None => names_got_worse_in(&old, &new, &text),
    };
    let text = match moved.or(removed) {
        Some(changed) => changed,
        None => text,
    };
    match problem {
        Some(p) if is_package_init && p.kind == NameProblemKind::UnusedImport => Ok(text),
        Some(p) => Err(Unfinished::Names(p)),
        None => Ok(text),
    }
}

/// [`finish_edit`] for an edit that only put some names in the place of others, token for token
/// (see `unchanged::names_substituted`): no other name's use or binding changed, so the names
/// `changed` (those taken out and those put in) are the only ones whose imports can go unused or
/// that can become undefined, and only the statements that spell them are analysed.
pub(crate) fn finish_substitution(
    original: &str,
    edited: String,
    changed: &[String],
    is_package_init: bool,
) -> Result<String, Unfinished> {
    let old = Names::of_only(original, changed);
    let new = old.as_ref().and_then(|_| Names::of_only(&edited, changed));
    let (Some(old), Some(new)) = (old, new) else {
        return finish_edit(original, None, edited.clone(), &[], is_package_init, false);
    };
    let removed = if is_package_init {
        None
    } else {
        Some(remove_imports_left_unused_in(&old, &new, &edited)).filter(|r| *r != edited)
    };
    let problem = match &removed {
        Some(changed_text) => match Names::of_only(changed_text, changed) {
            Some(after) => names_got_worse_in(&old, &after, changed_text),
            None => {
                names_got_worse_in(&Names::of(original), &Names::of(changed_text), changed_text)
            }
        },
        None => names_got_worse_in(&old, &new, &edited),
    };
    let text = removed.unwrap_or(edited);
    match problem {
        Some(p) if is_package_init && p.kind == NameProblemKind::UnusedImport => Ok(text),
        Some(p) => Err(Unfinished::Names(p)),
        None => Ok(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> ImportSpec {
        ImportSpec::parse(text).unwrap()
    }

    #[test]
    fn adds_what_is_needed_and_removes_what_was_left_unused() {
        let original = "import numpy as np\n\n\ndef f(x):\n    return np.float(x)\n";
        let edited = original.replace("np.float(x)", "float(x)");
        let out = finish_edit(original, None, edited, &[], false, false).unwrap();
        assert_eq!(out, "def f(x):\n    return float(x)\n");
        // After a docstring, the function keeps its two blank lines, not three.
        let original = "\"\"\"Doc.\"\"\"\n\nimport numpy\n\n\ndef f(x):\n    return numpy.int(x)\n";
        let edited = original.replace("numpy.int(x)", "int(x)");
        let out = finish_edit(original, None, edited, &[], false, false).unwrap();
        assert_eq!(out, "\"\"\"Doc.\"\"\"\n\n\ndef f(x):\n    return int(x)\n");
        let original = "from datetime import datetime\n\nnow = datetime.utcnow()\n";
        let edited = original.replace("utcnow()", "now(timezone.utc)");
        let out = finish_edit(
            original,
            None,
            edited,
            &[spec("from datetime import timezone")],
            false,
            false,
        )
        .unwrap();
        assert_eq!(
            out,
            "from datetime import datetime, timezone\n\nnow = datetime.now(timezone.utc)\n"
        );
    }

    #[test]
    fn a_new_undefined_name_is_refused_and_an_old_one_is_not() {
        let original = "from datetime import datetime\n\nnow = datetime.utcnow()\n";
        let edited = original.replace("utcnow()", "now(timezone.utc)");
        let err = finish_edit(original, None, edited, &[], false, false).unwrap_err();
        assert!(
            matches!(&err, Unfinished::Names(p) if p.name == "timezone" && p.line == 3 && p.kind == NameProblemKind::UndefinedName),
            "{err:?}"
        );
        let original = "x = undefined_before()\ny = 1\n";
        let edited = original.replace("y = 1", "y = 2");
        assert!(finish_edit(original, None, edited, &[], false, false).is_ok());
    }

    #[test]
    fn a_needed_name_bound_to_something_else_names_the_import() {
        let original = "timezone = None\nx = 1\n";
        let edited = original.replace("x = 1", "x = timezone.utc");
        let err = finish_edit(
            original,
            None,
            edited,
            &[spec("import os"), spec("from datetime import timezone")],
            false,
            false,
        )
        .unwrap_err();
        assert!(
            matches!(err, Unfinished::Import { needed: 1, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn an_import_left_for_annotations_moves_under_type_checking_when_asked() {
        let original =
            "import numpy as np\n\n\ndef f(x: \"np.ndarray\"):\n    return np.float(x)\n";
        let edited = original.replace("np.float(x)", "float(x)");
        let kept = finish_edit(original, None, edited.clone(), &[], false, false).unwrap();
        assert_eq!(kept, edited);
        let moved = finish_edit(original, None, edited, &[], false, true).unwrap();
        assert!(
            moved.contains("if TYPE_CHECKING:\n    import numpy as np\n"),
            "{moved}"
        );
        assert!(
            moved.contains("from typing import TYPE_CHECKING\n"),
            "{moved}"
        );
    }

    #[test]
    fn a_package_init_keeps_its_imports() {
        let original = "from .wm import get\n\nx = get()\n";
        let edited = original.replace("x = get()", "x = 1");
        let out = finish_edit(original, None, edited.clone(), &[], true, false).unwrap();
        assert_eq!(out, edited);
    }

    /// On real code, a name put in the place of another at a call (a name bound nowhere, a
    /// builtin, another imported name) is finished by looking at the statements that spell the
    /// two names exactly as by looking at the whole file: the same text, or the same refusal.
    #[test]
    fn a_substitution_is_finished_as_the_whole_file_would_be() {
        let (mut compared, mut in_parts, mut refused, mut removed) = (0, 0, 0, 0);
        for (path, text) in crate::edit::test_corpus::python_files(600_000) {
            let Some((tree, _)) = crate::edit::python::parse(&text) else {
                continue;
            };
            if tree.root_node().has_error() {
                continue;
            }
            let imported: Vec<String> = Names::of(&text)
                .imports()
                .iter()
                .flat_map(|s| s.bound().map(|b| b.name).collect::<Vec<_>>())
                .collect();
            let mut calls = Vec::new();
            let mut stack = vec![tree.root_node()];
            while let Some(node) = stack.pop() {
                if node.kind() == "call" {
                    if let Some(f) = node.child_by_field_name("function") {
                        if f.kind() == "identifier" {
                            calls.push(f.byte_range());
                        }
                    }
                }
                let mut cursor = node.walk();
                stack.extend(node.children(&mut cursor));
            }
            calls.sort_by_key(|r| r.start);
            let step = (calls.len() / 3).max(1);
            for range in calls.iter().step_by(step).take(3) {
                let old = &text[range.clone()];
                let others = ["zz_bound_nowhere", "len"]
                    .into_iter()
                    .map(str::to_string)
                    .chain(imported.iter().filter(|n| *n != old).take(1).cloned());
                for new in others {
                    let edited = format!("{}{new}{}", &text[..range.start], &text[range.end..]);
                    let mut changed = vec![old.to_string(), new.clone()];
                    changed.sort();
                    let whole = finish_edit(&text, None, edited.clone(), &[], false, false);
                    if Names::of_only(&text, &changed).is_some() {
                        in_parts += 1;
                    }
                    let parts = finish_substitution(&text, edited.clone(), &changed, false);
                    assert_eq!(parts, whole, "{}: {old} -> {new}", path.display());
                    compared += 1;
                    match &whole {
                        Err(_) => refused += 1,
                        Ok(t) if t.len() < edited.len() => removed += 1,
                        Ok(_) => {}
                    }
                }
            }
        }
        assert!(
            compared > 300 && in_parts * 10 > compared * 9,
            "{compared} {in_parts}"
        );
        assert!(
            refused > 50 && removed > 20,
            "{refused} refused, {removed} imports removed"
        );
    }
}
