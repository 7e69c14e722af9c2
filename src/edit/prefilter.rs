//! What a file must contain for an edit to change it, in a form that is tested chunk by chunk while
//! the file is read.
//!
//! Almost every file of a tree holds no site. Reading such a file through a small buffer that stays
//! in the processor's cache, and testing each chunk as it arrives, costs about half of what reading
//! it whole into a buffer the size of the file costs; only the files that pass are read whole. The
//! tests here are necessary conditions only: a file that passes is then searched for real.

use memchr::memmem::Finder;
use regex_syntax::hir::literal::{ExtractKind, Extractor};

use super::literal::Word;
use crate::tree::absent::Needle;

/// More alternatives than this and a regex's literals are not worth testing one by one.
const MAX_ALTERNATIVES: usize = 16;

/// Byte strings a file must contain for an edit to match in it.
#[derive(Debug, Clone)]
pub(crate) enum Needles {
    /// This word on its own (not part of a longer identifier): the longest literal word of a
    /// structural pattern, which every match contains.
    Word(Box<Word>),
    /// At least one of these strings: every match of a regex starts with one of them, or every
    /// match ends with one of them.
    AnyOf(Vec<Finder<'static>>),
    /// No such strings are known: the whole file is searched.
    Unknown,
}

impl Needles {
    /// The strings every match of `pattern` starts with, or those every match ends with, whichever
    /// set has the longer shortest member (the rarer one, as a rule).
    pub(crate) fn of_regex(pattern: &str) -> Needles {
        let Ok(hir) = regex_syntax::Parser::new().parse(pattern) else {
            return Needles::Unknown;
        };
        let best = [ExtractKind::Prefix, ExtractKind::Suffix]
            .into_iter()
            .filter_map(|kind| {
                let seq = Extractor::new().kind(kind).extract(&hir);
                // An infinite set means "anything"; an empty string matches everywhere.
                let literals = seq.literals()?;
                let shortest = literals.iter().map(|l| l.as_bytes().len()).min()?;
                (shortest > 0 && literals.len() <= MAX_ALTERNATIVES).then(|| {
                    let finders: Vec<Finder<'static>> = literals
                        .iter()
                        .map(|l| Finder::new(l.as_bytes()).into_owned())
                        .collect();
                    (shortest, finders)
                })
            })
            .max_by_key(|(shortest, _)| *shortest);
        match best {
            Some((_, finders)) => Needles::AnyOf(finders),
            None => Needles::Unknown,
        }
    }

    /// At least one of these words: a named refactoring's old names.
    pub(crate) fn any_word(words: &[&str]) -> Needles {
        Needles::AnyOf(
            words
                .iter()
                .map(|w| Finder::new(w.as_bytes()).into_owned())
                .collect(),
        )
    }

    /// Whether `bytes` hold what these needles ask for (the whole file at once).
    pub(crate) fn is_in_bytes(&self, bytes: &[u8]) -> bool {
        match self {
            Needles::Unknown => true,
            Needles::AnyOf(finders) => finders.iter().any(|f| f.find(bytes).is_some()),
            Needles::Word(word) => word.is_in_bytes(bytes),
        }
    }

    /// The strings these needles stand for, each of which a file the gate turned down lacks;
    /// `None` when no strings are known.
    pub(crate) fn strings(&self) -> Option<Vec<Needle<'_>>> {
        match self {
            Needles::Unknown => None,
            Needles::Word(word) => Some(vec![Needle {
                whole_word: true,
                bytes: word.as_bytes(),
            }]),
            Needles::AnyOf(finders) => Some(
                finders
                    .iter()
                    .map(|f| Needle {
                        whole_word: false,
                        bytes: f.needle(),
                    })
                    .collect(),
            ),
        }
    }

    /// The searchers of the strings these needles stand for; `None` when no strings are known.
    fn finders(&self) -> Option<Vec<&Finder<'static>>> {
        match self {
            Needles::Unknown => None,
            Needles::Word(word) => Some(vec![word.finder()]),
            Needles::AnyOf(finders) => Some(finders.iter().collect()),
        }
    }

    /// The length of the longest string, which is how much of one chunk the next must repeat.
    fn longest(&self) -> usize {
        match self {
            Needles::Word(word) => word.len(),
            Needles::AnyOf(finders) => finders.iter().map(|f| f.needle().len()).max().unwrap_or(0),
            Needles::Unknown => 0,
        }
    }
}

