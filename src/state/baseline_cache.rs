//! Baseline results kept across runs, in `.remedy/cache/baselines/`: one file per key, holding a
//! suite's result and its log. The key is a hash of everything the result depends on (see
//! `affected::cache`), so an entry stays valid whatever happens to the runs that made it: a
//! `rollback` leaves the cache alone.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::checkpoint::SuiteResult;
use super::STATE_DIR;
use crate::error::Result;
use crate::fsutil::{self, Durability};

/// The version of an entry's format; entries of another version are not read.
const FORMAT_VERSION: u32 = 1;

/// One kept baseline result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CachedSuite {
    pub(crate) format_version: u32,
    pub(crate) key: String,
    /// When it was run (milliseconds since the epoch).
    pub(crate) ran_at: u64,
    /// The plan and phase that ran it.
    pub(crate) plan_id: String,
    pub(crate) phase: String,
    pub(crate) result: SuiteResult,
    /// The suite's full output.
    pub(crate) log: String,
}

/// The cache of one root.
#[derive(Debug, Clone)]
pub(crate) struct BaselineCache {
    dir: PathBuf,
}

impl BaselineCache {
    pub(crate) fn new(root: &Path) -> BaselineCache {
        BaselineCache {
            dir: root.join(STATE_DIR).join("cache").join("baselines"),
        }
    }

    fn entry(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }

    /// The entry under `key`, if there is one this version reads.
    pub(crate) fn load(&self, key: &str) -> Option<CachedSuite> {
        let text = std::fs::read(self.entry(key)).ok()?;
        let entry: CachedSuite = serde_json::from_slice(&text).ok()?;
        (entry.format_version == FORMAT_VERSION && entry.key == key).then_some(entry)
    }

    /// Keeps `result` (with its `log`) under `key`, written atomically.
    pub(crate) fn store(
        &self,
        key: &str,
        plan_id: &str,
        phase: &str,
        result: &SuiteResult,
        log: String,
    ) -> Result<()> {
        fsutil::create_dir_all(&self.dir)?;
        let entry = CachedSuite {
            format_version: FORMAT_VERSION,
            key: key.to_string(),
            ran_at: crate::timefmt::now_ms(),
            plan_id: plan_id.to_string(),
            phase: phase.to_string(),
            result: result.clone(),
            log,
        };
        let bytes = serde_json::to_vec_pretty(&entry).map_err(|e| {
            crate::error::Error::Other(anyhow::anyhow!("cannot encode a baseline entry: {e}"))
        })?;
        fsutil::write_atomic(&self.entry(key), &bytes, None, Durability::Synced)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_by_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let cache = BaselineCache::new(dir.path());
        let result = SuiteResult {
            name: "unit".into(),
            args: vec!["tests".into()],
            status: super::super::checkpoint::SuiteStatus::Passed,
            exit_code: Some(0),
            counts: Default::default(),
            duration_ms: 1,
            log: crate::tree::paths::RelPath::parse("log").unwrap(),
            tests: Vec::new(),
            detail: None,
            reused: false,
            selected: None,
            cache_key: None,
            from_cache: false,
        };
        cache
            .store("k1", "plan", "baseline", &result, "log text".into())
            .unwrap();
        let back = cache.load("k1").unwrap();
        assert_eq!(back.result.name, "unit");
        assert_eq!(back.log, "log text");
        assert!(cache.load("k2").is_none());
        assert!(dir.path().join(".remedy/cache/baselines/k1.json").is_file());
    }
}
