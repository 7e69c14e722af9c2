//! The phase kinds, one module each, behind one `execute` entry point.
//!
//! A phase computes its effect and reports it as an [`Outcome`]; the engine records that outcome in
//! the checkpoint. Only the patch phase writes to the checkpoint itself, because its write-ahead
//! record must be durable before the first target file is replaced.
//!
//! Besides one file per phase kind, `dispatch` holds the entry point, `context` what a phase works
//! with (the journal, the dry-run overlay, the scan a backup phase keeps), `phase_result` how a
//! phase ended, and `slug` the file names made from phase and suite names.
//!
//! [`Outcome`]: crate::state::checkpoint::Outcome

pub(crate) mod backup;
pub(crate) mod command;
mod context;
mod dispatch;
pub(crate) mod patch;
mod phase_result;
pub(crate) mod pytest;
pub(crate) mod report;
mod slug;
mod unresolved;
pub(crate) mod validate;

pub(crate) use context::{Journal, PhaseContext, SharedJournal};
pub(crate) use dispatch::{blocking, execute};
pub(crate) use phase_result::PhaseResult;
pub(crate) use slug::slug;
