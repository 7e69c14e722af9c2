//! The corpus of malformed plans in `tests/fixtures/bad-plans/`: every `NAME.yaml` there has a
//! `NAME.expect` next to it, with lines
//!
//! ```text
//! fragment: <text that must appear in stderr>
//! location: LINE:COL        (or `location: none` when the error cannot have one)
//! ```
//!
//! Both `remedy run` and `remedy check` must refuse the plan with exit code 2, print every fragment
//! and every location (and exactly one error, unless a fragment such as `(3 errors)` says otherwise),
//! and leave the sample repository byte-identical, without a `.remedy/` folder.

use std::fs;
use std::path::{Path, PathBuf};

use crate::harness::*;

/// What a `.expect` file asks for.
struct Expectation {
    fragments: Vec<String>,
    /// `None` for `location: none`.
    locations: Option<Vec<(usize, usize)>>,
}

fn corpus_dir() -> PathBuf {
    workspace().join("tests/fixtures/bad-plans")
}

fn parse_expectation(path: &Path) -> Result<Expectation, String> {
    let text =
        fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut fragments = Vec::new();
    let mut locations = Vec::new();
    let mut none = false;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(f) = line.strip_prefix("fragment: ") {
            fragments.push(f.to_string());
        } else if let Some(l) = line.strip_prefix("location: ") {
            if l.trim() == "none" {
                none = true;
                continue;
            }
            let parsed = l
                .trim()
                .split_once(':')
                .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)));
            match parsed {
                Some(loc) => locations.push(loc),
                None => return Err(format!("{}:{}: bad location `{l}`", path.display(), n + 1)),
            }
        } else {
            return Err(format!(
                "{}:{}: expected `fragment: ...` or `location: ...`, found `{line}`",
                path.display(),
                n + 1
            ));
        }
    }
    if fragments.is_empty() {
        return Err(format!("{}: no `fragment:` line", path.display()));
    }
    match (none, locations.is_empty()) {
        (true, true) => Ok(Expectation {
            fragments,
            locations: None,
        }),
        (false, false) => Ok(Expectation {
            fragments,
            locations: Some(locations),
        }),
        (true, false) => Err(format!(
            "{}: `location: none` next to a location",
            path.display()
        )),
        (false, true) => Err(format!("{}: no `location:` line", path.display())),
    }
}

/// Runs one case and returns what is wrong with it (nothing when it behaves as expected).
fn check_case(plan: &Path) -> Vec<String> {
    let expect_path = plan.with_extension("expect");
    let expected = match parse_expectation(&expect_path) {
        Ok(e) => e,
        Err(e) => return vec![e],
    };
    let plan_text = fs::read_to_string(plan).unwrap();
    let sb = Sandbox::sample();
    sb.write_plan(&plan_text);
    let before = Tree::of(&sb.repo, false);
    let repo = sb.repo.to_str().unwrap();

    let mut problems = Vec::new();
    for verb in ["run", "check"] {
        let run = sb.remedy(&[verb, sb.plan_str(), "--root", repo]);
        let mut wrong = Vec::new();
        if run.code != 2 {
            wrong.push(format!("exit code {} instead of 2", run.code));
        }
        for f in &expected.fragments {
            if !run.stderr.contains(f.as_str()) {
                wrong.push(format!("missing fragment `{f}`"));
            }
        }
        // A plan with one mistake gets one error; a case with several says how many in a fragment.
        let several = expected.fragments.iter().any(|f| f.ends_with(" errors)"));
        if !several && !run.stderr.contains("(1 error)") {
            wrong.push("expected exactly one error".into());
        }
        match &expected.locations {
            Some(locations) => {
                for (line, col) in locations {
                    let at = format!("plan.yaml:{line}:{col}: ");
                    if !run.stderr.contains(&at) {
                        wrong.push(format!("missing location `{at}`"));
                    }
                }
            }
            None => {
                let located = run.stderr.match_indices("plan.yaml:").any(|(i, m)| {
                    run.stderr[i + m.len()..].starts_with(|c: char| c.is_ascii_digit())
                });
                if located || !run.stderr.contains("plan.yaml: ") {
                    wrong.push(
                        "expected the error to name plan.yaml without a line and column".into(),
                    );
                }
            }
        }
        let after = Tree::of(&sb.repo, false);
        if after != before {
            wrong.push(format!(
                "the tree changed: {}",
                before.differences(&after).join(", ")
            ));
        }
        if sb.repo.join(".remedy").exists() {
            wrong.push("`.remedy/` was created".into());
        }
        if !wrong.is_empty() {
            problems.push(format!(
                "`remedy {verb}`: {}\n--- stderr\n{}",
                wrong.join("; "),
                run.stderr.trim_end()
            ));
        }
    }
    problems
}

#[test]
fn every_bad_plan_in_the_corpus_is_refused_with_its_message_and_location_and_changes_nothing() {
    let mut plans: Vec<PathBuf> = fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    plans.sort();
    assert!(
        plans.len() >= 32,
        "the corpus has only {} plans",
        plans.len()
    );

    let mut failures = Vec::new();
    // An `.expect` without its plan is a case that silently stopped running.
    for e in fs::read_dir(corpus_dir()).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|e| e == "expect") && !path.with_extension("yaml").exists()
        {
            failures.push(format!("{}: no plan next to it", path.display()));
        }
    }
    for plan in &plans {
        for problem in check_case(plan) {
            let name = plan.file_name().unwrap().to_string_lossy();
            failures.push(format!("{name}: {problem}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} problem(s) in {} bad plans:\n\n{}",
        failures.len(),
        plans.len(),
        failures.join("\n\n")
    );
}
