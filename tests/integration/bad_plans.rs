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
    check_refused(&fs::read_to_string(plan).unwrap(), &expected)
}

/// Runs `remedy run` and `remedy check` on a plan made of `plan_text` over a copy of the sample,
/// and returns what is wrong with how they refuse it.
fn check_refused(plan_text: &str, expected: &Expectation) -> Vec<String> {
    let sb = Sandbox::sample();
    sb.write_plan(plan_text);
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

/// A valid plan with `edits` regex edits in one patch phase.
fn plan_with_edits(edits: usize) -> String {
    let mut text = String::from("id: many\nphases:\n  - name: p\n    kind: patch\n    edits:\n");
    for i in 0..edits {
        text.push_str(&format!(
            "      - {{ name: e{i}, regex: 'foo{i}', replace: 'bar{i}' }}\n"
        ));
    }
    text
}

fn nested(open: &str, close: &str, depth: usize) -> String {
    format!(
        "id: deep\nphases: {}{}\n",
        open.repeat(depth),
        close.repeat(depth)
    )
}

/// Plans too large to commit as fixtures: each over one of the limits on plans, which must be
/// refused up front (a 50 MB plan of a million edits took gigabytes of memory to read, and YAML
/// nested 100,000 levels deep minutes to refuse).
#[test]
fn plans_over_the_size_depth_and_count_limits_are_refused_up_front() {
    let expect = |fragment: &str, location: Option<(usize, usize)>| Expectation {
        fragments: vec![fragment.to_string()],
        locations: location.map(|l| vec![l]),
    };
    let mut oversized = plan_with_edits(1);
    oversized.push_str(&"#".repeat(4 * 1024 * 1024 + 1 - oversized.len()));
    let cases = [
        (
            "a plan one byte over 4 MiB",
            oversized,
            expect(
                "plan.yaml: the plan is 4,194,305 bytes, more than the limit of 4,194,304 bytes (4 MiB)",
                None,
            ),
        ),
        (
            "100,000 nested flow lists",
            nested("[", "]", 100_000),
            expect(
                "the YAML nests deeper than the limit of 64 levels",
                Some((2, 264)),
            ),
        ),
        (
            "100,000 nested flow mappings",
            nested("{a: ", "}", 100_000),
            expect(
                "the YAML nests deeper than the limit of 64 levels: the value that starts here is at level 65",
                Some((2, 261)),
            ),
        ),
        (
            "100,000 nested block lists",
            format!("id: deep\nphases:\n{}x\n", "- ".repeat(100_000)),
            expect(
                "the YAML nests deeper than the limit of 64 levels: the value that starts here is at level 65",
                Some((3, 127)),
            ),
        ),
        (
            "one edit over the limit",
            plan_with_edits(10_001),
            expect(
                "phases[0].edits: the plan has 10,001 edits, more than the limit of 10,000",
                Some((5, 5)),
            ),
        ),
        (
            "300,000 values",
            format!(
                "id: many\nfiles:\n  include: [{}a]\nphases: [{{ name: r, kind: report }}]\n",
                "a,".repeat(300_000)
            ),
            expect(
                "the plan holds 300,015 YAML values (keys, scalars, lists, mappings), more than the limit of 250,000",
                None,
            ),
        ),
    ];
    let mut failures = Vec::new();
    for (name, text, expected) in &cases {
        for problem in check_refused(text, expected) {
            failures.push(format!("{name}: {problem}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
