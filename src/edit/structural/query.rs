//! Queries: a pattern with the ancestors its matches must or must not have (`inside`,
//! `not_inside`, each any of a list of context patterns), the classes they must lie in
//! (`in_class`), the comment that marks a site to leave alone (`unless_comment`), and what becomes
//! of a match whose symbol does not resolve; how much of a file must be parsed to find them; and
//! the walk over a parsed file that gives each match its verdict, so that the sites a query does
//! not count are listed with the reason instead of disappearing.

use std::cell::RefCell;
use std::ops::Range;

use tree_sitter::Node;

use super::matcher::{Match, Matcher, ParsedFile};
use super::metavar::SYMBOL_BINDING;
use super::pattern::Pattern;

use crate::edit::literal::Word;
use crate::edit::prefilter::Needles;
use crate::edit::symbols::{enclosing_class, Resolution};

/// Where matches may be, and which of them count: constraints on the ancestors of a match, the
/// comment that marks a site to leave alone, and what becomes of a match whose symbol does not
/// resolve.
#[derive(Debug, Clone)]
pub(crate) struct Query {
    pub(crate) pattern: Pattern,
    /// Matches count only inside a node one of these patterns matches (none: anywhere).
    pub(crate) inside: Vec<Pattern>,
    /// Matches inside a node one of these patterns matches are left alone.
    pub(crate) not_inside: Vec<Pattern>,
    /// Matches marked by a comment holding this text (on a line of the statement, or on the
    /// comment lines right above it) are left alone.
    pub(crate) unless_comment: Option<String>,
    /// Matches count only inside classes deriving from one of these qualified class names.
    pub(crate) in_class: Vec<String>,
    /// What becomes of a match whose symbol's name resolves to no qualified name.
    pub(crate) unresolved: Unresolved,
}

/// What a plan does with the sites where a symbol-aware pattern matches except that the name
/// resolves to nothing (see [`Resolution`]): they are always listed, and this decides the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Unresolved {
    /// They are left as they are.
    #[default]
    Leave,
    /// They are edited (or counted) as if the name resolved to the symbol.
    Edit,
    /// Their presence fails the phase, before anything is written.
    Fail,
}

/// What a query makes of one structural match of its pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The match counts: it is edited or counted.
    Counts,
    /// The query's context keeps the match from counting, for this reason (shown in reports).
    LeftAlone(String),
    /// The match's symbol resolves to nothing, for this reason.
    Unresolved(Resolution),
}

