//! An import a plan names (`from datetime import timezone`, `import collections.abc`, `import
//! numpy as np`), read from its Python text and checked to be one remedy can add and compare with
//! the imports a file already has.

use std::fmt;
use std::str::FromStr;

use super::error::ImportSpecError;
use super::statements::{imports_in, ImportKind};
use crate::edit::python;

/// One name of an import: `a.b` in `import a.b`, `c` with alias `d` in `from m import c as d`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SpecName {
    pub(crate) name: String,
    pub(crate) alias: Option<String>,
}

/// An absolute `import a.b [as c], ...` or `from a.b import c [as d], ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImportSpec {
    /// The module of a `from` import; `None` for a plain `import`.
    pub(crate) module: Option<String>,
    pub(crate) names: Vec<SpecName>,
}

/// A name an import binds and the qualified name it stands for: `import a.b` binds `a` (the
/// module `a`), `import a.b as m` binds `m` (`a.b`), `from a import c as d` binds `d` (`a.c`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bound {
    pub(crate) name: String,
    pub(crate) qualified: String,
}

impl ImportSpec {
    /// Reads `text`, which must be exactly one absolute import statement without a star.
    pub(crate) fn parse(text: &str) -> Result<ImportSpec, ImportSpecError> {
        let not_an_import = || ImportSpecError::NotAnImport {
            text: text.to_string(),
        };
        let trimmed = text.trim();
        let (tree, offset) = python::parse(trimmed).ok_or_else(not_an_import)?;
        let root = tree.root_node();
        if root.has_error() || root.named_child_count() != 1 {
            return Err(not_an_import());
        }
        let mut found = imports_in(root, trimmed, offset);
        if found.len() != 1 || found[0].placement.in_function || !found[0].placement.top_level {
            return Err(not_an_import());
        }
        let statement = found.remove(0);
        match statement.kind {
            ImportKind::Future => {
                return Err(ImportSpecError::Future {
                    text: text.to_string(),
                })
            }
            _ if statement.is_star => {
                return Err(ImportSpecError::Star {
                    text: text.to_string(),
                })
            }
            _ if statement
                .module
                .as_deref()
                .is_some_and(|m| m.starts_with('.')) =>
            {
                return Err(ImportSpecError::Relative {
                    text: text.to_string(),
                })
            }
            _ => {}
        }
        Ok(ImportSpec {
            module: statement.module,
            names: statement
                .names
                .into_iter()
                .map(|n| SpecName {
                    name: n.name,
                    alias: n.alias,
                })
                .collect(),
        })
    }

    /// What each of the spec's names binds, in order.
    pub(crate) fn bound(&self) -> Vec<Bound> {
        self.names
            .iter()
            .map(|n| bound_by(self.module.as_deref(), &n.name, n.alias.as_deref()))
            .collect()
    }

    /// The spec with only `names` (a subset of its own), rendered as one statement.
    pub(crate) fn with_names(&self, names: Vec<SpecName>) -> ImportSpec {
        ImportSpec {
            module: self.module.clone(),
            names,
        }
    }
}

/// What one imported name binds, for a `from module import` or (with `module` `None`) `import`.
pub(crate) fn bound_by(module: Option<&str>, name: &str, alias: Option<&str>) -> Bound {
    match (module, alias) {
        (Some(module), alias) => Bound {
            name: alias.unwrap_or(name).to_string(),
            qualified: if module.ends_with('.') {
                format!("{module}{name}")
            } else {
                format!("{module}.{name}")
            },
        },
        (None, Some(alias)) => Bound {
            name: alias.to_string(),
            qualified: name.to_string(),
        },
        (None, None) => {
            let first = name.split('.').next().unwrap_or(name);
            Bound {
                name: first.to_string(),
                qualified: first.to_string(),
            }
        }
    }
}

impl SpecName {
    fn render(&self) -> String {
        match &self.alias {
            Some(alias) => format!("{} as {alias}", self.name),
            None => self.name.clone(),
        }
    }
}

impl fmt::Display for SpecName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

impl fmt::Display for ImportSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.names.iter().map(SpecName::render).collect();
        match &self.module {
            Some(module) => write!(f, "from {module} import {}", names.join(", ")),
            None => write!(f, "import {}", names.join(", ")),
        }
    }
}

impl FromStr for ImportSpec {
    type Err = ImportSpecError;

    fn from_str(text: &str) -> Result<ImportSpec, ImportSpecError> {
        ImportSpec::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bound(text: &str) -> Vec<(String, String)> {
        ImportSpec::parse(text)
            .unwrap()
            .bound()
            .into_iter()
            .map(|b| (b.name, b.qualified))
            .collect()
    }

    #[test]
    fn specs_know_the_names_they_bind() {
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            bound("from datetime import timezone"),
            [pair("timezone", "datetime.timezone")]
        );
        assert_eq!(
            bound("import collections.abc"),
            [pair("collections", "collections")]
        );
        assert_eq!(bound("import numpy as np"), [pair("np", "numpy")]);
        assert_eq!(bound("from a.b import c as d"), [pair("d", "a.b.c")]);
        assert_eq!(
            bound("from typing import (List,\n  Mapping as M)"),
            [pair("List", "typing.List"), pair("M", "typing.Mapping")]
        );
    }

    #[test]
    fn specs_render_back_to_python() {
        for text in [
            "from datetime import timezone",
            "import collections.abc",
            "import numpy as np",
            "from a.b import c as d, e",
        ] {
            assert_eq!(ImportSpec::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn other_text_is_refused_with_the_text_named() {
        for (text, expected) in [
            ("from . import x", "relative import"),
            ("from ..m import x", "relative import"),
            ("from os import *", "star import"),
            ("from __future__ import annotations", "__future__"),
            ("import os; import sys", "not a Python import"),
            ("x = 1", "not a Python import"),
            ("import", "not a Python import"),
            ("def f():\n    import os", "not a Python import"),
        ] {
            let message = ImportSpec::parse(text).unwrap_err().to_string();
            assert!(message.contains(expected), "{text}: {message}");
            assert!(message.contains(text), "{text}: {message}");
        }
    }
}
