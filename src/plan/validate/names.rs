//! The names a plan gives: its id and its phases' names. Both are typed on the command line and
//! become folder names under the state folder, so they are kept to simple, unique words.

use super::super::spec::{PhaseSpec, PlanSpec};
use super::checker::Checker;
use crate::state::STATE_DIR;

const NAME_HELP: &str = "use letters, digits, `-`, `_` and `.`, e.g. `unawait` or `issue-1184`";

/// Checks that the plan id can name the plan's state folder.
pub(super) fn validate_id(c: &mut Checker, spec: &PlanSpec) {
    if !is_simple_name(&spec.id) {
        c.at_value(
            "id",
            format!(
                "{}; the id names the state folder `{STATE_DIR}/<id>/`",
                name_problem("plan id", &spec.id)
            ),
            Some(NAME_HELP),
        );
    }
}

/// Checks the name of phase `i`: simple, and not used by an earlier phase (`seen` holds the names
/// so far with their index).
pub(super) fn validate_phase_name<'s>(
    c: &mut Checker,
    i: usize,
    p: &'s PhaseSpec,
    seen: &mut Vec<(&'s str, usize)>,
) {
    let at = format!("phases[{i}]");
    if !is_simple_name(&p.name) {
        c.at_value(
            &format!("{at}.name"),
            format!(
                "{}; phase names are typed on the command line (`remedy rollback NAME`)",
                name_problem("phase name", &p.name)
            ),
            Some(NAME_HELP),
        );
    } else if let Some((_, first)) = seen.iter().find(|(n, _)| *n == p.name) {
        let first_at = match c.locator.value(&format!("phases[{first}].name")) {
            Some(l) => format!(" (first at line {})", l.line),
            None => String::new(),
        };
        c.at_value(
            &format!("{at}.name"),
            format!("phase name `{}` is used twice{first_at}", p.name),
            Some("phase names must be unique: `resume`, `rollback` and `diff` name phases; rename one"),
        );
    }
    seen.push((&p.name, i));
}

fn is_simple_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Why `s`, a `what` (e.g. "plan id"), is not a simple name: for a name `is_simple_name` refuses.
fn name_problem(what: &str, s: &str) -> String {
    if s.is_empty() {
        return format!("{what} is empty");
    }
    let why = if s.starts_with('.') {
        "starts with `.`".to_string()
    } else {
        name_char_problem(s)
    };
    format!("{what} `{s}` {why}")
}

fn name_char_problem(s: &str) -> String {
    match s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        Some(' ') => "contains a space".into(),
        Some(c) if c.is_whitespace() || c.is_control() => {
            format!("contains the character {:?}", c)
        }
        Some(c) => format!("contains `{c}`"),
        None => "is not a simple name".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_say_which_character_is_wrong() {
        assert_eq!(name_problem("plan id", "a/b"), "plan id `a/b` contains `/`");
        assert_eq!(
            name_problem("phase name", "final report"),
            "phase name `final report` contains a space"
        );
        assert_eq!(name_problem("phase name", ""), "phase name is empty");
        assert_eq!(
            name_problem("plan id", ".x"),
            "plan id `.x` starts with `.`"
        );
    }
}
