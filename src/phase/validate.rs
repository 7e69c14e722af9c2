//! The validate phase: preconditions and postconditions (pattern counts, Python function shapes,
//! commands, files), each compared with what the plan expects.
//!
//! The checks that count matches over the tree (`pattern` and `python`) are evaluated together:
//! one walk, each file read at most once and shown to every such check that selects it, each
//! check keeping its own selection, literal prefilter and result. Only a `command` check, which
//! may change the tree, makes the checks after it walk again. Symbol-aware checks resolve names
//! through the run's one index of modules ([`PhaseContext::modules`]).

use std::time::Duration;

use crate::edit::prefilter::Needles;
use crate::edit::regex::FileRegex;
use crate::edit::structural::Query;
use crate::edit::symbols::Resolution;
use crate::edit::{self, python, EditContext, LineIndex};
use crate::error::Result;
use crate::plan::{Check, CheckKind, CountsKind, Expect, Phase, Selection, Skip};
use crate::process::run_capture;
use crate::state::checkpoint::{CheckResult, Outcome, ValidateOutcome};
use crate::tree::paths::RelPath;
use crate::tree::scan;

use super::{blocking, PhaseContext, PhaseResult};

/// How many match locations a check result lists.
const MAX_DETAILS: usize = 20;

pub(crate) async fn execute(
    phase: &Phase,
    checks: &[Check],
    ctx: &PhaseContext,
) -> Result<PhaseResult> {
    let mut results = Vec::new();
    let mut at = 0;
    while at < checks.len() {
        let check = &checks[at];
        if let CheckKind::Command {
            argv,
            exit_code,
            timeout,
        } = &check.kind
        {
            ctx.ui
                .progress(&phase.name, format!("checking: {}", check.name));
            results.push(run_command_check(check, argv, *exit_code, *timeout, ctx).await);
            at += 1;
            continue;
        }
        // The checks up to the next command only read the tree, so they are evaluated together,
        // in one walk. A command may change the tree, so the checks after it walk again.
        let end = checks[at..]
            .iter()
            .position(|c| matches!(c.kind, CheckKind::Command { .. }))
            .map_or(checks.len(), |n| at + n);
        let names: Vec<&str> = checks[at..end].iter().map(|c| c.name.as_str()).collect();
        ctx.ui
            .progress(&phase.name, format!("checking: {}", names.join(", ")));
        let batch = checks[at..end].to_vec();
        let ctx2 = ctx.clone();
        results.extend(blocking(move || evaluate_all(&batch, &ctx2)).await?);
        at = end;
    }
    let results: Vec<CheckResult> = results
        .into_iter()
        .zip(checks)
        .map(|(result, check)| CheckResult {
            counts: (check.counts != CountsKind::Fixes).then_some(check.counts),
            ..result
        })
        .collect();
    let passed = results.iter().filter(|r| r.passed).count();
    let failed: Vec<String> = results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| format!("`{}`: expected {}, found {}", r.name, r.expected, r.actual))
        .collect();
    Ok(PhaseResult {
        success: failed.is_empty(),
        summary: format!(
            "{passed} of {} passed",
            crate::words::count_of(&results, "check")
        ),
        error: (!failed.is_empty()).then(|| format!("check failed: {}", failed.join("; "))),
        outcome: Some(Outcome::Validate(ValidateOutcome { checks: results })),
    })
}

