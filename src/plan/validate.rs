//! Turns a `PlanSpec` into a `Plan`, collecting every problem with its location.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex::Regex;

use super::error::{did_you_mean, Diagnostic};
use super::expect::{Expect, EXPECT_HELP};
use super::locate::Locator;
use super::model::*;
use super::spec::*;
use crate::edit::regex::FileRegex;
use crate::edit::structural::{Pattern, Query, Rewrite};
use crate::paths::RelPath;

/// The folder under the root that holds remedy's state.
pub const STATE_DIR: &str = ".remedy";

/// How long a validate `command` check may run when the plan gives no `timeout`: long enough for
/// a type checker over a large tree, short enough that a hung check does not hold a run all night.
pub const DEFAULT_CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

struct Checker<'a> {
    locator: &'a Locator,
    diagnostics: Vec<Diagnostic>,
    /// When known, paths are also checked on disk: no symlink may lead out of the root.
    root: Option<&'a std::path::Path>,
}

impl Checker<'_> {
    fn at_value(&mut self, path: &str, message: impl Into<String>, help: Option<&str>) {
        self.diagnostics.push(Diagnostic {
            location: self.locator.value(path),
            path: path.to_string(),
            message: message.into(),
            help: help.map(str::to_string),
        });
    }

    fn at_key(&mut self, path: &str, message: impl Into<String>, help: Option<&str>) {
        self.diagnostics.push(Diagnostic {
            location: self.locator.key(path),
            path: path.to_string(),
            message: message.into(),
            help: help.map(str::to_string),
        });
    }

    fn regex(&mut self, path: &str, text: &str) -> Option<FileRegex> {
        match FileRegex::new(text) {
            Ok(r) => Some(r),
            Err(e) => {
                let detail = e.to_string();
                let last = detail.lines().last().unwrap_or("").trim();
                let last = last.strip_prefix("error: ").unwrap_or(last).to_string();
                self.at_value(
                    path,
                    format!("invalid regex `{text}`: {last}"),
                    Some("regexes use Rust syntax (https://docs.rs/regex); escape `(` `)` `.` `[` with a backslash"),
                );
                None
            }
        }
    }

    /// Compiles a structural pattern written at `path`; `symbol_at` locates the symbol's key.
    fn structural(&mut self, path: &str, text: &str, symbol: Option<&str>) -> Option<Pattern> {
        match Pattern::compile(text, symbol) {
            Ok(p) => Some(p),
            Err(message) => {
                self.at_value(path, message, Some(STRUCTURAL_HELP));
                None
            }
        }
    }

    /// Checks a `symbol:` value: a dotted name of at least a module and a function.
    fn symbol(&mut self, path: &str, text: Option<&str>) -> Result<(), ()> {
        let Some(text) = text else {
            return Ok(());
        };
        let parts: Vec<&str> = text.split('.').collect();
        let is_identifier = |p: &str| {
            p.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && p.chars().all(|c| c.is_alphanumeric() || c == '_')
        };
        if parts.len() < 2 || !parts.iter().all(|p| is_identifier(p)) {
            self.at_value(
                path,
                format!("`{text}` is not a qualified Python name"),
                Some("write the module path and the function, e.g. `app.websocket_core.websocket_manager.get_websocket_manager`"),
            );
            return Err(());
        }
        Ok(())
    }

    /// Compiles a structural query: the pattern at `{at}.python.pattern`, with the `symbol`,
    /// `inside` and `not_inside` keys of the same item.
    fn query(
        &mut self,
        at: &str,
        pattern: &str,
        symbol: Option<&str>,
        inside: Option<&str>,
        not_inside: Option<&str>,
    ) -> Option<Query> {
        let symbol_ok = self.symbol(&format!("{at}.symbol"), symbol).is_ok();
        let pattern = self.structural(
            &format!("{at}.python.pattern"),
            pattern,
            symbol.filter(|_| symbol_ok),
        );
        let inside = inside.map(|t| self.structural(&format!("{at}.inside"), t, None));
        let not_inside = not_inside.map(|t| self.structural(&format!("{at}.not_inside"), t, None));
        if !symbol_ok || matches!(inside, Some(None)) || matches!(not_inside, Some(None)) {
            return None;
        }
        Some(Query {
            pattern: pattern?,
            inside: inside.flatten(),
            not_inside: not_inside.flatten(),
        })
    }

    fn globs(&mut self, path: &str, globs: &[String]) -> Option<GlobSet> {
        let mut builder = GlobSetBuilder::new();
        let mut ok = true;
        for (i, g) in globs.iter().enumerate() {
            if g.starts_with('/') || g.split('/').any(|part| part == "..") {
                self.at_value(
                    &format!("{path}[{i}]"),
                    format!("glob `{g}` reaches outside the root"),
                    Some(
                        "globs are matched against paths relative to the root, e.g. `app/**/*.py`",
                    ),
                );
                ok = false;
                continue;
            }
            // Paths are matched without a leading `./`; `./app/*.py` means `app/*.py`.
            let mut g = g.as_str();
            while let Some(rest) = g.strip_prefix("./") {
                g = rest;
            }
            match GlobBuilder::new(g).literal_separator(true).build() {
                Ok(glob) => {
                    builder.add(glob);
                }
                Err(e) => {
                    self.at_value(
                        &format!("{path}[{i}]"),
                        format!("invalid glob `{g}`: {}", e.kind()),
                        Some("`*` matches within a folder, `**` across folders, `{a,b}` either, `[ab]` one character of a set (close it with `]`)"),
                    );
                    ok = false;
                }
            }
        }
        if !ok {
            return None;
        }
        builder.build().ok()
    }

    fn narrow(&mut self, base: &Selection, path: &str, spec: Option<&FilesSpec>) -> Selection {
        let Some(spec) = spec else {
            return base.clone();
        };
        let include = if spec.include.is_empty() {
            None
        } else {
            self.globs(&format!("{path}.include"), &spec.include)
        };
        let exclude = if spec.exclude.is_empty() {
            None
        } else {
            self.globs(&format!("{path}.exclude"), &spec.exclude)
        };
        base.narrowed(include, exclude)
    }

    fn expect(&mut self, path: &str, text: &str) -> Option<Expect> {
        match text.parse::<Expect>() {
            Ok(e) => Some(e),
            Err(msg) => {
                self.at_value(path, msg, Some(EXPECT_HELP));
                None
            }
        }
    }

    fn rel_path(&mut self, path: &str, text: &str) -> Option<RelPath> {
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
    fn existing_file(&mut self, path: &str, text: &str) -> Option<RelPath> {
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

    fn timeout(&mut self, path: &str, secs: Option<f64>) -> Option<std::time::Duration> {
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

    /// Checks that `$1`, `${name}` in a replacement refer to groups the regex has.
    fn replacement(&mut self, path: &str, regex: &Regex, replace: &str) {
        for reference in capture_references(replace) {
            let exists = match reference.parse::<usize>() {
                Ok(i) => i < regex.captures_len(),
                Err(_) => regex.capture_names().flatten().any(|n| n == reference),
            };
            if exists {
                continue;
            }
            let groups = regex.captures_len() - 1;
            let help = if reference.starts_with(|c: char| c.is_ascii_digit())
                && reference.parse::<usize>().is_err()
            {
                format!("`${reference}` names a group `{reference}`; write `${{{}}}` to follow a group number with text", reference.trim_end_matches(|c: char| !c.is_ascii_digit()))
            } else {
                format!(
                    "the regex has {groups} capture group{}; `$$` writes a literal `$`",
                    if groups == 1 { "" } else { "s" }
                )
            };
            self.at_value(
                path,
                format!("replacement uses `${reference}`, a group the regex does not have"),
                Some(&help),
            );
        }
    }
}

/// The group references in a replacement template, following the regex crate's rules.
fn capture_references(template: &str) -> Vec<String> {
    let bytes = template.as_bytes();
    let mut refs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'$') => i += 2,
            Some(b'{') => match template[i + 2..].find('}') {
                Some(end) => {
                    refs.push(template[i + 2..i + 2 + end].to_string());
                    i += 3 + end;
                }
                None => i += 1,
            },
            _ => {
                let name: String = template[i + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                i += 1 + name.len();
                if !name.is_empty() {
                    refs.push(name);
                }
            }
        }
    }
    refs
}

