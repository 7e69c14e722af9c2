//! Whole-word search for the literal words of a structural pattern: the test that decides whether a
//! file, or a statement of it, is parsed at all.

use memchr::memmem::Finder;

/// An identifier or keyword a match must contain, found with a vectorised substring search.
#[derive(Debug, Clone)]
pub(crate) struct Word {
    finder: Finder<'static>,
}

impl Word {
    pub(crate) fn new(word: &str) -> Word {
        Word {
            finder: Finder::new(word.as_bytes()).into_owned(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.finder.needle().len()
    }

    /// The search for the word's bytes, wherever they are (part of a longer identifier too).
    pub(crate) fn finder(&self) -> &Finder<'static> {
        &self.finder
    }

    /// The word itself.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.finder.needle()
    }

    /// Offsets of the occurrences of the word in `text` that are not part of a longer identifier.
    /// Only ASCII identifier characters count as "longer": a neighbour outside ASCII might be part
    /// of an identifier or not, and the occurrence is kept, so the test never rejects a real match.
    pub(crate) fn find_iter<'t>(&'t self, text: &'t str) -> impl Iterator<Item = usize> + 't {
        self.find_iter_bytes(text.as_bytes())
    }

    /// [`Word::find_iter`] over bytes that need not be UTF-8.
    pub(crate) fn find_iter_bytes<'t>(
        &'t self,
        bytes: &'t [u8],
    ) -> impl Iterator<Item = usize> + 't {
        let len = self.finder.needle().len();
        self.finder.find_iter(bytes).filter(move |&at| {
            let before = at.checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(at + len).copied();
            !before.is_some_and(is_ascii_ident) && !after.is_some_and(is_ascii_ident)
        })
    }

    /// Whether `bytes` contain the word on its own (`bytes` need not be UTF-8).
    pub(crate) fn is_in_bytes(&self, bytes: &[u8]) -> bool {
        self.find_iter_bytes(bytes).next().is_some()
    }
}

fn is_ascii_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_whole_words_only() {
        let w = Word::new("get_ws");
        let text = "get_ws() x.get_ws get_ws_async aget_ws get_ws2 (get_ws)";
        let found: Vec<usize> = w.find_iter(text).collect();
        let expected = vec![0, 11, text.find("(get_ws)").unwrap() + 1];
        assert_eq!(found, expected);
        assert!(!w.is_in_bytes(b"get_ws_factory()"));
        assert!(w.is_in_bytes(b"get_ws"));
    }

    #[test]
    fn a_neighbour_outside_ascii_keeps_the_occurrence() {
        // `é` may be part of an identifier; the prefilter must not be stricter than the parser.
        assert!(Word::new("await").is_in_bytes("éawait x".as_bytes()));
    }
}
