//! `remedy demo`: the bundled sample project, copied into a fresh folder, remediated end to end.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::fsutil::{self, Durability};
use crate::process::{run_capture, Captured, ChildGroups};
use crate::python;
use crate::python::venv::{INSTALL_TIMEOUT, VENV_TIMEOUT};
use crate::ui::Style;
use crate::ui::{Event, Ui};

include!(concat!(env!("OUT_DIR"), "/sample.rs"));

pub(crate) const PLAN_FILE: &str = "issue-1184-websocket-await.yaml";
pub(crate) const REPO_DIR: &str = "websocket-app";

/// Writes the sample project to `dir/websocket-app` and the plan to `dir/<plan>.yaml`.
pub(crate) fn write_sample(dir: &std::path::Path) -> Result<(PathBuf, PathBuf)> {
    let repo = dir.join(REPO_DIR);
    if repo.exists() {
        return Err(Error::usage(
            format!("{} already exists", repo.display()),
            Some("pass an empty or new folder to `remedy demo DIR`".to_string()),
        ));
    }
    for (rel, bytes, mode) in SAMPLE_FILES {
        let path = repo.join(rel);
        if let Some(parent) = path.parent() {
            fsutil::create_dir_all(parent)?;
        }
        fsutil::write_atomic(&path, bytes, Some(*mode), Durability::Batched)?;
    }
    let plan = dir.join(PLAN_FILE);
    fsutil::write_atomic(&plan, SAMPLE_PLAN.as_bytes(), None, Durability::Batched)?;
    Ok((repo, plan))
}

/// What a helper that failed printed, or that it ran out of time.
fn describe(out: &Captured, limit: Duration) -> String {
    if out.exit.timed_out {
        format!(
            "it did not finish within {}s and was killed",
            limit.as_secs()
        )
    } else {
        out.output.trim().to_string()
    }
}

/// Makes sure the sample's tests can run: when the Python remedy would pick cannot import pytest,
/// creates a virtual environment with pytest in `venv`, beside the sample rather than inside it,
/// so that a rollback leaves the sample byte-identical to the bundled one. Returns the
/// interpreter it made, for the plan to name (an active virtualenv would otherwise be chosen).
async fn ensure_pytest(
    repo: &std::path::Path,
    venv: &std::path::Path,
    ui: &Ui,
) -> Result<Option<PathBuf>> {
    let groups = ChildGroups::default();
    let (program, why) = python::choose(repo, None);
    if python::probe(&program, &why, repo, &groups).await.is_ok() {
        return Ok(None);
    }
    ui.note(format!(
        "remedy demo: `{program}` cannot import pytest; creating {} with pytest (needs the package index) ...",
        venv.display()
    ));
    let venv_str = venv.to_string_lossy().into_owned();
    let made = run_capture(
        "python3",
        &["-m", "venv", &venv_str],
        repo,
        VENV_TIMEOUT,
        &groups,
    )
    .await
    .map_err(|e| {
        Error::usage(
            format!("cannot run python3 to create a virtual environment: {e}"),
            Some("install Python 3 (with the venv module)".to_string()),
        )
    })?;
    if made.code() != Some(0) {
        return Err(Error::usage(
            format!("`python3 -m venv` failed:\n{}", describe(&made, VENV_TIMEOUT)),
            Some("install the venv module (Debian: apt-get install python3-venv), or install pytest for python3".to_string()),
        ));
    }
    let py = venv.join("bin/python").to_string_lossy().into_owned();
    let pip_args = ["-m", "pip", "install", "--quiet", "pytest"];
    let installed = run_capture(&py, &pip_args, repo, INSTALL_TIMEOUT, &groups)
        .await
        .map_err(|e| Error::usage(format!("cannot run pip: {e}"), None))?;
    if installed.code() != Some(0) {
        return Err(Error::usage(
            format!(
                "installing pytest into {} failed:\n{}",
                venv.display(),
                describe(&installed, INSTALL_TIMEOUT)
            ),
            Some("check your network access to the package index, or install pytest for python3 yourself".to_string()),
        ));
    }
    Ok(Some(venv.join("bin/python")))
}

pub(crate) async fn run(dir: Option<PathBuf>, style: Style) -> Result<()> {
    let dir = match dir {
        Some(d) => {
            fsutil::create_dir_all(&d)?;
            d
        }
        None => tempfile::Builder::new()
            .prefix("remedy-demo-")
            .tempdir()
            .map_err(|e| Error::io("create a folder in", std::env::temp_dir(), e))?
            .keep(),
    };
    let dir = dir
        .canonicalize()
        .map_err(|e| Error::io("resolve", &dir, e))?;
    let (repo, plan) = write_sample(&dir)?;
    // The demo's own lines go through the same printer as the run's, one consumer at a time.
    let (ui, task) = Ui::start(style);
    ui.note(format!(
        "remedy demo: sample project in {}\nremedy demo: plan {}",
        repo.display(),
        plan.display()
    ));
    let bootstrapped = ensure_pytest(&repo, &dir.join("python-venv"), &ui).await;
    drop(ui);
    let _ = task.await;
    if let Some(python) = bootstrapped? {
        // The interpreter the demo made, named in its copy of the plan (an active virtualenv
        // would otherwise be chosen first).
        let text = crate::plan::with_interpreter(SAMPLE_PLAN, &python.to_string_lossy())
            .ok_or_else(|| {
                Error::usage(
                    "the sample plan already names an interpreter, or is not a plan",
                    None,
                )
            })?;
        fsutil::write_atomic(&plan, text.as_bytes(), None, Durability::Synced)?;
    }
    let summary = crate::engine::run(&plan, &repo, false, style).await?;
    let r = repo.display();
    let mut next = String::from("\n");
    if let Some(report) = summary.report {
        next.push_str(&format!("Report: {}\n", report.display()));
    }
    next.push_str(&format!(
        "Try next:\n  remedy status --root {r}\n  remedy diff --root {r}\n  remedy report --root {r} --format json\n  remedy rollback --all --root {r}    # puts every byte back\n  remedy run {} --root {r} --dry-run   # after a rollback: preview again\n",
        plan.display()
    ));
    if style.mode != crate::ui::Mode::Quiet {
        let (ui, task) = Ui::start(style);
        ui.send(Event::Text { text: next });
        drop(ui);
        let _ = task.await;
    }
    Ok(())
}
