//! Why an edit is refused for a file: the kinds of damage remedy will not write.

use super::apply::MAX_PASSES;
use crate::tree::paths::RelPath;

/// An edit that would go wrong in one file, with the file and the line in the original text.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub(crate) enum EditError {
    #[error("{path}:{line}: edits `{first}` and `{second}` change overlapping text")]
    Overlap {
        path: RelPath,
        line: u64,
        first: String,
        second: String,
    },
    #[error("{path}:{line}: edit `{edit}` would leave a Python syntax error")]
    BreaksSyntax {
        path: RelPath,
        line: u64,
        edit: String,
    },
    #[error("{path}:{line}: edit `{edit}` would remove the comment on line {comment_line}")]
    DropsComment {
        path: RelPath,
        line: u64,
        edit: String,
        comment_line: u64,
    },
    #[error("{path}:{line}: edit `{edit}` needs the name `{name}` for `{target}`, but the file binds `{name}` to something else")]
    NameTaken {
        path: RelPath,
        line: u64,
        edit: String,
        name: String,
        target: String,
    },
    #[error(
        "{path}:{line}: edit `{edit}` would leave `{name}` undefined: nothing in the file binds it"
    )]
    LeavesUndefinedName {
        path: RelPath,
        line: u64,
        edit: String,
        name: String,
    },
    #[error("{path}:{line}: edit `{edit}` would leave the import of `{name}` unused")]
    LeavesUnusedImport {
        path: RelPath,
        line: u64,
        edit: String,
        name: String,
    },
    #[error("{path}:{line}: edit `{edit}` needs `{import}`, which cannot be added: {reason}")]
    ImportRefused {
        path: RelPath,
        line: u64,
        edit: String,
        import: String,
        reason: String,
    },
    #[error("{path}:{line}: edit `{edit}` still matches after {MAX_PASSES} passes (does its rewrite match its own pattern?)")]
    DoesNotSettle {
        path: RelPath,
        line: u64,
        edit: String,
    },
}

impl EditError {
    /// Puts the edit's name where a refactoring could only write its index (`#3`).
    pub(crate) fn with_edit_names(self, name: &dyn Fn(usize) -> String) -> EditError {
        let named = |edit: String| {
            edit.strip_prefix('#')
                .and_then(|i| i.parse().ok())
                .map_or(edit.clone(), name)
        };
        match self {
            EditError::NameTaken {
                path,
                line,
                edit,
                name: taken,
                target,
            } => EditError::NameTaken {
                path,
                line,
                edit: named(edit),
                name: taken,
                target,
            },
            EditError::LeavesUndefinedName {
                path,
                line,
                edit,
                name,
            } => EditError::LeavesUndefinedName {
                path,
                line,
                edit: named(edit),
                name,
            },
            EditError::LeavesUnusedImport {
                path,
                line,
                edit,
                name,
            } => EditError::LeavesUnusedImport {
                path,
                line,
                edit: named(edit),
                name,
            },
            EditError::ImportRefused {
                path,
                line,
                edit,
                import,
                reason,
            } => EditError::ImportRefused {
                path,
                line,
                edit: named(edit),
                import,
                reason,
            },
            other => other,
        }
    }
}