fn is_simple_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Why `s`, a `what` (e.g. "plan id"), is not a simple name: for a name `is_simple_name` refuses.
fn name_problem(what: &str, s: &str) -> String {
    if s.is_empty() {
        return format!("{what} is empty");
    }
    let why = if s.starts_with('.') {
        "starts with `.`".to_string()
    } else {
        name_char_problem(s)
    };
    format!("{what} `{s}` {why}")
}

fn name_char_problem(s: &str) -> String {
    match s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        Some(' ') => "contains a space".into(),
        Some(c) if c.is_whitespace() || c.is_control() => {
            format!("contains the character {:?}", c)
        }
        Some(c) => format!("contains `{c}`"),
        None => "is not a simple name".into(),
    }
}

const STRUCTURAL_HELP: &str = "a pattern is one Python expression or statement; `$NAME` stands for one node, `$$$NAME` for several (arguments, statements), e.g. `await get_websocket_manager($$$ARGS)`";

const NAME_HELP: &str = "use letters, digits, `-`, `_` and `.`, e.g. `unawait` or `issue-1184`";

/// Which optional keys each kind accepts.
fn allowed_keys(kind: PhaseKind) -> &'static [&'static str] {
    match kind {
        PhaseKind::Validate => &["files", "checks"],
        PhaseKind::Backup => &["phases"],
        PhaseKind::Patch => &["files", "edits"],
        PhaseKind::Pytest => &[
            "suites",
            "allow_failures",
            "criteria",
            "compare_with",
            "python",
            "timeout",
            "jobs",
            "workers",
        ],
        PhaseKind::Report => &["markdown", "json"],
        PhaseKind::Command => &["argv", "shell", "cwd", "exit_code", "timeout"],
    }
}

fn present_keys(p: &PhaseSpec) -> Vec<&'static str> {
    let mut keys = Vec::new();
    let mut add = |present: bool, key: &'static str| {
        if present {
            keys.push(key);
        }
    };
    add(p.files.is_some(), "files");
    add(p.checks.is_some(), "checks");
    add(p.edits.is_some(), "edits");
    add(p.phases.is_some(), "phases");
    add(p.suites.is_some(), "suites");
    add(p.allow_failures.is_some(), "allow_failures");
    add(p.criteria.is_some(), "criteria");
    add(p.compare_with.is_some(), "compare_with");
    add(p.python.is_some(), "python");
    add(p.timeout.is_some(), "timeout");
    add(p.jobs.is_some(), "jobs");
    add(p.workers.is_some(), "workers");
    add(p.argv.is_some(), "argv");
    add(p.shell.is_some(), "shell");
    add(p.cwd.is_some(), "cwd");
    add(p.exit_code.is_some(), "exit_code");
    add(p.markdown.is_some(), "markdown");
    add(p.json.is_some(), "json");
    keys
}

/// Hash of what a phase's behaviour depends on.
fn fingerprint(spec: &PlanSpec, phase: &PhaseSpec) -> String {
    let mut normalised = serde_json::json!({
        "files": spec.files,
        "python": spec.python,
        "phase": phase,
    });
    // Added only when present, so that plans without it keep the fingerprints they had.
    if let Some(requirements) = &spec.requirements {
        normalised["requirements"] = serde_json::json!(requirements);
    }
    let bytes = serde_json::to_vec(&normalised).unwrap_or_default();
    blake3::hash(&bytes).to_hex()[..16].to_string()
}

