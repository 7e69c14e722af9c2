//! Sites where a symbol-aware pattern matches except that the name resolves to nothing: the words
//! listings use for what the plan's `unresolved` made of them, and how a `python` check reports
//! them next to its count.

use crate::edit::structural::{Query, Unresolved};
use crate::edit::symbols::Resolution;
use crate::state::checkpoint::CheckResult;
use crate::tree::paths::RelPath;

/// What an `unresolved` setting does to a site, in the words of listings; `taken` is what `edit`
/// does (`edited` for an edit, `counted` for a check).
pub(crate) fn unresolved_action(mode: Unresolved, taken: &'static str) -> &'static str {
    match mode {
        Unresolved::Leave => "left alone",
        Unresolved::Edit => taken,
        Unresolved::Fail => "fails the phase",
    }
}

/// Adds a check's unresolved sites to its result: each is listed in `details` with the reason,
/// and with `unresolved: fail` their presence fails the check, whatever the count.
pub(crate) fn note_unresolved(
    result: &mut CheckResult,
    query: &Query,
    sites: &[(RelPath, Vec<(u64, Resolution)>)],
) {
    let total: usize = sites.iter().map(|(_, s)| s.len()).sum();
    if total == 0 {
        return;
    }
    let action = match query.unresolved {
        Unresolved::Leave => "not counted",
        Unresolved::Edit => "counted",
        Unresolved::Fail => "fails the check",
    };
    for (rel, found) in sites {
        for (line, why) in found {
            result.details.push(format!(
                "{rel}:{line}: unresolved, the name is {why} ({action})"
            ));
        }
    }
    if query.unresolved == Unresolved::Fail {
        result.passed = false;
        result.actual.push_str(&format!(
            "; {} where the name does not resolve (`unresolved: fail`)",
            crate::words::count(total as u64, "site")
        ));
    }
}
