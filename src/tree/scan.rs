//! Parallel walk of the root: the files a selection names, visited on the walker's own threads.
//!
//! Respects `.gitignore` (also outside a git repository: a `.gitignore` is a statement about what is
//! not source), never enters `.git` or `.remedy`, and never follows symbolic links, so a link can
//! neither lead the scanner out of the root nor get a regular file written in its place.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ignore::{WalkBuilder, WalkState};

use crate::state::STATE_DIR;
use crate::tree::absent::{Seen, Stamp};
use crate::tree::listing::{ListingMemo, Met, Recorder};
use crate::tree::paths::RelPath;
use crate::tree::through_dir::{self, Walk};

/// The result of one walk.
#[derive(Debug)]
pub(crate) struct ScanOutput<T> {
    /// Regular files the selection matched.
    pub(crate) scanned: u64,
    /// What the visitor returned, sorted by path.
    pub(crate) items: Vec<(RelPath, T)>,
    /// Entries that could not be read during the walk.
    pub(crate) errors: Vec<String>,
    /// Symbolic links the selection matched, never followed: `true` when the link leads out of
    /// the root (or nowhere), `false` when its target is inside and visited at its own path.
    pub(crate) links: Vec<(RelPath, bool)>,
    /// Regular files whose path is not valid UTF-8 and whose name, with the invalid bytes shown
    /// as U+FFFD, the selection accepts: the displayed path and the real one. They are not
    /// visited, since a checkpoint cannot name them; each caller says what becomes of them, so
    /// that none is ever silently left out.
    pub(crate) unnamed: Vec<(RelPath, PathBuf)>,
}

/// Visits every regular file under `root` whose relative path `select` accepts. With a `memo`,
/// the listing it kept from an earlier walk is taken when it still holds, and this walk's listing
/// is kept when it can be.
pub(crate) fn scan<T, S, V>(
    root: &Path,
    memo: Option<&ListingMemo>,
    select: S,
    visit: V,
) -> ScanOutput<T>
where
    T: Send,
    S: Fn(&str) -> bool + Sync,
    V: Fn(&RelPath, &Path) -> Option<T> + Sync,
{
    if let Some(listing) = memo.and_then(ListingMemo::current) {
        return scan_listing(root, &listing.met, select, visit);
    }
    let recorder = memo.map(|_| Arc::new(Recorder::new(root)));
    let items = Mutex::new(Vec::new());
    let errors = Mutex::new(Vec::new());
    let links = Mutex::new(Vec::new());
    let unnamed = Mutex::new(Vec::new());
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let scanned = AtomicU64::new(0);
    let walk = Walk::start();
    let noting = recorder.clone();
    let walker = WalkBuilder::new(root)
        .hidden(false)
        .follow_links(false)
        .require_git(false)
        .git_global(false)
        .filter_entry(move |entry| {
            let name = entry.file_name();
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            let enters = !(is_dir && (name == ".git" || name == STATE_DIR));
            if let Some(recorder) = &noting {
                if name == ".git" {
                    recorder.note_git(entry.path(), is_dir);
                } else if is_dir && enters {
                    recorder.note_dir(entry.path());
                }
            }
            enters
        })
        .build_parallel();
    walker.run(|| {
        Box::new(|entry| {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    if let Some(recorder) = &recorder {
                        recorder.give_up();
                    }
                    errors
                        .lock()
                        .expect("no panics while holding the lock")
                        .push(e.to_string());
                    return WalkState::Continue;
                }
            };
            let Some(kind) = entry.file_type() else {
                return WalkState::Continue;
            };
            let met = if kind.is_symlink() {
                match RelPath::from_walk(root, entry.path()) {
                    Some(rel) => Met::Link(rel),
                    None => return WalkState::Continue,
                }
            } else if kind.is_file() {
                match RelPath::from_walk(root, entry.path()) {
                    Some(rel) => Met::File(rel),
                    None => Met::Unnamed(entry.path().to_path_buf()),
                }
            } else {
                return WalkState::Continue;
            };
            if let Some(recorder) = &recorder {
                recorder.note(met.clone());
            }
            walk.visit(|| take_met(root, &canonical_root, met, entry.path(), &select, &visit))
                .add_to(&scanned, &items, &links, &unnamed);
            WalkState::Continue
        })
    });
    if let (Some(memo), Some(recorder)) = (memo, recorder) {
        if let Some(listing) = Arc::into_inner(recorder).and_then(Recorder::finish) {
            memo.keep(listing);
        }
    }
    finish(
        scanned.into_inner(),
        items.into_inner().unwrap_or_default(),
        errors.into_inner().unwrap_or_default(),
        links.into_inner().unwrap_or_default(),
        unnamed.into_inner().unwrap_or_default(),
    )
}
/// What one entry of a walk gives.
enum Found<T> {
    /// A file the selection accepts, and what the visitor returned for it, if anything.
    Visited(RelPath, Option<T>),
    /// A link the selection accepts: whether it leads out of the root.
    Link(RelPath, bool),
    /// A file whose path is not UTF-8 that the selection accepts, by its displayed path.
    Unnamed(RelPath, PathBuf),
    /// Something the selection does not accept.
    Nothing,
}