pub(crate) fn validate(
    spec: &PlanSpec,
    source: std::path::PathBuf,
    locator: &Locator,
    root: Option<&std::path::Path>,
) -> Result<Plan, Vec<Diagnostic>> {
    let mut c = Checker {
        locator,
        diagnostics: Vec::new(),
        root,
    };

    if !is_simple_name(&spec.id) {
        c.at_value(
            "id",
            format!(
                "{}; the id names the state folder `{STATE_DIR}/<id>/`",
                name_problem("plan id", &spec.id)
            ),
            Some(NAME_HELP),
        );
    }
    if spec.phases.is_empty() {
        let help = "add at least one phase, e.g. `phases: [{ name: preflight, kind: validate, checks: [...] }]`";
        if c.locator.has_key("phases") {
            c.at_key("phases", "the plan has no phases", Some(help));
        } else {
            c.at_value("", "the plan has no `phases:` key", Some(help));
        }
    }

    validate_requirements(&mut c, spec);
    let base = c.narrow(&Selection::default(), "files", spec.files.as_ref());

    let mut seen: Vec<(&str, usize)> = Vec::new();
    for (i, p) in spec.phases.iter().enumerate() {
        let at = format!("phases[{i}]");
        if !is_simple_name(&p.name) {
            c.at_value(
                &format!("{at}.name"),
                format!(
                    "{}; phase names are typed on the command line (`remedy rollback NAME`)",
                    name_problem("phase name", &p.name)
                ),
                Some(NAME_HELP),
            );
        } else if let Some((_, first)) = seen.iter().find(|(n, _)| *n == p.name) {
            let first_at = match c.locator.value(&format!("phases[{first}].name")) {
                Some(l) => format!(" (first at line {})", l.line),
                None => String::new(),
            };
            c.at_value(
                &format!("{at}.name"),
                format!("phase name `{}` is used twice{first_at}", p.name),
                Some("phase names must be unique: `resume`, `rollback` and `diff` name phases; rename one"),
            );
        }
        seen.push((&p.name, i));
        let allowed = allowed_keys(p.kind);
        for key in present_keys(p) {
            if !allowed.contains(&key) {
                c.at_key(
                    &format!("{at}.{key}"),
                    format!("key `{key}` does not apply to a `{}` phase", p.kind),
                    Some(&format!(
                        "a `{}` phase takes: name, kind, description, {}",
                        p.kind,
                        allowed.join(", ")
                    )),
                );
            }
        }
    }

    let mut phases = Vec::new();
    for (i, p) in spec.phases.iter().enumerate() {
        let at = format!("phases[{i}]");
        let selection = c.narrow(&base, &format!("{at}.files"), p.files.as_ref());
        let config = match p.kind {
            PhaseKind::Validate => validate_checks(&mut c, &at, p, &selection),
            PhaseKind::Patch => validate_edits(&mut c, &at, p, &selection),
            PhaseKind::Backup => validate_backup(&mut c, &at, spec, i),
            PhaseKind::Pytest => validate_pytest(&mut c, &at, spec, i),
            PhaseKind::Report => validate_report(&mut c, &at, spec, p),
            PhaseKind::Command => validate_command(&mut c, &at, p),
        };
        if let Some(config) = config {
            phases.push(Phase {
                name: p.name.clone(),
                kind: p.kind,
                description: p.description.clone(),
                fingerprint: fingerprint(spec, p),
                config,
            });
        }
    }

    // A report must never overwrite a file the plan's own edits select.
    for (i, p) in spec.phases.iter().enumerate() {
        let Some(Phase {
            config: PhaseConfig::Report { markdown, json },
            ..
        }) = phases.iter().find(|ph| ph.name == p.name)
        else {
            continue;
        };
        for (key, out) in [("markdown", markdown), ("json", json)] {
            // The scanner never enters the state folder, so nothing there can be patched.
            if out.as_str().starts_with(&format!("{STATE_DIR}/")) {
                continue;
            }
            let patched_by = phases.iter().find_map(|ph| match &ph.config {
                PhaseConfig::Patch { edits } => edits
                    .iter()
                    .find(|e| e.selection.matches(out.as_str()))
                    .map(|e| (ph.name.clone(), e.name.clone())),
                _ => None,
            });
            if let Some((phase, edit)) = patched_by {
                let at = if p.markdown.is_some() && key == "markdown"
                    || p.json.is_some() && key == "json"
                {
                    format!("phases[{i}].{key}")
                } else {
                    format!("phases[{i}]")
                };
                c.at_value(
                    &at,
                    format!("report output `{out}` is a file that edit `{edit}` of phase `{phase}` may patch"),
                    Some("write reports where no edit looks, e.g. under .remedy/ or reports/ (outside the edits' `files:`)"),
                );
            }
        }
    }

    if !c.diagnostics.is_empty() {
        // In file order, so an author can fix them top to bottom; unlocated ones last.
        c.diagnostics
            .sort_by_key(|d| d.location.map_or((usize::MAX, 0), |l| (l.line, l.col)));
        return Err(c.diagnostics);
    }
    Ok(Plan {
        id: spec.id.clone(),
        title: spec.title.clone().unwrap_or_else(|| spec.id.clone()),
        description: spec.description.clone(),
        source,
        python: spec.python.clone(),
        phases,
    })
}

/// The `expect` a counting check needs: parsed, or an error where the check is.
fn check_expect(c: &mut Checker, at: &str, s: &CheckSpec, kind: &str) -> Option<Expect> {
    match &s.expect {
        Some(e) => c.expect(&format!("{at}.expect"), e),
        None => {
            c.at_value(
                at,
                format!("{kind} check `{}` has no `expect`", s.name),
                Some(&format!("add `expect:` to the check; {EXPECT_HELP}")),
            );
            None
        }
    }
}

