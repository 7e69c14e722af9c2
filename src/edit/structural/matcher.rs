//! Matching a compiled pattern against a parsed Python file, node by node: metavariables bind the
//! text they match, `$$$` takes any number of siblings, parentheses are looked through, and the
//! symbol matches whatever the file's imports resolve to it.

use std::cell::RefCell;
use std::ops::Range;

use tree_sitter::Node;

use super::metavar::SYMBOL_BINDING;
use super::pattern::{PNode, Pattern};
use super::syntax::{code_children, is_name_position, unparenthesize};
use crate::edit::python;
use crate::edit::symbols::{FileSymbols, ModuleIndex, Resolution};
use crate::tree::paths::RelPath;

/// One match: the matched node's byte range and what its metavariables matched.
#[derive(Debug, Clone)]
pub(crate) struct Match {
    pub(crate) range: Range<usize>,
    pub(super) bindings: Vec<Binding>,
}

/// What one metavariable matched.
#[derive(Debug, Clone)]
pub(super) struct Binding {
    pub(super) name: String,
    pub(super) range: Range<usize>,
    /// For a `$$$` that takes the first statements of a block: the block's layout, from right
    /// after the header's `:` to the end of the statements (of the block, with its trailing
    /// comments, when they are its last). A rewrite that puts the statements back as a block body
    /// copies this, so the line break, the comments and the indentation stay as they were (or the
    /// body stays on the header's line when it was written there).
    pub(super) body: Option<Range<usize>>,
}

impl Match {
    /// What the metavariable `name` matched.
    pub(super) fn binding(&self, name: &str) -> Option<&Binding> {
        self.bindings.iter().find(|b| b.name == name)
    }
}

/// A file parsed once for all the structural edits and checks that look at it.
/// A [`ParsedFile`] of some parts, held apart from its content (see [`ParsedFile::kept_parts`]).
pub(crate) struct KeptParts {
    tree: tree_sitter::Tree,
    offset: usize,
    parts: Vec<Range<usize>>,
    symbols: std::sync::Arc<FileSymbols>,
}

impl KeptParts {
    /// Bytes of source the tree is of.
    pub(crate) fn len(&self) -> usize {
        self.parts.iter().map(|p| p.len()).sum()
    }
}

pub(crate) struct ParsedFile<'a> {
    pub(crate) content: &'a str,
    pub(crate) rel: &'a RelPath,
    pub(super) tree: tree_sitter::Tree,
    /// Length of a byte-order mark the parser did not see: tree offsets + this = content offsets.
    pub(super) offset: usize,
    pub(super) modules: &'a ModuleIndex,
    /// The parts of `content` the tree was parsed from (see `python::parse_parts`); none when it
    /// is the whole file's.
    parts: Vec<Range<usize>>,
    symbols: std::cell::OnceCell<std::sync::Arc<FileSymbols>>,
}

