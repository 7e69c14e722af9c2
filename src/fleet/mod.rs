//! Running a plan over many repositories.

pub(crate) mod ci;
