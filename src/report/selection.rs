//! The Markdown of a pytest phase's affected selection and of the baseline results it took from
//! the cache: which test files ran of how many, why each, and where the import graph was not
//! trusted.

use std::fmt::Write as _;

use crate::state::checkpoint::PytestOutcome;

/// How many selected files the report lists before it says "and N more".
const LIST_AT_MOST: usize = 200;

/// Appends the selection and cache notes of `o` to `md`.
pub(crate) fn render(md: &mut String, o: &PytestOutcome) {
    let cached: Vec<String> = o
        .suites
        .iter()
        .filter(|s| s.from_cache)
        .map(|s| {
            format!(
                "`{}` (key `{}`)",
                s.name,
                s.cache_key.as_deref().map_or("", |k| &k[..k.len().min(12)])
            )
        })
        .collect();
    if !cached.is_empty() {
        let _ = writeln!(
            md,
            "Baseline reused from `.remedy/cache/baselines/` (same interpreter, packages, arguments, selection and imported files; not run again): {}.\n",
            cached.join(", ")
        );
    }
    let Some(sel) = &o.selection else {
        return;
    };
    let tests: u64 = o
        .suites
        .iter()
        .map(|s| s.counts.executed() + s.counts.skipped)
        .sum();
    let _ = writeln!(
        md,
        "**Affected selection:** {} of {} test files ({} tests run), from {} the patch phases change; import graph of {} Python files built in {}.\n",
        sel.files.len(),
        sel.test_files,
        tests,
        crate::words::count_of(&sel.changed, "file"),
        sel.python_files,
        crate::timefmt::duration(sel.graph_ms)
    );
    for w in &sel.widened {
        let _ = writeln!(
            md,
            "- Import graph not trusted: {} (reached from `{}`)",
            w.describe(),
            w.test
        );
    }
    for u in &sel.unreadable {
        let _ = writeln!(md, "- Imports unknown: {u}");
    }
    if !sel.beyond_baseline.is_empty() {
        let _ = writeln!(
            md,
            "- Selected here but not in the baseline (the patch changed imports): {}",
            sel.beyond_baseline.join(", ")
        );
    }
    if !sel.widened.is_empty() || !sel.unreadable.is_empty() || !sel.beyond_baseline.is_empty() {
        md.push('\n');
    }
    if sel.files.is_empty() {
        return;
    }
    let _ = writeln!(md, "| Test file | Why (shortest first) |\n|---|---|");
    for f in sel.files.iter().take(LIST_AT_MOST) {
        let why: Vec<String> = f.reasons.iter().map(|r| r.describe()).collect();
        let _ = writeln!(
            md,
            "| `{}` | {} |",
            f.path,
            why.join("; ").replace('|', "\\|")
        );
    }
    if sel.files.len() > LIST_AT_MOST {
        let _ = writeln!(
            md,
            "| … | and {} more (see report.json) |",
            sel.files.len() - LIST_AT_MOST
        );
    }
    md.push('\n');
}
