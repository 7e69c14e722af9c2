//! The run as a pull request body (`remedy report --format pr`), and as a commit message: what the
//! fix is, where it changed the code, what the tests say before and after, which criteria hold,
//! what was left alone, and a diff excerpt sized to fit GitHub's limit on a body.

use std::fmt::Write;

use crate::plan::PhaseKind;
use crate::state::checkpoint::{
    Checkpoint, FileState, Outcome, PhaseRecord, PhaseStatus, PytestOutcome,
};
use crate::words::count;

use super::diff_excerpt::{chars, fit_diffs, longest_backtick_run, FileDiff};
use super::facts::{
    baseline_of, criteria, inline, last_tests, one_line, patches_in_effect, rate, ratio, tally,
};
use super::markdown::{code, Images, FOLD_AT};
use super::run_status;

/// GitHub refuses a pull request body longer than this many characters.
pub(crate) const GITHUB_BODY_LIMIT: usize = 65_536;

/// The body stays this far under [`GITHUB_BODY_LIMIT`], so that a line a person or a bot adds
/// (a "Closes #…", a checklist) still fits.
const BODY_BUDGET: usize = GITHUB_BODY_LIMIT - 4_096;

/// Longer lists (files, tests, sites) show their first this many entries and count the rest.
const LIST_CAP: usize = 100;

pub(crate) fn render(cp: &Checkpoint, images: Images<'_>) -> String {
    let diffs = images.map(|o| collect_diffs(cp, o)).unwrap_or_default();
    render_body(cp, &diffs, BODY_BUDGET)
}

/// The diffs of the files the patch phases in effect wrote. A file whose images cannot be read
/// is left out (the excerpt says how many files it shows of how many).
fn collect_diffs(cp: &Checkpoint, objects: &crate::state::objects::ObjectStore) -> Vec<FileDiff> {
    let mut out = Vec::new();
    for (_, o) in patches_in_effect(cp) {
        for f in o
            .files
            .iter()
            .filter(|f| matches!(f.state, FileState::Written | FileState::Intended))
        {
            let (Ok(before), Ok(after)) = (objects.get(&f.before), objects.get(&f.after)) else {
                continue;
            };
            out.push(FileDiff {
                path: f.path.as_str().to_string(),
                diff: crate::ui::unified_diff(
                    f.path.as_str(),
                    &String::from_utf8_lossy(&before),
                    &String::from_utf8_lossy(&after),
                ),
            });
        }
    }
    out
}

fn render_body(cp: &Checkpoint, diffs: &[FileDiff], budget: usize) -> String {
    let mut body = String::new();
    write_summary(&mut body, cp);
    write_stop(&mut body, cp);
    write_sites(&mut body, cp);
    write_tests(&mut body, cp);
    write_criteria(&mut body, cp);
    write_left_alone(&mut body, cp);
    let footer = footer(cp);
    let room = budget.saturating_sub(chars(&body) + chars(&footer));
    if !diffs.is_empty() {
        body.push_str(&diff_section(cp, diffs, room));
    }
    body.push_str(&footer);
    cap(body, budget)
}

/// The last guard of the limit: the sections before the diff keep their lists short, so only a
/// run with thousands of phases or criteria reaches it; the body is then cut at a line.
fn cap(body: String, budget: usize) -> String {
    if chars(&body) <= budget {
        return body;
    }
    let note = "\n\n… the rest of this description is left out: it would pass GitHub's limit. \
                `remedy report --root .` prints the whole report.\n";
    let keep = budget.saturating_sub(chars(note));
    let mut out = String::new();
    for line in body.split_inclusive('\n') {
        if chars(&out) + chars(line) > keep {
            break;
        }
        out.push_str(line);
    }
    out.push_str(note);
    out
}

