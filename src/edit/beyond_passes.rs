//! The parts of applying a phase's edits to a file that are not its passes: the named
//! refactorings, which read the whole original file once before the first pass, and the step after
//! the last pass that gives a Python file the imports its new text needs, removes those the change
//! left unused and refuses a file whose names got worse, saying on which line of the original.

use super::apply::{map_back, splice, Replacement};
use super::context::EditContext;
use super::error::EditError;
use super::imports::error::ImportError;
use super::imports::finish::{finish_edit, finish_substitution, Unfinished};
use super::imports::names::NameProblemKind;
use super::imports::spec::ImportSpec;
use super::lines::LineIndex;
use super::refactor::{self, MethodRenames, Refactored, Rename};
use crate::plan::{Edit, EditKind};
use crate::tree::paths::RelPath;

/// The imports an edited Python file needs and those its change left unused, and the check that
/// it has no undefined name or unused import its original did not have (see `imports/finish`).
/// `history` holds each pass's replacements, to say on which line of the original a name that
/// became undefined was written.
pub(super) fn finish_python(
    path: &RelPath,
    original: &Original,
    edited: String,
    sites: &[(u64, usize)],
    edits: &[(usize, &Edit)],
    refactor_imports: &[(usize, ImportSpec)],
    history: &[Vec<Replacement>],
) -> Result<String, EditError> {
    // The imports of the edits that changed this file, with the edit that asks for each.
    let mut needed: Vec<(usize, ImportSpec)> = refactor_imports.to_vec();
    for (i, e) in edits {
        if let EditKind::Python { imports, .. } = &e.kind {
            if sites.iter().any(|(_, s)| s == i) {
                needed.extend(imports.iter().map(|spec| (*i, spec.clone())));
            }
        }
    }
    let specs: Vec<ImportSpec> = needed.iter().map(|(_, s)| s.clone()).collect();
    let is_package_init = path.as_str() == "__init__.py" || path.as_str().ends_with("/__init__.py");
    let first_edit = sites.first().map_or(0, |(_, e)| *e);
    // Only when an edit that changed the file asks for it.
    let move_annotation_imports = edits
        .iter()
        .any(|(i, e)| e.move_annotation_imports && sites.iter().any(|(_, s)| s == i));
    let tree = original.tree;
    let original = original.text;
    if specs.is_empty() && !move_annotation_imports && keeps_names(original, history) {
        // Nothing to add, nothing left unused, no name got worse.
        return Ok(edited);
    }
    let substituted = (specs.is_empty() && !move_annotation_imports)
        .then(|| names_substituted(original, history))
        .flatten();
    let finished = match substituted {
        Some(changed) => finish_substitution(original, edited, &changed, is_package_init),
        None => {
            if tree.is_none() {
                remember_passes(original, history);
            }
            finish_edit(
                original,
                tree,
                edited,
                &specs,
                is_package_init,
                move_annotation_imports,
            )
        }
    };
    match finished {
        Ok(text) => Ok(text),
        Err(Unfinished::Import { needed: k, error }) => {
            let (edit, spec) = &needed[k];
            let line = match &error {
                ImportError::NameTaken { line, .. } => *line as u64,
                _ => sites.first().map_or(1, |(l, _)| *l),
            };
            Err(EditError::ImportRefused {
                path: path.clone(),
                line,
                edit: format!("#{edit}"),
                import: spec.to_string(),
                reason: error.to_string(),
            })
        }
        Err(Unfinished::Names(problem)) => {
            // The replacement that wrote the name: its line in the original, and its edit.
            let original_lines = LineIndex::new(original);
            let written = history.iter().enumerate().find_map(|(pass, replacements)| {
                replacements
                    .iter()
                    .find(|r| has_word(&r.text, &problem.name))
                    .map(|r| {
                        let at = map_back(r.range.start, &history[..pass]);
                        (original_lines.line_of(at), r.edit)
                    })
            });
            let (line, edit) = written.unwrap_or((problem.line as u64, first_edit));
            let edit = format!("#{edit}");
            let name = problem.name;
            let path = path.clone();
            Err(match problem.kind {
                NameProblemKind::UndefinedName => EditError::LeavesUndefinedName {
                    path,
                    line,
                    edit,
                    name,
                },
                NameProblemKind::UnusedImport => EditError::LeavesUnusedImport {
                    path,
                    line,
                    edit,
                    name,
                },
            })
        }
    }
}

