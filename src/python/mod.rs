//! The Python that runs the test suites: which interpreter, what it can import, and the virtual
//! environment remedy makes for a plan's `requirements:`.

pub mod interpreter;
pub mod venv;

pub use interpreter::*;