fn validate_checks(
    c: &mut Checker,
    at: &str,
    p: &PhaseSpec,
    selection: &Selection,
) -> Option<PhaseConfig> {
    let Some(specs) = &p.checks else {
        c.at_value(
            at,
            format!("validate phase `{}` has no `checks`", p.name),
            Some("add `checks:` with at least one check, e.g. `checks: [{ name: has tests, file_exists: tests/__init__.py }]`"),
        );
        return None;
    };
    if specs.is_empty() {
        c.at_value(
            &format!("{at}.checks"),
            "`checks` is empty",
            Some("add at least one check, e.g. `- { name: has tests, file_exists: tests/__init__.py }`"),
        );
    }
    let before = c.diagnostics.len();
    let mut checks = Vec::new();
    for (j, s) in specs.iter().enumerate() {
        let at = format!("{at}.checks[{j}]");
        if s.name.trim().is_empty() {
            c.at_value(
                &format!("{at}.name"),
                "the check has an empty name",
                Some("give it a name that says what it does; reports and errors refer to it"),
            );
        }
        let kinds = [
            s.pattern.is_some(),
            s.python.is_some(),
            s.python_function.is_some(),
            s.command.is_some(),
            s.file_exists.is_some(),
        ];
        let mut present: Vec<&str> = [
            "pattern",
            "python",
            "python_function",
            "command",
            "file_exists",
        ]
        .into_iter()
        .zip(kinds)
        .filter(|(_, present)| *present)
        .map(|(key, _)| key)
        .collect();
        // In the order they are written, to point at the one that came second.
        present.sort_by_key(|key| {
            c.locator
                .key(&format!("{at}.{key}"))
                .map(|l| (l.line, l.col))
        });
        if present.len() != 1 {
            let (message, help) = if present.is_empty() {
                (
                    format!("check `{}` says nothing to check", s.name),
                    "add one of `pattern` (with `expect`), `python` (with `expect`), `python_function`, `command`, `file_exists`".to_string(),
                )
            } else {
                (
                    format!(
                        "check `{}` has {} kinds (`{}`); a check has exactly one",
                        s.name,
                        present.len(),
                        present.join("`, `")
                    ),
                    "split it into one check per kind, each with its own `name`".to_string(),
                )
            };
            let key = present.get(1).map(|k| format!("{at}.{k}"));
            match key {
                Some(key) => c.at_key(&key, message, Some(&help)),
                None => c.at_value(&at, message, Some(&help)),
            }
            continue;
        }
        let stray = |c: &mut Checker, key: &str, present: bool, owner: &str| {
            if present {
                c.at_key(
                    &format!("{at}.{key}"),
                    format!("key `{key}` only applies to a `{owner}` check"),
                    Some(&format!(
                        "remove `{key}` here, or make this a `{owner}` check"
                    )),
                );
            }
        };
        let not_command = |c: &mut Checker| {
            stray(c, "exit_code", s.exit_code.is_some(), "command");
            stray(c, "timeout", s.timeout.is_some(), "command");
        };
        if s.python.is_none() {
            stray(c, "symbol", s.symbol.is_some(), "python");
            stray(c, "inside", s.inside.is_some(), "python");
            stray(c, "not_inside", s.not_inside.is_some(), "python");
        }
        let kind = if let Some(python) = &s.python {
            not_command(c);
            stray(c, "skip", s.skip.is_some(), "pattern");
            let query = c.query(
                &at,
                &python.pattern,
                s.symbol.as_deref(),
                s.inside.as_deref(),
                s.not_inside.as_deref(),
            );
            let expect = check_expect(c, &at, s, "python");
            let sel = c.narrow(selection, &format!("{at}.files"), s.files.as_ref());
            match (query, expect) {
                (Some(query), Some(expect)) => Some(CheckKind::Structural {
                    query: std::sync::Arc::new(query),
                    expect,
                    selection: sel,
                }),
                _ => None,
            }
        } else if let Some(pattern) = &s.pattern {
            not_command(c);
            let regex = c.regex(&format!("{at}.pattern"), pattern);
            let expect = check_expect(c, &at, s, "pattern");
            let sel = c.narrow(selection, &format!("{at}.files"), s.files.as_ref());
            match (regex, expect) {
                (Some(regex), Some(expect)) => Some(CheckKind::Pattern {
                    regex,
                    expect,
                    skip: Skip::from_kinds(s.skip.as_deref().unwrap_or_default()),
                    selection: sel,
                }),
                _ => None,
            }
        } else {
            stray(c, "expect", s.expect.is_some(), "pattern` or `python");
            stray(c, "skip", s.skip.is_some(), "pattern");
            stray(c, "files", s.files.is_some(), "pattern` or `python");
            if let Some(f) = &s.python_function {
                not_command(c);
                let file = c.existing_file(&format!("{at}.python_function.file"), &f.file);
                if f.name.is_empty()
                    || !f.name.split('.').all(|part| {
                        !part.is_empty() && part.chars().all(|ch| ch.is_alphanumeric() || ch == '_')
                    })
                {
                    c.at_value(
                        &format!("{at}.python_function.name"),
                        format!("`{}` is not a Python function name", f.name),
                        Some("write `name` or `Class.method`"),
                    );
                }
                file.map(|file| CheckKind::PythonFunction {
                    file,
                    name: f.name.clone(),
                    is_async: f.is_async,
                })
            } else if let Some(argv) = &s.command {
                if argv.is_empty() || argv[0].is_empty() {
                    c.at_value(&format!("{at}.command"), "`command` is empty", Some("write the program and its arguments, e.g. [python3, -m, compileall, app]"));
                    None
                } else {
                    let timeout = c.timeout(&format!("{at}.timeout"), s.timeout);
                    Some(CheckKind::Command {
                        argv: argv.clone(),
                        exit_code: exit_code(c, &format!("{at}.exit_code"), s.exit_code),
                        timeout: timeout.unwrap_or(DEFAULT_CHECK_TIMEOUT),
                    })
                }
            } else {
                not_command(c);
                let text = s.file_exists.as_deref().unwrap_or_default();
                c.rel_path(&format!("{at}.file_exists"), text)
                    .map(|path| CheckKind::FileExists { path })
            }
        };
        if let Some(kind) = kind {
            checks.push(Check {
                name: s.name.clone(),
                kind,
            });
        }
    }
    (c.diagnostics.len() == before).then_some(PhaseConfig::Validate { checks })
}

