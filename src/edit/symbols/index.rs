//! The modules under the root, read and parsed on demand (each at most once, whichever thread asks
//! first), for following re-exports and class hierarchies from one module into another.
//!
//! Following a re-export asks what one module binds one name to. That is answered from the
//! statements that spell the name (every binding of a name spells it; `importlib`'s names are
//! added for a module bound by a call), parsed alone, and the whole module is parsed only when
//! those do not parse cleanly, the lexer cannot follow the file, or another question (a class's
//! bases) needs all of it: the module of a file that merely defines a name of its own is asked
//! about that one name.
//!
//! One index serves a whole run: every check and edit of every phase holds a handle to the same
//! modules, so a module that a dozen symbol-aware checks and edits look into is still parsed once.
//! A phase that rewrites files says which ones ([`ModuleIndex::forget_files`]) and only those
//! modules are read again; a phase that may have changed anything ([`ModuleIndex::forget_all`])
//! empties the index. A resumed run is a new process and so starts with an empty index.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use super::file::{settle, Binding, FileSymbols, Resolution};
use crate::edit::statements::{word_hits, Narrowing, Statements};
use crate::edit::{python, tree_cache};
use crate::tree::paths::RelPath;

/// Reads a module's source by its path relative to the root (`None` when absent or unreadable).
pub(crate) type ModuleReader = Box<dyn Fn(&RelPath) -> Option<String> + Send + Sync>;

/// A module once it has been looked for: `None` when it is not in the root.
type ModuleCell = Arc<OnceLock<Option<Arc<Module>>>>;

/// Names that bind a module through `importlib` (see `walk::ImportCall`): a parse of only the
/// statements that spell some names takes theirs too, since such a call may bind one of them.
pub(crate) const IMPORT_CALL_WORDS: [&str; 3] = ["importlib", "import_module", "__import__"];

/// A module of the root: its text, and what it binds, worked out as it is asked.
struct Module {
    rel: RelPath,
    text: String,
    /// All its top-level symbols, once something needed them all.
    whole: OnceLock<Option<Arc<FileSymbols>>>,
    /// The module-level bindings of single names, each from the statements spelling it.
    names: Mutex<HashMap<String, NameCell>>,
}

