//! Pytest phases: suites, pass criteria, the baseline a run is compared with, and how many suites
//! and workers run at once. `requirements` and `criteria.must_pass` are checked here too, since
//! only pytest phases use them.

use globset::GlobBuilder;

use super::super::error::did_you_mean;
use super::super::model::*;
use super::super::spec::*;
use super::checker::Checker;

/// Validates pytest phase `index` of `spec` (at `at`).
pub(super) fn validate_pytest(
    c: &mut Checker,
    at: &str,
    spec: &PlanSpec,
    index: usize,
) -> Option<PhaseConfig> {
    let p = &spec.phases[index];
    let before = c.diagnostics.len();
    let suites = validate_suites(c, at, p);
    let criteria = p.criteria.clone().unwrap_or_default();
    if let Some(rate) = criteria.min_pass_rate {
        if !(0.0..=1.0).contains(&rate) {
            c.at_value(
                &format!("{at}.criteria.min_pass_rate"),
                format!("min_pass_rate {rate} is not between 0 and 1"),
                Some("write a fraction, e.g. 0.95 for 95%"),
            );
        }
    }
    if let Some(other) = &p.compare_with {
        validate_compare_with(c, at, spec, index, other);
    }
    let jobs = match p.jobs {
        Some(0) => {
            c.at_value(
                &format!("{at}.jobs"),
                "`jobs: 0` would run no suite",
                Some("write how many suites may run at the same time, e.g. `jobs: 2`, or remove `jobs` to run one per CPU"),
            );
            None
        }
        Some(n) => Some(n as usize),
        None => None,
    };
    if p.workers == Some(WorkersSpec::Count(0)) {
        c.at_value(
            &format!("{at}.workers"),
            "`workers: 0` asks pytest-xdist for no workers",
            Some("write `workers: auto` (one per CPU) or a number from 1, or remove `workers` to run each suite in one process"),
        );
    }
    let must_pass = validate_must_pass(c, at, criteria.must_pass.as_deref());
    if criteria.no_new_failures == Some(true) && p.compare_with.is_none() {
        c.at_value(
            &format!("{at}.criteria.no_new_failures"),
            "`no_new_failures` needs `compare_with` naming the baseline phase",
            Some("add `compare_with: NAME` naming an earlier pytest phase (a baseline run with `allow_failures: true`), or remove `no_new_failures`"),
        );
    }
    (c.diagnostics.len() == before).then(|| {
        PhaseConfig::Pytest(PytestConfig {
            suites,
            allow_failures: p.allow_failures.unwrap_or(false),
            min_pass_rate: criteria.min_pass_rate,
            no_new_failures: criteria.no_new_failures.unwrap_or(false),
            compare_with: p.compare_with.clone(),
            python: p.python.clone().or_else(|| spec.python.clone()),
            requirements: spec.requirements.clone().unwrap_or_default(),
            jobs,
            workers: p.workers,
            must_pass,
        })
    })
}

/// Validates the suites of pytest phase `p` (at `at`); a suite without its own `timeout` takes
/// the phase's.
fn validate_suites(c: &mut Checker, at: &str, p: &PhaseSpec) -> Vec<Suite> {
    let suites_spec = p.suites.clone().unwrap_or_default();
    if suites_spec.is_empty() {
        c.at_value(
            at,
            format!("pytest phase `{}` has no `suites`", p.name),
            Some("add `suites: [{ name: unit, args: [tests/unit] }]`"),
        );
    }
    let phase_timeout = c.timeout(&format!("{at}.timeout"), p.timeout);
    let mut suites = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for (j, s) in suites_spec.iter().enumerate() {
        if names.contains(&s.name.as_str()) {
            c.at_value(
                &format!("{at}.suites[{j}].name"),
                format!("suite name `{}` is used twice in this phase", s.name),
                Some("suite names must be unique within a phase; rename one"),
            );
        } else if let Some(other) = names
            .iter()
            .find(|n| crate::phase::slug(n) == crate::phase::slug(&s.name))
        {
            // Logs and JUnit files are named after the suite; two names must not share a file.
            c.at_value(
                &format!("{at}.suites[{j}].name"),
                format!(
                    "suite names `{other}` and `{}` would share a log file (`{}`)",
                    s.name,
                    crate::phase::slug(&s.name)
                ),
                Some(
                    "make the names differ in letters or digits, not only in spaces or punctuation",
                ),
            );
        }
        names.push(&s.name);
        if s.name.trim().is_empty() {
            c.at_value(
                &format!("{at}.suites[{j}].name"),
                "suite name is empty",
                Some("name the suite, e.g. `name: unit`"),
            );
        }
        let timeout = c
            .timeout(&format!("{at}.suites[{j}].timeout"), s.timeout)
            .or(phase_timeout);
        let affected = s.select == Some(SelectSpec::Affected);
        let mut always = Vec::new();
        if let Some(list) = &s.always {
            if !affected {
                c.at_key(
                    &format!("{at}.suites[{j}].always"),
                    "`always` lists test files that run whatever the selection, but this suite runs every test file",
                    Some("add `select: affected` to the suite, or remove `always`"),
                );
            }
            for (k, entry) in list.iter().enumerate() {
                let trimmed = entry.trim_end_matches('/');
                if let Some(rel) = c.rel_path(&format!("{at}.suites[{j}].always[{k}]"), trimmed) {
                    always.push(rel.as_str().to_string());
                }
            }
        }
        suites.push(Suite {
            name: s.name.clone(),
            args: s.args.clone(),
            timeout,
            affected,
            always,
        });
    }
    suites
}

