//! Renders a report: one reporter per output format, all reading positions from one line index.

mod concise;
mod pretty;

use std::io;

use crate::lint::Report;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Source snippets with the offending element underlined (default on a terminal).
    Pretty,
    /// `path:line:col: level: message [rule]`, one per line (default otherwise; for editors).
    Concise,
}

/// Writes a whole report in `format`; `color` only affects `pretty`.
pub fn write(
    report: &Report,
    format: OutputFormat,
    color: bool,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    match format {
        OutputFormat::Pretty => pretty::write(report, color, out),
        OutputFormat::Concise => concise::write(report, out),
    }
}
