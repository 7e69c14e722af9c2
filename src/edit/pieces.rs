//! Parsing only as much of a file as structural queries need: the statement units around the
//! occurrences of their patterns' words when that is enough, the parts of the file that hold a
//! symbol's names for a symbol-aware query, else the whole file. Parsing is the cost of structural
//! edits, and most of a file lies far from any match.

use std::sync::{Arc, LazyLock};

use tree_sitter::Node;

use super::context::EditContext;
use super::kept::Kept;
use super::lines::LineIndex;
use super::literal::Word;
use super::statements::{word_hits, LazyStatements, Narrowing, Placement, Unit};
use super::structural::{
    alias_after, last_names, KeptParts, ParsedFile, Query, Reach, Unresolved, Verdict,
};
use super::symbols::{Resolution, IMPORT_CALL_WORDS};
use crate::tree::paths::RelPath;

/// A parsed part of a file: the whole file, or one unit of it (see [`statements`]).
pub(super) struct Piece<'a> {
    pub(super) file: ParsedFile<'a>,
    placement: Placement,
}

impl Piece<'_> {
    pub(super) fn to_file(&self, offset: usize) -> Option<usize> {
        self.placement.to_file(offset)
    }
}

/// Parses what `queries` need to see of `text` and hands the parsed pieces to `visit`: the units
/// around the occurrences of their patterns' words when that is enough (see [`Reach`]) and every
/// unit parses on its own, else the whole file. With `whole_blocks`, the units are top-level
/// statements, so that every block around a match is parsed whole.
pub(super) fn with_parsed<R>(
    statements: &LazyStatements,
    rel: &RelPath,
    cx: &EditContext,
    queries: &[&Query],
    whole_blocks: bool,
    visit: impl FnOnce(&[Piece]) -> R,
) -> R {
    let text = statements.text();
    if let Some(file) = parse_symbol_parts(statements, rel, cx, queries, whole_blocks) {
        let pieces: Vec<Piece> = file
            .map(|file| Piece {
                file,
                placement: Placement::WHOLE,
            })
            .into_iter()
            .collect();
        return visit(&pieces);
    }
    if let Some(units) = units_for(statements, queries, whole_blocks) {
        let sources: Vec<(String, Placement)> = units.iter().map(|u| u.source(text)).collect();
        let pieces: Option<Vec<Piece>> = sources
            .iter()
            .map(|(source, placement)| {
                let file =
                    ParsedFile::parse(source, rel, &cx.modules).filter(|f| !f.has_error())?;
                Some(Piece {
                    file,
                    placement: *placement,
                })
            })
            .collect();
        if let Some(pieces) = pieces {
            return visit(&pieces);
        }
    }
    let whole: Vec<Piece> = ParsedFile::parse(text, rel, &cx.modules)
        .map(|file| Piece {
            file,
            placement: Placement::WHOLE,
        })
        .into_iter()
        .collect();
    visit(&whole)
}

/// For symbol-aware `queries` only (see [`Reach::Parts`]): the file parsed in the parts that hold
/// what their symbols' references are spelled with and what binds those names (see
/// [`symbol_words`]), `Some(None)` when no part holds any. `None` when the whole file must be
/// parsed: a query that is not symbol-aware, a file the statement lexer cannot follow, parts that
/// do not parse cleanly, or a reference starting with a name the words left out (a chain split
/// over lines); what the parts give is then what the whole file would. Which it is depends only on
/// the text, its path, the names of the run's symbols and whether classes are split: it is worked
/// out once for each (see [`CHOSEN`]).
fn parse_symbol_parts<'a>(
    statements: &LazyStatements<'a>,
    rel: &'a RelPath,
    cx: &'a EditContext,
    queries: &[&Query],
    whole_blocks: bool,
) -> Option<Option<ParsedFile<'a>>> {
    if queries.is_empty() || queries.iter().any(|q| q.reach() != Reach::Parts) {
        return None;
    }
    let text = statements.text();
    // The run's other symbols too: the parts are then the same for every query of the run, and
    // one parse of the text serves them all.
    let mut symbols: Vec<&str> = queries
        .iter()
        .map(|q| q.pattern.symbol())
        .collect::<Option<_>>()?;
    symbols.extend(cx.symbols.iter().map(String::as_str));
    symbols.sort_unstable();
    symbols.dedup();
    let names: Vec<Vec<String>> = symbols
        .iter()
        .map(|symbol| last_names(symbol, &cx.modules))
        .collect();
    let narrowing = if whole_blocks || !queries.iter().all(|q| q.sees_members_alone()) {
        Narrowing::None
    } else if queries.iter().all(|q| q.sees_statements_alone()) {
        Narrowing::Definitions
    } else {
        Narrowing::Classes
    };
    let key = (text.len() >= CHOSEN_SMALLEST).then(|| choice_key(text, rel, narrowing, &names));
    if let Some(chosen) = key.as_ref().and_then(|key| CHOSEN.get(key)) {
        return match &*chosen {
            Choice::Whole => None,
            Choice::Nothing => Some(None),
            Choice::Parts(kept) => Some(Some(ParsedFile::rebuilt(text, rel, &cx.modules, kept))),
        };
    }
    let (choice, file) = choose_parts(statements, rel, cx, narrowing, names);
    if let Some(key) = key {
        let len = match &choice {
            Choice::Parts(kept) => kept.len(),
            _ => CHOICE_WITHOUT_TREE,
        };
        CHOSEN.keep(key, Arc::new(choice), len);
    }
    file
}

