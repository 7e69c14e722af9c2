//! Reads a plan file: YAML to `PlanSpec`, then validation. This is the only module that drives the
//! YAML crate (serde_yaml is no longer maintained upstream, so it stays swappable in one place);
//! `yaml_errors` puts the crate's messages in a plan author's words.

use std::io::Read;
use std::path::Path;

use super::error::{did_you_mean, Diagnostic, PlanErrors};
use super::limits;
use super::locate::Locator;
use super::model::Plan;
use super::spec::{PhaseKind, PlanSpec};
use super::validate::validate;
use super::yaml_errors::{syntax_diagnostic, type_diagnostic, MINIMAL_PLAN_HELP};

/// Loads and validates the plan at `path`. Every problem found is in the error, with its location.
/// With a `root`, paths the plan names are also checked on disk (existence, symlinks out of the root).
pub(crate) fn load_plan(path: &Path, root: Option<&Path>) -> Result<Plan, PlanErrors> {
    let refuse = |diagnostic| PlanErrors::single(path.to_path_buf(), diagnostic, String::new());
    let text = read_at_most(path, limits::MAX_PLAN_BYTES).map_err(|e| {
        refuse(Diagnostic {
            location: None,
            path: String::new(),
            message: format!("cannot read the plan: {e}"),
            help: Some(
                "pass the path of a plan file, e.g. plans/issue-1184-websocket-await.yaml".into(),
            ),
        })
    })?;
    // A file larger than the limit is refused without reading the rest of it; the message gives
    // its size on disk when it has one (a pipe does not).
    let read = text.len() as u64;
    let size = std::fs::metadata(path)
        .ok()
        .filter(|m| m.is_file())
        .map_or(read, |m| m.len().max(read));
    limits::check_size(size).map_err(refuse)?;
    let text = String::from_utf8(text).map_err(|e| {
        PlanErrors::single(
            path.to_path_buf(),
            Diagnostic {
                location: None,
                path: String::new(),
                message: format!(
                    "the plan is not UTF-8 text (invalid byte at offset {})",
                    e.utf8_error().valid_up_to()
                ),
                help: None,
            },
            String::new(),
        )
    })?;
    let source = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    load_plan_text(path, source, &text, root)
}

/// Reads up to `limit + 1` bytes of `path`: enough to tell that it is over the limit.
fn read_at_most(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Reads only the `id` of the plan at `path`, with the same YAML reading the loader uses (quotes,
/// comments, flow mappings), and nothing else: a plan edited since its run so that it no longer
/// validates still names the run. `None` when the file cannot be read, is over the limits, is not
/// YAML or has no `id` string.
pub(crate) fn read_plan_id(path: &Path) -> Option<String> {
    /// The one key read; every other key is skipped unchecked.
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: String,
    }
    let bytes = read_at_most(path, limits::MAX_PLAN_BYTES).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    // The same limits as a full load: the parser recurses, so a hostile file must not reach it.
    limits::check_size(text.len() as u64).ok()?;
    limits::check_shape(&text).ok()?;
    serde_yaml::from_str::<IdOnly>(&text)
        .ok()
        .map(|plan| plan.id)
}

/// A plan's text with its top-level `python:` set to `python`, everything else (comments, layout)
/// kept as written: the key is added after the last line, where a top-level key always parses.
/// `None` when the text is not a plan mapping or already names an interpreter.
pub(crate) fn with_interpreter(text: &str, python: &str) -> Option<String> {
    let value: serde_yaml::Value = serde_yaml::from_str(text).ok()?;
    let map = value.as_mapping()?;
    if map.contains_key("python") {
        return None;
    }
    let quoted = serde_yaml::to_string(python).ok()?;
    let mut out = text.to_string();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&format!("python: {}", quoted.trim_end()));
    out.push('\n');
    // What was written must read back as the same plan with that interpreter.
    let back: serde_yaml::Value = serde_yaml::from_str(&out).ok()?;
    (back.get("python").and_then(|p| p.as_str()) == Some(python)).then_some(out)
}

