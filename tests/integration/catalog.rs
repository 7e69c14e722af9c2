//! The catalog of migrations in `plans/`: each plan runs end to end on its sample project under
//! `examples/`, whose own pytest suite fails before the migration and passes after it. The hard
//! cases of each sample (aliases, a shadowing local, a decoy class, strings and comments, a
//! multi-line call, imports already there or left unused) are checked line by line, and a rollback
//! gives the sample back byte for byte.

use std::fs;

use crate::harness::*;

/// A plan of the catalog and its sample project.
struct Migration {
    plan: &'static str,
    example: &'static str,
    patch: &'static str,
}

/// A sandbox holding a copy of the migration's sample and plan.
fn sandbox(m: &Migration) -> Sandbox {
    let sb = Sandbox::empty("");
    copy_tree(&workspace().join("examples").join(m.example), &sb.repo);
    fs::copy(workspace().join("plans").join(m.plan), &sb.plan).unwrap();
    sb
}

/// Runs the migration end to end and checks what every catalog plan must show: the baseline has
/// failures, the tests after the patch all pass, every baseline failure is fixed, and nothing
/// regressed. Returns the sandbox and the original tree.
fn run(m: &Migration) -> (Sandbox, Tree) {
    require_pytest();
    let sb = sandbox(m);
    let before = sb.snapshot();
    let out = sb.remedy(&["run", sb.plan_str()]);
    out.expect_code(0);
    let report = sb.remedy(&["report", "--format", "json"]);
    report.expect_code(0);
    let report: serde_json::Value = serde_json::from_str(&report.stdout).unwrap();
    let phase = |name: &str| {
        report["phases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no phase {name}"))
            .clone()
    };
    let baseline = &phase("baseline")["outcome"]["totals"];
    let failing = baseline["failed"].as_u64().unwrap() + baseline["errors"].as_u64().unwrap();
    assert!(
        failing > 0,
        "{}: the baseline should fail: {baseline}",
        m.plan
    );
    let tests = phase("tests");
    let totals = &tests["outcome"]["totals"];
    assert_eq!(totals["failed"], 0, "{}: {totals}", m.plan);
    assert_eq!(totals["errors"], 0, "{}: {totals}", m.plan);
    assert!(totals["passed"].as_u64().unwrap() > 0);
    let comparison = &tests["outcome"]["comparison"];
    assert_eq!(comparison["regressed"], serde_json::json!([]), "{}", m.plan);
    assert_eq!(phase(m.patch)["status"], "succeeded");
    (sb, before)
}

/// Rolls the patch back and checks the sample is as bundled again.
fn rolls_back(sb: &Sandbox, before: &Tree, m: &Migration) {
    sb.remedy(&["rollback", m.patch]).expect_code(0);
    let after = sb.snapshot();
    let differences: Vec<String> = before
        .differences(&after)
        .into_iter()
        // Caches the test runs left are not the sample's files.
        .filter(|d| !d.contains("__pycache__") && !d.contains(".pytest_cache"))
        .collect();
    assert!(differences.is_empty(), "{}: {differences:?}", m.plan);
}

/// The lines of `new` that differ from `old`, as (old, new) pairs by a line diff.
fn changed_lines(old: &str, new: &str) -> Vec<(String, String)> {
    let diff = similar::TextDiff::from_lines(old, new);
    let mut removed = Vec::new();
    let mut added = Vec::new();
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Delete => removed.push(change.value().trim_end().to_string()),
            similar::ChangeTag::Insert => added.push(change.value().trim_end().to_string()),
            similar::ChangeTag::Equal => {}
        }
    }
    let n = removed.len().max(added.len());
    removed.resize(n, String::new());
    added.resize(n, String::new());
    removed.into_iter().zip(added).collect()
}

fn original(m: &Migration, rel: &str) -> String {
    fs::read_to_string(workspace().join("examples").join(m.example).join(rel)).unwrap()
}

const UNITTEST: Migration = Migration {
    plan: "python312-unittest-aliases.yaml",
    example: "unittest-aliases",
    patch: "rename",
};

