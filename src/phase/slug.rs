//! File names made from free text: the logs and JUnit files of suites are named after their phase
//! and suite, which may hold any character.

/// A file name made from free text (suite and phase names): safe characters only.
pub(crate) fn slug(text: &str) -> String {
    let s: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    s.trim_matches('-').to_string()
}