fn write_summary(md: &mut String, cp: &Checkpoint) {
    let _ = writeln!(md, "## Summary\n");
    let _ = writeln!(
        md,
        "**{}** (plan {})\n",
        cp.plan_title.trim(),
        inline(&cp.plan_id)
    );
    if let Some(d) = cp
        .plan_description
        .as_deref()
        .filter(|d| !d.trim().is_empty())
    {
        let _ = writeln!(md, "{}\n", d.trim());
    }
    let _ = writeln!(md, "{}\n", fix_paragraph(cp));
}

/// The fix in one paragraph: what the patch phases changed, what the tests say, and the criteria.
fn fix_paragraph(cp: &Checkpoint) -> String {
    let mut sentences = Vec::new();
    for (p, o) in patches_in_effect(cp) {
        let sites: usize = o.files.iter().map(|f| f.sites.len()).sum();
        let edits: Vec<String> = o
            .edits
            .iter()
            .filter(|e| e.sites > 0)
            .map(|e| inline(&e.name))
            .collect();
        let mut s = format!(
            "Phase {} changed {} in {}",
            inline(&p.name),
            count(sites as u64, "site"),
            count(o.files.len() as u64, "file")
        );
        if !edits.is_empty() {
            let _ = write!(
                s,
                " with {} {}",
                if edits.len() == 1 { "edit" } else { "edits" },
                edits.join(", ")
            );
        }
        s.push('.');
        if let Some(d) = p.description.as_deref().filter(|d| !d.trim().is_empty()) {
            let _ = write!(s, " {}", one_line(d));
            if !s.ends_with('.') {
                s.push('.');
            }
        }
        sentences.push(s);
    }
    if sentences.is_empty() {
        sentences.push("No change is in effect: no patch phase of this run succeeded.".into());
    }
    if let Some((p, o)) = last_tests(cp) {
        let mut s = format!("In {}, {}", inline(&p.name), tally(&o.totals));
        let compared = o
            .comparison
            .as_ref()
            .and_then(|c| Some((c, baseline_of(cp, c)?)));
        if let Some((c, base)) = compared {
            let _ = write!(
                s,
                ", against {} in {}: {} fixed, {} regressed, {} still failing",
                ratio(&base.totals),
                inline(&c.baseline),
                c.fixed.len(),
                c.regressed.len(),
                c.still_failing.len()
            );
        }
        s.push('.');
        sentences.push(s);
    }
    let criteria = criteria(cp);
    if !criteria.is_empty() {
        let met = criteria.iter().filter(|(_, ok)| *ok).count();
        sentences.push(if criteria.len() == 1 {
            format!(
                "Its one criterion is {}.",
                if met == 1 { "met" } else { "not met" }
            )
        } else if met == criteria.len() {
            format!("All {} criteria are met.", criteria.len())
        } else {
            format!("{met} of {} criteria are met.", criteria.len())
        });
    }
    sentences.join(" ")
}

/// For a run that did not finish: which phase stopped it and why, and what did not run.
fn write_stop(md: &mut String, cp: &Checkpoint) {
    let status = run_status(cp);
    if status == "succeeded" {
        return;
    }
    let pending: Vec<String> = cp
        .phases
        .iter()
        .filter(|p| p.status == PhaseStatus::Pending)
        .map(|p| inline(&p.name))
        .collect();
    if status == "rolled_back" {
        let _ = writeln!(
            md,
            "> [!CAUTION]\n> **The run was rolled back:** the tree no longer holds its changes.\n"
        );
        return;
    }
    let stopped = cp
        .phases
        .iter()
        .find(|p| matches!(p.status, PhaseStatus::Failed | PhaseStatus::Interrupted));
    match stopped {
        Some(p) => {
            let what = if p.status == PhaseStatus::Failed {
                "failed"
            } else {
                "was interrupted"
            };
            let _ = writeln!(
                md,
                "> [!CAUTION]\n> **The run stopped early:** the {} phase {} {what}.",
                p.kind,
                inline(&p.name)
            );
            if let Some(error) = p.error.as_deref() {
                let lines: Vec<&str> = error.lines().collect();
                for line in lines.iter().take(12) {
                    let _ = writeln!(md, "> {}", line.trim_end());
                }
                if lines.len() > 12 {
                    let _ = writeln!(md, "> … {} more lines", lines.len() - 12);
                }
            }
        }
        None => {
            let _ = writeln!(md, "> [!CAUTION]\n> **The run has not finished.**");
        }
    }
    if !pending.is_empty() {
        let _ = writeln!(md, ">\n> Not run: {}.", pending.join(", "));
    }
    let _ = writeln!(
        md,
        ">\n> `remedy resume --root . --plan {}` continues it once the cause is fixed.\n",
        cp.plan_id
    );
}

