//! How large a plan may be: its size in bytes, how deep its YAML nests, how many values it holds,
//! and how many phases, checks and edits it lists.
//!
//! Reading a plan costs far more memory than its size on disk (every value becomes a serde value, a
//! spec struct, a located key path, and every edit a compiled regex or query), and both YAML parsers
//! recurse, so a file nested thousands of levels deep takes minutes to refuse or overflows the
//! stack. The limits are checked before any parser builds anything: the size before the file is
//! read, the depth and the number of values in one pass over yaml-rust2's events, which stops at
//! the first value nested too deep, so refusing a pathological file costs no more than reading the
//! first few hundred bytes of it. The limits are generous for real plans, which are a few
//! kilobytes and nest about eight levels.

use yaml_rust2::parser::{Event, Parser};

use super::error::Diagnostic;
use super::locate::Location;
use super::spec::PlanSpec;

/// The largest plan file remedy reads, in bytes.
pub(crate) const MAX_PLAN_BYTES: u64 = 4 * 1024 * 1024;
/// How deep mappings and lists may nest (a plan needs about eight levels).
pub(crate) const MAX_DEPTH: usize = 64;
/// How many YAML values (scalars, lists, mappings) a plan may hold.
pub(crate) const MAX_VALUES: usize = 250_000;
/// How many phases a plan may have.
pub(crate) const MAX_PHASES: usize = 1_000;
/// How many edits all patch phases of a plan may have together.
pub(crate) const MAX_EDITS: usize = 10_000;
/// How many checks all validate phases of a plan may have together.
pub(crate) const MAX_CHECKS: usize = 10_000;

const SPLIT_HELP: &str = "split the work into several plans and run them one after another";

/// `4194304` → `4,194,304`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Refuses a plan of `bytes` bytes when it is larger than `MAX_PLAN_BYTES`.
pub(crate) fn check_size(bytes: u64) -> Result<(), Diagnostic> {
    if bytes <= MAX_PLAN_BYTES {
        return Ok(());
    }
    Err(Diagnostic {
        location: None,
        path: String::new(),
        message: format!(
            "the plan is {} bytes, more than the limit of {} bytes ({} MiB)",
            thousands(bytes),
            thousands(MAX_PLAN_BYTES),
            MAX_PLAN_BYTES / (1024 * 1024)
        ),
        help: Some(SPLIT_HELP.into()),
    })
}

/// Refuses YAML that nests deeper than `MAX_DEPTH` or holds more than `MAX_VALUES` values, in one
/// pass over the parser's events that builds nothing. A syntax error is left for the loader, which
/// explains it in a plan author's words.
pub(crate) fn check_shape(text: &str) -> Result<(), Diagnostic> {
    let mut parser = Parser::new_from_str(text);
    let mut depth = 0usize;
    let mut values = 0usize;
    loop {
        let (event, mark) = match parser.next_token() {
            Ok(next) => next,
            // Inside `[` or `{` the scanner reads ahead to the end of a possible key, which can be
            // the whole nest; it gives up at 256 open brackets. Nothing else may see such a file:
            // serde_yaml's parser takes minutes over it.
            Err(e) if e.info() == "recursion limit exceeded" => {
                return Err(too_deep(e.marker(), "256 or more"));
            }
            Err(_) => break,
        };
        match event {
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                values += 1;
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(too_deep(&mark, &depth.to_string()));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => depth = depth.saturating_sub(1),
            Event::Scalar(..) | Event::Alias(..) => values += 1,
            Event::StreamEnd => break,
            _ => {}
        }
    }
    if values > MAX_VALUES {
        return Err(Diagnostic {
            location: None,
            path: String::new(),
            message: format!(
                "the plan holds {} YAML values (keys, scalars, lists, mappings), more than the limit of {}",
                thousands(values as u64),
                thousands(MAX_VALUES as u64)
            ),
            help: Some(SPLIT_HELP.into()),
        });
    }
    Ok(())
}

