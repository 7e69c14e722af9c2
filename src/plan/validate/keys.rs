//! Which optional keys apply to which kind of phase, check and edit. The spec structs are flat
//! (see `spec.rs`), so serde accepts every key on every phase, check and edit; this one table is
//! what says where each key belongs, so the "does not apply" messages, the lists of what a kind
//! takes and the kinds a check can have are all read from the same place and cannot drift apart.

use serde::Serialize;

use super::super::spec::{CheckSpec, EditSpec, PhaseKind, PhaseSpec};
use super::checker::Checker;

/// What a key can belong to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Phase(PhaseKind),
    /// A check, named by the key that makes it that kind of check (`pattern`, `command`, ...).
    Check(&'static str),
    /// An edit, named by the key that makes it that kind of edit (`regex`, `python`, `rename` or
    /// `methods`).
    Edit(&'static str),
}

/// The optional keys each kind takes, beyond the ones all of its family share (`name`, `kind` and
/// `description` of a phase; `name` of a check; `name`, `files` and `expect` of an edit). A
/// phase's keys are listed in the order its help shows them. The check rows are the kinds of check,
/// in the order messages name them; a key several check kinds take names them in row order.
const KEYS: &[(Kind, &[&str])] = &[
    (Kind::Phase(PhaseKind::Validate), &["files", "checks"]),
    (Kind::Phase(PhaseKind::Patch), &["files", "edits"]),
    (Kind::Phase(PhaseKind::Backup), &["phases"]),
    (
        Kind::Phase(PhaseKind::Pytest),
        &[
            "suites",
            "allow_failures",
            "criteria",
            "compare_with",
            "python",
            "timeout",
            "jobs",
            "workers",
        ],
    ),
    (
        Kind::Phase(PhaseKind::Command),
        &["argv", "shell", "cwd", "exit_code", "timeout"],
    ),
    (Kind::Phase(PhaseKind::Report), &["markdown", "json"]),
    (
        Kind::Check("pattern"),
        &["expect", "counts", "skip", "files"],
    ),
    (
        Kind::Check("python"),
        &[
            "symbol",
            "inside",
            "not_inside",
            "unless_comment",
            "in_class",
            "unresolved",
            "expect",
            "counts",
            "files",
        ],
    ),
    (Kind::Check("python_function"), &[]),
    (Kind::Check("command"), &["exit_code", "timeout"]),
    (Kind::Check("file_exists"), &[]),
    (Kind::Edit("regex"), &["replace", "skip"]),
    (
        Kind::Edit("python"),
        &[
            "symbol",
            "inside",
            "not_inside",
            "unless_comment",
            "in_class",
            "unresolved",
            "imports",
            "annotation_imports",
        ],
    ),
    (Kind::Edit("rename"), &["annotation_imports"]),
    (Kind::Edit("methods"), &[]),
];

/// The keys `kind` takes.
fn keys_of(kind: Kind) -> &'static [&'static str] {
    KEYS.iter()
        .find(|(k, _)| *k == kind)
        .map_or(&[], |(_, keys)| *keys)
}

/// Every key some kind of one family takes, once each, in table order.
fn family_keys(is_family: fn(Kind) -> bool) -> Vec<&'static str> {
    let mut all: Vec<&'static str> = Vec::new();
    for (_, keys) in KEYS.iter().filter(|(k, _)| is_family(*k)) {
        for key in *keys {
            if !all.contains(key) {
                all.push(key);
            }
        }
    }
    all
}

/// The kinds of `family` that take `key`, in table order.
fn owners_of(key: &str, is_family: fn(Kind) -> bool) -> Vec<Kind> {
    KEYS.iter()
        .filter(|(k, keys)| is_family(*k) && keys.contains(&key))
        .map(|(k, _)| *k)
        .collect()
}

/// The keys written in `spec`: every optional field is skipped when absent, so the serialized
/// mapping holds exactly the keys the author wrote, under the names the author wrote them.
pub(super) fn written(spec: &impl Serialize) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::to_value(spec) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}

fn is_phase(kind: Kind) -> bool {
    matches!(kind, Kind::Phase(_))
}

fn is_check(kind: Kind) -> bool {
    matches!(kind, Kind::Check(_))
}

fn is_edit(kind: Kind) -> bool {
    matches!(kind, Kind::Edit(_))
}

/// The kinds a check can have, each named by the key that gives it.
pub(super) fn check_kinds() -> Vec<&'static str> {
    KEYS.iter()
        .filter_map(|(k, _)| match k {
            Kind::Check(name) => Some(*name),
            _ => None,
        })
        .collect()
}

/// Reports each key of phase `p` (at `at`) that its kind does not take.
pub(super) fn check_phase_keys(c: &mut Checker, at: &str, p: &PhaseSpec) {
    let allowed = keys_of(Kind::Phase(p.kind));
    let written = written(p);
    for key in family_keys(is_phase) {
        if written.contains_key(key) && !allowed.contains(&key) {
            c.at_key(
                &format!("{at}.{key}"),
                format!("key `{key}` does not apply to a `{}` phase", p.kind),
                Some(&format!(
                    "a `{}` phase takes: name, kind, description, {}",
                    p.kind,
                    allowed.join(", ")
                )),
            );
        }
    }
}