/// What [`parse_symbol_parts`] chose for a text: the whole file, nothing, or the file parsed in
/// these parts, with its symbols (taken again without hashing the text for the caches).
enum Choice {
    Whole,
    Nothing,
    Parts(KeptParts),
}

/// Bytes of source whose trees of parts [`CHOSEN`] holds, as the tree cache does
/// (`tree_cache::BUDGET`); the other choices take a few bytes each.
const CHOSEN_BYTES: usize = 32 << 20;

/// What a choice without a tree counts for against [`CHOSEN_BYTES`].
const CHOICE_WITHOUT_TREE: usize = 256;

/// Texts shorter than this are worked out each time: hashing them costs about as much.
const CHOSEN_SMALLEST: usize = 4096;

/// The choices made lately, by text, path, the names of the run's symbols and the splitting of
/// classes (see [`choice_key`]). A run's checks and edits ask about the same texts with the same
/// symbols phase after phase.
static CHOSEN: LazyLock<Kept<Choice>> = LazyLock::new(|| Kept::new(CHOSEN_BYTES));

/// What a [`Choice`] depends on, hashed: the text, the path of the file holding it, whether
/// classes are split, and the last names of each symbol (which follow the run's modules).
fn choice_key(
    text: &str,
    rel: &RelPath,
    narrowing: Narrowing,
    names: &[Vec<String>],
) -> blake3::Hash {
    let mut hasher = blake3::Hasher::new();
    hasher.update(blake3::hash(text.as_bytes()).as_bytes());
    hasher.update(&[narrowing as u8]);
    for part in std::iter::once(rel.as_str()).chain(
        names
            .iter()
            .flat_map(|n| n.iter().map(String::as_str).chain(["\0"])),
    ) {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize()
}

/// [`parse_symbol_parts`] worked out: the choice, and the file it gives.
fn choose_parts<'a>(
    statements: &LazyStatements<'a>,
    rel: &'a RelPath,
    cx: &'a EditContext,
    narrowing: Narrowing,
    names: Vec<Vec<String>>,
) -> (Choice, Option<Option<ParsedFile<'a>>>) {
    let text = statements.text();
    let mut spellings = Vec::new();
    let mut words = Vec::new();
    for last in names {
        let (names, all) = symbol_words(last, text);
        spellings.extend(names);
        words.extend(all);
    }
    spellings.sort();
    spellings.dedup();
    words.sort();
    words.dedup();
    let hits = word_hits(text, &words);
    let Some(lexed) = statements.get() else {
        return (Choice::Whole, None);
    };
    let parts = lexed.parts_holding(text, &hits, narrowing);
    if parts.is_empty() {
        return (Choice::Nothing, Some(None));
    }
    if parts.iter().map(|p| p.len()).sum::<usize>() == text.len() {
        return (Choice::Whole, None);
    }
    let Some(file) = ParsedFile::parse_parts(text, rel, &cx.modules, parts) else {
        return (Choice::Whole, None);
    };
    if file.has_error() || !spellings_start_with(&file, &spellings, &words) {
        return (Choice::Whole, None);
    }
    let aliases = file.symbols().aliases_of(&spellings);
    if aliases.iter().any(|a| words.binary_search(a).is_err()) {
        return (Choice::Whole, None);
    }
    (Choice::Parts(file.kept_parts()), Some(Some(file)))
}

