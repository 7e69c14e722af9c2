//! Content-addressed store of file images under `.remedy/<plan-id>/objects/`.
//!
//! Before-images make a rollback byte-exact; after-images let `remedy diff` show a patch even once the
//! tree has moved on. Objects are named by their BLAKE3 hash, so storing the same content twice is
//! free and a corrupted object is detected on read.
//!
//! An object is stored either loose, as `objects/<2 hex>/<hash>`, or in a pack,
//! `objects/packs/<name>.pack`, which holds the images of one batch in one file: a phase that
//! changes a thousand files creates one file in the store instead of a thousand, and creating
//! files is most of what storing them costs.

use std::collections::HashMap;
use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
use crate::fsutil::{self, Durability};

/// First line of a pack file.
const PACK_MAGIC: &str = "remedy-pack 1";
const PACKS: &str = "packs";

/// Where a packed object lies.
#[derive(Debug, Clone)]
struct Packed {
    pack: PathBuf,
    offset: u64,
    len: u64,
}

/// Every pack location of every packed object.
type PackIndex = HashMap<String, Vec<Packed>>;

#[derive(Debug, Clone)]
pub(crate) struct ObjectStore {
    dir: PathBuf,
    /// The index of every pack, read on the first lookup that needs it and again whenever an
    /// object is not in it (a pack written since).
    packed: Arc<Mutex<Option<PackIndex>>>,
}

impl ObjectStore {
    pub(crate) fn new(dir: PathBuf) -> Self {
        ObjectStore {
            dir,
            packed: Arc::new(Mutex::new(None)),
        }
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where `hash` is (or would be) stored loose.
    pub(crate) fn path_of(&self, hash: &str) -> PathBuf {
        let (head, _) = hash.split_at(2.min(hash.len()));
        self.dir.join(head).join(hash)
    }

    /// Whether the store holds `hash`, loose or packed, with its content intact.
    pub(crate) fn contains(&self, hash: &str) -> bool {
        self.get(hash).is_ok()
    }

    /// [`contains`](ObjectStore::contains) against the pack index as it is now, for a batch of
    /// lookups after one [`ObjectStore::reload_index`].
    fn contains_indexed(&self, hash: &str) -> bool {
        self.read(hash, false).is_ok()
    }

    /// Stores `bytes` under `hash` (which the caller computed) unless it is already there intact.
    /// Durability is batched: call [`fsutil::sync_filesystem`] before relying on it.
    pub(crate) fn put(&self, hash: &str, bytes: &[u8]) -> Result<()> {
        // An object left by a run that lost power before its batch was synced may exist but be
        // damaged; only an intact one is reused.
        if self.contains(hash) {
            return Ok(());
        }
        let path = self.path_of(hash);
        let parent = path.parent().unwrap_or(&self.dir);
        fsutil::create_dir_all(parent)?;
        fsutil::write_atomic(&path, bytes, Some(0o444), Durability::Batched)
    }

    /// Stores many objects, `(hash, bytes)`, as one pack; those already stored intact are left out,
    /// and nothing is written when that is all of them. Durability is batched, as for [`put`].
    ///
    /// [`put`]: ObjectStore::put
    pub(crate) fn put_all(&self, objects: &[(&str, &[u8])]) -> Result<()> {
        let mut seen = std::collections::HashSet::new();
        self.reload_index();
        let missing: Vec<&(&str, &[u8])> = objects
            .iter()
            .filter(|(hash, _)| seen.insert(*hash) && !self.contains_indexed(hash))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        // The index, then the contents in the same order, each at its offset from the end of
        // the index.
        let mut index = format!("{PACK_MAGIC}\n{}\n", missing.len());
        let mut offset = 0u64;
        for (hash, bytes) in &missing {
            index.push_str(&format!("{hash} {offset} {}\n", bytes.len()));
            offset += bytes.len() as u64;
        }
        index.push('\n');
        let name = fsutil::hash_bytes(index.as_bytes());
        let mut parts: Vec<&[u8]> = vec![index.as_bytes()];
        parts.extend(missing.iter().map(|(_, bytes)| *bytes));
        let dir = self.dir.join(PACKS);
        fsutil::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.pack"));
        fsutil::write_atomic_parts(&path, &parts, Some(0o444), Durability::Batched)?;
        self.reload_index();
        Ok(())
    }

    /// Reads an object back and checks that it still has its hash. Every stored copy is tried
    /// (loose, then each pack that lists it) before the object is declared corrupt or missing.
    pub(crate) fn get(&self, hash: &str) -> Result<Vec<u8>> {
        self.read(hash, true)
    }

    /// [`get`](ObjectStore::get); `reload` reads the pack indexes again when they do not list
    /// `hash`, in case a pack was written since they were read.
    fn read(&self, hash: &str, reload: bool) -> Result<Vec<u8>> {
        let path = self.path_of(hash);
        let mut corrupt = None;
        match fs::read(&path) {
            Ok(bytes) => match check(hash, bytes) {
                Ok(bytes) => return Ok(bytes),
                Err(actual) => corrupt = Some((path.clone(), actual)),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("read the stored object", &path, e)),
        }
        for packed in self.find_packed(hash, reload) {
            match check(hash, read_packed(&packed)?) {
                Ok(bytes) => return Ok(bytes),
                Err(actual) => corrupt = Some((packed.pack, actual)),
            }
        }
        match corrupt {
            Some((at, actual)) => Err(Error::Other(anyhow::anyhow!(
                "stored object {hash} in {} is corrupt (its content hashes to {actual})",
                at.display()
            ))),
            None => Err(Error::io(
                "read the stored object",
                &path,
                std::io::Error::from(std::io::ErrorKind::NotFound),
            )),
        }
    }

    /// Every pack location of `hash`; the indexes are read first if they never were, or again if
    /// they do not list `hash` and `reload` says so.
    fn find_packed(&self, hash: &str, reload: bool) -> Vec<Packed> {
        let mut cached = self.packed.lock().expect("index holders do not panic");
        if let Some(index) = cached.as_ref() {
            match index.get(hash) {
                Some(found) => return found.clone(),
                None if !reload => return Vec::new(),
                None => {}
            }
        }
        let index = read_indexes(&self.dir.join(PACKS));
        let found = index.get(hash).cloned().unwrap_or_default();
        *cached = Some(index);
        found
    }

    /// Reads the pack indexes again.
    fn reload_index(&self) {
        *self.packed.lock().expect("index holders do not panic") =
            Some(read_indexes(&self.dir.join(PACKS)));
    }
}

/// The index of every readable pack in `dir`. A pack whose index cannot be read (one damaged by a
/// power loss before its batch was synced) contributes nothing, so its objects count as missing.
fn read_indexes(dir: &Path) -> PackIndex {
    let mut index = HashMap::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return index;
    };
    let mut packs: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pack"))
        .collect();
    packs.sort();
    for pack in packs {
        if let Some(entries) = read_index(&pack) {
            for (hash, offset, len) in entries {
                index.entry(hash).or_default().push(Packed {
                    pack: pack.clone(),
                    offset,
                    len,
                });
            }
        }
    }
    index
}

