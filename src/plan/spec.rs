//! The plan exactly as written in YAML: plain serde structs, unknown keys rejected.
//!
//! Nothing here is checked beyond its type; `validate.rs` turns a `PlanSpec` into the `Plan` the
//! engine runs. Every phase is one flat struct rather than a tagged enum because serde's buffered
//! enum representations drop the line and column from errors, and a plan author needs both.

pub(crate) use crate::phase_kind::PhaseKind;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A remediation plan.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlanSpec {
    /// Identifier of the plan; names the state folder `.remedy/<id>/`. Letters, digits, `-`, `_`, `.`.
    pub(crate) id: String,
    /// One line saying what the plan fixes; shown in the report.
    #[serde(default)]
    pub(crate) title: Option<String>,
    /// Longer description, shown in the report.
    #[serde(default)]
    pub(crate) description: Option<String>,
    /// Default file selection of every phase; a phase, check or edit may narrow it.
    #[serde(default)]
    pub(crate) files: Option<FilesSpec>,
    /// Python interpreter for pytest phases (a path, relative to the root, or a command name).
    #[serde(default)]
    pub(crate) python: Option<String>,
    /// Packages for pytest phases, in pip's requirement syntax (e.g. `pytest>=7`). When set, remedy
    /// creates a virtual environment under `.remedy/venvs/` with the chosen interpreter (once per
    /// distinct list), installs them there with pip, and runs the tests with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) requirements: Option<Vec<String>>,
    /// The phases, run in order.
    #[serde(default)]
    pub(crate) phases: Vec<PhaseSpec>,
}

/// A selection of files by glob, relative to the root.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FilesSpec {
    /// Globs a file must match (any of them). Empty means every file.
    #[serde(default)]
    pub(crate) include: Vec<String>,
    /// Globs that remove files from the selection.
    #[serde(default)]
    pub(crate) exclude: Vec<String>,
}

/// One phase. Which keys apply depends on `kind`; a key that does not apply is an error.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PhaseSpec {
    /// Unique name of the phase, used by `resume`, `rollback` and `diff`.
    pub(crate) name: String,
    /// What the phase does: validate, backup, patch, pytest, report or command.
    pub(crate) kind: PhaseKind,
    /// Free text shown in the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    /// validate, backup, patch: narrows the plan's file selection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) files: Option<FilesSpec>,
    /// validate: the checks, all of which must hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) checks: Option<Vec<CheckSpec>>,
    /// patch: the edits, applied together file by file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) edits: Option<Vec<EditSpec>>,
    /// backup: the patch phases whose files are backed up (default: every later patch phase).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) phases: Option<Vec<String>>,
    /// pytest: the suites to run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) suites: Option<Vec<SuiteSpec>>,
    /// pytest: succeed even when tests fail (a baseline run before the fix).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) allow_failures: Option<bool>,
    /// pytest: what counts as success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) criteria: Option<CriteriaSpec>,
    /// pytest: an earlier pytest phase to compare results with, test by test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) compare_with: Option<String>,
    /// pytest: interpreter for this phase, overriding the plan's `python`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) python: Option<String>,
    /// pytest, command: seconds after which the process group is killed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) timeout: Option<f64>,
    /// pytest: how many suites run at the same time (default: the number of CPUs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) jobs: Option<u32>,
    /// pytest: run each suite's tests in parallel with pytest-xdist: `auto` (one worker per CPU) or
    /// a number of workers. pytest-xdist must be installed for the interpreter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) workers: Option<WorkersSpec>,
    /// command: program and arguments, run without a shell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) argv: Option<Vec<String>>,
    /// command: run `argv[0]` through `sh -c` (only when written explicitly).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) shell: Option<bool>,
    /// command: working directory, relative to the root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cwd: Option<String>,
    /// command: the exit code that counts as success (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) exit_code: Option<i32>,
    /// report: where to write the Markdown report (default `.remedy/<id>/report.md`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) markdown: Option<String>,
    /// report: where to write the JSON report (default `.remedy/<id>/report.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) json: Option<String>,
}