/// Checks that `compare_with` of pytest phase `index` (at `at`) names an earlier pytest phase.
fn validate_compare_with(c: &mut Checker, at: &str, spec: &PlanSpec, index: usize, other: &str) {
    let earlier: Vec<&str> = spec.phases[..index]
        .iter()
        .filter(|q| q.kind == PhaseKind::Pytest)
        .map(|q| q.name.as_str())
        .collect();
    if !earlier.contains(&other) {
        let listed = if earlier.is_empty() {
            "there is no pytest phase before this one; add a baseline run (`kind: pytest`, `allow_failures: true`) before it".to_string()
        } else {
            format!("pytest phases before this one: {}", earlier.join(", "))
        };
        let is_phase = spec.phases.iter().any(|q| q.name == *other);
        let help = match did_you_mean(other, earlier.iter().copied()) {
            Some(s) if !is_phase => format!("did you mean `{s}`?"),
            _ => listed,
        };
        let message = match spec.phases.iter().position(|q| q.name == *other) {
            Some(j) if j == index => {
                format!("`{other}` is this phase; `compare_with` names an earlier pytest phase")
            }
            Some(j) if spec.phases[j].kind != PhaseKind::Pytest => format!(
                "`{other}` is a {} phase; `compare_with` names an earlier pytest phase",
                spec.phases[j].kind
            ),
            Some(_) => format!(
                "`{other}` runs after this phase; `compare_with` names an earlier pytest phase"
            ),
            None => format!("`{other}` is not a phase of this plan"),
        };
        c.at_value(&format!("{at}.compare_with"), message, Some(&help));
    }
}

/// Checks `requirements`: one requirement (or pip option) per item, since they are written to a
/// requirements file for pip, where a line break would start another entry.
pub(super) fn validate_requirements(c: &mut Checker, spec: &PlanSpec) {
    let Some(list) = &spec.requirements else {
        return;
    };
    let help = "write one requirement per item, in pip's syntax, e.g. `requirements: [\"pytest>=7\", pytest-xdist]`";
    if list.is_empty() {
        c.at_value(
            "requirements",
            "`requirements` is empty, so the environment would lack pytest",
            Some(&format!(
                "{help}; or remove `requirements` to use an existing interpreter"
            )),
        );
        return;
    }
    for (k, r) in list.iter().enumerate() {
        if r.trim().is_empty() {
            c.at_value(
                &format!("requirements[{k}]"),
                "empty requirement",
                Some(help),
            );
        } else if r.contains(['\n', '\r']) {
            c.at_value(
                &format!("requirements[{k}]"),
                format!("requirement `{}` spans several lines", r.trim()),
                Some(help),
            );
        }
    }
    if !spec.phases.iter().any(|p| p.kind == PhaseKind::Pytest) {
        c.at_key(
            "requirements",
            "`requirements` is set but the plan has no pytest phase to use them",
            Some("remove `requirements`, or add a `kind: pytest` phase"),
        );
    }
}

/// Compiles `criteria.must_pass`: node ids are kept as they are, entries with glob characters also
/// become globs in which `*` matches any text (node ids mix `/` and `::`, and a user writing
/// `tests/unit/*` means every test below that folder).
fn validate_must_pass(c: &mut Checker, at: &str, entries: Option<&[String]>) -> Vec<MustPass> {
    let Some(entries) = entries else {
        return Vec::new();
    };
    let path = format!("{at}.criteria.must_pass");
    if entries.is_empty() {
        c.at_value(
            &path,
            "`must_pass` is empty",
            Some("list node ids or globs, e.g. `must_pass: [\"tests/test_api.py::test_login\", \"tests/smoke/*\"]`, or remove it"),
        );
        return Vec::new();
    }
    let mut out = Vec::new();
    for (k, text) in entries.iter().enumerate() {
        let at_entry = format!("{path}[{k}]");
        if text.trim().is_empty() {
            c.at_value(
                &at_entry,
                "empty entry in `must_pass`",
                Some("write a node id such as `tests/test_api.py::test_login`, or a glob such as `tests/smoke/*`"),
            );
            continue;
        }
        if let Some(prefix) = ["::", "/"].iter().find(|p| text.starts_with(**p)) {
            c.at_value(
                &at_entry,
                format!("`{text}` starts with `{prefix}`; node ids start with the test file's path relative to the root"),
                Some("write it as pytest prints it, e.g. `tests/test_api.py::test_login`"),
            );
            continue;
        }
        let glob = if text.contains(['*', '?', '[', '{']) {
            match GlobBuilder::new(text).literal_separator(false).build() {
                Ok(g) => Some(g.compile_matcher()),
                Err(e) => {
                    c.at_value(
                        &at_entry,
                        format!("invalid glob `{text}`: {}", e.kind()),
                        Some("`*` matches any text, `?` one character, `[ab]` one of a set (close it with `]`; write `[[]` for a literal `[`), `{a,b}` either"),
                    );
                    continue;
                }
            }
        } else {
            None
        };
        out.push(MustPass {
            text: text.clone(),
            glob,
        });
    }
    out
}

