//! Structural Python patterns: a pattern is Python code with metavariables, matched against the
//! syntax tree rather than the text, so layout, comments and strings cannot fool it.
//!
//! `$NAME` stands for one node, `$$$NAME` for any number of siblings (arguments, statements), `$_`
//! and `$$$` for the same without a name. Matching compares node kinds and token texts and skips
//! comments; a parenthesised expression in the file matches the expression inside it, so
//! `await (f(x))` is an `await f($$$A)`. With a symbol, the identifiers of a pattern that spell the
//! symbol's last name match any expression that the file's imports resolve to that qualified name
//! (see `symbols.rs`).
//!
//! The matcher works on tree-sitter-python directly rather than through a generic structural-search
//! library: it needs parentheses to be transparent, the exact bytes between an opening bracket and
//! the first argument (so a rewrite keeps arguments split over lines as they were), and a predicate
//! on the callee (symbol resolution) inside the match. docs/architecture.md says more.

use std::ops::Range;
use std::sync::Arc;

use tree_sitter::Node;

use super::literal::Word;
use super::prefilter::Needles;
use super::python;
use super::symbols::{FileSymbols, ModuleIndex};
use crate::paths::RelPath;

/// The character a `$` of a metavariable becomes before parsing: `$` is not valid in a Python
/// identifier, `µ` is (it is a letter), and no real code in a pattern uses it.
const SIGIL: char = 'µ';

/// Binding name under which the symbol's occurrences are recorded; not a valid metavariable name.
const SYMBOL_BINDING: &str = "#symbol";

/// One node of a compiled pattern.
#[derive(Debug, Clone)]
enum PNode {
    /// `$NAME` (or `$_` when the name is `None`): any one node.
    Meta(Option<String>),
    /// `$$$NAME` (or `$$$`): any number of siblings.
    Multi(Option<String>),
    /// An identifier spelling the symbol's last name: any expression that resolves to the symbol.
    Symbol,
    /// A token, compared by kind and text.
    Leaf { kind: &'static str, text: String },
    /// A node with children, compared by kind and then child by child.
    Inner {
        kind: &'static str,
        children: Vec<PNode>,
    },
}

impl PNode {
    fn kind(&self) -> Option<&'static str> {
        match self {
            PNode::Leaf { kind, .. } | PNode::Inner { kind, .. } => Some(kind),
            _ => None,
        }
    }
}

/// A compiled structural pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// The pattern as written.
    text: String,
    root: PNode,
    /// Words every match contains (identifiers and keywords), longest first: a file lacking one is
    /// not parsed.
    literals: Vec<Word>,
    /// The literals, as the test made while a file is read.
    needles: Needles,
    /// The qualified name the symbol's identifiers stand for.
    symbol: Option<Arc<str>>,
    /// Names of the metavariables the pattern binds.
    names: Vec<String>,
}