/// A validation check: exactly one of `pattern`, `python`, `python_function`, `command`,
/// `file_exists`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckSpec {
    /// What the check asserts, in words.
    pub(crate) name: String,
    /// A regex counted over the selected files; compared with `expect`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pattern: Option<String>,
    /// A structural Python pattern counted over the selected Python files (code only); compared
    /// with `expect`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) python: Option<PythonCheckSpec>,
    /// For `python`: the qualified name the pattern's identifiers of that name stand for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) symbol: Option<String>,
    /// For `python`: count only matches inside a construct this pattern matches, or one of a
    /// list of patterns. In a context pattern the `as` target of a `with` item or an `except` clause
    /// is optional unless the pattern writes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) inside: Option<PatternsSpec>,
    /// For `python`: do not count matches inside a construct this pattern (or one of a list of
    /// patterns) matches, however deeply nested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) not_inside: Option<PatternsSpec>,
    /// For `python`: do not count a match marked by a comment holding this text, on a line of
    /// the matched statement (its header, for a compound statement) or on the comment lines
    /// right above it, e.g. `BUG: awaiting non-coroutine`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) unless_comment: Option<String>,
    /// For `python`: count only matches inside classes (their methods included) that derive from
    /// this qualified class name, or one of a list of them, directly or through other classes of
    /// the root, e.g. `unittest.TestCase`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) in_class: Option<ClassesSpec>,
    /// For `python` with `symbol`: what to do with the matches whose name resolves to nothing
    /// (never bound, bound locally, by a star import, to different things...), which are listed
    /// with the reason. `leave` (the default): not counted; `edit`: counted as if the name
    /// resolved to the symbol; `fail`: the phase fails naming them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) unresolved: Option<UnresolvedKind>,
    /// For `pattern` and `python`: the count expected, e.g. `>= 1`, `== 0`, `<= 47`, `47`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expect: Option<String>,
    /// For `pattern` and `python`: what the count is. `fixes` (the default): the sites the patch
    /// will change, which the report compares with what it changed; `kept`: sites meant to stay
    /// (deliberate reproductions); `other`: anything else. Only `fixes` is compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) counts: Option<CountsKind>,
    /// For `pattern` on Python files: do not count matches inside `strings` or `comments`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) skip: Option<Vec<SkipKind>>,
    /// Narrows the file selection for `pattern` and `python`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) files: Option<FilesSpec>,
    /// A Python function that must exist, and be async or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) python_function: Option<PythonFunctionSpec>,
    /// A command (argv, no shell) that must exit with `exit_code` (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) command: Option<Vec<String>>,
    /// For `command`: the expected exit code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) exit_code: Option<i32>,
    /// For `command`: seconds after which the command's process group is killed and the check
    /// fails (default 600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) timeout: Option<f64>,
    /// A file (relative to the root) that must exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) file_exists: Option<String>,
}

/// A Python function definition to look for.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PythonFunctionSpec {
    /// The file that defines it, relative to the root.
    pub(crate) file: String,
    /// The function name; `Class.method` for a method.
    pub(crate) name: String,
    /// Whether it must be `async def` (true) or plain `def` (false). Omitted: either.
    #[serde(default, rename = "async", skip_serializing_if = "Option::is_none")]
    pub(crate) is_async: Option<bool>,
}

/// What a check's count stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum CountsKind {
    /// The sites the patch will change.
    #[default]
    Fixes,
    /// Sites meant to stay as they are.
    Kept,
    /// Anything else.
    Other,
}

/// What a symbol-aware edit or check does with the matches whose name resolves to nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum UnresolvedKind {
    /// Listed, and left as they are (not counted by a check).
    #[default]
    Leave,
    /// Listed, and edited (or counted) as if the name resolved to the symbol.
    Edit,
    /// Listed, and the phase fails before anything is written.
    Fail,
}

/// `inside:` and `not_inside:` as one structural pattern or a list of them.
#[derive(Debug, Clone)]
pub(crate) struct PatternsSpec(pub(crate) Vec<String>);

impl JsonSchema for PatternsSpec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "PatternsSpec".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "a structural Python pattern or a list of them",
            "oneOf": [
                { "type": "string" },
                { "type": "array", "items": { "type": "string" }, "minItems": 1 }
            ]
        })
    }
}

impl Serialize for PatternsSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for PatternsSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = PatternsSpec;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a structural pattern such as `with pytest.raises($$$E): $$$BODY`, or a list of them",
                )
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<PatternsSpec, E> {
                Ok(PatternsSpec(vec![v.to_string()]))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<PatternsSpec, A::Error> {
                let all =
                    Vec::<String>::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
                Ok(PatternsSpec(all))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// Parts of a Python file that a regex should not look into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum SkipKind {
    Strings,
    Comments,
}

/// A structural Python pattern for a validate check.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PythonCheckSpec {
    /// Python code with metavariables: `$NAME` for one node, `$$$NAME` for several.
    pub(crate) pattern: String,
}

/// A structural Python edit: what to find and what to put in its place.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PythonEditSpec {
    /// Python code with metavariables: `$NAME` for one node, `$$$NAME` for several.
    pub(crate) pattern: String,
    /// The replacement of each match; metavariables stand for the text they matched, unchanged.
    pub(crate) rewrite: String,
}

