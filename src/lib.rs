//! remedy carries out a code remediation plan over a repository: it validates preconditions, backs up
//! the files it will change, patches them write-ahead, runs the affected test suites and writes a
//! report, recording every step in a checkpoint so that a run can be resumed or rolled back.
//!
//! The binary (`src/main.rs`) is a thin shell over [`app::main`]; everything else lives here so that
//! tests can drive the engine in-process as well as through the CLI.

pub mod app;
pub(crate) mod check_output;
pub(crate) mod cli;
pub(crate) mod demo;
pub(crate) mod edit;
pub(crate) mod engine;
pub(crate) mod error;
pub(crate) mod fleet;
pub(crate) mod fsutil;
pub(crate) mod phase;
pub(crate) mod phase_kind;
pub(crate) mod plan;
pub(crate) mod process;
pub(crate) mod python;
pub(crate) mod report;
pub(crate) mod state;
pub(crate) mod timefmt;
pub(crate) mod tree;
pub(crate) mod ui;
pub(crate) mod words;

/// Loads a plan from text and drops the result: the entry point of the plan-loading fuzz target
/// (`fuzz/`), which must never see a panic whatever the bytes.
#[doc(hidden)]
pub fn load_plan_for_fuzzing(text: &str) {
    let _ = plan::load_plan_text(
        std::path::Path::new("fuzz.yaml"),
        "fuzz.yaml".into(),
        text,
        None,
    );
}
