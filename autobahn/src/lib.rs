//! `wsspec-autobahn` — tokio testees on the reference codec, for the real Autobahn
//! `wstest`: an echo server (tested by `wstest -m fuzzingclient`) and a client that drives
//! `wstest -m fuzzingserver`. `wsspec echo` reuses [`echo::serve`].

pub mod client;
pub mod echo;
mod hixie;
pub mod io;
pub mod tls;
