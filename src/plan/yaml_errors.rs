//! Plan authors' words for the YAML crate's errors. libyaml and serde describe a problem in their
//! own terms (`did not find expected key`, `invalid type: map, expected struct FilesSpec`) and often
//! at the place they gave up rather than where the fix goes; this module rewrites each kind of
//! message in plain words, moves the location to where the author has to look, and adds a `help`
//! line saying what to write. With `load.rs` it is the only module that sees the YAML crate.

use super::error::{did_you_mean, Diagnostic};
use super::locate::{Location, Locator};

pub(super) const MINIMAL_PLAN_HELP: &str =
    "a plan needs at least `id:` and `phases:`, e.g. `id: my-fix` and `phases: [{ name: report, kind: report }]`";

const SYNTAX_HELP: &str =
    "indent with spaces, line up the keys of one mapping, and quote values that contain `: ` or ` #`";

/// A YAML syntax error, in the words of a plan author, pointing where the fix goes.
pub(super) fn syntax_diagnostic(e: serde_yaml::Error, text: &str) -> Diagnostic {
    let raw = e.to_string();
    if raw.contains("duplicate entry with key") {
        return type_diagnostic(e, text);
    }
    if raw.starts_with("unknown anchor") {
        return undefined_anchor(&e);
    }
    if raw.contains("more than one document") {
        return second_document_diagnostic(text);
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
    let (location, message, help) =
        reword_syntax(problem, &context, context_part.is_some(), at, context_at);
    // A block scalar (`>` or `|`) that is really an unquoted comparison (`expect: >= 1`) fails
    // just after its indicator; the indicator is where the scan began.
    let scalar_start = context
        .contains("block scalar")
        .then_some(context_at)
        .flatten();
    let help = indicator_help(text, scalar_start.or(location), help);
    Diagnostic {
        location,
        path: String::new(),
        message: format!("YAML syntax: {message}"),
        help: Some(help),
    }
}

/// An alias (`*name`) whose anchor is never defined.
fn undefined_anchor(e: &serde_yaml::Error) -> Diagnostic {
    Diagnostic {
        location: e.location().map(|l| Location {
            line: l.line(),
            col: l.column(),
        }),
        path: String::new(),
        message: "YAML syntax: this alias (`*name`) refers to an anchor that is not defined".into(),
        help: Some(
            "define the anchor with `&name` on an earlier value, or write the value out".into(),
        ),
    }
}

/// A file with a second YAML document, located at the `---` line that starts it.
fn second_document_diagnostic(text: &str) -> Diagnostic {
    Diagnostic {
        location: second_document(text),
        path: String::new(),
        message: "the file holds more than one YAML document (a `---` line starts another)"
            .into(),
        help: Some(
            "a plan file holds one plan: remove the `---` line and what follows, or move it to its own file"
                .into(),
        ),
    }
}

/// Where the fix goes, what is wrong and what to do, for libyaml's `problem` raised at `at`;
/// `context` is the construct libyaml was reading (empty when `has_context` is false), which starts
/// at `context_at`. An unclosed quote or bracket is pointed at where it opens, not where the file
/// ends.
fn reword_syntax(
    problem: &str,
    context: &str,
    has_context: bool,
    at: Option<Location>,
    context_at: Option<Location>,
) -> (Option<Location>, String, String) {
    let opened = context_at.or(at);
    if problem.contains("tab character") {
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
        let context = match (has_context, context_at) {
            (true, Some(l)) => format!(
                ", {context} that starts at line {} column {}",
                l.line, l.col
            ),
            (true, None) => format!(", {context}"),
            _ => String::new(),
        };
        (at, format!("{problem}{context}"), SYNTAX_HELP.to_string())
    }
}

/// `help`, or when the value at `location` starts with a YAML indicator (`>= 1`, `*.py`, `@x`),
/// the usual cause of a syntax error there: the value needs quotes.
fn indicator_help(text: &str, location: Option<Location>, help: String) -> String {
    let indicator = location
        .and_then(|l| {
            text.lines()
                .nth(l.line.saturating_sub(1))?
                .chars()
                .nth(l.col.saturating_sub(1))
        })
        .filter(|c| matches!(c, '>' | '|' | '*' | '&' | '!' | '%' | '@' | '`'));
    match indicator {
        Some(c) => format!("a value that starts with `{c}` must be quoted, e.g. `expect: \">= 1\"` or `include: [\"*.py\"]`"),
        None => help,
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
pub(super) fn type_diagnostic(e: serde_yaml::Error, text: &str) -> Diagnostic {
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
    use crate::plan::{load_plan_text, PlanErrors};
    use std::path::Path;

    fn errors(text: &str) -> PlanErrors {
        load_plan_text(Path::new("p.yaml"), "p.yaml".into(), text, None).unwrap_err()
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
    fn unknown_kind_is_named() {
        let e = errors("id: x\nphases:\n  - name: a\n    kind: pacth\n");
        // Read on as a patch phase, the plan has more to say (no `edits`); the kind is named too.
        let d = e
            .diagnostics
            .iter()
            .find(|d| d.path == "phases[0].kind")
            .expect("the kind is reported");
        assert!(
            d.message.contains("unknown variant `pacth`"),
            "{}",
            d.message
        );
        assert_eq!(d.help.as_deref(), Some("did you mean `patch`?"));
        assert_eq!(d.location.map(|l| l.line), Some(4));
    }

    #[test]
    fn yaml_syntax_error_has_location() {
        let e = errors("id: x\nphases:\n  - name: a\n    kind: [validate\n");
        assert!(e.diagnostics[0].location.is_some(), "{:?}", e.diagnostics);
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
}
