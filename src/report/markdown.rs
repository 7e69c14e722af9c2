//! The Markdown report: what a reviewer pastes into the tracker. Renders well on GitHub (tables,
//! collapsible `<details>` for long lists).

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::state::checkpoint::{
    Checkpoint, FileState, Outcome, PatchOutcome, PhaseStatus, PytestOutcome, TestStatus,
    ValidateOutcome,
};
use crate::timefmt;

use super::{count_mismatches, next_commands, run_status};

/// Lists longer than this are folded into `<details>`.
pub(super) const FOLD_AT: usize = 15;

/// Escapes text for a table cell.
/// Escapes text for a table cell; its lines stay lines (`<br>`), at most [`CELL_LINES`] of them,
/// so a failure that lists criteria or tests reads as a list and not as one run-on line.
fn cell(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let mut shown: Vec<String> = lines
        .iter()
        .take(CELL_LINES)
        .map(|l| l.replace('|', "\\|").replace('<', "&lt;"))
        .collect();
    if lines.len() > CELL_LINES {
        shown.push(format!("… {} more lines", lines.len() - CELL_LINES));
    }
    shown.join("<br>")
}

/// How many lines of a multi-line text a table cell shows.
const CELL_LINES: usize = 8;

/// Text as inline code, with a fence longer than any backtick run inside it.
pub(super) fn code(text: &str) -> String {
    let ticks = if text.contains('`') { "``" } else { "`" };
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!(
        "{ticks}{pad}{}{pad}{ticks}",
        text.replace('|', "\\|").replace('\n', " ")
    )
}

fn mark(ok: bool) -> &'static str {
    if ok {
        "✅"
    } else {
        "❌"
    }
}

fn status_icon(status: PhaseStatus) -> &'static str {
    match status {
        PhaseStatus::Succeeded => "✅ succeeded",
        PhaseStatus::Failed => "❌ failed",
        PhaseStatus::Interrupted => "⚠️ interrupted",
        PhaseStatus::Running => "⏳ running",
        PhaseStatus::Pending => "⏸ pending",
        PhaseStatus::RolledBack => "↩️ rolled back",
    }
}

/// Where a report finds the before- and after-images of the files a patch changed, to show what
/// changed; `None` renders without excerpts.
pub(crate) type Images<'a> = Option<&'a crate::state::objects::ObjectStore>;

/// How many changed files get a diff excerpt, and how many lines each excerpt keeps.
const EXCERPT_FILES: usize = 25;
const EXCERPT_LINES: usize = 40;