/// What the references to a symbol whose `last_names` are these (its own and its definition's) can
/// be spelled with in `text`, and every name whose statements a parse must see to resolve them:
/// those names and
/// the names the file imports it under (`... NAME as ALIAS`); then also the names that such a
/// spelling is an attribute of (`module` in `module.NAME`, `app` in `app.ws.NAME`), as the text
/// spells them, and the names of `importlib`'s calls. Every binding of a name spells it, so the
/// statements that hold these are all a resolution of the references looks at.
fn symbol_words(last_names: Vec<String>, text: &str) -> (Vec<String>, Vec<String>) {
    let mut spellings = last_names;
    for name in spellings.clone() {
        for at in Word::new(&name).find_iter(text) {
            if let Some(alias) = alias_after(&text[at + name.len()..]) {
                spellings.push(alias.to_string());
            }
        }
    }
    spellings.sort();
    spellings.dedup();
    let mut words = spellings.clone();
    for name in &spellings {
        for at in Word::new(name).find_iter(text) {
            if let Some(root) = chain_root_before(&text[..at]) {
                words.push(root.to_string());
            }
        }
    }
    words.extend(IMPORT_CALL_WORDS.iter().map(|w| w.to_string()));
    (spellings, words)
}

/// The first name of the dotted chain that `before` ends with (`a` for `x = a.b.`), if it ends
/// with one written on one line.
fn chain_root_before(before: &str) -> Option<&str> {
    let mut rest = before.strip_suffix('.')?;
    loop {
        let trimmed = rest.trim_end_matches([' ', '\t']);
        let start = trimmed
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
            .last()
            .map(|(i, _)| i)?;
        let name = &trimmed[start..];
        match trimmed[..start]
            .trim_end_matches([' ', '\t'])
            .strip_suffix('.')
        {
            Some(more) => rest = more,
            None => return Some(name),
        }
    }
}

/// Whether every reference to a spelling in the parsed parts starts with a name among `words`:
/// the spelling itself, or the first name of the attribute chain it ends (a chain whose first
/// part is not a name, `f().NAME`, resolves to nothing whatever the file binds).
fn spellings_start_with(file: &ParsedFile, spellings: &[String], words: &[String]) -> bool {
    let root = file.root();
    for name in spellings {
        for at in Word::new(name).find_iter(file.content) {
            let start = file.tree_offset(at);
            let Some(node) = root.descendant_for_byte_range(start, start + name.len()) else {
                continue;
            };
            if node.kind() != "identifier" || node.byte_range() != (start..start + name.len()) {
                continue;
            }
            let first = chain_start(node);
            if first.kind() == "identifier"
                && words
                    .binary_search_by(|w| w.as_str().cmp(&file.content[file.span(first)]))
                    .is_err()
            {
                return false;
            }
        }
    }
    true
}

/// The first part of the attribute chain that `name` ends (`a` in `a.b.name`), or `name`.
fn chain_start(name: Node) -> Node {
    let mut top = name;
    while let Some(parent) = top.parent().filter(|p| {
        p.kind() == "attribute"
            && p.child_by_field_name("attribute")
                .is_some_and(|a| a.id() == top.id())
    }) {
        top = parent;
    }
    let mut first = top;
    while first.kind() == "attribute" {
        match first.child_by_field_name("object") {
            Some(object) => first = object,
            None => break,
        }
    }
    first
}

/// The units that hold every match of `queries` in the text; `None` when the whole file is needed.
fn units_for(
    statements: &LazyStatements,
    queries: &[&Query],
    whole_blocks: bool,
) -> Option<Vec<Unit>> {
    let text = statements.text();
    let mut top_level_only = whole_blocks;
    let mut anchors = Vec::new();
    for query in queries {
        match query.reach() {
            Reach::File | Reach::Parts => return None,
            Reach::TopLevel => top_level_only = true,
            Reach::Statement => {}
        }
        anchors.push(query.anchor()?);
    }
    let statements = statements.get()?;
    let ranges = anchors
        .iter()
        .flat_map(|w| w.find_iter(text).map(move |at| at..at + w.len()));
    Some(statements.units_around(ranges, top_level_only))
}

