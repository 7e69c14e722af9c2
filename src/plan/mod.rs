//! Plans: the YAML a user writes (`spec`), how it is read (`load`) and checked (`validate`), and the
//! model the engine runs (`model`).

mod error;
mod expect;
mod limits;
mod load;
mod locate;
mod model;
mod spec;
mod validate;
mod yaml_errors;

pub use error::{did_you_mean, Diagnostic, PlanErrors};
pub use expect::{Expect, Op};
pub use load::{load_plan, load_plan_text, read_plan_id};
pub use locate::Location;
pub use model::*;
pub use spec::{PhaseKind, PlanSpec, SkipKind, WorkersSpec};

/// The JSON Schema of a plan, generated from the same types the loader reads, for editors.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(spec::PlanSpec);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_else(|_| "{}".into());
    text.push('\n');
    text
}