fn write_sites(md: &mut String, cp: &Checkpoint) {
    let _ = writeln!(md, "## Sites fixed\n");
    let patches: Vec<_> = patches_in_effect(cp).collect();
    if patches.is_empty() {
        let _ = writeln!(md, "None: no patch phase of this run succeeded.\n");
        return;
    }
    for (p, o) in patches {
        let sites: usize = o.files.iter().map(|f| f.sites.len()).sum();
        let added: u64 = o.files.iter().map(|f| f.lines_added).sum();
        let removed: u64 = o.files.iter().map(|f| f.lines_removed).sum();
        let _ = writeln!(
            md,
            "{}: **{} in {}** ({} scanned), +{added} −{removed} lines.\n",
            inline(&p.name),
            count(sites as u64, "site"),
            count(o.files.len() as u64, "file"),
            count(o.scanned, "file"),
        );
        if o.edits.len() > 1 || o.edits.iter().any(|e| e.expected.is_some()) {
            let _ = writeln!(md, "| Edit | Sites | Files |\n|---|---:|---:|");
            for e in &o.edits {
                let _ = writeln!(md, "| {} | {} | {} |", code(&e.name), e.sites, e.files);
            }
            md.push('\n');
        }
        let drifted: Vec<String> = o.drifted().map(|p| inline(p.as_str())).collect();
        if !drifted.is_empty() {
            let _ = writeln!(
                md,
                "**Not written, changed by another process meanwhile:** {}.\n",
                drifted.join(", ")
            );
        }
        let entries: Vec<String> = o
            .files
            .iter()
            .map(|f| {
                let lines: Vec<String> = f.sites.iter().map(|s| s.line.to_string()).collect();
                format!(
                    "- {} ({}: {})",
                    inline(f.path.as_str()),
                    if lines.len() == 1 { "line" } else { "lines" },
                    lines.join(", ")
                )
            })
            .collect();
        write_list(md, &format!("Files ({})", o.files.len()), &entries, "file");
    }
}

/// A list of entries, folded into `<details>` when long, cut at [`LIST_CAP`] with a count of the
/// rest.
fn write_list(md: &mut String, summary: &str, entries: &[String], noun: &str) {
    if entries.is_empty() {
        return;
    }
    let fold = entries.len() > FOLD_AT;
    if fold {
        let _ = writeln!(md, "<details><summary>{summary}</summary>\n");
    }
    for e in entries.iter().take(LIST_CAP) {
        let _ = writeln!(md, "{e}");
    }
    if entries.len() > LIST_CAP {
        let _ = writeln!(
            md,
            "- … and {}",
            count((entries.len() - LIST_CAP) as u64, &format!("more {noun}"))
        );
    }
    if fold {
        let _ = writeln!(md, "\n</details>");
    }
    md.push('\n');
}