/// What a `python` check sees of one file: the 1-based lines of the matches that count, and
/// those where the pattern matches except that the symbol's name resolves to nothing. One parse
/// and one walk give both.
pub(crate) fn structural_check_sites(
    query: &Query,
    rel: &RelPath,
    content: &str,
    cx: &EditContext,
) -> (Vec<u64>, Vec<(u64, Resolution)>) {
    if !query.could_match(content) {
        return (Vec::new(), Vec::new());
    }
    cx.count_parsed();
    if query.pattern.symbol().is_none() {
        return (match_lines(query, rel, content, cx), Vec::new());
    }
    let (mut counted, mut unresolved) = (Vec::new(), Vec::new());
    for_each_verdict(query, rel, content, cx, |line, verdict| match verdict {
        Verdict::Counts => counted.push(line),
        Verdict::Unresolved(why) => {
            if query.unresolved == Unresolved::Edit {
                counted.push(line);
            }
            unresolved.push((line, why));
        }
        Verdict::LeftAlone(_) => {}
    });
    (counted, unresolved)
}

/// The sites of one file that a query's pattern matches but that do not simply count.
#[derive(Debug, Default)]
pub(crate) struct SetAside {
    /// Lines where the query's context (`inside`, `not_inside`, `in_class`, `unless_comment`)
    /// keeps a match from counting, each with the context that decided.
    pub(crate) left_alone: Vec<(u64, String)>,
    /// Lines where the pattern matches except that the symbol's name resolves to nothing, each
    /// with the reason; these count only when the query edits unresolved sites.
    pub(crate) unresolved: Vec<(u64, Resolution)>,
}

impl SetAside {
    /// The sites set aside among these matches, given by line and verdict in file order.
    pub(crate) fn of_verdicts(verdicts: impl Iterator<Item = (u64, Verdict)>) -> SetAside {
        let mut out = SetAside::default();
        for (line, verdict) in verdicts {
            match verdict {
                Verdict::Counts => {}
                Verdict::LeftAlone(reason) => out.left_alone.push((line, reason)),
                Verdict::Unresolved(why) => out.unresolved.push((line, why)),
            }
        }
        out
    }
}

/// The sites of `content` that `query` sets aside (see [`SetAside`]): the sites an edit
/// deliberately leaves alone, and those it cannot tell are the symbol. Not counted as a parse: it
/// looks again at a file the edit already parsed.
pub(crate) fn set_aside_lines(
    query: &Query,
    rel: &RelPath,
    content: &str,
    cx: &EditContext,
) -> SetAside {
    if !query.sets_aside() || !query.could_match(content) {
        return SetAside::default();
    }
    let mut verdicts = Vec::new();
    for_each_verdict(query, rel, content, cx, |line, verdict| {
        verdicts.push((line, verdict));
    });
    SetAside::of_verdicts(verdicts.into_iter())
}

/// Every structural match of `query` in `content`, by its 1-based line, with the query's verdict,
/// in file order.
fn for_each_verdict(
    query: &Query,
    rel: &RelPath,
    content: &str,
    cx: &EditContext,
    mut visit: impl FnMut(u64, Verdict),
) {
    let lines = LineIndex::new(content);
    with_parsed(
        &LazyStatements::new(content),
        rel,
        cx,
        &[query],
        false,
        |pieces| {
            for p in pieces {
                for (m, verdict) in query.find_all(&p.file) {
                    if let Some(at) = p.to_file(m.range.start) {
                        visit(lines.line_of(at), verdict);
                    }
                }
            }
        },
    );
}

fn match_lines(query: &Query, rel: &RelPath, content: &str, cx: &EditContext) -> Vec<u64> {
    let lines = LineIndex::new(content);
    with_parsed(
        &LazyStatements::new(content),
        rel,
        cx,
        &[query],
        false,
        |pieces| {
            pieces
                .iter()
                .flat_map(|p| {
                    query
                        .find(&p.file)
                        .into_iter()
                        .filter_map(|m| p.to_file(m.range.start))
                })
                .map(|at| lines.line_of(at))
                .collect()
        },
    )
}

