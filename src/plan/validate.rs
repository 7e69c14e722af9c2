//! Turns a `PlanSpec` into a `Plan`, collecting every problem with its location.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex::Regex;

use super::error::{did_you_mean, Diagnostic};
use super::expect::{Expect, EXPECT_HELP};
use super::locate::Locator;
use super::model::*;
use super::spec::*;
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
                let last = detail.lines().last().unwrap_or("").trim().to_string();
                self.at_value(
                    path,
                    format!("invalid regex `{text}`: {last}"),
                    Some("regexes use Rust syntax (https://docs.rs/regex); escape `(` `)` `.` `[` with a backslash"),
                );
                None
            }
        }
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
                        Some("`*` matches within a folder, `**` across folders, `{a,b}` either"),
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
            self.at_value(
                path,
                format!("timeout {secs} is not a positive number of seconds"),
                None,
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
            format!("plan id `{}` cannot name a folder", spec.id),
            Some(NAME_HELP),
        );
    }
    if spec.phases.is_empty() {
        c.at_key(
            "phases",
            "the plan has no phases",
            Some("add at least one phase, e.g. `- { name: preflight, kind: validate, checks: [...] }`"),
        );
    }

    let base = c.narrow(&Selection::default(), "files", spec.files.as_ref());

    let mut seen: Vec<&str> = Vec::new();
    for (i, p) in spec.phases.iter().enumerate() {
        let at = format!("phases[{i}]");
        if !is_simple_name(&p.name) {
            c.at_value(
                &format!("{at}.name"),
                format!("phase name `{}` is not usable on the command line", p.name),
                Some(NAME_HELP),
            );
        } else if seen.contains(&p.name.as_str()) {
            c.at_value(
                &format!("{at}.name"),
                format!("phase name `{}` is used twice", p.name),
                Some("phase names must be unique; rename one"),
            );
        }
        seen.push(&p.name);
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
            Some("add `checks:` with at least one check"),
        );
        return None;
    };
    if specs.is_empty() {
        c.at_value(
            &format!("{at}.checks"),
            "`checks` is empty",
            Some("add at least one check"),
        );
    }
    let before = c.diagnostics.len();
    let mut checks = Vec::new();
    for (j, s) in specs.iter().enumerate() {
        let at = format!("{at}.checks[{j}]");
        let kinds = [
            s.pattern.is_some(),
            s.python_function.is_some(),
            s.command.is_some(),
            s.file_exists.is_some(),
        ];
        let count = kinds.iter().filter(|k| **k).count();
        if count != 1 {
            c.at_value(
                &at,
                format!("check `{}` must have exactly one of `pattern`, `python_function`, `command`, `file_exists` (it has {count})", s.name),
                None,
            );
            continue;
        }
        let stray = |c: &mut Checker, key: &str, present: bool, owner: &str| {
            if present {
                c.at_key(
                    &format!("{at}.{key}"),
                    format!("key `{key}` only applies to a `{owner}` check"),
                    None,
                );
            }
        };
        let kind = if let Some(pattern) = &s.pattern {
            stray(c, "exit_code", s.exit_code.is_some(), "command");
            let regex = c.regex(&format!("{at}.pattern"), pattern);
            let expect = match &s.expect {
                Some(e) => c.expect(&format!("{at}.expect"), e),
                None => {
                    c.at_value(
                        &at,
                        format!("pattern check `{}` has no `expect`", s.name),
                        Some(EXPECT_HELP),
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
            stray(c, "expect", s.expect.is_some(), "pattern");
            stray(c, "skip", s.skip.is_some(), "pattern");
            stray(c, "files", s.files.is_some(), "pattern");
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
            Some("add `edits:` with at least one edit"),
        );
        return None;
    };
    if specs.is_empty() {
        c.at_value(
            &format!("{at}.edits"),
            "`edits` is empty",
            Some("add at least one edit"),
        );
    }
    let before = c.diagnostics.len();
    let mut edits = Vec::new();
    for (j, s) in specs.iter().enumerate() {
        let at = format!("{at}.edits[{j}]");
        let regex = c.regex(&format!("{at}.regex"), &s.regex);
        if let Some(r) = &regex {
            c.replacement(&format!("{at}.replace"), r, &s.replace);
            if r.is_match("") {
                c.at_value(
                    &format!("{at}.regex"),
                    format!(
                        "regex `{}` matches the empty string, so it would edit every position",
                        s.regex
                    ),
                    Some("make the regex require at least one character"),
                );
            }
        }
        let expect = s
            .expect
            .as_deref()
            .and_then(|e| c.expect(&format!("{at}.expect"), e));
        let sel = c.narrow(selection, &format!("{at}.files"), s.files.as_ref());
        if let Some(regex) = regex {
            edits.push(Edit {
                name: s.name.clone(),
                regex,
                replace: s.replace.clone(),
                skip: Skip::from_kinds(s.skip.as_deref().unwrap_or_default()),
                selection: sel,
                expect,
            });
        }
    }
    (c.diagnostics.len() == before).then_some(PhaseConfig::Patch { edits })
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
    let names = match &phase.phases {
        Some(names) => {
            let mut ok = true;
            for (k, n) in names.iter().enumerate() {
                if !later_patches.contains(&n.as_str()) {
                    let help = match did_you_mean(n, later_patches.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!(
                            "later patch phases: {}",
                            if later_patches.is_empty() {
                                "none".to_string()
                            } else {
                                later_patches.join(", ")
                            }
                        ),
                    };
                    c.at_value(
                        &format!("{at}.phases[{k}]"),
                        format!("`{n}` is not a patch phase after this backup"),
                        Some(&help),
                    );
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
            Some("put the backup phase before the patch phases it protects"),
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
                None,
            );
        }
        names.push(&s.name);
        if s.name.trim().is_empty() {
            c.at_value(
                &format!("{at}.suites[{j}].name"),
                "suite name is empty",
                None,
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
            let help = match did_you_mean(other, earlier.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "earlier pytest phases: {}",
                    if earlier.is_empty() {
                        "none".into()
                    } else {
                        earlier.join(", ")
                    }
                ),
            };
            c.at_value(
                &format!("{at}.compare_with"),
                format!("`{other}` is not an earlier pytest phase"),
                Some(&help),
            );
        }
    }
    if criteria.no_new_failures == Some(true) && p.compare_with.is_none() {
        c.at_value(
            &format!("{at}.criteria.no_new_failures"),
            "`no_new_failures` needs `compare_with` naming the baseline phase",
            None,
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
        c.at_value(at, format!("command phase `{}` has no `argv`", p.name), Some("write the program and its arguments, e.g. `argv: [python3, -m, compileall, -q, app]`"));
        return None;
    }
    let shell = p.shell.unwrap_or(false);
    if shell && argv.len() != 1 {
        c.at_value(
            &format!("{at}.argv"),
            "with `shell: true`, `argv` must be one string: the shell command line",
            None,
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
}