/// Evaluates checks that only read the tree (blocking), in their order. The checks that count
/// matches over the tree share one walk, in which each file is read at most once (and only when
/// it holds some check's literal) and then shown to every such check that selects it.
fn evaluate_all(checks: &[Check], ctx: &PhaseContext) -> Vec<CheckResult> {
    let counting: Vec<(usize, Counting)> = checks
        .iter()
        .enumerate()
        .filter_map(|(i, c)| Counting::of(c).map(|k| (i, k)))
        .collect();
    let mut found = count_in_one_walk(&counting, ctx).into_iter();
    checks
        .iter()
        .map(|check| match &check.kind {
            CheckKind::Pattern { regex, expect, .. } => {
                let (counted, _) = split(found.next().expect("one list per counting check"));
                count_result(
                    check,
                    "pattern",
                    regex.as_str().to_string(),
                    expect,
                    &counted,
                )
            }
            CheckKind::Structural { query, expect, .. } => {
                let (counted, unresolved) =
                    split(found.next().expect("one list per counting check"));
                let mut result = count_result(check, "python", query.describe(), expect, &counted);
                super::unresolved::note_unresolved(&mut result, query, &unresolved);
                result
            }
            CheckKind::PythonFunction {
                file,
                name,
                is_async,
            } => check_python_function(check, file, name, *is_async, ctx),
            CheckKind::FileExists { path } => check_file_exists(check, path, ctx),
            CheckKind::Command { .. } => unreachable!("command checks run asynchronously"),
        })
        .collect()
}

/// One file's counted lines and its unresolved sites, with why each did not resolve.
type Sites = (Vec<u64>, Vec<(u64, Resolution)>);

/// Files with the lines of their unresolved sites, with why each did not resolve.
type UnresolvedSites = Vec<(RelPath, Vec<(u64, Resolution)>)>;

/// A check's files split into those with counted lines and those with unresolved sites.
fn split(found: Vec<(RelPath, Sites)>) -> (Vec<(RelPath, Vec<u64>)>, UnresolvedSites) {
    let mut counted = Vec::new();
    let mut unresolved = Vec::new();
    for (rel, (lines, u)) in found {
        if !lines.is_empty() {
            counted.push((rel.clone(), lines));
        }
        if !u.is_empty() {
            unresolved.push((rel, u));
        }
    }
    (counted, unresolved)
}

/// A check that counts matches in the files it selects.
enum Counting<'c> {
    Pattern {
        regex: &'c FileRegex,
        skip: Skip,
        selection: &'c Selection,
    },
    Structural {
        query: &'c Query,
        selection: &'c Selection,
    },
}

impl<'c> Counting<'c> {
    fn of(check: &'c Check) -> Option<Counting<'c>> {
        match &check.kind {
            CheckKind::Pattern {
                regex,
                skip,
                selection,
                ..
            } => Some(Counting::Pattern {
                regex,
                skip: *skip,
                selection,
            }),
            CheckKind::Structural {
                query, selection, ..
            } => Some(Counting::Structural { query, selection }),
            _ => None,
        }
    }

    /// Whether the check looks at the file at `rel`: structural checks only at Python files.
    fn selects(&self, rel: &str) -> bool {
        match self {
            Counting::Pattern { selection, .. } => selection.matches(rel),
            Counting::Structural { selection, .. } => {
                python::is_python_path(rel) && selection.matches(rel)
            }
        }
    }

    fn needles(&self) -> &'c Needles {
        match self {
            Counting::Pattern { regex, .. } => regex.needles(),
            Counting::Structural { query, .. } => query.needles(),
        }
    }

    /// The lines of the matches that count in one file, and of the sites whose name does not
    /// resolve (symbol-aware python checks only), if there are any.
    fn lines(&self, rel: &RelPath, bytes: &[u8], cx: &EditContext) -> Option<Sites> {
        match self {
            Counting::Pattern { regex, skip, .. } => {
                pattern_lines(rel, bytes, regex, *skip).map(|lines| (lines, Vec::new()))
            }
            Counting::Structural { query, .. } => {
                let text = scan::text_of(bytes).ok()?;
                let (lines, unresolved) = edit::structural_check_sites(query, rel, text, cx);
                (!lines.is_empty() || !unresolved.is_empty()).then_some((lines, unresolved))
            }
        }
    }
}