impl Pattern {
    /// Compiles `text`; `symbol` is a qualified name whose last component the pattern must mention.
    pub fn compile(text: &str, symbol: Option<&str>) -> Result<Pattern, String> {
        let prepared = prepare(text)?;
        let Some((tree, _)) = python::parse(&prepared) else {
            return Err("the Python parser is unavailable".into());
        };
        let root = tree.root_node();
        if root.has_error() {
            return Err(format!(
                "pattern `{text}` does not parse as Python{}",
                error_column(root, &prepared)
            ));
        }
        let statements: Vec<Node> = named_children(root);
        if statements.len() != 1 {
            return Err(format!(
                "pattern `{text}` has {} statements; a pattern is one expression or one statement",
                statements.len()
            ));
        }
        let mut top = statements[0];
        if top.kind() == "expression_statement" && top.named_child_count() == 1 {
            let inner = top.named_child(0).expect("one named child");
            if !is_multi_statement(inner, &prepared) {
                top = inner;
            }
        }
        let symbol_name = symbol.map(|s| s.rsplit('.').next().unwrap_or(s).to_string());
        let mut names = Vec::new();
        let root = convert(top, &prepared, symbol_name.as_deref(), &mut names);
        match &root {
            PNode::Meta(_) | PNode::Multi(_) => {
                return Err(format!(
                    "pattern `{text}` is only a metavariable, so it would match everything"
                ))
            }
            _ => {}
        }
        let mut literals = Vec::new();
        collect_literals(&root, &mut literals);
        if let Some(name) = &symbol_name {
            if !contains_symbol(&root) {
                return Err(format!(
                    "pattern `{text}` does not mention `{name}`, the last part of the symbol; write the function by that name where it is called, e.g. `{name}($$$ARGS)`"
                ));
            }
            literals.push(name.clone());
        }
        literals.sort();
        literals.dedup();
        // The longest word is usually the rarest: testing it first rejects most files soonest.
        literals.sort_by_key(|w| std::cmp::Reverse(w.len()));
        Ok(Pattern {
            text: text.to_string(),
            root,
            // Sorted longest first: the rarest word, as a rule.
            needles: literals
                .first()
                .map_or(Needles::Unknown, |w| Needles::Word(Box::new(Word::new(w)))),
            literals: literals.iter().map(|w| Word::new(w)).collect(),
            symbol: symbol.map(Arc::from),
            names,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether `content` contains every word a match needs: the test that decides whether a file
    /// is parsed at all.
    pub fn could_match(&self, content: &str) -> bool {
        self.could_match_bytes(content.as_bytes())
    }

    /// [`Pattern::could_match`] over a file's bytes, before they are decoded.
    pub fn could_match_bytes(&self, content: &[u8]) -> bool {
        self.literals.iter().all(|w| w.is_in_bytes(content))
    }
}

/// Rewrites `$` metavariables into identifiers the parser accepts, refusing lowercase names.
fn prepare(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let mut dollars = 1;
        while chars.peek() == Some(&'$') {
            chars.next();
            dollars += 1;
        }
        let next = chars.peek().copied();
        let named = next.is_some_and(|n| n.is_ascii_uppercase() || n == '_');
        // `$$$args` must be refused like `$args`, not read as `$$$` followed by the name `args`.
        let lowercase = next.is_some_and(|n| n.is_ascii_lowercase() || n.is_ascii_digit());
        match (dollars, named) {
            (1, true) => {
                out.push(SIGIL);
            }
            (3, _) if !lowercase => {
                for _ in 0..dollars {
                    out.push(SIGIL);
                }
            }
            _ => {
                return Err(format!(
                    "`{}` in `{text}` is not a metavariable; write `$NAME` (capitals, digits, `_`) for one node or `$$$NAME` for several",
                    "$".repeat(dollars) + &next.map(String::from).unwrap_or_default()
                ))
            }
        }
        if dollars == 3 && !named {
            // An anonymous `$$$` still needs an identifier character after the sigils.
            out.push('_');
        }
    }
    Ok(out)
}

/// The metavariable an identifier stands for: `(is_multi, name)`.
fn metavariable(text: &str) -> Option<(bool, Option<String>)> {
    let rest = text.strip_prefix(SIGIL)?;
    let (multi, name) = match rest.strip_prefix(SIGIL) {
        Some(r) => (true, r.strip_prefix(SIGIL)?),
        None => (false, rest),
    };
    let name = (!name.is_empty() && name != "_").then(|| name.to_string());
    Some((multi, name))
}

fn is_multi_statement(node: Node, src: &str) -> bool {
    node.kind() == "identifier" && metavariable(&src[node.byte_range()]).is_some_and(|(m, _)| m)
}

fn error_column(root: Node, src: &str) -> String {
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        if n.is_error() || n.is_missing() {
            let col = src[..n.start_byte()].chars().count() + 1;
            return format!(" (syntax error near character {col})");
        }
        let mut cursor = n.walk();
        let mut kids: Vec<Node> = n.children(&mut cursor).collect();
        kids.reverse();
        stack.extend(kids);
    }
    String::new()
}

fn named_children(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .filter(|n| !n.is_extra())
        .collect()
}

/// Children that take part in matching: everything but comments and line continuations.
fn code_children(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.children(&mut cursor)
        .filter(|n| !n.is_extra())
        .collect()
}

/// Whether `node` is the name part of its parent (`obj.NAME`, `def NAME`, `NAME=value`) rather
/// than an expression of its own.
fn is_name_position(node: Node) -> bool {
    let Some(parent) = node.parent() else {
        return false;
    };
    let mut cursor = parent.walk();
    for (i, child) in parent.children(&mut cursor).enumerate() {
        if child.id() == node.id() {
            return matches!(
                parent.field_name_for_child(i as u32),
                Some("attribute") | Some("name")
            );
        }
    }
    false
}

fn convert(node: Node, src: &str, symbol: Option<&str>, names: &mut Vec<String>) -> PNode {
    let text = &src[node.byte_range()];
    if node.kind() == "identifier" {
        if let Some((multi, name)) = metavariable(text) {
            if let Some(n) = &name {
                names.push(n.clone());
            }
            return if multi {
                PNode::Multi(name)
            } else {
                PNode::Meta(name)
            };
        }
        if Some(text) == symbol && !is_name_position(node) {
            return PNode::Symbol;
        }
    }
    if node.kind() == "expression_statement" && node.named_child_count() == 1 {
        let inner = node.named_child(0).expect("one named child");
        if is_multi_statement(inner, src) {
            return convert(inner, src, symbol, names);
        }
    }
    if node.child_count() == 0 {
        return PNode::Leaf {
            kind: node.kind(),
            text: text.to_string(),
        };
    }
    PNode::Inner {
        kind: node.kind(),
        children: code_children(node)
            .into_iter()
            .map(|c| convert(c, src, symbol, names))
            .collect(),
    }
}

fn collect_literals(node: &PNode, out: &mut Vec<String>) {
    match node {
        PNode::Leaf { text, .. } => {
            let is_word = text
                .chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && text.chars().all(|c| c.is_alphanumeric() || c == '_');
            if is_word {
                out.push(text.clone());
            }
        }
        PNode::Inner { children, .. } => children.iter().for_each(|c| collect_literals(c, out)),
        _ => {}
    }
}

fn contains_symbol(node: &PNode) -> bool {
    match node {
        PNode::Symbol => true,
        PNode::Inner { children, .. } => children.iter().any(contains_symbol),
        _ => false,
    }
}

/// A rewrite template: text with metavariables, compiled against its pattern.
#[derive(Debug, Clone)]
pub struct Rewrite {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    /// The original source text a metavariable (or the symbol) matched.
    Var(String),
}

impl Rewrite {
    /// Compiles `text`, which may use the pattern's metavariables and the symbol's name.
    pub fn compile(text: &str, pattern: &Pattern) -> Result<Rewrite, String> {
        let prepared = prepare(text)?;
        let Some((tree, _)) = python::parse(&prepared) else {
            return Err("the Python parser is unavailable".into());
        };
        if tree.root_node().has_error() {
            return Err(format!(
                "rewrite `{text}` does not parse as Python{}",
                error_column(tree.root_node(), &prepared)
            ));
        }
        let symbol_name = pattern
            .symbol
            .as_deref()
            .map(|s| s.rsplit('.').next().unwrap_or(s));
        // Identifier tokens that stand for matched text, in order.
        let mut holes: Vec<(Range<usize>, String)> = Vec::new();
        let mut stack = vec![tree.root_node()];
        while let Some(n) = stack.pop() {
            if n.kind() == "identifier" {
                let t = &prepared[n.byte_range()];
                if let Some((_, name)) = metavariable(t) {
                    let Some(name) = name else {
                        return Err(format!(
                            "rewrite `{text}` uses an anonymous metavariable; name it in the pattern (`$NAME`) to reuse what it matched"
                        ));
                    };
                    if !pattern.names.contains(&name) {
                        return Err(format!(
                            "rewrite `{text}` uses `${name}`, which the pattern `{}` does not bind",
                            pattern.text
                        ));
                    }
                    holes.push((n.byte_range(), name));
                } else if Some(t) == symbol_name && !is_name_position(n) {
                    holes.push((n.byte_range(), SYMBOL_BINDING.to_string()));
                }
                continue;
            }
            let mut cursor = n.walk();
            stack.extend(n.children(&mut cursor));
        }
        holes.sort_by_key(|(r, _)| r.start);
        let mut pieces = Vec::new();
        let mut at = 0;
        for (range, name) in holes {
            if range.start > at {
                pieces.push(Piece::Text(restore(&prepared[at..range.start])));
            }
            pieces.push(Piece::Var(name));
            at = range.end;
        }
        if at < prepared.len() {
            pieces.push(Piece::Text(restore(&prepared[at..])));
        }
        Ok(Rewrite { pieces })
    }

