//! Affected tests: which test files a patch can reach through the imports of the root, and the key
//! under which a baseline's results are kept.
//!
//! `graph` reads every Python file of the root once (in parallel, on the scan's threads) into an
//! import graph, noting where imports cannot be read from the source; `select` turns the files the
//! patch changes into the selected test files and why each is selected; `cache` computes the key
//! of a baseline suite's result. The pytest phase (`phase/pytest/selection.rs`, `baseline.rs`)
//! uses them; the cache's files are kept by `state::baseline_cache`.

pub(crate) mod cache;
pub(crate) mod graph;
pub(crate) mod select;
