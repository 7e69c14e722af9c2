//! Step (1) of the patch phase: what its edits would do to the tree, computed in memory by one
//! walk. Each file is read only when it holds an edit's literal, and decoded only when an edit can
//! change it; what cannot be patched (not UTF-8, hard-linked, a link) is listed with its reason,
//! and the sites an edit's context keeps are listed as left alone.

use crate::edit::{self, EditError};
use crate::fsutil::{self};
use crate::plan::Edit;
use crate::state::checkpoint::{LeftAlone, SkippedFile, UnresolvedSite};
use crate::tree::paths::RelPath;
use crate::tree::scan;

use super::super::unresolved::unresolved_action;
use super::super::PhaseContext;
use super::write::diffstat;

/// One file's planned change, with what the phases after the scan record of it: the hashes of
/// both sides and the lines added and removed, worked out on the scan's threads.
#[derive(Debug, Clone)]
pub(crate) struct PlannedChange {
    pub(crate) rel: RelPath,
    pub(crate) before: Vec<u8>,
    pub(crate) after: String,
    pub(crate) mode: u32,
    pub(crate) sites: Vec<(u64, usize)>,
    pub(crate) before_hash: String,
    pub(crate) after_hash: String,
    /// Lines added and removed.
    pub(crate) diffstat: (u64, u64),
}

impl PlannedChange {
    pub(crate) fn new(
        rel: RelPath,
        before: Vec<u8>,
        after: String,
        mode: u32,
        sites: Vec<(u64, usize)>,
    ) -> PlannedChange {
        let diffstat = diffstat(&String::from_utf8_lossy(&before), &after);
        PlannedChange {
            rel,
            before_hash: fsutil::hash_bytes(&before),
            after_hash: fsutil::hash_bytes(after.as_bytes()),
            before,
            after,
            mode,
            sites,
            diffstat,
        }
    }
}

/// Everything a patch phase would do to the tree.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChangeSet {
    pub(crate) scanned: u64,
    /// Files parsed for structural edits (the others lacked every pattern's literal words).
    pub(crate) parsed: u64,
    pub(crate) changes: Vec<PlannedChange>,
    pub(crate) skipped: Vec<SkippedFile>,
    pub(crate) errors: Vec<EditError>,
    /// Sites the patterns matched but the edits' context kept from changing, by file and line.
    pub(crate) left_alone: Vec<LeftAlone>,
    /// Sites a symbol-aware edit matched except that the name resolves to nothing.
    pub(crate) unresolved: Vec<UnresolvedSite>,
}

/// What the scan makes of one file: its change, or why it is skipped (`Err(Ok(reason))`), or the
/// edit that would go wrong in it (`Err(Err(error))`).
type FileResult = std::result::Result<PlannedChange, std::result::Result<String, EditError>>;

/// What the scan keeps of one file: what becomes of it, and the sites set aside in it.
struct FileVisit {
    result: Option<FileResult>,
    set_aside: SetAside,
}

/// The sites of one file that the edits' patterns match but that are not simply edited.
#[derive(Default)]
struct SetAside {
    left_alone: Vec<LeftAlone>,
    unresolved: Vec<UnresolvedSite>,
}

impl SetAside {
    fn is_empty(&self) -> bool {
        self.left_alone.is_empty() && self.unresolved.is_empty()
    }
}

/// Computes the changes `edits` make to the tree as `ctx` sees it (blocking).
pub(crate) fn compute_changes(edits: &[Edit], ctx: &PhaseContext) -> ChangeSet {
    let cx = ctx.edit_context();
    let out = scan::scan(
        &ctx.root,
        ctx.listing.as_deref(),
        |p| edits.iter().any(|e| e.selection.matches(p)),
        |rel, path| {
            let (result, set_aside) = plan_file(rel, path, edits, ctx, &cx);
            (result.is_some() || !set_aside.is_empty()).then_some(FileVisit { result, set_aside })
        },
    );
    let mut set = ChangeSet {
        scanned: out.scanned,
        parsed: cx.parsed(),
        ..ChangeSet::default()
    };
    for e in out.errors {
        set.skipped.push(SkippedFile {
            path: RelPath::parse(".").expect("`.` is valid"),
            reason: e,
        });
    }
    for (rel, outside) in out.links {
        let reason = if outside {
            "symbolic link leading outside the root: not followed"
        } else {
            "symbolic link: not followed (its target is edited at its own path)"
        };
        set.skipped.push(SkippedFile {
            path: rel,
            reason: reason.into(),
        });
    }
    for (shown, path) in out.unnamed {
        set.skipped.push(skip_unnamed(edits, shown, &path));
    }
    for (rel, visit) in out.items {
        set.left_alone.extend(visit.set_aside.left_alone);
        set.unresolved.extend(visit.set_aside.unresolved);
        match visit.result {
            Some(Ok(change)) => set.changes.push(change),
            Some(Err(Ok(reason))) => set.skipped.push(SkippedFile { path: rel, reason }),
            Some(Err(Err(e))) => set.errors.push(e),
            None => {}
        }
    }
    set.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    set
}

