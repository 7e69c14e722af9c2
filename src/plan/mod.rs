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

pub(crate) use error::{did_you_mean, render_warnings, Diagnostic, PlanErrors};
pub(crate) use expect::Expect;
pub(crate) use load::{load_plan, load_plan_text, read_plan_id, with_interpreter};
pub(crate) use model::*;
pub(crate) use spec::{CountsKind, PhaseKind};

/// The JSON Schema of a plan, generated from the same types the loader reads, for editors.
pub(crate) fn schema_json() -> String {
    let schema = schemars::schema_for!(spec::PlanSpec);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_else(|_| "{}".into());
    text.push('\n');
    text
}
