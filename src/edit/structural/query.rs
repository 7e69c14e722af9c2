//! Queries: a pattern with the ancestors its matches must or must not have, how much of a file
//! must be parsed to find them, and the walk over a parsed file that finds them.

use tree_sitter::Node;

use super::matcher::{Match, Matcher, ParsedFile};
use super::pattern::Pattern;
use crate::edit::literal::Word;
use crate::edit::prefilter::Needles;

/// Where matches may be: constraints on the ancestors of a match.
#[derive(Debug, Clone)]
pub(crate) struct Query {
    pub(crate) pattern: Pattern,
    /// Matches count only inside a node this pattern matches.
    pub(crate) inside: Option<Pattern>,
    /// Matches inside a node this pattern matches are left alone.
    pub(crate) not_inside: Option<Pattern>,
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

    pub(crate) fn reach(&self) -> Reach {
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
    pub(crate) fn anchor(&self) -> Option<&Word> {
        self.pattern.literals.first()
    }

    /// Text shown in reports: the pattern, with its symbol and context.
    pub(crate) fn describe(&self) -> String {
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
    pub(crate) fn find(&self, file: &ParsedFile) -> Vec<Match> {
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

    /// Whether the ancestors of `node` satisfy `inside` and `not_inside`.
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
}
