//! The Python that runs the test suites: which interpreter, what it can import, and the virtual
//! environment remedy makes for a plan's `requirements:`.

pub(crate) mod interpreter;
pub(crate) mod venv;

pub(crate) use interpreter::*;
