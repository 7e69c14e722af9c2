//! remedy carries out a code remediation plan over a repository: it validates preconditions, backs up
//! the files it will change, patches them write-ahead, runs the affected test suites and writes a
//! report, recording every step in a checkpoint so that a run can be resumed or rolled back.
//!
//! The binary (`src/main.rs`) is a thin shell over [`app::main`]; everything else lives here so that
//! tests can drive the engine in-process as well as through the CLI.

pub mod app;
pub mod check_output;
pub mod cli;
pub mod demo;
pub mod edit;
pub mod engine;
pub mod error;
pub mod fsutil;
pub mod phase;
pub mod plan;
pub mod process;
pub mod python;
pub mod report;
pub mod state;
pub mod timefmt;
pub mod tree;
pub mod ui;
