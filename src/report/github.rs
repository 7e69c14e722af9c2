//! A run as GitHub Actions annotations: every failed check, unmet criterion and regressed test as
//! an `::error` workflow command (on its file and line where the record knows them), and every
//! site left alone on purpose as a `::notice`, so a remediation's pull request shows them inline.

use crate::state::checkpoint::{Checkpoint, Outcome, PhaseStatus};

/// The annotations of a run, one per line; nothing for a run with nothing to say.
pub(crate) fn render(cp: &Checkpoint) -> String {
    let mut out = String::new();
    for p in cp
        .phases
        .iter()
        .filter(|p| p.status != PhaseStatus::RolledBack)
    {
        match &p.outcome {
            Some(Outcome::Validate(v)) => {
                for c in v.checks.iter().filter(|c| !c.passed) {
                    let title = format!("{}: {}", p.name, c.name);
                    let message = format!("expected {}, found {}", c.expected, c.actual);
                    let located: Vec<(&str, &str)> = c
                        .details
                        .iter()
                        .filter_map(|d| d.rsplit_once(':'))
                        .collect();
                    if located.is_empty() {
                        out.push_str(&annotation("error", None, &title, &message));
                    }
                    for (file, line) in located {
                        out.push_str(&annotation("error", Some((file, line)), &title, &message));
                    }
                }
            }
            Some(Outcome::Pytest(o)) => {
                for c in o.criteria.iter().filter(|c| !c.held) {
                    let message = format!("expected {}, got {}", c.expected, c.actual);
                    out.push_str(&annotation(
                        "error",
                        None,
                        &format!("{}: {}", p.name, c.name),
                        &message,
                    ));
                }
                for test in o.comparison.iter().flat_map(|c| &c.regressed) {
                    let file = test.split("::").next().unwrap_or(test);
                    out.push_str(&annotation(
                        "error",
                        Some((file, "1")),
                        &format!("{}: regressed", p.name),
                        &format!("{test} passed in the baseline and fails now"),
                    ));
                }
            }
            Some(Outcome::Patch(o)) => {
                for l in &o.left_alone {
                    let line = l.line.to_string();
                    out.push_str(&annotation(
                        "notice",
                        Some((l.path.as_str(), &line)),
                        &format!("{}: left alone", p.name),
                        &format!("`{}` did not change this site: {}", l.edit, l.reason),
                    ));
                }
                for u in &o.unresolved {
                    let line = u.line.to_string();
                    out.push_str(&annotation(
                        "warning",
                        Some((u.path.as_str(), &line)),
                        &format!("{}: unresolved name", p.name),
                        &format!(
                            "`{}` matches here, but the name is {} ({})",
                            u.edit, u.reason, u.action
                        ),
                    ));
                }
            }
            _ => {}
        }
        if matches!(p.status, PhaseStatus::Failed | PhaseStatus::Interrupted) {
            if let Some(error) = &p.error {
                out.push_str(&annotation(
                    "error",
                    None,
                    &format!("phase {} {}", p.name, p.status.as_str()),
                    error,
                ));
            }
        }
    }
    out
}

/// One workflow command line.
pub(crate) fn annotation(
    level: &str,
    at: Option<(&str, &str)>,
    title: &str,
    message: &str,
) -> String {
    let mut props = Vec::new();
    if let Some((file, line)) = at {
        props.push(format!("file={}", property(file)));
        props.push(format!("line={}", property(line)));
    }
    props.push(format!("title={}", property(title)));
    format!("::{level} {}::{}\n", props.join(","), data(message))
}

/// Escapes a workflow command's message, as GitHub's toolkit does.
pub(crate) fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value.
pub(crate) fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_escape_what_the_workflow_syntax_reserves() {
        assert_eq!(data("50% of\nlines"), "50%25 of%0Alines");
        assert_eq!(property("a,b:c.yaml"), "a%2Cb%3Ac.yaml");
        assert_eq!(
            annotation(
                "error",
                Some(("app/m.py", "3")),
                "post: none left",
                "expected == 0"
            ),
            "::error file=app/m.py,line=3,title=post%3A none left::expected == 0\n"
        );
    }
}
