//! Lines of a file as the import edits see them: each line break is read where it is (`\r\n` or
//! `\n`), so a file with mixed line endings keeps every line whole, and new lines take the
//! ending of the file's first line.

/// `\r\n` if the file's first line ends with it, else `\n`.
pub(crate) fn line_ending(source: &str) -> &'static str {
    match source.find('\n') {
        Some(i) if source[..i].ends_with('\r') => "\r\n",
        _ => "\n",
    }
}

/// The offset of the line break (`\r\n` or `\n`) that ends the line of `at`, or the end of text.
pub(crate) fn line_end(source: &str, at: usize) -> usize {
    match source[at..].find('\n') {
        Some(i) if source[..at + i].ends_with('\r') => at + i - 1,
        Some(i) => at + i,
        None => source.len(),
    }
}

/// The offset after the line break at `at` (`at` itself at the end of the text).
pub(crate) fn next_line(source: &str, at: usize) -> usize {
    let rest = &source[at..];
    if rest.starts_with("\r\n") {
        at + 2
    } else if rest.starts_with('\n') {
        at + 1
    } else {
        at
    }
}

/// The offset where the line of `at` starts.
pub(crate) fn line_start(source: &str, at: usize) -> usize {
    source[..at].rfind('\n').map_or(0, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_line_break_is_read_where_it_is() {
        let text = "a\r\nbc\nd";
        assert_eq!(line_ending(text), "\r\n");
        assert_eq!(line_ending("a\nb\r\n"), "\n");
        assert_eq!((line_end(text, 0), next_line(text, 1)), (1, 3));
        assert_eq!((line_end(text, 3), next_line(text, 5)), (5, 6));
        assert_eq!((line_end(text, 6), next_line(text, 7)), (7, 7));
        assert_eq!((line_start(text, 4), line_start(text, 0)), (3, 0));
    }
}