/// Loads a plan from text; `display` names it in messages, `source` is recorded in the plan.
pub(crate) fn load_plan_text(
    display: &Path,
    source: std::path::PathBuf,
    text: &str,
    root: Option<&Path>,
) -> Result<Plan, PlanErrors> {
    let fail = |diagnostics: Vec<Diagnostic>| PlanErrors {
        file: display.to_path_buf(),
        diagnostics,
        source_text: text.to_string(),
    };
    // The limits come first: both YAML parsers recurse, and what they build grows with the plan.
    limits::check_size(text.len() as u64)
        .and_then(|()| limits::check_shape(text))
        .map_err(|d| fail(vec![d]))?;
    let (spec, mut early) = parse_spec_all(text).map_err(fail)?;
    let locator = Locator::new(text);
    let over = limits::check_counts(&spec);
    if !over.is_empty() {
        return Err(fail(
            over.into_iter()
                .map(|d| Diagnostic {
                    location: locator.key(&d.path),
                    ..d
                })
                .collect(),
        ));
    }
    match validate(&spec, source, &locator, root) {
        Ok(plan) if early.is_empty() => Ok(plan),
        Ok(_) => Err(fail(early)),
        Err(more) => {
            // A key set aside as unknown (`chekcs`) makes its mapping look incomplete ("has no
            // `checks`"); findings about that same mapping would only repeat the first.
            let incomplete = |d: &Diagnostic| early.iter().any(|u| u.path == d.path);
            let more: Vec<Diagnostic> = more.into_iter().filter(|d| !incomplete(d)).collect();
            early.extend(more);
            early.sort_by_key(|d| d.location.map_or((usize::MAX, 0), |l| (l.line, l.col)));
            Err(fail(early))
        }
    }
}

/// Parses the YAML into a `PlanSpec`, reporting every unknown key at once: they are found by
/// walking the document against the plan's JSON Schema, set aside, and the rest is read as usual so
/// that validation can report its own findings too.
fn parse_spec_all(text: &str) -> Result<(PlanSpec, Vec<Diagnostic>), Vec<Diagnostic>> {
    let spec = parse_spec(text);
    let Err(first) = spec else {
        return spec.map(|s| (s, Vec::new())).map_err(|d| vec![d]);
    };
    let is = |what: &str| {
        first.message.starts_with(what) || first.message.contains(&format!(": {what}"))
    };
    if !is("unknown field") && !is("unknown variant") {
        return Err(vec![first]);
    }
    let (Ok(mut value), Ok(schema)) = (
        serde_yaml::from_str::<serde_yaml::Value>(text),
        serde_json::to_value(schemars::schema_for!(PlanSpec)),
    ) else {
        return Err(vec![first]);
    };
    let locator = Locator::new(text);
    let mut unknown = Vec::new();
    recover_unknown_kinds(&mut value, &locator, &mut unknown);
    prune_unknown_keys(&mut value, &schema, &schema, "", &locator, &mut unknown);
    if unknown.is_empty() {
        return Err(vec![first]);
    }
    match serde_yaml::from_value::<PlanSpec>(value) {
        Ok(spec) => Ok((spec, unknown)),
        Err(_) => Err(unknown),
    }
}

/// Reports every phase whose `kind` is not a kind, and reads on as if the kind it most resembles
/// was meant (`pach` as `patch`), so that the rest of the plan is still checked: one typo must
/// not hide every other problem. A kind that resembles none is left as it is, and the plan's
/// reading stops with the problems found so far.
fn recover_unknown_kinds(
    value: &mut serde_yaml::Value,
    locator: &Locator,
    out: &mut Vec<Diagnostic>,
) {
    let Some(phases) = value.get_mut("phases").and_then(|p| p.as_sequence_mut()) else {
        return;
    };
    let names: Vec<&str> = PhaseKind::ALL.iter().map(|k| k.as_str()).collect();
    for (i, phase) in phases.iter_mut().enumerate() {
        let Some(kind) = phase.get_mut("kind") else {
            continue;
        };
        let Some(written) = kind.as_str().map(str::to_string) else {
            continue;
        };
        if names.contains(&written.as_str()) {
            continue;
        }
        let path = format!("phases[{i}].kind");
        let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        let guess = did_you_mean(&written, names.iter().copied());
        out.push(Diagnostic {
            location: locator.value(&path),
            path,
            message: format!(
                "unknown variant `{written}`, expected one of {}",
                quoted.join(", ")
            ),
            help: Some(match guess {
                Some(g) => format!("did you mean `{g}`?"),
                None => format!("valid here: {}", names.join(", ")),
            }),
        });
        if let Some(g) = guess {
            *kind = serde_yaml::Value::String(g.to_string());
        }
    }
}

