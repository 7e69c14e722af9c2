//! What remedy keeps about a run, in `ROOT/.remedy/`: the checkpoint (the record of every phase),
//! the object store (before- and after-images of files), and the lock that admits one writer.
//!
//! Only this layer knows the layout of `.remedy/`; the engine and the phases ask it for paths.

pub mod checkpoint;
pub mod lock;
pub mod objects;

/// The folder inside the root where remedy keeps its state. The scanner never enters it.
pub const STATE_DIR: &str = ".remedy";
