//! Matching a compiled pattern against a parsed Python file, node by node: metavariables bind the
//! text they match, `$$$` takes any number of siblings, parentheses are looked through, and the
//! symbol matches whatever the file's imports resolve to it.

use std::ops::Range;

use tree_sitter::Node;

use super::metavar::SYMBOL_BINDING;
use super::pattern::{PNode, Pattern};
use super::syntax::{code_children, is_name_position, unparenthesize};
use crate::edit::python;
use crate::edit::symbols::{FileSymbols, ModuleIndex};
use crate::tree::paths::RelPath;

/// One match: the matched node's byte range and what its metavariables matched.
#[derive(Debug, Clone)]
pub(crate) struct Match {
    pub(crate) range: Range<usize>,
    pub(super) bindings: Vec<(String, Range<usize>)>,
}

/// A file parsed once for all the structural edits and checks that look at it.
pub(crate) struct ParsedFile<'a> {
    pub(crate) content: &'a str,
    pub(crate) rel: &'a RelPath,
    pub(super) tree: tree_sitter::Tree,
    /// Length of a byte-order mark the parser did not see: tree offsets + this = content offsets.
    offset: usize,
    modules: &'a ModuleIndex,
    symbols: std::cell::OnceCell<FileSymbols>,
}

impl<'a> ParsedFile<'a> {
    pub(crate) fn parse(
        content: &'a str,
        rel: &'a RelPath,
        modules: &'a ModuleIndex,
    ) -> Option<ParsedFile<'a>> {
        let (tree, offset) = python::parse(content)?;
        Some(ParsedFile {
            content,
            rel,
            tree,
            offset,
            modules,
            symbols: std::cell::OnceCell::new(),
        })
    }

    /// Whether the parser met a syntax error anywhere in the file.
    pub(crate) fn has_error(&self) -> bool {
        self.tree.root_node().has_error()
    }

    fn text(&self, node: Node) -> &'a str {
        &self.content[self.range(node)]
    }

    fn range(&self, node: Node) -> Range<usize> {
        node.start_byte() + self.offset..node.end_byte() + self.offset
    }

    fn symbols(&self) -> &FileSymbols {
        self.symbols.get_or_init(|| {
            FileSymbols::build(
                self.tree.root_node(),
                &self.content[self.offset..],
                self.rel,
            )
        })
    }

    /// Ranges of comments that lie inside `range`.
    pub(super) fn comments_in(&self, range: &Range<usize>) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let start = range.start.saturating_sub(self.offset);
        let end = range.end.saturating_sub(self.offset);
        let Some(node) = self
            .tree
            .root_node()
            .descendant_for_byte_range(start, end.max(start))
        else {
            return out;
        };
        // The smallest node around the range may start inside a comment; look from its parent.
        let top = node.parent().unwrap_or(node);
        let mut stack = vec![top];
        while let Some(n) = stack.pop() {
            if n.end_byte() <= start || n.start_byte() >= end {
                continue;
            }
            if n.kind() == "comment" && n.start_byte() >= start && n.end_byte() <= end {
                out.push(self.range(n));
                continue;
            }
            let mut cursor = n.walk();
            stack.extend(n.children(&mut cursor));
        }
        out
    }
}

/// Matches one pattern against the nodes of one file.
pub(super) struct Matcher<'f, 'a> {
    pub(super) file: &'f ParsedFile<'a>,
    pub(super) pattern: &'f Pattern,
}

impl Matcher<'_, '_> {
    /// Matches the query's pattern at `node` itself (no parenthesis is looked through here: the
    /// node inside the parentheses is visited on its own).
    pub(super) fn match_root(&self, node: Node) -> Option<Match> {
        let root = &self.pattern.root;
        match root.kind() {
            Some(kind) if node.kind() != kind => return None,
            // A pattern that is only the symbol matches expressions: not the `NAME` of `obj.NAME`,
            // nor the names an import statement spells.
            None if !matches!(node.kind(), "identifier" | "attribute")
                || is_name_position(node)
                || node.parent().is_some_and(|p| {
                    matches!(
                        p.kind(),
                        "dotted_name" | "aliased_import" | "relative_import"
                    )
                }) =>
            {
                return None
            }
            _ => {}
        }
        let mut bindings = Vec::new();
        self.node(root, node, &mut bindings, false).then(|| Match {
            range: self.file.range(node),
            bindings,
        })
    }

