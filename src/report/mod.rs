//! Renders a report: one reporter per output format, all reading positions from one line index.

mod concise;
mod github;
mod json;
mod pretty;
pub mod rules;
mod sarif;

use std::io;

use crate::diagnostic::{Diagnostic, Severity};
use crate::lint::Report;
use crate::source::{LineCol, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Source snippets with the offending element underlined (default on a terminal).
    Pretty,
    /// `path:line:col: level: message [rule]`, one per line (default otherwise; for editors).
    Concise,
    /// One JSON document, schema version 1 (docs/output.md).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands: annotations on the pull request.
    Github,
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
        OutputFormat::Json => json::write(report, out),
        OutputFormat::Sarif => sarif::write(report, out),
        OutputFormat::Github => github::write(report, out),
    }
}

/// 1-based start and end (the position just after the last character) of a span.
fn bounds(report: &Report, span: Span) -> (LineCol, LineCol) {
    (
        report.sources.line_col(span.file, span.start),
        report.sources.line_col(span.file, span.end),
    )
}

/// Findings per severity, as every summary counts them (unverifiable notes apart).
fn severity_counts(diagnostics: &[Diagnostic]) -> [(Severity, usize); 4] {
    [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ]
    .map(|severity| {
        let count = diagnostics
            .iter()
            .filter(|d| !d.unverifiable && d.severity == severity)
            .count();
        (severity, count)
    })
}
