//! The command line, as clap definitions. Each verb's `--help` carries examples.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXIT_CODES: &str = "\
Exit codes:
  0    success
  1    a phase failed (a check, a criterion, a test)
  2    bad input (usage, a plan that does not load, a damaged or untrustworthy checkpoint); nothing was changed
  3    refused to overwrite: files drifted since they were patched, or a rollback met edited files
  4    another remedy process holds the lock on this root
  130  interrupted (Ctrl-C); `remedy resume` continues";

#[derive(Debug, Parser)]
#[command(
    name = "remedy",
    version,
    about = "Carry out a code remediation plan safely: validate, back up, patch, test, report.",
    long_about = "remedy runs a YAML remediation plan over a repository as staged phases \
(validate, backup, patch, pytest, report, command), records every step in a checkpoint under \
ROOT/.remedy/, and can resume after a failure or roll back byte-exactly.",
    after_help = EXIT_CODES,
    after_long_help = concat!("Examples:\n  remedy demo\n  remedy check plans/issue-1184-websocket-await.yaml\n  remedy run plan.yaml --root ../repo --dry-run\n  remedy run plan.yaml --root ../repo\n  remedy status --root ../repo\n\n", "Exit codes:\n  0 success · 1 a phase failed · 2 bad input · 3 refused (drift or conflict) · 4 locked · 130 interrupted"),
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) output: OutputArgs,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Args, Clone, Copy)]
pub(crate) struct OutputArgs {
    /// Print only errors (and diffs that were asked for).
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,

    /// Print each phase's progress messages too.
    #[arg(short, long, global = true)]
    pub(crate) verbose: bool,

    /// When to color output: `auto` colors a terminal unless `NO_COLOR` is set (or
    /// `CLICOLOR_FORCE`/`FORCE_COLOR` ask for color anyway, for `less -R`); `always` and `never`
    /// override the environment.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub(crate) color: ColorChoice,
}

/// How `remedy check` prints its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CheckFormat {
    Text,
    Json,
    Github,
}

/// The schemas `remedy schema` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SchemaKind {
    /// A plan file.
    Plan,
    /// The events of `--json`, one per line.
    Events,
}

/// The `--color` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args, Clone)]
pub(crate) struct RootArgs {
    /// The repository to work on.
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub(crate) root: PathBuf,
}

#[derive(Debug, Args, Clone)]
pub(crate) struct SelectArgs {
    #[command(flatten)]
    pub(crate) root: RootArgs,