/// A file's text before the edits, with its syntax tree when one was made on the way.
pub(super) struct Original<'a> {
    pub(super) text: &'a str,
    pub(super) tree: Option<&'a tree_sitter::Tree>,
}

/// Whether `text` holds `word` as a whole identifier.
fn has_word(text: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word).any(|(at, _)| {
        !text[..at].chars().next_back().is_some_and(is_ident)
            && !text[at + word.len()..].chars().next().is_some_and(is_ident)
    })
}

/// The named refactorings' replacements on the original text (`rename`, `methods`), which read
/// the whole file's names, and the imports their result needs.
pub(super) fn refactor_replacements(
    path: &RelPath,
    content: &str,
    edits: &[(usize, &Edit)],
    cx: &EditContext,
) -> Result<Refactored, EditError> {
    let bytes = content.as_bytes();
    let mut renames: Vec<(usize, &[Rename])> = Vec::new();
    let mut methods: Vec<(usize, &MethodRenames)> = Vec::new();
    for (i, e) in edits {
        match &e.kind {
            EditKind::Rename {
                renames: r,
                needles,
            } if needles.is_in_bytes(bytes) => renames.push((*i, r.as_slice())),
            EditKind::Methods {
                methods: m,
                needles,
            } if needles.is_in_bytes(bytes) => methods.push((*i, m.as_ref())),
            _ => {}
        }
    }
    let mut out = Refactored::default();
    if !renames.is_empty() {
        cx.count_parsed();
        out = refactor::rename_replacements(content, path, &renames, &cx.modules)?;
    }
    if !methods.is_empty() {
        cx.count_parsed();
        out.replacements.extend(refactor::method_replacements(
            content,
            path,
            &methods,
            &cx.modules,
        ));
    }
    Ok(out)
}

/// Keeps the trees of the original and of the text after each pass for the names check, which
/// looks at both ends: the original parsed whole (its matching may have parsed only statements
/// of it), each later text reparsed from the one before where its pass changed it.
fn remember_passes(original: &str, history: &[Vec<Replacement>]) {
    if super::python::parse(original).is_none() {
        return;
    }
    let mut text = original.to_string();
    for pass in history {
        let next = splice(&text, pass);
        let changes = pass.iter().map(|r| (r.range.clone(), r.text.as_str()));
        super::python::remember_edited(&text, &next, changes);
        text = next;
    }
}

/// When every replacement of every pass only puts names in the place of others (see
/// [`unchanged::names_substituted`](super::imports::unchanged::names_substituted)): those names,
/// sorted, each once.
fn names_substituted(original: &str, history: &[Vec<Replacement>]) -> Option<Vec<String>> {
    use super::imports::unchanged::names_substituted;
    let mut text = std::borrow::Cow::Borrowed(original);
    let mut changed = Vec::new();
    for (i, pass) in history.iter().enumerate() {
        for r in pass {
            // A replacement may take part of a word (`_legacy` of `f_legacy`): the words it
            // touches are compared whole.
            let is_word = |c: char| c.is_alphanumeric() || c == '_';
            let start = text[..r.range.start].trim_end_matches(is_word).len();
            let end = r.range.end
                + (text[r.range.end..].len()
                    - text[r.range.end..].trim_start_matches(is_word).len());
            let inserted = format!(
                "{}{}{}",
                &text[start..r.range.start],
                r.text,
                &text[r.range.end..end]
            );
            changed.extend(names_substituted(&text[start..end], &inserted)?);
        }
        if i + 1 < history.len() {
            text = std::borrow::Cow::Owned(splice(&text, pass));
        }
    }
    changed.sort();
    changed.dedup();
    Some(changed)
}

/// Whether every replacement of every pass leaves the names of the file as they were (see
/// [`unchanged::keeps_names`](super::imports::unchanged::keeps_names)).
fn keeps_names(original: &str, history: &[Vec<Replacement>]) -> bool {
    use super::imports::unchanged::keeps_names;
    let mut text = std::borrow::Cow::Borrowed(original);
    for (i, pass) in history.iter().enumerate() {
        if !pass
            .iter()
            .all(|r| keeps_names(&text[r.range.clone()], &r.text))
        {
            return false;
        }
        if i + 1 < history.len() {
            text = std::borrow::Cow::Owned(splice(&text, pass));
        }
    }
    true
}