/// The files and lines where each of `checks` matches, in the order of `checks`, each sorted by
/// path, found in one walk of the tree.
fn count_in_one_walk(
    checks: &[(usize, Counting)],
    ctx: &PhaseContext,
) -> Vec<Vec<(RelPath, Sites)>> {
    let mut found = vec![Vec::new(); checks.len()];
    if checks.is_empty() {
        return found;
    }
    let cx = ctx.edit_context();
    let out = scan::scan_to_read(
        &ctx.root,
        ctx.listing.as_deref(),
        |p| checks.iter().any(|(_, c)| c.selects(p)),
        |rel, path| {
            let selecting: Vec<usize> = (0..checks.len())
                .filter(|&i| checks[i].1.selects(rel.as_str()))
                .collect();
            let needles = selecting.iter().map(|&i| checks[i].1.needles()).collect();
            let bytes = ctx.read_if_needed(rel, path, needles).ok()??;
            let hits: Vec<(usize, Sites)> = selecting
                .into_iter()
                .filter_map(|i| Some((i, checks[i].1.lines(rel, &bytes, &cx)?)))
                .collect();
            (!hits.is_empty()).then_some(hits)
        },
    );
    for (rel, hits) in out.items {
        for (i, lines) in hits {
            found[i].push((rel.clone(), lines));
        }
    }
    found
}

/// The lines of one file's matches of `regex` that count, if any do.
fn pattern_lines(rel: &RelPath, bytes: &[u8], regex: &FileRegex, skip: Skip) -> Option<Vec<u64>> {
    if !regex.is_match_bytes(bytes) {
        return None;
    }
    let text = scan::text_of(bytes).ok()?;
    let skipped = if skip.any() && python::is_python_path(rel.as_str()) {
        let matches: Vec<_> = regex.find_iter(text).map(|m| m.range()).collect();
        let statements = edit::statements::LazyStatements::new(text);
        python::skipped_ranges_around(&statements, skip, &matches)
    } else {
        Vec::new()
    };
    let starts = edit::regex::match_starts(regex, text, &skipped);
    if starts.is_empty() {
        return None;
    }
    let lines = LineIndex::new(text);
    Some(starts.iter().map(|&s| lines.line_of(s)).collect())
}

/// Checks that `file` defines function `name`, async or not as `is_async` asks.
fn check_python_function(
    check: &Check,
    file: &RelPath,
    name: &str,
    is_async: Option<bool>,
    ctx: &PhaseContext,
) -> CheckResult {
    let expected = match is_async {
        Some(true) => format!("`async def {name}` in {file}"),
        Some(false) => format!("`def {name}` (not async) in {file}"),
        None => format!("`{name}` defined in {file}"),
    };
    let read = file
        .resolve_inside(&ctx.root)
        .map_err(|e| e.to_string())
        .and_then(|path| {
            ctx.read_text(file, &path)
                .map_err(|e| format!("cannot read {file}: {e}"))
        });
    let (actual, passed) = match read {
        Err(e) => (e, false),
        Ok(Err(reason)) => (format!("{file} is {reason}"), false),
        Ok(Ok(text)) => describe_definitions(&text, file, name, is_async),
    };
    CheckResult {
        name: check.name.clone(),
        check: "python_function".into(),
        subject: format!("{file}::{name}"),
        expected,
        actual,
        passed,
        count: None,
        details: Vec::new(),
        counts: None,
    }
}

/// The definitions of `name` found in `text`, and whether they are what the check asks for.
fn describe_definitions(
    text: &str,
    file: &RelPath,
    name: &str,
    is_async: Option<bool>,
) -> (String, bool) {
    let defs = python::find_functions(text, name);
    if defs.is_empty() {
        return (format!("no definition of `{name}` in {file}"), false);
    }
    let shown: Vec<String> = defs
        .iter()
        .map(|d| {
            format!(
                "{}def {name} at line {}",
                if d.is_async { "async " } else { "" },
                d.line
            )
        })
        .collect();
    let ok = is_async.is_none_or(|want| defs.iter().all(|d| d.is_async == want));
    (shown.join(", "), ok)
}