pub(crate) fn render(cp: &Checkpoint, images: Images<'_>) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Remediation report: {}\n", cp.plan_title);
    if let Some(d) = &cp.plan_description {
        let _ = writeln!(md, "{}\n", d.trim());
    }
    let _ = writeln!(md, "| | |\n|---|---|");
    let _ = writeln!(md, "| Plan | {} |", code(&cp.plan_id));
    let _ = writeln!(md, "| Status | **{}** |", run_status(cp).replace('_', " "));
    let _ = writeln!(md, "| Repository | {} |", code(&super::repository_name(cp)));
    if let Some(git) = &cp.git {
        let _ = writeln!(
            md,
            "| Git | {}{} |",
            code(&git.commit),
            if git.dirty {
                " (uncommitted changes before the run)"
            } else {
                ""
            }
        );
    }
    let _ = writeln!(md, "| Started | {} |", timefmt::rfc3339(cp.started_at));
    let _ = writeln!(md, "| Tool | remedy {} |", cp.tool_version);
    md.push('\n');

    if let Some(p) = cp
        .phases
        .iter()
        .find(|p| matches!(p.status, PhaseStatus::Failed | PhaseStatus::Interrupted))
    {
        let what = if p.status == PhaseStatus::Failed {
            "failed"
        } else {
            "was interrupted"
        };
        let _ = writeln!(
            md,
            "> [!CAUTION]\n> **The run stopped:** phase `{}` {what}.",
            p.name
        );
        if let Some(error) = p.error.as_deref() {
            for line in error.lines().take(12) {
                let _ = writeln!(md, "> {}", line.trim_end());
            }
        }
        md.push('\n');
    }

    for m in count_mismatches(cp) {
        let _ = writeln!(
            md,
            "> [!WARNING]\n> **Count mismatch:** check “{}” in phase `{}` counted **{}** sites, but the patch changed **{}**. \
             The precondition does not describe the work; review the plan.\n",
            m.check, m.phase, m.counted, m.changed
        );
    }

    let _ = writeln!(md, "## Phases\n");
    let _ = writeln!(
        md,
        "| Phase | Kind | Status | Duration | Summary |\n|---|---|---|---:|---|"
    );
    for p in &cp.phases {
        let status = if p.kind == crate::plan::PhaseKind::Report && p.status == PhaseStatus::Running
        {
            "📝 this report".to_string()
        } else {
            status_icon(p.status).to_string()
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            code(&p.name),
            p.kind,
            status,
            p.duration_ms.map(timefmt::duration).unwrap_or_default(),
            match &p.description {
                Some(d) => format!(
                    "_{}_<br>{}",
                    cell(d.trim()),
                    cell(p.error.as_deref().or(p.summary.as_deref()).unwrap_or(""))
                ),
                None => cell(p.error.as_deref().or(p.summary.as_deref()).unwrap_or("")),
            }
        );
    }
    md.push('\n');

    let mut criteria: Vec<(String, bool)> = Vec::new();
    for p in &cp.phases {
        match &p.outcome {
            Some(Outcome::Validate(v)) => {
                render_validate(&mut md, &p.name, v);
                for c in &v.checks {
                    criteria.push((
                        format!(
                            "{}: {} (expected {}, got {})",
                            p.name, c.name, c.expected, c.actual
                        ),
                        c.passed,
                    ));
                }
            }
            Some(Outcome::Patch(o)) if p.status != PhaseStatus::RolledBack => {
                render_patch(&mut md, &p.name, o, images)
            }
            Some(Outcome::Pytest(o)) => {
                render_pytest(&mut md, cp, &p.name, o);
                for c in &o.criteria {
                    criteria.push((
                        format!(
                            "{}: {} (expected {}, got {})",
                            p.name, c.name, c.expected, c.actual
                        ),
                        c.held,
                    ));
                }
            }
            Some(Outcome::Backup(b)) => {
                let bytes: u64 = b.files.iter().map(|f| f.size).sum();
                let _ = writeln!(
                    md,
                    "## Backup `{}`\n\n{} ({bytes} bytes) stored outside the tree in `.remedy/{}/objects/`.\n",
                    p.name,
                    crate::words::count_of(&b.files, "file"),
                    cp.plan_id
                );
            }
            Some(Outcome::Command(c)) => {
                let _ = writeln!(
                    md,
                    "## Command `{}`\n\n{}: {} (expected {}); output in {}.\n",
                    p.name,
                    code(&c.argv.join(" ")),
                    if c.timed_out {
                        "timed out".to_string()
                    } else {
                        c.exit_code
                            .map_or("killed".into(), |e| format!("exit code {e}"))
                    },
                    c.expected_exit_code,
                    code(c.log.as_str())
                );
            }
            _ => {}
        }
    }

    render_created(&mut md, cp);

    if !criteria.is_empty() {
        let _ = writeln!(md, "## Success criteria\n");
        for (text, ok) in &criteria {
            let _ = writeln!(md, "- [{}] {}", if *ok { "x" } else { " " }, text);
        }
        md.push('\n');
    }

    let _ = writeln!(md, "## Next steps\n\n```sh");
    let _ = writeln!(md, "# from the repository's root");
    for (what, cmd) in next_commands(cp, ".") {
        let _ = writeln!(md, "# {what}\n{cmd}");
    }
    let _ = writeln!(md, "```");
    md
}

