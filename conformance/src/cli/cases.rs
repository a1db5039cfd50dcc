//! `wsspec cases [PATTERN…]`: the catalog, one case per line.

use crate::catalog::{self, CasePattern, Peer, Shard, Suite};

use super::{emit, EXIT_PASS};

/// Arguments of `wsspec cases`.
#[derive(Debug, clap::Args)]
pub struct CasesArgs {
    /// Only cases matching these wstest patterns (`6.4.*`, `12.1.1`).
    #[arg(value_name = "PATTERN")]
    pub patterns: Vec<String>,
    /// Which catalog: autobahn (sections 1-13), wsspec (wsspec's own, 100-105) or all.
    #[arg(long, default_value = "autobahn", value_name = "SUITE")]
    pub suite: Suite,
    /// Cases to leave out, as wstest patterns.
    #[arg(long, num_args = 1.., value_name = "PATTERN")]
    pub exclude: Vec<String>,
    /// Print the full description of each case too.
    #[arg(long, short = 'l')]
    pub long: bool,
    /// Only the cases `wsspec run --shard I/N` with the same patterns runs.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    /// Print only the ids, one per line (for scripts, e.g. a wstest spec's `cases`).
    #[arg(long, conflicts_with = "long")]
    pub ids: bool,
}

/// The first line of a description, without HTML tags and with whitespace collapsed.
fn summary(description: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in description.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Runs `wsspec cases`.
pub fn run(args: &CasesArgs) -> anyhow::Result<u8> {
    let patterns: Vec<CasePattern> = args.patterns.iter().map(CasePattern::new).collect();
    let exclude: Vec<CasePattern> = args.exclude.iter().map(CasePattern::new).collect();
    // A shard is of what `wsspec run` runs: the cases that test servers.
    let peer = args.shard.map(|_| Peer::Server);
    let cases = catalog::select(catalog::suite(args.suite, peer), &patterns, &exclude)?;
    let cases = match args.shard {
        Some(shard) => shard.select(&cases)?,
        None => cases,
    };
    let mut out = String::new();
    if args.ids {
        for case in &cases {
            out.push_str(&format!("{}\n", case.id));
        }
        emit(None, &out)?;
        return Ok(EXIT_PASS);
    }
    for case in &cases {
        let text = summary(&case.description);
        if args.long {
            out.push_str(&format!(
                "{}\n  {}\n  expect: {}\n",
                case.id,
                text,
                summary(&case.expectation)
            ));
        } else {
            let short: String = text.chars().take(100).collect();
            let ellipsis = if short.len() < text.len() { "…" } else { "" };
            out.push_str(&format!("{:<8} {short}{ellipsis}\n", case.id.as_str()));
        }
    }
    match args.shard {
        Some(shard) => {
            let expected: std::time::Duration = cases.iter().map(|c| c.expected_duration).sum();
            out.push_str(&format!(
                "{} cases (shard {shard}, expected {:.1} s one at a time)\n",
                cases.len(),
                expected.as_secs_f64()
            ));
        }
        None => out.push_str(&format!("{} cases\n", cases.len())),
    }
    emit(None, &out)?;
    Ok(EXIT_PASS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_drop_html_and_collapse_whitespace() {
        assert_eq!(
            summary("Send a\n<br><br>MESSAGE PARTS:<br>\nPART1 = ce<br>\n"),
            "Send a MESSAGE PARTS: PART1 = ce"
        );
    }
}
