//! Where two versions of a text differ.

/// Common prefix and suffix of two strings, on character boundaries: returns the start of the
/// differing middle and its end in `old` and in `new`.
pub(crate) fn differing(old: &str, new: &str) -> (usize, usize, usize) {
    let mut prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let max_suffix = old.len().min(new.len()) - prefix;
    let mut suffix = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    (prefix, old.len() - suffix, new.len() - suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_on_character_boundaries() {
        assert_eq!(differing("await é()", "é()"), (0, 6, 0));
        assert_eq!(differing("aé", "aè"), (1, 3, 3));
        assert_eq!(differing("same", "same"), (4, 4, 4));
    }
}
