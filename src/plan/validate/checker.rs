//! The `Checker` every validation step writes to: it collects diagnostics with their location
//! instead of stopping at the first, so an author sees every problem of a plan in one run. Next to
//! the errors, which fail the plan, it collects warnings: parts of a valid plan that cannot be
//! what the author meant (an edit that can never change anything). It also
//! holds the small value checks many kinds share (expectations, paths, timeouts, exit codes).

use super::super::error::Diagnostic;
use super::super::expect::{Expect, EXPECT_HELP};
use super::super::locate::Locator;
use crate::tree::paths::RelPath;

/// Collects the diagnostics of one plan's validation, located in its text.
pub(super) struct Checker<'a> {
    pub(super) locator: &'a Locator,
    pub(super) diagnostics: Vec<Diagnostic>,
    /// Findings that do not fail the plan.
    pub(super) warnings: Vec<Diagnostic>,
    /// When known, paths are also checked on disk: no symlink may lead out of the root.
    pub(super) root: Option<&'a std::path::Path>,
}

impl Checker<'_> {
    pub(super) fn at_value(&mut self, path: &str, message: impl Into<String>, help: Option<&str>) {
        self.diagnostics.push(Diagnostic {
            location: self.locator.value(path),
            path: path.to_string(),
            message: message.into(),
            help: help.map(str::to_string),
        });
    }

    pub(super) fn at_key(&mut self, path: &str, message: impl Into<String>, help: Option<&str>) {
        self.diagnostics.push(Diagnostic {
            location: self.locator.key(path),
            path: path.to_string(),
            message: message.into(),
            help: help.map(str::to_string),
        });
    }

    /// A warning about the value at `path`: the plan stays valid.
    pub(super) fn warn_at_value(&mut self, path: &str, message: impl Into<String>, help: &str) {
        self.warnings.push(Diagnostic {
            location: self.locator.value(path),
            path: path.to_string(),
            message: message.into(),
            help: Some(help.to_string()),
        });
    }

    pub(super) fn expect(&mut self, path: &str, text: &str) -> Option<Expect> {
        match text.parse::<Expect>() {
            Ok(e) => Some(e),
            Err(msg) => {
                self.at_value(path, msg, Some(EXPECT_HELP));
                None
            }
        }
    }

    pub(super) fn rel_path(&mut self, path: &str, text: &str) -> Option<RelPath> {
        let checked = RelPath::parse(text).and_then(|p| match self.root {
            Some(root) => p.resolve_inside(root).map(|_| p),
            None => Ok(p),
        });
        match checked {
            Ok(p) => Some(p),
            Err(msg) => {
                self.at_value(
                    path,
                    msg,
                    Some("name a path inside the root, relative to it"),
                );
                None
            }
        }
    }

    /// Like `rel_path`, and with a root, the file must exist.
    pub(super) fn existing_file(&mut self, path: &str, text: &str) -> Option<RelPath> {
        let rel = self.rel_path(path, text)?;
        if let Some(root) = self.root {
            if !rel.to_path(root).is_file() {
                self.at_value(
                    path,
                    format!("`{text}` does not exist under {}", root.display()),
                    Some("check the path (relative to the root) or pass the right `--root`"),
                );
                return None;
            }
        }
        Some(rel)
    }

    pub(super) fn timeout(&mut self, path: &str, secs: Option<f64>) -> Option<std::time::Duration> {
        let secs = secs?;
        if !(secs.is_finite() && secs > 0.0 && secs < 1e9) {
            let shown = if secs.abs() < 1e9 {
                secs.to_string()
            } else {
                format!("{secs:e}")
            };
            self.at_value(
                path,
                format!("timeout {shown} is not a positive number of seconds"),
                Some("write a number of seconds greater than 0 and below 1e9, e.g. `timeout: 600`"),
            );
            return None;
        }
        Some(std::time::Duration::from_secs_f64(secs))
    }
}

/// An exit code a process can really end with.
pub(super) fn exit_code(c: &mut Checker, path: &str, code: Option<i32>) -> i32 {
    let code = code.unwrap_or(0);
    if !(0..=255).contains(&code) {
        c.at_value(
            path,
            format!("exit code {code} can never happen: a process exits with 0 to 255"),
            Some("write the code the program ends with, e.g. `exit_code: 1`; 0 means success"),
        );
    }
    code
}
