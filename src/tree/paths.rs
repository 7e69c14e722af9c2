//! Paths a plan names: relative to the root, never escaping it.
//!
//! A plan is code that rewrites a repository, so every path it names is checked twice: as text when
//! the plan is loaded (no absolute paths, no `..`), and on disk before use (no symlink leading out).

use std::fmt;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

/// A normalised path relative to the root, with `/` separators; `""` is the root itself.
///
/// Read back from a checkpoint, a path is checked exactly as one written in a plan: a record whose
/// path is absolute or climbs out with `..` does not load, so no state file can lead a rollback
/// outside the root.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub(crate) struct RelPath(String);

impl From<RelPath> for String {
    fn from(path: RelPath) -> String {
        path.0
    }
}

impl TryFrom<String> for RelPath {
    type Error = String;

    fn try_from(text: String) -> Result<RelPath, String> {
        let parsed = RelPath::parse(&text)?;
        // A stored path is stored normalised; one that is not was not written by remedy.
        if parsed.0 != text {
            return Err(format!("`{text}` is not a normalised relative path"));
        }
        Ok(parsed)
    }
}

impl RelPath {
    /// Checks a path written in a plan: relative, and without `..`.
    pub(crate) fn parse(text: &str) -> Result<RelPath, String> {
        if text.contains('\0') {
            return Err("a path cannot contain a NUL byte".into());
        }
        let path = Path::new(text);
        let mut parts = Vec::new();
        for component in path.components() {
            match component {
                Component::Normal(part) => match part.to_str() {
                    Some(p) => parts.push(p.to_string()),
                    None => return Err(format!("`{text}` is not valid UTF-8")),
                },
                Component::CurDir => {}
                Component::ParentDir => {
                    return Err(format!("`{text}` escapes the root with `..`"));
                }
                Component::RootDir | Component::Prefix(_) => {
                    return Err(format!(
                        "`{text}` is absolute; paths in a plan are relative to the root"
                    ));
                }
            }
        }
        Ok(RelPath(parts.join("/")))
    }

    /// Builds a `RelPath` from a path found under the root by the scanner.
    pub(crate) fn from_walk(root: &Path, path: &Path) -> Option<RelPath> {
        // The walker joins plain names to the root with `/`: such a path is cut as text and is
        // already in its canonical form (comparing components is the slow, general way).
        use std::os::unix::ffi::OsStrExt;
        let (root_bytes, path_bytes) = (root.as_os_str().as_bytes(), path.as_os_str().as_bytes());
        let after_root = path_bytes.strip_prefix(root_bytes).and_then(|rest| {
            if root_bytes.ends_with(b"/") {
                Some(rest)
            } else {
                rest.strip_prefix(b"/")
            }
        });
        if let Some(text) = after_root.and_then(|rest| std::str::from_utf8(rest).ok()) {
            let plain = |part: &str| !part.is_empty() && part != "." && part != "..";
            if !text.is_empty() && text.split('/').all(plain) {
                return Some(RelPath(text.to_string()));
            }
        }
        let rel = path.strip_prefix(root).ok()?;
        let mut parts = Vec::new();
        for component in rel.components() {
            match component {
                Component::Normal(part) => parts.push(part.to_str()?.to_string()),
                Component::CurDir => {}
                _ => return None,
            }
        }
        Some(RelPath(parts.join("/")))
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn to_path(&self, root: &Path) -> PathBuf {
        if self.0.is_empty() {
            root.to_path_buf()
        } else {
            root.join(&self.0)
        }
    }

    /// The folder part (`a/b` for `a/b/c.py`, `` for a file at the root).
    pub(crate) fn parent(&self) -> &str {
        self.0.rfind('/').map_or("", |i| &self.0[..i])
    }

    /// Resolves the path under `root`, refusing symlinks that lead outside it.
    pub(crate) fn resolve_inside(&self, root: &Path) -> Result<PathBuf, String> {
        let full = self.to_path(root);
        let canonical_root = root
            .canonicalize()
            .map_err(|e| format!("cannot resolve the root {}: {e}", root.display()))?;
        // Walk up to the longest existing prefix: that is where a symlink could lead elsewhere.
        let mut existing = full.as_path();
        while existing.symlink_metadata().is_err() {
            match existing.parent() {
                Some(p) => existing = p,
                None => break,
            }
        }
        if let Ok(real) = existing.canonicalize() {
            if !real.starts_with(&canonical_root) {
                return Err(format!(
                    "`{}` leads outside the root (to {}) through a symbolic link",
                    self.0,
                    real.display()
                ));
            }
        }
        Ok(full)
    }
}

impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str(".")
        } else {
            f.write_str(&self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_escapes_and_normalises() {
        assert_eq!(RelPath::parse("./a//b/c.py").unwrap().as_str(), "a/b/c.py");
        assert_eq!(RelPath::parse(".").unwrap().as_str(), "");
        assert!(RelPath::parse("../etc/passwd").unwrap_err().contains(".."));
        assert!(RelPath::parse("a/../../b").is_err());
        assert!(RelPath::parse("/etc/passwd")
            .unwrap_err()
            .contains("absolute"));
    }

    #[test]
    fn walked_paths_become_the_same_relative_paths_as_parsed_ones() {
        let root = Path::new("/repo");
        for (walked, rel) in [
            ("/repo/a/b.py", Some("a/b.py")),
            ("/repo/./a//b.py", Some("a/b.py")),
            ("/repo", Some("")),
            ("/repo/a/../b.py", None),
            ("/elsewhere/b.py", None),
            ("/repository/b.py", None),
        ] {
            let got = RelPath::from_walk(root, Path::new(walked));
            assert_eq!(got.as_ref().map(RelPath::as_str), rel, "{walked}");
        }
        let slash = RelPath::from_walk(Path::new("/repo/"), Path::new("/repo/a/b.py"));
        assert_eq!(slash.unwrap().as_str(), "a/b.py");
        let dot = RelPath::from_walk(Path::new("."), Path::new("./a/b.py"));
        assert_eq!(dot.unwrap().as_str(), "a/b.py");
    }

    #[test]
    fn refuses_symlink_out_of_root() {
        let outside = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("out")).unwrap();
        let p = RelPath::parse("out/secret.txt").unwrap();
        assert!(p
            .resolve_inside(root.path())
            .unwrap_err()
            .contains("outside the root"));
        let ok = RelPath::parse("inside/new.md").unwrap();
        assert!(ok.resolve_inside(root.path()).is_ok());
    }
}