fn validate_edits(
    c: &mut Checker,
    at: &str,
    p: &PhaseSpec,
    selection: &Selection,
) -> Option<PhaseConfig> {
    let Some(specs) = &p.edits else {
        c.at_value(
            at,
            format!("patch phase `{}` has no `edits`", p.name),
            Some("add `edits:` with at least one edit, e.g. `edits: [{ name: drop await, regex: 'await\\s+(f\\()', replace: '$1' }]`"),
        );
        return None;
    };
    if specs.is_empty() {
        c.at_value(
            &format!("{at}.edits"),
            "`edits` is empty",
            Some("add at least one edit, e.g. `- { name: drop await, regex: 'await\\s+(f\\()', replace: '$1' }`"),
        );
    }
    let before = c.diagnostics.len();
    let mut edits = Vec::new();
    for (j, s) in specs.iter().enumerate() {
        let at = format!("{at}.edits[{j}]");
        if s.name.trim().is_empty() {
            c.at_value(
                &format!("{at}.name"),
                "the edit has an empty name",
                Some("give it a name that says what it does; reports and errors refer to it"),
            );
        }
        let expect = s
            .expect
            .as_deref()
            .and_then(|e| c.expect(&format!("{at}.expect"), e));
        let sel = c.narrow(selection, &format!("{at}.files"), s.files.as_ref());
        let kind = match (&s.regex, &s.python) {
            (Some(_), Some(_)) => {
                c.at_key(
                    &format!("{at}.python"),
                    format!(
                        "edit `{}` has both `regex` and `python`; an edit has one",
                        s.name
                    ),
                    Some("split it into two edits, each with its own `name`"),
                );
                None
            }
            (None, None) => {
                c.at_value(
                    &at,
                    format!("edit `{}` says nothing to change", s.name),
                    Some("add `regex` with `replace`, or `python: { pattern, rewrite }`"),
                );
                None
            }
            (Some(regex_text), None) => validate_regex_edit(c, &at, s, regex_text),
            (None, Some(python)) => {
                for (key, present) in [("replace", s.replace.is_some()), ("skip", s.skip.is_some())]
                {
                    if present {
                        c.at_key(
                            &format!("{at}.{key}"),
                            format!("key `{key}` applies to a `regex` edit, not a `python` one"),
                            Some(if key == "skip" {
                                "remove it: a structural pattern never matches inside strings or comments"
                            } else {
                                "write the replacement as `python.rewrite`"
                            }),
                        );
                    }
                }
                let query = c.query(
                    &at,
                    &python.pattern,
                    s.symbol.as_deref(),
                    s.inside.as_deref(),
                    s.not_inside.as_deref(),
                );
                query.and_then(|query| {
                    match Rewrite::compile(&python.rewrite, &query.pattern) {
                        Ok(rewrite) => Some(EditKind::Python {
                            query: std::sync::Arc::new(query),
                            rewrite: std::sync::Arc::new(rewrite),
                        }),
                        Err(message) => {
                            c.at_value(
                                &format!("{at}.python.rewrite"),
                                message,
                                Some("the rewrite is Python code that may use the pattern's metavariables, e.g. `get_websocket_manager($$$ARGS)`"),
                            );
                            None
                        }
                    }
                })
            }
        };
        if let Some(kind) = kind {
            edits.push(Edit {
                name: s.name.clone(),
                kind,
                selection: sel,
                expect,
            });
        }
    }
    (c.diagnostics.len() == before).then_some(PhaseConfig::Patch { edits })
}

fn validate_regex_edit(
    c: &mut Checker,
    at: &str,
    s: &EditSpec,
    regex_text: &str,
) -> Option<EditKind> {
    for (key, present) in [
        ("symbol", s.symbol.is_some()),
        ("inside", s.inside.is_some()),
        ("not_inside", s.not_inside.is_some()),
    ] {
        if present {
            c.at_key(
                &format!("{at}.{key}"),
                format!("key `{key}` applies to a `python` edit, not a `regex` one"),
                Some("write the edit as `python: { pattern, rewrite }` to use it"),
            );
        }
    }
    let Some(replace) = &s.replace else {
        c.at_value(
            at,
            format!("regex edit `{}` has no `replace`", s.name),
            Some("add `replace:`; `$1` inserts the first capture group, `''` deletes the match"),
        );
        return None;
    };
    let regex = c.regex(&format!("{at}.regex"), regex_text)?;
    c.replacement(&format!("{at}.replace"), &regex, replace);
    if regex.is_match("") {
        c.at_value(
            &format!("{at}.regex"),
            format!(
                "regex `{regex_text}` matches the empty string, so it would edit every position"
            ),
            Some("make the regex require at least one character"),
        );
    }
    Some(EditKind::Regex {
        regex,
        replace: replace.clone(),
        skip: Skip::from_kinds(s.skip.as_deref().unwrap_or_default()),
    })
}

