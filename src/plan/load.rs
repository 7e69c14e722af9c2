//! Reads a plan file: YAML to `PlanSpec` (the only module that knows the YAML crate), then validation.

use std::io::Read;
use std::path::Path;

use super::error::{did_you_mean, Diagnostic, PlanErrors};
use super::limits;
use super::locate::{Location, Locator};
use super::model::Plan;
use super::spec::PlanSpec;
use super::validate::validate;

/// Loads and validates the plan at `path`. Every problem found is in the error, with its location.
/// With a `root`, paths the plan names are also checked on disk (existence, symlinks out of the root).
pub fn load_plan(path: &Path, root: Option<&Path>) -> Result<Plan, PlanErrors> {
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

/// Loads a plan from text; `display` names it in messages, `source` is recorded in the plan.
pub fn load_plan_text(
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
    if !first.message.starts_with("unknown field") && !first.message.contains(": unknown field") {
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
    prune_unknown_keys(&mut value, &schema, &schema, "", &locator, &mut unknown);
    if unknown.is_empty() {
        return Err(vec![first]);
    }
    match serde_yaml::from_value::<PlanSpec>(value) {
        Ok(spec) => Ok((spec, unknown)),
        Err(_) => Err(unknown),
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
pub fn parse_spec(text: &str) -> Result<PlanSpec, Diagnostic> {
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

const MINIMAL_PLAN_HELP: &str =
    "a plan needs at least `id:` and `phases:`, e.g. `id: my-fix` and `phases: [{ name: report, kind: report }]`";

const SYNTAX_HELP: &str =
    "indent with spaces, line up the keys of one mapping, and quote values that contain `: ` or ` #`";

/// A YAML syntax error, in the words of a plan author, pointing where the fix goes.
fn syntax_diagnostic(e: serde_yaml::Error, text: &str) -> Diagnostic {
    let raw = e.to_string();
    if raw.contains("duplicate entry with key") {
        return type_diagnostic(e, text);
    }
    if raw.starts_with("unknown anchor") {
        return Diagnostic {
            location: e.location().map(|l| Location {
                line: l.line(),
                col: l.column(),
            }),
            path: String::new(),
            message: "YAML syntax: this alias (`*name`) refers to an anchor that is not defined"
                .into(),
            help: Some(
                "define the anchor with `&name` on an earlier value, or write the value out".into(),
            ),
        };
    }
    if raw.contains("more than one document") {
        return Diagnostic {
            location: second_document(text),
            path: String::new(),
            message: "the file holds more than one YAML document (a `---` line starts another)"
                .into(),
            help: Some(
                "a plan file holds one plan: remove the `---` line and what follows, or move it to its own file"
                    .into(),
            ),
        };
    }
    let at = e.location().map(|l| Location {
        line: l.line(),
        col: l.column(),
    });
    let (problem_part, context_part) = match raw.split_once(", while ") {
        Some((p, c)) => (p, Some(format!("while {c}"))),
        None => (raw.as_str(), None),
    };
    let (problem, _) = split_mark(problem_part);
    let (context, context_at) = match &context_part {
        Some(c) => {
            let (text, mark) = split_mark(c);
            (Some(text.to_string()), mark)
        }
        None => (None, None),
    };
    let context = context.unwrap_or_default();
    let opened = context_at.or(at);
    let (location, message, help) = if problem.contains("tab character") {
        (
            at,
            "a tab character is used for indentation".to_string(),
            "indent with spaces: YAML does not allow tabs in indentation".to_string(),
        )
    } else if problem.starts_with("found unexpected end of stream")
        && context.contains("quoted scalar")
    {
        (
            opened,
            "the quoted value that starts here is never closed".to_string(),
            "end the value with the same quote it starts with (`'` or `\"`)".to_string(),
        )
    } else if let Some((open, close)) =
        [("flow sequence", ("[", "]")), ("flow mapping", ("{", "}"))]
            .iter()
            .find(|(what, _)| context.contains(what))
            .map(|(_, brackets)| *brackets)
    {
        let until = at
            .map(|l| format!(" at line {} column {}", l.line, l.col))
            .unwrap_or_default();
        (
            opened,
            format!("the `{open}` that starts here is never closed ({problem}{until})"),
            format!("close it with `{close}`, and separate its items with `,`"),
        )
    } else if problem.starts_with("mapping values are not allowed") {
        (
            at,
            "a `key:` cannot start here: this line reads as the rest of the value above it".to_string(),
            "check the indentation: the keys of one mapping start at the same column; quote a value that contains `: `".to_string(),
        )
    } else if problem.contains("did not find expected key")
        || problem.contains("did not find expected '-' indicator")
    {
        (
            at,
            "this line is not indented like its neighbours".to_string(),
            format!("{SYNTAX_HELP}; list items under a key all start with `- ` at the same column"),
        )
    } else {
        let context = match (&context_part, context_at) {
            (Some(_), Some(l)) => format!(
                ", {context} that starts at line {} column {}",
                l.line, l.col
            ),
            (Some(_), None) => format!(", {context}"),
            _ => String::new(),
        };
        (at, format!("{problem}{context}"), SYNTAX_HELP.to_string())
    };
    // A value that starts with a YAML indicator (`>= 1`, `*.py`, `@x`) is the usual cause.
    let indicator = location
        .and_then(|l| {
            text.lines()
                .nth(l.line.saturating_sub(1))?
                .chars()
                .nth(l.col.saturating_sub(1))
        })
        .filter(|c| matches!(c, '>' | '|' | '*' | '&' | '!' | '%' | '@' | '`'));
    let help = match indicator {
        Some(c) => format!("a value that starts with `{c}` must be quoted, e.g. `expect: \">= 1\"` or `include: [\"*.py\"]`"),
        None => help,
    };
    Diagnostic {
        location,
        path: String::new(),
        message: format!("YAML syntax: {message}"),
        help: Some(help),
    }
}

/// `"problem at line 4 column 1"` → (`"problem"`, 4:1).
fn split_mark(text: &str) -> (&str, Option<Location>) {
    let Some(cut) = text.rfind(" at line ") else {
        return (text, None);
    };
    let mark = text[cut + " at line ".len()..]
        .split_once(" column ")
        .and_then(|(line, col)| {
            Some(Location {
                line: line.trim().parse().ok()?,
                col: col.trim().parse().ok()?,
            })
        });
    match mark {
        Some(mark) => (&text[..cut], Some(mark)),
        None => (text, None),
    }
}

/// Where a second YAML document starts: a `---` line after the first document's content.
fn second_document(text: &str) -> Option<Location> {
    let mut content = false;
    for (i, line) in text.lines().enumerate() {
        let starts_document = line == "---" || line.starts_with("--- ");
        if starts_document && content {
            return Some(Location {
                line: i + 1,
                col: 1,
            });
        }
        let trimmed = line.trim();
        if !starts_document && !trimmed.is_empty() && !trimmed.starts_with('#') {
            content = true;
        }
    }
    None
}

/// A structure or type error found while reading the plan into its serde types.
fn type_diagnostic(e: serde_yaml::Error, text: &str) -> Diagnostic {
    let mut location = e.location().map(|l| Location {
        line: l.line(),
        col: l.column(),
    });
    let mut message = e.to_string();
    if let Some(cut) = message.rfind(" at line ") {
        message.truncate(cut);
    }
    // serde_yaml puts the key path in front: `phases[0].kind: unknown variant ...`.
    let mut path = String::new();
    if let Some((p, rest)) = message.split_once(": ") {
        let is_path = !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'));
        if is_path {
            path = p.to_string();
            message = rest.to_string();
        }
    }
    // serde_yaml's wording for "an enum wanted a plain word" is about YAML tags; say it plainly.
    message = message.replace(
        "expected a YAML tag starting with '!'",
        "expected a plain word",
    );
    let mut help = suggestion(&message);

    if let Some(key) = message
        .strip_prefix("duplicate entry with key \"")
        .and_then(|rest| rest.strip_suffix('"'))
    {
        let key = key.to_string();
        let full = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        let locator = Locator::new(text);
        let first = locator.key(&full);
        if let Some(second) = locator.duplicate_key(&full) {
            location = Some(second);
        }
        message = format!("key `{key}` is written twice in the same mapping");
        help = Some(match first {
            Some(l) => format!(
                "keep one of them; the first `{key}:` is at line {} column {}",
                l.line, l.col
            ),
            None => "keep one of them".into(),
        });
    } else if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        help = Some(missing_field_help(field));
    } else if message.starts_with("invalid type: ") || message.starts_with("invalid value: ") {
        let key = path.rsplit('.').next().unwrap_or("");
        let key = key.split('[').next().unwrap_or(key);
        let (plain, h) = plain_type_words(&message, key);
        message = plain;
        help = h.or(help);
    }
    Diagnostic {
        location,
        path,
        message,
        help,
    }
}

/// What to add for a key that is required and missing.
fn missing_field_help(field: &str) -> String {
    match field {
        "id" => "add `id:` naming the plan, e.g. `id: issue-1184-websocket-await` (letters, digits, `-`, `_`, `.`)".into(),
        "name" => "add `name:`; every phase, check, edit and suite has one".into(),
        "kind" => "add `kind:`, one of validate, backup, patch, pytest, report, command".into(),
        "regex" => "add `regex:` with the pattern to search for, e.g. `regex: 'await\\s+(f\\()'`".into(),
        "replace" => "add `replace:` with the replacement, e.g. `replace: '$1'`; `replace: ''` deletes the match".into(),
        "file" => "add `file:` with the path of the Python file, relative to the root".into(),
        other => format!("add `{other}:`"),
    }
}

/// Rewrites serde's type names (`f64`, `struct FilesSpec`, `sequence`) in plain words, with what to
/// write instead.
fn plain_type_words(message: &str, key: &str) -> (String, Option<String>) {
    const STRUCTS: [(&str, &str, &str); 8] = [
        ("struct PlanSpec", "a plan (a mapping with `id:` and `phases:`)", MINIMAL_PLAN_HELP),
        ("struct FilesSpec", "a mapping with `include:` and/or `exclude:`", "write e.g. `files: { include: [\"**/*.py\"], exclude: [\"tests/**\"] }`"),
        ("struct PhaseSpec", "a phase (a mapping with `name:` and `kind:`)", "write e.g. `- { name: report, kind: report }`"),
        ("struct CheckSpec", "a check (a mapping with `name:` and one of `pattern`, `python_function`, `command`, `file_exists`)", "write e.g. `- { name: has tests, file_exists: tests/__init__.py }`"),
        ("struct EditSpec", "an edit (a mapping with `name:`, `regex:` and `replace:`)", "write e.g. `- { name: drop await, regex: 'await\\s+(f\\()', replace: '$1' }`"),
        ("struct SuiteSpec", "a suite (a mapping with `name:` and `args:`)", "write e.g. `- { name: unit, args: [tests/unit] }`"),
        ("struct CriteriaSpec", "a mapping with `min_pass_rate:`, `no_new_failures:` and/or `must_pass:`", "write e.g. `criteria: { min_pass_rate: 0.95, no_new_failures: true, must_pass: [\"tests/test_api.py::test_login\"] }`"),
        ("struct PythonFunctionSpec", "a mapping with `file:`, `name:` and optionally `async:`", "write e.g. `python_function: { file: app/m.py, name: f, async: false }`"),
    ];
    let mut message = message.to_string();
    let mut help = None;
    for (rust, words, example) in STRUCTS {
        if message.ends_with(&format!("expected {rust}")) {
            message = message.replace(rust, words);
            help = Some(example.to_string());
        }
    }
    for (rust, words) in [
        ("expected f64", "expected a number"),
        ("expected i32", "expected a whole number"),
        ("expected u32", "expected a whole number"),
        ("expected a sequence", "expected a list"),
        ("invalid type: sequence", "invalid type: a list"),
        ("invalid type: map", "invalid type: a mapping"),
        ("invalid type: unit value", "invalid type: an empty value"),
    ] {
        message = message.replace(rust, words);
    }
    if help.is_none() {
        help = if message.ends_with("expected a boolean") {
            Some("write `true` or `false`, without quotes".into())
        } else if message.ends_with("expected a number") {
            Some(match key {
                "timeout" => {
                    "write the number of seconds, without quotes or units, e.g. `timeout: 600`"
                        .into()
                }
                "min_pass_rate" => {
                    "write a fraction between 0 and 1, e.g. `min_pass_rate: 0.95`".into()
                }
                _ => "write a number, without quotes or units".into(),
            })
        } else if message.ends_with("expected a whole number") {
            Some(match key {
                "jobs" => {
                    "write how many suites may run at once, without quotes, e.g. `jobs: 2`".into()
                }
                _ => "write a whole number, without quotes, e.g. `exit_code: 1`".into(),
            })
        } else if message.ends_with("expected a list") {
            Some(match key {
                "args" => "write one item per argument, e.g. `args: [tests/unit, -q]`".into(),
                "argv" | "command" => "write one item per argument, e.g. `[python3, -m, compileall, -q, app]`".into(),
                "phases" => "write one item per phase, e.g. `- { name: preflight, kind: validate, checks: [...] }`".into(),
                _ => "write a list: `[a, b]`, or one `- item` per line".into(),
            })
        } else if message.ends_with("expected a string") {
            Some("write plain text here; quote it if it contains `: `, `#`, `[` or `{`".into())
        } else {
            None
        };
    }
    (message, help)
}

/// A "did you mean" for serde's "unknown field `x`, expected one of `a`, `b`" messages.
fn suggestion(message: &str) -> Option<String> {
    let (word, rest) = ["unknown field `", "unknown variant `"]
        .iter()
        .find_map(|prefix| {
            let start = message.find(prefix)? + prefix.len();
            let end = start + message[start..].find('`')?;
            Some((&message[start..end], &message[end + 1..]))
        })?;
    let candidates: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    match did_you_mean(word, candidates.iter().copied()) {
        Some(best) => Some(format!("did you mean `{best}`?")),
        None if !candidates.is_empty() => Some(format!("valid here: {}", candidates.join(", "))),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn unknown_kind_is_named() {
        let e = errors("id: x\nphases:\n  - name: a\n    kind: pacth\n");
        let d = &e.diagnostics[0];
        assert!(
            d.message.contains("unknown variant `pacth`"),
            "{}",
            d.message
        );
        assert_eq!(d.help.as_deref(), Some("did you mean `patch`?"));
        assert_eq!(d.location.map(|l| l.line), Some(4));
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

    #[test]
    fn yaml_syntax_error_has_location() {
        let e = errors("id: x\nphases:\n  - name: a\n    kind: [validate\n");
        assert!(e.diagnostics[0].location.is_some(), "{:?}", e.diagnostics);
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
    fn unclosed_quotes_and_brackets_point_where_they_open() {
        let d = only("id: x\nphases:\n  - name: 'a\n    kind: report\n");
        assert_eq!(d.location, at(3, 11));
        assert!(d.message.contains("never closed"), "{}", d.message);
        let d = only("id: x\nfiles:\n  include: [a, b\nphases: []\n");
        assert_eq!(d.location, at(3, 12));
        assert!(
            d.message.contains("`[` that starts here is never closed"),
            "{}",
            d.message
        );
        assert!(d.message.contains("at line 4 column 7"), "{}", d.message);
    }

    #[test]
    fn a_tab_in_the_indentation_says_to_use_spaces() {
        let d = only("id: x\nphases:\n  - name: a\n\tkind: report\n");
        assert_eq!(d.location, at(4, 1));
        assert!(d.help.unwrap().contains("spaces"));
    }

    #[test]
    fn a_key_written_twice_points_at_the_second() {
        let d = only("id: x\nphases:\n  - name: a\n    kind: report\n    kind: backup\n");
        assert_eq!(d.location, at(5, 5));
        assert_eq!(d.path, "phases[0]");
        assert!(
            d.message.contains("`kind` is written twice"),
            "{}",
            d.message
        );
        assert!(d.help.unwrap().contains("line 4 column 5"));
    }

    #[test]
    fn a_second_document_is_located() {
        let d = only("# a plan\nid: x\nphases: [{ name: a, kind: report }]\n---\nid: y\n");
        assert_eq!(d.location, at(4, 1));
        assert!(d.message.contains("more than one YAML document"));
    }

    #[test]
    fn types_are_named_in_plain_words() {
        let d = only("id: x\nphases:\n  - { name: a, kind: pytest, timeout: 5 minutes }\n");
        assert_eq!(d.path, "phases[0].timeout");
        assert!(d.message.ends_with("expected a number"), "{}", d.message);
        assert!(d.help.unwrap().contains("seconds"));
        let d = only("id: x\nfiles: '**/*.py'\nphases: [{ name: a, kind: report }]\n");
        assert!(!d.message.contains("struct"), "{}", d.message);
        assert!(d.message.contains("`include:`"), "{}", d.message);
        let d = only("id: x\nphases: a, b\n");
        assert!(d.message.ends_with("expected a list"), "{}", d.message);
        let d = only("id: x\nphases: [{ name: a, kind: pytest, allow_failures: 'yes' }]\n");
        assert_eq!(
            d.help.as_deref(),
            Some("write `true` or `false`, without quotes")
        );
    }

    #[test]
    fn a_missing_key_says_what_to_add() {
        let d = only("id: x\nphases:\n  - name: a\n    kind: patch\n    edits:\n      - { name: e, regex: a }\n");
        assert!(
            d.message.contains("regex edit `e` has no `replace`"),
            "{}",
            d.message
        );
        assert!(d.help.unwrap().starts_with("add `replace:`"));
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
}