/// The change `edits` make to one file, if any: `None` for a file that cannot change.
fn plan_file(
    rel: &RelPath,
    path: &std::path::Path,
    edits: &[Edit],
    ctx: &PhaseContext,
    cx: &edit::EditContext,
) -> (Option<FileResult>, SetAside) {
    let applicable: Vec<(usize, &Edit)> = edits
        .iter()
        .enumerate()
        .filter(|(_, e)| e.selection.matches(rel.as_str()))
        .collect();
    let needles: Vec<_> = applicable
        .iter()
        .filter_map(|(_, e)| e.needles_for(rel.as_str()))
        .collect();
    if needles.is_empty() {
        return (None, SetAside::default());
    }
    // Most files lack the needles and are never read whole.
    let bytes = match ctx.read_if_needed(rel, path, needles) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return (None, SetAside::default()),
        Err(e) => {
            return (
                Some(Err(Ok(format!("unreadable: {e}")))),
                SetAside::default(),
            )
        }
    };
    // The needles are a necessary condition only; a file that cannot change is neither
    // decoded nor reported.
    if !applicable
        .iter()
        .any(|(_, e)| e.could_change(rel.as_str(), &bytes))
    {
        return (None, SetAside::default());
    }
    let text = match scan::text_of(&bytes) {
        Ok(t) => t,
        Err(reason) => {
            return (
                Some(Err(Ok(format!(
                    "{reason}, and an edit's pattern occurs in its bytes: \
                     it may hold sites to fix by hand"
                )))),
                SetAside::default(),
            )
        }
    };
    let mut seen = None;
    let edited = edit::apply_edits_noting(rel, text, &applicable, cx, &mut seen);
    let set_aside = set_aside_in(rel, text, &applicable, cx, seen);
    let result = match edited {
        Ok(None) => None,
        Ok(Some(fe)) => {
            // Only the few files that change need their mode: no stat for the rest.
            let Ok(meta) = std::fs::metadata(path) else {
                return (None, set_aside);
            };
            let names = std::os::unix::fs::MetadataExt::nlink(&meta);
            if names > 1 {
                return (
                    Some(Err(Ok(format!(
                        "hard-linked ({names} names): replacing it would split the link; \
                         edit it by hand or break the link first"
                    )))),
                    set_aside,
                );
            }
            Some(Ok(PlannedChange::new(
                rel.clone(),
                bytes,
                fe.content,
                fsutil::mode_of(&meta),
                fe.sites,
            )))
        }
        Err(e) => Some(Err(Err(e))),
    };
    (result, set_aside)
}

/// The sites the edits' patterns match in `text` but that are not simply edited: those their
/// context keeps from changing (a structural edit's `inside`, `not_inside`, `in_class` and
/// `unless_comment`, a regex edit's `skip` of strings and comments, a `methods` edit's classes),
/// and those where a symbol-aware edit's name resolves to nothing. `seen`: the structural edits'
/// such sites as the edits' first pass found them, when it looked at them all; they are looked
/// for again otherwise.
fn set_aside_in(
    rel: &RelPath,
    text: &str,
    applicable: &[(usize, &Edit)],
    cx: &edit::EditContext,
    seen: Option<Vec<edit::SetAsideSite>>,
) -> SetAside {
    let mut out = SetAside::default();
    for (i, e) in applicable {
        let sites = match &e.kind {
            crate::plan::EditKind::Python { query, .. }
                if edit::python::is_python_path(rel.as_str()) =>
            {
                let found = match &seen {
                    Some(seen) => edit::SetAside::of_verdicts(
                        seen.iter()
                            .filter(|(edit, _, _)| edit == i)
                            .map(|(_, line, verdict)| (*line, verdict.clone())),
                    ),
                    None => edit::set_aside_lines(query, rel, text, cx),
                };
                out.unresolved
                    .extend(
                        found
                            .unresolved
                            .into_iter()
                            .map(|(line, why)| UnresolvedSite {
                                path: rel.clone(),
                                line,
                                edit: e.name.clone(),
                                reason: why.to_string(),
                                action: unresolved_action(query.unresolved, "edited").into(),
                            }),
                    );
                found.left_alone
            }
            crate::plan::EditKind::Regex { regex, skip, .. }
                if edit::python::is_python_path(rel.as_str()) =>
            {
                edit::regex::skipped_match_lines(regex, text, *skip)
            }
            crate::plan::EditKind::Regex { .. } | crate::plan::EditKind::Python { .. } => {
                Vec::new()
            }
            crate::plan::EditKind::Methods { methods, .. } => {
                edit::refactor::methods_left_alone(methods, rel, text, cx)
            }
            crate::plan::EditKind::Rename { .. } => Vec::new(),
        };
        out.left_alone
            .extend(sites.into_iter().map(|(line, reason)| LeftAlone {
                path: rel.clone(),
                line,
                edit: e.name.clone(),
                reason,
            }));
    }
    out
}

/// Why a file whose name is not valid UTF-8 is skipped, saying whether an edit would change it.
fn skip_unnamed(edits: &[Edit], shown: RelPath, path: &std::path::Path) -> SkippedFile {
    // Its content is read only to say whether it matters.
    let holds_a_site = std::fs::read(path).is_ok_and(|bytes| {
        edits
            .iter()
            .filter(|e| e.selection.matches(shown.as_str()))
            .any(|e| e.could_change(shown.as_str(), &bytes))
    });
    let reason = if holds_a_site {
        "its name is not valid UTF-8, so remedy cannot record it, and an edit's pattern occurs \
         in it: fix it by hand, or rename it and run the phase again"
    } else {
        "its name is not valid UTF-8, so remedy cannot record it (no edit's pattern occurs in it)"
    };
    SkippedFile {
        path: shown,
        reason: reason.into(),
    }
}
