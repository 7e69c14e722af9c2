//! `remedy fleet`: one plan over many repositories. Each repository gets its own worktree or
//! clone in a workspace, on a branch named after the plan, and its own run of the plan as a child
//! `remedy run` (with its own `.remedy/` checkpoint, so every guarantee of a single run holds).
//! The fleet state records every repository's outcome; shards split a fleet over machines, and
//! `collect` merges their outputs. See docs/fleet.md.

mod child;
pub(crate) mod ci;
mod collect;
mod counts;
pub(crate) mod error;
mod out;
mod progress;
mod report;
mod repos;
mod rollback;
mod run;
pub(crate) mod shard;
mod state;
mod workspace;

pub(crate) use collect::collect;
pub(crate) use error::FleetError;
pub(crate) use report::{render_json, render_markdown, status_text};
pub(crate) use rollback::fleet_rollback;
pub(crate) use run::{fleet_resume, fleet_run, RunArgs};
pub(crate) use state::FleetState;
