//! Turns a `PlanSpec` into a `Plan`, collecting every problem with its location. Each kind of
//! phase is validated in its own file; the shared compilation steps (regexes, patterns, globs,
//! paths) live on the `Checker`, and `keys` says which keys apply to which kind. This file only
//! runs them in order: plan-wide checks first, then each phase, then checks across phases.

mod backup;
mod checker;
mod checks;
mod command;
mod compile;
mod edits;
mod fingerprint;
mod keys;
mod names;
mod pytest;
mod refactors;
mod report;

use super::error::Diagnostic;
use super::locate::Locator;
use super::model::*;
use super::spec::*;
use checker::Checker;

pub(crate) fn validate(
    spec: &PlanSpec,
    source: std::path::PathBuf,
    locator: &Locator,
    root: Option<&std::path::Path>,
) -> Result<Plan, Vec<Diagnostic>> {
    let mut c = Checker {
        locator,
        diagnostics: Vec::new(),
        warnings: Vec::new(),
        root,
    };

    names::validate_id(&mut c, spec);
    if spec.phases.is_empty() {
        let help = "add at least one phase, e.g. `phases: [{ name: preflight, kind: validate, checks: [...] }]`";
        if c.locator.has_key("phases") {
            c.at_key("phases", "the plan has no phases", Some(help));
        } else {
            c.at_value("", "the plan has no `phases:` key", Some(help));
        }
    }

    pytest::validate_requirements(&mut c, spec);
    let base = c.narrow(&Selection::default(), "files", spec.files.as_ref());

    let mut seen: Vec<(&str, usize)> = Vec::new();
    for (i, p) in spec.phases.iter().enumerate() {
        names::validate_phase_name(&mut c, i, p, &mut seen);
        keys::check_phase_keys(&mut c, &format!("phases[{i}]"), p);
    }

    let mut phases: Vec<Phase> = (0..spec.phases.len())
        .filter_map(|i| validate_phase(&mut c, spec, &base, i))
        .collect();
    pytest::share_selections(&mut c, spec, &mut phases);
    report::check_outputs_unpatched(&mut c, spec, &phases);

    if !c.diagnostics.is_empty() {
        // In file order, so an author can fix them top to bottom; unlocated ones last.
        c.diagnostics
            .sort_by_key(|d| d.location.map_or((usize::MAX, 0), |l| (l.line, l.col)));
        return Err(c.diagnostics);
    }
    c.warnings
        .sort_by_key(|d| d.location.map_or((usize::MAX, 0), |l| (l.line, l.col)));
    Ok(Plan {
        id: spec.id.clone(),
        title: spec.title.clone().unwrap_or_else(|| spec.id.clone()),
        description: spec.description.clone(),
        source,
        phases,
        warnings: c.warnings,
    })
}