/// Files the run's programs (tests, commands) created in the tree: listed one by one, except the
/// caches Python and pytest write, which are only counted.
fn render_created(md: &mut String, cp: &Checkpoint) {
    let phases: Vec<_> = cp
        .phases
        .iter()
        .filter(|p| !p.created.is_empty() || !p.created_unrecorded.is_empty())
        .collect();
    if phases.is_empty() {
        return;
    }
    let total: usize = phases.iter().map(|p| p.created.len()).sum();
    let caches: usize = phases
        .iter()
        .flat_map(|p| &p.created)
        .filter(|f| crate::tree::created::is_cache(&f.path))
        .count();
    let _ = writeln!(md, "## Files created by tests and commands\n");
    let _ = writeln!(
        md,
        "The programs the run started created {} in the tree{}; `remedy rollback` removes those \
         still as they were left.\n",
        plural(total, "file"),
        if caches > 0 {
            format!(" ({caches} of them in `__pycache__/` or `.pytest_cache/`, not listed)")
        } else {
            String::new()
        }
    );
    let listed: Vec<(&str, &str)> = phases
        .iter()
        .flat_map(|p| {
            p.created
                .iter()
                .filter(|f| !crate::tree::created::is_cache(&f.path))
                .map(|f| (p.name.as_str(), f.path.as_str()))
                .chain(
                    p.created_unrecorded
                        .iter()
                        .map(|u| (p.name.as_str(), u.as_str())),
                )
        })
        .collect();
    if listed.is_empty() {
        return;
    }
    let fold = listed.len() > FOLD_AT;
    if fold {
        let _ = writeln!(
            md,
            "<details><summary>{}</summary>\n",
            plural(listed.len(), "file")
        );
    }
    let _ = writeln!(md, "| Phase | File |\n|---|---|");
    for (phase, path) in listed {
        let _ = writeln!(md, "| {} | {} |", code(phase), code(path));
    }
    if fold {
        let _ = writeln!(md, "\n</details>");
    }
    md.push('\n');
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn render_validate(md: &mut String, name: &str, v: &ValidateOutcome) {
    let _ = writeln!(md, "## Validation `{name}`\n");
    let _ = writeln!(
        md,
        "| Check | Subject | Expected | Actual | |\n|---|---|---|---|---|"
    );
    for c in &v.checks {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            cell(&c.name),
            code(&c.subject),
            cell(&c.expected),
            cell(&c.actual),
            mark(c.passed)
        );
    }
    md.push('\n');
}

fn render_patch(md: &mut String, name: &str, o: &PatchOutcome, images: Images<'_>) {
    let sites: usize = o.files.iter().map(|f| f.sites.len()).sum();
    let added: u64 = o.files.iter().map(|f| f.lines_added).sum();
    let removed: u64 = o.files.iter().map(|f| f.lines_removed).sum();
    let _ = writeln!(md, "## Changes `{name}`\n");
    let scanned = if o.parsed > 0 {
        format!(
            "{} scanned, {} parsed",
            crate::words::count(o.scanned, "file"),
            o.parsed
        )
    } else {
        format!("{} scanned", crate::words::count(o.scanned, "file"))
    };
    if o.files.iter().any(|f| f.state == FileState::Planned) {
        let _ = writeln!(
            md,
            "**Refused: nothing was written.** The phase would have changed {} in {} ({scanned}):\n",
            crate::words::count(sites as u64, "site"),
            crate::words::count_of(&o.files, "file"),
        );
    } else {
        let _ = writeln!(
            md,
            "**{} in {}** ({scanned}); diffstat: +{added} −{removed} lines.\n",
            crate::words::count(sites as u64, "site"),
            crate::words::count_of(&o.files, "file"),
        );
    }
    let drifted: Vec<String> = o.drifted().map(|p| code(p.as_str())).collect();
    if !drifted.is_empty() {
        let _ = writeln!(
            md,
            "**Drifted: {} not written.** Another process changed them while remedy was writing; they keep that content: {}\n",
            crate::words::count_of(&drifted, "file"),
            drifted.join(", ")
        );
    }
    let _ = writeln!(
        md,
        "| Edit | Sites | Files | Expected |\n|---|---:|---:|---|"
    );
    for e in &o.edits {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            cell(&e.name),
            e.sites,
            e.files,
            e.expected.as_deref().unwrap_or("")
        );
    }
    md.push('\n');
    let mut by_folder: BTreeMap<&str, Vec<&crate::state::checkpoint::FileChange>> = BTreeMap::new();
    for f in &o.files {
        by_folder.entry(f.path.parent()).or_default().push(f);
    }
    let fold = o.files.len() > FOLD_AT;
    if fold {
        let _ = writeln!(
            md,
            "<details><summary>Changed files ({})</summary>\n",
            o.files.len()
        );
    }
    let _ = writeln!(md, "| File | Lines | +/− |\n|---|---|---|");
    for (folder, files) in by_folder {
        let folder = if folder.is_empty() { "." } else { folder };
        let _ = writeln!(md, "| **{}/** | | |", cell(folder));
        for f in files {
            let lines: Vec<String> = f.sites.iter().map(|s| s.line.to_string()).collect();
            let _ = writeln!(
                md,
                "| {} | {} | +{} −{} |",
                code(f.path.as_str()),
                lines.join(", "),
                f.lines_added,
                f.lines_removed
            );
        }
    }
    if fold {
        let _ = writeln!(md, "\n</details>");
    }
    md.push('\n');
    if let Some(objects) = images {
        render_excerpts(md, o, objects);
    }
    if !o.left_alone.is_empty() {
        let _ = writeln!(
            md,
            "<details><summary>Left alone on purpose ({})</summary>\n",
            crate::words::count_of(&o.left_alone, "site")
        );
        let _ = writeln!(
            md,
            "The pattern matched these sites, and the edit's context kept it from changing them.\n"
        );
        let _ = writeln!(md, "| File | Line | Edit | Why |\n|---|---:|---|---|");
        for l in &o.left_alone {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                code(l.path.as_str()),
                l.line,
                cell(&l.edit),
                cell(&l.reason)
            );
        }
        let _ = writeln!(md, "\n</details>\n");
    }
    if !o.unresolved.is_empty() {
        let _ = writeln!(
            md,
            "<details><summary>Unresolved names ({})</summary>\n",
            crate::words::count_of(&o.unresolved, "site")
        );
        let _ = writeln!(
            md,
            "The pattern matched these sites except that the name does not resolve to the edit's \
             symbol through the file's imports, so remedy cannot tell whether they call it; the \
             edit's `unresolved` decided what became of them.\n"
        );
        let _ = writeln!(
            md,
            "| File | Line | Edit | Why | Done |\n|---|---:|---|---|---|"
        );
        for u in &o.unresolved {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                code(u.path.as_str()),
                u.line,
                cell(&u.edit),
                cell(&format!("the name is {}", u.reason)),
                cell(&u.action)
            );
        }
        let _ = writeln!(md, "\n</details>\n");
    }
    if !o.skipped.is_empty() {
        let _ = writeln!(
            md,
            "<details><summary>Skipped files ({})</summary>\n",
            o.skipped.len()
        );
        let _ = writeln!(md, "| File | Reason |\n|---|---|");
        for s in &o.skipped {
            let _ = writeln!(md, "| {} | {} |", code(s.path.as_str()), cell(&s.reason));
        }
        let _ = writeln!(md, "\n</details>\n");
    }
}

