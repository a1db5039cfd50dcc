//! wsspec: the WebSocket conformance suite and its `wsspec` command-line tool.
//!
//! The command logic lives in [`cli`], one module per subcommand, so `main.rs` only
//! parses arguments and maps the outcome to an exit status.

pub mod cli;
