//! Reads a plan file: YAML to `PlanSpec` (the only module that knows the YAML crate), then validation.

use std::path::Path;

use super::error::{did_you_mean, Diagnostic, PlanErrors};
use super::locate::{Location, Locator};
use super::model::Plan;
use super::spec::PlanSpec;
use super::validate::validate;

/// Loads and validates the plan at `path`. Every problem found is in the error, with its location.
/// With a `root`, paths the plan names are also checked on disk (existence, symlinks out of the root).
pub fn load_plan(path: &Path, root: Option<&Path>) -> Result<Plan, PlanErrors> {
    let text = std::fs::read(path).map_err(|e| {
        PlanErrors::single(
            path.to_path_buf(),
            Diagnostic {
                location: None,
                path: String::new(),
                message: format!("cannot read the plan: {e}"),
                help: Some(
                    "pass the path of a plan file, e.g. plans/issue-1184-websocket-await.yaml"
                        .into(),
                ),
            },
            String::new(),
        )
    })?;
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
    let spec = parse_spec(text).map_err(|d| fail(vec![d]))?;
    let locator = Locator::new(text);
    validate(&spec, source, &locator, root).map_err(fail)
}

/// Parses the YAML into a `PlanSpec`.
pub fn parse_spec(text: &str) -> Result<PlanSpec, Diagnostic> {
    if text.trim().is_empty() {
        return Err(Diagnostic {
            location: None,
            path: String::new(),
            message: "the plan is empty".into(),
            help: Some(
                "a plan needs at least `id:` and `phases:`; see docs/plan-reference.md".into(),
            ),
        });
    }
    // Syntax first: serde reads as it goes, so a type error early in the file would otherwise hide
    // a syntax error further down.
    serde_yaml::from_str::<serde_yaml::Value>(text)
        .map_err(diagnostic)
        .and_then(|_| serde_yaml::from_str::<PlanSpec>(text).map_err(diagnostic))
}

fn diagnostic(e: serde_yaml::Error) -> Diagnostic {
    {
        let location = e.location().map(|l| Location {
            line: l.line(),
            col: l.column(),
        });
        let mut message = e.to_string();
        if let Some(cut) = message.rfind(" at line ") {
            message.truncate(cut);
        }
        // serde_yaml's wording for "an enum wanted a plain word" is about YAML tags; say it plainly.
        message = message.replace("expected a YAML tag starting with '!'", "expected a plain word");
        let help = suggestion(&message);
        Diagnostic {
            location,
            path: String::new(),
            message,
            help,
        }
    }
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
}