/// A folded diff of each changed file, capped in files and lines, so a reviewer sees the change
/// without checking out the branch. A file whose images cannot be read is left out.
fn render_excerpts(
    md: &mut String,
    o: &PatchOutcome,
    objects: &crate::state::objects::ObjectStore,
) {
    let written: Vec<_> = o
        .files
        .iter()
        .filter(|f| matches!(f.state, FileState::Written | FileState::Intended))
        .collect();
    if written.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "<details><summary>Diff excerpts ({})</summary>\n",
        crate::words::count(written.len().min(EXCERPT_FILES) as u64, "file")
    );
    for f in written.iter().take(EXCERPT_FILES) {
        let (Ok(before), Ok(after)) = (objects.get(&f.before), objects.get(&f.after)) else {
            continue;
        };
        let diff = crate::ui::unified_diff(
            f.path.as_str(),
            &String::from_utf8_lossy(&before),
            &String::from_utf8_lossy(&after),
        );
        let lines: Vec<&str> = diff.lines().collect();
        // A fence longer than any run of backticks in the diff, so the diff cannot close it.
        let longest = lines
            .iter()
            .map(|l| l.split(|c| c != '`').map(str::len).max().unwrap_or(0))
            .max()
            .unwrap_or(0);
        let fence = "`".repeat(longest.max(2) + 1);
        let _ = writeln!(md, "{fence}diff");
        for line in lines.iter().take(EXCERPT_LINES) {
            let _ = writeln!(md, "{line}");
        }
        if lines.len() > EXCERPT_LINES {
            let _ = writeln!(
                md,
                "… {} more lines (`remedy diff` shows them all)",
                lines.len() - EXCERPT_LINES
            );
        }
        let _ = writeln!(md, "{fence}\n");
    }
    if written.len() > EXCERPT_FILES {
        let _ = writeln!(
            md,
            "{} more; `remedy diff` shows every change.\n",
            crate::words::count((written.len() - EXCERPT_FILES) as u64, "file")
        );
    }
    let _ = writeln!(md, "</details>\n");
}

