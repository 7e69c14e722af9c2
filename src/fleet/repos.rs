//! The repositories list of a fleet: one repository a line, a local path or a git URL, with an
//! optional ref in a second column; `#` starts a comment, blank lines are skipped.
//!
//! A repository's *position* is its 0-based place among the repository lines (comments and blank
//! lines do not count). Shards select by position, and names are made unique over the whole list,
//! so every machine that reads the same list sees the same positions and names.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::error::FleetError;

/// Where a repository comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// A git URL (`file://`, `https://`, `ssh://`, `git@host:path`): always cloned.
    Url(String),
    /// A folder on this machine, absolute (resolved against the list's folder): a non-bare
    /// repository gets a linked worktree, a bare one is cloned.
    Local(PathBuf),
}

impl Source {
    /// The source as the list wrote it, for reports and hashes.
    pub(crate) fn display(&self) -> String {
        match self {
            Source::Url(u) => u.clone(),
            Source::Local(p) => p.display().to_string(),
        }
    }
}

/// One repository of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RepoEntry {
    /// Its 0-based place among the repository lines.
    pub(crate) position: usize,
    /// Its 1-based line in the file.
    pub(crate) line: usize,
    /// The source as written on the line.
    pub(crate) written: String,
    pub(crate) source: Source,
    /// The ref to start from (branch, tag or commit); `None`: the default branch (`HEAD`).
    pub(crate) git_ref: Option<String>,
    /// A name unique in the list, usable as a folder name: the source's last component without
    /// `.git`, with `-<position+1>` added when two sources share it.
    pub(crate) name: String,
}

/// A parsed list.
#[derive(Debug, Clone)]
pub(crate) struct RepoList {
    pub(crate) entries: Vec<RepoEntry>,
    /// BLAKE3 of the list's repository lines as parsed (source and ref, one a line): comments,
    /// blank lines and spacing do not change it, any change of a repository or of the order does.
    pub(crate) hash: String,
}

/// Reads and parses the list at `path`.
pub(crate) fn load_repo_list(path: &Path) -> Result<RepoList, FleetError> {
    let text = std::fs::read_to_string(path).map_err(|e| FleetError::ListUnreadable {
        file: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let base = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let base = base.canonicalize().unwrap_or_else(|_| base.to_path_buf());
    parse_repo_list(path, &text, &base, &|p: &Path| p.exists())
}

/// Parses the list's `text` (`file` names it in errors; relative paths are resolved against
/// `base`; `exists` tells whether a local path is there, so tests need no files).
pub(crate) fn parse_repo_list(
    file: &Path,
    text: &str,
    base: &Path,
    exists: &dyn Fn(&Path) -> bool,
) -> Result<RepoList, FleetError> {
    let bad = |line: usize, message: String| FleetError::BadListLine {
        file: file.to_path_buf(),
        line,
        message,
    };
    let mut entries = Vec::new();
    let mut seen: HashMap<(String, Option<String>), usize> = HashMap::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let content = strip_comment(raw).trim();
        if content.is_empty() {
            continue;
        }
        let columns: Vec<&str> = content.split_whitespace().collect();
        if columns.len() > 2 {
            return Err(bad(
                line,
                format!(
                    "expected `SOURCE [REF]`, found {} columns (`{content}`)",
                    columns.len()
                ),
            ));
        }
        let written = columns[0].to_string();
        let git_ref = columns.get(1).map(|r| r.to_string());
        if let Some(r) = &git_ref {
            if r.starts_with('-') || r.contains("..") || r.contains(':') {
                return Err(bad(line, format!("`{r}` is not a usable git ref")));
            }
        }
        let source = if is_url(&written) {
            if written.starts_with("file://") && written.len() == "file://".len() {
                return Err(bad(line, "`file://` names no path".to_string()));
            }
            Source::Url(written.clone())
        } else {
            let path = base.join(&written);
            if !exists(&path) {
                return Err(bad(
                    line,
                    format!(
                        "`{written}` is not a URL and no folder `{}` exists",
                        path.display()
                    ),
                ));
            }
            Source::Local(normalize(&path))
        };
        let key = (source.display(), git_ref.clone());
        if let Some(first) = seen.insert(key, line) {
            return Err(bad(
                line,
                format!("`{content}` is listed twice (first on line {first})"),
            ));
        }
        entries.push(RepoEntry {
            position: entries.len(),
            line,
            name: base_name(&written),
            written,
            source,
            git_ref,
        });
    }
    if entries.is_empty() {
        return Err(FleetError::EmptyList {
            file: file.to_path_buf(),
        });
    }
    // Names shared by two sources get the position, everywhere, so no name depends on which
    // shard reads the list.
    let mut counts: HashMap<String, usize> = HashMap::new();
    for e in &entries {
        *counts.entry(e.name.clone()).or_default() += 1;
    }
    for e in &mut entries {
        if counts[&e.name] > 1 {
            e.name = format!("{}-{}", e.name, e.position + 1);
        }
    }
    let mut canonical = String::new();
    for e in &entries {
        canonical.push_str(&e.written);
        if let Some(r) = &e.git_ref {
            canonical.push('\t');
            canonical.push_str(r);
        }
        canonical.push('\n');
    }
    Ok(RepoList {
        entries,
        hash: crate::fsutil::hash_bytes(canonical.as_bytes()),
    })
}

/// The line without a comment: `#` at the start, or after whitespace (a URL may hold a `#`).
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

/// Whether a source is a URL git clones: `scheme://...` or scp-like `user@host:path`.
fn is_url(s: &str) -> bool {
    if let Some((scheme, _)) = s.split_once("://") {
        return !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    }
    match (s.find('@'), s.find(':'), s.find('/')) {
        (Some(at), Some(colon), slash) => at < colon && slash.is_none_or(|sl| colon < sl),
        _ => false,
    }
}

/// The source's last component without `.git`, reduced to `[A-Za-z0-9._-]`.
fn base_name(written: &str) -> String {
    let trimmed = written.trim_end_matches('/');
    let last = trimmed
        .rsplit(['/', ':'])
        .next()
        .unwrap_or(trimmed)
        .trim_end_matches(".git");
    let cleaned: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "repo".to_string()
    } else {
        cleaned
    }
}

