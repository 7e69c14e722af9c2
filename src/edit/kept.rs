//! What was worked out from the texts looked at lately, keyed by a hash of the text (so never
//! stale: a changed file is a new text) and held within a budget of source bytes, the oldest
//! leaving first. The syntax trees of [`tree_cache`](super::tree_cache) and the statements of
//! [`statements`](super::statements) are kept this way: a run's checks and edits ask about the
//! same few hundred texts phase after phase.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// Values worked out from texts, by the hash of each text, within a budget of source bytes.
pub(crate) struct Kept<V> {
    budget: usize,
    inner: Mutex<Inner<V>>,
}

struct Inner<V> {
    entries: HashMap<blake3::Hash, (Arc<V>, usize)>,
    order: VecDeque<blake3::Hash>,
    bytes: usize,
}

impl<V> Kept<V> {
    /// Keeps values for at most `budget` bytes of source.
    pub(crate) fn new(budget: usize) -> Kept<V> {
        Kept {
            budget,
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                order: VecDeque::new(),
                bytes: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<V>> {
        // The map holds finished values only, so one left by a panicking thread is still sound.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The value kept under `key`, if it is kept.
    pub(crate) fn get(&self, key: &blake3::Hash) -> Option<Arc<V>> {
        self.lock().entries.get(key).map(|(v, _)| v.clone())
    }

    /// Keeps `value`, worked out from `len` bytes of source, under `key`; the oldest values leave
    /// to make room. A value already kept under `key` stays (it is the same).
    pub(crate) fn keep(&self, key: blake3::Hash, value: Arc<V>, len: usize) {
        let mut inner = self.lock();
        if inner.entries.contains_key(&key) || len > self.budget {
            return;
        }
        while inner.bytes + len > self.budget {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some((_, gone)) = inner.entries.remove(&oldest) {
                inner.bytes -= gone;
            }
        }
        inner.bytes += len;
        inner.order.push_back(key);
        inner.entries.insert(key, (value, len));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_values_leave_to_keep_within_the_budget() {
        let kept: Kept<&str> = Kept::new(10);
        let key = |s: &str| blake3::hash(s.as_bytes());
        kept.keep(key("a"), Arc::new("first"), 6);
        kept.keep(key("b"), Arc::new("second"), 4);
        assert!(kept.get(&key("a")).is_some());
        kept.keep(key("c"), Arc::new("third"), 3);
        assert!(kept.get(&key("a")).is_none(), "the oldest left");
        assert_eq!(kept.get(&key("b")).as_deref(), Some(&"second"));
        assert_eq!(kept.get(&key("c")).as_deref(), Some(&"third"));
        kept.keep(key("d"), Arc::new("too big"), 11);
        assert!(kept.get(&key("d")).is_none());
        assert!(
            kept.get(&key("b")).is_some(),
            "a value over the budget evicts nothing"
        );
    }
}