/// Checks that `path` exists inside the root.
fn check_file_exists(check: &Check, path: &RelPath, ctx: &PhaseContext) -> CheckResult {
    let exists = path.resolve_inside(&ctx.root).is_ok_and(|p| p.exists());
    CheckResult {
        name: check.name.clone(),
        check: "file_exists".into(),
        subject: path.to_string(),
        expected: "exists".into(),
        actual: if exists { "exists" } else { "missing" }.into(),
        passed: exists,
        count: None,
        details: Vec::new(),
        counts: None,
    }
}

/// The result of a counting check: how many matches, in how many files, and where the first are.
fn count_result(
    check: &Check,
    kind: &str,
    subject: String,
    expect: &Expect,
    items: &[(RelPath, Vec<u64>)],
) -> CheckResult {
    let count: u64 = items.iter().map(|(_, l)| l.len() as u64).sum();
    let details = items
        .iter()
        .flat_map(|(rel, lines)| lines.iter().map(move |l| format!("{rel}:{l}")))
        .take(MAX_DETAILS)
        .collect();
    CheckResult {
        name: check.name.clone(),
        check: kind.into(),
        subject,
        expected: expect.to_string(),
        actual: format!("{count} in {}", crate::words::count_of(items, "file")),
        passed: expect.holds(count),
        count: Some(count),
        details,
        counts: None,
    }
}

