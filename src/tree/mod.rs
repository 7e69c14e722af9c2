//! The repository as remedy sees it: paths inside the root, the walk that visits its files, and
//! the listing that tells which files a phase's programs created.

pub mod created;
pub mod paths;
pub mod scan;
