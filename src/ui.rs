//! All terminal output goes through here: phases send [`Event`]s over a channel, and one consumer
//! task decides how they look: progress bars on a terminal, plain lines otherwise, JSON lines with
//! `--json`, nothing but errors with `--quiet`.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::cli::ColorChoice;
use crate::state::checkpoint::PhaseStatus;
use crate::timefmt;

/// How output is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Spinners and bars on stderr.
    Terminal,
    /// One plain line per event, no escape codes.
    Plain,
    /// One JSON object per line on stdout.
    Json,
    /// Only errors (and diffs explicitly asked for).
    Quiet,
}

/// Output settings decided once from flags and the environment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    pub(crate) mode: Mode,
    pub(crate) color: bool,
    pub(crate) verbose: bool,
}

impl Style {
    /// The one decision about how output looks. Bars only on a terminal outside CI; color as
    /// [`wants_color`] decides for stdout.
    pub(crate) fn detect(quiet: bool, json: bool, verbose: bool, color: ColorChoice) -> Style {
        let stderr_tty = std::io::stderr().is_terminal();
        let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
        let term_dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        let mode = if json {
            Mode::Json
        } else if quiet {
            Mode::Quiet
        } else if stderr_tty && !ci && !term_dumb {
            Mode::Terminal
        } else {
            Mode::Plain
        };
        Style {
            mode,
            color: mode != Mode::Json
                && wants_color(color, std::io::stdout().is_terminal(), &env_var),
            verbose,
        }
    }
}

/// Reads an environment variable as text; unset and not-UTF-8 are both `None`.
pub(crate) fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Whether to color a stream, as ripgrep and cargo decide: `--color always|never` wins; with
/// `auto`, a non-empty `NO_COLOR` turns color off, a `CLICOLOR_FORCE` or `FORCE_COLOR` other than
/// empty or `0` turns it on (for a pager such as `less -R`), and otherwise a terminal that is not
/// `TERM=dumb` gets color.
pub(crate) fn wants_color(
    choice: ColorChoice,
    is_tty: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> bool {
    let set = |name: &str| env(name).is_some_and(|v| !v.is_empty() && v != "0");
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if env("NO_COLOR").is_some_and(|v| !v.is_empty()) => false,
        ColorChoice::Auto if set("CLICOLOR_FORCE") || set("FORCE_COLOR") => true,
        ColorChoice::Auto => is_tty && env("TERM").as_deref() != Some("dumb"),
    }
}

/// Something that happened during a run, for people (and for `--json`, one object per line, whose
/// `event` key names the variant). The shapes are documented in docs/json-events.md and
/// docs/events.schema.json (`remedy schema events`).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub(crate) enum Event {
    /// A verb that runs phases (`run`, `resume`, `demo`) started.
    RunStarted {
        /// The plan's id.
        plan: String,
        /// The plan's title.
        title: String,
        /// The root, as an absolute path.
        root: String,
        /// Whether this is `run --dry-run`, which writes nothing.
        dry_run: bool,
    },
    /// A phase started.
    PhaseStarted {
        /// Its position in the plan, from 0.
        index: usize,
        /// How many phases the plan has.
        total: usize,
        /// The phase's name.
        phase: String,
        /// Its kind: `validate`, `backup`, `patch`, `pytest`, `command` or `report`.
        kind: String,
    },
    /// What a running phase is doing now (shown with `-v`, and always in JSON).
    PhaseProgress { phase: String, message: String },
    /// A test suite of a pytest phase started.
    SuiteStarted { phase: String, suite: String },
    /// Tests of a suite finished so far, out of those collected.
    SuiteProgress {
        phase: String,
        suite: String,
        done: u64,
        total: u64,
    },
    /// A test suite ended.
    SuiteFinished {
        phase: String,
        suite: String,
        /// One line: its status and counts.
        summary: String,
        /// Whether it passed.
        ok: bool,
    },
    /// A phase ended.
    PhaseFinished {
        phase: String,
        /// `succeeded`, `failed` or `interrupted`.
        status: PhaseStatus,
        duration_ms: u64,
        /// One line saying what it did.
        summary: String,
        /// Why it failed or was interrupted. People read it once, in the `error:` that ends the
        /// run; `--json` carries it here too.
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// A block of text for stdout (a diff, a verb's result); colored only where color is on.
    Text { text: String },
    /// The change a dry run would make to one file, as a unified diff.
    Diff {
        phase: String,
        /// The file, relative to the root.
        path: String,
        diff: String,
    },
    /// An informational line.
    Note { message: String },
    /// The verb could not do what was asked (a plan that does not load, a locked root, a failed
    /// phase): the same words as the `error:` and `help:` lines on stderr. Nothing follows.
    Error {
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        help: Option<String>,
        /// The exit code remedy ends with (see the README).
        exit_code: i32,
    },
    /// The phases are over; an `error` follows when the verb failed.
    RunFinished {
        /// A sentence for people.
        status: String,
        /// The same for machines: `succeeded`, `dry_run_succeeded`, `failed`, `refused`,
        /// `locked`, `interrupted` or `bad_input`.
        outcome: &'static str,
        /// The Markdown report the run wrote, when a report phase succeeded.
        #[serde(skip_serializing_if = "Option::is_none")]
        report: Option<String>,
    },
}