    /// The replacement text for `m` in `content`; newlines written in the rewrite take the line
    /// ending of the line where the match starts.
    fn instantiate(&self, m: &Match, content: &str) -> String {
        let line_start = content[..m.range.start].rfind('\n').map_or(0, |i| i + 1);
        let crlf = content[line_start..]
            .find('\n')
            .is_some_and(|i| i > 0 && content.as_bytes()[line_start + i - 1] == b'\r');
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) if crlf => {
                    out.push_str(&t.replace("\r\n", "\n").replace('\n', "\r\n"))
                }
                Piece::Text(t) => out.push_str(t),
                Piece::Var(name) => {
                    if let Some((_, r)) = m.bindings.iter().find(|(n, _)| n == name) {
                        out.push_str(&content[r.clone()]);
                    }
                }
            }
        }
        out
    }
}

/// Puts back `$` where literal rewrite text had a sigil (only inside strings can one survive).
fn restore(text: &str) -> String {
    text.replace(SIGIL, "$")
}

/// Where matches may be: constraints on the ancestors of a match.
#[derive(Debug, Clone)]
pub struct Query {
    pub pattern: Pattern,
    /// Matches count only inside a node this pattern matches.
    pub inside: Option<Pattern>,
    /// Matches inside a node this pattern matches are left alone.
    pub not_inside: Option<Pattern>,
}