/// `a/./b/../c` → `a/c`, without touching the file system (the folder may be a symlink the
/// user wants kept as written).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RepoList, FleetError> {
        parse_repo_list(Path::new("repos.txt"), text, Path::new("/base"), &|p| {
            p.starts_with("/base/here")
        })
    }

    #[test]
    fn reads_urls_paths_refs_and_comments() {
        let list = parse(
            "# the fleet\n\nfile:///srv/a.git\nhttps://example.com/org/b.git v1.2  # pinned\n  here/c\ngit@example.com:org/d.git main\nfile:///srv/x#y\n",
        )
        .unwrap();
        let got: Vec<_> = list
            .entries
            .iter()
            .map(|e| (e.position, e.line, e.name.as_str(), e.git_ref.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (0, 3, "a", None),
                (1, 4, "b", Some("v1.2")),
                (2, 5, "c", None),
                (3, 6, "d", Some("main")),
                (4, 7, "x_y", None),
            ]
        );
        assert_eq!(
            list.entries[2].source,
            Source::Local(PathBuf::from("/base/here/c"))
        );
        assert_eq!(
            list.entries[3].source,
            Source::Url("git@example.com:org/d.git".into())
        );
    }

    #[test]
    fn shared_names_get_their_position() {
        let list = parse("file:///a/app.git\nfile:///b/app\nfile:///c/lib.git\n").unwrap();
        let names: Vec<_> = list.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["app-1", "app-2", "lib"]);
    }

    #[test]
    fn the_hash_ignores_comments_and_spacing_but_not_order() {
        let a = parse("file:///a.git\nfile:///b.git main\n").unwrap().hash;
        let b = parse("# c\nfile:///a.git   \n\n file:///b.git\tmain # x\n")
            .unwrap()
            .hash;
        let c = parse("file:///b.git main\nfile:///a.git\n").unwrap().hash;
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn bad_lines_are_named() {
        let cases = [
            ("file:///a.git\nfile:///b.git main extra\n", 2, "3 columns"),
            ("nowhere/repo\n", 1, "no folder"),
            ("file:///a.git\n# x\nfile:///a.git\n", 3, "listed twice"),
            ("file:///a.git -rf\n", 1, "not a usable git ref"),
            ("file://\n", 1, "names no path"),
        ];
        for (text, line, words) in cases {
            match parse(text) {
                Err(FleetError::BadListLine {
                    line: l, message, ..
                }) => {
                    assert_eq!(l, line, "{text:?}");
                    assert!(message.contains(words), "{text:?}: {message}");
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
        assert!(matches!(
            parse("# nothing\n\n"),
            Err(FleetError::EmptyList { .. })
        ));
    }
}