    fn bind(
        &self,
        name: &str,
        range: Range<usize>,
        bindings: &mut Vec<(String, Range<usize>)>,
    ) -> bool {
        let content = self.file.content;
        if let Some((_, seen)) = bindings.iter().find(|(n, _)| n == name) {
            return content[seen.clone()] == content[range];
        }
        bindings.push((name.to_string(), range));
        true
    }

    fn node(
        &self,
        p: &PNode,
        s: Node,
        bindings: &mut Vec<(String, Range<usize>)>,
        look_through_parens: bool,
    ) -> bool {
        match p {
            PNode::Meta(name) | PNode::Multi(name) => match name {
                Some(n) => self.bind(n, self.file.range(s), bindings),
                None => true,
            },
            PNode::Symbol => {
                let inner = unparenthesize(s);
                let Some(symbol) = self.pattern.symbol.clone() else {
                    return false;
                };
                let file = self.file;
                let resolved = file.symbols().resolve(inner, &|n| file.text(n));
                let hit = resolved.is_some_and(|q| file.modules.same_symbol(&q, &symbol));
                hit && self.bind(SYMBOL_BINDING, file.range(s), bindings)
            }
            PNode::Leaf { kind, text } => {
                let s = if look_through_parens && *kind != "parenthesized_expression" {
                    unparenthesize(s)
                } else {
                    s
                };
                s.kind() == *kind && self.file.text(s) == text
            }
            PNode::Inner { kind, children } => {
                let s = if look_through_parens && *kind != "parenthesized_expression" {
                    unparenthesize(s)
                } else {
                    s
                };
                if s.kind() != *kind {
                    return false;
                }
                let kids = code_children(s);
                let mark = bindings.len();
                if self.sequence(children, &kids, 0, s, bindings) {
                    return true;
                }
                bindings.truncate(mark);
                false
            }
        }
    }

    /// Matches pattern children against source children `kids[from..]`; `$$$` takes any number.
    fn sequence(
        &self,
        pats: &[PNode],
        kids: &[Node],
        from: usize,
        parent: Node,
        bindings: &mut Vec<(String, Range<usize>)>,
    ) -> bool {
        let Some((first, rest)) = pats.split_first() else {
            return from == kids.len();
        };
        if let PNode::Multi(name) = first {
            // Shortest first, so a following pattern token finds its partner as early as possible.
            for take in 0..=kids.len() - from {
                let mark = bindings.len();
                let ok = match name {
                    Some(n) => {
                        let range = self.multi_range(kids, from, take, parent);
                        self.bind(n, range, bindings)
                    }
                    None => true,
                };
                if ok && self.sequence(rest, kids, from + take, parent, bindings) {
                    return true;
                }
                bindings.truncate(mark);
            }
            return false;
        }
        if from >= kids.len() {
            return false;
        }
        let mark = bindings.len();
        if self.node(first, kids[from], bindings, true)
            && self.sequence(rest, kids, from + 1, parent, bindings)
        {
            return true;
        }
        bindings.truncate(mark);
        false
    }

    /// The text `$$$` stands for when it takes `kids[from..from + take]`: between brackets it also
    /// takes the line breaks and comments after the opening and before the closing bracket, so a
    /// rewrite reproduces an argument list exactly as it was laid out.
    fn multi_range(&self, kids: &[Node], from: usize, take: usize, parent: Node) -> Range<usize> {
        let prev = from.checked_sub(1).map(|i| kids[i]);
        let next = kids.get(from + take).copied();
        let opens = prev.is_some_and(|n| matches!(n.kind(), "(" | "[" | "{"));
        let closes = next.is_some_and(|n| matches!(n.kind(), ")" | "]" | "}"));
        let start = match (take, prev) {
            (_, Some(p)) if opens => p.end_byte(),
            (0, Some(p)) => p.end_byte(),
            (0, None) => parent.start_byte(),
            _ => kids[from].start_byte(),
        };
        let end = match next {
            Some(n) if closes => n.start_byte(),
            _ if take == 0 => start,
            _ => kids[from + take - 1].end_byte(),
        };
        let end = end.max(start);
        start + self.file.offset..end + self.file.offset
    }
}