impl<T> Found<T> {
    fn add_to(
        self,
        scanned: &AtomicU64,
        items: &Mutex<Vec<(RelPath, T)>>,
        links: &Mutex<Vec<(RelPath, bool)>>,
        unnamed: &Mutex<Vec<(RelPath, PathBuf)>>,
    ) {
        let lock = "no panics while holding the lock";
        match self {
            Found::Visited(rel, item) => {
                scanned.fetch_add(1, Ordering::Relaxed);
                if let Some(item) = item {
                    items.lock().expect(lock).push((rel, item));
                }
            }
            Found::Link(rel, outside) => links.lock().expect(lock).push((rel, outside)),
            Found::Unnamed(shown, path) => unnamed.lock().expect(lock).push((shown, path)),
            Found::Nothing => {}
        }
    }
}

/// What `met`, on disk at `path`, gives under `select` and `visit`.
fn take_met<T, S, V>(
    root: &Path,
    canonical_root: &Path,
    met: Met,
    path: &Path,
    select: &S,
    visit: &V,
) -> Found<T>
where
    S: Fn(&str) -> bool,
    V: Fn(&RelPath, &Path) -> Option<T>,
{
    match met {
        Met::File(rel) if select(rel.as_str()) => {
            let item = visit(&rel, path);
            Found::Visited(rel, item)
        }
        Met::Link(rel) if select(rel.as_str()) => {
            let outside =
                !std::fs::canonicalize(path).is_ok_and(|target| target.starts_with(canonical_root));
            Found::Link(rel, outside)
        }
        Met::Unnamed(path) => match displayed_path(root, &path) {
            Some(shown) if select(shown.as_str()) => Found::Unnamed(shown, path),
            _ => Found::Nothing,
        },
        _ => Found::Nothing,
    }
}

/// [`scan`] over the files of a kept listing, on as many threads as the walker would use.
fn scan_listing<T, S, V>(root: &Path, met: &[Met], select: S, visit: V) -> ScanOutput<T>
where
    T: Send,
    S: Fn(&str) -> bool + Sync,
    V: Fn(&RelPath, &Path) -> Option<T> + Sync,
{
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let (items, links, unnamed) = (Mutex::default(), Mutex::default(), Mutex::default());
    let scanned = AtomicU64::new(0);
    let next = AtomicUsize::new(0);
    let walk = Walk::start();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(12));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(one) = met.get(i) else {
                    break;
                };
                let path = match one {
                    Met::File(rel) | Met::Link(rel) if !select(rel.as_str()) => continue,
                    Met::File(rel) | Met::Link(rel) => rel.to_path(root),
                    Met::Unnamed(path) => path.clone(),
                };
                walk.visit(|| take_met(root, &canonical_root, one.clone(), &path, &select, &visit))
                    .add_to(&scanned, &items, &links, &unnamed);
            });
        }
    });
    finish(
        scanned.into_inner(),
        items.into_inner().unwrap_or_default(),
        Vec::new(),
        links.into_inner().unwrap_or_default(),
        unnamed.into_inner().unwrap_or_default(),
    )
}

/// The output of a walk, in the order of paths.
fn finish<T>(
    scanned: u64,
    mut items: Vec<(RelPath, T)>,
    errors: Vec<String>,
    mut links: Vec<(RelPath, bool)>,
    mut unnamed: Vec<(RelPath, PathBuf)>,
) -> ScanOutput<T> {
    items.sort_by(|a, b| a.0.cmp(&b.0));
    links.sort();
    unnamed.sort();
    ScanOutput {
        scanned,
        items,
        errors,
        links,
        unnamed,
    }
}