/// An edit: either `regex` and `replace`, or `python` (a structural pattern and its rewrite).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EditSpec {
    /// What the edit does, in words.
    pub(crate) name: String,
    /// The regex to search for (Rust regex syntax; `(?m)`, `(?s)` flags allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) regex: Option<String>,
    /// The replacement; `$1`, `${name}` refer to capture groups, `$$` is a literal `$`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) replace: Option<String>,
    /// A structural Python edit, applied to Python files only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) python: Option<PythonEditSpec>,
    /// Symbol renames: every reference that resolves to `from` (through the file's imports,
    /// aliases and attribute chains) is made a reference to `to`, and the imports are rewritten,
    /// added and removed to match. One `{ from, to }` or a list of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rename: Option<RenamesSpec>,
    /// Method renames on the classes that derive from `class`: calls on `self`, `cls` and
    /// `super()` inside those classes, and the methods they define.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) methods: Option<MethodsSpec>,
    /// For `python`: imports the rewrite needs (`from datetime import timezone`), added to the
    /// files the edit changes where the name is not bound yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) imports: Option<Vec<String>>,
    /// For `python` and `rename`: what becomes of an import that the change leaves used only in
    /// string annotations and `# type:` comments: `keep` it (the default), or move it under
    /// `if TYPE_CHECKING:`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) annotation_imports: Option<AnnotationImports>,
    /// For `python`: the qualified name (`pkg.module.function`) the pattern's identifiers of that
    /// name stand for; each file's imports decide what refers to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) symbol: Option<String>,
    /// For `python`: edit only matches inside a construct this pattern matches, or one of a list
    /// of patterns. In a context pattern the `as` target of a `with` item or an `except` clause
    /// is optional unless the pattern writes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) inside: Option<PatternsSpec>,
    /// For `python`: leave alone matches inside a construct this pattern (or one of a list of
    /// patterns) matches, however deeply nested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) not_inside: Option<PatternsSpec>,
    /// For `python`: leave alone a match marked by a comment holding this text, on a line of
    /// the matched statement (its header, for a compound statement) or on the comment lines
    /// right above it, e.g. `BUG: awaiting non-coroutine`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) unless_comment: Option<String>,
    /// For `python`: edit only matches inside classes (their methods included) that derive from
    /// this qualified class name, or one of a list of them, directly or through other classes of
    /// the root, e.g. `unittest.TestCase`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) in_class: Option<ClassesSpec>,
    /// For `python` with `symbol`: what to do with the matches whose name resolves to nothing
    /// (never bound, bound locally, by a star import, to different things...), which are listed
    /// with the reason. `leave` (the default): left as they are; `edit`: edited as if the name
    /// resolved to the symbol; `fail`: the phase fails naming them, and writes nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) unresolved: Option<UnresolvedKind>,
    /// For regex edits on Python files: do not edit inside `strings` or `comments`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) skip: Option<Vec<SkipKind>>,
    /// Narrows the phase's file selection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) files: Option<FilesSpec>,
    /// The number of sites this edit is expected to change, e.g. `>= 1` or `== 47`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expect: Option<String>,
}

/// What becomes of an import used only in annotations after an edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AnnotationImports {
    /// It stays where it is: type checkers and runtime annotation readers still find the name.
    #[default]
    Keep,
    /// It moves under `if TYPE_CHECKING:`, so it is not imported when the code runs.
    TypeChecking,
}

/// One symbol rename: two qualified names (`collections.Mapping` → `collections.abc.Mapping`;
/// `builtins.float` for a builtin).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RenameSpec {
    /// The qualified name references resolve to today.
    pub(crate) from: String,
    /// The qualified name they should refer to.
    pub(crate) to: String,
}

/// `rename:` as one `{ from, to }` mapping or a list of them.
///
/// Written by hand rather than as an untagged enum: serde's untagged enums buffer their input and
/// lose the line and column of a bad value.
#[derive(Debug, Clone)]
pub(crate) struct RenamesSpec(pub(crate) Vec<RenameSpec>);

impl JsonSchema for RenamesSpec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RenamesSpec".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let one = generator.subschema_for::<RenameSpec>();
        schemars::json_schema!({
            "description": "one `{ from, to }` rename or a list of them",
            "oneOf": [one, { "type": "array", "items": one, "minItems": 1 }]
        })
    }
}