fn write_tests(md: &mut String, cp: &Checkpoint) {
    let _ = writeln!(md, "## Tests\n");
    let ran: Vec<(&PhaseRecord, &PytestOutcome)> = cp
        .phases
        .iter()
        .filter(|p| p.status != PhaseStatus::RolledBack)
        .filter_map(|p| match &p.outcome {
            Some(Outcome::Pytest(o)) => Some((p, o)),
            _ => None,
        })
        .collect();
    let not_run: Vec<String> = cp
        .phases
        .iter()
        .filter(|p| p.kind == PhaseKind::Pytest && p.outcome.is_none())
        .map(|p| inline(&p.name))
        .collect();
    if ran.is_empty() {
        let _ = writeln!(
            md,
            "{}\n",
            if not_run.is_empty() {
                "The plan runs no tests.".to_string()
            } else {
                format!("No tests ran: {} did not run.", not_run.join(", "))
            }
        );
        return;
    }
    let compared = ran
        .iter()
        .rev()
        .find_map(|(p, o)| Some((*p, o.comparison.as_ref()?, *o)));
    match compared.and_then(|(p, c, o)| Some((p, c, o, baseline_of(cp, c)?))) {
        Some((p, c, after, before)) => {
            let _ = writeln!(
                md,
                "| | Before: {} | After: {} |\n|---|---:|---:|",
                code(&c.baseline),
                code(&p.name)
            );
            for (what, b, a) in [
                ("Passed", before.totals.passed, after.totals.passed),
                ("Failed", before.totals.failed, after.totals.failed),
                ("Errors", before.totals.errors, after.totals.errors),
                ("Skipped", before.totals.skipped, after.totals.skipped),
            ] {
                let _ = writeln!(md, "| {what} | {b} | {a} |");
            }
            let _ = writeln!(
                md,
                "| **Pass rate** | {} | {} |\n",
                rate(before.pass_rate),
                rate(after.pass_rate)
            );
            let mut counts = format!(
                "**{} fixed**, **{} regressed**, **{} still failing**",
                c.fixed.len(),
                c.regressed.len(),
                c.still_failing.len()
            );
            if !c.new.is_empty() || !c.gone.is_empty() {
                let _ = write!(
                    counts,
                    "; {} new, {} no longer collected",
                    c.new.len(),
                    c.gone.len()
                );
            }
            let _ = writeln!(md, "{counts}.\n");
            for (title, list) in [
                ("Regressed", &c.regressed),
                ("Still failing", &c.still_failing),
                ("Fixed", &c.fixed),
            ] {
                if list.is_empty() {
                    continue;
                }
                let _ = writeln!(md, "<details><summary>{title} ({})</summary>\n", list.len());
                for id in list.iter().take(LIST_CAP) {
                    let _ = writeln!(md, "- {}", inline(id));
                }
                if list.len() > LIST_CAP {
                    let _ = writeln!(
                        md,
                        "- … and {}",
                        count((list.len() - LIST_CAP) as u64, "more test")
                    );
                }
                let _ = writeln!(md, "\n</details>\n");
            }
        }
        None => {
            for (p, o) in &ran {
                let t = &o.totals;
                let _ = writeln!(
                    md,
                    "- {}: {} passed, {} failed, {} errors, {} skipped ({})",
                    inline(&p.name),
                    t.passed,
                    t.failed,
                    t.errors,
                    t.skipped,
                    rate(o.pass_rate)
                );
            }
            md.push('\n');
        }
    }
    if !not_run.is_empty() {
        let _ = writeln!(md, "Did not run: {}.\n", not_run.join(", "));
    }
}

fn write_criteria(md: &mut String, cp: &Checkpoint) {
    let criteria = criteria(cp);
    if criteria.is_empty() {
        return;
    }
    let met = criteria.iter().filter(|(_, ok)| *ok).count();
    let _ = writeln!(md, "## Criteria ({met} of {} met)\n", criteria.len());
    // Unmet ones first: they are what a reviewer must see, and what a cut list must keep.
    let mut ordered: Vec<&(String, bool)> = criteria.iter().filter(|(_, ok)| !ok).collect();
    ordered.extend(criteria.iter().filter(|(_, ok)| *ok));
    for (text, ok) in ordered.iter().take(LIST_CAP) {
        let _ = writeln!(md, "- [{}] {text}", if *ok { "x" } else { " " });
    }
    if ordered.len() > LIST_CAP {
        let _ = writeln!(md, "\n… and {} more, all met.", ordered.len() - LIST_CAP);
    }
    md.push('\n');
}