/// A pack's entries, `(hash, offset from the start of the file, length)`, or `None` when its
/// index is not what [`ObjectStore::put_all`] writes.
fn read_index(pack: &Path) -> Option<Vec<(String, u64, u64)>> {
    let mut file = fs::File::open(pack).ok()?;
    let mut head = Vec::new();
    // The index is read in pieces until its blank line: most of a pack is contents.
    let end = loop {
        if let Some(at) = head.windows(2).position(|w| w == b"\n\n") {
            break at + 2;
        }
        let mut piece = [0u8; 64 << 10];
        let n = file.read(&mut piece).ok()?;
        if n == 0 {
            return None;
        }
        head.extend_from_slice(&piece[..n]);
    };
    let text = std::str::from_utf8(&head[..end]).ok()?;
    let mut lines = text.lines();
    if lines.next()? != PACK_MAGIC {
        return None;
    }
    let count: usize = lines.next()?.parse().ok()?;
    let size = file.metadata().ok()?.len();
    let mut entries = Vec::with_capacity(count);
    for line in lines.take(count) {
        let mut parts = line.split(' ');
        let hash = parts.next()?.to_string();
        let offset: u64 = parts.next()?.parse().ok()?;
        let len: u64 = parts.next()?.parse().ok()?;
        let start = end as u64 + offset;
        if parts.next().is_some() || start.checked_add(len)? > size {
            return None;
        }
        entries.push((hash, start, len));
    }
    (entries.len() == count).then_some(entries)
}

/// `bytes` if they hash to `hash`, else what they hash to.
fn check(hash: &str, bytes: Vec<u8>) -> std::result::Result<Vec<u8>, String> {
    let actual = fsutil::hash_bytes(&bytes);
    if actual == hash {
        Ok(bytes)
    } else {
        Err(actual)
    }
}

