//! What one pass of a file's edits would change: the structural edits' replacements (each file
//! parsed only where their patterns' words are), and the removals of whole statements, so that a
//! block whose statements one pass removes all keeps a `pass`.

use std::ops::Range;

use super::apply::Replacement;
use super::context::EditContext;
use super::error::EditError;
use super::pieces::with_parsed;
use super::statements::LazyStatements;
use super::structural::{self, Query, Verdict};
use crate::plan::{Edit, EditKind};
use crate::tree::paths::RelPath;

/// A structural removal of a whole statement of a block: if every statement of that block is
/// removed in one pass, the last removal writes `pass` instead, so the block stays a block.
#[derive(Debug, Clone)]
pub(super) struct BlockRemoval {
    /// The removal's range and edit, which identify its replacement.
    range: Range<usize>,
    edit: usize,
    /// Where the block starts, and how many statements it holds.
    block: usize,
    statements: usize,
    /// What the removal writes when it is the one that leaves `pass`.
    pass: String,
}

/// What the edits of one pass would change.
#[derive(Debug, Default)]
pub(super) struct PassChanges {
    pub(super) replacements: Vec<Replacement>,
    /// The replacements that remove a statement of a block.
    pub(super) removals: Vec<BlockRemoval>,
    /// The structural edits' matches that are not simply edited (see [`SetAsideMatch`]).
    pub(super) set_aside: Vec<SetAsideMatch>,
}

/// A match of a structural edit's pattern whose verdict is not simply "edit it": its context
/// keeps it, or its symbol's name resolves to nothing.
#[derive(Debug, Clone)]
pub(crate) struct SetAsideMatch {
    /// The edit's index in its phase.
    pub(crate) edit: usize,
    /// Where the match starts in the pass's text.
    pub(crate) offset: usize,
    pub(crate) verdict: Verdict,
}

/// The structural edits' replacements on `text`, which is parsed only when it contains the
/// literal words of at least one pattern.
pub(super) fn structural_replacements(
    path: &RelPath,
    statements: &LazyStatements,
    edits: &[(usize, &Edit)],
    cx: &EditContext,
    parsed: &mut bool,
    changes: &mut PassChanges,
    drops_comment: &dyn Fn(usize, usize, usize) -> EditError,
) -> Result<(), EditError> {
    let text = statements.text();
    let PassChanges {
        replacements: out,
        removals,
        set_aside,
    } = changes;
    let candidates: Vec<_> = edits
        .iter()
        .filter_map(|(i, e)| match &e.kind {
            EditKind::Python { query, rewrite, .. } if query.could_match(text) => {
                Some((*i, query, rewrite))
            }
            _ => None,
        })
        .collect();
    if candidates.is_empty() {
        return Ok(());
    }
    if !*parsed {
        *parsed = true;
        cx.count_parsed();
    }
    let queries: Vec<&Query> = candidates.iter().map(|(_, q, _)| q.as_ref()).collect();
    // A removal must see the block around its statement, which a statement parsed on its own
    // under a stand-in header does not show.
    let whole_blocks = candidates.iter().any(|(_, _, r)| r.is_empty());
    with_parsed(statements, path, cx, &queries, whole_blocks, |pieces| {
        for piece in pieces {
            for (index, query, rewrite) in &candidates {
                for (m, verdict) in query.find_all(&piece.file) {
                    let Some(at) = piece.to_file(m.range.start) else {
                        continue;
                    };
                    let edited = query.edits(&verdict);
                    if !matches!(verdict, Verdict::Counts) {
                        set_aside.push(SetAsideMatch {
                            edit: *index,
                            offset: at,
                            verdict,
                        });
                    }
                    if !edited {
                        continue;
                    }
                    if let Some(removal) = structural::removal_for(&m, rewrite, &piece.file) {
                        let (Some(start), Some(end)) = (
                            piece.to_file(removal.statement.start),
                            piece.to_file(removal.statement.end),
                        ) else {
                            continue;
                        };
                        // Comments inside the statement, and one after it on its last line, go
                        // with it.
                        let (range, pass) = structural::removal_range(text, start..end);
                        if let Some((block, statements)) = removal.block {
                            if let Some(block) = piece.to_file(block) {
                                removals.push(BlockRemoval {
                                    range: range.clone(),
                                    edit: *index,
                                    block,
                                    statements,
                                    pass,
                                });
                            }
                        }
                        out.push(Replacement {
                            range,
                            text: String::new(),
                            edit: *index,
                        });
                        continue;
                    }
                    match structural::replacement_for(&m, rewrite, &piece.file) {
                        Ok(Some((range, new))) => out.push(Replacement {
                            range: at - m.range.start + range.start..at - m.range.start + range.end,
                            text: new,
                            edit: *index,
                        }),
                        Ok(None) => {}
                        Err(comment) => {
                            let comment = piece.to_file(comment.start).unwrap_or(at);
                            return Err(drops_comment(at, *index, comment));
                        }
                    }
                }
            }
        }
        Ok(())
    })
}

/// Gives `pass` to every block whose statements the chosen replacements all remove: the last
/// removal of such a block writes `pass` at the block's indentation instead of nothing (after any
/// comment lines that stay, which then still read as the block's). The
/// removals of one block are counted within one pass only; a statement removed in an earlier pass
/// no longer belongs to the block the parser sees.
pub(super) fn keep_blocks(
    mut chosen: Vec<Replacement>,
    removals: &[BlockRemoval],
) -> Vec<Replacement> {
    if removals.is_empty() {
        return chosen;
    }
    let removal_of = |r: &Replacement| {
        removals
            .iter()
            .find(|b| b.range == r.range && b.edit == r.edit && r.text.is_empty())
    };
    let mut blocks: Vec<(usize, usize, usize)> = Vec::new();
    for (i, r) in chosen.iter().enumerate() {
        if let Some(b) = removal_of(r) {
            match blocks.iter_mut().find(|(start, _, _)| *start == b.block) {
                Some((_, count, last)) => {
                    *count += 1;
                    *last = i;
                }
                None => blocks.push((b.block, 1, i)),
            }
        }
    }
    for (start, count, last) in blocks {
        let emptied = removals
            .iter()
            .find(|b| b.block == start)
            .is_some_and(|b| b.statements == count);
        if emptied {
            if let Some(pass) = removal_of(&chosen[last]).map(|b| b.pass.clone()) {
                chosen[last].text = pass;
            }
        }
    }
    chosen
}