    /// Which run, when the root holds several: a plan id or a plan file.
    #[arg(long, value_name = "ID|FILE")]
    pub(crate) plan: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ReportFormat {
    Md,
    Json,
    /// GitHub Actions annotations: failed checks, unmet criteria, regressed tests, sites left alone.
    Github,
    /// A pull request body: summary, sites fixed, tests before and after, criteria as a
    /// checklist, a diff excerpt that fits GitHub's limit.
    Pr,
    /// A commit message: the plan's title, a blank line, the description and the figures.
    Commit,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check a plan without running it: YAML, keys, regexes, globs, references, paths.
    #[command(
        after_help = "Examples:\n  remedy check plans/issue-1184-websocket-await.yaml\n  remedy check plan.yaml --root ../repo   # also checks the files it names exist\n  remedy check plan.yaml --format github  # problems as annotations on the pull request\n\nExit codes: 0 valid · 2 invalid (every problem is listed with file:line:col)"
    )]
    Check {
        /// The plan file.
        plan: PathBuf,
        /// Also check paths the plan names against this repository.
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
        /// How to print the result: `text` for people, `json` for programs, `github` for GitHub
        /// Actions (each problem an `::error file=…,line=…,col=…::` annotation).
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
    },

    /// Run a plan end to end (or preview it with --dry-run).
    #[command(after_help = concat!("Examples:\n  remedy run plans/issue-1184-websocket-await.yaml --root ../repo --dry-run\n  remedy run plans/issue-1184-websocket-await.yaml --root ../repo\n  remedy run plan.yaml --json | jq .   # one JSON event per line\n\n", "Exit codes: 0 success · 1 a phase failed · 2 bad input · 3 refused · 4 locked · 130 interrupted"))]
    Run {
        /// The plan file.
        plan: PathBuf,
        #[command(flatten)]
        root: RootArgs,
        /// Validate and show the diffs; write nothing (not even .remedy/).
        #[arg(long)]
        dry_run: bool,
        /// One JSON event per line on stdout.
        #[arg(long)]
        json: bool,
    },

    /// Continue a run from the first phase that did not succeed.
    #[command(
        after_help = "Examples:\n  remedy resume --root ../repo\n  remedy resume --root ../repo --rerun-changed   # the plan changed: redo from the changed phase\n  remedy resume --root ../repo --all-suites      # re-run passed suites of a failed pytest phase too\n\nExit codes: 0 success · 1 a phase failed · 2 bad input or stale plan · 3 files drifted · 4 locked · 130 interrupted"
    )]
    Resume {
        #[command(flatten)]
        select: SelectArgs,
        /// When a phase's configuration changed since it ran, roll back to it and run on.
        #[arg(long)]
        rerun_changed: bool,
        /// Run every suite of a failed pytest phase again (by default only suites that did not
        /// pass are run; the others keep their earlier results).
        #[arg(long)]
        all_suites: bool,
        /// One JSON event per line on stdout.
        #[arg(long)]
        json: bool,
    },

    /// Undo a phase and every later phase, newest first; byte-exact, never clobbering edits.
    #[command(
        after_help = "Examples:\n  remedy rollback unawait --root ../repo   # undo `unawait` and everything after it\n  remedy rollback --all --root ../repo     # the tree is as it was before the run\n  remedy rollback --all --force            # keep edited files aside, then restore\n\nExit codes: 0 rolled back · 2 bad input · 3 conflicts (nothing changed) · 4 locked"
    )]
    Rollback {
        /// The phase to rewind to (it and every later phase are undone).
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        phase: Option<String>,
        /// Undo the whole run.
        #[arg(long)]
        all: bool,
        /// Keep files edited since remedy wrote them aside (under .remedy/), then restore anyway.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        select: SelectArgs,
        /// Print what was rolled back as JSON.
        #[arg(long)]
        json: bool,
    },

    /// Show the phases of a run: status, duration, summary.
    #[command(
        after_help = "Examples:\n  remedy status --root ../repo\n  remedy status --root ../repo --json"
    )]
    Status {
        #[command(flatten)]
        select: SelectArgs,
        /// Print the status as JSON.
        #[arg(long)]
        json: bool,
    },

    /// Render a run's report from its checkpoint (to stdout).
    #[command(
        after_help = "Examples:\n  remedy report --root ../repo > report.md\n  remedy report --root ../repo --format json | jq .changes\n  remedy report --root ../repo --format github   # in a GitHub Actions step: annotations on the pull request\n  remedy report --root ../repo --format pr > body.md   # gh pr create --body-file body.md\n  remedy report --root ../repo --format commit | git -C ../repo commit -a -F -"
    )]
    Report {
        #[command(flatten)]
        select: SelectArgs,
        /// Markdown, JSON, GitHub Actions annotations, a pull request body, or a commit message.
        #[arg(long, value_enum, default_value = "md")]
        format: ReportFormat,
    },

    /// Show the unified diff of what patch phases changed.
    #[command(
        after_help = "Examples:\n  remedy diff --root ../repo\n  remedy diff unawait --root ../repo"
    )]
    Diff {
        /// Only this patch phase.
        phase: Option<String>,
        #[command(flatten)]
        select: SelectArgs,
        /// Print the changes as JSON: a list of `{phase, path, diff}`.
        #[arg(long)]
        json: bool,
    },

    /// Print the JSON Schema of a plan (for editors with a YAML language server), or of the
    /// events `--json` prints.
    #[command(
        after_help = "Examples:\n  remedy schema > docs/plan.schema.json\n  # then, first line of a plan:\n  # yaml-language-server: $schema=../docs/plan.schema.json\n  remedy schema events > docs/events.schema.json"
    )]
    Schema {
        /// Which schema.
        #[arg(value_enum, default_value_t = SchemaKind::Plan)]
        of: SchemaKind,
    },

    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  remedy completions bash > ~/.local/share/bash-completion/completions/remedy\n  remedy completions zsh > ~/.zfunc/_remedy\n  remedy completions fish > ~/.config/fish/completions/remedy.fish"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },

    /// Run one plan over many repositories: a worktree or clone each, on a branch named after
    /// the plan, in a workspace; with shards over several machines.
    #[command(
        after_help = "Examples:\n  remedy fleet run plan.yaml --repos repos.txt -j 4\n  remedy fleet status --workspace remedy-fleet/PLAN-ID\n  remedy fleet resume --workspace remedy-fleet/PLAN-ID\n  remedy fleet report --workspace remedy-fleet/PLAN-ID --format json\n  remedy fleet run plan.yaml --repos repos.txt --shard 2/4 --out shard-2\n  remedy fleet collect shard-1 shard-2 shard-3 shard-4 --workspace merged\n\nExit codes: 0 every repository succeeded or had nothing to change · 1 some did not · 2 bad input · 4 locked · 130 interrupted"
    )]
    Fleet {
        #[command(subcommand)]
        command: FleetCommand,
    },

    /// Copy the bundled sample project into DIR and run the founding plan on it.
    #[command(after_help = "Examples:\n  remedy demo\n  remedy demo /tmp/try-remedy")]
    Demo {
        /// Where to put the sample (default: a new folder under the system temp dir).
        dir: Option<PathBuf>,
    },
}