fn validate_backup(
    c: &mut Checker,
    at: &str,
    spec: &PlanSpec,
    index: usize,
) -> Option<PhaseConfig> {
    let later_patches: Vec<&str> = spec.phases[index + 1..]
        .iter()
        .filter(|p| p.kind == PhaseKind::Patch)
        .map(|p| p.name.as_str())
        .collect();
    let phase = &spec.phases[index];
    let listed = if later_patches.is_empty() {
        "there is no patch phase after this backup".to_string()
    } else {
        format!(
            "patch phases after this backup: {}",
            later_patches.join(", ")
        )
    };
    let names = match &phase.phases {
        Some(names) if names.is_empty() => {
            c.at_value(
                &format!("{at}.phases"),
                "`phases` is empty, so the backup would protect nothing",
                Some(&format!("list the patch phases to back up, or remove `phases` to back up every later one; {listed}")),
            );
            return None;
        }
        Some(names) => {
            let mut ok = true;
            for (k, n) in names.iter().enumerate() {
                if !later_patches.contains(&n.as_str()) {
                    let message = match spec.phases.iter().position(|q| q.name == *n) {
                        Some(j) if spec.phases[j].kind != PhaseKind::Patch => format!(
                            "`{n}` is a {} phase; a backup protects patch phases",
                            spec.phases[j].kind
                        ),
                        Some(_) => format!(
                            "`{n}` runs before this backup, so its files would be backed up too late"
                        ),
                        None => format!("`{n}` is not a phase of this plan"),
                    };
                    let is_phase = spec.phases.iter().any(|q| q.name == *n);
                    let help = match did_you_mean(n, later_patches.iter().copied()) {
                        Some(s) if !is_phase => format!("did you mean `{s}`?"),
                        _ => listed.clone(),
                    };
                    c.at_value(&format!("{at}.phases[{k}]"), message, Some(&help));
                    ok = false;
                }
            }
            if !ok {
                return None;
            }
            names.clone()
        }
        None => later_patches.iter().map(|s| s.to_string()).collect(),
    };
    if names.is_empty() {
        c.at_value(
            at,
            format!(
                "backup phase `{}` has no later patch phase to back up",
                phase.name
            ),
            Some(&match spec.phases[..index]
                .iter()
                .find(|p| p.kind == PhaseKind::Patch)
            {
                Some(earlier) => format!(
                    "move the backup phase before `{}`, the patch phase it should protect",
                    earlier.name
                ),
                None => "put the backup phase before the patch phases it protects".to_string(),
            }),
        );
        return None;
    }
    Some(PhaseConfig::Backup {
        patch_phases: names,
    })
}