/// A suite with `select: affected` in a phase that is compared with a baseline makes the
/// baseline's suite of the same name run the same selection, so that the comparison stays test for
/// test: the baseline's suite takes the selection when it says nothing, and a baseline suite that
/// says `select: all` is an error. A selection needs a backup phase, which computes the change set
/// before any patch phase runs.
pub(super) fn share_selections(c: &mut Checker, spec: &PlanSpec, phases: &mut [Phase]) {
    let backup_at = spec.phases.iter().position(|p| p.kind == PhaseKind::Backup);
    for (i, p) in spec.phases.iter().enumerate() {
        let Some(suites) = &p.suites else { continue };
        for (j, s) in suites.iter().enumerate() {
            if s.select != Some(SelectSpec::Affected) {
                continue;
            }
            if backup_at.is_none_or(|b| b > i) {
                c.at_value(
                    &format!("phases[{i}].suites[{j}].select"),
                    "`select: affected` needs a backup phase before this one: the backup finds the files the patch phases will change",
                    Some("add `- { name: backup, kind: backup }` before the first pytest phase"),
                );
            }
            let Some(base) = &p.compare_with else {
                continue;
            };
            let Some(b) = spec.phases.iter().position(|q| &q.name == base) else {
                continue;
            };
            let Some(k) = spec.phases[b]
                .suites
                .iter()
                .flatten()
                .position(|t| t.name == s.name)
            else {
                continue;
            };
            let theirs = &spec.phases[b].suites.as_ref().expect("found in it")[k];
            if theirs.select == Some(SelectSpec::All) {
                c.at_value(
                    &format!("phases[{b}].suites[{k}].select"),
                    format!(
                        "suite `{}` of `{base}` runs every test file, but phase `{}` compares its affected selection with it",
                        s.name, p.name
                    ),
                    Some("remove `select: all` here: the baseline then runs the same selection"),
                );
                continue;
            }
            let always = phases
                .iter()
                .find(|q| q.name == p.name)
                .and_then(|q| match &q.config {
                    PhaseConfig::Pytest(cfg) => cfg.suites.get(j).map(|x| x.always.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            if let Some(PhaseConfig::Pytest(cfg)) = phases
                .iter_mut()
                .find(|q| &q.name == base)
                .map(|q| &mut q.config)
            {
                if let Some(suite) = cfg.suites.iter_mut().find(|x| x.name == s.name) {
                    suite.affected = true;
                    for a in always {
                        if !suite.always.contains(&a) {
                            suite.always.push(a);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suites_of(plan: &Plan, phase: &str) -> Vec<Suite> {
        match &plan.phase(phase).expect("phase").1.config {
            PhaseConfig::Pytest(c) => c.suites.clone(),
            _ => panic!("not a pytest phase"),
        }
    }

    #[test]
    fn a_compared_baseline_takes_the_selection_of_its_suite_of_the_same_name() {
        let text = "id: x\nphases:\n  - { name: backup, kind: backup }\n  - name: baseline\n    kind: pytest\n    allow_failures: true\n    suites: [{ name: unit, args: [tests/unit] }, { name: api, args: [tests/api] }]\n  - { name: fix, kind: patch, edits: [{ name: e, regex: a, replace: b }] }\n  - name: tests\n    kind: pytest\n    compare_with: baseline\n    suites: [{ name: unit, args: [tests/unit], select: affected, always: [tests/unit/smoke/] }, { name: api, args: [tests/api] }]\n";
        let plan = crate::plan::load_plan_text(
            std::path::Path::new("p.yaml"),
            "p.yaml".into(),
            text,
            None,
        )
        .unwrap();
        let base = suites_of(&plan, "baseline");
        assert!(base[0].affected);
        assert_eq!(base[0].always, ["tests/unit/smoke"]);
        // A suite the later phase runs whole stays whole.
        assert!(!base[1].affected && base[1].always.is_empty());
        assert!(suites_of(&plan, "tests")[0].affected);
    }
}