/// Removes keys the schema does not allow from `value`, with a diagnostic for each.
fn prune_unknown_keys(
    value: &mut serde_yaml::Value,
    schema: &serde_json::Value,
    root: &serde_json::Value,
    path: &str,
    locator: &Locator,
    out: &mut Vec<Diagnostic>,
) {
    let schema = resolve(schema, root);
    match value {
        serde_yaml::Value::Mapping(map) => {
            let Some(props) = schema.get("properties").and_then(|p| p.as_object()) else {
                return;
            };
            let allowed: Vec<&str> = props.keys().map(String::as_str).collect();
            let keys: Vec<serde_yaml::Value> = map.keys().cloned().collect();
            for key in keys {
                let name = key.as_str().unwrap_or("?").to_string();
                let child = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                match props.get(&name) {
                    Some(sub) => {
                        if let Some(v) = map.get_mut(&key) {
                            prune_unknown_keys(v, sub, root, &child, locator, out);
                        }
                    }
                    None if schema.get("additionalProperties")
                        == Some(&serde_json::Value::Bool(false)) =>
                    {
                        let quoted: Vec<String> =
                            allowed.iter().map(|k| format!("`{k}`")).collect();
                        // The same wording serde uses, so messages read alike however they arose.
                        let expected = match quoted.as_slice() {
                            [one] => one.clone(),
                            [a, b] => format!("{a} or {b}"),
                            all => format!("one of {}", all.join(", ")),
                        };
                        let help = match did_you_mean(&name, allowed.iter().copied()) {
                            Some(best) => format!("did you mean `{best}`?"),
                            None => format!("valid here: {}", allowed.join(", ")),
                        };
                        out.push(Diagnostic {
                            location: locator.key(&child),
                            path: path.to_string(),
                            message: format!("unknown field `{name}`, expected {expected}"),
                            help: Some(help),
                        });
                        map.remove(&key);
                    }
                    None => {}
                }
            }
        }
        serde_yaml::Value::Sequence(items) => {
            let Some(item_schema) = schema.get("items") else {
                return;
            };
            for (i, item) in items.iter_mut().enumerate() {
                prune_unknown_keys(
                    item,
                    item_schema,
                    root,
                    &format!("{path}[{i}]"),
                    locator,
                    out,
                );
            }
        }
        _ => {}
    }
}

/// Follows `$ref` and picks the non-null branch of `anyOf` (how optional values are written).
fn resolve<'a>(
    schema: &'a serde_json::Value,
    root: &'a serde_json::Value,
) -> &'a serde_json::Value {
    if let Some(r) = schema.get("$ref").and_then(|r| r.as_str()) {
        let name = r.rsplit('/').next().unwrap_or("");
        if let Some(def) = root.get("$defs").and_then(|d| d.get(name)) {
            return resolve(def, root);
        }
    }
    if let Some(branches) = schema.get("anyOf").and_then(|a| a.as_array()) {
        if let Some(b) = branches
            .iter()
            .find(|b| b.get("type") != Some(&serde_json::Value::String("null".into())))
        {
            return resolve(b, root);
        }
    }
    schema
}

