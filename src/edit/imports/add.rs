//! Adding the imports an edit needs, in the file's own style: with the file's other top-level
//! imports (or into a `from` import of the same module), after the module docstring, header
//! comments and `from __future__` imports, with the file's line endings.

use std::collections::HashMap;

use tree_sitter::Node;

use super::error::ImportError;
use super::lines::{line_end, line_ending, line_start, next_line};
use super::names::Names;
use super::spec::{Bound, ImportSpec, SpecName};
use super::statements::{ImportKind, ImportStatement};
use crate::edit::python;

/// What a file already makes of a name an import would bind.
enum Status {
    /// The name is bound at module level to what the import binds it to.
    Present,
    /// The name is bound at module level to something else, on this line.
    Taken(usize),
    Missing,
}

/// `source` with the names of `specs` that it does not bind at module level imported. A name
/// already bound there to the same thing is skipped; a name bound to something else (another
/// import, a definition, an assignment) is an error naming its line. The result never has more
/// syntax errors than `source`.
pub(crate) fn add_imports(source: &str, specs: &[ImportSpec]) -> Result<String, ImportError> {
    let Some((tree, offset)) = python::parse(source) else {
        return Ok(source.to_string());
    };
    let root = tree.root_node();
    let names = Names::in_tree(root, source, offset);
    // Imports in functions and classes bind nothing at module level; those under
    // `if TYPE_CHECKING:` are not there when the code runs.
    let imports: Vec<&ImportStatement> = names
        .imports()
        .iter()
        .filter(|s| !s.placement.in_function && !s.placement.in_class && !s.is_star)
        .collect();
    let eol = line_ending(source);
    // The missing names, with those of one `from` module together: one statement, or one
    // insertion into the file's own import of that module.
    let mut pending: Vec<ImportSpec> = Vec::new();
    let mut added: HashMap<String, (String, String)> = HashMap::new();
    for spec in specs {
        let mut missing = Vec::new();
        for (name, bound) in spec.names.iter().zip(spec.bound()) {
            if let Some((qualified, first)) = added.get(&bound.name) {
                if *qualified == bound.qualified {
                    continue;
                }
                return Err(ImportError::Contradictory {
                    first: first.clone(),
                    second: spec.to_string(),
                    name: bound.name,
                });
            }
            match status(spec, name, &bound, &imports, &names) {
                Status::Present => {}
                Status::Taken(line) => {
                    return Err(ImportError::NameTaken {
                        import: spec.to_string(),
                        name: bound.name,
                        line,
                    })
                }
                Status::Missing => {
                    added.insert(bound.name, (bound.qualified, spec.to_string()));
                    missing.push(name.clone());
                }
            }
        }
        if missing.is_empty() {
            continue;
        }
        match pending
            .iter_mut()
            .find(|p| p.module.is_some() && p.module == spec.module)
        {
            Some(same) => same.names.extend(missing),
            None => pending.push(spec.with_names(missing)),
        }
    }
    let mut insertions: Vec<(usize, String)> = Vec::new();
    let mut statements: Vec<String> = Vec::new();
    for spec in pending {
        let merged = spec.module.as_deref().and_then(|module| {
            imports
                .iter()
                .filter(|s| s.placement.top_level && s.kind == ImportKind::From)
                .filter(|s| s.module.as_deref() == Some(module))
                .find_map(|s| merge_into(source, s, &spec.names, eol))
        });
        match merged {
            Some(edits) => insertions.extend(edits),
            None => statements.push(spec.to_string()),
        }
    }
    if !statements.is_empty() {
        insertions.push(new_statements_at(
            source,
            root,
            offset,
            &imports,
            &statements,
            eol,
        ));
    }
    if insertions.is_empty() {
        return Ok(source.to_string());
    }
    insertions.sort_by_key(|(at, _)| *at);
    let mut out = String::with_capacity(source.len() + 200);
    let mut at = 0;
    for (pos, text) in &insertions {
        out.push_str(&source[at..*pos]);
        out.push_str(text);
        at = *pos;
    }
    out.push_str(&source[at..]);
    // The result is parsed once more to prove it; the original only if the result has errors.
    let errors = python::error_count(&out);
    if errors > 0 && errors > python::error_count(source) {
        let asked: Vec<String> = specs.iter().map(ImportSpec::to_string).collect();
        return Err(ImportError::BreaksSyntax {
            import: asked.join("; "),
        });
    }
    Ok(out)
}