/// How much of a file a query must see parsed to find its matches in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The statement around each occurrence of the pattern's longest word: a match of an expression
    /// or simple-statement pattern lies inside one simple statement or compound-statement header.
    Statement,
    /// The top-level statement around each occurrence: the pattern is a compound statement, or
    /// `inside`/`not_inside` look at a match's ancestors.
    TopLevel,
    /// The whole file: `symbol:` follows the file's imports, or the pattern has no literal word.
    File,
}

/// Node kinds that span more than one logical line.
const COMPOUND_KINDS: &[&str] = &[
    "if_statement",
    "for_statement",
    "while_statement",
    "try_statement",
    "with_statement",
    "function_definition",
    "class_definition",
    "decorated_definition",
    "match_statement",
    "block",
    "elif_clause",
    "else_clause",
    "except_clause",
    "except_group_clause",
    "finally_clause",
    "case_clause",
];

impl Query {
    pub fn could_match(&self, content: &str) -> bool {
        self.pattern.could_match(content)
    }

    pub fn could_match_bytes(&self, content: &[u8]) -> bool {
        self.pattern.could_match_bytes(content)
    }

    /// What a file must contain for the query to match in it.
    pub fn needles(&self) -> &Needles {
        &self.pattern.needles
    }

    pub fn reach(&self) -> Reach {
        let patterns = || {
            [
                Some(&self.pattern),
                self.inside.as_ref(),
                self.not_inside.as_ref(),
            ]
        };
        if patterns().into_iter().flatten().any(|p| p.symbol.is_some()) || self.anchor().is_none() {
            Reach::File
        } else if self.inside.is_some()
            || self.not_inside.is_some()
            || self
                .pattern
                .root
                .kind()
                .is_none_or(|k| COMPOUND_KINDS.contains(&k))
        {
            Reach::TopLevel
        } else {
            Reach::Statement
        }
    }

