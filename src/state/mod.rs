//! What remedy keeps about a run, in `ROOT/.remedy/`: the checkpoint (the record of every phase),
//! the object store (before- and after-images of files), and the lock that admits one writer.
//!
//! Only this layer knows the layout of `.remedy/`; the engine and the phases ask it for paths.

pub(crate) mod baseline_cache;
pub(crate) mod checkpoint;
pub(crate) mod lock;
pub(crate) mod objects;
mod outcome;
pub(crate) mod selection;

/// The folder inside the root where remedy keeps its state. The scanner never enters it.
pub(crate) const STATE_DIR: &str = ".remedy";