/// How `remedy fleet report` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FleetReportFormat {
    Md,
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum FleetCommand {
    /// Run PLAN over every repository of a list (or one shard of it).
    #[command(
        after_help = "Examples:\n  remedy fleet run plan.yaml --repos repos.txt\n  remedy fleet run plan.yaml --repos repos.txt -j 8 --workspace /tmp/fleet\n  remedy fleet run plan.yaml --repos repos.txt --shard auto --out results --bundles   # in a CI matrix job\n\nThe list: one repository a line, a local path or a git URL, optionally a ref after a space:\n  ../services/billing\n  file:///srv/git/auth.git  release-2.3\n  https://git.example.com/org/api.git   # comments after #\n\nExit codes: 0 every repository succeeded or had nothing to change · 1 some did not · 2 bad input (nothing written) · 4 locked · 130 interrupted"
    )]
    Run {
        /// The plan file.
        plan: PathBuf,
        /// The repositories list: a local path or git URL a line, optionally a ref after it.
        #[arg(long, value_name = "FILE")]
        repos: PathBuf,
        /// How many repositories at once (default: the number of CPUs).
        #[arg(short = 'j', long, value_name = "N")]
        jobs: Option<usize>,
        /// Where the worktrees, clones, logs and state go (default: ./remedy-fleet/PLAN-ID).
        #[arg(long, value_name = "DIR")]
        workspace: Option<PathBuf>,
        /// Only shard I of N (positions p with p % N == I-1), or `auto` to read it from the
        /// environment: REMEDY_SHARD, GitLab CI_NODE_INDEX/CI_NODE_TOTAL, Kubernetes
        /// JOB_COMPLETION_INDEX/REMEDY_SHARD_COUNT, Slurm SLURM_ARRAY_TASK_ID/_MIN/_COUNT.
        #[arg(long, value_name = "I/N|auto")]
        shard: Option<crate::fleet::shard::ShardArg>,
        /// Also write the results here (state, per-repository report JSON) for `fleet collect`.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// With --out: each new branch as a git bundle too.
        #[arg(long, requires = "out")]
        bundles: bool,
    },

    /// Show where every repository of a fleet stands.
    #[command(
        after_help = "Examples:\n  remedy fleet status --workspace remedy-fleet/PLAN-ID\n  remedy fleet status --workspace remedy-fleet/PLAN-ID --json | jq '.repositories[].status'"
    )]
    Status {
        /// The fleet's workspace.
        #[arg(long, value_name = "DIR")]
        workspace: PathBuf,
        /// Print the fleet state as JSON.
        #[arg(long)]
        json: bool,
    },

    /// Continue the repositories that did not succeed, each where it stopped.
    #[command(
        after_help = "Examples:\n  remedy fleet resume --workspace remedy-fleet/PLAN-ID\n  remedy fleet resume --workspace remedy-fleet/PLAN-ID -j 2"
    )]
    Resume {
        /// The fleet's workspace.
        #[arg(long, value_name = "DIR")]
        workspace: PathBuf,
        /// How many repositories at once (default: the number of CPUs).
        #[arg(short = 'j', long, value_name = "N")]
        jobs: Option<usize>,
    },

    /// Undo the run (and its commit) in every repository, or in the named ones.
    #[command(
        after_help = "Examples:\n  remedy fleet rollback --workspace remedy-fleet/PLAN-ID\n  remedy fleet rollback --workspace remedy-fleet/PLAN-ID billing auth"
    )]
    Rollback {
        /// The fleet's workspace.
        #[arg(long, value_name = "DIR")]
        workspace: PathBuf,
        /// Repository names, as `fleet status` shows them (default: all).
        repos: Vec<String>,
    },

    /// Print the fleet's report: a row per repository, totals at the top.
    #[command(
        after_help = "Examples:\n  remedy fleet report --workspace remedy-fleet/PLAN-ID > fleet.md\n  remedy fleet report --workspace remedy-fleet/PLAN-ID --format json | jq .totals"
    )]
    Report {
        /// The fleet's workspace (or a `collect` folder).
        #[arg(long, value_name = "DIR")]
        workspace: PathBuf,
        /// Markdown or JSON.
        #[arg(long, value_enum, default_value_t = FleetReportFormat::Md)]
        format: FleetReportFormat,
    },

    /// Merge the `--out` folders of every shard of a fleet into one state and report.
    #[command(
        after_help = "Examples:\n  remedy fleet collect shard-1 shard-2 shard-3 --workspace merged\n  remedy fleet report --workspace merged\n\nExit codes: 0 merged, and every repository succeeded or had nothing to change · 1 merged, and some did not · 2 a shard missing, given twice, or from another fleet (nothing written)"
    )]
    Collect {
        /// The shards' `--out` folders.
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,
        /// Where the merged state, reports and bundles go.
        #[arg(long, value_name = "OUT")]
        workspace: PathBuf,
    },

    /// Write the CI configuration that runs `remedy fleet run` in shards and merges the results.
    Ci {
        #[command(subcommand)]
        engine: CiEngine,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum CiEngine {
    /// A GitHub Actions workflow: one matrix job per shard (`--shard auto` reading
    /// `REMEDY_SHARD`), each uploading its results, then a job that merges them with
    /// `remedy fleet collect` and puts `remedy fleet report` on the run's summary page.
    #[command(
        after_help = "Examples:\n  remedy fleet ci github --shards 4 --plan plans/fix.yaml --repos fleet/repos.txt --output .github/workflows/remedy-fleet.yml\n  remedy fleet ci github --shards 16 --plan plans/fix.yaml --repos repos.txt --on-push --install 'cargo install --locked --git https://example.com/remedy.git'\n\nPaths are checked to exist and written relative to the root of the repository around the current folder, as the workflow's checkout sees them.\n\nExit codes: 0 written · 2 bad input (nothing written)"
    )]
    Github {
        /// How many shards (matrix jobs) split the list of repositories: 1 to 256.
        #[arg(long, value_name = "N")]
        shards: u64,
        /// The plan file each shard runs.
        #[arg(long, value_name = "PLAN")]
        plan: PathBuf,
        /// The file that lists the repositories.
        #[arg(long, value_name = "FILE")]
        repos: PathBuf,
        /// Where to write the workflow (default: stdout).
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// The shell command that installs remedy on a runner.
        #[arg(long, value_name = "CMD", alias = "remedy-install", default_value = crate::fleet::ci::DEFAULT_INSTALL)]
        install: String,
        /// Also run when a push changes the plan or the list of repositories.
        #[arg(long)]
        on_push: bool,
    },
}