/// The test a file's windows go through: the needles of the edits that apply to it.
#[derive(Debug)]
pub(crate) struct Gate<'n> {
    needles: Vec<&'n Needles>,
    /// One of the needles' strings that every other one contains, when there are several: a
    /// window without it holds none of them, and one pass over the window tells (the checks of a
    /// plan often look for names that share one, `get_manager` and `get_manager_async`).
    core: Option<&'n Finder<'static>>,
}

impl<'n> Gate<'n> {
    pub(crate) fn new(needles: Vec<&'n Needles>) -> Gate<'n> {
        let core = Gate::core_of(&needles);
        Gate { needles, core }
    }

    fn core_of(needles: &[&'n Needles]) -> Option<&'n Finder<'static>> {
        let finders: Vec<&'n Finder<'static>> = needles
            .iter()
            .map(|n| n.finders())
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect();
        if finders.len() < 2 {
            return None;
        }
        finders
            .iter()
            .filter(|core| {
                let core = core.needle();
                finders
                    .iter()
                    .all(|f| f.needle().windows(core.len()).any(|w| w == core))
            })
            .max_by_key(|core| core.needle().len())
            .copied()
    }

    /// How many bytes at the end of one window to show again at the start of the next, so that
    /// no needle is cut in two (one more than the longest, for the word-boundary test).
    pub(crate) fn overlap(&self) -> usize {
        self.needles
            .iter()
            .map(|n| n.longest() + 1)
            .max()
            .unwrap_or(0)
    }

    /// Every string these needles stand for, each of which a file this gate turned down lacks;
    /// `None` when some needles know no strings.
    pub(crate) fn strings(&self) -> Option<Vec<Needle<'n>>> {
        self.needles.iter().try_fold(Vec::new(), |mut all, n| {
            all.extend(n.strings()?);
            Some(all)
        })
    }

    /// Whether the next window of the file holds some edit's needles: from then on the file has
    /// to be read whole. A window's edges count as word boundaries, which can only let a file
    /// through, never keep one out.
    pub(crate) fn admits(&self, window: &[u8]) -> bool {
        if self.core.is_some_and(|core| core.find(window).is_none()) {
            return false;
        }
        self.needles
            .iter()
            .any(|needles| needles.is_in_bytes(window))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windows(bytes: &[u8], size: usize, overlap: usize) -> Vec<&[u8]> {
        let mut out = Vec::new();
        let mut start = 0;
        while start < bytes.len() {
            let from = start.saturating_sub(overlap);
            let end = (start + size).min(bytes.len());
            out.push(&bytes[from..end]);
            start = end;
        }
        out
    }

    /// Whether `needles` admit `text` as one window; checks that they also admit it when it
    /// arrives in windows of every size from 1 byte up (a window edge may let more through, as
    /// it hides a neighbour, but never less).
    fn admitted_in_every_split(needles: &Needles, text: &str) -> bool {
        let whole = Gate::new(vec![needles]).admits(text.as_bytes());
        for size in 1..=text.len().max(1) {
            let gate = Gate::new(vec![needles]);
            let overlap = gate.overlap();
            let split = windows(text.as_bytes(), size, overlap)
                .into_iter()
                .any(|w| gate.admits(w));
            assert!(
                split || !whole,
                "windows of {size} bytes miss the needles in {text:?}"
            );
        }
        whole
    }

    /// Names that share one: the gate looks for the shared one first, and admits exactly what
    /// asking each needle admits.
    #[test]
    fn a_string_every_needle_holds_is_looked_for_first() {
        let word = |w: &str| Needles::Word(Box::new(Word::new(w)));
        let (base, async_, legacy, other) = (
            word("get_manager"),
            word("get_manager_async"),
            word("get_manager_legacy"),
            word("unrelated"),
        );
        let shared = Gate::new(vec![&async_, &base, &legacy]);
        assert_eq!(shared.core.map(|c| c.needle()), Some(&b"get_manager"[..]));
        assert!(Gate::new(vec![&base, &other]).core.is_none());
        assert!(Gate::new(vec![&base]).core.is_none());
        let unknown = Needles::Unknown;
        assert!(Gate::new(vec![&base, &async_, &unknown]).core.is_none());
        let texts = [
            "x = get_manager()\n",
            "await get_manager_async()\n",
            "get_manager_legacy(1)\n",
            "my_get_manager_thing()\n",
            "get_manage()\n",
            "nothing here\n",
        ];
        for text in texts {
            let each = [&async_, &base, &legacy]
                .iter()
                .any(|n| n.is_in_bytes(text.as_bytes()));
            assert_eq!(shared.admits(text.as_bytes()), each, "{text:?}");
        }
    }

    #[test]
    fn a_regex_needs_its_rarest_literal_end() {
        let Needles::AnyOf(f) = Needles::of_regex(r"await\s+(get_websocket_manager\()") else {
            panic!("literals expected");
        };
        let needles: Vec<&[u8]> = f.iter().map(|f| f.needle()).collect();
        assert_eq!(needles, vec![b"get_websocket_manager(".as_slice()]);
    }

    #[test]
    fn regexes_without_a_literal_are_searched_whole() {
        for pattern in [r"\w+", r"(?s).", r"x*", "[a-z]{3}\\d"] {
            assert!(
                matches!(Needles::of_regex(pattern), Needles::Unknown),
                "{pattern}"
            );
        }
        assert!(matches!(
            Needles::of_regex("(?i)foo|bar"),
            Needles::AnyOf(_)
        ));
    }

    #[test]
    fn literals_cut_by_a_window_edge_are_still_found() {
        let regex = Needles::of_regex(r"await\s+get_ws\(");
        assert!(admitted_in_every_split(&regex, "x = 1\nawait   get_ws()\n"));
        assert!(!admitted_in_every_split(
            &regex,
            "x = 1\nawait get_ws_x()\n"
        ));
        let word = Needles::Word(Box::new(Word::new("get_ws")));
        assert!(admitted_in_every_split(&word, "await a\nb = get_ws()\n"));
        assert!(!admitted_in_every_split(&word, "await a\nb = get_ws_x()\n"));
        assert!(!admitted_in_every_split(&word, "b = xget_ws()\n"));
    }

    #[test]
    fn a_regex_match_always_passes_the_gate() {
        // Whatever the regex crate matches, the gate lets through.
        let cases = [
            (
                r"await\s+(get_\w+\()",
                "async def f():\n    await  get_x(1)\n",
            ),
            (r"(?i)FETCH_(one|all)", "r = fetch_ALL()"),
            (r"\bquux\b", "a quux b"),
            (r"colou?r", "the color"),
            (r"é+t", "ééét"),
        ];
        for (pattern, text) in cases {
            assert!(regex::Regex::new(pattern).unwrap().is_match(text));
            let needles = Needles::of_regex(pattern);
            assert!(admitted_in_every_split(&needles, text), "{pattern}");
        }
    }

    /// On real files, every file a regex or a structural pattern's word matches in passes the
    /// gate, whatever size the windows come in.
    #[test]
    fn no_real_file_with_a_match_is_kept_out() {
        let patterns = [
            r"await\s+\w+\(",
            r"def (__init__|__repr__)\(",
            r"(?i)RETURN\s+None",
            r"\bself\.[a-z]+_[a-z]+\b",
            r#"f"[^"]*\{"#,
            r"import (os|sys)$",
            r"(?m)^class \w+\(Exception\):",
            r"\n\n\n",
            r"é|ü|\u{2014}",
        ];
        let words = ["self", "return", "isinstance", "__name__", "lambda"];
        let files = crate::edit::test_corpus::python_files(1_000_000);
        let (mut admitted, mut kept_out) = (0, 0);
        for pattern in patterns {
            let regex = regex::Regex::new(pattern).unwrap();
            let needles = Needles::of_regex(pattern);
            for (path, text) in &files {
                let gate = Gate::new(vec![&needles]);
                let passes = windows(text.as_bytes(), 97, gate.overlap())
                    .into_iter()
                    .any(|w| gate.admits(w));
                if regex.is_match(text) {
                    assert!(
                        passes,
                        "{pattern} matches {} but the gate keeps it out",
                        path.display()
                    );
                    admitted += 1;
                } else if !passes {
                    kept_out += 1;
                }
            }
        }
        for word in words {
            let finder = Word::new(word);
            let needles = Needles::Word(Box::new(Word::new(word)));
            for (path, text) in &files {
                let gate = Gate::new(vec![&needles]);
                let passes = windows(text.as_bytes(), 61, gate.overlap())
                    .into_iter()
                    .any(|w| gate.admits(w));
                if finder.is_in_bytes(text.as_bytes()) {
                    assert!(
                        passes,
                        "`{word}` is in {} but the gate keeps it out",
                        path.display()
                    );
                }
            }
        }
        // The test means something only if both outcomes happen.
        assert!(
            admitted > 50 && kept_out > 50,
            "{admitted} admitted, {kept_out} kept out"
        );
    }
}