/// The JSON Schema of the `--json` events.
pub(crate) fn events_schema_json() -> String {
    let schema = schemars::schema_for!(Event);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_else(|_| "{}".into());
    text.push('\n');
    text
}

/// A handle phases use to send events.
#[derive(Debug, Clone)]
pub(crate) struct Ui {
    tx: mpsc::UnboundedSender<Event>,
}

impl Ui {
    /// Starts the consumer task; await the handle after dropping every `Ui` clone.
    pub(crate) fn start(style: Style) -> (Ui, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let handle = tokio::spawn(consume(rx, style));
        (Ui { tx }, handle)
    }

    pub(crate) fn send(&self, event: Event) {
        // The consumer only goes away at the very end of a run; a lost event then is harmless.
        let _ = self.tx.send(event);
    }

    pub(crate) fn note(&self, message: impl Into<String>) {
        self.send(Event::Note {
            message: message.into(),
        });
    }

    pub(crate) fn progress(&self, phase: &str, message: impl Into<String>) {
        self.send(Event::PhaseProgress {
            phase: phase.to_string(),
            message: message.into(),
        });
    }
}

struct Bars {
    multi: MultiProgress,
    phase: Option<ProgressBar>,
    suites: HashMap<String, ProgressBar>,
}

async fn consume(mut rx: mpsc::UnboundedReceiver<Event>, style: Style) {
    let mut bars = Bars {
        multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
        phase: None,
        suites: HashMap::new(),
    };
    while let Some(event) = rx.recv().await {
        match style.mode {
            Mode::Json => {
                if let Ok(line) = serde_json::to_string(&event) {
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "{line}");
                }
            }
            Mode::Quiet => {
                if let Event::Text { text } | Event::Diff { diff: text, .. } = &event {
                    print_text(text, style.color);
                }
            }
            Mode::Plain => render_plain(&event, style),
            Mode::Terminal => render_terminal(&event, style, &mut bars),
        }
    }
    if let Some(bar) = bars.phase.take() {
        bar.finish_and_clear();
    }
}

fn paint(
    text: &str,
    color: bool,
    f: impl Fn(console::StyledObject<&str>) -> console::StyledObject<&str>,
) -> String {
    if color {
        f(console::style(text)).force_styling(true).to_string()
    } else {
        text.to_string()
    }
}

/// Prints a diff (or other text) to stdout, coloring diff lines when asked.
fn print_text(text: &str, color: bool) {
    let mut out = std::io::stdout().lock();
    if !color {
        let _ = out.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = out.write_all(b"\n");
        }
        return;
    }
    for line in text.lines() {
        let painted = if line.starts_with("+++") || line.starts_with("---") {
            paint(line, true, |s| s.bold())
        } else if line.starts_with('+') {
            paint(line, true, |s| s.green())
        } else if line.starts_with('-') {
            paint(line, true, |s| s.red())
        } else if line.starts_with("@@") {
            paint(line, true, |s| s.cyan())
        } else {
            line.to_string()
        };
        let _ = writeln!(out, "{painted}");
    }
}

fn status_mark(status: PhaseStatus, color: bool) -> String {
    match status {
        PhaseStatus::Succeeded => paint("✓", color, |s| s.green()),
        PhaseStatus::Failed => paint("✗", color, |s| s.red()),
        PhaseStatus::Interrupted => paint("!", color, |s| s.yellow()),
        _ => "-".to_string(),
    }
}

