//! Structural, symbol-aware Python edits through the CLI: every call form the founding issue names,
//! the decoys that must stay, the bytes that must not move, and the files that must be refused.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use crate::harness::*;

const SYMBOL: &str = "app.wm.get_websocket_manager";

/// A plan with one structural edit (plus `extra` edits), in a backup + patch + checks plan.
fn plan(extra_edits: &str) -> String {
    format!(
        r#"id: t
files: {{ include: ["**/*.py"] }}
phases:
  - {{ name: backup, kind: backup }}
  - name: unawait
    kind: patch
    edits:
      - name: unawait
        python:
          pattern: 'await get_websocket_manager($$$ARGS)'
          rewrite: 'get_websocket_manager($$$ARGS)'
        symbol: {SYMBOL}
        not_inside: 'with pytest.raises($$$E): $$$BODY'
{extra_edits}"#
    )
}

/// A repository with the factory at `app/wm.py`.
fn repo(plan_text: &str) -> Sandbox {
    let sb = Sandbox::empty(plan_text);
    sb.write("app/__init__.py", "");
    sb.write(
        "app/wm.py",
        "def get_websocket_manager(user_context=None):\n    return user_context\n",
    );
    sb
}

fn checkpoint(sb: &Sandbox) -> serde_json::Value {
    let text = fs::read_to_string(sb.repo.join(".remedy/t/checkpoint.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn patch_outcome(sb: &Sandbox) -> serde_json::Value {
    checkpoint(sb)["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "unawait")
        .unwrap()["outcome"]
        .clone()
}

const SITES: &str = r#"from app.wm import get_websocket_manager
import app.wm as wm
from .wm import get_websocket_manager as factory


async def multi_line(ctx):
    return await get_websocket_manager(
        user_context=ctx,
    )


async def parenthesised(ctx):
    return await (get_websocket_manager(ctx))


async def nested(ctx):
    return await get_websocket_manager(await get_websocket_manager(ctx))


async def commented(ctx):
    return await  get_websocket_manager(  # the user's manager
        ctx,  # scoped
    )


async def aliased(ctx):
    return await factory(ctx)


async def module_attribute(ctx):
    return await wm.get_websocket_manager(user_context=ctx)


async def decoys(ctx, obj):
    text = "await get_websocket_manager(ctx)"
    # await get_websocket_manager(ctx)
    await get_websocket_manager_async(ctx)
    await obj.get_websocket_manager(ctx)
    return text


class Tracker:
    async def get_websocket_manager(self):
        return self

    async def online(self):
        return await self.get_websocket_manager()
"#;

#[test]
fn every_call_form_is_fixed_and_every_decoy_is_left_alone() {
    let sb = repo(&plan(""));
    sb.write("app/sites.py", SITES);
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    let expected = SITES
        .replace(
            "return await get_websocket_manager(\n",
            "return get_websocket_manager(\n",
        )
        .replace(
            "await (get_websocket_manager(ctx))",
            "get_websocket_manager(ctx)",
        )
        .replace(
            "await get_websocket_manager(await get_websocket_manager(ctx))",
            "get_websocket_manager(get_websocket_manager(ctx))",
        )
        .replace(
            "return await  get_websocket_manager(  #",
            "return get_websocket_manager(  #",
        )
        .replace("await factory(ctx)", "factory(ctx)")
        .replace(
            "await wm.get_websocket_manager(user_context=ctx)",
            "wm.get_websocket_manager(user_context=ctx)",
        );
    assert_eq!(sb.read("app/sites.py"), expected);
    let outcome = patch_outcome(&sb);
    let lines: Vec<u64> = outcome["files"][0]["sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![7, 13, 17, 17, 21, 27, 31]);
}

#[test]
fn a_local_coroutine_of_the_same_name_is_not_the_symbol() {
    let sb = repo(&plan(""));
    let local = "from app.wm import get_websocket_manager\n\n\nasync def get_websocket_manager():\n    return 1\n\n\nasync def use():\n    return await get_websocket_manager()\n";
    sb.write("app/local.py", local);
    let unrelated = "async def get_websocket_manager():\n    return 1\n\n\nasync def use():\n    return await get_websocket_manager()\n";
    sb.write("other/unrelated.py", unrelated);
    // A star import is not resolved: the site is left for a person to look at.
    let star =
        "from app.wm import *\n\n\nasync def use():\n    return await get_websocket_manager()\n";
    sb.write("other/star.py", star);
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    assert_eq!(sb.read("app/local.py"), local);
    assert_eq!(sb.read("other/unrelated.py"), unrelated);
    assert_eq!(sb.read("other/star.py"), star);
}

#[test]
fn reexports_through_a_package_resolve_to_the_symbol() {
    let sb = repo(&plan(""));
    sb.write("app/__init__.py", "from .wm import get_websocket_manager\n");
    sb.write(
        "svc/use.py",
        "from app import get_websocket_manager as g\n\n\nasync def use():\n    return await g()\n",
    );
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    assert!(sb.read("svc/use.py").ends_with("    return g()\n"));
}

#[test]
fn context_exclusion_keeps_the_deliberate_await() {
    let sb = repo(&plan(""));
    let test = "import pytest\n\nfrom app.wm import get_websocket_manager\n\n\nasync def test_bug_is_real():\n    with pytest.raises(TypeError):\n        await get_websocket_manager()\n\n\nasync def test_fixed():\n    assert await get_websocket_manager() is None\n";
    sb.write("tests/test_wm.py", test);
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    assert_eq!(
        sb.read("tests/test_wm.py"),
        test.replace(
            "assert await get_websocket_manager()",
            "assert get_websocket_manager()"
        )
    );
}

#[test]
fn bytes_outside_the_sites_line_endings_bom_and_mode_are_kept() {
    let sb = repo(&plan(""));
    let crlf = "\u{feff}from app.wm import get_websocket_manager\r\n\r\n\r\nasync def f(ctx):\r\n    m = await get_websocket_manager(\r\n        user_context=ctx,\r\n    )\r\n    return m\r\n";
    sb.write("app/crlf.py", crlf);
    fs::set_permissions(
        sb.repo.join("app/crlf.py"),
        fs::Permissions::from_mode(0o751),
    )
    .unwrap();
    let mixed = "from app.wm import get_websocket_manager\n\r\nasync def f():\r\n    return await get_websocket_manager()\n    # tail\r\n";
    sb.write("app/mixed.py", mixed);
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    assert_eq!(
        fs::read(sb.repo.join("app/crlf.py")).unwrap(),
        crlf.replace("await ", "").as_bytes()
    );
    assert_eq!(
        fs::metadata(sb.repo.join("app/crlf.py"))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777,
        0o751
    );
    assert_eq!(sb.read("app/mixed.py"), mixed.replace("await ", ""));
}

#[test]
fn symlinks_binary_and_non_utf8_files_are_skipped_with_their_reason() {
    let sb = repo(&plan(""));
    let site = "from app.wm import get_websocket_manager\n\n\nasync def f():\n    return await get_websocket_manager()\n";
    sb.write("app/real.py", site);
    std::os::unix::fs::symlink("real.py", sb.repo.join("app/link.py")).unwrap();
    let outside = sb.dir.path().join("outside.py");
    fs::write(&outside, site).unwrap();
    std::os::unix::fs::symlink(&outside, sb.repo.join("app/out.py")).unwrap();
    let mut binary = site.as_bytes().to_vec();
    binary.push(0);
    sb.write("app/binary.py", &binary);
    let mut latin1 = site.as_bytes().to_vec();
    latin1.extend_from_slice(b"# caf\xe9\n");
    sb.write("app/latin1.py", &latin1);
    // Files whose bytes hold no pattern cannot hide a site: they are not reported.
    sb.write("app/other_latin1.py", b"# caf\xe9\nx = 1\n");
    sb.write("app/other_binary.py", b"x = 1\0\n");

    sb.remedy(&["run", sb.plan_str()]).expect_code(0);

    // The target inside the root is edited at its own path; the link stays a link.
    assert!(sb
        .read("app/real.py")
        .ends_with("return get_websocket_manager()\n"));
    assert!(fs::symlink_metadata(sb.repo.join("app/link.py"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        fs::read_link(sb.repo.join("app/link.py")).unwrap(),
        std::path::Path::new("real.py")
    );
    // Nothing outside the root is touched, and the odd files are as they were.
    assert_eq!(fs::read_to_string(&outside).unwrap(), site);
    assert!(fs::symlink_metadata(sb.repo.join("app/out.py"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(fs::read(sb.repo.join("app/binary.py")).unwrap(), binary);
    assert_eq!(fs::read(sb.repo.join("app/latin1.py")).unwrap(), latin1);

    let skipped: Vec<(String, String)> = patch_outcome(&sb)["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap().to_string(),
                s["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let reason = |p: &str| {
        skipped
            .iter()
            .find(|(path, _)| path == p)
            .map(|(_, r)| r.as_str())
            .unwrap_or_else(|| panic!("{p} not in {skipped:?}"))
    };
    assert!(reason("app/binary.py").contains("NUL"));
    assert!(reason("app/latin1.py").contains("UTF-8"));
    assert!(reason("app/latin1.py").contains("by hand"));
    assert!(reason("app/out.py").contains("outside the root"));
    assert!(reason("app/link.py").contains("symbolic link"));
    assert_eq!(skipped.len(), 4, "{skipped:?}");
}

#[test]
fn only_files_with_the_literal_core_are_parsed() {
    let sb = repo(&plan(""));
    sb.write(
        "app/site.py",
        "from app.wm import get_websocket_manager\n\n\nasync def f():\n    return await get_websocket_manager()\n",
    );
    for i in 0..5 {
        sb.write(
            &format!("app/other{i}.py"),
            "async def f():\n    return await g()\n",
        );
    }
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    let outcome = patch_outcome(&sb);
    assert_eq!(outcome["scanned"], 8);
    // Only app/site.py has both words of the pattern, `await` and `get_websocket_manager`
    // (app/wm.py defines the name but awaits nothing); the second pass over it is not counted.
    assert_eq!(outcome["parsed"], 1);
}

#[test]
fn overlapping_edits_are_refused_naming_both_and_nothing_is_written() {
    let sb = repo(&plan(
        "      - { name: rename, regex: 'await get_websocket_manager', replace: 'await get_manager' }\n",
    ));
    let site = "from app.wm import get_websocket_manager\n\n\nasync def f():\n    return await get_websocket_manager()\n";
    sb.write("app/site.py", site);
    let before = sb.snapshot();
    let run = sb.remedy(&["run", sb.plan_str()]);
    run.expect_code(1);
    let text = run.all();
    assert!(
        text.contains("app/site.py:5: edits `unawait` and `rename` change overlapping text"),
        "{text}"
    );
    assert_eq!(sb.snapshot().differences(&before), Vec::<String>::new());
}

#[test]
fn an_edit_that_breaks_syntax_is_refused_with_file_line_and_edit() {
    let sb = repo(
        r#"id: t
phases:
  - name: unawait
    kind: patch
    edits:
      - name: delete instead
        python: { pattern: 'await get_websocket_manager($$$ARGS)', rewrite: 'del get_websocket_manager($$$ARGS)' }
"#,
    );
    let site = "from app.wm import get_websocket_manager\n\n\nasync def f():\n    x = 1\n    return await get_websocket_manager()\n";
    sb.write("app/site.py", site);
    let run = sb.remedy(&["run", sb.plan_str()]);
    run.expect_code(1);
    assert!(
        run.all()
            .contains("app/site.py:6: edit `delete instead` would leave a Python syntax error"),
        "{}",
        run.all()
    );
    assert_eq!(sb.read("app/site.py"), site);
}

#[test]
fn a_rewrite_that_never_settles_is_refused() {
    let sb = repo(
        r#"id: t
phases:
  - name: grow
    kind: patch
    edits:
      - name: add an argument
        python: { pattern: 'connect($$$ARGS)', rewrite: 'connect($$$ARGS, timeout=5)' }
"#,
    );
    sb.write("app/site.py", "x = 1\nconnect(host)\n");
    let run = sb.remedy(&["run", sb.plan_str()]);
    run.expect_code(1);
    assert!(
        run.all()
            .contains("app/site.py:2: edit `add an argument` still matches after 5 passes"),
        "{}",
        run.all()
    );
    assert_eq!(sb.read("app/site.py"), "x = 1\nconnect(host)\n");
}

#[test]
fn structural_checks_count_code_only_where_a_regex_counts_strings_too() {
    let sb = repo(
        r#"id: t
phases:
  - name: count
    kind: validate
    checks:
      - name: structural
        python: { pattern: 'await get_websocket_manager($$$ARGS)' }
        symbol: app.wm.get_websocket_manager
        expect: "== 2"
      - name: inside the deliberate test
        python: { pattern: 'await get_websocket_manager($$$ARGS)' }
        symbol: app.wm.get_websocket_manager
        inside: 'with pytest.raises(TypeError): $$$BODY'
        expect: "== 1"
      - name: regex
        pattern: 'await\s+get_websocket_manager\('
        expect: "== 4"
"#,
    );
    sb.write(
        "app/site.py",
        "import pytest\nfrom app.wm import get_websocket_manager\n\n\nasync def f():\n    log('await get_websocket_manager()')\n    # await get_websocket_manager()\n    with pytest.raises(TypeError):\n        await get_websocket_manager()\n    return await get_websocket_manager(\n        1)\n",
    );
    let run = sb.remedy(&["run", sb.plan_str()]);
    run.expect_code(0);
    assert!(
        run.stderr.contains("3 of 3 checks passed"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_structural_plans_are_refused_with_their_location() {
    let sb = Sandbox::empty(
        r#"id: t
phases:
  - name: p
    kind: patch
    edits:
      - name: broken
        python: { pattern: 'await get_websocket_manager(', rewrite: 'x' }
      - name: wrong symbol
        python: { pattern: 'await f($$$A)', rewrite: 'f($$$A)' }
        symbol: app.wm.get_websocket_manager
      - name: unknown metavariable
        python: { pattern: 'await f($$$A)', rewrite: 'f($$$B)' }
      - name: both kinds
        regex: x
        replace: y
        python: { pattern: 'f()', rewrite: 'g()' }
      - name: skip on a structural edit
        python: { pattern: 'f()', rewrite: 'g()' }
        skip: [strings]
        not_inside: 'with ('
"#,
    );
    let run = sb.remedy(&["check", sb.plan_str()]);
    run.expect_code(2);
    let plan = sb.plan_str();
    for fragment in [
        format!("{plan}:7:"),
        "does not parse as Python".to_string(),
        format!("{plan}:9:"),
        "does not mention `get_websocket_manager`".to_string(),
        format!("{plan}:12:"),
        "uses `$B`, which the pattern".to_string(),
        format!("{plan}:16:"),
        "has both `regex` and `python`".to_string(),
        format!("{plan}:19:"),
        "applies to a `regex` edit".to_string(),
        format!("{plan}:20:"),
    ] {
        assert!(run.stderr.contains(&fragment), "{fragment}\n{}", run.stderr);
    }
}

/// The founding plan with its structural edit replaced by the regex edit it used before (widened to
/// the sample's new call forms).
fn regex_plan(sb: &Sandbox) -> String {
    let text = fs::read_to_string(&sb.plan).unwrap();
    let start = text.find("      - name: drop await before").unwrap();
    let end = text
        .find("      - name: drop await in the documentation")
        .unwrap();
    let regex_edit = "      - name: drop await before the synchronous factory\n        regex: 'await\\s+((?:wm\\.|module\\.)?get_websocket_manager\\(|manager_for\\()'\n        replace: '$1'\n        skip: [strings, comments]\n        files: { include: [\"**/*.py\"] }\n";
    format!("{}{regex_edit}{}", &text[..start], &text[end..])
}

fn phase(sb: &Sandbox, name: &str) -> serde_json::Value {
    sb.checkpoint()["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap()
        .clone()
}

/// A regex also strips the awaits the sample's tests keep on purpose inside
/// `pytest.raises(TypeError)`: the plan's postcondition refuses that, and without it the baseline
/// comparison reports the tests as regressions.
#[test]
fn the_old_regex_edit_would_regress_the_deliberate_await() {
    require_pytest();
    let sb = Sandbox::sample();
    sb.write_plan(&regex_plan(&sb));
    sb.remedy(&["run", sb.plan_str()]).expect_code(1);
    let postflight = phase(&sb, "postflight");
    assert_eq!(postflight["status"], "failed", "{postflight}");
    assert!(
        postflight["error"].as_str().unwrap().contains(
            "the reproductions inside pytest.raises(TypeError) or except TypeError still await"
        ),
        "{postflight}"
    );

    let sb = Sandbox::sample();
    let without_check = regex_plan(&sb).replace(
        "      - name: the reproductions inside pytest.raises(TypeError) or except TypeError still await\n",
        "      - name: the test that awaits on purpose is ignored here\n        file_exists: conftest.py\n      - name: unused\n",
    );
    let start = without_check.find("      - name: unused\n").unwrap();
    let end = without_check[start..]
        .find("      - name: the async variant is still awaited")
        .unwrap();
    let without_check = format!(
        "{}{}",
        &without_check[..start],
        &without_check[start + end..]
    );
    sb.write_plan(&without_check);
    sb.remedy(&["run", sb.plan_str()]).expect_code(1);
    let tests = phase(&sb, "tests");
    let regressed = tests["outcome"]["comparison"]["regressed"].to_string();
    assert!(
        regressed.contains("test_awaiting_the_factory_is_a_type_error"),
        "{tests}"
    );
}

/// A site the pattern matches but the edit's context excludes is not changed, and is listed
/// with its line and the context that kept it, in the checkpoint and the report.
#[test]
fn sites_an_exclusion_keeps_are_listed_as_left_alone_with_the_reason() {
    let sb = Sandbox::empty(
        r#"
id: alone
files:
  include: ["**/*.py"]
phases:
  - name: unawait
    kind: patch
    edits:
      - name: drop await
        python: { pattern: 'await get_websocket_manager($$$ARGS)', rewrite: 'get_websocket_manager($$$ARGS)' }
        not_inside: 'with pytest.raises($$$E): $$$BODY'
  - { name: report, kind: report }
"#,
    );
    sb.write(
        "tests/test_m.py",
        "import pytest\n\n\nasync def test_fixed():\n    m = await get_websocket_manager(1)\n\n\nasync def test_on_purpose():\n    with pytest.raises(TypeError):\n        await get_websocket_manager(2)\n",
    );
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    let text = sb.read("tests/test_m.py");
    assert!(text.contains("    m = get_websocket_manager(1)"), "{text}");
    assert!(
        text.contains("        await get_websocket_manager(2)"),
        "{text}"
    );
    let cp = sb.checkpoint_of("alone");
    let left = &cp["phases"][0]["outcome"]["left_alone"];
    assert_eq!(left.as_array().map(Vec::len), Some(1), "{left}");
    assert_eq!(left[0]["path"], "tests/test_m.py");
    assert_eq!(left[0]["line"], 10);
    assert_eq!(left[0]["edit"], "drop await");
    assert!(left[0]["reason"]
        .as_str()
        .unwrap()
        .contains("inside `with pytest.raises($$$E): $$$BODY` (`not_inside`)"));
    let report = sb.read(".remedy/alone/report.md");
    assert!(
        report.contains("Left alone on purpose (1 site)")
            && report.contains("| `tests/test_m.py` | 10 | drop await |"),
        "{report}"
    );
}

/// A regex edit that skips strings and comments lists the matches it skipped as left alone.
#[test]
fn matches_a_regex_edit_skips_in_strings_and_comments_are_listed_as_left_alone() {
    let sb = Sandbox::empty(
        r#"
id: skips
files:
  include: ["**/*.py"]
phases:
  - name: unawait
    kind: patch
    edits:
      - { name: drop await, regex: 'await\s+(get_websocket_manager\()', replace: '$1', skip: [strings, comments] }
"#,
    );
    sb.write(
        "app/m.py",
        "async def f():\n    # was: await get_websocket_manager()\n    doc = \"await get_websocket_manager() is wrong\"\n    return await get_websocket_manager()\n",
    );
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    assert!(sb
        .read("app/m.py")
        .contains("    return get_websocket_manager()\n"));
    let cp = sb.checkpoint_of("skips");
    let left: Vec<(u64, String)> = cp["phases"][0]["outcome"]["left_alone"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["line"].as_u64().unwrap(),
                l["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        left,
        [
            (2, "in a string or a comment (`skip`)".to_string()),
            (3, "in a string or a comment (`skip`)".to_string())
        ]
    );
}

/// The plans in `tests/fixtures/warning-plans/`: valid plans with a part that cannot be what was
/// meant. Each `NAME.yaml` has a `NAME.expect` with `fragment: TEXT` and `location: LINE:COL`
/// lines, one per warning: `remedy check` (in every format) and `remedy run` must accept the plan,
/// and print every warning at its location.
#[test]
fn structural_warning_plans_are_accepted_with_their_warnings() {
    let dir = workspace().join("tests/fixtures/warning-plans");
    let mut plans: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    plans.sort();
    assert!(!plans.is_empty());
    for path in plans {
        let expect = fs::read_to_string(path.with_extension("expect")).unwrap();
        let fragments: Vec<&str> = expect
            .lines()
            .filter_map(|l| l.strip_prefix("fragment: "))
            .collect();
        let locations: Vec<&str> = expect
            .lines()
            .filter_map(|l| l.strip_prefix("location: "))
            .collect();
        assert_eq!(fragments.len(), locations.len(), "{}", path.display());
        let sb = Sandbox::sample();
        sb.write_plan(&fs::read_to_string(&path).unwrap());
        let repo = sb.repo.to_str().unwrap();
        let name = path.display();

        let check = sb.remedy(&["check", sb.plan_str(), "--root", repo]);
        check.expect_code(0);
        assert_eq!(
            check.stderr.matches("warning: ").count(),
            fragments.len(),
            "{name}: {}",
            check.stderr
        );
        for (fragment, location) in fragments.iter().zip(&locations) {
            let line = check
                .stderr
                .lines()
                .find(|l| l.contains(fragment))
                .unwrap_or_else(|| panic!("{name}: no `{fragment}` in\n{}", check.stderr));
            assert!(
                line.starts_with("warning: ") && line.contains(&format!("plan.yaml:{location}: ")),
                "{name}: {line}"
            );
        }

        let json = sb.remedy(&["check", sb.plan_str(), "--root", repo, "--format", "json"]);
        json.expect_code(0);
        let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
        assert_eq!(value["valid"], true);
        let warnings = value["warnings"].as_array().unwrap();
        assert_eq!(warnings.len(), fragments.len(), "{name}: {value}");
        for ((w, fragment), location) in warnings.iter().zip(&fragments).zip(&locations) {
            assert!(w["message"].as_str().unwrap().contains(fragment), "{w}");
            assert_eq!(format!("{}:{}", w["line"], w["col"]), *location, "{w}");
        }

        let github = sb.remedy(&["check", sb.plan_str(), "--root", repo, "--format", "github"]);
        github.expect_code(0);
        for location in &locations {
            let (line, col) = location.split_once(':').unwrap();
            assert!(
                github
                    .stdout
                    .contains(&format!(",line={line},col={col},title=remedy check::")),
                "{name}: {}",
                github.stdout
            );
        }
        assert_eq!(
            github.stdout.matches("::warning file=").count(),
            fragments.len(),
            "{name}: {}",
            github.stdout
        );

        let run = sb.remedy(&["run", sb.plan_str(), "--root", repo, "--dry-run"]);
        run.expect_code(0);
        for fragment in &fragments {
            assert!(run.stderr.contains(fragment), "{name}: {}", run.stderr);
        }
    }
}

/// A plan with one symbol-aware edit and its own context keys, and a check counting what is left.
fn keyed_plan(keys: &str) -> String {
    format!(
        r#"id: t
files: {{ include: ["**/*.py"] }}
phases:
  - {{ name: backup, kind: backup }}
  - name: unawait
    kind: patch
    edits:
      - name: unawait
        python:
          pattern: 'await get_websocket_manager($$$ARGS)'
          rewrite: 'get_websocket_manager($$$ARGS)'
        symbol: {SYMBOL}
{keys}
  - name: post
    kind: validate
    checks:
      - name: what is left awaited
        python: {{ pattern: 'await get_websocket_manager($$$ARGS)' }}
        symbol: {SYMBOL}
        counts: kept
        expect: ">= 0"
  - {{ name: report, kind: report }}
"#
    )
}

const MARKED: &str = r#"import pytest

from app.wm import get_websocket_manager


async def fixed(ctx):
    with pytest.raises(ValueError):
        await get_websocket_manager(ctx)


async def kept_by_the_first_context(ctx):
    with pytest.raises(TypeError) as exc_info:
        run(1, await get_websocket_manager(ctx))


async def kept_by_the_second_context(ctx):
    try:
        await get_websocket_manager(ctx)
    except TypeError as exc:
        pass


async def kept_by_the_comment(ctx):
    # BUG: awaiting non-coroutine
    return await get_websocket_manager(ctx)


async def unbound(ctx):
    return await get_websocket_manager_of_nobody(ctx), await missing.get_websocket_manager(ctx)
"#;

#[test]
fn contexts_as_a_list_with_as_targets_and_a_marking_comment_leave_their_sites_alone() {
    let sb = repo(&keyed_plan(
        r#"        not_inside:
          - 'with pytest.raises(TypeError): $$$BODY'
          - "try: $$$BODY\nexcept TypeError: $$$HANDLER"
        unless_comment: "BUG: awaiting non-coroutine""#,
    ));
    sb.write("tests/test_marked.py", MARKED);
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    let text = sb.read("tests/test_marked.py");
    assert_eq!(
        text,
        MARKED.replacen(
            "        await get_websocket_manager(ctx)\n\n\nasync def kept_by_the_first",
            "        get_websocket_manager(ctx)\n\n\nasync def kept_by_the_first",
            1
        )
    );
    let outcome = patch_outcome(&sb);
    let reasons: Vec<(u64, String)> = outcome["left_alone"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["line"].as_u64().unwrap(),
                l["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        vec![
            (
                13,
                "inside `with pytest.raises(TypeError): $$$BODY` (`not_inside`)".to_string()
            ),
            (
                18,
                "inside `try: $$$BODY\nexcept TypeError: $$$HANDLER` (`not_inside`)".to_string()
            ),
            (
                25,
                "marked by the comment on line 24 (`unless_comment: BUG: awaiting non-coroutine`)"
                    .to_string()
            ),
        ]
    );
    let report = sb.read(".remedy/t/report.md");
    assert!(
        report.contains("marked by the comment on line 24"),
        "{report}"
    );
}

const UNBOUND: &str = r#"async def legacy(ctx):
    return await get_websocket_manager(ctx)


async def method(obj):
    return await obj.get_websocket_manager()
"#;

#[test]
fn an_unbound_name_is_listed_as_unresolved_and_left_alone_by_default() {
    let sb = repo(&keyed_plan(""));
    sb.write("app/legacy.py", UNBOUND);
    let dry = sb.remedy(&["run", sb.plan_str(), "--dry-run"]);
    dry.expect_code(0);
    assert!(
        dry.all().contains(
            "app/legacy.py:2: `unawait` matches, but the name is never bound in this file (left alone)"
        ),
        "{}",
        dry.all()
    );
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    assert_eq!(sb.read("app/legacy.py"), UNBOUND);
    let outcome = patch_outcome(&sb);
    assert_eq!(
        outcome["unresolved"],
        serde_json::json!([{
            "path": "app/legacy.py",
            "line": 2,
            "edit": "unawait",
            "reason": "never bound in this file",
            "action": "left alone"
        }])
    );
    let report = sb.read(".remedy/t/report.md");
    assert!(report.contains("Unresolved names (1 site)"), "{report}");
    assert!(
        report.contains(
            "| `app/legacy.py` | 2 | unawait | the name is never bound in this file | left alone |"
        ),
        "{report}"
    );
    let json: serde_json::Value = serde_json::from_str(&sb.read(".remedy/t/report.json")).unwrap();
    let text = json.to_string();
    assert!(text.contains("\"unresolved\""), "{text}");
}

#[test]
fn unresolved_edit_edits_the_unbound_name_and_fail_refuses_to_write() {
    let sb = repo(&keyed_plan("        unresolved: edit"));
    sb.write("app/legacy.py", UNBOUND);
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    assert_eq!(
        sb.read("app/legacy.py"),
        UNBOUND.replace(
            "return await get_websocket_manager(",
            "return get_websocket_manager("
        )
    );
    assert_eq!(patch_outcome(&sb)["unresolved"][0]["action"], "edited");

    let sb = repo(&keyed_plan("        unresolved: fail"));
    sb.write("app/legacy.py", UNBOUND);
    sb.write(
        "app/fine.py",
        "from app.wm import get_websocket_manager\n\nasync def f():\n    return await get_websocket_manager()\n",
    );
    let before = sb.snapshot();
    let run = sb.remedy(&["run", sb.plan_str()]);
    assert_ne!(run.code, 0, "{}", run.all());
    assert!(
        run.all()
            .contains("app/legacy.py:2: edit `unawait`: never bound in this file"),
        "{}",
        run.all()
    );
    for diff in before.differences(&sb.snapshot()) {
        assert!(diff.contains(".remedy"), "written despite `fail`: {diff}");
    }
}

#[test]
fn in_class_edits_only_inside_classes_that_derive_from_the_base() {
    let plan = r#"id: t
files: { include: ["**/*.py"] }
phases:
  - { name: backup, kind: backup }
  - name: asserts
    kind: patch
    edits:
      - name: subset
        python:
          pattern: 'self.assertDictContainsSubset($A, $B)'
          rewrite: 'self.assertLessEqual($A.items(), $B.items())'
        in_class: unittest.TestCase
  - name: post
    kind: validate
    checks:
      - name: none left in test cases
        python: { pattern: 'self.assertDictContainsSubset($A, $B)' }
        in_class: unittest.TestCase
        expect: "== 0"
"#;
    let sb = Sandbox::empty(plan);
    sb.write("tests/__init__.py", "");
    sb.write(
        "tests/base.py",
        "import unittest\n\n\nclass Base(unittest.TestCase):\n    pass\n",
    );
    let src = "from tests.base import Base\n\n\nclass T(Base):\n    def test(self):\n        self.assertDictContainsSubset(a, b)\n\n\nclass Helper:\n    def check(self):\n        self.assertDictContainsSubset(a, b)\n";
    sb.write("tests/test_t.py", src);
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    assert_eq!(
        sb.read("tests/test_t.py"),
        src.replacen(
            "self.assertDictContainsSubset(a, b)",
            "self.assertLessEqual(a.items(), b.items())",
            1
        )
    );
}

#[test]
fn a_python_check_lists_its_unresolved_sites_and_counts_or_fails_as_asked() {
    let check = |mode: &str| {
        format!(
            r#"id: t
files: {{ include: ["**/*.py"] }}
phases:
  - name: pre
    kind: validate
    checks:
      - name: awaited calls
        python: {{ pattern: 'await get_websocket_manager($$$ARGS)' }}
        symbol: {SYMBOL}
        {mode}
        expect: "== 1"
"#
        )
    };
    let fine = "from app.wm import get_websocket_manager\n\nasync def f():\n    return await get_websocket_manager()\n";
    let setup = |plan: &str| {
        let sb = repo(plan);
        sb.write("app/legacy.py", UNBOUND);
        sb.write("app/fine.py", fine);
        sb
    };
    let result = |sb: &Sandbox| checkpoint(sb)["phases"][0]["outcome"]["checks"][0].clone();

    let sb = setup(&check("unresolved: leave"));
    sb.remedy(&["run", sb.plan_str()]).expect_code(0);
    let r = result(&sb);
    assert_eq!(r["count"], 1);
    assert!(
        r["details"].as_array().unwrap().iter().any(|d| d
            == "app/legacy.py:2: unresolved, the name is never bound in this file (not counted)"),
        "{r}"
    );

    let sb = setup(&check("unresolved: edit"));
    let run = sb.remedy(&["run", sb.plan_str()]);
    assert_ne!(run.code, 0, "two awaited calls are counted: {}", run.all());
    assert_eq!(result(&sb)["count"], 2);

    let sb = setup(&check("unresolved: fail"));
    let run = sb.remedy(&["run", sb.plan_str()]);
    assert_ne!(run.code, 0, "{}", run.all());
    let r = result(&sb);
    assert_eq!(r["passed"], false);
    assert!(
        r["actual"]
            .as_str()
            .unwrap()
            .contains("1 site where the name does not resolve (`unresolved: fail`)"),
        "{r}"
    );
}