/// A name's module-level bindings once they have been worked out: `None` when it has none.
type NameCell = Arc<OnceLock<Option<Vec<Binding>>>>;

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
    /// How many modules were read, for telling a shared index from one rebuilt per phase.
    loaded: AtomicU64,
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
                loaded: AtomicU64::new(0),
            }),
        }
    }

    /// How many modules this index has read so far.
    #[cfg(test)]
    pub(crate) fn loaded(&self) -> u64 {
        self.shared.loaded.load(Ordering::Relaxed)
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
        let (module, rest) = self.split(name)?;
        let bindings = self.bindings_of(&module, rest[0])?;
        let bindings = &bindings;
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

    /// The longest module prefix of `name` that is a module in the root, and the rest of the
    /// name's parts (never empty).
    fn split<'n>(&self, name: &'n str) -> Option<(Arc<Module>, Vec<&'n str>)> {
        let parts: Vec<&str> = name.split('.').collect();
        (1..parts.len()).rev().find_map(|split| {
            let module = self.found(&parts[..split].join("."))?;
            Some((module, parts[split..].to_vec()))
        })
    }

    /// Module `module` of the root, read the first time any thread asks.
    fn found(&self, module: &str) -> Option<Arc<Module>> {
        let read = self.shared.read.as_ref()?;
        let cell = lock(&self.shared.modules)
            .entry(module.to_string())
            .or_default()
            .clone();
        // The map's lock is released before reading, so threads asking for other modules go on;
        // threads asking for this one wait on its cell instead of reading it again.
        cell.get_or_init(|| {
            let base = module.replace('.', "/");
            let (rel, text) = [format!("{base}/__init__.py"), format!("{base}.py")]
                .into_iter()
                .filter_map(|p| RelPath::parse(&p).ok())
                .find_map(|rel| read(&rel).map(|text| (rel, text)))?;
            self.shared.loaded.fetch_add(1, Ordering::Relaxed);
            Some(Arc::new(Module {
                rel,
                text,
                whole: OnceLock::new(),
                names: Mutex::default(),
            }))
        })
        .clone()
    }

    /// The top-level symbols of `module`, parsed the first time any thread asks.
    pub(super) fn module(&self, module: &str) -> Option<Arc<FileSymbols>> {
        self.whole(&*self.found(module)?)
    }

    fn whole(&self, module: &Module) -> Option<Arc<FileSymbols>> {
        module
            .whole
            .get_or_init(|| {
                let (tree, offset) = python::parse(&module.text)?;
                let text = &module.text[offset..];
                let mut symbols = FileSymbols::build(tree.root_node(), text, &module.rel);
                symbols.retain_module_scope();
                Some(Arc::new(symbols))
            })
            .clone()
    }

    /// What `module` binds `name` to at module level (`None` when it does not bind it): from
    /// the whole module's symbols when they are at hand, else from the statements that spell the
    /// name, parsed alone, the first time any thread asks.
    fn bindings_of(&self, module: &Module, name: &str) -> Option<Vec<Binding>> {
        if let Some(whole) = module.whole.get() {
            return whole.as_ref()?.exports()?.get(name).cloned();
        }
        let cell = lock(&module.names)
            .entry(name.to_string())
            .or_default()
            .clone();
        cell.get_or_init(|| match self.bindings_in_parts(module, name) {
            Some(found) => found,
            None => self.whole(module)?.exports()?.get(name).cloned(),
        })
        .clone()
    }

    /// [`ModuleIndex::bindings_of`] from the statements of `module` that spell `name` (or an
    /// `importlib` name); `None` when they cannot vouch for the answer: the lexer cannot follow
    /// the file, the statements are the whole file, or they do not parse cleanly on their own.
    /// Of a class, only the members that spell one are among them: a member binds a name of the
    /// module only by declaring it `global`, which spells it.
    fn bindings_in_parts(&self, module: &Module, name: &str) -> Option<Option<Vec<Binding>>> {
        let text = &module.text;
        let mut words = vec![name.to_string()];
        words.extend(IMPORT_CALL_WORDS.iter().map(|w| w.to_string()));
        let hits = word_hits(text, &words);
        let parts = Statements::of(text)?.parts_holding(text, &hits, Narrowing::Definitions);
        if parts.is_empty() {
            return Some(None);
        }
        if parts.iter().map(|p| p.len()).sum::<usize>() == text.len() {
            return None;
        }
        // The file a query is looking at (a module defining a function of the symbol's name)
        // was parsed lately in parts holding these, or whole: its symbols bind `name` the same.
        if let Some(symbols) = tree_cache::covering_symbols(text, &parts, &module.rel) {
            return Some(symbols.exports().and_then(|e| e.get(name).cloned()));
        }
        let (tree, offset) = python::parse_parts(text, &parts)?;
        if tree.root_node().has_error() {
            return None;
        }
        let symbols = FileSymbols::build(tree.root_node(), &text[offset..], &module.rel);
        Some(symbols.exports().and_then(|e| e.get(name).cloned()))
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

    fn module(rel: &str, text: &str) -> Module {
        Module {
            rel: RelPath::parse(rel).unwrap(),
            text: text.to_string(),
            whole: OnceLock::new(),
            names: Mutex::default(),
        }
    }

    /// Every name a module binds, and a few it only uses, as the statements spelling it say and as
    /// the whole module says; how many were answered from the statements alone.
    fn compare_names(index: &ModuleIndex, module: &Module, extra: &[&str]) -> (usize, usize) {
        let whole = index.whole(module).unwrap();
        let exports = whole.exports().cloned().unwrap_or_default();
        let mut names: Vec<&str> = exports.keys().map(String::as_str).collect();
        names.extend(extra);
        let (mut compared, mut in_parts) = (0, 0);
        for name in names {
            let expected = exports.get(name).cloned();
            if let Some(found) = index.bindings_in_parts(module, name) {
                assert_eq!(found, expected, "{name} in {}", module.rel.as_str());
                in_parts += 1;
            }
            compared += 1;
        }
        (compared, in_parts)
    }

    #[test]
    fn a_names_bindings_from_the_statements_spelling_it_are_the_whole_modules() {
        let index = ModuleIndex::detached();
        let (mut compared, mut in_parts) = (0, 0);
        for (path, text) in crate::edit::test_corpus::python_files(2_000_000) {
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            let module = module(&format!("lib/{stem}.py"), &text);
            let (c, p) = compare_names(&index, &module, &["os", "sys", "self", "unbound_name"]);
            compared += c;
            in_parts += p;
        }
        assert!(compared > 2_000, "{compared} names compared");
        assert!(
            in_parts * 2 > compared,
            "{in_parts} of {compared} from the statements alone"
        );
    }

    #[test]
    fn a_names_bindings_from_its_statements_see_fallbacks_imports_by_call_and_globals() {
        let filler = "def unrelated(x):\n    return x + 1\n\n".repeat(60);
        let text = format!(
            "import importlib\n{filler}\
             try:\n    from pkg.wm import get\nexcept ImportError:\n    get = None\n{filler}\
             mod = importlib.import_module(\"pkg.other\")\n{filler}\
             def setup():\n    global configured\n    configured = True\n{filler}\
             if True:\n    def conditional():\n        pass\n{filler}\
             class Holder:\n    inner = 1\n{filler}\
             \x20   def setup_late(self):\n        global late\n        late = 1\n{filler}"
        );
        let index = ModuleIndex::detached();
        let module = module("pkg/mod.py", &text);
        let (compared, in_parts) = compare_names(&index, &module, &["inner", "late"]);
        assert_eq!(
            compared, in_parts,
            "every name answered from its statements"
        );
        let at = |name: &str| index.bindings_in_parts(&module, name).unwrap();
        assert_eq!(
            at("mod"),
            Some(vec![Binding::Qualified("pkg.other".into())]),
            "bound by importlib"
        );
        assert_eq!(
            at("get"),
            Some(vec![
                Binding::Qualified("pkg.wm.get".into()),
                Binding::Fallback
            ])
        );
        assert_eq!(
            at("conditional"),
            Some(vec![Binding::Qualified("pkg.mod.conditional".into())])
        );
        assert_eq!(at("inner"), None, "a class attribute is no module binding");
    }

    /// A query that parsed the parts of a module holding more words than one name (its file is a
    /// module defining a function of the symbol's name) leaves symbols that answer for the name.
    #[test]
    fn a_names_bindings_come_from_a_kept_parse_covering_its_statements() {
        let index = ModuleIndex::detached();
        let (mut compared, mut covered) = (0, 0);
        for (path, text) in crate::edit::test_corpus::python_files(400_000) {
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            let module = module(&format!("covered/{stem}.py"), &text);
            let Some(statements) = Statements::of(&text) else {
                continue;
            };
            let whole = index.whole(&module).unwrap();
            let exports = whole.exports().cloned().unwrap_or_default();
            let mut names: Vec<&String> = exports.keys().collect();
            names.sort();
            for name in names.into_iter().take(8) {
                let mut words = vec![name.clone(), "self".to_string(), "return".to_string()];
                words.extend(IMPORT_CALL_WORDS.iter().map(|w| w.to_string()));
                let parts = statements.parts_holding(
                    &text,
                    &word_hits(&text, &words),
                    Narrowing::Definitions,
                );
                let Some((tree, offset)) = python::parse_parts(&text, &parts) else {
                    continue;
                };
                tree_cache::symbols_of(&text, &parts, &tree, offset, &module.rel);
                let mut own = vec![name.clone()];
                own.extend(IMPORT_CALL_WORDS.iter().map(|w| w.to_string()));
                let own = statements.parts_holding(
                    &text,
                    &word_hits(&text, &own),
                    Narrowing::Definitions,
                );
                if !tree.root_node().has_error()
                    && tree_cache::covering_symbols(&text, &own, &module.rel).is_some()
                {
                    covered += 1;
                }
                if let Some(found) = index.bindings_in_parts(&module, name) {
                    assert_eq!(found, exports.get(name).cloned(), "{name} in {stem}");
                }
                compared += 1;
            }
        }
        assert!(compared > 100, "{compared} names compared");
        assert!(covered * 2 > compared, "{covered} of {compared} covered");
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
        assert_eq!(index.loaded(), 2, "both handles share the two modules");
        rewritten.store(true, Ordering::Relaxed);
        // A file that is no module, and a module nobody asked for, change nothing.
        let readme = RelPath::parse("app/core/README.md").unwrap();
        let wm = RelPath::parse("app/core/wm.py").unwrap();
        other.forget_files([&readme, &wm]);
        assert!(index.same_symbol("app.core.get", "app.core.wm.get"));
        assert_eq!(
            index.loaded(),
            3,
            "only the forgotten module is parsed again"
        );
        let init = RelPath::parse("app/core/__init__.py").unwrap();
        other.forget_files([&init]);
        assert!(!index.same_symbol("app.core.get", "app.core.wm.get"));
        assert_eq!(index.loaded(), 4);
        index.forget_all();
        assert!(!other.same_symbol("app.core.get", "app.core.wm.get"));
        assert_eq!(index.loaded(), 6);
    }
}