impl<'a> ParsedFile<'a> {
    pub(crate) fn parse(
        content: &'a str,
        rel: &'a RelPath,
        modules: &'a ModuleIndex,
    ) -> Option<ParsedFile<'a>> {
        let (tree, offset) = python::parse(content)?;
        Some(ParsedFile::of_tree(
            content,
            rel,
            modules,
            tree,
            offset,
            Vec::new(),
        ))
    }

    /// The file at `rel` holding `content`, with only `parts` of it parsed (see
    /// `python::parse_parts`): what lies between them is not in the tree, nor in its symbols.
    pub(crate) fn parse_parts(
        content: &'a str,
        rel: &'a RelPath,
        modules: &'a ModuleIndex,
        parts: Vec<Range<usize>>,
    ) -> Option<ParsedFile<'a>> {
        let (tree, offset) = python::parse_parts(content, &parts)?;
        Some(ParsedFile::of_tree(
            content, rel, modules, tree, offset, parts,
        ))
    }

    /// What of this file can rebuild it for the same content and path without the caches (see
    /// [`ParsedFile::rebuilt`]): its tree, the parts it is of, and its symbols.
    pub(crate) fn kept_parts(&self) -> KeptParts {
        KeptParts {
            tree: self.tree.clone(),
            offset: self.offset,
            parts: self.parts.clone(),
            symbols: std::sync::Arc::clone(self.symbols_arc()),
        }
    }

    /// The file `kept` was taken from: `content` and `rel` must be that file's.
    pub(crate) fn rebuilt(
        content: &'a str,
        rel: &'a RelPath,
        modules: &'a ModuleIndex,
        kept: &KeptParts,
    ) -> ParsedFile<'a> {
        let file = ParsedFile::of_tree(
            content,
            rel,
            modules,
            kept.tree.clone(),
            kept.offset,
            kept.parts.clone(),
        );
        let _ = file.symbols.set(kept.symbols.clone());
        file
    }

    fn of_tree(
        content: &'a str,
        rel: &'a RelPath,
        modules: &'a ModuleIndex,
        tree: tree_sitter::Tree,
        offset: usize,
        parts: Vec<Range<usize>>,
    ) -> ParsedFile<'a> {
        ParsedFile {
            content,
            rel,
            tree,
            offset,
            modules,
            parts,
            symbols: std::cell::OnceCell::new(),
        }
    }

    /// The tree's root node.
    pub(crate) fn root(&self) -> Node<'_> {
        self.tree.root_node()
    }

    /// Where a node of the tree lies in the content.
    pub(crate) fn span(&self, node: Node) -> Range<usize> {
        self.range(node)
    }

    /// The offset in the tree of a byte offset in the content.
    pub(crate) fn tree_offset(&self, at: usize) -> usize {
        at.saturating_sub(self.offset)
    }

    /// Whether the parser met a syntax error anywhere in the file.
    pub(crate) fn has_error(&self) -> bool {
        self.tree.root_node().has_error()
    }

    pub(super) fn text(&self, node: Node) -> &'a str {
        &self.content[self.range(node)]
    }

    fn range(&self, node: Node) -> Range<usize> {
        node.start_byte() + self.offset..node.end_byte() + self.offset
    }

    pub(crate) fn symbols(&self) -> &FileSymbols {
        self.symbols_arc()
    }

    fn symbols_arc(&self) -> &std::sync::Arc<FileSymbols> {
        self.symbols.get_or_init(|| {
            crate::edit::tree_cache::symbols_of(
                self.content,
                &self.parts,
                &self.tree,
                self.offset,
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

/// Whether a pattern node is the comma that separates siblings.
fn is_comma(p: &PNode) -> bool {
    matches!(p, PNode::Leaf { kind: ",", .. })
}

/// Where the layout of `block` begins: right after the `:` of its header (tree offsets).
fn block_layout_start(block: Node) -> Option<usize> {
    let mut at = block.prev_sibling();
    while let Some(n) = at {
        if n.kind() == ":" {
            return Some(n.end_byte());
        }
        if !n.is_extra() {
            return None;
        }
        at = n.prev_sibling();
    }
    None
}

/// The symbol nodes a matcher let match although their names resolve to nothing: each node's
/// range, with the reason.
pub(super) type UnresolvedSink = RefCell<Vec<(Range<usize>, Resolution)>>;

/// Matches one pattern against the nodes of one file.
pub(super) struct Matcher<'f, 'a> {
    pub(super) file: &'f ParsedFile<'a>,
    pub(super) pattern: &'f Pattern,
    /// Whether the pattern is a context (`inside`, `not_inside`): there the `as` target of a
    /// `with` item or an `except` clause is optional unless the pattern writes one, since a reader of
    /// `with pytest.raises($$$E): $$$BODY` means every such block, named or not.
    pub(super) context: bool,
    /// Where the symbol's node goes when its name spells the symbol but resolves to no qualified
    /// name: given, the symbol matches such a node (with the reason it did not resolve, by the
    /// node's range), so that the query can list the site as unresolved rather than lose it.
    pub(super) unresolved: Option<&'f UnresolvedSink>,
    /// The last names a reference to the symbol can end with, found the first time a node is
    /// tried as the symbol (see [`Matcher::may_name_symbol`]).
    pub(super) symbol_names: std::cell::OnceCell<Vec<String>>,
    /// The names the file imports the symbol under (see [`Matcher::aliases`]).
    pub(super) symbol_aliases: std::cell::OnceCell<Vec<String>>,
}

impl<'f, 'a> Matcher<'f, 'a> {
    /// A matcher of a main pattern: exact, and a symbol must resolve.
    pub(super) fn new(file: &'f ParsedFile<'a>, pattern: &'f Pattern) -> Matcher<'f, 'a> {
        Matcher {
            file,
            pattern,
            context: false,
            unresolved: None,
            symbol_names: std::cell::OnceCell::new(),
            symbol_aliases: std::cell::OnceCell::new(),
        }
    }
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

    /// Whether `node`, whose name resolves to nothing, is spelled as the symbol would be: a bare
    /// name equal to its last part, or an attribute chain ending with it whose first name is not
    /// bound locally (a parameter's `obj.get_websocket_manager` is some other object's method).
    fn spells_symbol(&self, node: Node, symbol: &str) -> bool {
        let last = symbol.rsplit('.').next().unwrap_or(symbol);
        match node.kind() {
            "identifier" => self.file.text(node) == last,
            "attribute" => {
                let named = node
                    .child_by_field_name("attribute")
                    .is_some_and(|a| self.file.text(a) == last);
                let mut root = node;
                while let Some(object) = root
                    .child_by_field_name("object")
                    .filter(|_| root.kind() == "attribute")
                {
                    root = object;
                }
                let file = self.file;
                named
                    && root.kind() == "identifier"
                    && file
                        .symbols()
                        .explain(root, &|n| file.text(n), file.modules)
                        != Resolution::Local
            }
            _ => false,
        }
    }

    /// Whether `node` can refer to `symbol` at all, before its name is resolved through the
    /// modules it imports (which may parse them): a reference ends with the symbol's own last
    /// name or its definition's, or is a name the file imports under another name
    /// (`from m import target as alias`). A name that another module re-exports under a new name
    /// is not followed unless the file imports it under that name too; such a file rarely holds
    /// the symbol's name, which the tree's scan looks for first.
    fn may_name_symbol(&self, node: Node, symbol: &str) -> bool {
        let last = match node.kind() {
            "identifier" => self.file.text(node),
            "attribute" => match node.child_by_field_name("attribute") {
                Some(a) => self.file.text(a),
                None => return true,
            },
            _ => return true,
        };
        let names = self.symbol_names(symbol);
        names.iter().any(|n| n == last)
            || (node.kind() == "identifier" && self.aliases(symbol).iter().any(|a| a == last))
    }

    /// The last names a reference to `symbol` can end with: its own last name, and its
    /// definition's when a re-export renames it.
    fn symbol_names(&self, symbol: &str) -> &[String] {
        self.symbol_names
            .get_or_init(|| last_names(symbol, self.file.modules))
    }

    /// The names the file imports `symbol` under (`from m import target as alias`). Only a file
    /// whose text has one of the symbol's names followed by `as` can have one, so other files are
    /// not analysed for them.
    fn aliases(&self, symbol: &str) -> &[String] {
        self.symbol_aliases.get_or_init(|| {
            let names = self.symbol_names(symbol);
            let text = &self.file.content[self.file.offset..];
            let may_alias = names.iter().any(|n| {
                crate::edit::literal::Word::new(n)
                    .find_iter(text)
                    .any(|at| followed_by_as(&text[at + n.len()..]))
            });
            if may_alias {
                self.file.symbols().aliases_of(names)
            } else {
                Vec::new()
            }
        })
    }

    /// Every name a reference to the pattern's symbol in this file holds one of: its last names
    /// and the names the file imports it under. Empty when the pattern has no symbol.
    pub(super) fn symbol_spellings(&self) -> Vec<String> {
        let Some(symbol) = self.pattern.symbol.clone() else {
            return Vec::new();
        };
        let mut all = self.symbol_names(&symbol).to_vec();
        all.extend(self.aliases(&symbol).iter().cloned());
        all
    }

    fn bind(&self, name: &str, range: Range<usize>, bindings: &mut Vec<Binding>) -> bool {
        self.bind_body(name, range, None, bindings)
    }

    fn bind_body(
        &self,
        name: &str,
        range: Range<usize>,
        body: Option<Range<usize>>,
        bindings: &mut Vec<Binding>,
    ) -> bool {
        let content = self.file.content;
        if let Some(seen) = bindings.iter().find(|b| b.name == name) {
            return content[seen.range.clone()] == content[range];
        }
        bindings.push(Binding {
            name: name.to_string(),
            range,
            body,
        });
        true
    }

    fn node(
        &self,
        p: &PNode,
        s: Node,
        bindings: &mut Vec<Binding>,
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
                if !self.may_name_symbol(inner, &symbol) {
                    return false;
                }
                let resolution = file
                    .symbols()
                    .explain(inner, &|n| file.text(n), file.modules);
                let hit = match resolution {
                    Resolution::Qualified(q) => file.modules.same_symbol(&q, &symbol),
                    // A name that resolves to some other qualified name is simply not the
                    // symbol; one that resolves to nothing may be it.
                    Resolution::NotAName => false,
                    why => match self.unresolved {
                        Some(sink) if self.spells_symbol(inner, &symbol) => {
                            sink.borrow_mut().push((file.range(s), why));
                            true
                        }
                        _ => false,
                    },
                };
                hit && self.bind(SYMBOL_BINDING, file.range(s), bindings)
            }
            PNode::Inner { kind, .. } | PNode::Leaf { kind, .. }
                if self.context
                    && *kind != "as_pattern"
                    && s.kind() == "as_pattern"
                    && s.parent()
                        .is_some_and(|p| matches!(p.kind(), "with_item" | "except_clause")) =>
            {
                // `with pytest.raises(E) as e:` holds `pytest.raises(E)` as its value, and
                // `except TypeError as exc:` holds `TypeError`.
                s.named_child(0)
                    .is_some_and(|value| self.node(p, value, bindings, look_through_parens))
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
        bindings: &mut Vec<Binding>,
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
                        // A trailing comment of the block belongs to its body too.
                        let end = if from + take == kids.len() {
                            parent.end_byte() + self.file.offset
                        } else {
                            range.end
                        };
                        let body = (from == 0 && take > 0 && parent.kind() == "block")
                            .then(|| block_layout_start(parent))
                            .flatten()
                            .map(|at| at + self.file.offset..end.max(range.end));
                        self.bind_body(n, range, body, bindings)
                    }
                    None => true,
                };
                if ok && self.sequence(rest, kids, from + take, parent, bindings) {
                    return true;
                }
                bindings.truncate(mark);
            }
            // `$$$B, x` also matches `x` alone: a `$$$` that takes nothing takes the comma that
            // separates it from its neighbour with it.
            if let Some((comma, after)) = rest.split_first() {
                if is_comma(comma) && self.empty_multi(name, kids, from, parent, bindings, after) {
                    return true;
                }
            }
            return false;
        }
        // `x, $$$REST` also matches `x` alone, for the same reason.
        if let Some((PNode::Multi(name), after)) = rest.split_first() {
            if is_comma(first)
                && kids.get(from).is_none_or(|k| k.kind() != ",")
                && self.empty_multi(name, kids, from, parent, bindings, after)
            {
                return true;
            }
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

    /// Binds the `$$$` `name` to nothing at `kids[from]` (its separator comma left out of the
    /// pattern) and matches `after` from there.
    fn empty_multi(
        &self,
        name: &Option<String>,
        kids: &[Node],
        from: usize,
        parent: Node,
        bindings: &mut Vec<Binding>,
        after: &[PNode],
    ) -> bool {
        let mark = bindings.len();
        let at = kids.get(from).map_or(parent.end_byte(), |k| k.start_byte()) + self.file.offset;
        let ok = match name {
            Some(n) => self.bind(n, at..at, bindings),
            None => true,
        };
        if ok && self.sequence(after, kids, from, parent, bindings) {
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

/// Whether `rest` (the text after a name) starts with the keyword `as`, after any whitespace
/// and line continuations.
fn followed_by_as(rest: &str) -> bool {
    let rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '\\');
    rest.strip_prefix("as")
        .is_some_and(|after| after.starts_with(|c: char| c.is_whitespace()))
}

/// The last names a reference to `symbol` can end with: its own last name, and its definition's
/// (through `modules`) when a re-export renames it.
pub(crate) fn last_names(symbol: &str, modules: &ModuleIndex) -> Vec<String> {
    let mut names = vec![last_part(symbol).to_string()];
    let canonical = modules.canonical(symbol);
    if last_part(&canonical) != names[0] {
        names.push(last_part(&canonical).to_string());
    }
    names
}

/// The name `import ... NAME as ALIAS` gives when `rest` is what follows `NAME`.
pub(crate) fn alias_after(rest: &str) -> Option<&str> {
    let rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '\\');
    let after = rest
        .strip_prefix("as")
        .filter(|after| after.starts_with(|c: char| c.is_whitespace()))?;
    let alias = after.trim_start_matches(|c: char| c.is_whitespace() || c == '\\');
    let len = alias
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(alias.len());
    (len > 0).then(|| &alias[..len])
}

/// The last part of a dotted name.
fn last_part(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use crate::edit::structural::testing::{found, query, rel};
    use crate::edit::structural::{ParsedFile, Pattern, Query};
    use crate::edit::symbols::ModuleIndex;

    /// A symbol is matched through the names a file imports it under and through re-exports,
    /// while calls that cannot name it are never resolved, so the modules they lead to are never
    /// parsed.
    #[test]
    fn only_names_that_can_refer_to_the_symbol_are_resolved() {
        let index = ModuleIndex::new(Box::new(|r: &crate::tree::paths::RelPath| {
            match r.as_str() {
                "app/__init__.py" => Some("from .wm import get_manager as get_manager\n".into()),
                "app/wm.py" => Some("def get_manager():\n    pass\n".into()),
                "app/big.py" => Some("def helper():\n    pass\n".into()),
                "app/other.py" => Some("def unrelated():\n    pass\n".into()),
                _ => None,
            }
        }));
        let q =
            Query::new(Pattern::compile("get_manager($$$A)", Some("app.wm.get_manager")).unwrap());
        let src = "import app\nimport app.big\nfrom app.wm import get_manager as gm\nfrom app.other import unrelated\n\ngm(1)\napp.get_manager(2)\napp.big.helper(3)\nunrelated(4)\n";
        let path = rel("user.py");
        let file = ParsedFile::parse(src, &path, &index).unwrap();
        let got: Vec<&str> = q
            .find(&file)
            .iter()
            .map(|m| &src[m.range.clone()])
            .collect();
        assert_eq!(got, vec!["gm(1)", "app.get_manager(2)"]);
        // `app` (for the re-export) and `app.wm` (the definition) are looked into; neither
        // `app.big` nor `app.other` is.
        assert_eq!(index.loaded(), 2);
    }

    #[test]
    fn a_multi_next_to_a_comma_matches_nothing_and_the_comma_with_it() {
        assert_eq!(found(&query("f($$$B, x)"), "f(x)\n"), vec!["f(x)"]);
        assert_eq!(found(&query("f(x, $$$REST)"), "f(x)\n"), vec!["f(x)"]);
        assert_eq!(
            found(
                &query("$M.send_to_user($USER, $$$REST)"),
                "m.send_to_user(uid)\n"
            ),
            vec!["m.send_to_user(uid)"]
        );
        assert_eq!(found(&query("f($$$A, x, $$$B)"), "f(x)\n"), vec!["f(x)"]);
        // The same in the other lists whose siblings commas separate.
        assert_eq!(found(&query("[$$$A, x]"), "y = [x]\n"), vec!["[x]"]);
        assert_eq!(found(&query("(x, $$$A)"), "y = (x, 1)\n"), vec!["(x, 1)"]);
        assert_eq!(found(&query("a[x, $$$A]"), "y = a[x]\n"), vec!["a[x]"]);
        assert_eq!(
            found(
                &query("{'k': v, $$$REST}"),
                "x = {'k': v}\ny = {'k': v, 'a': 1}\n"
            ),
            vec!["{'k': v}", "{'k': v, 'a': 1}"]
        );
        assert_eq!(
            found(
                &query("{$$$REST, 'k': v}"),
                "x = {'k': v}\ny = {'a': 1, 'k': v}\n"
            ),
            vec!["{'k': v}", "{'a': 1, 'k': v}"]
        );
        assert_eq!(
            found(
                &query("def f(self, $$$P): $$$B"),
                "def f(self):\n    pass\n"
            )
            .len(),
            1
        );
        assert_eq!(
            found(&query("from m import x, $$$NAMES"), "from m import x\n"),
            vec!["from m import x"]
        );
        assert_eq!(
            found(
                &query("from m import x, $$$NAMES"),
                "from m import x, y, z\n"
            ),
            vec!["from m import x, y, z"]
        );
        // A comma the pattern needs is still needed when the `$$$` takes something.
        assert!(found(&query("f($$$B, x)"), "f(y)\n").is_empty());
        assert!(found(&query("f(x, $$$REST)"), "f(y)\n").is_empty());
    }

    #[test]
    fn trailing_commas_in_the_source_still_match() {
        assert_eq!(found(&query("f(x, $$$REST)"), "f(x,)\n"), vec!["f(x,)"]);
        assert_eq!(
            found(&query("f(x, $$$REST)"), "f(\n    x,\n    y,\n)\n").len(),
            1
        );
    }
}
