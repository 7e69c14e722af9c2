//! The repository as remedy sees it: paths inside the root, the walk that visits its files, and
//! the listing that tells which files a phase's programs created.

pub(crate) mod created;
pub(crate) mod paths;
pub(crate) mod scan;
