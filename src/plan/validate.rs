//! Turns a `PlanSpec` into a `Plan`, collecting every problem with its location.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex::Regex;

use super::error::{did_you_mean, Diagnostic};
use super::expect::{Expect, EXPECT_HELP};
use super::locate::Locator;
use super::model::*;
use super::spec::*;
use crate::edit::structural::{Pattern, Query, Rewrite};
use crate::paths::RelPath;

/// The folder under the root that holds remedy's state.
pub const STATE_DIR: &str = ".remedy";

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

    fn regex(&mut self, path: &str, text: &str) -> Option<Regex> {
        match Regex::new(text) {
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
        PhaseKind::Backup => &["files", "phases"],
        PhaseKind::Patch => &["files", "edits"],
        PhaseKind::Pytest => &[
            "suites",
            "allow_failures",
            "criteria",
            "compare_with",
            "python",
            "timeout",
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
    let normalised = serde_json::json!({
        "files": spec.files,
        "python": spec.python,
        "phase": phase,
    });
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
            PhaseKind::Report => {
                let default_md = format!("{STATE_DIR}/{}/report.md", spec.id);
                let default_json = format!("{STATE_DIR}/{}/report.json", spec.id);
                let md = c.rel_path(
                    &format!("{at}.markdown"),
                    p.markdown.as_deref().unwrap_or(&default_md),
                );
                let json = c.rel_path(
                    &format!("{at}.json"),
                    p.json.as_deref().unwrap_or(&default_json),
                );
                match (md, json) {
                    (Some(markdown), Some(json)) => Some(PhaseConfig::Report { markdown, json }),
                    _ => None,
                }
            }
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
        if s.python.is_none() {
            stray(c, "symbol", s.symbol.is_some(), "python");
            stray(c, "inside", s.inside.is_some(), "python");
            stray(c, "not_inside", s.not_inside.is_some(), "python");
        }
        let kind = if let Some(python) = &s.python {
            stray(c, "exit_code", s.exit_code.is_some(), "command");
            stray(c, "skip", s.skip.is_some(), "pattern");
            let query = c.query(
                &at,
                &python.pattern,
                s.symbol.as_deref(),
                s.inside.as_deref(),
                s.not_inside.as_deref(),
            );
            let expect = match &s.expect {
                Some(e) => c.expect(&format!("{at}.expect"), e),
                None => {
                    c.at_value(
                        &at,
                        format!("python check `{}` has no `expect`", s.name),
                        Some(&format!("add `expect:` to the check; {EXPECT_HELP}")),
                    );
                    None
                }
            };
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
            stray(c, "exit_code", s.exit_code.is_some(), "command");
            let regex = c.regex(&format!("{at}.pattern"), pattern);
            let expect = match &s.expect {
                Some(e) => c.expect(&format!("{at}.expect"), e),
                None => {
                    c.at_value(
                        &at,
                        format!("pattern check `{}` has no `expect`", s.name),
                        Some(&format!("add `expect:` to the check; {EXPECT_HELP}")),
                    );
                    None
                }
            };
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
                stray(c, "exit_code", s.exit_code.is_some(), "command");
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
                    Some(CheckKind::Command {
                        argv: argv.clone(),
                        exit_code: s.exit_code.unwrap_or(0),
                    })
                }
            } else {
                stray(c, "exit_code", s.exit_code.is_some(), "command");
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
        })
    })
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
    let cwd = c.rel_path(&format!("{at}.cwd"), p.cwd.as_deref().unwrap_or("."))?;
    let timeout = c.timeout(&format!("{at}.timeout"), p.timeout);
    Some(PhaseConfig::Command(CommandConfig {
        argv,
        shell,
        cwd,
        exit_code: p.exit_code.unwrap_or(0),
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
}
