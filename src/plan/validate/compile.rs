//! Compiling what a plan writes as text: regexes, structural Python patterns and queries, globs
//! and file selections, and replacement templates. Each step reports a failure at the key that
//! holds the text, with help in the syntax's own terms, and returns `None` so validation goes on.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex::Regex;

use super::super::model::Selection;
use super::super::spec::FilesSpec;
use super::super::spec::{ClassesSpec, PatternsSpec, UnresolvedKind};
use super::checker::Checker;
use super::refactors::is_qualified;
use crate::edit::regex::FileRegex;
use crate::edit::structural::{Pattern, Query, Unresolved};

const STRUCTURAL_HELP: &str = "a pattern is one Python expression or statement; `$NAME` stands for one node, `$$$NAME` for several (arguments, statements), e.g. `await get_websocket_manager($$$ARGS)`";

/// The keys of an edit or check that shape its structural query.
#[derive(Clone, Copy, Default)]
pub(super) struct QueryKeys<'s> {
    pub(super) symbol: Option<&'s str>,
    pub(super) inside: Option<&'s PatternsSpec>,
    pub(super) not_inside: Option<&'s PatternsSpec>,
    pub(super) unless_comment: Option<&'s str>,
    pub(super) in_class: Option<&'s ClassesSpec>,
    pub(super) unresolved: Option<UnresolvedKind>,
}

/// Where the `i`th of `len` values of a key is: the key itself when it holds one value (which
/// may be written without a list).
fn item_path(path: &str, i: usize, len: usize) -> String {
    if len == 1 {
        path.to_string()
    } else {
        format!("{path}[{i}]")
    }
}

impl Checker<'_> {
    pub(super) fn regex(&mut self, path: &str, text: &str) -> Option<FileRegex> {
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
    pub(super) fn structural(
        &mut self,
        path: &str,
        text: &str,
        symbol: Option<&str>,
    ) -> Option<Pattern> {
        match Pattern::compile(text, symbol) {
            Ok(p) => Some(p),
            Err(message) => {
                self.at_value(path, message, Some(STRUCTURAL_HELP));
                None
            }
        }
    }

    /// Checks a `symbol:` value: a dotted name of at least a module and a function.
    pub(super) fn symbol(&mut self, path: &str, text: Option<&str>) -> Result<(), ()> {
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
    /// `inside`, `not_inside`, `unless_comment`, `in_class` and `unresolved` keys of the same
    /// item.
    pub(super) fn query(&mut self, at: &str, pattern: &str, keys: QueryKeys) -> Option<Query> {
        let symbol = keys.symbol;
        let symbol_ok = self.symbol(&format!("{at}.symbol"), symbol).is_ok();
        let pattern = self.structural(
            &format!("{at}.python.pattern"),
            pattern,
            symbol.filter(|_| symbol_ok),
        );
        let inside = self.contexts(&format!("{at}.inside"), keys.inside);
        let not_inside = self.contexts(&format!("{at}.not_inside"), keys.not_inside);
        let in_class = self.classes(&format!("{at}.in_class"), keys.in_class);
        if let Some(marker) = keys.unless_comment {
            if marker.trim().is_empty() {
                self.at_value(
                    &format!("{at}.unless_comment"),
                    "`unless_comment` is empty, so every comment would mark a site",
                    Some("write the text the marking comments hold, e.g. `BUG: awaiting non-coroutine`"),
                );
                return None;
            }
        }
        if keys.unresolved.is_some() && symbol.is_none() {
            self.at_key(
                &format!("{at}.unresolved"),
                "`unresolved` applies only with `symbol`: without one, no name is resolved",
                Some("add the `symbol` the pattern's name stands for, or remove `unresolved`"),
            );
            return None;
        }
        if !symbol_ok {
            return None;
        }
        Some(Query {
            inside: inside?,
            not_inside: not_inside?,
            unless_comment: keys.unless_comment.map(str::to_string),
            in_class: in_class?,
            unresolved: match keys.unresolved.unwrap_or_default() {
                UnresolvedKind::Leave => Unresolved::Leave,
                UnresolvedKind::Edit => Unresolved::Edit,
                UnresolvedKind::Fail => Unresolved::Fail,
            },
            ..Query::new(pattern?)
        })
    }

    /// Compiles the context patterns of `inside` or `not_inside` at `path` (a list's items at
    /// `path[i]`).
    fn contexts(&mut self, path: &str, spec: Option<&PatternsSpec>) -> Option<Vec<Pattern>> {
        let Some(spec) = spec else {
            return Some(Vec::new());
        };
        if spec.0.is_empty() {
            self.at_value(
                path,
                "the list names no pattern",
                Some("write one pattern, or a list of at least one, e.g. `with pytest.raises($$$E): $$$BODY`"),
            );
            return None;
        }
        let compiled: Vec<Option<Pattern>> = spec
            .0
            .iter()
            .enumerate()
            .map(|(i, text)| self.structural(&item_path(path, i, spec.0.len()), text, None))
            .collect();
        compiled.into_iter().collect()
    }

    /// Checks the qualified class names of `in_class` at `path`.
    fn classes(&mut self, path: &str, spec: Option<&ClassesSpec>) -> Option<Vec<String>> {
        let Some(spec) = spec else {
            return Some(Vec::new());
        };
        if spec.0.is_empty() {
            self.at_value(
                path,
                "`in_class` names no class",
                Some("name the base class, e.g. `in_class: unittest.TestCase`"),
            );
            return None;
        }
        let mut ok = true;
        for (i, class) in spec.0.iter().enumerate() {
            if !is_qualified(class) {
                self.at_value(
                    &item_path(path, i, spec.0.len()),
                    format!("`{class}` is not a qualified class name"),
                    Some("write the module and the class, e.g. `unittest.TestCase`"),
                );
                ok = false;
            }
        }
        ok.then(|| spec.0.clone())
    }

    pub(super) fn globs(&mut self, path: &str, globs: &[String]) -> Option<GlobSet> {
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

    pub(super) fn narrow(
        &mut self,
        base: &Selection,
        path: &str,
        spec: Option<&FilesSpec>,
    ) -> Selection {
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

    pub(super) fn replacement(&mut self, path: &str, regex: &Regex, replace: &str) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn finds_capture_references() {
        assert_eq!(capture_references("$1"), vec!["1"]);
        assert_eq!(capture_references("a$$b${name}c$2x"), vec!["name", "2x"]);
        assert!(capture_references("cost: $$5").is_empty());
    }
}
