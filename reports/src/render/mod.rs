//! Renderers: one module per output format, each rendering a [`RunReport`] and a
//! [`Comparison`].

use std::fmt;
use std::str::FromStr;

use crate::compare::Comparison;
use crate::summary::RunReport;

pub mod cause;
mod exchange;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod text;
mod util;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Terminal text.
    #[default]
    Text,
    /// GitHub-flavoured Markdown (step summaries, pull-request comments).
    Markdown,
    /// JUnit XML.
    Junit,
    /// One self-contained HTML page.
    Html,
    /// JSON.
    Json,
}

impl Format {
    /// The formats' names as the CLI takes them.
    pub const NAMES: [&'static str; 5] = ["text", "md", "junit", "html", "json"];
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "text" => Format::Text,
            "md" | "markdown" => Format::Markdown,
            "junit" => Format::Junit,
            "html" => Format::Html,
            "json" => Format::Json,
            other => {
                return Err(format!(
                    "unknown format {other:?} (expected one of {})",
                    Format::NAMES.join(", ")
                ))
            }
        })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Text => "text",
            Format::Markdown => "md",
            Format::Junit => "junit",
            Format::Html => "html",
            Format::Json => "json",
        })
    }
}

/// Options that apply to some formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RenderOptions {
    /// ANSI colour in terminal text (the CLI turns it on for a terminal only).
    pub color: bool,
}

/// Renders a report on one run.
pub fn render_report(report: &RunReport, format: Format, options: RenderOptions) -> String {
    match format {
        Format::Text => text::report(report, options.color),
        Format::Markdown => markdown::report(report),
        Format::Junit => junit::report(report),
        Format::Html => html::report(report),
        Format::Json => json::report(report),
    }
}

/// Renders a comparison of two runs.
pub fn render_comparison(
    comparison: &Comparison,
    format: Format,
    options: RenderOptions,
) -> String {
    match format {
        Format::Text => text::comparison(comparison, options.color),
        Format::Markdown => markdown::comparison(comparison),
        Format::Junit => junit::comparison(comparison),
        Format::Html => html::comparison(comparison),
        Format::Json => json::comparison(comparison),
    }
}
