//! Command phases: a program run with its arguments, directly or (with `shell: true`) as one shell
//! command line, in a folder of the root, expected to end with a given exit code.

use super::super::model::{CommandConfig, PhaseConfig};
use super::super::spec::PhaseSpec;
use super::checker::{exit_code, Checker};

/// Validates command phase `p` (at `at`).
pub(super) fn validate_command(c: &mut Checker, at: &str, p: &PhaseSpec) -> Option<PhaseConfig> {
    let argv = p.argv.clone().unwrap_or_default();
    if argv.is_empty() || argv[0].is_empty() {
        let help =
            "write the program and its arguments, e.g. `argv: [python3, -m, compileall, -q, app]`";
        match &p.argv {
            None => c.at_value(
                at,
                format!("command phase `{}` has no `argv`", p.name),
                Some(help),
            ),
            Some(a) if a.is_empty() => {
                c.at_value(&format!("{at}.argv"), "`argv` is empty", Some(help))
            }
            Some(_) => c.at_value(
                &format!("{at}.argv[0]"),
                "the program in `argv` is empty",
                Some(help),
            ),
        }
        return None;
    }
    let shell = p.shell.unwrap_or(false);
    if shell && argv.len() != 1 {
        let line = argv.join(" ").replace('"', "\\\"");
        c.at_value(
            &format!("{at}.argv"),
            format!(
                "with `shell: true`, `argv` must be one string, the shell command line (it has {} items)",
                argv.len()
            ),
            Some(&format!(
                "write `argv: [\"{line}\"]`, or remove `shell: true` to run the program without a shell"
            )),
        );
        return None;
    }
    let exit_code = exit_code(c, &format!("{at}.exit_code"), p.exit_code);
    let cwd = c.rel_path(&format!("{at}.cwd"), p.cwd.as_deref().unwrap_or("."))?;
    if let (Some(root), Some(written)) = (c.root, p.cwd.as_deref()) {
        if !cwd.to_path(root).is_dir() {
            c.at_value(
                &format!("{at}.cwd"),
                format!("`{written}` is not a folder under {}", root.display()),
                Some("name an existing folder, relative to the root, or remove `cwd` to run in the root"),
            );
            return None;
        }
    }
    let timeout = c.timeout(&format!("{at}.timeout"), p.timeout);
    Some(PhaseConfig::Command(CommandConfig {
        argv,
        shell,
        cwd,
        exit_code,
        timeout,
    }))
}