fn write_left_alone(md: &mut String, cp: &Checkpoint) {
    let patches: Vec<_> = patches_in_effect(cp).collect();
    let left: Vec<String> = patches
        .iter()
        .flat_map(|(_, o)| &o.left_alone)
        .map(|l| {
            format!(
                "- {} line {}: {} ({})",
                inline(l.path.as_str()),
                l.line,
                one_line(&l.reason),
                inline(&l.edit)
            )
        })
        .collect();
    let unresolved: Vec<String> = patches
        .iter()
        .flat_map(|(_, o)| &o.unresolved)
        .map(|u| {
            format!(
                "- {} line {}: the name is {}; {} ({})",
                inline(u.path.as_str()),
                u.line,
                one_line(&u.reason),
                one_line(&u.action),
                inline(&u.edit)
            )
        })
        .collect();
    if left.is_empty() && unresolved.is_empty() {
        return;
    }
    let _ = writeln!(md, "## Sites left alone\n");
    if !left.is_empty() {
        let _ = writeln!(
            md,
            "The pattern matched {}, and the edit's context kept it from changing them:\n",
            count(left.len() as u64, "more site")
        );
        write_list(md, &format!("Left alone ({})", left.len()), &left, "site");
    }
    if !unresolved.is_empty() {
        let _ = writeln!(
            md,
            "**Unresolved:** at {} the name does not resolve to the edit's symbol through the \
             file's imports; review them by hand:\n",
            count(unresolved.len() as u64, "site")
        );
        write_list(
            md,
            &format!("Unresolved ({})", unresolved.len()),
            &unresolved,
            "site",
        );
    }
}

fn footer(cp: &Checkpoint) -> String {
    format!(
        "---\n<sub>Made by remedy {} from the checkpoint of plan {}. \
         `remedy report --root . --plan {}` prints the full report.</sub>\n",
        cp.tool_version,
        inline(&cp.plan_id),
        cp.plan_id
    )
}