fn render_plain(event: &Event, style: Style) {
    let line = match event {
        Event::RunStarted {
            plan,
            title,
            root,
            dry_run,
        } => Some(format!(
            "remedy: plan {plan} ({title}) on {root}{}",
            if *dry_run {
                " [dry run: nothing is written]"
            } else {
                ""
            }
        )),
        Event::PhaseStarted {
            index,
            total,
            phase,
            kind,
        } => Some(format!("[{}/{total}] {phase} ({kind}) ...", index + 1)),
        Event::PhaseProgress { phase, message } => {
            style.verbose.then(|| format!("      {phase}: {message}"))
        }
        Event::SuiteStarted { .. } | Event::SuiteProgress { .. } => None,
        Event::SuiteFinished { suite, summary, .. } => {
            Some(format!("      suite {suite}: {summary}"))
        }
        Event::PhaseFinished {
            phase,
            status,
            duration_ms,
            summary,
            ..
        } => Some(format!(
            "      {} {phase} {} in {}: {summary}",
            status_mark(*status, false),
            status.as_str(),
            timefmt::duration(*duration_ms)
        )),
        Event::Text { text } | Event::Diff { diff: text, .. } => {
            print_text(text, style.color);
            None
        }
        Event::Note { message } => Some(message.clone()),
        // Printed by the caller, as `error:` and `help:` on stderr.
        Event::Error { .. } => None,
        Event::RunFinished { status, report, .. } => Some(match report {
            Some(r) => format!("remedy: {status}; report: {r}"),
            None => format!("remedy: {status}"),
        }),
    };
    if let Some(line) = line {
        eprintln!("{line}");
    }
}

fn render_terminal(event: &Event, style: Style, bars: &mut Bars) {
    let c = style.color || console::colors_enabled_stderr();
    match event {
        Event::PhaseStarted {
            index,
            total,
            phase,
            kind,
        } => {
            let bar = bars.multi.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("{spinner:.cyan} {prefix} {wide_msg:.dim}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_prefix(format!("[{}/{total}] {phase} ({kind})", index + 1));
            bar.enable_steady_tick(Duration::from_millis(100));
            bars.phase = Some(bar);
        }
        Event::PhaseProgress { message, .. } => {
            if let Some(bar) = &bars.phase {
                bar.set_message(message.clone());
            }
        }
        Event::SuiteStarted { suite, .. } => {
            // Until pytest has collected, there is no length: a spinner, not a bar drawn full.
            let bar = bars.multi.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("    {prefix:20} {spinner} collecting {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar.set_prefix(suite.clone());
            bars.suites.insert(suite.clone(), bar);
        }
        Event::SuiteProgress {
            suite, done, total, ..
        } => {
            if let Some(bar) = bars.suites.get(suite) {
                if *total > 0 && bar.length().is_none() {
                    bar.disable_steady_tick();
                    bar.set_style(
                        ProgressStyle::with_template(
                            "    {prefix:20} [{bar:30.cyan/blue}] {pos}/{len} {msg}",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                    );
                }
                if *total > 0 {
                    bar.set_length(*total);
                }
                bar.set_position(*done);
            }
        }
        Event::SuiteFinished {
            suite, summary, ok, ..
        } => {
            if let Some(bar) = bars.suites.remove(suite) {
                bar.finish_and_clear();
            }
            let mark = if *ok {
                paint("✓", c, |s| s.green())
            } else {
                paint("✗", c, |s| s.red())
            };
            let _ = bars
                .multi
                .println(format!("    {mark} suite {suite}: {summary}"));
        }
        Event::PhaseFinished {
            phase,
            status,
            duration_ms,
            summary,
            ..
        } => {
            if let Some(bar) = bars.phase.take() {
                bar.finish_and_clear();
            }
            let line = format!(
                "{} {phase} {} {}",
                status_mark(*status, c),
                paint(&format!("({})", timefmt::duration(*duration_ms)), c, |s| s
                    .dim()),
                summary
            );
            let _ = bars.multi.println(line);
        }
        Event::Text { text } | Event::Diff { diff: text, .. } => {
            bars.multi.suspend(|| print_text(text, style.color));
        }
        _ => {
            let mut plain = style;
            plain.color = c;
            bars.multi.suspend(|| render_plain(event, plain));
        }
    }
}

/// Renders a unified diff of one file.
pub(crate) fn unified_diff(path: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn color_follows_the_flag_then_the_environment_then_the_terminal() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        use ColorChoice::*;
        assert!(wants_color(Auto, true, &env(&[])));
        assert!(!wants_color(Auto, false, &env(&[])));
        assert!(!wants_color(Auto, true, &env(&[("NO_COLOR", "1")])));
        assert!(wants_color(Auto, true, &env(&[("NO_COLOR", "")])));
        assert!(!wants_color(Auto, true, &env(&[("TERM", "dumb")])));
        assert!(wants_color(Auto, false, &env(&[("CLICOLOR_FORCE", "1")])));
        assert!(wants_color(Auto, false, &env(&[("FORCE_COLOR", "true")])));
        assert!(!wants_color(Auto, false, &env(&[("FORCE_COLOR", "0")])));
        assert!(!wants_color(
            Auto,
            false,
            &env(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")])
        ));
        assert!(wants_color(Always, false, &env(&[("NO_COLOR", "1")])));
        assert!(!wants_color(Never, true, &env(&[("CLICOLOR_FORCE", "1")])));
    }
}
