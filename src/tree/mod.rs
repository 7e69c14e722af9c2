//! The repository as remedy sees it: paths inside the root, the walk that visits its files, and
//! the listing that tells which files a phase's programs created, and what a run learnt from the
//! files it read without finding what it looked for.

pub(crate) mod absent;
pub(crate) mod created;
pub(crate) mod listing;
pub(crate) mod paths;
pub(crate) mod scan;
pub(crate) mod through_dir;