    /// The pattern's longest literal word: every match contains it.
    pub fn anchor(&self) -> Option<&Word> {
        self.pattern.literals.first()
    }

    /// Text shown in reports: the pattern, with its symbol and context.
    pub fn describe(&self) -> String {
        let mut s = self.pattern.text.clone();
        if let Some(sym) = &self.pattern.symbol {
            s.push_str(&format!(" (symbol {sym})"));
        }
        if let Some(p) = &self.inside {
            s.push_str(&format!(" inside `{}`", p.text));
        }
        if let Some(p) = &self.not_inside {
            s.push_str(&format!(" not inside `{}`", p.text));
        }
        s
    }

    /// Every match in `file`, outermost first at equal start, in file order.
    pub fn find(&self, file: &ParsedFile) -> Vec<Match> {
        let mut out = Vec::new();
        let mut cursor = file.tree.walk();
        let matcher = Matcher {
            file,
            pattern: &self.pattern,
        };
        loop {
            let node = cursor.node();
            if let Some(m) = matcher.match_root(node) {
                if self.context_allows(file, node) {
                    out.push(m);
                }
            }
            if cursor.goto_first_child() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    return out;
                }
            }
        }
    }

    fn context_allows(&self, file: &ParsedFile, node: Node) -> bool {
        let inside = |p: &Pattern| {
            let m = Matcher { file, pattern: p };
            let mut at = node.parent();
            while let Some(a) = at {
                if m.match_root(a).is_some() {
                    return true;
                }
                at = a.parent();
            }
            false
        };
        self.inside.as_ref().is_none_or(inside) && !self.not_inside.as_ref().is_some_and(inside)
    }
}

/// One match: the matched node's byte range and what its metavariables matched.
#[derive(Debug, Clone)]
pub struct Match {
    pub range: Range<usize>,
    bindings: Vec<(String, Range<usize>)>,
}

/// A file parsed once for all the structural edits and checks that look at it.
pub struct ParsedFile<'a> {
    pub content: &'a str,
    pub rel: &'a RelPath,
    tree: tree_sitter::Tree,
    /// Length of a byte-order mark the parser did not see: tree offsets + this = content offsets.
    offset: usize,
    modules: &'a ModuleIndex,
    symbols: std::cell::OnceCell<FileSymbols>,
}

