//! wsspec: the WebSocket conformance suite and its `wsspec` command-line tool.
//!
//! [`catalog`] holds the cases as data, [`runner`] runs them against a peer and judges
//! the outcome with wstest's rules, and [`cli`] is the command line, one module per
//! subcommand, so `main.rs` only parses arguments and maps the outcome to an exit status.

pub mod bench;
pub mod catalog;
pub mod cli;
pub mod runner;
pub mod serve;
