//! The edits of a patch phase. An edit is either a regex with its replacement or a structural
//! Python pattern with its rewrite; each has its own function here, and keys meant for the other
//! kind are reported before the edit is compiled.

use super::super::model::*;
use super::super::spec::*;
use super::checker::Checker;
use super::compile::QueryKeys;
use super::keys;
use crate::edit::imports::spec::ImportSpec;
use crate::edit::structural::Rewrite;

/// Validates the `edits` of patch phase `p` (at `at`) over the phase's `selection`.
pub(super) fn validate_edits(
    c: &mut Checker,
    at: &str,
    p: &PhaseSpec,
    selection: &Selection,
) -> Option<PhaseConfig> {
    let Some(specs) = &p.edits else {
        c.at_value(
            at,
            format!("patch phase `{}` has no `edits`", p.name),
            Some("add `edits:` with at least one edit, e.g. `edits: [{ name: drop await, regex: 'await\\s+(f\\()', replace: '$1' }]`"),
        );
        return None;
    };
    if specs.is_empty() {
        c.at_value(
            &format!("{at}.edits"),
            "`edits` is empty",
            Some("add at least one edit, e.g. `- { name: drop await, regex: 'await\\s+(f\\()', replace: '$1' }`"),
        );
    }
    let before = c.diagnostics.len();
    let mut edits = Vec::new();
    for (j, s) in specs.iter().enumerate() {
        let at = format!("{at}.edits[{j}]");
        if let Some(edit) = validate_edit(c, &at, s, selection) {
            edits.push(edit);
        }
    }
    (c.diagnostics.len() == before).then_some(PhaseConfig::Patch { edits })
}

/// Validates one edit, at `at`.
fn validate_edit(c: &mut Checker, at: &str, s: &EditSpec, selection: &Selection) -> Option<Edit> {
    if s.name.trim().is_empty() {
        c.at_value(
            &format!("{at}.name"),
            "the edit has an empty name",
            Some("give it a name that says what it does; reports and errors refer to it"),
        );
    }
    let expect = s
        .expect
        .as_deref()
        .and_then(|e| c.expect(&format!("{at}.expect"), e));
    let sel = c.narrow(selection, &format!("{at}.files"), s.files.as_ref());
    let written: Vec<&str> = [
        ("regex", s.regex.is_some()),
        ("python", s.python.is_some()),
        ("rename", s.rename.is_some()),
        ("methods", s.methods.is_some()),
    ]
    .into_iter()
    .filter_map(|(key, is_written)| is_written.then_some(key))
    .collect();
    let kind = match written.as_slice() {
        [] => {
            c.at_value(
                at,
                format!("edit `{}` says nothing to change", s.name),
                Some("add `regex` with `replace`, `python: { pattern, rewrite }`, `rename: { from, to }` or `methods: { class, rename }`"),
            );
            None
        }
        [_] if s.regex.is_some() => {
            validate_regex_edit(c, at, s, s.regex.as_deref().unwrap_or_default())
        }
        [_] => match (&s.python, &s.rename, &s.methods) {
            (Some(python), _, _) => validate_python_edit(c, at, s, python),
            (_, Some(renames), _) => super::refactors::validate_rename_edit(c, at, s, renames),
            (_, _, Some(methods)) => super::refactors::validate_methods_edit(c, at, s, methods),
            _ => None,
        },
        [first, second, ..] => {
            c.at_key(
                &format!("{at}.{second}"),
                format!(
                    "edit `{}` has both `{first}` and `{second}`; an edit has one",
                    s.name
                ),
                Some("split it into two edits, each with its own `name`"),
            );
            None
        }
    }?;
    Some(Edit {
        name: s.name.clone(),
        kind,
        selection: sel,
        expect,
        move_annotation_imports: s.annotation_imports == Some(AnnotationImports::TypeChecking),
    })
}

