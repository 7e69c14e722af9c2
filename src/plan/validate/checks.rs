//! The checks of a validate phase. A check has exactly one kind, given by the key that names it
//! (`pattern`, `python`, `python_function`, `command`, `file_exists`); each kind has its own
//! function here, and keys meant for another kind are reported before the check is compiled.

use super::super::expect::{Expect, EXPECT_HELP};
use super::super::model::*;
use super::super::spec::*;
use super::checker::{exit_code, Checker};
use super::compile::QueryKeys;
use super::keys;

/// How long a validate `command` check may run when the plan gives no `timeout`: long enough for
/// a type checker over a large tree, short enough that a hung check does not hold a run all night.
const DEFAULT_CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// Validates the `checks` of validate phase `p` (at `at`) over the phase's `selection`.
pub(super) fn validate_checks(
    c: &mut Checker,
    at: &str,
    p: &PhaseSpec,
    selection: &Selection,
) -> Option<PhaseConfig> {
    let Some(specs) = &p.checks else {
        c.at_value(
            at,
            format!("validate phase `{}` has no `checks`", p.name),
            Some("add `checks:` with at least one check, e.g. `checks: [{ name: has tests, file_exists: tests/__init__.py }]`"),
        );
        return None;
    };
    if specs.is_empty() {
        c.at_value(
            &format!("{at}.checks"),
            "`checks` is empty",
            Some("add at least one check, e.g. `- { name: has tests, file_exists: tests/__init__.py }`"),
        );
    }
    let before = c.diagnostics.len();
    let mut checks = Vec::new();
    for (j, s) in specs.iter().enumerate() {
        let at = format!("{at}.checks[{j}]");
        if let Some(check) = validate_check(c, &at, s, selection) {
            checks.push(check);
        }
    }
    (c.diagnostics.len() == before).then_some(PhaseConfig::Validate { checks })
}

/// Validates one check, at `at`.
fn validate_check(
    c: &mut Checker,
    at: &str,
    s: &CheckSpec,
    selection: &Selection,
) -> Option<Check> {
    if s.name.trim().is_empty() {
        c.at_value(
            &format!("{at}.name"),
            "the check has an empty name",
            Some("give it a name that says what it does; reports and errors refer to it"),
        );
    }
    let kind = check_kind(c, at, s)?;
    keys::check_check_keys(c, at, s, kind);
    let kind = match kind {
        "python" => python_check(c, at, s, selection),
        "pattern" => pattern_check(c, at, s, selection),
        "python_function" => function_check(c, at, s),
        "command" => command_check(c, at, s),
        _ => file_exists_check(c, at, s),
    }?;
    Some(Check {
        name: s.name.clone(),
        kind,
        counts: s.counts.unwrap_or_default(),
    })
}

/// The kind of check `s`: the one kind key it has. Having none or several is an error, reported
/// at the second kind key as written, since the first is most likely the one meant.
fn check_kind(c: &mut Checker, at: &str, s: &CheckSpec) -> Option<&'static str> {
    let written = keys::written(s);
    let mut present: Vec<&'static str> = keys::check_kinds()
        .into_iter()
        .filter(|key| written.contains_key(*key))
        .collect();
    // In the order they are written, to point at the one that came second.
    present.sort_by_key(|key| {
        c.locator
            .key(&format!("{at}.{key}"))
            .map(|l| (l.line, l.col))
    });
    if let [kind] = present[..] {
        return Some(kind);
    }
    let (message, help) = if present.is_empty() {
        (
            format!("check `{}` says nothing to check", s.name),
            "add one of `pattern` (with `expect`), `python` (with `expect`), `python_function`, `command`, `file_exists`".to_string(),
        )
    } else {
        (
            format!(
                "check `{}` has {} kinds (`{}`); a check has exactly one",
                s.name,
                present.len(),
                present.join("`, `")
            ),
            "split it into one check per kind, each with its own `name`".to_string(),
        )
    };
    let key = present.get(1).map(|k| format!("{at}.{k}"));
    match key {
        Some(key) => c.at_key(&key, message, Some(&help)),
        None => c.at_value(at, message, Some(&help)),
    }
    None
}

