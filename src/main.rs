//! The `remedy` binary: parse the command line, run the verb, exit with its code.

fn main() {
    std::process::exit(remedy::app::main());
}