/// Reports each key of check `s` (at `at`), a `kind` check, that belongs to other kinds of check.
pub(super) fn check_check_keys(c: &mut Checker, at: &str, s: &CheckSpec, kind: &'static str) {
    let allowed = keys_of(Kind::Check(kind));
    let written = written(s);
    for key in family_keys(is_check) {
        if !written.contains_key(key) || allowed.contains(&key) {
            continue;
        }
        let owner = owners_of(key, is_check)
            .into_iter()
            .filter_map(|k| match k {
                Kind::Check(name) => Some(name),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("` or `");
        c.at_key(
            &format!("{at}.{key}"),
            format!("key `{key}` only applies to a `{owner}` check"),
            Some(&format!(
                "remove `{key}` here, or make this a `{owner}` check"
            )),
        );
    }
}

/// Reports each key of edit `s` (at `at`), a `kind` edit, that belongs to the other kind of edit.
pub(super) fn check_edit_keys(c: &mut Checker, at: &str, s: &EditSpec, kind: &'static str) {
    let allowed = keys_of(Kind::Edit(kind));
    let written = written(s);
    for key in family_keys(is_edit) {
        if !written.contains_key(key) || allowed.contains(&key) {
            continue;
        }
        let Some(Kind::Edit(owner)) = owners_of(key, is_edit).first().copied() else {
            continue;
        };
        let help = match key {
            "skip" => "remove it: a structural pattern never matches inside strings or comments",
            "replace" => "write the replacement as `python.rewrite`",
            _ => "write the edit as `python: { pattern, rewrite }` to use it",
        };
        c.at_key(
            &format!("{at}.{key}"),
            format!("key `{key}` applies to a `{owner}` edit, not a `{kind}` one"),
            Some(help),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phase_kind_has_a_row() {
        for kind in PhaseKind::ALL {
            assert!(KEYS.iter().any(|(k, _)| *k == Kind::Phase(kind)), "{kind}");
        }
    }

    #[test]
    fn every_key_in_the_table_is_a_field_of_its_spec() {
        fn fields<T: schemars::JsonSchema>() -> serde_json::Value {
            serde_json::to_value(schemars::schema_for!(T)).unwrap()["properties"].clone()
        }
        let families = [
            (is_phase as fn(Kind) -> bool, fields::<PhaseSpec>()),
            (is_check, fields::<CheckSpec>()),
            (is_edit, fields::<EditSpec>()),
        ];
        for (is_family, fields) in families {
            for key in family_keys(is_family) {
                assert!(fields.get(key).is_some(), "{key}");
            }
        }
        for kind in check_kinds() {
            assert!(fields::<CheckSpec>().get(kind).is_some(), "{kind}");
        }
    }

    #[test]
    fn keys_of_several_check_kinds_name_them_all() {
        let owners: Vec<Kind> = owners_of("expect", is_check);
        assert!(owners == [Kind::Check("pattern"), Kind::Check("python")]);
        assert_eq!(
            check_kinds(),
            [
                "pattern",
                "python",
                "python_function",
                "command",
                "file_exists"
            ]
        );
    }

    fn stray(item: &str) -> (String, String, String) {
        let text = format!("id: x\nphases:\n  - {item}\n");
        let d = crate::plan::load_plan_text(
            std::path::Path::new("p.yaml"),
            "p.yaml".into(),
            &text,
            None,
        )
        .unwrap_err()
        .diagnostics;
        assert_eq!(d.len(), 1, "{d:?}");
        let d = d.into_iter().next().unwrap();
        (d.path, d.message, d.help.unwrap_or_default())
    }

    #[test]
    fn keys_of_another_kind_are_named_with_what_they_belong_to() {
        let (path, message, help) = stray(
            "{ name: v, kind: validate, checks: [{ name: c, file_exists: a, expect: '1' }] }",
        );
        assert_eq!(path, "phases[0].checks[0].expect");
        assert_eq!(
            message,
            "key `expect` only applies to a `pattern` or `python` check"
        );
        assert_eq!(
            help,
            "remove `expect` here, or make this a `pattern` or `python` check"
        );
        let (path, message, help) = stray(
            "{ name: p, kind: patch, edits: [{ name: e, regex: a, replace: b, symbol: m.f }] }",
        );
        assert_eq!(path, "phases[0].edits[0].symbol");
        assert_eq!(
            message,
            "key `symbol` applies to a `python` edit, not a `regex` one"
        );
        assert_eq!(
            help,
            "write the edit as `python: { pattern, rewrite }` to use it"
        );
        let (_, message, help) = stray("{ name: p, kind: patch, edits: [{ name: e, python: { pattern: f(), rewrite: g() }, skip: [strings] }] }");
        assert_eq!(
            message,
            "key `skip` applies to a `regex` edit, not a `python` one"
        );
        assert_eq!(
            help,
            "remove it: a structural pattern never matches inside strings or comments"
        );
        let (_, _, help) = stray("{ name: p, kind: patch, edits: [{ name: e, python: { pattern: f(), rewrite: g() }, replace: x }] }");
        assert_eq!(help, "write the replacement as `python.rewrite`");
        let (path, message, help) = stray("{ name: r, kind: report, jobs: 2 }");
        assert_eq!(path, "phases[0].jobs");
        assert_eq!(message, "key `jobs` does not apply to a `report` phase");
        assert_eq!(
            help,
            "a `report` phase takes: name, kind, description, markdown, json"
        );
    }
}
