//! The modules under the root, read and parsed on demand (each at most once, whichever thread asks
//! first), for following re-exports and class hierarchies from one module into another.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use super::file::{settle, FileSymbols, Resolution};
use crate::edit::python;
use crate::tree::paths::RelPath;

/// Reads a module's source by its path relative to the root (`None` when absent or unreadable).
pub(crate) type ModuleReader = Box<dyn Fn(&RelPath) -> Option<String> + Send + Sync>;

/// A module's top-level symbols once it has been looked for: `None` when it is not in the root.
type ModuleCell = Arc<OnceLock<Option<Arc<FileSymbols>>>>;

/// Finds modules under the root and what they bind at top level, for following re-exports;
/// shared by the scan's threads, each module parsed at most once.
pub(crate) struct ModuleIndex {
    read: Option<ModuleReader>,
    modules: Mutex<HashMap<String, ModuleCell>>,
    canonical: Mutex<HashMap<String, String>>,
}

impl std::fmt::Debug for ModuleIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModuleIndex").finish_non_exhaustive()
    }
}

/// How many re-exports are followed before a name is taken as it is (re-export cycles exist).
const MAX_REEXPORTS: usize = 8;

/// How deep canonicalisation nests when a module binds a name several ways (`try`/`except`
/// imports of one definition through different modules) and each way is followed in turn.
const MAX_NESTING: usize = 4;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The maps hold finished values only, so one left by a panicking thread is still sound.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl ModuleIndex {
    pub(crate) fn new(read: ModuleReader) -> ModuleIndex {
        ModuleIndex {
            read: Some(read),
            modules: Mutex::default(),
            canonical: Mutex::default(),
        }
    }

    /// An index that sees no other file: names resolve within their own file only.
    #[cfg(test)]
    pub(crate) fn detached() -> ModuleIndex {
        ModuleIndex {
            read: None,
            modules: Mutex::default(),
            canonical: Mutex::default(),
        }
    }

    /// Whether `resolved` (a name a file refers to) and `symbol` are the same definition.
    pub(crate) fn same_symbol(&self, resolved: &str, symbol: &str) -> bool {
        resolved == symbol || self.canonical(resolved) == self.canonical(symbol)
    }

    /// Follows re-exports until `name` is where it is defined (or cannot be followed further).
    pub(crate) fn canonical(&self, name: &str) -> String {
        if let Some(c) = lock(&self.canonical).get(name) {
            return c.clone();
        }
        let current = self.canonical_at(name, 0);
        lock(&self.canonical).insert(name.to_string(), current.clone());
        current
    }

    fn canonical_at(&self, name: &str, depth: usize) -> String {
        let mut current = name.to_string();
        for _ in 0..MAX_REEXPORTS {
            match self.step(&current, depth) {
                Some(next) if next != current => current = next,
                _ => break,
            }
        }
        current
    }

    /// One re-export step: the longest module prefix of `name` that exists decides.
    fn step(&self, name: &str, depth: usize) -> Option<String> {
        let (_, symbols, rest) = self.split(name)?;
        let bindings = symbols.exports()?.get(rest[0])?;
        let nested = |n: &str| self.canonical_at(n, depth + 1);
        let canonical = (depth < MAX_NESTING).then_some(&nested as &dyn Fn(&str) -> String);
        let Resolution::Qualified(target) = settle(bindings, canonical) else {
            return None;
        };
        Some(if rest.len() == 1 {
            target
        } else {
            format!("{target}.{}", rest[1..].join("."))
        })
    }

    /// The longest module prefix of `name` that is a module in the root, its symbols, and the
    /// rest of the name's parts (never empty).
    pub(super) fn split<'n>(
        &self,
        name: &'n str,
    ) -> Option<(String, Arc<FileSymbols>, Vec<&'n str>)> {
        let parts: Vec<&str> = name.split('.').collect();
        (1..parts.len()).rev().find_map(|split| {
            let module = parts[..split].join(".");
            let symbols = self.module(&module)?;
            Some((module, symbols, parts[split..].to_vec()))
        })
    }

    /// The top-level symbols of `module`, parsed the first time any thread asks.
    pub(super) fn module(&self, module: &str) -> Option<Arc<FileSymbols>> {
        let read = self.read.as_ref()?;
        let cell = lock(&self.modules)
            .entry(module.to_string())
            .or_default()
            .clone();
        // The map's lock is released before parsing, so threads asking for other modules go on;
        // threads asking for this one wait on its cell instead of parsing it again.
        cell.get_or_init(|| {
            let base = module.replace('.', "/");
            let (rel, text) = [format!("{base}/__init__.py"), format!("{base}.py")]
                .into_iter()
                .filter_map(|p| RelPath::parse(&p).ok())
                .find_map(|rel| read(&rel).map(|text| (rel, text)))?;
            let (tree, offset) = python::parse(&text)?;
            let mut symbols = FileSymbols::build(tree.root_node(), &text[offset..], &rel);
            symbols.retain_module_scope();
            Some(Arc::new(symbols))
        })
        .clone()
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
