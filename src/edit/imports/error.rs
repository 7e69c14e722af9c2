//! Why an import a plan names cannot be read, or cannot be added to a file.

/// An import spec that is not one remedy can add: the text is quoted so the plan can be fixed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub(crate) enum ImportSpecError {
    #[error("`{text}` is not a Python import statement (expected `import a.b`, `import a as b` or `from a import b`)")]
    NotAnImport { text: String },
    #[error("`{text}` is a relative import; an import added by a plan names its module in full")]
    Relative { text: String },
    #[error("`{text}` is a star import; name the imported names so that remedy can check them")]
    Star { text: String },
    #[error("`{text}` is a `from __future__` import, which changes how the file is compiled and is not added by remedy")]
    Future { text: String },
}

/// Why the imports asked for cannot be added to a file.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub(crate) enum ImportError {
    /// The name the import binds already means something else at module level.
    #[error("`{import}` would bind `{name}`, which line {line} already binds to something else")]
    NameTaken {
        import: String,
        name: String,
        line: usize,
    },
    /// The file would have more syntax errors with the import than without.
    #[error("adding `{import}` would leave a Python syntax error")]
    BreaksSyntax { import: String },
    /// Two of the imports asked for bind the same name to different things.
    #[error("`{first}` and `{second}` both bind `{name}`")]
    Contradictory {
        first: String,
        second: String,
        name: String,
    },
}