/// [`scan`], for callers that only read: files whose path is not UTF-8 are visited too (after the
/// others, under their displayed path), so that a count over the tree is never short of them. A
/// caller that writes must use [`scan`] and report [`ScanOutput::unnamed`] instead.
pub(crate) fn scan_to_read<T, S, V>(
    root: &Path,
    memo: Option<&ListingMemo>,
    select: S,
    visit: V,
) -> ScanOutput<T>
where
    T: Send,
    S: Fn(&str) -> bool + Sync,
    V: Fn(&RelPath, &Path) -> Option<T> + Sync,
{
    let mut out = scan(root, memo, select, &visit);
    for (shown, path) in &out.unnamed {
        out.scanned += 1;
        if let Some(item) = visit(shown, path) {
            out.items.push((shown.clone(), item));
        }
    }
    out
}

/// The path of a file under `root` as a person reads it, with bytes that are not UTF-8 shown as
/// U+FFFD. Only for messages and selection: it may name no file on disk.
fn displayed_path(root: &Path, path: &Path) -> Option<RelPath> {
    let rel = path.strip_prefix(root).ok()?;
    RelPath::parse(&rel.to_string_lossy()).ok()
}

/// Reads a whole file into a new buffer.
pub(crate) fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut file = through_dir::open_noatime(path)?;
    let size = file.metadata().map_or(0, |m| m.len());
    let mut bytes = Vec::new();
    let len = read_into(&mut file, size, &mut bytes)?;
    bytes.truncate(len);
    Ok(bytes)
}

/// How much of a file is read at a time when deciding whether to read it whole: small enough that
/// the buffer stays in the processor's cache, which makes reading about twice as fast as into a
/// buffer the size of a large file.
const CHUNK: usize = 64 << 10;

thread_local! {
    static CHUNK_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Reads the file at `path` a chunk at a time and shows each chunk to `admits`, preceded by the last
/// `overlap` bytes of the window before it (so that nothing up to `overlap` bytes long is cut in
/// two). As soon as `admits` says yes, the whole file is read and returned; `None` when it never
/// does, having seen every byte. An empty file is shown as one empty window.
#[cfg(test)]
pub(crate) fn read_if(
    path: &Path,
    overlap: usize,
    admits: impl FnMut(&[u8]) -> bool,
) -> std::io::Result<Option<Vec<u8>>> {
    read_if_seen(path, overlap, admits, false).map(|(bytes, _)| bytes)
}

/// [`read_if`], with the file's status as it was before the first byte was read when `see` asks
/// for it (it costs a system call per file).
pub(crate) fn read_if_seen(
    path: &Path,
    overlap: usize,
    mut admits: impl FnMut(&[u8]) -> bool,
    see: bool,
) -> std::io::Result<(Option<Vec<u8>>, Option<Seen>)> {
    use std::io::{Read, Seek};
    let mut file = through_dir::open_noatime(path)?;
    let seen = if see {
        let taken = std::time::SystemTime::now();
        let meta = file.metadata()?;
        Some(Seen {
            stamp: Stamp::of(&meta),
            taken,
        })
    } else {
        None
    };
    let admitted = CHUNK_BUFFER.with(|cell| -> std::io::Result<bool> {
        let mut own = Vec::new();
        let mut shared = cell.try_borrow_mut();
        // A caller that reads another file from inside `admits` gets a buffer of its own.
        let buffer: &mut Vec<u8> = match shared {
            Ok(ref mut b) => b,
            Err(_) => &mut own,
        };
        if buffer.len() < overlap + CHUNK {
            buffer.resize(overlap + CHUNK, 0);
        }
        let (mut kept, mut shown) = (0, false);
        loop {
            let n = match file.read(&mut buffer[kept..kept + CHUNK]) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                return Ok(!shown && admits(&[]));
            }
            let end = kept + n;
            if admits(&buffer[..end]) {
                return Ok(true);
            }
            shown = true;
            let tail = overlap.min(end);
            buffer.copy_within(end - tail..end, 0);
            kept = tail;
        }
    })?;
    if !admitted {
        return Ok((None, seen));
    }
    file.seek(std::io::SeekFrom::Start(0))?;
    let size = match &seen {
        Some(seen) => seen.stamp.len(),
        None => file.metadata().map_or(0, |m| m.len()),
    };
    let mut bytes = Vec::new();
    let len = read_into(&mut file, size, &mut bytes)?;
    bytes.truncate(len);
    Ok((Some(bytes), seen))
}

