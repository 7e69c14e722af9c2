//! The syntax trees of the texts parsed lately, by content, and the symbols of each file built on
//! them: a text that several checks and edits look at, in one phase or in several, is parsed once.
//!
//! A validate phase's symbol-aware checks, the backup phase's computation of the patch, the patch
//! itself, the names check after an edit (which parses the original and the edited text) and a
//! postflight check after the patch (which parses what the patch wrote) all see the same texts. The
//! cache is keyed by a hash of the text alone (and of the parts parsed, for a tree of some parts of
//! it: see `python::parse_parts`), so it is never stale: a file that changed is a new text. It holds at most [`BUDGET`] bytes of source, the oldest texts leaving first, and texts
//! shorter than [`SMALLEST`] (pattern snippets, import lines) are parsed each time.

use std::ops::Range;
use std::sync::{Arc, LazyLock, Mutex};

use tree_sitter::{InputEdit, Tree};

use super::kept::Kept;
use super::symbols::FileSymbols;
use crate::tree::paths::RelPath;

/// Bytes of source whose trees are kept. A tree takes about ten to twenty times its text.
const BUDGET: usize = 32 << 20;

/// Texts shorter than this are not kept: parsing them costs less than keeping them.
const SMALLEST: usize = 1024;

/// One text's tree, and the symbols of the files found holding it.
struct Entry {
    tree: Tree,
    offset: usize,
    /// The parts of the text the tree is of; empty for the whole text.
    parts: Vec<Range<usize>>,
    /// Symbols per path: the same text at two paths is two modules.
    symbols: Mutex<Vec<(String, Arc<FileSymbols>)>>,
}

impl Entry {
    /// The symbols of the file at `rel` built on this tree, if they were.
    fn symbols_at(&self, rel: &RelPath) -> Option<Arc<FileSymbols>> {
        symbols_in(&self.symbols.lock().unwrap_or_else(|p| p.into_inner()), rel)
    }
}

fn symbols_in(list: &[(String, Arc<FileSymbols>)], rel: &RelPath) -> Option<Arc<FileSymbols>> {
    list.iter()
        .find(|(path, _)| path == rel.as_str())
        .map(|(_, s)| s.clone())
}

static KEPT: LazyLock<Kept<Entry>> = LazyLock::new(|| Kept::new(BUDGET));

/// Of each text whose parts were parsed lately, the keys of those trees, the latest last.
static PARTS_OF: LazyLock<Kept<Mutex<Vec<blake3::Hash>>>> = LazyLock::new(|| Kept::new(BUDGET));

/// How many trees of parts of one text [`edited_parts_tree`] looks through.
const PARTS_PER_TEXT: usize = 4;

/// Of each text an edit made lately, the text it was made from and the edits that make a tree of
/// that text one of this text.
static EDITED_FROM: LazyLock<Kept<(blake3::Hash, Vec<InputEdit>)>> =
    LazyLock::new(|| Kept::new(BUDGET));

fn lookup(key: &blake3::Hash) -> Option<Arc<Entry>> {
    KEPT.get(key)
}

/// The key of the tree of `parts` of the text whose hash is `text` (all of it when there are
/// none).
fn key_of(text: &blake3::Hash, parts: &[Range<usize>]) -> blake3::Hash {
    if parts.is_empty() {
        return *text;
    }
    let mut hasher = blake3::Hasher::new();
    hasher.update(text.as_bytes());
    hasher.update(b"\0parts");
    for part in parts {
        hasher.update(&(part.start as u64).to_le_bytes());
        hasher.update(&(part.end as u64).to_le_bytes());
    }
    hasher.finalize()
}

/// The tree of `source` (and the length of a byte-order mark the parser did not see): the kept
/// one when this text was seen lately, else the one `make` gives (a whole parse, or an
/// incremental one after an edit), kept.
pub(super) fn tree_of(
    source: &str,
    make: impl FnOnce() -> Option<(Tree, usize)>,
) -> Option<(Tree, usize)> {
    tree_of_parts(source, &[], make)
}

/// [`tree_of`] for the tree of some `parts` of `source` only (all of it when there are none).
pub(super) fn tree_of_parts(
    source: &str,
    parts: &[Range<usize>],
    make: impl FnOnce() -> Option<(Tree, usize)>,
) -> Option<(Tree, usize)> {
    if source.len() < SMALLEST {
        return make();
    }
    let text = blake3::hash(source.as_bytes());
    let key = key_of(&text, parts);
    if let Some(entry) = lookup(&key) {
        return Some((entry.tree.clone(), entry.offset));
    }
    let (tree, offset) = make()?;
    let len = if parts.is_empty() {
        source.len()
    } else {
        parts.iter().map(|p| p.len()).sum()
    };
    let entry = Entry {
        tree: tree.clone(),
        offset,
        parts: parts.to_vec(),
        symbols: Mutex::default(),
    };
    KEPT.keep(key, Arc::new(entry), len);
    if !parts.is_empty() {
        PARTS_OF.keep(text, Arc::default(), len);
        if let Some(keys) = PARTS_OF.get(&text) {
            let mut keys = keys.lock().unwrap_or_else(|p| p.into_inner());
            if keys.len() == PARTS_PER_TEXT {
                keys.remove(0);
            }
            keys.push(key);
        }
    }
    Some((tree, offset))
}