/// The `expect` a counting check needs: parsed, or an error where the check is.
fn check_expect(c: &mut Checker, at: &str, s: &CheckSpec, kind: &str) -> Option<Expect> {
    match &s.expect {
        Some(e) => c.expect(&format!("{at}.expect"), e),
        None => {
            c.at_value(
                at,
                format!("{kind} check `{}` has no `expect`", s.name),
                Some(&format!("add `expect:` to the check; {EXPECT_HELP}")),
            );
            None
        }
    }
}

/// A `python` check: a structural pattern counted over the selected Python files.
fn python_check(
    c: &mut Checker,
    at: &str,
    s: &CheckSpec,
    selection: &Selection,
) -> Option<CheckKind> {
    let python = s.python.as_ref()?;
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
    );
    let expect = check_expect(c, at, s, "python");
    let sel = c.narrow(selection, &format!("{at}.files"), s.files.as_ref());
    Some(CheckKind::Structural {
        query: std::sync::Arc::new(query?),
        expect: expect?,
        selection: sel,
    })
}

/// A `pattern` check: a regex counted over the selected files.
fn pattern_check(
    c: &mut Checker,
    at: &str,
    s: &CheckSpec,
    selection: &Selection,
) -> Option<CheckKind> {
    let pattern = s.pattern.as_ref()?;
    let regex = c.regex(&format!("{at}.pattern"), pattern);
    let expect = check_expect(c, at, s, "pattern");
    let sel = c.narrow(selection, &format!("{at}.files"), s.files.as_ref());
    Some(CheckKind::Pattern {
        regex: regex?,
        expect: expect?,
        skip: Skip::from_kinds(s.skip.as_deref().unwrap_or_default()),
        selection: sel,
    })
}

/// A `python_function` check: a function of that name is defined in the file.
fn function_check(c: &mut Checker, at: &str, s: &CheckSpec) -> Option<CheckKind> {
    let f = s.python_function.as_ref()?;
    let file = c.existing_file(&format!("{at}.python_function.file"), &f.file);
    if f.name.is_empty()
        || !f.name.split('.').all(|part| {
            !part.is_empty() && part.chars().all(|ch| ch.is_alphanumeric() || ch == '_')
        })
    {
        c.at_value(
            &format!("{at}.python_function.name"),
            format!("`{}` is not a Python function name", f.name),
            Some("write `name` or `Class.method`"),
        );
    }
    file.map(|file| CheckKind::PythonFunction {
        file,
        name: f.name.clone(),
        is_async: f.is_async,
    })
}

/// A `command` check: the program ends with the expected exit code.
fn command_check(c: &mut Checker, at: &str, s: &CheckSpec) -> Option<CheckKind> {
    let argv = s.command.as_ref()?;
    if argv.is_empty() || argv[0].is_empty() {
        c.at_value(
            &format!("{at}.command"),
            "`command` is empty",
            Some("write the program and its arguments, e.g. [python3, -m, compileall, app]"),
        );
        return None;
    }
    let timeout = c.timeout(&format!("{at}.timeout"), s.timeout);
    Some(CheckKind::Command {
        argv: argv.clone(),
        exit_code: exit_code(c, &format!("{at}.exit_code"), s.exit_code),
        timeout: timeout.unwrap_or(DEFAULT_CHECK_TIMEOUT),
    })
}

/// A `file_exists` check: the path, inside the root, names a file.
fn file_exists_check(c: &mut Checker, at: &str, s: &CheckSpec) -> Option<CheckKind> {
    let text = s.file_exists.as_deref().unwrap_or_default();
    c.rel_path(&format!("{at}.file_exists"), text)
        .map(|path| CheckKind::FileExists { path })
}