#[cfg(test)]
mod tests {
    use std::ops::Range;

    use super::*;
    use crate::edit::{python, structural, test_corpus};
    use crate::plan::Skip;

    const CODE: Skip = Skip {
        strings: true,
        comments: true,
    };

    /// The strings and comments found by parsing only the statements around regex matches are
    /// those of the whole file's parse, at every match in real code.
    #[test]
    fn skipped_ranges_of_units_agree_with_the_whole_file() {
        let re =
            ::regex::Regex::new(r#"\b(self|return|if|len|print|await|not|x)\b|#|'|""#).unwrap();
        let mut compared = 0;
        for (path, text) in test_corpus::python_files(600_000) {
            let matches: Vec<Range<usize>> = re.find_iter(&text).map(|m| m.range()).collect();
            let around = python::skipped_ranges_around(&LazyStatements::new(&text), CODE, &matches);
            let whole = python::skipped_ranges(&text, CODE);
            for m in &matches {
                compared += 1;
                assert_eq!(
                    python::in_ranges(&around, m.start),
                    python::in_ranges(&whole, m.start),
                    "{}: at byte {} ({:?})",
                    path.display(),
                    m.start,
                    &text[m.start..(m.start + 40).min(text.len())]
                );
            }
        }
        assert!(compared > 10_000, "{compared}");
    }

    /// The sites of symbol-aware queries, and their verdicts, found in the parts of a file that
    /// hold the symbols' names are those found in the whole file's tree, on real code: with
    /// attribute chains, aliases, local bindings, star imports, context patterns and comments.
    #[test]
    fn symbol_sites_in_parts_agree_with_the_whole_file() {
        let query =
            |p: &str, symbol: &str, not_inside: Option<&str>, comment: Option<&str>| Query {
                not_inside: not_inside
                    .map(|i| structural::Pattern::compile(i, None).unwrap())
                    .into_iter()
                    .collect(),
                unless_comment: comment.map(str::to_string),
                ..Query::new(structural::Pattern::compile(p, Some(symbol)).unwrap())
            };
        let queries = [
            query("join($$$A)", "os.path.join", None, None),
            query("getcwd()", "os.getcwd", None, None),
            query(
                "compile($$$A)",
                "re.compile",
                Some("def $F($$$P): $$$B"),
                None,
            ),
            query("OrderedDict($$$A)", "collections.OrderedDict", None, None),
            query("Optional[$T]", "typing.Optional", None, None),
            query("exit($$$A)", "sys.exit", None, Some("noqa")),
            query("warn($$$A)", "warnings.warn", Some("with $$$W: $$$B"), None),
            query("deepcopy", "copy.deepcopy", None, None),
        ];
        for q in &queries {
            assert_eq!(q.reach(), Reach::Parts, "{}", q.describe());
        }
        let cx = EditContext::with_symbols(
            crate::edit::symbols::ModuleIndex::detached(),
            std::sync::Arc::new(vec!["os.path.join".to_string()]),
        );
        let rel = RelPath::parse("pkg/m.py").unwrap();
        let (mut in_parts, mut sites, mut unresolved) = (0, 0, 0);
        for (path, text) in test_corpus::python_files(4_000_000) {
            let whole = ParsedFile::parse(&text, &rel, &cx.modules).unwrap();
            if whole.has_error() {
                continue;
            }
            let lines = LineIndex::new(&text);
            for query in &queries {
                if !query.could_match(&text) {
                    continue;
                }
                let (mut counted, mut left) = (Vec::new(), Vec::new());
                for (m, verdict) in query.find_all(&whole) {
                    let line = lines.line_of(m.range.start);
                    match verdict {
                        Verdict::Counts => counted.push(line),
                        Verdict::Unresolved(why) => left.push((line, why)),
                        Verdict::LeftAlone(_) => {}
                    }
                }
                let statements = LazyStatements::new(&text);
                if let Some(Some(_)) = parse_symbol_parts(&statements, &rel, &cx, &[query], false) {
                    in_parts += 1;
                }
                let got = structural_check_sites(query, &rel, &text, &cx);
                assert_eq!(
                    got,
                    (counted, left),
                    "{}: {}",
                    path.display(),
                    query.describe()
                );
                sites += got.0.len();
                unresolved += got.1.len();
            }
        }
        assert!(in_parts > 200, "{in_parts} files were looked at in parts");
        assert!(
            sites > 200 && unresolved > 10,
            "{sites} sites, {unresolved} unresolved"
        );
    }

    /// The parts chosen for a text are kept by what they depend on: the same text asked about with
    /// other symbols, or at another path, gets its own choice.
    #[test]
    fn a_texts_parts_are_chosen_again_for_other_symbols_and_paths() {
        let filler = (0..80)
            .map(|i| format!("def filler_{i}(a):\n    return a + {i}\n\n\n"))
            .collect::<String>();
        let text = format!(
            "from app.one import first\nfrom app.two import second\n{filler}\
             async def uses_first():\n    await first()\n\n\n{filler}\
             async def uses_second():\n    await second()\n"
        );
        let query = |pattern: &str, symbol: &str| {
            Query::new(structural::Pattern::compile(pattern, Some(symbol)).unwrap())
        };
        let (first, second) = (
            query("await first()", "app.one.first"),
            query("await second()", "app.two.second"),
        );
        let rel = RelPath::parse("svc/uses.py").unwrap();
        let parsed_defs = |query: &Query, rel: &RelPath| -> Vec<String> {
            let cx = EditContext::detached();
            let statements = LazyStatements::new(&text);
            let Some(Some(file)) = parse_symbol_parts(&statements, rel, &cx, &[query], false)
            else {
                panic!("read in parts");
            };
            let root = file.root();
            let mut cursor = root.walk();
            root.named_children(&mut cursor)
                .filter(|n| n.kind() == "function_definition")
                .filter_map(|n| n.child_by_field_name("name"))
                .map(|n| file.content[file.span(n)].to_string())
                .collect()
        };
        for _ in 0..2 {
            assert_eq!(parsed_defs(&first, &rel), ["uses_first"]);
            assert_eq!(parsed_defs(&second, &rel), ["uses_second"]);
        }
        let other = RelPath::parse("svc/again.py").unwrap();
        assert_eq!(parsed_defs(&second, &other), ["uses_second"]);
        let keys = [
            choice_key(&text, &rel, Narrowing::None, &[vec!["first".into()]]),
            choice_key(&text, &rel, Narrowing::Classes, &[vec!["first".into()]]),
            choice_key(&text, &rel, Narrowing::Definitions, &[vec!["first".into()]]),
            choice_key(&text, &other, Narrowing::None, &[vec!["first".into()]]),
            choice_key(
                &text,
                &rel,
                Narrowing::None,
                &[vec!["first".into(), "x".into()]],
            ),
            choice_key(
                &text,
                &rel,
                Narrowing::None,
                &[vec!["first".into()], vec!["x".into()]],
            ),
            choice_key(&text[1..], &rel, Narrowing::None, &[vec!["first".into()]]),
        ];
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    /// The forms a reference's resolution depends on, each far from the site in a file whose other
    /// statements are many: the parts give the verdicts the whole file gives.
    #[test]
    fn symbol_sites_in_parts_see_every_binding_that_decides() {
        let filler = "def unrelated_{}(a, b):\n    return [a * b for _ in range(3)]\n\n\n";
        let fill = |n: usize| -> String {
            (0..n)
                .map(|i| filler.replace("{}", &i.to_string()))
                .collect()
        };
        let text = format!(
            "import importlib\nimport app.ws.manager as wsm\nfrom app.ws import manager\n\
             from app.ws.manager import get_manager as gm\n{}\
             try:\n    from app.ws.manager import get_manager\nexcept ImportError:\n    get_manager = None\n\n\
             dynamic = importlib.import_module(\"app.ws.manager\")\n{}\
             class Service(Base):\n    get_manager = staticmethod(lambda: None)\n\n    def other(self):\n        return 1\n\n\
             \x20   async def run(self, get_manager=None):\n        await get_manager()\n        await gm()\n\n\
             \x20   async def go(self):\n        await wsm.get_manager()\n        await manager.get_manager()\n\
             \x20       await dynamic.get_manager()\n        await get_manager()\n        await (wsm\n            .get_manager())\n\n\
             \x20   direct = get_manager()\n\n\
             def later():\n    global wsm\n    wsm = object()\n\n\n{}\
             async def star_user():\n    await get_manager()\n",
            fill(40),
            fill(40),
            fill(40)
        );
        let query = Query::new(
            structural::Pattern::compile("await get_manager()", Some("app.ws.manager.get_manager"))
                .unwrap(),
        );
        let cx = EditContext::detached();
        let rel = RelPath::parse("svc/m.py").unwrap();
        let whole = ParsedFile::parse(&text, &rel, &cx.modules).unwrap();
        assert!(!whole.has_error());
        let lines = LineIndex::new(&text);
        let expected: Vec<(u64, Verdict)> = query
            .find_all(&whole)
            .into_iter()
            .map(|(m, v)| (lines.line_of(m.range.start), v))
            .collect();
        let mut got = Vec::new();
        for_each_verdict(&query, &rel, &text, &cx, |line, v| got.push((line, v)));
        assert_eq!(got, expected);
        assert!(expected.len() >= 7, "{expected:?}");
        // The chain split over lines starts with a name the words have (`wsm`), so the parts
        // serve; with a star import the file is still read in parts.
        let statements = LazyStatements::new(&text);
        let Some(Some(parts)) = parse_symbol_parts(&statements, &rel, &cx, &[&query], false) else {
            panic!("the file is read in parts");
        };
        // Of the 120 unrelated functions, none is parsed.
        assert!(
            parts.root().named_child_count() < 20,
            "{}",
            parts.root().to_sexp()
        );
        let with_star = format!(
            "from app.ws.star import *\n{}",
            text.replace("from app.ws.manager import get_manager as gm\n", "")
        );
        let whole = ParsedFile::parse(&with_star, &rel, &cx.modules).unwrap();
        let lines = LineIndex::new(&with_star);
        let expected: Vec<(u64, Verdict)> = query
            .find_all(&whole)
            .into_iter()
            .map(|(m, v)| (lines.line_of(m.range.start), v))
            .collect();
        let mut got = Vec::new();
        for_each_verdict(&query, &rel, &with_star, &cx, |line, v| got.push((line, v)));
        assert_eq!(got, expected);
    }

    /// Structural matches found in statement units are those found in the whole file's tree, for
    /// patterns of every reach.
    #[test]
    fn structural_matches_in_units_agree_with_the_whole_file() {
        let queries: Vec<Query> = [
            ("len($X)", None, None),
            ("self.$M($$$A)", None, None),
            ("isinstance($A, $B)", None, None),
            ("return $X", None, None),
            ("raise $E($$$A)", None, None),
            ("await $X", None, None),
            ("if $C: $$$B", None, None),
            ("len($X)", Some("def $F($$$P): $$$B"), None),
            ("self.$M($$$A)", None, Some("with $$$W: $$$B")),
        ]
        .into_iter()
        .map(|(p, inside, not_inside)| Query {
            inside: inside
                .map(|i| structural::Pattern::compile(i, None).unwrap())
                .into_iter()
                .collect(),
            not_inside: not_inside
                .map(|i| structural::Pattern::compile(i, None).unwrap())
                .into_iter()
                .collect(),
            ..Query::new(structural::Pattern::compile(p, None).unwrap())
        })
        .collect();
        assert_eq!(queries[0].reach(), Reach::Statement);
        assert_eq!(queries[6].reach(), Reach::TopLevel);
        assert_eq!(queries[7].reach(), Reach::TopLevel);
        let cx = EditContext::detached();
        let mut found = 0;
        for (path, text) in test_corpus::python_files(400_000) {
            let rel = RelPath::parse("m.py").unwrap();
            let whole = ParsedFile::parse(&text, &rel, &cx.modules).unwrap();
            let lines = LineIndex::new(&text);
            for query in &queries {
                let expected: Vec<u64> = query
                    .find(&whole)
                    .iter()
                    .map(|m| lines.line_of(m.range.start))
                    .collect();
                let got = structural_check_sites(query, &rel, &text, &cx).0;
                assert_eq!(got, expected, "{}: {}", path.display(), query.describe());
                found += got.len();
            }
        }
        assert!(found > 1_000, "{found}");
    }
}