fn too_deep(mark: &yaml_rust2::scanner::Marker, level: &str) -> Diagnostic {
    Diagnostic {
        location: Some(Location {
            line: mark.line(),
            col: mark.col() + 1,
        }),
        path: String::new(),
        message: format!(
            "the YAML nests deeper than the limit of {MAX_DEPTH} levels: the value that starts here is at level {level}"
        ),
        help: Some(format!(
            "a plan nests about eight levels; write nested lists and mappings out as separate entries, at most {MAX_DEPTH} levels deep"
        )),
    }
}

/// Refuses a plan with more phases, edits or checks than the limits allow, before any regex or
/// query is compiled. Each finding points at the list that holds the item past the limit.
pub(crate) fn check_counts(spec: &PlanSpec) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    if spec.phases.len() > MAX_PHASES {
        found.push(too_many(
            "phases".into(),
            "phases",
            spec.phases.len(),
            MAX_PHASES,
        ));
    }
    let mut over = |what: &'static str, limit: usize, lists: Vec<(usize, usize)>| {
        let total: usize = lists.iter().map(|(_, n)| n).sum();
        if total <= limit {
            return;
        }
        // The phase whose list crosses the limit: that is where an author would start cutting.
        let mut seen = 0;
        let (at, _) = lists
            .iter()
            .find(|(_, n)| {
                seen += n;
                seen > limit
            })
            .copied()
            .unwrap_or((0, 0));
        found.push(too_many(format!("phases[{at}].{what}"), what, total, limit));
    };
    let lists = |of: fn(&super::spec::PhaseSpec) -> Option<usize>| -> Vec<(usize, usize)> {
        spec.phases
            .iter()
            .enumerate()
            .filter_map(|(i, p)| of(p).map(|n| (i, n)))
            .collect()
    };
    over(
        "edits",
        MAX_EDITS,
        lists(|p| p.edits.as_ref().map(Vec::len)),
    );
    over(
        "checks",
        MAX_CHECKS,
        lists(|p| p.checks.as_ref().map(Vec::len)),
    );
    found
}

fn too_many(path: String, what: &str, count: usize, limit: usize) -> Diagnostic {
    Diagnostic {
        location: None,
        path,
        message: format!(
            "the plan has {} {what}, more than the limit of {}",
            thousands(count as u64),
            thousands(limit as u64)
        ),
        help: Some(SPLIT_HELP.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(4_194_304), "4,194,304");
    }

    #[test]
    fn flow_and_block_nesting_are_both_counted() {
        let nest = |open: &str, close: &str, depth: usize| {
            format!(
                "id: x\nphases: {}{}\n",
                open.repeat(depth),
                close.repeat(depth)
            )
        };
        let deep = MAX_DEPTH + 1;
        let block = format!("id: x\nphases:\n{}x\n", "- ".repeat(deep));
        for (text, line) in [
            (nest("[", "]", deep), 2),
            (nest("{a: ", "}", deep), 2),
            (nest("[", "]", 100_000), 2),
            (nest("{a: ", "}", 100_000), 2),
            (block, 3),
        ] {
            let d = check_shape(&text).unwrap_err();
            assert!(d.message.contains("limit of 64 levels"), "{}", d.message);
            assert_eq!(d.location.map(|l| l.line), Some(line));
        }
        let fine = format!("id: x\nphases: {}{}\n", "[".repeat(8), "]".repeat(8));
        assert!(check_shape(&fine).is_ok());
    }

    #[test]
    fn brackets_in_strings_do_not_nest() {
        let text = format!("id: x\nphases: ['{}']\n", "[".repeat(1000));
        assert!(check_shape(&text).is_ok());
    }

    #[test]
    fn too_many_values_are_counted_exactly() {
        // The root mapping, `id`, `x`, `phases` and its list, then the items.
        let text = format!("id: x\nphases: [{}]\n", "a,".repeat(MAX_VALUES));
        let d = check_shape(&text).unwrap_err();
        assert!(d.message.contains("250,005 YAML values"), "{}", d.message);
    }
}