fn status(
    spec: &ImportSpec,
    name: &SpecName,
    bound: &Bound,
    imports: &[&ImportStatement],
    names: &Names,
) -> Status {
    let runtime = || imports.iter().filter(|s| !s.placement.in_type_checking);
    let present = if spec.module.is_none() && name.alias.is_none() {
        // `import a.b` also needs the submodule loaded: an `import a` does not do.
        runtime().any(|s| {
            s.kind == ImportKind::Import
                && s.names.iter().any(|n| {
                    n.alias.is_none()
                        && (n.name == name.name
                            || n.name
                                .strip_prefix(name.name.as_str())
                                .is_some_and(|rest| rest.starts_with('.')))
                })
        })
    } else {
        runtime().any(|s| s.bound().any(|b| b == *bound))
    };
    if present {
        return Status::Present;
    }
    for statement in imports {
        if statement
            .bound()
            .any(|b| b.name == bound.name && b.qualified != bound.qualified)
        {
            return Status::Taken(statement.line);
        }
    }
    match names.module_binding(&bound.name) {
        Some(line) => Status::Taken(line),
        None => Status::Missing,
    }
}

/// The insertions that add `names` to the `from` import `statement`, if it is one that takes
/// them cleanly: a one-line import without a comment or a continuation, or a parenthesized one.
fn merge_into(
    source: &str,
    statement: &ImportStatement,
    names: &[SpecName],
    eol: &str,
) -> Option<Vec<(usize, String)>> {
    let last = statement.names.last()?;
    let text = &source[statement.range.clone()];
    let rest_of_line = &source[statement.range.end..line_end(source, statement.range.end)];
    let listed: Vec<String> = names.iter().map(SpecName::to_string).collect();
    let inline = vec![(last.range.end, format!(", {}", listed.join(", ")))];
    if !statement.is_parenthesized {
        let simple = !text.contains('\n') && !text.contains('\\') && rest_of_line.trim().is_empty();
        return simple.then_some(inline);
    }
    let last_line_start = line_start(source, last.range.start);
    if last_line_start <= statement.range.start {
        // The names share the line of `from`: they continue on it.
        return Some(inline);
    }
    let indent: String = source[last_line_start..last.range.start]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    if indent.len() != last.range.start - last_line_start {
        return Some(inline);
    }
    let after_last = last.separator.as_ref().map_or(last.range.end, |s| s.end);
    let end = line_end(source, after_last);
    let tail = source[after_last..end].trim();
    if !(tail.is_empty() || tail.starts_with('#')) {
        return Some(inline);
    }
    let next_line = next_line(source, end);
    if next_line == end {
        return Some(inline);
    }
    let lines: String = listed
        .iter()
        .map(|n| format!("{indent}{n},{eol}"))
        .collect();
    let mut edits = Vec::new();
    if last.separator.is_none() {
        // The file does not end its list with a comma: neither does the new last name.
        edits.push((last.range.end, ",".to_string()));
        let trimmed = lines.trim_end_matches(eol).trim_end_matches(',');
        edits.push((next_line, format!("{trimmed}{eol}")));
    } else {
        edits.push((next_line, lines));
    }
    Some(edits)
}

/// Where new import statements go, and their text with the blank lines around them.
pub(crate) fn new_statements_at(
    source: &str,
    root: Node,
    offset: usize,
    imports: &[impl std::borrow::Borrow<ImportStatement>],
    statements: &[String],
    eol: &str,
) -> (usize, String) {
    let mut text: String = statements.iter().map(|s| format!("{s}{eol}")).collect();
    let top: Vec<Node> = root
        .named_children(&mut root.walk())
        .filter(|n| n.kind() != "comment")
        .collect();
    let docstring = top.first().filter(|n| is_docstring(**n)).copied();
    let first_code = usize::from(docstring.is_some());
    let block_from = match top.get(first_code).filter(|n| is_import(**n)) {
        Some(_) => Some(first_code),
        // No import right after the docstring: the file's imports may come later.
        None => {
            let first = imports
                .iter()
                .map(|s| s.borrow())
                .find(|s| s.placement.top_level);
            first.and_then(|first| {
                top.iter()
                    .position(|n| n.start_byte() + offset == first.range.start)
            })
        }
    };
    if let Some(from) = block_from {
        let run = top[from..].iter().take_while(|n| is_import(**n)).count();
        let last = top[from + run - 1];
        let end = line_end(source, last.end_byte() + offset);
        return match next_line(source, end) {
            // The last import ends the file without a line break.
            at if at == end => (at, format!("{eol}{}", text.trim_end_matches(eol))),
            at => (at, text),
        };
    }
    // No import at all: after the docstring, or the comments that open the file.
    let header_end = match docstring {
        Some(doc) => Some(line_end(source, doc.end_byte() + offset)),
        None => {
            let (mut end, mut at) = (None, offset);
            while source[at..].starts_with('#') {
                let line = line_end(source, at);
                end = Some(line);
                at = next_line(source, line);
                if at == line {
                    break;
                }
            }
            end
        }
    };
    match header_end {
        Some(end) => match next_line(source, end) {
            at if at == end => (at, format!("{eol}{text}")),
            at => {
                // One blank line between the header and the import, if code follows.
                if !source[at..].trim().is_empty() {
                    text = format!("{eol}{text}");
                }
                (at, text)
            }
        },
        None => {
            let rest = &source[offset..];
            let blank_follows = rest.starts_with('\n') || rest.starts_with("\r\n");
            if !rest.trim().is_empty() && !blank_follows {
                text.push_str(eol);
            }
            (offset, text)
        }
    }
}