#[test]
fn unittest_aliases_are_renamed_in_test_cases_only() {
    let (sb, before) = run(&UNITTEST);
    // The decoy class keeps its own methods and the calls on it.
    assert_eq!(
        sb.read("ledger/audit.py"),
        original(&UNITTEST, "ledger/audit.py")
    );
    assert_eq!(
        sb.read("tests/test_audit.py"),
        original(&UNITTEST, "tests/test_audit.py")
    );
    // A class derived through an aliased import, in another module.
    let base = sb.read("tests/base.py");
    assert!(base
        .contains("        self.assertTrue(self.book.is_balanced(), \"the book must balance\")"));
    // The comment that mentions the old name stays.
    assert!(base.contains("# failUnless reads better here than assertTrue"));
    let report = sb.read("tests/test_report.py");
    assert!(report.contains("        self.assertRegex(\n            text,\n"));
    assert!(report.contains("\"use self.assertEquals(a, b) style messages\""));
    assert!(report.contains("(Older docs call assertEqual \"assertEquals\".)"));
    let ledger = sb.read("tests/test_ledger.py");
    for old in [
        "assertEquals(",
        "failUnless",
        "failIf",
        "assert_(",
        "Regexp",
    ] {
        assert!(!ledger.contains(old), "{old} left in test_ledger.py");
    }
    // Only method names changed: every changed line is the old line with one name replaced.
    let method = regex::Regex::new(r"self\.\w+").unwrap();
    let changes = changed_lines(&original(&UNITTEST, "tests/test_ledger.py"), &ledger);
    assert_eq!(changes.len(), 13, "{changes:?}");
    for (old, new) in changes {
        assert_eq!(
            method.replace_all(&old, "self.M"),
            method.replace_all(&new, "self.M"),
            "{old} -> {new}"
        );
    }
    rolls_back(&sb, &before, &UNITTEST);
}

const DATETIME: Migration = Migration {
    plan: "datetime-utcnow.yaml",
    example: "datetime-utcnow",
    patch: "aware",
};

#[test]
fn naive_utc_calls_become_aware_with_the_import_they_need() {
    let (sb, before) = run(&DATETIME);
    let clock = sb.read("stamps/clock.py");
    assert!(
        clock.contains("import datetime\nfrom datetime import timezone\n"),
        "{clock}"
    );
    assert!(clock.contains("return datetime.datetime.now(timezone.utc)"));
    assert!(clock.contains("# Every stamp is in UTC; utcnow() was the way"));
    let tokens = sb.read("stamps/tokens.py");
    assert!(
        tokens.contains("datetime.now(timezone.utc) + LIFETIME"),
        "{tokens}"
    );
    assert!(tokens.contains("datetime.fromtimestamp(claims[\"exp_ts\"], timezone.utc)"));
    assert_eq!(tokens.matches("import").count(), 1, "{tokens}");
    assert!(tokens.contains("from datetime import datetime, timedelta, timezone\n"));
    // Already imported: not imported twice; the alias is kept.
    let archive = sb.read("stamps/archive.py");
    assert!(archive.starts_with("\"\"\"Archived events: read back from their stored POSIX timestamps.\"\"\"\n\nfrom datetime import datetime as dt, timezone\n\nHELP"));
    assert!(archive.contains("dt.fromtimestamp(record[\"ts\"], timezone.utc)"));
    assert!(archive.contains("as dt.utcfromtimestamp(ts) reads them\""));
    // A parameter that shadows the module is not the module.
    assert_eq!(
        sb.read("stamps/fake.py"),
        original(&DATETIME, "stamps/fake.py")
    );
    rolls_back(&sb, &before, &DATETIME);
}

const NUMPY: Migration = Migration {
    plan: "numpy-removed-aliases.yaml",
    example: "numpy-aliases",
    patch: "builtins",
};

