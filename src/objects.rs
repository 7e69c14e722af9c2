//! Content-addressed store of file images under `.remedy/<plan-id>/objects/`.
//!
//! Before-images make a rollback byte-exact; after-images let `remedy diff` show a patch even once the
//! tree has moved on. Objects are named by their BLAKE3 hash, so storing the same content twice is
//! free and a corrupted object is detected on read.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::fsutil::{self, Durability};

#[derive(Debug, Clone)]
pub struct ObjectStore {
    dir: PathBuf,
}

impl ObjectStore {
    pub fn new(dir: PathBuf) -> Self {
        ObjectStore { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path_of(&self, hash: &str) -> PathBuf {
        let (head, _) = hash.split_at(2.min(hash.len()));
        self.dir.join(head).join(hash)
    }

    pub fn contains(&self, hash: &str) -> bool {
        self.path_of(hash).is_file()
    }

    /// Stores `bytes` under `hash` (which the caller computed) unless it is already there intact.
    /// Durability is batched: call [`fsutil::sync_filesystem`] before relying on it.
    pub fn put(&self, hash: &str, bytes: &[u8]) -> Result<()> {
        let path = self.path_of(hash);
        // An object left by a run that lost power before its batch was synced may exist but be
        // damaged; only an intact one is reused.
        if fs::read(&path).is_ok_and(|old| fsutil::hash_bytes(&old) == hash) {
            return Ok(());
        }
        let parent = path.parent().unwrap_or(&self.dir);
        fsutil::create_dir_all(parent)?;
        fsutil::write_atomic(&path, bytes, Some(0o444), Durability::Batched)
    }

    /// Reads an object back and checks that it still has its hash.
    pub fn get(&self, hash: &str) -> Result<Vec<u8>> {
        let path = self.path_of(hash);
        let bytes = fs::read(&path).map_err(|e| Error::io("read the stored object", &path, e))?;
        let actual = fsutil::hash_bytes(&bytes);
        if actual != hash {
            return Err(Error::Other(anyhow::anyhow!(
                "stored object {} is corrupt (its content hashes to {actual})",
                path.display()
            )));
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut perms = fs::metadata(&p).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o644);
        fs::set_permissions(&p, perms).unwrap();
        fs::write(&p, b"tampered").unwrap();
        assert!(store.get(&h).is_err());
    }
}