impl<'a> ParsedFile<'a> {
    pub fn parse(
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
    pub fn has_error(&self) -> bool {
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
    fn comments_in(&self, range: &Range<usize>) -> Vec<Range<usize>> {
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

struct Matcher<'f, 'a> {
    file: &'f ParsedFile<'a>,
    pattern: &'f Pattern,
}

impl Matcher<'_, '_> {
    /// Matches the query's pattern at `node` itself (no parenthesis is looked through here: the
    /// node inside the parentheses is visited on its own).
    fn match_root(&self, node: Node) -> Option<Match> {
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

/// The expression inside any number of parentheses.
fn unparenthesize(mut node: Node) -> Node {
    while node.kind() == "parenthesized_expression" {
        let inner = named_children(node);
        if inner.len() != 1 {
            break;
        }
        node = inner[0];
    }
    node
}

/// The edit a match makes: the matched range replaced by the instantiated rewrite, trimmed to the
/// bytes that really change, so that a deletion of `await ` is exactly that.
pub fn replacement_for(
    m: &Match,
    rewrite: &Rewrite,
    file: &ParsedFile,
) -> Result<Option<(Range<usize>, String)>, Range<usize>> {
    let content = file.content;
    let old = &content[m.range.clone()];
    let new = rewrite.instantiate(m, content);
    if old == new {
        return Ok(None);
    }
    let (start, old_end, new_end) = trim(old, &new);
    let range = m.range.start + start..m.range.start + old_end;
    let text = new[start..new_end].to_string();
    // A comment in the removed text that the new text does not carry would be lost.
    for c in file.comments_in(&range) {
        if !text.contains(&content[c.clone()]) {
            return Err(c);
        }
    }
    Ok(Some((range, text)))
}

/// Common prefix and suffix of two strings, on character boundaries: returns the start of the
/// differing middle and its end in `old` and in `new`.
fn trim(old: &str, new: &str) -> (usize, usize, usize) {
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

    fn rel(p: &str) -> RelPath {
        RelPath::parse(p).unwrap()
    }

    fn query(p: &str) -> Query {
        Query {
            pattern: Pattern::compile(p, None).unwrap(),
            inside: None,
            not_inside: None,
        }
    }

    fn found(q: &Query, src: &str) -> Vec<String> {
        let modules = ModuleIndex::detached();
        let r = rel("m.py");
        let f = ParsedFile::parse(src, &r, &modules).unwrap();
        q.find(&f)
            .iter()
            .map(|m| src[m.range.clone()].to_string())
            .collect()
    }

    fn rewrite(p: &str, rw: &str, src: &str) -> String {
        let q = query(p);
        let r = Rewrite::compile(rw, &q.pattern).unwrap();
        let modules = ModuleIndex::detached();
        let path = rel("m.py");
        let f = ParsedFile::parse(src, &path, &modules).unwrap();
        let mut out = src.to_string();
        let mut reps: Vec<_> = q
            .find(&f)
            .iter()
            .filter_map(|m| replacement_for(m, &r, &f).unwrap())
            .collect();
        reps.reverse();
        for (range, text) in reps {
            out.replace_range(range, &text);
        }
        out
    }

    const AWAIT: &str = "await get_websocket_manager($$$ARGS)";

    #[test]
    fn matches_calls_split_over_lines_parenthesised_and_with_comments() {
        let q = query(AWAIT);
        let src = "async def f():\n    a = await get_websocket_manager(\n        user_context=ctx,  # why\n    )\n    b = await (get_websocket_manager(x))\n    c = await get_websocket_manager(  # c\n        x)\n";
        assert_eq!(found(&q, src).len(), 3);
    }

    #[test]
    fn never_matches_strings_comments_or_other_names() {
        let q = query(AWAIT);
        let src = "async def f():\n    s = 'await get_websocket_manager()'\n    # await get_websocket_manager()\n    \"\"\"await get_websocket_manager()\"\"\"\n    await get_websocket_manager_async()\n    await obj.get_websocket_manager()\n";
        assert!(found(&q, src).is_empty(), "{:?}", found(&q, src));
    }

    #[test]
    fn rewrite_removes_only_the_await_token() {
        let src = "async def f():\n    m = await get_websocket_manager(\n        user_context=ctx,\n    )\n";
        assert_eq!(
            rewrite(AWAIT, "get_websocket_manager($$$ARGS)", src),
            "async def f():\n    m = get_websocket_manager(\n        user_context=ctx,\n    )\n"
        );
    }

    #[test]
    fn rewrite_drops_the_parentheses_of_an_awaited_call() {
        let src = "async def f():\n    m = await (get_websocket_manager(x))\n";
        assert_eq!(
            rewrite(AWAIT, "get_websocket_manager($$$ARGS)", src),
            "async def f():\n    m = get_websocket_manager(x)\n"
        );
    }

    #[test]
    fn nested_matches_are_found_outermost_first() {
        let q = query("f($A)");
        assert_eq!(found(&q, "x = f(f(1))\n"), vec!["f(f(1))", "f(1)"]);
    }

    #[test]
    fn a_metavariable_used_twice_must_match_the_same_text() {
        let q = query("$A == $A");
        assert_eq!(found(&q, "x = a == a\ny = a == b\n"), vec!["a == a"]);
    }

    #[test]
    fn statement_patterns_and_statement_lists() {
        let q = query("with pytest.raises($$$A): $$$B");
        let src = "def t():\n    with pytest.raises(TypeError):\n        x = 1\n        y = 2\n    with open(p):\n        pass\n";
        assert_eq!(found(&q, src).len(), 1);
    }

    #[test]
    fn a_bare_symbol_pattern_does_not_match_attribute_names() {
        let src = "from app.wm import get\nimport app.wm as wm\n\nget\nwm.get\nobj.get\n";
        let q = Query {
            pattern: Pattern::compile("get", Some("app.wm.get")).unwrap(),
            inside: None,
            not_inside: None,
        };
        assert_eq!(found(&q, src), vec!["get", "wm.get"]);
    }

    #[test]
    fn the_as_form_of_a_with_statement_has_its_own_pattern() {
        let src = "def t():\n    with pytest.raises(TypeError) as e:\n        pass\n";
        assert!(found(&query("with pytest.raises($$$A): $$$B"), src).is_empty());
        assert_eq!(
            found(&query("with pytest.raises($$$A) as $E: $$$B"), src).len(),
            1
        );
    }

    #[test]
    fn context_constraints_look_at_ancestors() {
        let mut q = query(AWAIT);
        q.not_inside = Some(Pattern::compile("with pytest.raises($$$A): $$$B", None).unwrap());
        let src = "async def t():\n    with pytest.raises(TypeError):\n        await get_websocket_manager()\n    await get_websocket_manager(1)\n";
        assert_eq!(found(&q, src), vec!["await get_websocket_manager(1)"]);
        let mut only = query(AWAIT);
        only.inside = q.not_inside.take();
        assert_eq!(found(&only, src), vec!["await get_websocket_manager()"]);
    }

    #[test]
    fn bad_patterns_are_refused() {
        assert!(Pattern::compile("await f(", None)
            .unwrap_err()
            .contains("does not parse"));
        assert!(Pattern::compile("$X", None)
            .unwrap_err()
            .contains("match everything"));
        assert!(Pattern::compile("f($x)", None)
            .unwrap_err()
            .contains("not a metavariable"));
        assert!(Pattern::compile("a = 1\nb = 2", None)
            .unwrap_err()
            .contains("2 statements"));
        assert!(Pattern::compile("f()", Some("pkg.mod.g"))
            .unwrap_err()
            .contains("does not mention `g`"));
        let p = Pattern::compile("f($A)", None).unwrap();
        assert!(Rewrite::compile("g($B)", &p)
            .unwrap_err()
            .contains("does not bind"));
    }

    #[test]
    fn literal_core_decides_what_is_parsed() {
        let p = Pattern::compile(AWAIT, None).unwrap();
        assert!(p.could_match("x = await get_websocket_manager()"));
        assert!(!p.could_match("x = await other()"));
        // A longer name that merely starts with the function's name is not a candidate.
        assert!(!p.could_match("x = await get_websocket_manager_async()"));
    }

    #[test]
    fn a_dropped_comment_is_refused() {
        let q = query(AWAIT);
        let r = Rewrite::compile("get_websocket_manager($$$ARGS)", &q.pattern).unwrap();
        let src = "async def f():\n    g(await (  # keep me\n        get_websocket_manager()))\n";
        let modules = ModuleIndex::detached();
        let path = rel("m.py");
        let f = ParsedFile::parse(src, &path, &modules).unwrap();
        let m = &q.find(&f)[0];
        assert!(replacement_for(m, &r, &f).is_err());
    }

    #[test]
    fn trims_on_character_boundaries() {
        assert_eq!(trim("await é()", "é()"), (0, 6, 0));
        assert_eq!(trim("aé", "aè"), (1, 3, 3));
    }

    #[test]
    fn lowercase_metavariables_are_refused_with_one_or_three_dollars() {
        assert!(prepare("await f($x)").is_err());
        assert!(prepare("await f($$$args)").unwrap_err().contains("`$$$a`"));
        assert!(prepare("await f($$$ARGS)").is_ok());
        assert!(prepare("await f($$$)").is_ok());
    }
}