impl Serialize for RenamesSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for RenamesSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RenamesSpec;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("`{ from: a.b, to: c.d }` or a list of them")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<RenamesSpec, A::Error> {
                let one =
                    RenameSpec::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(RenamesSpec(vec![one]))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<RenamesSpec, A::Error> {
                let all = Vec::<RenameSpec>::deserialize(
                    serde::de::value::SeqAccessDeserializer::new(seq),
                )?;
                Ok(RenamesSpec(all))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// Method renames restricted to the classes that derive from `class`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MethodsSpec {
    /// The qualified name of the base class (`unittest.TestCase`), or a list of them; a class
    /// counts when it derives from one, directly or through other classes of the root.
    pub(crate) class: ClassesSpec,
    /// Old method name → new method name.
    pub(crate) rename: std::collections::BTreeMap<String, String>,
}

/// `class:` as one qualified name or a list of them.
#[derive(Debug, Clone)]
pub(crate) struct ClassesSpec(pub(crate) Vec<String>);

impl JsonSchema for ClassesSpec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ClassesSpec".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "a qualified class name or a list of them",
            "oneOf": [
                { "type": "string" },
                { "type": "array", "items": { "type": "string" }, "minItems": 1 }
            ]
        })
    }
}

impl Serialize for ClassesSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for ClassesSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = ClassesSpec;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a qualified class name such as `unittest.TestCase`, or a list of them")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ClassesSpec, E> {
                Ok(ClassesSpec(vec![v.to_string()]))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<ClassesSpec, A::Error> {
                let all =
                    Vec::<String>::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
                Ok(ClassesSpec(all))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// A pytest suite: arguments passed to `python -m pytest`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SuiteSpec {
    /// Name shown in progress output and the report.
    pub(crate) name: String,
    /// Arguments to pytest: paths (relative to the root), `-k` expressions, options.
    #[serde(default)]
    pub(crate) args: Vec<String>,
    /// Seconds after which the suite's process group is killed (overrides the phase's `timeout`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) timeout: Option<f64>,
    /// Which test files under the suite's paths run: `all` (the default) or `affected`: the test
    /// files the patch phases change, and those that import a module they change, directly or
    /// through other modules of the root (a `conftest.py` that does selects its whole folder).
    /// Where imports cannot be read from the source (a module named at run time, `exec`, plugin
    /// entry points, a test reading source files), the selection widens to the folder. The
    /// baseline a `compare_with` names runs the same selection for its suite of the same name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) select: Option<SelectSpec>,
    /// With `select: affected`: test files or folders (relative to the root) that always run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) always: Option<Vec<String>>,
}

/// Which test files a suite runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SelectSpec {
    /// Every test file under the suite's paths.
    All,
    /// The test files the patch can reach through imports.
    Affected,
}

/// Success criteria of a pytest phase.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CriteriaSpec {
    /// Passed / (passed + failed + errors) must be at least this (0.0 to 1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) min_pass_rate: Option<f64>,
    /// With `compare_with`: no test that passed there may fail here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) no_new_failures: Option<bool>,
    /// Tests that must pass, by node id (`tests/test_m.py::test_f`) or glob (`tests/unit/*`, where
    /// `*` matches any text, `/` and `::` included). A listed test that did not run has not passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) must_pass: Option<Vec<String>>,
}

/// How many pytest-xdist workers a suite uses: `auto` or a number.
///
/// Written by hand rather than as an untagged enum: serde's untagged enums buffer their input and
/// lose the line and column of a bad value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WorkersSpec {
    Auto,
    Count(u64),
}

impl WorkersSpec {
    /// The value of pytest-xdist's `-n` option.
    pub(crate) fn as_arg(self) -> String {
        match self {
            WorkersSpec::Auto => "auto".into(),
            WorkersSpec::Count(n) => n.to_string(),
        }
    }
}

impl JsonSchema for WorkersSpec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "WorkersSpec".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "`auto` (one worker per CPU) or a number of workers",
            "oneOf": [
                { "type": "string", "enum": ["auto"] },
                { "type": "integer", "minimum": 1 }
            ]
        })
    }
}

impl Serialize for WorkersSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            WorkersSpec::Auto => s.serialize_str("auto"),
            WorkersSpec::Count(n) => s.serialize_u64(*n),
        }
    }
}

impl<'de> Deserialize<'de> for WorkersSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = WorkersSpec;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("`auto` or a number of workers")
            }

            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<WorkersSpec, E> {
                Ok(WorkersSpec::Count(n))
            }

            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<WorkersSpec, E> {
                u64::try_from(n)
                    .map(WorkersSpec::Count)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(n), &self))
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<WorkersSpec, E> {
                match v {
                    "auto" => Ok(WorkersSpec::Auto),
                    _ => Err(E::invalid_value(serde::de::Unexpected::Str(v), &self)),
                }
            }
        }
        d.deserialize_any(Visitor)
    }
}
