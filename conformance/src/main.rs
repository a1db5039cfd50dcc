//! The `wsspec` binary. Exit status: 0 pass, 1 conformance failure or regression,
//! 2 usage or input error.

use std::process::ExitCode;

use clap::Parser;
use wsspec::cli::{self, Cli, EXIT_USAGE};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return cli::exit_for_clap_error(e),
    };
    match cli::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("wsspec: error: {}", cli::one_line(&e));
            ExitCode::from(EXIT_USAGE)
        }
    }
}
