//! The modules under the root, read and parsed on demand (each at most once, whichever thread asks
//! first), for following re-exports and class hierarchies from one module into another.
//!
//! One index serves a whole run: every check and edit of every phase holds a handle to the same
//! modules, so a module that a dozen symbol-aware checks and edits look into is still parsed once.
//! A phase that rewrites files says which ones ([`ModuleIndex::forget_files`]) and only those
//! modules are read again; a phase that may have changed anything ([`ModuleIndex::forget_all`])
//! empties the index. A resumed run is a new process and so starts with an empty index.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use super::file::{settle, FileSymbols, Resolution};
use crate::edit::python;
use crate::tree::paths::RelPath;

/// Reads a module's source by its path relative to the root (`None` when absent or unreadable).
pub(crate) type ModuleReader = Box<dyn Fn(&RelPath) -> Option<String> + Send + Sync>;

/// A module's top-level symbols once it has been looked for: `None` when it is not in the root.
type ModuleCell = Arc<OnceLock<Option<Arc<FileSymbols>>>>;

/// Finds modules under the root and what they bind at top level, for following re-exports;
/// shared by the scan's threads and by every phase of a run, each module parsed at most once
/// until a phase changes it. Cloning gives another handle to the same modules.
#[derive(Clone)]
pub(crate) struct ModuleIndex {
    shared: Arc<Shared>,
}

/// What the handles of one index share.
struct Shared {
    read: Option<ModuleReader>,
    modules: Mutex<HashMap<String, ModuleCell>>,
    /// Each name's definition once re-exports are followed. An answer may depend on any module
    /// along the way, so forgetting any module forgets all of these.
    canonical: Mutex<HashMap<String, String>>,
    /// How many modules were parsed, for telling a shared index from one rebuilt per phase.
    parsed: AtomicU64,
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
        ModuleIndex::with_reader(Some(read))
    }

    /// An index that sees no other file: names resolve within their own file only.
    #[cfg(test)]
    pub(crate) fn detached() -> ModuleIndex {
        ModuleIndex::with_reader(None)
    }

    fn with_reader(read: Option<ModuleReader>) -> ModuleIndex {
        ModuleIndex {
            shared: Arc::new(Shared {
                read,
                modules: Mutex::default(),
                canonical: Mutex::default(),
                parsed: AtomicU64::new(0),
            }),
        }
    }

    /// How many modules this index has parsed so far.
    #[cfg(test)]
    pub(crate) fn parsed(&self) -> u64 {
        self.shared.parsed.load(Ordering::Relaxed)
    }

    /// Forgets the modules held in `files` (paths relative to the root), so that they are read
    /// again the next time they are needed: a phase rewrote them. Files that are not Python
    /// modules are ignored. What re-exports led to is forgotten too, since any module on the way
    /// may be one of them.
    pub(crate) fn forget_files<'p>(&self, files: impl IntoIterator<Item = &'p RelPath>) {
        let mut modules = lock(&self.shared.modules);
        for rel in files {
            if let Some(module) = module_of(rel) {
                modules.remove(&module);
            }
        }
        drop(modules);
        lock(&self.shared.canonical).clear();
    }

    /// Forgets every module: something may have changed any file (or created one where a module
    /// was missing).
    pub(crate) fn forget_all(&self) {
        lock(&self.shared.modules).clear();
        lock(&self.shared.canonical).clear();
    }

    /// Whether `resolved` (a name a file refers to) and `symbol` are the same definition.
    pub(crate) fn same_symbol(&self, resolved: &str, symbol: &str) -> bool {
        resolved == symbol || self.canonical(resolved) == self.canonical(symbol)
    }

    /// Follows re-exports until `name` is where it is defined (or cannot be followed further).
    pub(crate) fn canonical(&self, name: &str) -> String {
        if let Some(c) = lock(&self.shared.canonical).get(name) {
            return c.clone();
        }
        let current = self.canonical_at(name, 0);
        lock(&self.shared.canonical).insert(name.to_string(), current.clone());
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
        let read = self.shared.read.as_ref()?;
        let cell = lock(&self.shared.modules)
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
            self.shared.parsed.fetch_add(1, Ordering::Relaxed);
            let mut symbols = FileSymbols::build(tree.root_node(), &text[offset..], &rel);
            symbols.retain_module_scope();
            Some(Arc::new(symbols))
        })
        .clone()
    }
}

/// The module a file at `rel` is (`a/b.py` and `a/b/__init__.py` are both `a.b`), if it is one.
fn module_of(rel: &RelPath) -> Option<String> {
    let stem = rel.as_str().strip_suffix(".py")?;
    let stem = stem.strip_suffix("/__init__").unwrap_or(stem);
    Some(stem.replace('/', "."))
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

    #[test]
    fn parses_each_module_once_for_every_handle_until_it_is_forgotten() {
        use std::sync::atomic::AtomicBool;
        // The package re-exports `get` until the flag says it has been rewritten.
        let rewritten = Arc::new(AtomicBool::new(false));
        let flag = rewritten.clone();
        let index = ModuleIndex::new(Box::new(move |rel: &RelPath| match rel.as_str() {
            "app/core/__init__.py" if flag.load(Ordering::Relaxed) => Some("\n".into()),
            "app/core/__init__.py" => Some("from .wm import get as get\n".into()),
            "app/core/wm.py" => Some("def get():\n    pass\n".into()),
            _ => None,
        }));
        let other = index.clone();
        assert!(index.same_symbol("app.core.get", "app.core.wm.get"));
        assert!(other.same_symbol("app.core.get", "app.core.wm.get"));
        assert_eq!(index.parsed(), 2, "both handles share the two modules");
        rewritten.store(true, Ordering::Relaxed);
        // A file that is no module, and a module nobody asked for, change nothing.
        let readme = RelPath::parse("app/core/README.md").unwrap();
        let wm = RelPath::parse("app/core/wm.py").unwrap();
        other.forget_files([&readme, &wm]);
        assert!(index.same_symbol("app.core.get", "app.core.wm.get"));
        assert_eq!(
            index.parsed(),
            3,
            "only the forgotten module is parsed again"
        );
        let init = RelPath::parse("app/core/__init__.py").unwrap();
        other.forget_files([&init]);
        assert!(!index.same_symbol("app.core.get", "app.core.wm.get"));
        assert_eq!(index.parsed(), 4);
        index.forget_all();
        assert!(!other.same_symbol("app.core.get", "app.core.wm.get"));
        assert_eq!(index.parsed(), 6);
    }
}
