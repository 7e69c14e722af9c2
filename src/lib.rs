//! remedy carries out a code remediation plan over a repository: it validates preconditions, backs up
//! the files it will change, patches them write-ahead, runs the affected test suites and writes a
//! report, recording every step in a checkpoint so that a run can be resumed or rolled back.
//!
//! The binary (`src/main.rs`) is a thin shell over [`app::main`]; everything else lives here so that
//! tests can drive the engine in-process as well as through the CLI.

pub mod app;
pub mod checkpoint;
pub mod cli;
pub mod created;
pub mod demo;
pub mod edit;
pub mod engine;
pub mod error;
pub mod fsutil;
pub mod lock;
pub mod objects;
pub mod paths;
pub mod phase;
pub mod plan;
pub mod process;
pub mod python;
pub mod replace;
pub mod report;
pub mod rollback;
pub mod scan;
pub mod timefmt;
pub mod ui;
pub mod venv;
