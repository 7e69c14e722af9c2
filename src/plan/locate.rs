//! Maps a key path such as `phases[3].edits[0].regex` to its line and column in the plan's YAML.
//!
//! serde gives positions only for the first error it meets while deserializing; checks that run after
//! deserializing (a regex that does not compile, a duplicate phase name) need to point at the value
//! too. This module reads the same text a second time with a YAML event parser that carries marks.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// A line and column, both starting at 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Location {
    pub(crate) line: usize,
    pub(crate) col: usize,
}

/// Where each key and value of a YAML document is.
#[derive(Debug, Default)]
pub(crate) struct Locator {
    keys: HashMap<String, Location>,
    values: HashMap<String, Location>,
    /// The second occurrence of a key written twice in one mapping.
    duplicates: HashMap<String, Location>,
}

impl Locator {
    /// Reads `text`; a document that does not parse yields an empty locator (serde reports why).
    pub(crate) fn new(text: &str) -> Self {
        let mut builder = Builder::default();
        let mut parser = Parser::new_from_str(text);
        if parser.load(&mut builder, false).is_err() {
            return Locator::default();
        }
        Locator {
            keys: builder.keys,
            values: builder.values,
            duplicates: builder.duplicates,
        }
    }

    /// Whether the key that introduces `path` is written in the plan.
    pub(crate) fn has_key(&self, path: &str) -> bool {
        self.keys.contains_key(path)
    }

    /// Where `path` (e.g. `phases[0].kind`) is written a second time in its mapping, if it is.
    pub(crate) fn duplicate_key(&self, path: &str) -> Option<Location> {
        self.duplicates.get(path).copied()
    }

    /// The location of the value at `path`, falling back to the nearest enclosing value.
    pub(crate) fn value(&self, path: &str) -> Option<Location> {
        let mut path = path;
        loop {
            if let Some(loc) = self.values.get(path) {
                return Some(*loc);
            }
            path = parent(path)?;
        }
    }

    /// The location of the key that introduces `path` (for "this key is not allowed here").
    pub(crate) fn key(&self, path: &str) -> Option<Location> {
        self.keys.get(path).copied().or_else(|| self.value(path))
    }
}

/// `a.b[2]` → `a.b`, `a.b` → `a`, `a` → ``.
fn parent(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    let cut = path.rfind(['.', '[']).unwrap_or(0);
    Some(&path[..cut])
}

fn location(mark: Marker) -> Location {
    Location {
        line: mark.line(),
        col: mark.col() + 1,
    }
}

enum Frame {
    Mapping {
        path: String,
        key: Option<String>,
        /// No key read yet: the first key fixes where a block mapping starts.
        first: bool,
    },
    Sequence {
        path: String,
        index: usize,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    keys: HashMap<String, Location>,
    values: HashMap<String, Location>,
    duplicates: HashMap<String, Location>,
}

impl Builder {
    /// Decides the path of the node that starts at `mark`; `None` when the node is a mapping key.
    fn node_path(&mut self, scalar: Option<&str>, mark: Marker) -> Option<String> {
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Sequence { path, index }) => {
                let p = format!("{path}[{index}]");
                *index += 1;
                Some(p)
            }
            Some(Frame::Mapping { path, key, first }) => match key.take() {
                Some(k) => Some(if path.is_empty() {
                    k
                } else {
                    format!("{path}.{k}")
                }),
                None => {
                    let k = scalar.unwrap_or("?").to_string();
                    let full = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    let at = location(mark);
                    // The parser marks a block mapping where its first `:` is; a reader expects
                    // the mapping to start where its first key does.
                    if std::mem::take(first) {
                        if let Some(start) = self.values.get_mut(path.as_str()) {
                            if (at.line, at.col) < (start.line, start.col) {
                                *start = at;
                            }
                        }
                    }
                    match self.keys.entry(full) {
                        Entry::Occupied(first) => {
                            self.duplicates.entry(first.key().clone()).or_insert(at);
                        }
                        Entry::Vacant(slot) => {
                            slot.insert(at);
                        }
                    }
                    *key = Some(k);
                    None
                }
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(value, ..) => {
                if let Some(p) = self.node_path(Some(&value), mark) {
                    self.values.entry(p).or_insert(location(mark));
                }
            }
            Event::Alias(_) => {
                if let Some(p) = self.node_path(Some("*"), mark) {
                    self.values.entry(p).or_insert(location(mark));
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let p = self.node_path(None, mark).unwrap_or_else(|| "?".into());
                self.values.entry(p.clone()).or_insert(location(mark));
                self.stack.push(if matches!(ev, Event::MappingStart(..)) {
                    Frame::Mapping {
                        path: p,
                        key: None,
                        first: true,
                    }
                } else {
                    Frame::Sequence { path: p, index: 0 }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_values_and_keys() {
        let text = "id: x\nphases:\n  - name: a\n    kind: patch\n    edits:\n      - { name: e, regex: '(' }\n";
        let loc = Locator::new(text);
        assert_eq!(loc.value("id"), Some(Location { line: 1, col: 5 }));
        assert_eq!(
            loc.value("phases[0].kind"),
            Some(Location { line: 4, col: 11 })
        );
        assert_eq!(
            loc.key("phases[0].kind"),
            Some(Location { line: 4, col: 5 })
        );
        assert_eq!(
            loc.value("phases[0].edits[0].regex"),
            Some(Location { line: 6, col: 27 })
        );
        // A missing key falls back to its enclosing mapping.
        assert_eq!(loc.value("phases[0].nothing"), loc.value("phases[0]"));
    }

    #[test]
    fn block_mapping_starts_at_its_first_key() {
        let text = "id: x\nphases:\n  - name: a\n    kind: validate\n";
        let loc = Locator::new(text);
        assert_eq!(loc.value(""), Some(Location { line: 1, col: 1 }));
        assert_eq!(loc.value("phases[0]"), Some(Location { line: 3, col: 5 }));
        // A flow mapping still starts at its brace.
        let loc = Locator::new("id: x\nphases: [{ name: a, kind: report }]\n");
        assert_eq!(loc.value("phases[0]"), Some(Location { line: 2, col: 10 }));
    }

    #[test]
    fn records_the_second_of_two_equal_keys() {
        let text = "id: x\nphases:\n  - name: a\n    kind: report\n    kind: patch\n";
        let loc = Locator::new(text);
        assert_eq!(
            loc.key("phases[0].kind"),
            Some(Location { line: 4, col: 5 })
        );
        assert_eq!(
            loc.duplicate_key("phases[0].kind"),
            Some(Location { line: 5, col: 5 })
        );
        assert_eq!(loc.duplicate_key("phases[0].name"), None);
        assert!(loc.has_key("phases[0].name"));
        assert!(!loc.has_key("phases[0].edits"));
    }
}