/// A regex edit: `replace` may only use groups the regex has, and the regex must not match the
/// empty string.
fn validate_regex_edit(
    c: &mut Checker,
    at: &str,
    s: &EditSpec,
    regex_text: &str,
) -> Option<EditKind> {
    keys::check_edit_keys(c, at, s, "regex");
    let Some(replace) = &s.replace else {
        c.at_value(
            at,
            format!("regex edit `{}` has no `replace`", s.name),
            Some("add `replace:`; `$1` inserts the first capture group, `''` deletes the match"),
        );
        return None;
    };
    let regex = c.regex(&format!("{at}.regex"), regex_text)?;
    c.replacement(&format!("{at}.replace"), &regex, replace);
    if literal_text(regex_text).is_some_and(|l| l == *replace) && !replace.contains('$') {
        c.warn_at_value(
            &format!("{at}.replace"),
            format!(
                "regex edit `{}` replaces `{replace}` with itself, so it can never change anything",
                s.name
            ),
            "write in `replace` what the matched text should become, or remove the edit",
        );
    }
    if regex.is_match("") {
        c.at_value(
            &format!("{at}.regex"),
            format!(
                "regex `{regex_text}` matches the empty string, so it would edit every position"
            ),
            Some("make the regex require at least one character"),
        );
    }
    Some(EditKind::Regex {
        regex,
        replace: replace.clone(),
        skip: Skip::from_kinds(s.skip.as_deref().unwrap_or_default()),
    })
}

/// A structural edit: the pattern and its rewrite must both parse, and the rewrite may only use
/// the pattern's metavariables.
fn validate_python_edit(
    c: &mut Checker,
    at: &str,
    s: &EditSpec,
    python: &PythonEditSpec,
) -> Option<EditKind> {
    keys::check_edit_keys(c, at, s, "python");
    let query = c.query(
        at,
        &python.pattern,
        QueryKeys {
            symbol: s.symbol.as_deref(),
            inside: s.inside.as_ref(),
            not_inside: s.not_inside.as_ref(),
            unless_comment: s.unless_comment.as_deref(),
            in_class: s.in_class.as_ref(),
            unresolved: s.unresolved,
        },
    )?;
    let imports = validate_imports(c, at, s);
    match Rewrite::compile(&python.rewrite, &query.pattern) {
        Ok(rewrite) => {
            // With a symbol, such a rewrite still writes the symbol's bare name for the reference.
            if query.pattern.symbol().is_none() && query.pattern.is_same_tree(&python.rewrite) {
                c.warn_at_value(
                    &format!("{at}.python.rewrite"),
                    format!("the rewrite of edit `{}` is the same code as its pattern, so it can never change the code", s.name),
                    "write in `rewrite` what the matched code should become, or remove the edit",
                );
            }
            Some(EditKind::Python {
                query: std::sync::Arc::new(query),
                rewrite: std::sync::Arc::new(rewrite),
                imports: std::sync::Arc::new(imports?),
            })
        }
        Err(message) => {
            c.at_value(
                &format!("{at}.python.rewrite"),
                message,
                Some("the rewrite is Python code that may use the pattern's metavariables, e.g. `get_websocket_manager($$$ARGS)`"),
            );
            None
        }
    }
}

/// The `imports` of a python edit, each one Python import statement.
fn validate_imports(c: &mut Checker, at: &str, s: &EditSpec) -> Option<Vec<ImportSpec>> {
    let mut out = Vec::new();
    let mut ok = true;
    for (i, text) in s.imports.iter().flatten().enumerate() {
        match ImportSpec::parse(text) {
            Ok(spec) => out.push(spec),
            Err(e) => {
                ok = false;
                c.at_value(
                    &format!("{at}.imports[{i}]"),
                    e.to_string(),
                    Some("write one import statement, e.g. `from datetime import timezone` or `import collections.abc`"),
                );
            }
        }
    }
    ok.then_some(out)
}

/// The text a regex matches when it is a plain literal (no class, repetition, group or flag that
/// changes what it matches), with its escapes resolved.
fn literal_text(regex: &str) -> Option<String> {
    let hir = regex_syntax::Parser::new().parse(regex).ok()?;
    match hir.kind() {
        regex_syntax::hir::HirKind::Literal(regex_syntax::hir::Literal(bytes)) => {
            String::from_utf8(bytes.to_vec()).ok()
        }
        _ => None,
    }
}
