//! Work on many files at once. Most of what remedy does to a file one by one (its status, a read,
//! a replacement) is time in the kernel, which spreads over the cores: these run such work on up to
//! one thread per core, taking items in turn.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::error::Result;

/// The threads for `items` items: one per core, no more than there are items.
fn threads_for(items: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items)
}

/// Runs `work` on every item and stops at the first error, which it returns (when several
/// threads fail at once, one of their errors).
pub(crate) fn try_for_each<T: Sync>(
    items: &[T],
    work: impl Fn(&T) -> Result<()> + Sync,
) -> Result<()> {
    let first_error = Mutex::new(None);
    until_false(items, |item| match work(item) {
        Ok(()) => true,
        Err(e) => {
            first_error
                .lock()
                .expect("no panics while holding the lock")
                .get_or_insert(e);
            false
        }
    });
    match first_error
        .into_inner()
        .expect("no panics while holding the lock")
    {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Whether `holds` is true of every item; the threads stop at the first item it is false of.
pub(crate) fn all<T: Sync>(items: &[T], holds: impl Fn(&T) -> bool + Sync) -> bool {
    until_false(items, holds)
}

/// Runs `go_on` on the items, taken in turn by one thread per core, until it returns `false` for
/// one of them (then the threads stop taking more); whether it never did.
fn until_false<T: Sync>(items: &[T], go_on: impl Fn(&T) -> bool + Sync) -> bool {
    let threads = threads_for(items.len());
    if threads <= 1 {
        return items.iter().all(go_on);
    }
    let next = AtomicUsize::new(0);
    let stopped = AtomicBool::new(false);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                while !stopped.load(Ordering::Relaxed) {
                    let Some(item) = items.get(next.fetch_add(1, Ordering::Relaxed)) else {
                        break;
                    };
                    if !go_on(item) {
                        stopped.store(true, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    !stopped.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn every_item_is_worked_on_once_and_an_error_stops_the_rest() {
        let items: Vec<usize> = (0..1000).collect();
        let seen = Mutex::new(Vec::new());
        try_for_each(&items, |&i| {
            seen.lock().unwrap().push(i);
            Ok(())
        })
        .unwrap();
        let mut seen = seen.into_inner().unwrap();
        seen.sort_unstable();
        assert_eq!(seen, items);
        let err = try_for_each(&items, |&i| {
            if i == 500 {
                Err(Error::Other(anyhow::anyhow!("item {i}")))
            } else {
                Ok(())
            }
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "item 500");
    }

    #[test]
    fn all_is_false_when_one_item_fails() {
        let items: Vec<usize> = (0..1000).collect();
        assert!(all(&items, |&i| i < 1000));
        assert!(!all(&items, |&i| i != 999));
        assert!(!all(&items, |&i| i != 0));
        assert!(all(&[] as &[usize], |_| false));
    }
}