/// The folded diff, as much as fits in `room` characters: whole files in order, each cut at
/// [`FILE_DIFF_LINES`], the last one in part, then a line saying what was left out.
fn diff_section(cp: &Checkpoint, diffs: &[FileDiff], room: usize) -> String {
    let see_all = format!("`remedy diff --root . --plan {}`", cp.plan_id);
    let total_lines: usize = diffs.iter().map(|d| d.diff.lines().count()).sum();
    // The frame (summary, fence, note) is counted generously, so that what is inside can use
    // the rest.
    let frame = 600 + chars(&see_all);
    let inner = room.saturating_sub(frame);
    let excerpt = fit_diffs(diffs, inner);
    let fence = "`".repeat(longest_backtick_run(&excerpt.text).max(2) + 1);
    let mut md = String::new();
    let _ = writeln!(
        md,
        "<details><summary>Diff ({}, {})</summary>\n",
        count(diffs.len() as u64, "file"),
        count(total_lines as u64, "line")
    );
    if excerpt.text.is_empty() {
        let _ = writeln!(md, "The diff does not fit in this description.\n");
    } else {
        let _ = writeln!(md, "{fence}diff\n{}{fence}\n", excerpt.text);
    }
    let left_out = total_lines - excerpt.lines_shown;
    if left_out > 0 {
        let _ = writeln!(
            md,
            "Shown: {} of {} in full{}; {} left out to fit GitHub's limit on a description. \
             {see_all} prints the whole diff.\n",
            excerpt.files_whole,
            count(diffs.len() as u64, "file"),
            if excerpt.files_part > 0 {
                format!(", {} in part", excerpt.files_part)
            } else {
                String::new()
            },
            count(left_out as u64, "line"),
        );
    }
    let _ = writeln!(md, "</details>\n");
    md
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A run of one patch phase over `files` files of `sites` sites each, then a pytest phase
    /// compared with a baseline, with `status` as the pytest phase's status.
    pub(crate) fn run(files: usize, sites: usize, status: &str) -> Checkpoint {
        let changes: Vec<serde_json::Value> = (0..files)
            .map(|i| {
                serde_json::json!({
                    "path": format!("pkg/mod_{i:04}.py"), "before": "b", "after": "a", "mode": 0o644,
                    "state": "written",
                    "sites": (0..sites).map(|s| serde_json::json!({"line": s + 1, "edit": 0})).collect::<Vec<_>>(),
                    "lines_added": sites, "lines_removed": sites
                })
            })
            .collect();
        let counts = |passed: u64, failed: u64| serde_json::json!({"passed": passed, "failed": failed, "errors": 0, "skipped": 0});
        let pytest = |passed: u64, failed: u64, comparison: serde_json::Value| {
            serde_json::json!({
                "kind": "pytest", "python": "/usr/bin/python3", "pytest_version": "8.0.0",
                "suites": [], "totals": counts(passed, failed),
                "pass_rate": passed as f64 / (passed + failed) as f64,
                "criteria": [{"name": "no new failures", "expected": "0 regressed", "actual": "0 regressed", "held": failed == 0}],
                "comparison": comparison
            })
        };
        serde_json::from_value(serde_json::json!({
            "format_version": 1, "tool_version": "9.9.9", "plan_id": "fix-it",
            "plan_title": "Fix the thing", "plan_description": "The thing is broken.\n\nThis mends it.",
            "plan_path": "/p/plan.yaml", "root": "/r", "started_at": 0, "updated_at": 0,
            "phases": [
                {"name": "baseline", "kind": "pytest", "fingerprint": "f", "status": "succeeded",
                 "outcome": pytest(1, 3, serde_json::Value::Null)},
                {"name": "patch", "kind": "patch", "fingerprint": "f", "status": "succeeded",
                 "outcome": {"kind": "patch", "scanned": files + 5, "files": changes,
                             "edits": [{"name": "mend", "sites": files * sites, "files": files}],
                             "skipped": []}},
                {"name": "tests", "kind": "pytest", "fingerprint": "f", "status": status,
                 "error": if status == "failed" { serde_json::json!("criteria not met:\n  no new failures") } else { serde_json::Value::Null },
                 "outcome": pytest(if status == "failed" { 2 } else { 4 }, if status == "failed" { 2 } else { 0 },
                    serde_json::json!({"baseline": "baseline", "fixed": ["t.py::a", "t.py::b"], "regressed": [],
                                       "still_failing": ["t.py::c"], "new": [], "gone": []}))},
                {"name": "report", "kind": "report", "fingerprint": "f",
                 "status": if status == "failed" { "pending" } else { "succeeded" }}
            ]
        }))
        .unwrap()
    }

    /// A diff of `lines` lines (three of them headers) of the file at `path`.
    pub(crate) fn diff(path: &str, lines: usize) -> FileDiff {
        let mut text = format!("--- a/{path}\n+++ b/{path}\n@@ -1,{lines} +1,{lines} @@\n");
        for i in 0..lines.saturating_sub(3) {
            text.push_str(&format!("-old line {i} of {path}\n"));
        }
        FileDiff {
            path: path.into(),
            diff: text,
        }
    }

    #[test]
    fn a_body_with_a_huge_diff_stays_under_githubs_limit_and_says_how_to_see_it_all() {
        let cp = run(400, 3, "succeeded");
        let diffs: Vec<FileDiff> = (0..400)
            .map(|i| diff(&format!("pkg/mod_{i:04}.py"), 60))
            .collect();
        let body = render_body(&cp, &diffs, BODY_BUDGET);
        assert!(chars(&body) <= BODY_BUDGET, "{} chars", chars(&body));
        assert!(
            body.contains("lines left out to fit GitHub's limit"),
            "{body}"
        );
        assert!(body.contains("`remedy diff --root . --plan fix-it` prints the whole diff"));
        assert!(body.contains("<details><summary>Diff (400 files, 24000 lines)</summary>"));
        // The file list is folded and cut, with a count of the rest.
        assert!(body.contains("<details><summary>Files (400)</summary>"));
        assert!(body.contains("- … and 300 more files"), "{body}");
        // The diff is one fenced block, closed before the folding ends.
        let open = body.find("```diff\n").unwrap();
        let close = body[open + 8..].find("\n```\n").unwrap();
        assert!(body[open + 8 + close..].contains("</details>"));
    }

    #[test]
    fn a_small_diff_is_shown_whole_with_nothing_said_about_leaving_out() {
        let cp = run(2, 2, "succeeded");
        let diffs = [diff("pkg/mod_0000.py", 5), diff("pkg/mod_0001.py", 5)];
        let body = render_body(&cp, &diffs, BODY_BUDGET);
        assert!(body.contains(&diffs[1].diff));
        assert!(!body.contains("left out"), "{body}");
    }

    #[test]
    fn a_diff_holding_backticks_gets_a_longer_fence() {
        let cp = run(1, 1, "succeeded");
        let diffs = [FileDiff {
            path: "README.md".into(),
            diff: "--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-````py\n+```py\n".into(),
        }];
        let body = render_body(&cp, &diffs, BODY_BUDGET);
        assert!(body.contains("`````diff\n--- a/README.md"), "{body}");
    }

    #[test]
    fn inline_code_outside_a_table_keeps_a_pipe_as_it_is() {
        assert_eq!(inline("t.py::test[a|b]"), "`t.py::test[a|b]`");
        assert_eq!(inline("a `b`"), "`` a `b` ``");
        assert_eq!(code("a|b"), "`a\\|b`");
    }

    #[test]
    fn the_cap_cuts_at_a_line_and_says_so() {
        let body: String = (0..1_000).map(|i| format!("line {i}\n")).collect();
        let capped = cap(body.clone(), 2_000);
        assert!(chars(&capped) <= 2_000);
        assert!(capped.contains("the rest of this description is left out"));
        let kept = capped.split("\n\n…").next().unwrap();
        assert!(body.starts_with(kept) && kept.ends_with('\n'));
        assert_eq!(cap("short\n".into(), 2_000), "short\n");
    }

    #[test]
    fn a_run_that_stopped_early_says_which_phase_failed_and_what_did_not_run() {
        let cp = run(2, 1, "failed");
        let body = render_body(&cp, &[], BODY_BUDGET);
        assert!(
            body.contains("> **The run stopped early:** the pytest phase `tests` failed.\n> criteria not met:\n>   no new failures\n"),
            "{body}"
        );
        assert!(body.contains("> Not run: `report`."), "{body}");
        assert!(body.contains("`remedy resume --root . --plan fix-it`"));
        assert!(body.contains("- [ ] `tests`: no new failures"), "{body}");
        assert!(body.contains("- [ ] `baseline`: no new failures"));
        assert!(body.contains("| **Pass rate** | 25.0% | 50.0% |"), "{body}");
    }

    #[test]
    fn a_finished_run_has_its_tests_compared_and_its_criteria_checked() {
        let cp = run(2, 1, "succeeded");
        let body = render_body(&cp, &[], BODY_BUDGET);
        assert!(!body.contains("[!CAUTION]"), "{body}");
        assert!(
            body.contains("**2 fixed**, **0 regressed**, **1 still failing**."),
            "{body}"
        );
        assert!(body.contains("## Criteria (1 of 2 met)"), "{body}");
        // Unmet criteria come first.
        let unmet = body.find("- [ ] `baseline`").unwrap();
        let met = body.find("- [x] `tests`").unwrap();
        assert!(unmet < met);
        assert!(body.contains(
            "Phase `patch` changed 2 sites in 2 files with edit `mend`. In `tests`, 4 of 4 tests (100.0%) passed, against 1 of 4 tests (25.0%) in `baseline`: 2 fixed, 0 regressed, 1 still failing. 1 of 2 criteria are met."
        ), "{body}");
    }
}