/// Parses the YAML into a `PlanSpec`.
pub(crate) fn parse_spec(text: &str) -> Result<PlanSpec, Diagnostic> {
    if text.trim().is_empty() {
        return Err(Diagnostic {
            location: None,
            path: String::new(),
            message: "the plan is empty".into(),
            help: Some(MINIMAL_PLAN_HELP.into()),
        });
    }
    // Syntax first: serde reads as it goes, so a type error early in the file would otherwise hide
    // a syntax error further down.
    let value =
        serde_yaml::from_str::<serde_yaml::Value>(text).map_err(|e| syntax_diagnostic(e, text))?;
    let found = match &value {
        serde_yaml::Value::Mapping(_) => None,
        serde_yaml::Value::Null => {
            return Err(Diagnostic {
                location: None,
                path: String::new(),
                message: "the plan has no keys: it holds only comments".into(),
                help: Some(MINIMAL_PLAN_HELP.into()),
            })
        }
        serde_yaml::Value::Sequence(_) => Some("a list"),
        serde_yaml::Value::String(_) => Some("a single string"),
        serde_yaml::Value::Number(_) => Some("a single number"),
        serde_yaml::Value::Bool(_) => Some("a single boolean"),
        serde_yaml::Value::Tagged(_) => Some("a tagged value"),
    };
    if let Some(found) = found {
        return Err(Diagnostic {
            location: Locator::new(text).value(""),
            path: String::new(),
            message: format!(
                "a plan is a mapping of keys (`id:`, `title:`, `phases:`, ...), but this file holds {found}"
            ),
            help: Some(format!(
                "{MINIMAL_PLAN_HELP}; a list of phases goes under `phases:`"
            )),
        });
    }
    if let Some((path, tag)) = first_tag(&value, "") {
        return Err(Diagnostic {
            location: Locator::new(text).value(&path),
            path,
            message: format!("YAML reads `{tag}` at the start of this value as a tag, not as text"),
            help: Some(format!(
                "put the value in quotes, e.g. `expect: \"{tag} 0\"`; plans use no YAML tags"
            )),
        });
    }
    serde_yaml::from_str::<PlanSpec>(text).map_err(|e| type_diagnostic(e, text))
}

