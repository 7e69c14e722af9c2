//! The modules under the root, read and parsed on demand, for following re-exports.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::file::FileSymbols;
use crate::edit::python;
use crate::tree::paths::RelPath;

/// What a module binds at its top level: name → the qualified name it stands for, if one.
type Exports = Arc<HashMap<String, Option<String>>>;

/// Reads a module's source by its path relative to the root (`None` when absent or unreadable).
pub(crate) type ModuleReader = Box<dyn Fn(&RelPath) -> Option<String> + Send + Sync>;

/// Finds modules under the root and what they export, for following re-exports; shared by the
/// scan's threads, each module parsed at most once.
pub(crate) struct ModuleIndex {
    read: Option<ModuleReader>,
    exports: Mutex<HashMap<String, Option<Exports>>>,
    canonical: Mutex<HashMap<String, String>>,
}

impl std::fmt::Debug for ModuleIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModuleIndex").finish_non_exhaustive()
    }
}

/// How many re-exports are followed before a name is taken as it is (re-export cycles exist).
const MAX_REEXPORTS: usize = 8;

impl ModuleIndex {
    pub(crate) fn new(read: ModuleReader) -> ModuleIndex {
        ModuleIndex {
            read: Some(read),
            exports: Mutex::default(),
            canonical: Mutex::default(),
        }
    }

    /// An index that sees no other file: names resolve within their own file only.
    #[cfg(test)]
    pub(crate) fn detached() -> ModuleIndex {
        ModuleIndex {
            read: None,
            exports: Mutex::default(),
            canonical: Mutex::default(),
        }
    }

    /// Whether `resolved` (a name a file refers to) and `symbol` are the same definition.
    pub(crate) fn same_symbol(&self, resolved: &str, symbol: &str) -> bool {
        resolved == symbol || self.canonical(resolved) == self.canonical(symbol)
    }

    /// Follows re-exports until `name` is where it is defined (or cannot be followed further).
    fn canonical(&self, name: &str) -> String {
        if let Some(c) = self.lock_canonical().get(name) {
            return c.clone();
        }
        let mut current = name.to_string();
        for _ in 0..MAX_REEXPORTS {
            match self.step(&current) {
                Some(next) if next != current => current = next,
                _ => break,
            }
        }
        self.lock_canonical()
            .insert(name.to_string(), current.clone());
        current
    }

    fn lock_canonical(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.canonical.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One re-export step: the longest module prefix of `name` that exists decides.
    fn step(&self, name: &str) -> Option<String> {
        let parts: Vec<&str> = name.split('.').collect();
        for split in (1..parts.len()).rev() {
            let module = parts[..split].join(".");
            let Some(exports) = self.exports(&module) else {
                continue;
            };
            let target = exports.get(parts[split])?.clone()?;
            let rest = &parts[split + 1..];
            return Some(if rest.is_empty() {
                target
            } else {
                format!("{target}.{}", rest.join("."))
            });
        }
        None
    }

    fn exports(&self, module: &str) -> Option<Exports> {
        let read = self.read.as_ref()?;
        if let Some(e) = self
            .exports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(module)
        {
            return e.clone();
        }
        let base = module.replace('.', "/");
        let found = [format!("{base}/__init__.py"), format!("{base}.py")]
            .into_iter()
            .filter_map(|p| RelPath::parse(&p).ok())
            .find_map(|rel| read(&rel).map(|text| (rel, text)))
            .and_then(|(rel, text)| {
                let (tree, offset) = python::parse(&text)?;
                let symbols = FileSymbols::build(tree.root_node(), &text[offset..], &rel);
                Some(Arc::new(symbols.exports()))
            });
        self.exports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(module.to_string(), found.clone());
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_reexports_through_packages() {
        let index = ModuleIndex::new(Box::new(|rel: &RelPath| match rel.as_str() {
            "app/core/__init__.py" => Some("from .wm import get as get\n".into()),
            "app/core/wm.py" => Some("def get():\n    pass\n".into()),
            _ => None,
        }));
        assert!(index.same_symbol("app.core.get", "app.core.wm.get"));
        assert!(!index.same_symbol("app.core.other", "app.core.wm.get"));
        assert!(!ModuleIndex::detached().same_symbol("app.core.get", "app.core.wm.get"));
    }
}
