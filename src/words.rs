//! Words for people: a count with its noun in the right number ("1 file", "2 files"), so that no
//! message or report reads "1 files" or hedges with "file(s)".

/// `n` and `noun`, plural unless `n` is 1; the nouns remedy counts all take an `s`.
pub(crate) fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `n` repositories, the one noun remedy counts whose plural is not an `s` added.
pub(crate) fn repositories(n: u64) -> String {
    if n == 1 {
        "1 repository".to_string()
    } else {
        format!("{n} repositories")
    }
}

/// [`count`] of a collection's length.
pub(crate) fn count_of<T>(items: &[T], noun: &str) -> String {
    count(items.len() as u64, noun)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_everything_else_plural() {
        assert_eq!(count(1, "file"), "1 file");
        assert_eq!(count(0, "file"), "0 files");
        assert_eq!(count(54, "site"), "54 sites");
        assert_eq!(count_of(&["a"], "suite"), "1 suite");
    }
}