fn read_packed(packed: &Packed) -> Result<Vec<u8>> {
    let read = || -> std::io::Result<Vec<u8>> {
        let mut file = fs::File::open(&packed.pack)?;
        file.seek(SeekFrom::Start(packed.offset))?;
        let mut bytes = vec![0; packed.len as usize];
        file.read_exact(&mut bytes)?;
        Ok(bytes)
    };
    read().map_err(|e| Error::io("read the stored object from", &packed.pack, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make_writable(p: &Path) {
        let mut perms = fs::metadata(p).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o644);
        fs::set_permissions(p, perms).unwrap();
    }

    #[test]
    fn round_trips_and_detects_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let store = ObjectStore::new(dir.path().join("objects"));
        let bytes = b"await get_websocket_manager()\n";
        let h = fsutil::hash_bytes(bytes);
        store.put(&h, bytes).unwrap();
        store.put(&h, bytes).unwrap();
        assert_eq!(store.get(&h).unwrap(), bytes);
        let p = store.path_of(&h);
        make_writable(&p);
        fs::write(&p, b"tampered").unwrap();
        assert!(store.get(&h).is_err());
        // A damaged object is replaced by the next put.
        fs::remove_file(&p).unwrap();
        fs::write(&p, b"torn").unwrap();
        store.put(&h, bytes).unwrap();
        assert_eq!(store.get(&h).unwrap(), bytes);
    }

    #[test]
    fn a_batch_is_one_pack_and_every_object_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = ObjectStore::new(dir.path().join("objects"));
        let contents: Vec<Vec<u8>> = (0..50)
            .map(|i| format!("x = {i}\r\n").repeat(i).into_bytes())
            .collect();
        let hashes: Vec<String> = contents.iter().map(|c| fsutil::hash_bytes(c)).collect();
        let batch: Vec<(&str, &[u8])> = hashes
            .iter()
            .zip(&contents)
            .map(|(h, c)| (h.as_str(), c.as_slice()))
            .collect();
        store.put_all(&batch).unwrap();
        let packs = fs::read_dir(dir.path().join("objects").join(PACKS))
            .unwrap()
            .count();
        assert_eq!(packs, 1);
        // Another store (another process) finds them too.
        let again = ObjectStore::new(dir.path().join("objects"));
        for (h, c) in hashes.iter().zip(&contents) {
            assert_eq!(&again.get(h).unwrap(), c);
        }
        // Storing the same batch again writes nothing; one new object makes a pack of one.
        store.put_all(&batch).unwrap();
        let new = b"new".to_vec();
        let hn = fsutil::hash_bytes(&new);
        let mut more = batch.clone();
        more.push((&hn, &new));
        store.put_all(&more).unwrap();
        let packs = fs::read_dir(dir.path().join("objects").join(PACKS))
            .unwrap()
            .count();
        assert_eq!(packs, 2);
        assert_eq!(again.get(&hn).unwrap(), new);
    }

    #[test]
    fn a_damaged_pack_is_detected_and_its_objects_stored_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = ObjectStore::new(dir.path().join("objects"));
        let (a, b) = (b"first image".to_vec(), b"second image".to_vec());
        let (ha, hb) = (fsutil::hash_bytes(&a), fsutil::hash_bytes(&b));
        store
            .put_all(&[(ha.as_str(), &a[..]), (hb.as_str(), &b[..])])
            .unwrap();
        let pack = fs::read_dir(dir.path().join("objects").join(PACKS))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        // Content damaged: that object fails its hash; the other still reads.
        let mut bytes = fs::read(&pack).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        make_writable(&pack);
        fs::write(&pack, &bytes).unwrap();
        let fresh = ObjectStore::new(dir.path().join("objects"));
        assert_eq!(fresh.get(&ha).unwrap(), a);
        assert!(fresh.get(&hb).unwrap_err().to_string().contains("corrupt"));
        fresh
            .put_all(&[(ha.as_str(), &a[..]), (hb.as_str(), &b[..])])
            .unwrap();
        assert_eq!(fresh.get(&hb).unwrap(), b);
        // Cut short inside its index: the pack counts for nothing, and nothing panics. The
        // first image was only there; the second is also in the pack written since.
        fs::write(&pack, &bytes[..20]).unwrap();
        let cut = ObjectStore::new(dir.path().join("objects"));
        assert!(cut.get(&ha).is_err());
        assert_eq!(cut.get(&hb).unwrap(), b);
    }
}