/// Notes that `edits` (in the order to apply them) made `new` from `old`, for
/// [`edited_parts_tree`].
pub(super) fn note_edited(old: &str, new: &str, edits: &[InputEdit]) {
    if new.len() < SMALLEST || old.len() < SMALLEST {
        return;
    }
    let from = (blake3::hash(old.as_bytes()), edits.to_vec());
    EDITED_FROM.keep(blake3::hash(new.as_bytes()), Arc::new(from), new.len());
}

/// For `source`, made lately by an edit of a text whose parts were parsed: that tree, edited to
/// match `source`, for an incremental parse of the `ranges` of `source`, when its own included
/// ranges, edited, are those. Only then: tree-sitter would also reuse a tree of other ranges,
/// but what it gives is not always what a fresh parse of the new ranges gives (a block that a
/// range boundary ended can stay ended).
pub(super) fn edited_parts_tree(source: &str, ranges: &[tree_sitter::Range]) -> Option<Tree> {
    if source.len() < SMALLEST {
        return None;
    }
    let from = EDITED_FROM.get(&blake3::hash(source.as_bytes()))?;
    let (old, edits) = &*from;
    let keys = PARTS_OF.get(old)?;
    let keys = keys.lock().unwrap_or_else(|p| p.into_inner()).clone();
    keys.iter().rev().find_map(|key| {
        let mut tree = lookup(key)?.tree.clone();
        for edit in edits {
            tree.edit(edit);
        }
        (tree.included_ranges() == ranges).then_some(tree)
    })
}

/// The symbols of the file at `rel` holding `source` built lately on a clean tree of at least
/// `parts` of it (sorted and disjoint, as `Statements::parts_holding` gives them): of the whole
/// text, or of parts that cover each of these.
pub(crate) fn covering_symbols(
    source: &str,
    parts: &[Range<usize>],
    rel: &RelPath,
) -> Option<Arc<FileSymbols>> {
    covering(source, parts, |entry| entry.symbols_at(rel))
}

/// A clean tree of `source` kept lately that holds at least `parts` of it (sorted and disjoint):
/// of the whole text, or of parts that cover each of these; with the length of a byte-order mark
/// the parser did not see. It may hold more of the text than `parts`.
pub(crate) fn covering_tree(source: &str, parts: &[Range<usize>]) -> Option<(Tree, usize)> {
    covering(source, parts, |entry| {
        Some((entry.tree.clone(), entry.offset))
    })
}

/// The first of the clean kept trees of `source` that cover `parts` for which `take` gives
/// something.
fn covering<R>(
    source: &str,
    parts: &[Range<usize>],
    mut take: impl FnMut(&Entry) -> Option<R>,
) -> Option<R> {
    if source.len() < SMALLEST {
        return None;
    }
    let text = blake3::hash(source.as_bytes());
    let mut keys = vec![text];
    if let Some(of_parts) = PARTS_OF.get(&text) {
        keys.extend(of_parts.lock().unwrap_or_else(|p| p.into_inner()).iter());
    }
    keys.iter().find_map(|key| {
        let entry = lookup(key)?;
        if !covers(&entry.parts, parts) || entry.tree.root_node().has_error() {
            return None;
        }
        take(&entry)
    })
}

/// Whether the ranges `outer` (sorted and disjoint; none: everything) hold every range of `inner`.
fn covers(outer: &[Range<usize>], inner: &[Range<usize>]) -> bool {
    if outer.is_empty() {
        return true;
    }
    let mut at = 0;
    inner.iter().all(|part| {
        while outer.get(at).is_some_and(|o| o.end < part.end) {
            at += 1;
        }
        outer
            .get(at)
            .is_some_and(|o| o.start <= part.start && part.end <= o.end)
    })
}

/// The kept tree of `source`, if it is kept.
pub(super) fn kept(source: &str) -> Option<(Tree, usize)> {
    if source.len() < SMALLEST {
        return None;
    }
    lookup(&blake3::hash(source.as_bytes())).map(|e| (e.tree.clone(), e.offset))
}