/// Validates phase `i` of `spec` by its kind, over the plan's file selection `base`.
fn validate_phase(c: &mut Checker, spec: &PlanSpec, base: &Selection, i: usize) -> Option<Phase> {
    let p = &spec.phases[i];
    let at = format!("phases[{i}]");
    let selection = c.narrow(base, &format!("{at}.files"), p.files.as_ref());
    let config = match p.kind {
        PhaseKind::Validate => checks::validate_checks(c, &at, p, &selection),
        PhaseKind::Patch => edits::validate_edits(c, &at, p, &selection),
        PhaseKind::Backup => backup::validate_backup(c, &at, spec, i),
        PhaseKind::Pytest => pytest::validate_pytest(c, &at, spec, i),
        PhaseKind::Report => report::validate_report(c, &at, spec, p),
        PhaseKind::Command => command::validate_command(c, &at, p),
    }?;
    Some(Phase {
        name: p.name.clone(),
        kind: p.kind,
        description: p.description.clone(),
        fingerprint: fingerprint::fingerprint(spec, p),
        config,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diagnostics(text: &str) -> Vec<Diagnostic> {
        crate::plan::load_plan_text(std::path::Path::new("p.yaml"), "p.yaml".into(), text, None)
            .unwrap_err()
            .diagnostics
    }

    fn only(text: &str) -> Diagnostic {
        let d = diagnostics(text);
        assert_eq!(d.len(), 1, "{d:?}");
        d.into_iter().next().unwrap()
    }

    fn warnings(text: &str) -> Vec<Diagnostic> {
        crate::plan::load_plan_text(std::path::Path::new("p.yaml"), "p.yaml".into(), text, None)
            .unwrap()
            .warnings
    }

    fn patch_plan(edit: &str) -> String {
        format!("id: x\nphases:\n  - name: p\n    kind: patch\n    edits:\n      - {edit}\n")
    }

    #[test]
    fn an_edit_that_can_never_change_anything_is_a_warning() {
        let w = warnings(&patch_plan(
            "{ name: same, python: { pattern: 'f($A, $$$B)', rewrite: 'f( $A,  $$$B )  # same' } }",
        ));
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].path, "phases[0].edits[0].python.rewrite");
        assert!(w[0].message.contains("can never change the code"), "{w:?}");
        assert_eq!(w[0].location.unwrap().line, 6);
        let w = warnings(&patch_plan(
            r"{ name: same, regex: 'a\.b\(', replace: 'a.b(' }",
        ));
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].path, "phases[0].edits[0].replace");
        // Edits that can change something are not warned about.
        for edit in [
            "{ name: e, python: { pattern: 'f($A)', rewrite: 'f(($A))' } }",
            "{ name: e, python: { pattern: 'f($A)', rewrite: 'g($A)' } }",
            "{ name: e, python: { pattern: 'float($$$A)', rewrite: 'float($$$A)' }, symbol: numpy.float }",
            r"{ name: e, regex: 'a.b', replace: 'a.b' }",
            r"{ name: e, regex: '(?i)ab', replace: 'ab' }",
            r"{ name: e, regex: 'ab', replace: 'a$0' }",
        ] {
            assert!(warnings(&patch_plan(edit)).is_empty(), "{edit}");
        }
    }

    #[test]
    fn diagnostics_come_in_file_order() {
        let d = diagnostics(
            "id: x\nphases:\n  - { name: a, kind: validate, checks: [{ name: c, pattern: x, expect: lots }] }\n  - { name: a, kind: report }\n  - { name: b, kind: command, argv: [x], timeout: 0 }\n",
        );
        let lines: Vec<usize> = d.iter().map(|d| d.location.unwrap().line).collect();
        assert_eq!(lines, vec![3, 4, 5], "{d:?}");
        assert!(d[1].message.contains("first at line 3"), "{}", d[1].message);
    }

    #[test]
    fn compare_with_says_why_the_phase_does_not_fit() {
        let later = only("id: x\nphases:\n  - { name: t, kind: pytest, compare_with: b, suites: [{ name: u }] }\n  - { name: b, kind: pytest, suites: [{ name: u }] }\n");
        assert!(
            later.message.contains("runs after this phase"),
            "{}",
            later.message
        );
        let patch = only("id: x\nphases:\n  - { name: p, kind: patch, edits: [{ name: e, regex: a, replace: b }] }\n  - { name: t, kind: pytest, compare_with: p, suites: [{ name: u }] }\n");
        assert!(
            patch.message.contains("is a patch phase"),
            "{}",
            patch.message
        );
        let typo = only("id: x\nphases:\n  - { name: base, kind: pytest, suites: [{ name: u }] }\n  - { name: t, kind: pytest, compare_with: bsae, suites: [{ name: u }] }\n");
        assert!(
            typo.message.contains("not a phase of this plan"),
            "{}",
            typo.message
        );
        assert_eq!(typo.help.as_deref(), Some("did you mean `base`?"));
    }

    #[test]
    fn a_backup_names_only_later_patch_phases() {
        let d = only("id: x\nphases:\n  - { name: r, kind: report }\n  - { name: b, kind: backup, phases: [r] }\n  - { name: p, kind: patch, edits: [{ name: e, regex: a, replace: b }] }\n");
        assert!(d.message.contains("`r` is a report phase"), "{}", d.message);
        assert!(d
            .help
            .unwrap()
            .contains("patch phases after this backup: p"));
        let d = only("id: x\nphases:\n  - { name: p, kind: patch, edits: [{ name: e, regex: a, replace: b }] }\n  - { name: b, kind: backup }\n");
        assert!(d.help.unwrap().contains("before `p`"));
        let d = only("id: x\nphases:\n  - { name: b, kind: backup, phases: [] }\n  - { name: p, kind: patch, edits: [{ name: e, regex: a, replace: b }] }\n");
        assert_eq!(d.path, "phases[0].phases");
    }

    #[test]
    fn a_shell_command_of_several_items_gets_the_joined_line() {
        let d = only("id: x\nphases:\n  - { name: c, kind: command, shell: true, argv: [echo, 'a \"b\"'] }\n");
        assert_eq!(d.path, "phases[0].argv");
        assert_eq!(
            d.help.as_deref(),
            Some("write `argv: [\"echo a \\\"b\\\"\"]`, or remove `shell: true` to run the program without a shell")
        );
    }

    #[test]
    fn a_check_of_two_kinds_points_at_the_second() {
        let d = only("id: x\nphases:\n  - name: v\n    kind: validate\n    checks:\n      - name: c\n        file_exists: a.py\n        command: [true]\n");
        assert_eq!(d.path, "phases[0].checks[0].command");
        assert_eq!(d.location.map(|l| (l.line, l.col)), Some((8, 9)));
        assert!(
            d.message.contains("`file_exists`, `command`"),
            "{}",
            d.message
        );
        let d = only("id: x\nphases:\n  - { name: v, kind: validate, checks: [{ name: c }] }\n");
        assert!(d.message.contains("says nothing to check"), "{}", d.message);
    }

    #[test]
    fn an_empty_argv_is_located_at_argv() {
        let d = only("id: x\nphases:\n  - name: c\n    kind: command\n    argv: []\n");
        assert_eq!(d.path, "phases[0].argv");
        assert_eq!(d.location.map(|l| l.line), Some(5));
    }

    #[test]
    fn a_plan_without_phases_says_which_key_is_missing() {
        let d = only("id: x\n");
        assert!(d.message.contains("no `phases:` key"), "{}", d.message);
        let d = only("id: x\nphases: []\n");
        assert_eq!(d.message, "the plan has no phases");
        assert_eq!(d.location.map(|l| l.line), Some(2));
    }

    #[test]
    fn report_paths_stay_out_of_git_and_other_state_and_apart() {
        let d = only("id: x\nphases:\n  - { name: r, kind: report, json: .git/r.json }\n");
        assert_eq!(d.path, "phases[0].json");
        assert!(d.message.contains("inside `.git/`"), "{}", d.message);
        let d = only("id: x\nphases:\n  - { name: r, kind: report, markdown: .remedy/y/r.md }\n");
        assert!(
            d.message.contains("not in this plan's own state folder"),
            "{}",
            d.message
        );
        let d =
            only("id: x\nphases:\n  - { name: r, kind: report, markdown: a.md, json: ./a.md }\n");
        assert!(
            d.message.contains("both be written to `a.md`"),
            "{}",
            d.message
        );
        assert!(crate::plan::load_plan_text(
            std::path::Path::new("p.yaml"),
            "p.yaml".into(),
            "id: x\nphases:\n  - { name: r, kind: report, markdown: .remedy/x/r.md, json: REPORT.json }\n",
            None,
        )
        .is_ok());
    }

    #[test]
    fn exit_codes_are_between_0_and_255() {
        let d = only("id: x\nphases:\n  - { name: c, kind: command, argv: [x], exit_code: -1 }\n");
        assert_eq!(d.path, "phases[0].exit_code");
        let d = only("id: x\nphases:\n  - { name: v, kind: validate, checks: [{ name: c, command: [x], exit_code: 256 }] }\n");
        assert_eq!(d.path, "phases[0].checks[0].exit_code");
    }

    #[test]
    fn a_command_check_timeout_is_positive_and_only_on_command_checks() {
        for (check, message) in [
            (
                "command: [x], timeout: 0",
                "not a positive number of seconds",
            ),
            (
                "file_exists: a, timeout: 5",
                "only applies to a `command` check",
            ),
        ] {
            let d = only(&format!(
                "id: x\nphases:\n  - {{ name: v, kind: validate, checks: [{{ name: c, {check} }}] }}\n"
            ));
            assert_eq!(d.path, "phases[0].checks[0].timeout");
            assert!(d.message.contains(message), "{}", d.message);
        }
    }

    #[test]
    fn with_a_root_the_cwd_must_be_a_folder() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("app")).unwrap();
        let load = |cwd: &str| {
            crate::plan::load_plan_text(
                std::path::Path::new("p.yaml"),
                "p.yaml".into(),
                &format!(
                    "id: x\nphases:\n  - {{ name: c, kind: command, argv: [ls], cwd: {cwd} }}\n"
                ),
                Some(root.path()),
            )
        };
        assert!(load("app").is_ok());
        let d = load("nowhere").unwrap_err().diagnostics;
        assert!(d[0].message.contains("`nowhere` is not a folder"), "{d:?}");
    }

    #[test]
    fn pytest_keys_are_checked() {
        let plan = crate::plan::load_plan_text(
            std::path::Path::new("p.yaml"),
            "p.yaml".into(),
            "id: x\nrequirements: [\"pytest>=7\"]\nphases:\n  - { name: t, kind: pytest, jobs: 3, workers: auto, suites: [{ name: u }], criteria: { must_pass: [\"tests/*\", \"tests/t.py::f\"] } }\n",
            None,
        )
        .unwrap();
        let PhaseConfig::Pytest(c) = &plan.phases[0].config else {
            panic!("not a pytest phase");
        };
        assert_eq!(c.jobs, Some(3));
        assert_eq!(c.workers, Some(WorkersSpec::Auto));
        assert_eq!(c.requirements, ["pytest>=7"]);
        assert!(c.must_pass[0].matches("tests/unit/test_a.py::TestK::test_b"));
        assert!(c.must_pass[1].matches("tests/t.py::f"));
        assert!(!c.must_pass[1].matches("tests/t.py::g"));

        let d = only("id: x\nphases:\n  - { name: t, kind: command, argv: [x], jobs: 2 }\n");
        assert!(d.message.contains("`jobs` does not apply"), "{}", d.message);
        let d = only("id: x\nrequirements: []\nphases:\n  - { name: t, kind: pytest, suites: [{ name: u }] }\n");
        assert_eq!(d.path, "requirements");
        let d = only("id: x\nrequirements: [pytest]\nphases:\n  - { name: r, kind: report }\n");
        assert!(d.message.contains("no pytest phase"), "{}", d.message);
        let d = only("id: x\nphases:\n  - { name: t, kind: pytest, suites: [{ name: u }], criteria: { must_pass: ['::f'] } }\n");
        assert_eq!(d.path, "phases[0].criteria.must_pass[0]");
    }
}