/// How much of a file a query must see parsed to find its matches in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reach {
    /// The statement around each occurrence of the pattern's longest word: a match of an expression
    /// or simple-statement pattern lies inside one simple statement or compound-statement header.
    Statement,
    /// The top-level statement around each occurrence: the pattern is a compound statement, or
    /// `inside`/`not_inside` look at a match's ancestors.
    TopLevel,
    /// The statements holding a name the pattern's symbol can be spelled with, a name such a
    /// spelling is an attribute of, or what binds either (see [`Query::spellings_in`]): a
    /// reference's name is resolved through the bindings that spell it.
    Parts,
    /// The whole file: `in_class` or a context pattern's symbol follow the file's imports,
    /// `unless_comment` looks at the lines above a statement, or the pattern has no literal word.
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
    /// A query of `pattern` alone: every match counts.
    pub(crate) fn new(pattern: Pattern) -> Query {
        Query {
            pattern,
            inside: Vec::new(),
            not_inside: Vec::new(),
            unless_comment: None,
            in_class: Vec::new(),
            unresolved: Unresolved::Leave,
        }
    }

    pub(crate) fn could_match(&self, content: &str) -> bool {
        self.pattern.could_match(content)
    }

    pub(crate) fn could_match_bytes(&self, content: &[u8]) -> bool {
        self.pattern.could_match_bytes(content)
    }

    /// What a file must contain for the query to match in it.
    pub(crate) fn needles(&self) -> &Needles {
        &self.pattern.needles
    }

    /// Whether some matches of the pattern may not count: the sites that are then listed.
    pub(crate) fn sets_aside(&self) -> bool {
        self.has_context() || self.pattern.symbol.is_some()
    }

    fn has_context(&self) -> bool {
        !self.inside.is_empty()
            || !self.not_inside.is_empty()
            || self.unless_comment.is_some()
            || !self.in_class.is_empty()
    }

    pub(crate) fn reach(&self) -> Reach {
        let context_symbol = self
            .inside
            .iter()
            .chain(&self.not_inside)
            .any(|p| p.symbol.is_some());
        if context_symbol || self.anchor().is_none() || !self.in_class.is_empty() {
            Reach::File
        } else if self.pattern.symbol.is_some() {
            Reach::Parts
        } else if self.unless_comment.is_some() {
            Reach::File
        } else if !self.inside.is_empty()
            || !self.not_inside.is_empty()
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

    /// Whether the query's matches and their contexts are found as well in a class narrowed to
    /// the members that hold its words (see `Statements::parts_holding`): none of its patterns is
    /// a class, a decorated definition or a block, which could see the members left out.
    pub(crate) fn sees_members_alone(&self) -> bool {
        self.sees_alone(&[
            "class_definition",
            "decorated_definition",
            "block",
            "module",
        ])
    }

    /// Whether the query's matches and their contexts are found as well in a function narrowed to
    /// the statements of its body that hold its words (see `Statements::parts_holding`), and in a
    /// class narrowed to its members: none of its patterns is a function, a class, a decorated
    /// definition or a block. A context is an ancestor of a match, so one that is not a
    /// definition holds the statement with the match, which is kept whole.
    pub(crate) fn sees_statements_alone(&self) -> bool {
        self.sees_alone(&[
            "function_definition",
            "class_definition",
            "decorated_definition",
            "block",
            "module",
        ])
    }

    /// Whether none of the query's patterns is one of these kinds of node.
    fn sees_alone(&self, kinds: &[&str]) -> bool {
        let main = std::iter::once((&self.pattern, true));
        let context = self
            .inside
            .iter()
            .chain(&self.not_inside)
            .map(|p| (p, false));
        main.chain(context).all(|(p, is_main)| match p.root.kind() {
            Some(kind) => !kinds.contains(&kind),
            // A pattern that is only the symbol matches names, never a statement.
            None => is_main && p.symbol.is_some(),
        })
    }

    /// The pattern's longest literal word: every match contains it.
    pub(crate) fn anchor(&self) -> Option<&Word> {
        self.pattern.literals.first()
    }

    /// Text shown in reports: the pattern, with its symbol and context.
    pub(crate) fn describe(&self) -> String {
        let mut s = self.pattern.text.clone();
        if let Some(sym) = &self.pattern.symbol {
            s.push_str(&format!(" (symbol {sym})"));
        }
        if !self.inside.is_empty() {
            s.push_str(&format!(" inside {}", either(&self.inside)));
        }
        if !self.not_inside.is_empty() {
            s.push_str(&format!(" not inside {}", either(&self.not_inside)));
        }
        if !self.in_class.is_empty() {
            let names: Vec<String> = self.in_class.iter().map(|c| format!("`{c}`")).collect();
            s.push_str(&format!(" in classes derived from {}", names.join(" or ")));
        }
        if let Some(marker) = &self.unless_comment {
            s.push_str(&format!(" unless marked `{marker}`"));
        }
        s
    }

    /// Every match in `file` that counts, outermost first at equal start, in file order: those
    /// whose verdict is [`Verdict::Counts`], and the unresolved ones when the query edits them.
    pub(crate) fn find(&self, file: &ParsedFile) -> Vec<Match> {
        self.find_all(file)
            .into_iter()
            .filter(|(_, v)| self.edits(v))
            .map(|(m, _)| m)
            .collect()
    }

    /// Whether a match with this verdict is edited (or counted): see [`Query::find`].
    pub(crate) fn edits(&self, verdict: &Verdict) -> bool {
        match verdict {
            Verdict::Counts => true,
            Verdict::Unresolved(_) => self.unresolved == Unresolved::Edit,
            Verdict::LeftAlone(_) => false,
        }
    }

    /// Every structural match of the pattern in `file`, with what the query makes of it, in the
    /// order of [`Query::find`]. Unresolved matches are looked for only when the pattern has a
    /// symbol.
    pub(crate) fn find_all(&self, file: &ParsedFile) -> Vec<(Match, Verdict)> {
        self.walk(file, true)
    }

    /// [`Query::find_all`], skipping the subtrees that hold no anchor word when `prune`.
    fn walk(&self, file: &ParsedFile, prune: bool) -> Vec<(Match, Verdict)> {
        let mut out = Vec::new();
        let mut cursor = file.tree.walk();
        let unresolved = RefCell::new(Vec::new());
        let matcher = Matcher {
            unresolved: self.pattern.symbol.is_some().then_some(&unresolved),
            ..Matcher::new(file, &self.pattern)
        };
        let anchors = if prune {
            Anchors::of(self, file, &matcher)
        } else {
            Anchors(None)
        };
        loop {
            let node = cursor.node();
            // A node that holds none of the words every match holds is skipped with all it holds.
            let holds = anchors.held_by(node);
            unresolved.borrow_mut().clear();
            if let Some(m) = holds.then(|| matcher.match_root(node)).flatten() {
                let why = m.binding(SYMBOL_BINDING).and_then(|b| {
                    let found = unresolved.borrow();
                    found
                        .iter()
                        .find(|(range, _)| *range == b.range)
                        .map(|(_, why)| why.clone())
                });
                let verdict = match self.context_verdict(file, node) {
                    Some(reason) => Verdict::LeftAlone(reason),
                    None => why.map_or(Verdict::Counts, Verdict::Unresolved),
                };
                out.push((m, verdict));
            }
            if holds && cursor.goto_first_child() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    return out;
                }
            }
        }
    }

    /// Why the context of the match at `node` keeps it from counting, if it does: `inside`,
    /// `not_inside`, `in_class` and `unless_comment`, in that order.
    fn context_verdict(&self, file: &ParsedFile, node: Node) -> Option<String> {
        if !self.has_context() {
            return None;
        }
        let within = |p: &Pattern| {
            let m = Matcher {
                context: true,
                ..Matcher::new(file, p)
            };
            let mut at = node.parent();
            while let Some(a) = at {
                if m.match_root(a).is_some() {
                    return true;
                }
                at = a.parent();
            }
            false
        };
        if !self.inside.is_empty() && !self.inside.iter().any(within) {
            return Some(format!("not inside {} (`inside`)", either(&self.inside)));
        }
        if let Some(p) = self.not_inside.iter().find(|p| within(p)) {
            return Some(format!("inside `{}` (`not_inside`)", p.as_str()));
        }
        if !self.in_class.is_empty() && !self.is_in_class(file, node) {
            let names: Vec<String> = self.in_class.iter().map(|c| format!("`{c}`")).collect();
            return Some(format!(
                "not in a class derived from {} (`in_class`)",
                names.join(" or ")
            ));
        }
        if let Some(marker) = &self.unless_comment {
            if let Some(line) = marking_comment(file, node, marker) {
                return Some(format!(
                    "marked by the comment on line {line} (`unless_comment: {marker}`)"
                ));
            }
        }
        None
    }

    /// Whether `node` lies in the body of a class (through its methods) that derives from one of
    /// the query's classes.
    fn is_in_class(&self, file: &ParsedFile, node: Node) -> bool {
        let Some(class) = enclosing_class(node) else {
            return false;
        };
        let symbols = file.symbols();
        self.in_class
            .iter()
            .any(|target| symbols.derives_from(class, &|n| file.text(n), file.modules, target))
    }
}