/// Whether `node` is a docstring: a statement that is only a string.
fn is_docstring(node: Node) -> bool {
    node.kind() == "expression_statement"
        && node.named_child_count() == 1
        && node.named_child(0).is_some_and(|c| c.kind() == "string")
}

fn is_import(node: Node) -> bool {
    matches!(
        node.kind(),
        "import_statement" | "import_from_statement" | "future_import_statement"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(source: &str, specs: &[&str]) -> Result<String, ImportError> {
        let specs: Vec<ImportSpec> = specs
            .iter()
            .map(|s| ImportSpec::parse(s).unwrap())
            .collect();
        add_imports(source, &specs)
    }

    #[test]
    fn goes_after_the_last_import_of_the_leading_block() {
        let src = "#!/usr/bin/env python\n\"\"\"Doc.\"\"\"\nfrom __future__ import annotations\nimport os\n# why\nimport sys\n\nx = 1\n";
        assert_eq!(
            add(src, &["import collections.abc"]).unwrap(),
            "#!/usr/bin/env python\n\"\"\"Doc.\"\"\"\nfrom __future__ import annotations\nimport os\n# why\nimport sys\nimport collections.abc\n\nx = 1\n"
        );
        let only_future = "\"\"\"Doc.\"\"\"\nfrom __future__ import annotations\nx = 1\n";
        assert_eq!(
            add(only_future, &["import os"]).unwrap(),
            "\"\"\"Doc.\"\"\"\nfrom __future__ import annotations\nimport os\nx = 1\n"
        );
    }

    #[test]
    fn joins_a_simple_from_import_of_the_same_module() {
        let src = "from datetime import datetime\n\nx = datetime.utcnow()\n";
        assert_eq!(
            add(src, &["from datetime import timezone"]).unwrap(),
            "from datetime import datetime, timezone\n\nx = datetime.utcnow()\n"
        );
        let commented = "from datetime import datetime  # noqa\n";
        assert_eq!(
            add(commented, &["from datetime import timezone"]).unwrap(),
            "from datetime import datetime  # noqa\nfrom datetime import timezone\n"
        );
    }

    #[test]
    fn adds_a_line_to_a_parenthesized_import_in_its_style() {
        let trailing = "from typing import (\n    Any,\n    List,\n)\n";
        assert_eq!(
            add(trailing, &["from typing import Mapping"]).unwrap(),
            "from typing import (\n    Any,\n    List,\n    Mapping,\n)\n"
        );
        let bare = "from typing import (\n    Any,\n    List\n)\n";
        assert_eq!(
            add(bare, &["from typing import Mapping as M"]).unwrap(),
            "from typing import (\n    Any,\n    List,\n    Mapping as M\n)\n"
        );
        let one_line = "from typing import (Any, List)\n";
        assert_eq!(
            add(one_line, &["from typing import Mapping"]).unwrap(),
            "from typing import (Any, List, Mapping)\n"
        );
    }

    #[test]
    fn a_file_without_imports_gets_one_after_its_docstring() {
        assert_eq!(
            add("\"\"\"Doc.\"\"\"\ndef f():\n    pass\n", &["import os"]).unwrap(),
            "\"\"\"Doc.\"\"\"\n\nimport os\ndef f():\n    pass\n"
        );
        assert_eq!(
            add("\"\"\"Doc.\"\"\"\n\nx = 1\n", &["import os"]).unwrap(),
            "\"\"\"Doc.\"\"\"\n\nimport os\n\nx = 1\n"
        );
        assert_eq!(
            add("x = 1\n", &["import os"]).unwrap(),
            "import os\n\nx = 1\n"
        );
        assert_eq!(add("", &["import os"]).unwrap(), "import os\n");
        assert_eq!(
            add("# -*- coding: utf-8 -*-\nx = 1", &["import os"]).unwrap(),
            "# -*- coding: utf-8 -*-\n\nimport os\nx = 1"
        );
        assert_eq!(
            add("\"\"\"Doc.\"\"\"", &["import os"]).unwrap(),
            "\"\"\"Doc.\"\"\"\nimport os\n"
        );
    }

    #[test]
    fn names_of_one_module_asked_separately_go_in_together() {
        let bare = "from typing import (\n    Any\n)\n";
        assert_eq!(
            add(
                bare,
                &["from typing import List", "from typing import Mapping"]
            )
            .unwrap(),
            "from typing import (\n    Any,\n    List,\n    Mapping\n)\n"
        );
        assert_eq!(
            add(
                "x = 1\n",
                &["from a import b", "import os", "from a import c"]
            )
            .unwrap(),
            "from a import b, c\nimport os\n\nx = 1\n"
        );
    }

    #[test]
    fn keeps_crlf_and_the_byte_order_mark() {
        let src = "\u{feff}\"\"\"Doc.\"\"\"\r\nimport os\r\nx = 1\r\n";
        assert_eq!(
            add(src, &["from datetime import timezone", "import numpy as np"]).unwrap(),
            "\u{feff}\"\"\"Doc.\"\"\"\r\nimport os\r\nfrom datetime import timezone\r\nimport numpy as np\r\nx = 1\r\n"
        );
        assert_eq!(
            add("\u{feff}x = 1\r\n", &["import os"]).unwrap(),
            "\u{feff}import os\r\n\r\nx = 1\r\n"
        );
    }

    #[test]
    fn a_file_with_mixed_line_breaks_keeps_each_line_whole() {
        assert_eq!(
            add("# c\r\n# d\nx = 1\r\n", &["import os"]).unwrap(),
            "# c\r\n# d\n\r\nimport os\r\nx = 1\r\n"
        );
        assert_eq!(
            add("import sys\nx = 1\r\n", &["import os"]).unwrap(),
            "import sys\nimport os\nx = 1\r\n"
        );
    }

    #[test]
    fn a_name_already_bound_to_the_same_thing_is_not_added_again() {
        for (src, spec) in [
            (
                "from datetime import timezone\n",
                "from datetime import timezone",
            ),
            ("import datetime\n", "import datetime"),
            ("import collections.abc\n", "import collections.abc"),
            ("import numpy as np\n", "import numpy as np"),
            (
                "try:\n    from datetime import timezone\nexcept ImportError:\n    pass\n",
                "from datetime import timezone",
            ),
        ] {
            assert_eq!(add(src, &[spec]).unwrap(), src, "{spec}");
        }
        assert_eq!(
            add(
                "from datetime import timezone\n",
                &["from datetime import timezone, datetime"]
            )
            .unwrap(),
            "from datetime import timezone, datetime\n"
        );
        // `import collections` does not load `collections.abc`.
        assert_eq!(
            add("import collections\n", &["import collections.abc"]).unwrap(),
            "import collections\nimport collections.abc\n"
        );
    }

    #[test]
    fn a_name_bound_to_something_else_is_an_error_with_its_line() {
        for (src, line) in [
            ("import os\nfrom pytz import timezone\n", 2),
            ("import os\n\ndef timezone():\n    pass\n", 3),
            ("timezone = None\n", 1),
        ] {
            assert_eq!(
                add(src, &["from datetime import timezone"]),
                Err(ImportError::NameTaken {
                    import: "from datetime import timezone".into(),
                    name: "timezone".into(),
                    line
                }),
                "{src}"
            );
        }
        // A local of a function does not take the module-level name.
        assert!(add(
            "def f():\n    timezone = 1\n",
            &["from datetime import timezone"]
        )
        .is_ok());
        assert!(matches!(
            add("", &["import numpy as np", "import numexpr as np"]),
            Err(ImportError::Contradictory { .. })
        ));
    }
}