/// The symbols of the file at `rel` holding `source`, whose tree is `tree` (of its `parts` only,
/// when there are some): the kept ones when this text at this path was looked at lately, else
/// built and kept with the text's tree.
pub(crate) fn symbols_of(
    source: &str,
    parts: &[Range<usize>],
    tree: &Tree,
    offset: usize,
    rel: &RelPath,
) -> Arc<FileSymbols> {
    let build = || Arc::new(FileSymbols::build(tree.root_node(), &source[offset..], rel));
    if source.len() < SMALLEST {
        return build();
    }
    let Some(entry) = lookup(&key_of(&blake3::hash(source.as_bytes()), parts)) else {
        return build();
    };
    if let Some(found) = entry.symbols_at(rel) {
        return found;
    }
    let built = build();
    let mut list = entry.symbols.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(found) = symbols_in(&list, rel) {
        return found;
    }
    list.push((rel.as_str().to_string(), built.clone()));
    built
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::edit::python;

    fn counting<'a>(
        count: &'a AtomicUsize,
        text: &'a str,
    ) -> impl FnOnce() -> Option<(Tree, usize)> + 'a {
        move || {
            count.fetch_add(1, Ordering::Relaxed);
            python::parse_uncached(text)
        }
    }

    #[test]
    fn a_text_is_parsed_once_and_a_changed_text_again() {
        let count = AtomicUsize::new(0);
        let text = format!("def kept_once():\n    return 1\n{}", "x = 1\n".repeat(300));
        let first = tree_of(&text, counting(&count, &text)).unwrap();
        let again = tree_of(&text, counting(&count, &text)).unwrap();
        assert_eq!(count.load(Ordering::Relaxed), 1);
        assert_eq!(first.0.root_node().to_sexp(), again.0.root_node().to_sexp());
        let changed = text.replace("return 1", "return 2");
        tree_of(&changed, counting(&count, &changed)).unwrap();
        assert_eq!(count.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn short_texts_are_parsed_each_time() {
        let count = AtomicUsize::new(0);
        tree_of("x = 1\n", counting(&count, "x = 1\n")).unwrap();
        tree_of("x = 1\n", counting(&count, "x = 1\n")).unwrap();
        assert_eq!(count.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn the_same_text_at_two_paths_has_the_symbols_of_each_module() {
        let text = format!("from . import sibling\n{}", "y = 2\n".repeat(300));
        let (tree, offset) = python::parse(&text).unwrap();
        let a = RelPath::parse("pkg_a/mod.py").unwrap();
        let b = RelPath::parse("pkg_b/mod.py").unwrap();
        let of_a = symbols_of(&text, &[], &tree, offset, &a);
        let of_b = symbols_of(&text, &[], &tree, offset, &b);
        assert!(Arc::ptr_eq(
            &of_a,
            &symbols_of(&text, &[], &tree, offset, &a)
        ));
        assert!(!Arc::ptr_eq(&of_a, &of_b));
    }

    #[test]
    fn kept_symbols_answer_for_parts_their_tree_covers() {
        let text = format!(
            "import os\n{}def one():\n    return os.sep\n{}def two():\n    pass\n",
            "a = 1\n".repeat(200),
            "b = 2\n".repeat(200)
        );
        let rel = RelPath::parse("pkg/covered.py").unwrap();
        let line = |needle: &str| {
            let start = text.find(needle).unwrap();
            start..start + text[start..].find("\n").unwrap() + 1
        };
        let (import, one, two) = (line("import os"), line("def one"), line("def two"));
        let one = one.start..one.end + line("    return os.sep").len();
        let parsed = vec![import.clone(), one.clone()];
        assert!(
            covering_symbols(&text, &parsed, &rel).is_none(),
            "nothing kept yet"
        );
        let (tree, offset) = python::parse_parts(&text, &parsed).unwrap();
        let kept = symbols_of(&text, &parsed, &tree, offset, &rel);
        let found = covering_symbols(&text, std::slice::from_ref(&import), &rel).unwrap();
        assert!(Arc::ptr_eq(&kept, &found));
        assert!(covering_symbols(&text, &parsed, &rel).is_some());
        assert!(covering_symbols(&text, &[import.clone(), two], &rel).is_none());
        assert!(covering_symbols(&text, &single(import.start..one.end), &rel).is_none());
        let other = RelPath::parse("pkg/elsewhere.py").unwrap();
        assert!(covering_symbols(&text, std::slice::from_ref(&import), &other).is_none());
        // A tree with an error vouches for nothing.
        let broken = text.replace("return os.sep", "return os.sep)");
        let broken_parts = vec![import.clone(), one.start..one.end + 1];
        let (tree, offset) = python::parse_parts(&broken, &broken_parts).unwrap();
        assert!(tree.root_node().has_error());
        symbols_of(&broken, &broken_parts, &tree, offset, &rel);
        assert!(covering_symbols(&broken, std::slice::from_ref(&import), &rel).is_none());
    }

    fn single(range: Range<usize>) -> Vec<Range<usize>> {
        vec![range]
    }

    #[test]
    fn covering_ranges_hold_each_inner_range_whole() {
        assert!(covers(&[], &single(3..9)));
        assert!(covers(&[0..10, 20..30], &[0..4, 4..10, 22..30]));
        assert!(!covers(&[0..10, 20..30], &single(5..21)));
        assert!(!covers(&[0..10, 20..30], &single(10..12)));
        assert!(!covers(&single(0..10), &[0..4, 30..40]));
        assert!(covers(&single(0..10), &[]));
    }
}