fn validate_pytest(
    c: &mut Checker,
    at: &str,
    spec: &PlanSpec,
    index: usize,
) -> Option<PhaseConfig> {
    let p = &spec.phases[index];
    let before = c.diagnostics.len();
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
        suites.push(Suite {
            name: s.name.clone(),
            args: s.args.clone(),
            timeout,
        });
    }
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
        let earlier: Vec<&str> = spec.phases[..index]
            .iter()
            .filter(|q| q.kind == PhaseKind::Pytest)
            .map(|q| q.name.as_str())
            .collect();
        if !earlier.contains(&other.as_str()) {
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

fn validate_report(
    c: &mut Checker,
    at: &str,
    spec: &PlanSpec,
    p: &PhaseSpec,
) -> Option<PhaseConfig> {
    let own_state = format!("{STATE_DIR}/{}", spec.id);
    let mut report_path = |key: &str, written: Option<&str>, default: &str| {
        let path = format!("{at}.{key}");
        let rel = c.rel_path(&path, written.unwrap_or(default))?;
        let first = rel.as_str().split('/').next().unwrap_or("");
        let inside_own_state = rel.as_str().starts_with(&format!("{own_state}/"));
        let refusal = if first == ".git" {
            Some("is inside `.git/`, which belongs to git")
        } else if first == STATE_DIR && !inside_own_state {
            Some("is inside `.remedy/` but not in this plan's own state folder")
        } else if rel.as_str().is_empty() || rel.as_str() == STATE_DIR || rel.as_str() == own_state
        {
            Some("is a folder, not a file")
        } else {
            None
        };
        match refusal {
            Some(why) => {
                c.at_value(
                    &path,
                    format!("the {key} report path `{rel}` {why}"),
                    Some(&format!(
                        "write the report under `{own_state}/` (the default) or to a file of the repository, e.g. `REPORT.{}`",
                        if key == "json" { "json" } else { "md" }
                    )),
                );
                None
            }
            None => Some(rel),
        }
    };
    let md = report_path(
        "markdown",
        p.markdown.as_deref(),
        &format!("{own_state}/report.md"),
    );
    let json = report_path(
        "json",
        p.json.as_deref(),
        &format!("{own_state}/report.json"),
    );
    let (markdown, json) = (md?, json?);
    if markdown == json {
        let key = if p.json.is_some() { "json" } else { "markdown" };
        c.at_value(
            &format!("{at}.{key}"),
            format!("the markdown and json reports would both be written to `{markdown}`"),
            Some("give them different paths, e.g. `markdown: REPORT.md` and `json: report.json`"),
        );
        return None;
    }
    Some(PhaseConfig::Report { markdown, json })
}

/// An exit code a process can really end with.
fn exit_code(c: &mut Checker, path: &str, code: Option<i32>) -> i32 {
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

/// Checks `requirements`: one requirement (or pip option) per item, since they are written to a
/// requirements file for pip, where a line break would start another entry.
fn validate_requirements(c: &mut Checker, spec: &PlanSpec) {
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

fn validate_command(c: &mut Checker, at: &str, p: &PhaseSpec) -> Option<PhaseConfig> {
    let argv = p.argv.clone().unwrap_or_default();
    if argv.is_empty() || argv[0].is_empty() {
        let help =
            "write the program and its arguments, e.g. `argv: [python3, -m, compileall, -q, app]`";
        match &p.argv {
            None => c.at_value(
                at,
                format!("command phase `{}` has no `argv`", p.name),
                Some(help),
            ),
            Some(a) if a.is_empty() => {
                c.at_value(&format!("{at}.argv"), "`argv` is empty", Some(help))
            }
            Some(_) => c.at_value(
                &format!("{at}.argv[0]"),
                "the program in `argv` is empty",
                Some(help),
            ),
        }
        return None;
    }
    let shell = p.shell.unwrap_or(false);
    if shell && argv.len() != 1 {
        let line = argv.join(" ").replace('"', "\\\"");
        c.at_value(
            &format!("{at}.argv"),
            format!(
                "with `shell: true`, `argv` must be one string, the shell command line (it has {} items)",
                argv.len()
            ),
            Some(&format!(
                "write `argv: [\"{line}\"]`, or remove `shell: true` to run the program without a shell"
            )),
        );
        return None;
    }
    let exit_code = exit_code(c, &format!("{at}.exit_code"), p.exit_code);
    let cwd = c.rel_path(&format!("{at}.cwd"), p.cwd.as_deref().unwrap_or("."))?;
    if let (Some(root), Some(written)) = (c.root, p.cwd.as_deref()) {
        if !cwd.to_path(root).is_dir() {
            c.at_value(
                &format!("{at}.cwd"),
                format!("`{written}` is not a folder under {}", root.display()),
                Some("name an existing folder, relative to the root, or remove `cwd` to run in the root"),
            );
            return None;
        }
    }
    let timeout = c.timeout(&format!("{at}.timeout"), p.timeout);
    Some(PhaseConfig::Command(CommandConfig {
        argv,
        shell,
        cwd,
        exit_code,
        timeout,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_capture_references() {
        assert_eq!(capture_references("$1"), vec!["1"]);
        assert_eq!(capture_references("a$$b${name}c$2x"), vec!["name", "2x"]);
        assert!(capture_references("cost: $$5").is_empty());
    }

    fn diagnostics(text: &str) -> Vec<Diagnostic> {
        crate::plan::load_plan_text(std::path::Path::new("p.yaml"), "p.yaml".into(), text, None)
            .unwrap_err()
            .diagnostics
    }

    fn only(text: &str) -> Diagnostic {
        let d = diagnostics(text);
        assert_eq!(d.len(), 1, "{d:?}");
        d.into_iter().next().unwrap()
    }

    #[test]
    fn diagnostics_come_in_file_order() {
        let d = diagnostics(
            "id: x\nphases:\n  - { name: a, kind: validate, checks: [{ name: c, pattern: x, expect: lots }] }\n  - { name: a, kind: report }\n  - { name: b, kind: command, argv: [x], timeout: 0 }\n",
        );
        let lines: Vec<usize> = d.iter().map(|d| d.location.unwrap().line).collect();
        assert_eq!(lines, vec![3, 4, 5], "{d:?}");
        assert!(d[1].message.contains("first at line 3"), "{}", d[1].message);
    }

    #[test]
    fn names_say_which_character_is_wrong() {
        assert_eq!(name_problem("plan id", "a/b"), "plan id `a/b` contains `/`");
        assert_eq!(
            name_problem("phase name", "final report"),
            "phase name `final report` contains a space"
        );
        assert_eq!(name_problem("phase name", ""), "phase name is empty");
        assert_eq!(
            name_problem("plan id", ".x"),
            "plan id `.x` starts with `.`"
        );
    }

    #[test]
    fn compare_with_says_why_the_phase_does_not_fit() {
        let later = only("id: x\nphases:\n  - { name: t, kind: pytest, compare_with: b, suites: [{ name: u }] }\n  - { name: b, kind: pytest, suites: [{ name: u }] }\n");
        assert!(
            later.message.contains("runs after this phase"),
            "{}",
            later.message
        );
        let patch = only("id: x\nphases:\n  - { name: p, kind: patch, edits: [{ name: e, regex: a, replace: b }] }\n  - { name: t, kind: pytest, compare_with: p, suites: [{ name: u }] }\n");
        assert!(
            patch.message.contains("is a patch phase"),
            "{}",
            patch.message
        );
        let typo = only("id: x\nphases:\n  - { name: base, kind: pytest, suites: [{ name: u }] }\n  - { name: t, kind: pytest, compare_with: bsae, suites: [{ name: u }] }\n");
        assert!(
            typo.message.contains("not a phase of this plan"),
            "{}",
            typo.message
        );
        assert_eq!(typo.help.as_deref(), Some("did you mean `base`?"));
    }

    #[test]
    fn a_backup_names_only_later_patch_phases() {
        let d = only("id: x\nphases:\n  - { name: r, kind: report }\n  - { name: b, kind: backup, phases: [r] }\n  - { name: p, kind: patch, edits: [{ name: e, regex: a, replace: b }] }\n");
        assert!(d.message.contains("`r` is a report phase"), "{}", d.message);
        assert!(d
            .help
            .unwrap()
            .contains("patch phases after this backup: p"));
        let d = only("id: x\nphases:\n  - { name: p, kind: patch, edits: [{ name: e, regex: a, replace: b }] }\n  - { name: b, kind: backup }\n");
        assert!(d.help.unwrap().contains("before `p`"));
        let d = only("id: x\nphases:\n  - { name: b, kind: backup, phases: [] }\n  - { name: p, kind: patch, edits: [{ name: e, regex: a, replace: b }] }\n");
        assert_eq!(d.path, "phases[0].phases");
    }

    #[test]
    fn a_shell_command_of_several_items_gets_the_joined_line() {
        let d = only("id: x\nphases:\n  - { name: c, kind: command, shell: true, argv: [echo, 'a \"b\"'] }\n");
        assert_eq!(d.path, "phases[0].argv");
        assert_eq!(
            d.help.as_deref(),
            Some("write `argv: [\"echo a \\\"b\\\"\"]`, or remove `shell: true` to run the program without a shell")
        );
    }

    #[test]
    fn a_check_of_two_kinds_points_at_the_second() {
        let d = only("id: x\nphases:\n  - name: v\n    kind: validate\n    checks:\n      - name: c\n        file_exists: a.py\n        command: [true]\n");
        assert_eq!(d.path, "phases[0].checks[0].command");
        assert_eq!(d.location.map(|l| (l.line, l.col)), Some((8, 9)));
        assert!(
            d.message.contains("`file_exists`, `command`"),
            "{}",
            d.message
        );
        let d = only("id: x\nphases:\n  - { name: v, kind: validate, checks: [{ name: c }] }\n");
        assert!(d.message.contains("says nothing to check"), "{}", d.message);
    }

    #[test]
    fn an_empty_argv_is_located_at_argv() {
        let d = only("id: x\nphases:\n  - name: c\n    kind: command\n    argv: []\n");
        assert_eq!(d.path, "phases[0].argv");
        assert_eq!(d.location.map(|l| l.line), Some(5));
    }

    #[test]
    fn a_plan_without_phases_says_which_key_is_missing() {
        let d = only("id: x\n");
        assert!(d.message.contains("no `phases:` key"), "{}", d.message);
        let d = only("id: x\nphases: []\n");
        assert_eq!(d.message, "the plan has no phases");
        assert_eq!(d.location.map(|l| l.line), Some(2));
    }

    #[test]
    fn report_paths_stay_out_of_git_and_other_state_and_apart() {
        let d = only("id: x\nphases:\n  - { name: r, kind: report, json: .git/r.json }\n");
        assert_eq!(d.path, "phases[0].json");
        assert!(d.message.contains("inside `.git/`"), "{}", d.message);
        let d = only("id: x\nphases:\n  - { name: r, kind: report, markdown: .remedy/y/r.md }\n");
        assert!(
            d.message.contains("not in this plan's own state folder"),
            "{}",
            d.message
        );
        let d =
            only("id: x\nphases:\n  - { name: r, kind: report, markdown: a.md, json: ./a.md }\n");
        assert!(
            d.message.contains("both be written to `a.md`"),
            "{}",
            d.message
        );
        assert!(crate::plan::load_plan_text(
            std::path::Path::new("p.yaml"),
            "p.yaml".into(),
            "id: x\nphases:\n  - { name: r, kind: report, markdown: .remedy/x/r.md, json: REPORT.json }\n",
            None,
        )
        .is_ok());
    }

    #[test]
    fn exit_codes_are_between_0_and_255() {
        let d = only("id: x\nphases:\n  - { name: c, kind: command, argv: [x], exit_code: -1 }\n");
        assert_eq!(d.path, "phases[0].exit_code");
        let d = only("id: x\nphases:\n  - { name: v, kind: validate, checks: [{ name: c, command: [x], exit_code: 256 }] }\n");
        assert_eq!(d.path, "phases[0].checks[0].exit_code");
    }

    #[test]
    fn a_command_check_timeout_is_positive_and_only_on_command_checks() {
        for (check, message) in [
            (
                "command: [x], timeout: 0",
                "not a positive number of seconds",
            ),
            (
                "file_exists: a, timeout: 5",
                "only applies to a `command` check",
            ),
        ] {
            let d = only(&format!(
                "id: x\nphases:\n  - {{ name: v, kind: validate, checks: [{{ name: c, {check} }}] }}\n"
            ));
            assert_eq!(d.path, "phases[0].checks[0].timeout");
            assert!(d.message.contains(message), "{}", d.message);
        }
    }

    #[test]
    fn with_a_root_the_cwd_must_be_a_folder() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("app")).unwrap();
        let load = |cwd: &str| {
            crate::plan::load_plan_text(
                std::path::Path::new("p.yaml"),
                "p.yaml".into(),
                &format!(
                    "id: x\nphases:\n  - {{ name: c, kind: command, argv: [ls], cwd: {cwd} }}\n"
                ),
                Some(root.path()),
            )
        };
        assert!(load("app").is_ok());
        let d = load("nowhere").unwrap_err().diagnostics;
        assert!(d[0].message.contains("`nowhere` is not a folder"), "{d:?}");
    }

    #[test]
    fn pytest_keys_are_checked() {
        let plan = crate::plan::load_plan_text(
            std::path::Path::new("p.yaml"),
            "p.yaml".into(),
            "id: x\nrequirements: [\"pytest>=7\"]\nphases:\n  - { name: t, kind: pytest, jobs: 3, workers: auto, suites: [{ name: u }], criteria: { must_pass: [\"tests/*\", \"tests/t.py::f\"] } }\n",
            None,
        )
        .unwrap();
        let PhaseConfig::Pytest(c) = &plan.phases[0].config else {
            panic!("not a pytest phase");
        };
        assert_eq!(c.jobs, Some(3));
        assert_eq!(c.workers, Some(WorkersSpec::Auto));
        assert_eq!(c.requirements, ["pytest>=7"]);
        assert!(c.must_pass[0].matches("tests/unit/test_a.py::TestK::test_b"));
        assert!(c.must_pass[1].matches("tests/t.py::f"));
        assert!(!c.must_pass[1].matches("tests/t.py::g"));

        let d = only("id: x\nphases:\n  - { name: t, kind: command, argv: [x], jobs: 2 }\n");
        assert!(d.message.contains("`jobs` does not apply"), "{}", d.message);
        let d = only("id: x\nrequirements: []\nphases:\n  - { name: t, kind: pytest, suites: [{ name: u }] }\n");
        assert_eq!(d.path, "requirements");
        let d = only("id: x\nrequirements: [pytest]\nphases:\n  - { name: r, kind: report }\n");
        assert!(d.message.contains("no pytest phase"), "{}", d.message);
        let d = only("id: x\nphases:\n  - { name: t, kind: pytest, suites: [{ name: u }], criteria: { must_pass: ['::f'] } }\n");
        assert_eq!(d.path, "phases[0].criteria.must_pass[0]");
    }

    #[test]
    fn fingerprints_without_requirements_are_unchanged() {
        let text = "id: x\nphases:\n  - { name: t, kind: pytest, suites: [{ name: u }] }\n";
        let spec = super::super::load::parse_spec(text).unwrap();
        let before = fingerprint(&spec, &spec.phases[0]);
        // The same normalisation the fingerprint had before `requirements` existed.
        let old = serde_json::json!({ "files": spec.files, "python": spec.python, "phase": spec.phases[0] });
        assert_eq!(
            before,
            blake3::hash(&serde_json::to_vec(&old).unwrap()).to_hex()[..16].to_string()
        );
        let mut with = spec.clone();
        with.requirements = Some(vec!["pytest".into()]);
        assert_ne!(before, fingerprint(&with, &with.phases[0]));
    }
}