#[test]
fn numpy_aliases_become_builtins_and_unused_imports_go() {
    let (sb, before) = run(&NUMPY);
    let cells = sb.read("gridstats/cells.py");
    let old = original(&NUMPY, "gridstats/cells.py");
    let changes = changed_lines(&old, &cells);
    let expected = [
        (
            "    return [np.float(v) for v in values if v != MISSING]",
            "    return [float(v) for v in values if v != MISSING]",
        ),
        ("        dtype=np.bool,", "        dtype=bool,"),
        (
            "    return np.array([str(r) for r in rows], dtype=np.object)",
            "    return np.array([str(r) for r in rows], dtype=object)",
        ),
        ("    return np.int(grid.size)", "    return int(grid.size)"),
        ("    return np.float(", "    return float("),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(changes, expected);
    // NumPy is still used there; the shadowing parameter and the comment are left alone.
    assert!(cells.contains("import numpy as np\n"));
    assert!(cells.contains("    return np.float(value)\n"));
    assert!(cells.contains("# np.float used to be"));
    // Only the aliases used NumPy here: the import goes.
    let legacy = sb.read("gridstats/legacy.py");
    assert!(!legacy.contains("import numpy"), "{legacy}");
    assert!(legacy.contains("    return int(text)\n"));
    // A string annotation still names NumPy: the import stays.
    let typed = sb.read("gridstats/typed.py");
    assert!(typed.contains("import numpy as np\n"), "{typed}");
    assert!(typed.contains("    return float(grid.mean())\n"));
    rolls_back(&sb, &before, &NUMPY);
}

const COLLECTIONS: Migration = Migration {
    plan: "collections-abc.yaml",
    example: "collections-abc",
    patch: "abc",
};

#[test]
fn collections_abcs_move_to_collections_abc() {
    let (sb, before) = run(&COLLECTIONS);
    let layers = sb.read("settings/layers.py");
    assert!(
        layers
            .contains("from collections import OrderedDict\nfrom collections.abc import Mapping\n"),
        "{layers}"
    );
    assert!(layers.contains("isinstance(values, Mapping)"));
    let store = sb.read("settings/store.py");
    assert!(
        store.contains("import collections\nimport collections.abc\n"),
        "{store}"
    );
    assert!(store.contains("class Store(collections.abc.MutableMapping):"));
    assert!(store.contains("isinstance(obj, collections.abc.Mapping)"));
    assert!(store.contains("# Anything that behaves like collections.Mapping is accepted here."));
    let merge = sb.read("settings/merge.py");
    assert!(
        merge
            .contains("import collections.abc\nfrom collections.abc import MutableMapping as MM\n"),
        "{merge}"
    );
    assert_eq!(merge.matches("import collections.abc").count(), 1);
    let views = sb.read("settings/views.py");
    assert!(views.contains("isinstance(mapping, collections.abc.Mapping)"));
    assert!(views.contains("NOTE = \"views accept any collections.Mapping\""));
    assert!(views.contains("    collections = {}\n"));
    rolls_back(&sb, &before, &COLLECTIONS);
}

#[test]
fn a_dry_run_of_each_catalog_plan_changes_nothing() {
    for m in [&UNITTEST, &DATETIME, &NUMPY, &COLLECTIONS] {
        let sb = sandbox(m);
        let before = sb.snapshot();
        sb.remedy(&["check", sb.plan_str()]).expect_code(0);
        let out = sb.remedy(&["run", sb.plan_str(), "--dry-run"]);
        out.expect_code(0);
        assert!(
            out.stdout.contains("+++"),
            "{}: no diff shown:\n{}",
            m.plan,
            out.all()
        );
        let after = Tree::of(&sb.repo, true);
        assert!(before.differences(&after).is_empty(), "{}", m.plan);
    }
}

/// A rewrite that writes a name the file does not bind, without naming the import it needs, is
/// refused before anything is written, with the file, the line and the name.
#[test]
fn a_rewrite_that_would_leave_a_name_undefined_is_refused() {
    let sb = sandbox(&DATETIME);
    sb.write_plan(
        "id: forgot-the-import
phases:
  - { name: backup, kind: backup }
  - name: aware
    kind: patch
    edits:
      - name: utcnow() to now(timezone.utc)
        symbol: datetime.datetime
        python: { pattern: 'datetime.utcnow()', rewrite: 'datetime.now(timezone.utc)' }
",
    );
    let before = sb.snapshot();
    let out = sb.remedy(&["run", sb.plan_str()]);
    assert_ne!(out.code, 0, "{}", out.all());
    assert!(
        out.stderr.contains(
            "stamps/clock.py:10: edit `utcnow() to now(timezone.utc)` would leave `timezone` undefined"
        ),
        "{}",
        out.stderr
    );
    let after = sb.snapshot();
    let changed: Vec<String> = before
        .differences(&after)
        .into_iter()
        .filter(|d| !d.starts_with(".remedy"))
        .collect();
    assert!(changed.is_empty(), "{changed:?}");
}
