//! Helpers the unit tests of the structural modules share: compiling a query from a pattern,
//! finding its matches in a source text, and applying a rewrite to every match.

use super::{replacement_for, ParsedFile, Pattern, Query, Rewrite};
use crate::edit::symbols::ModuleIndex;
use crate::tree::paths::RelPath;

pub(super) fn rel(p: &str) -> RelPath {
    RelPath::parse(p).unwrap()
}

pub(super) fn query(p: &str) -> Query {
    Query::new(Pattern::compile(p, None).unwrap())
}

pub(super) fn found(q: &Query, src: &str) -> Vec<String> {
    let modules = ModuleIndex::detached();
    let r = rel("m.py");
    let f = ParsedFile::parse(src, &r, &modules).unwrap();
    q.find(&f)
        .iter()
        .map(|m| src[m.range.clone()].to_string())
        .collect()
}

pub(super) fn rewrite(p: &str, rw: &str, src: &str) -> String {
    rewrite_symbol(p, None, rw, src)
}

/// [`rewrite`] with a pattern whose identifiers spelling `symbol`'s last name stand for it.
pub(super) fn rewrite_symbol(p: &str, symbol: Option<&str>, rw: &str, src: &str) -> String {
    let q = Query::new(Pattern::compile(p, symbol).unwrap());
    let r = Rewrite::compile(rw, &q.pattern).unwrap();
    let modules = ModuleIndex::detached();
    let path = rel("m.py");
    let f = ParsedFile::parse(src, &path, &modules).unwrap();
    let mut out = src.to_string();
    let mut reps: Vec<_> = q
        .find(&f)
        .iter()
        .filter_map(|m| replacement_for(m, &r, &f).unwrap())
        .collect();
    reps.reverse();
    for (range, text) in reps {
        out.replace_range(range, &text);
    }
    out
}

pub(super) const AWAIT: &str = "await get_websocket_manager($$$ARGS)";
