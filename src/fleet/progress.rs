//! What a fleet shows while it runs: on a terminal, a line per running repository (its phase, and
//! its tests once a suite runs) under a bar for the whole fleet; elsewhere (CI, a pipe) one plain
//! line when a repository starts and one when it ends; with `--quiet`, nothing but errors. The
//! style is the one `ui::Style::detect` decides for every verb.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::child::Progress;
use super::state::RepoStatus;
use crate::ui::{Mode, Style};

/// Shared by every repository's task.
#[derive(Clone)]
pub(crate) struct FleetProgress {
    inner: Arc<Inner>,
}

struct Inner {
    style: Style,
    multi: MultiProgress,
    total: Option<ProgressBar>,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl FleetProgress {
    /// `total` repositories will run, `done` of them already have.
    pub(crate) fn new(style: Style, total: u64) -> FleetProgress {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let total = (style.mode == Mode::Terminal).then(|| {
            let bar = multi.add(ProgressBar::new(total));
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix:.bold} [{bar:30.cyan/blue}] {pos}/{len} repositories {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_prefix("fleet");
            bar
        });
        FleetProgress {
            inner: Arc::new(Inner {
                style,
                multi,
                total,
                bars: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// A line for people (stderr), unless quiet.
    pub(crate) fn note(&self, message: &str) {
        match self.inner.style.mode {
            Mode::Terminal => {
                let _ = self.inner.multi.println(message);
            }
            Mode::Plain | Mode::Json => eprintln!("{message}"),
            Mode::Quiet => {}
        }
    }

    pub(crate) fn started(&self, name: &str, what: &str) {
        match self.inner.style.mode {
            Mode::Terminal => {
                let bar = self.inner.multi.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("  {spinner:.cyan} {prefix:24} {wide_msg:.dim}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.set_prefix(name.to_string());
                bar.set_message(what.to_string());
                bar.enable_steady_tick(Duration::from_millis(120));
                self.lock().insert(name.to_string(), bar);
            }
            Mode::Plain | Mode::Json => eprintln!("fleet: {name}: {what}"),
            Mode::Quiet => {}
        }
    }

    pub(crate) fn step(&self, name: &str, what: &str) {
        if let Some(bar) = self.lock().get(name) {
            bar.set_message(what.to_string());
        }
    }

    pub(crate) fn update(&self, name: &str, progress: &Progress) {
        let text = match progress {
            Progress::Phase { index, total, name } => {
                format!("[{}/{total}] {name}", index + 1)
            }
            Progress::Tests { done, total } => format!("tests {done}/{total}"),
        };
        if let Some(bar) = self.lock().get(name) {
            match progress {
                Progress::Phase { .. } => bar.set_message(text),
                Progress::Tests { .. } => {
                    let phase = bar.message();
                    let phase = phase.split(" · ").next().unwrap_or_default().to_string();
                    bar.set_message(format!("{phase} · {text}"));
                }
            }
        }
    }

    pub(crate) fn finished(&self, name: &str, status: RepoStatus, detail: &str) {
        let line = if detail.is_empty() {
            format!(
                "{} {name}: {}",
                mark(status),
                status.as_str().replace('_', " ")
            )
        } else {
            format!(
                "{} {name}: {}: {detail}",
                mark(status),
                status.as_str().replace('_', " ")
            )
        };
        match self.inner.style.mode {
            Mode::Terminal => {
                if let Some(bar) = self.lock().remove(name) {
                    bar.finish_and_clear();
                    self.inner.multi.remove(&bar);
                }
                let _ = self.inner.multi.println(format!("  {line}"));
                if let Some(total) = &self.inner.total {
                    total.inc(1);
                }
            }
            Mode::Plain | Mode::Json => eprintln!("fleet: {line}"),
            Mode::Quiet => {}
        }
    }

    /// Clears the bars.
    pub(crate) fn finish(&self) {
        for (_, bar) in self.lock().drain() {
            bar.finish_and_clear();
        }
        if let Some(total) = &self.inner.total {
            total.finish_and_clear();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, ProgressBar>> {
        self.inner.bars.lock().expect("lock holders do not panic")
    }
}

fn mark(status: RepoStatus) -> &'static str {
    match status {
        RepoStatus::Succeeded => "✓",
        RepoStatus::NothingToChange => "=",
        RepoStatus::Failed => "✗",
        RepoStatus::Interrupted => "!",
        _ => "-",
    }
}