/// Reads everything `file` holds into the front of `buffer` and returns its length (the buffer's
/// own length is only the part of it initialised). `size`: what the file's status says it holds.
fn read_into(file: &mut std::fs::File, size: u64, buffer: &mut Vec<u8>) -> std::io::Result<usize> {
    use std::io::Read;
    // Room for the whole file and the read that finds its end.
    let wanted = usize::try_from(size).unwrap_or(0).saturating_add(1);
    if buffer.len() < wanted {
        buffer.resize(wanted, 0);
    }
    let mut len = 0;
    loop {
        if len == buffer.len() {
            let grown = (buffer.len() * 2).max(64 << 10);
            buffer.resize(grown, 0);
        }
        match file.read(&mut buffer[len..]) {
            Ok(0) => return Ok(len),
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// A file's content as text, or why it is not edited or counted.
pub(crate) fn text_of(bytes: &[u8]) -> Result<&str, &'static str> {
    if memchr::memchr(0, bytes).is_some() {
        return Err("binary (contains a NUL byte)");
    }
    std::str::from_utf8(bytes).map_err(|_| "not UTF-8 text")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn skips_state_git_ignored_and_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for p in [
            "a.py",
            "pkg/b.py",
            ".git/c.py",
            ".remedy/d.py",
            "build/e.py",
            "pkg/f.txt",
        ] {
            fs::create_dir_all(root.join(p).parent().unwrap()).unwrap();
            fs::write(root.join(p), "x").unwrap();
        }
        fs::write(root.join(".gitignore"), "build/\n").unwrap();
        std::os::unix::fs::symlink(root.join("a.py"), root.join("link.py")).unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("x.py"), "x").unwrap();
        std::os::unix::fs::symlink(outside.path().join("x.py"), root.join("out.py")).unwrap();
        let out = scan(root, None, |p| p.ends_with(".py"), |_, _| Some(()));
        let paths: Vec<&str> = out.items.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, vec!["a.py", "pkg/b.py"]);
        assert_eq!(out.scanned, 2);
        let links: Vec<(&str, bool)> = out.links.iter().map(|(p, o)| (p.as_str(), *o)).collect();
        assert_eq!(links, vec![("link.py", false), ("out.py", true)]);
    }

    #[test]
    fn read_if_finds_a_needle_cut_by_a_chunk_edge_and_returns_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let needle = b"get_websocket_manager(";
        let overlap = needle.len();
        let finder = memchr::memmem::Finder::new(needle);
        // The needle starts at every offset around the first and second chunk edges.
        for edge in [CHUNK, 2 * CHUNK] {
            for start in edge - needle.len()..=edge {
                let mut content = vec![b'x'; 3 * CHUNK + 17];
                content[start..start + needle.len()].copy_from_slice(needle);
                let path = dir.path().join("f.py");
                fs::write(&path, &content).unwrap();
                let mut windows = 0;
                let read = read_if(&path, overlap, |w| {
                    windows += 1;
                    finder.find(w).is_some()
                })
                .unwrap();
                assert_eq!(
                    read.as_deref(),
                    Some(content.as_slice()),
                    "needle at {start}"
                );
                assert!(
                    windows <= edge / CHUNK + 1,
                    "read on past the needle at {start}"
                );
            }
        }
        let path = dir.path().join("none.py");
        fs::write(&path, vec![b'x'; 2 * CHUNK + 5]).unwrap();
        let mut seen = 0;
        let read = read_if(&path, overlap, |w| {
            seen += w.len();
            finder.find(w).is_some()
        })
        .unwrap();
        assert_eq!(read, None);
        assert!(seen >= 2 * CHUNK + 5, "every byte is shown");
        let empty = dir.path().join("empty.py");
        fs::write(&empty, b"").unwrap();
        assert_eq!(
            read_if(&empty, overlap, |w| w.is_empty()).unwrap(),
            Some(Vec::new())
        );
        assert_eq!(read_if(&empty, overlap, |_| false).unwrap(), None);
    }

    #[test]
    fn classifies_binary_and_non_utf8() {
        assert_eq!(text_of(b"ok").unwrap(), "ok");
        assert!(text_of(b"a\0b").unwrap_err().contains("NUL"));
        assert!(text_of(&[0xff, 0xfe, b'a']).unwrap_err().contains("UTF-8"));
    }
}