/// Where, in a parsed file, the words lie of which every match of a query holds one: the
/// occurrences of the pattern's rarest literal word, or of the names that can spell its symbol,
/// whichever are fewer. A walk for matches skips the subtrees that hold none of them.
struct Anchors(Option<Vec<Range<usize>>>);

impl Anchors {
    fn of(query: &Query, file: &ParsedFile, matcher: &Matcher) -> Anchors {
        let text = &file.content[file.offset..];
        let symbol_last = query
            .pattern
            .symbol
            .as_deref()
            .map(|s| s.rsplit('.').next().unwrap_or(s).as_bytes());
        let occurrences = |words: &[Word]| {
            let mut found: Vec<Range<usize>> = words
                .iter()
                .flat_map(|w| w.find_iter(text).map(move |at| at..at + w.len()))
                .collect();
            found.sort_by_key(|r| (r.start, r.end));
            found
        };
        let mut best: Option<Vec<Range<usize>>> = None;
        let mut consider = |found: Vec<Range<usize>>| {
            if best.as_ref().is_none_or(|b| found.len() < b.len()) {
                best = Some(found);
            }
        };
        for word in &query.pattern.literals {
            if Some(word.as_bytes()) != symbol_last {
                consider(occurrences(std::slice::from_ref(word)));
            }
        }
        let spellings = matcher.symbol_spellings();
        if !spellings.is_empty() {
            let words: Vec<Word> = spellings.iter().map(|s| Word::new(s)).collect();
            consider(occurrences(&words));
        }
        Anchors(best)
    }

