//! The validate phase: preconditions and postconditions (pattern counts, Python function shapes,
//! commands, files), each compared with what the plan expects.

use std::time::Duration;

use crate::edit::regex::FileRegex;
use crate::edit::structural::Query;
use crate::edit::{self, python, LineIndex};
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
    for check in checks {
        ctx.ui
            .progress(&phase.name, format!("checking: {}", check.name));
        let c = check.clone();
        let ctx2 = ctx.clone();
        let result = match &check.kind {
            CheckKind::Command {
                argv,
                exit_code,
                timeout,
            } => run_command_check(check, argv, *exit_code, *timeout, ctx).await,
            _ => blocking(move || evaluate(&c, &ctx2)).await?,
        };
        let result = CheckResult {
            counts: (check.counts != CountsKind::Fixes).then_some(check.counts),
            ..result
        };
        results.push(result);
    }
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

/// Runs one check that only reads the tree (blocking): one function per kind of check.
fn evaluate(check: &Check, ctx: &PhaseContext) -> CheckResult {
    match &check.kind {
        CheckKind::Pattern {
            regex,
            expect,
            skip,
            selection,
        } => check_pattern(check, regex, expect, *skip, selection, ctx),
        CheckKind::Structural {
            query,
            expect,
            selection,
        } => check_structural(check, query, expect, selection, ctx),
        CheckKind::PythonFunction {
            file,
            name,
            is_async,
        } => check_python_function(check, file, name, *is_async, ctx),
        CheckKind::FileExists { path } => check_file_exists(check, path, ctx),
        CheckKind::Command { .. } => unreachable!("command checks run asynchronously"),
    }
}

/// Counts the matches of `regex` in the selected files, leaving out those `skip` says to.
fn check_pattern(
    check: &Check,
    regex: &FileRegex,
    expect: &Expect,
    skip: Skip,
    selection: &Selection,
    ctx: &PhaseContext,
) -> CheckResult {
    let out = scan::scan_to_read(
        &ctx.root,
        |p| selection.matches(p),
        |rel, path| {
            let bytes = ctx
                .read_if_needed(rel, path, vec![regex.needles()])
                .ok()??;
            pattern_lines(rel, &bytes, regex, skip)
        },
    );
    count_result(
        check,
        "pattern",
        regex.as_str().to_string(),
        expect,
        &out.items,
    )
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

/// Counts the matches of a structural query in the selected Python files.
fn check_structural(
    check: &Check,
    query: &Query,
    expect: &Expect,
    selection: &Selection,
    ctx: &PhaseContext,
) -> CheckResult {
    let cx = ctx.edit_context();
    let out = scan::scan_to_read(
        &ctx.root,
        |p| python::is_python_path(p) && selection.matches(p),
        |rel, path| {
            let bytes = ctx
                .read_if_needed(rel, path, vec![query.needles()])
                .ok()??;
            let text = scan::text_of(&bytes).ok()?;
            let (lines, unresolved) = edit::structural_check_sites(query, rel, text, &cx);
            (!lines.is_empty() || !unresolved.is_empty()).then_some((lines, unresolved))
        },
    );
    let (counted, unresolved): (Vec<_>, Vec<_>) = out
        .items
        .into_iter()
        .map(|(rel, (lines, u))| ((rel.clone(), lines), (rel, u)))
        .unzip();
    let counted: Vec<_> = counted.into_iter().filter(|(_, l)| !l.is_empty()).collect();
    let mut result = count_result(check, "python", query.describe(), expect, &counted);
    super::unresolved::note_unresolved(&mut result, query, &unresolved);
    result
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