/// The first tagged value (`!= 0` unquoted reads as the tag `!=`) and its key path.
fn first_tag(value: &serde_yaml::Value, path: &str) -> Option<(String, String)> {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        serde_yaml::Value::Tagged(t) => Some((path.to_string(), t.tag.to_string())),
        serde_yaml::Value::Mapping(m) => m.iter().find_map(|(k, v)| {
            let key = k.as_str().map_or_else(|| "?".to_string(), str::to_string);
            first_tag(v, &join(&key))
        }),
        serde_yaml::Value::Sequence(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| first_tag(v, &format!("{path}[{i}]"))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::locate::Location;

    fn errors(text: &str) -> PlanErrors {
        load_plan_text(Path::new("p.yaml"), "p.yaml".into(), text, None).unwrap_err()
    }

    #[test]
    fn unknown_key_has_location_and_suggestion() {
        let e = errors("id: x\nphases:\n  - name: a\n    kind: validate\n    chekcs: []\n");
        let d = &e.diagnostics[0];
        assert_eq!(d.location, Some(Location { line: 5, col: 5 }));
        assert!(
            d.message.contains("unknown field `chekcs`"),
            "{}",
            d.message
        );
        assert_eq!(d.help.as_deref(), Some("did you mean `checks`?"));
    }

    #[test]
    fn all_semantic_errors_at_once() {
        let text = "id: x\nphases:\n  - name: a\n    kind: patch\n    edits:\n      - name: e\n        regex: 'await\\s+(f\\('\n        replace: '$2'\n  - name: a\n    kind: validate\n    checks: [{ name: c, pattern: x, expect: 'lots' }]\n";
        let e = errors(text);
        let messages: Vec<_> = e
            .diagnostics
            .iter()
            .map(|d| (d.message.clone(), d.location))
            .collect();
        assert!(
            messages
                .iter()
                .any(|(m, l)| m.contains("used twice") && l.map(|l| l.line) == Some(9)),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|(m, l)| m.contains("invalid regex") && l.map(|l| l.line) == Some(7)),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|(m, l)| m.contains("lots") && l.map(|l| l.line) == Some(11)),
            "{messages:?}"
        );
    }

    #[test]
    fn missing_capture_group_is_reported() {
        let e = errors("id: x\nphases:\n  - name: a\n    kind: patch\n    edits:\n      - { name: e, regex: 'a(b)', replace: '$2' }\n");
        assert!(
            e.diagnostics[0].message.contains("`$2`"),
            "{:?}",
            e.diagnostics
        );
    }

    fn only(text: &str) -> Diagnostic {
        let e = errors(text);
        assert_eq!(e.diagnostics.len(), 1, "{:?}", e.diagnostics);
        e.diagnostics[0].clone()
    }

    fn at(line: usize, col: usize) -> Option<Location> {
        Some(Location { line, col })
    }

    #[test]
    fn a_file_of_comments_is_empty_without_a_location() {
        let d = only("# id: x\n# phases: []\n");
        assert_eq!(d.location, None);
        assert!(d.message.contains("only comments"), "{}", d.message);
        assert!(d.help.unwrap().contains("`id:`"));
    }

    #[test]
    fn a_list_at_the_top_is_not_a_plan() {
        let d = only("- name: a\n  kind: report\n");
        assert_eq!(d.location, at(1, 1));
        assert!(d.message.contains("holds a list"), "{}", d.message);
        assert!(!d.message.contains("PlanSpec"), "{}", d.message);
    }

    #[test]
    fn leading_dot_slash_in_globs_is_ignored() {
        let text = "id: x\nphases:\n  - name: v\n    kind: validate\n    files: { include: ['./app/*.py'] }\n    checks: [{ name: c, pattern: x, expect: '0' }]\n";
        let plan = load_plan_text(Path::new("p.yaml"), "p.yaml".into(), text, None).unwrap();
        let crate::plan::PhaseConfig::Validate { checks } = &plan.phases[0].config else {
            panic!("a validate phase");
        };
        let crate::plan::CheckKind::Pattern { selection, .. } = &checks[0].kind else {
            panic!("a pattern check");
        };
        assert!(selection.matches("app/m.py"));
        assert!(!selection.matches("lib/m.py"));
    }

    #[test]
    fn an_interpreter_is_added_without_touching_the_rest() {
        let text =
            "# a plan\nid: x\ndescription: |\n  two\n  lines\nphases: [{ name: r, kind: report }]";
        let out = with_interpreter(text, ".venv/bin/python").unwrap();
        assert!(out.starts_with(text));
        let plan: serde_yaml::Value = serde_yaml::from_str(&out).unwrap();
        assert_eq!(plan["python"].as_str(), Some(".venv/bin/python"));
        assert_eq!(plan["description"].as_str(), Some("two\nlines\n"));
        assert!(
            with_interpreter(&out, "other").is_none(),
            "one is already named"
        );
        assert!(with_interpreter("- a list", "p").is_none());
    }

    #[test]
    fn the_plan_id_is_read_as_yaml_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let read = |text: &str| {
            let path = dir.path().join("p.yaml");
            std::fs::write(&path, text).unwrap();
            read_plan_id(&path)
        };
        assert_eq!(read("id: x # note\nphases: []\n").as_deref(), Some("x"));
        assert_eq!(read("id: \"a b\"\n").as_deref(), Some("a b"));
        assert_eq!(read("title: t\nid: 'it''s'\n").as_deref(), Some("it's"));
        assert_eq!(read("{ id: y, phases: [] }\n").as_deref(), Some("y"));
        // A plan that no longer validates still names its run.
        assert_eq!(
            read("id: z\nphases:\n  - { name: a, kind: pacth, chekcs: 1 }\n").as_deref(),
            Some("z")
        );
        assert_eq!(read("phases: []\n"), None);
        assert_eq!(read("# id: x\n"), None);
        assert_eq!(read_plan_id(&dir.path().join("missing.yaml")), None);
    }
}