fn render_pytest(md: &mut String, cp: &Checkpoint, name: &str, o: &PytestOutcome) {
    let _ = writeln!(md, "## Tests `{name}`\n");
    let version = if o.python_version.is_empty() {
        String::new()
    } else {
        format!(" {}", o.python_version)
    };
    let chosen = if o.python_chosen_by.is_empty() {
        String::new()
    } else {
        format!(" ({})", o.python_chosen_by)
    };
    let _ = writeln!(
        md,
        "Python{version} {}{chosen} with pytest {}.",
        code(&super::shown_path(cp, &o.python)),
        o.pytest_version
    );
    let mut how = Vec::new();
    if o.jobs > 0 {
        how.push(format!(
            "up to {} at a time",
            crate::words::count(o.jobs, "suite")
        ));
    }
    match &o.xdist {
        Some(x) => how.push(format!(
            "pytest-xdist {} with `-n {}` in each suite",
            x.version, x.workers
        )),
        None => how.push("no pytest-xdist".into()),
    }
    let _ = writeln!(md, "Ran {}.\n", how.join(", "));
    let reused: Vec<&str> = o
        .suites
        .iter()
        .filter(|s| s.reused)
        .map(|s| s.name.as_str())
        .collect();
    if !reused.is_empty() {
        let _ = writeln!(
            md,
            "Reused from the earlier attempt (passed then, not run again): {}.\n",
            reused
                .iter()
                .map(|n| code(n))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(md, "| Suite | Result | Passed | Failed | Errors | Skipped | Duration |\n|---|---|---:|---:|---:|---:|---:|");
    for s in &o.suites {
        let mut result = s.status.describe().to_string();
        if s.reused {
            result.push_str(" (reused)");
        }
        if let Some(d) = &s.detail {
            result.push_str(&format!(": {}", d.lines().next().unwrap_or("")));
        }
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} |",
            cell(&s.name),
            cell(&result),
            s.counts.passed,
            s.counts.failed,
            s.counts.errors,
            s.counts.skipped,
            timefmt::duration(s.duration_ms)
        );
    }
    let t = &o.totals;
    let _ = writeln!(
        md,
        "| **Total** | {} | {} | {} | {} | {} | |\n",
        o.pass_rate
            .map_or("no tests".into(), |r| format!("{:.1}% pass", r * 100.0)),
        t.passed,
        t.failed,
        t.errors,
        t.skipped
    );
    super::selection::render(md, o);
    if let Some(c) = &o.comparison {
        let _ = writeln!(md, "Compared with `{}`:\n", c.baseline);
        let _ = writeln!(
            md,
            "| Fixed | Regressed | Still failing | New | Gone |\n|---:|---:|---:|---:|---:|"
        );
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |\n",
            c.fixed.len(),
            c.regressed.len(),
            c.still_failing.len(),
            c.new.len(),
            c.gone.len()
        );
        for (title, list) in [
            ("Regressed", &c.regressed),
            ("Still failing", &c.still_failing),
            ("Fixed", &c.fixed),
        ] {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(md, "<details><summary>{title} ({})</summary>\n", list.len());
            for id in list {
                let _ = writeln!(md, "- {}", code(id));
            }
            let _ = writeln!(md, "\n</details>\n");
        }
    }
    let failures: Vec<_> = o
        .suites
        .iter()
        .flat_map(|s| s.tests.iter())
        .filter(|t| matches!(t.status, TestStatus::Failed | TestStatus::Error))
        .collect();
    if !failures.is_empty() {
        let _ = writeln!(
            md,
            "<details><summary>Failures ({})</summary>\n",
            failures.len()
        );
        for t in failures {
            let _ = writeln!(md, "- {}", code(&t.id));
            let message = t.message.as_deref().filter(|m| !m.trim().is_empty());
            if let Some(m) = message.filter(|m| !m.trim_end().contains('\n')) {
                let _ = writeln!(md, "  {}", code(m.trim_end()));
            } else if let Some(m) = message {
                // The first lines of the message (the parser keeps a few), fenced so that any
                // Markdown inside stays literal.
                let fence = if m.contains("```") { "~~~~" } else { "```" };
                let _ = writeln!(md, "\n  {fence}text");
                for line in m.lines() {
                    let _ = writeln!(md, "  {line}");
                }
                let _ = writeln!(md, "  {fence}");
            }
        }
        let _ = writeln!(md, "\n</details>\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_cell_keeps_its_lines_and_escapes_what_would_break_the_table() {
        assert_eq!(
            cell("criteria not met:\n  no new failures | 2 regressed\n  min <0.95>"),
            "criteria not met:<br>  no new failures \\| 2 regressed<br>  min &lt;0.95>"
        );
        let long: String = (0..12).map(|i| format!("line {i}\n")).collect();
        let shown = cell(&long);
        assert_eq!(shown.matches("<br>").count(), CELL_LINES);
        assert!(shown.ends_with("… 4 more lines"), "{shown}");
    }
}