async fn run_command_check(
    check: &Check,
    argv: &[String],
    exit_code: i32,
    timeout: Duration,
    ctx: &PhaseContext,
) -> CheckResult {
    let subject = argv.join(" ");
    let mut result = CheckResult {
        name: check.name.clone(),
        check: "command".into(),
        subject: subject.clone(),
        expected: format!("exit code {exit_code}"),
        actual: String::new(),
        passed: false,
        count: None,
        details: Vec::new(),
        counts: None,
    };
    if ctx.is_dry_run() {
        result.actual = "not run in a dry run".into();
        result.passed = true;
        return result;
    }
    let args: Vec<&str> = argv[1..].iter().map(String::as_str).collect();
    match run_capture(&argv[0], &args, &ctx.root, timeout, &ctx.groups).await {
        Ok(out) => {
            result.actual = if out.exit.timed_out {
                format!(
                    "a timeout: `{subject}` was still running after {}s (`timeout: {}`), so it and every process it started were killed",
                    timeout.as_secs_f64(),
                    timeout.as_secs_f64()
                )
            } else {
                out.exit.code.map_or_else(
                    || format!("killed by signal {}", out.exit.signal.unwrap_or(0)),
                    |c| format!("exit code {c}"),
                )
            };
            result.passed = out.code() == Some(exit_code);
            let lines: Vec<&str> = out.output.lines().collect();
            result.details = lines[lines.len().saturating_sub(10)..]
                .iter()
                .map(|s| s.to_string())
                .collect();
        }
        Err(e) => result.actual = format!("could not start `{}`: {e}", argv[0]),
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{load_plan_text, PhaseConfig};
    use crate::ui::{Mode, Style, Ui};
    use std::collections::HashMap;
    use std::sync::Arc;

    const SYMBOL: &str = "app.core.wm.get";

    /// A tree where `get` is defined in `app/core/wm.py`, re-exported by the package, and awaited
    /// through both, next to a same-named local coroutine and a mention in a comment.
    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            ("app/__init__.py", ""),
            ("app/core/__init__.py", "from .wm import get as get\n"),
            ("app/core/wm.py", "def get(ctx):\n    return ctx\n"),
            (
                "app/a.py",
                "from app.core import get\n\nasync def f(c):\n    await get(c)\n    # await get(c)\n",
            ),
            (
                "app/b.py",
                "from app.core.wm import get\n\nasync def f(c):\n    await get(c)\n    await get(c)\n",
            ),
            (
                "app/c.py",
                "async def get(c):\n    pass\n\nasync def f(c):\n    await get(c)\n",
            ),
            ("docs/notes.md", "await get(c)\n"),
        ];
        for (p, text) in files {
            let path = dir.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn plan(root: &std::path::Path) -> crate::plan::Plan {
        let text = format!(
            r#"
id: checks
title: checks
files: {{ include: ["**/*.py", "docs/**/*.md"] }}
phases:
  - name: first
    kind: validate
    checks:
      - {{ name: awaited, python: {{ pattern: 'await get($$$A)' }}, symbol: {SYMBOL}, expect: "== 3" }}
      - {{ name: text, pattern: 'await\s+get\(', expect: "== 6" }}
      - {{ name: defined, python_function: {{ file: app/core/wm.py, name: get, async: false }} }}
      - {{ name: any get, python: {{ pattern: 'await get($$$A)' }}, expect: "== 4" }}
      - {{ name: docs, pattern: 'await', files: {{ include: ["docs/**"] }}, expect: "== 1" }}
      - {{ name: called, python: {{ pattern: 'get($$$A)' }}, symbol: {SYMBOL}, expect: ">= 1" }}
  - name: second
    kind: validate
    checks:
      - {{ name: awaited again, python: {{ pattern: 'await get($$$A)' }}, symbol: {SYMBOL}, expect: "== 3" }}
"#
        );
        load_plan_text(
            std::path::Path::new("plan.yaml"),
            root.join("plan.yaml"),
            &text,
            Some(root),
        )
        .unwrap()
    }

    fn context(root: &std::path::Path, plan: crate::plan::Plan) -> PhaseContext {
        let style = Style {
            mode: Mode::Quiet,
            color: false,
            verbose: false,
        };
        let (ui, _task) = Ui::start(style);
        PhaseContext::new(
            root,
            Arc::new(plan),
            ui,
            Default::default(),
            None,
            HashMap::new(),
        )
    }

    fn checks_of(phase: &Phase) -> &[Check] {
        match &phase.config {
            PhaseConfig::Validate { checks } => checks,
            _ => unreachable!("validate phases only"),
        }
    }

    #[tokio::test]
    async fn checks_walked_together_find_what_each_finds_alone_in_their_order() {
        let dir = tree();
        let plan = plan(dir.path());
        let ctx = context(dir.path(), plan.clone());
        let checks = checks_of(&plan.phases[0]);
        let together = evaluate_all(checks, &ctx);
        let alone: Vec<CheckResult> = checks
            .iter()
            .flat_map(|c| evaluate_all(std::slice::from_ref(c), &ctx))
            .collect();
        let shown = |r: &CheckResult| {
            (
                r.name.clone(),
                r.actual.clone(),
                r.passed,
                r.count,
                r.details.clone(),
            )
        };
        assert_eq!(
            together.iter().map(shown).collect::<Vec<_>>(),
            alone.iter().map(shown).collect::<Vec<_>>()
        );
        let names: Vec<&str> = together.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            ["awaited", "text", "defined", "any get", "docs", "called"]
        );
        assert!(together.iter().all(|r| r.passed), "{together:#?}");
        assert_eq!(
            together[0].details,
            ["app/a.py:4", "app/b.py:4", "app/b.py:5"]
        );
    }

    #[tokio::test]
    async fn symbol_checks_of_every_phase_parse_each_module_once() {
        let dir = tree();
        let plan = plan(dir.path());
        let ctx = context(dir.path(), plan.clone());
        for phase in &plan.phases {
            let result = execute(phase, checks_of(phase), &ctx).await.unwrap();
            assert!(result.success, "{:?}", result.error);
        }
        // `app.core` and `app.core.wm`, whatever the number of checks and phases; a module the
        // symbol's resolution looks for but that is not there (`app`'s own `__init__` is empty)
        // may add one.
        assert!(
            ctx.modules.loaded() <= 3,
            "{} modules read",
            ctx.modules.loaded()
        );
        let once = ctx.modules.loaded();
        let phase = &plan.phases[1];
        execute(phase, checks_of(phase), &ctx).await.unwrap();
        assert_eq!(ctx.modules.loaded(), once, "a later phase reuses the index");
    }
}
