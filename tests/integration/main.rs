//! CLI-level tests: real files, real pytest runs, real signals. One binary, one module per area.

mod harness;

mod affected;
mod bad_input;
mod bad_plans;
mod catalog;
mod fleet;
mod fleet_ci;
mod pytest_phase;
mod recovery;
mod report;
mod run;
mod state_integrity;
mod structural;
mod tree_contents;
mod write_safety;