    /// Whether `node` (tree offsets) holds one of the words; always, without any.
    fn held_by(&self, node: Node) -> bool {
        let Some(found) = &self.0 else {
            return true;
        };
        let (start, end) = (node.start_byte(), node.end_byte());
        let first = found.partition_point(|r| r.start < start);
        found[first..]
            .iter()
            .take_while(|r| r.start < end)
            .any(|r| r.end <= end)
    }
}

/// `` `a` `` or `` `a` or `b` ``: the patterns of a list, as a reason names them.
fn either(patterns: &[Pattern]) -> String {
    let shown: Vec<String> = patterns
        .iter()
        .map(|p| format!("`{}`", p.as_str()))
        .collect();
    shown.join(" or ")
}

/// The 1-based line (in the parsed text) of a comment holding `marker` that marks the statement
/// around `node`: a comment on one of the lines the statement spans (its header's, for a compound
/// statement), or one of the comment lines right above it, with no code or blank line between.
fn marking_comment(file: &ParsedFile, node: Node, marker: &str) -> Option<usize> {
    let statement = enclosing_statement(node);
    let text = &file.content[file.offset..];
    let first = statement.start_position().row;
    // A compound statement's own lines are its header's: a comment in its body marks the body's
    // statements, not the block.
    let last = header_end(statement).unwrap_or(statement.end_position().row);
    let lines: Vec<&str> = text.split('\n').collect();
    let start = line_start(text, first);
    let end = line_start(text, last + 1).min(text.len());
    // Comments are found in the tree, so a `#` inside a string never counts.
    let own = file.comments_in(&(start + file.offset..end + file.offset));
    if let Some(c) = own
        .iter()
        .find(|c| file.content[(*c).clone()].contains(marker))
    {
        return Some(text[..c.start - file.offset].matches('\n').count() + 1);
    }
    let mut row = first;
    while row > 0 {
        row -= 1;
        let line = lines.get(row)?.trim_start();
        if !line.starts_with('#') {
            return None;
        }
        if line.contains(marker) {
            return Some(row + 1);
        }
    }
    None
}

/// The byte offset where 0-based line `row` of `text` starts (`text.len()` past the end).
fn line_start(text: &str, row: usize) -> usize {
    if row == 0 {
        return 0;
    }
    text.match_indices('\n')
        .nth(row - 1)
        .map_or(text.len(), |(i, _)| i + 1)
}

/// The last line of a compound statement's header: the line before its first block, or the
/// block's own line when the body follows the colon. `None` for a simple statement.
fn header_end(statement: Node) -> Option<usize> {
    let mut cursor = statement.walk();
    let block = statement
        .children(&mut cursor)
        .find(|c| c.kind() == "block")?;
    let row = block.start_position().row;
    let header = statement.start_position().row;
    Some(if row > header { row - 1 } else { row })
}

/// The statement that holds `node`: its outermost ancestor below the nearest block (or the
/// module), which is a simple statement, or a compound one when `node` is in its header.
fn enclosing_statement(node: Node) -> Node {
    let mut at = node;
    while let Some(parent) = at.parent() {
        if matches!(parent.kind(), "block" | "module") {
            return at;
        }
        at = parent;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::structural::testing::{found, query, AWAIT};

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
        let q = Query::new(Pattern::compile("get", Some("app.wm.get")).unwrap());
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
        q.not_inside = vec![Pattern::compile("with pytest.raises($$$A): $$$B", None).unwrap()];
        let src = "async def t():\n    with pytest.raises(TypeError):\n        await get_websocket_manager()\n    await get_websocket_manager(1)\n";
        assert_eq!(found(&q, src), vec!["await get_websocket_manager(1)"]);
        let mut only = query(AWAIT);
        only.inside = std::mem::take(&mut q.not_inside);
        assert_eq!(found(&only, src), vec!["await get_websocket_manager()"]);
    }

    fn pattern(p: &str) -> Pattern {
        Pattern::compile(p, None).unwrap()
    }

    /// Each structural match with the verdict of `q`, as (matched text, verdict).
    fn verdicts(q: &Query, src: &str) -> Vec<(String, Verdict)> {
        let modules = crate::edit::symbols::ModuleIndex::detached();
        let rel = crate::tree::paths::RelPath::parse("tests/test_m.py").unwrap();
        let f = ParsedFile::parse(src, &rel, &modules).unwrap();
        q.find_all(&f)
            .into_iter()
            .map(|(m, v)| (src[m.range].to_string(), v))
            .collect()
    }

    #[test]
    fn only_a_query_without_definition_patterns_sees_a_function_narrowed() {
        let plain = Query::new(Pattern::compile("await get($$$A)", Some("app.wm.get")).unwrap());
        assert!(plain.sees_statements_alone() && plain.sees_members_alone());
        let mut in_with = plain.clone();
        in_with.not_inside = vec![pattern("with pytest.raises($$$E): $$$B")];
        assert!(in_with.sees_statements_alone());
        // A function's body narrowed to some statements could fail a pattern of the function.
        let mut in_def = plain.clone();
        in_def.inside = vec![pattern("def $F($$$P): $$$B")];
        assert!(!in_def.sees_statements_alone() && in_def.sees_members_alone());
        let mut in_class = plain.clone();
        in_class.not_inside = vec![pattern("class $C: $$$B")];
        assert!(!in_class.sees_statements_alone() && !in_class.sees_members_alone());
    }

    #[test]
    fn a_list_of_contexts_holds_when_any_of_them_does() {
        let src = "async def t():\n    with pytest.raises(TypeError):\n        await get_websocket_manager(1)\n    try:\n        await get_websocket_manager(2)\n    except TypeError:\n        pass\n    await get_websocket_manager(3)\n";
        let contexts = vec![
            pattern("with pytest.raises($$$E): $$$BODY"),
            pattern("try: $$$BODY\nexcept TypeError: $$$H"),
        ];
        let mut q = query(AWAIT);
        q.not_inside = contexts.clone();
        assert_eq!(found(&q, src), vec!["await get_websocket_manager(3)"]);
        let reasons: Vec<Verdict> = verdicts(&q, src).into_iter().map(|(_, v)| v).collect();
        assert_eq!(
            reasons[..2],
            [
                Verdict::LeftAlone(
                    "inside `with pytest.raises($$$E): $$$BODY` (`not_inside`)".into()
                ),
                Verdict::LeftAlone(
                    "inside `try: $$$BODY\nexcept TypeError: $$$H` (`not_inside`)".into()
                ),
            ]
        );
        let mut only = query(AWAIT);
        only.inside = contexts;
        assert_eq!(
            found(&only, src),
            vec![
                "await get_websocket_manager(1)",
                "await get_websocket_manager(2)"
            ]
        );
        assert_eq!(
            verdicts(&only, src)[2].1,
            Verdict::LeftAlone(
                "not inside `with pytest.raises($$$E): $$$BODY` or `try: $$$BODY\nexcept TypeError: $$$H` (`inside`)".into()
            )
        );
    }

    #[test]
    fn in_a_context_an_as_target_is_optional_unless_written() {
        let src = "async def t():\n    with pytest.raises(TypeError) as exc_info:\n        await get_websocket_manager(1)\n    with pytest.raises(TypeError):\n        await get_websocket_manager(2)\n    with open(p) as f:\n        await get_websocket_manager(3)\n";
        let mut q = query(AWAIT);
        q.not_inside = vec![pattern("with pytest.raises($$$E): $$$BODY")];
        assert_eq!(found(&q, src), vec!["await get_websocket_manager(3)"]);
        let mut named = query(AWAIT);
        named.inside = vec![pattern("with pytest.raises($$$E) as $N: $$$BODY")];
        assert_eq!(found(&named, src), vec!["await get_websocket_manager(1)"]);
        // The same holds for the name an `except` clause gives its exception.
        let handled = "async def t():\n    try:\n        await get_websocket_manager(1)\n    except TypeError as exc:\n        pass\n";
        let mut q2 = query(AWAIT);
        q2.not_inside = vec![pattern("try: $$$BODY\nexcept TypeError: $$$HANDLER")];
        assert!(found(&q2, handled).is_empty());
        // A main pattern keeps matching exactly what it writes.
        assert_eq!(
            found(&query("with pytest.raises($$$A): $$$B"), src).len(),
            1
        );
    }

    #[test]
    fn a_context_holds_for_calls_nested_anywhere_inside_it() {
        let src = "async def t():\n    with pytest.raises(TypeError):\n        run(lambda: 1, await get_websocket_manager(1))\n        if x:\n            for y in z:\n                await get_websocket_manager(2)\n";
        let mut q = query(AWAIT);
        q.not_inside = vec![pattern("with pytest.raises($$$E): $$$BODY")];
        assert!(found(&q, src).is_empty());
    }

    #[test]
    fn a_marking_comment_leaves_its_statement_alone() {
        let src = "async def t():\n    # BUG: awaiting non-coroutine, on purpose\n    a = await get_websocket_manager(1)\n    b = await get_websocket_manager(2)  # BUG: awaiting non-coroutine\n    c = await get_websocket_manager(\n        3,  # BUG: awaiting non-coroutine\n    )\n    # BUG: awaiting non-coroutine\n\n    d = await get_websocket_manager(4)\n    e = await get_websocket_manager('# BUG: awaiting non-coroutine')\n    # a note\n    f = await get_websocket_manager(6)\n";
        let mut q = query(AWAIT);
        q.unless_comment = Some("BUG: awaiting non-coroutine".into());
        assert_eq!(
            found(&q, src),
            vec![
                "await get_websocket_manager(4)",
                "await get_websocket_manager('# BUG: awaiting non-coroutine')",
                "await get_websocket_manager(6)",
            ]
        );
        assert_eq!(
            verdicts(&q, src)[0].1,
            Verdict::LeftAlone(
                "marked by the comment on line 2 (`unless_comment: BUG: awaiting non-coroutine`)"
                    .into()
            )
        );
        // A comment in a block's body marks the body's statement, not the block's header.
        let block = "async def t():\n    with x(await get_websocket_manager(1)):\n        y = 1  # BUG: awaiting non-coroutine\n";
        assert_eq!(found(&q, block).len(), 1);
    }

    #[test]
    fn in_class_counts_matches_in_derived_classes_only() {
        let src = "import unittest\n\nclass Base(unittest.TestCase):\n    pass\n\nclass T(Base):\n    def test(self):\n        self.assertDictContainsSubset(a, b)\n\nclass Other:\n    def test(self):\n        self.assertDictContainsSubset(a, b)\n\nself.assertDictContainsSubset(a, b)\n";
        let mut q = query("self.assertDictContainsSubset($A, $B)");
        q.in_class = vec!["unittest.TestCase".into()];
        let got = verdicts(&q, src);
        assert_eq!(got[0].1, Verdict::Counts);
        let outside = Verdict::LeftAlone(
            "not in a class derived from `unittest.TestCase` (`in_class`)".into(),
        );
        assert_eq!(got[1].1, outside);
        assert_eq!(got[2].1, outside);
    }

    #[test]
    fn unresolved_names_are_told_apart_from_other_symbols() {
        let symbol = "app.wm.get_websocket_manager";
        let src = "from other import helper\nimport app.other as other_mod\n\nasync def f(obj, get_websocket_manager):\n    await get_websocket_manager(1)\n\nasync def g(obj):\n    await get_websocket_manager(2)\n    await obj.get_websocket_manager(3)\n    await other_mod.get_websocket_manager(4)\n    await helper(5)\n";
        let mut q = Query::new(Pattern::compile(AWAIT, Some(symbol)).unwrap());
        let got = verdicts(&q, src);
        assert_eq!(
            got,
            vec![
                (
                    "await get_websocket_manager(1)".into(),
                    Verdict::Unresolved(Resolution::Local)
                ),
                (
                    "await get_websocket_manager(2)".into(),
                    Verdict::Unresolved(Resolution::Unbound)
                ),
            ]
        );
        assert!(found(&q, src).is_empty());
        q.unresolved = Unresolved::Edit;
        assert_eq!(found(&q, src).len(), 2);
    }

    /// Skipping the subtrees that hold none of the anchor words finds every match a full walk
    /// finds, with the same verdicts, on real code, for plain and symbol-aware queries.
    #[test]
    fn pruned_walks_find_what_full_walks_find_on_real_code() {
        use crate::edit::test_corpus;
        let compile = |p: &str, symbol: Option<&str>, not_inside: Option<&str>| Query {
            not_inside: not_inside
                .map(|n| Pattern::compile(n, None).unwrap())
                .into_iter()
                .collect(),
            ..Query::new(Pattern::compile(p, symbol).unwrap())
        };
        let queries = [
            compile("len($X)", None, None),
            compile("self.$M($$$A)", None, Some("with $$$W: $$$B")),
            compile("await $X", None, None),
            compile("join($$$A)", Some("os.path.join"), None),
            compile("getLogger($$$A)", Some("logging.getLogger"), None),
            compile("isinstance($A, $B)", None, Some("def $F($$$P): $$$B")),
        ];
        let modules = crate::edit::symbols::ModuleIndex::detached();
        let (mut files, mut found) = (0, 0);
        for (path, text) in test_corpus::python_files(800_000) {
            let rel = crate::tree::paths::RelPath::parse("m.py").unwrap();
            let Some(file) = ParsedFile::parse(&text, &rel, &modules) else {
                continue;
            };
            files += 1;
            for q in &queries {
                let pruned: Vec<_> = q
                    .walk(&file, true)
                    .into_iter()
                    .map(|(m, v)| (m.range, v))
                    .collect();
                let full: Vec<_> = q
                    .walk(&file, false)
                    .into_iter()
                    .map(|(m, v)| (m.range, v))
                    .collect();
                assert_eq!(pruned, full, "{}: {}", path.display(), q.describe());
                found += full.len();
            }
        }
        assert!(files > 20 && found > 500, "{files} files, {found} matches");
    }
}
