//! `--format json`: one document, `"version": 1`, documented in docs/output.md. Field order is
//! fixed by the structs and lists follow the report's total order, so the bytes are stable.

use std::io;

use serde::Serialize;

use super::{bounds, severity_counts};
use crate::diagnostic::Diagnostic;
use crate::lint::{Report, help_of};
use crate::source::Span;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    findings: Vec<Finding<'a>>,
    /// Suppressed findings; listed only with `--show-suppressed`, always counted in the summary.
    suppressed: Vec<Suppressed<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct Finding<'a> {
    rule: &'static str,
    severity: &'static str,
    level: &'static str,
    message: &'a str,
    file: &'a str,
    start: Position,
    end: Position,
    resource: Option<&'a str>,
    help: String,
    /// A "cannot verify" note (`--show-unknown`): never fails the run.
    unverifiable: bool,
    labels: Vec<LabelOut<'a>>,
}

#[derive(Serialize)]
struct Suppressed<'a> {
    #[serde(flatten)]
    finding: Finding<'a>,
    reason: Option<&'a str>,
}

#[derive(Serialize)]
struct LabelOut<'a> {
    message: &'a str,
    file: &'a str,
    start: Position,
    end: Position,
}

#[derive(Serialize)]
struct Position {
    line: u32,
    column: u32,
    offset: u32,
}

#[derive(Serialize)]
struct Summary {
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
    unverifiable: usize,
    suppressed: usize,
    files_scanned: usize,
    files_skipped: usize,
    files_failed: usize,
}

fn range(report: &Report, span: Span) -> (Position, Position) {
    let (start, end) = bounds(report, span);
    (
        Position {
            line: start.line,
            column: start.col,
            offset: span.start,
        },
        Position {
            line: end.line,
            column: end.col,
            offset: span.end,
        },
    )
}

fn finding<'a>(report: &'a Report, diagnostic: &'a Diagnostic) -> Finding<'a> {
    let (start, end) = range(report, diagnostic.primary);
    Finding {
        rule: diagnostic.rule.name,
        severity: diagnostic.severity.name(),
        level: diagnostic.level().name(),
        message: &diagnostic.message,
        file: report.sources.path(diagnostic.primary.file),
        start,
        end,
        resource: diagnostic.resource.as_deref(),
        help: help_of(diagnostic.rule).into_owned(),
        unverifiable: diagnostic.unverifiable,
        labels: diagnostic
            .labels
            .iter()
            .map(|label| {
                let (start, end) = range(report, label.span);
                LabelOut {
                    message: &label.message,
                    file: report.sources.path(label.span.file),
                    start,
                    end,
                }
            })
            .collect(),
    }
}

pub fn write(report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    let [critical, high, medium, low] = severity_counts(&report.diagnostics).map(|(_, n)| n);
    let document = Document {
        version: 1,
        findings: report
            .diagnostics
            .iter()
            .map(|d| finding(report, d))
            .collect(),
        suppressed: report
            .suppressed
            .iter()
            .map(|s| Suppressed {
                finding: finding(report, &s.diagnostic),
                reason: s.reason.as_deref(),
            })
            .collect(),
        summary: Summary {
            critical,
            high,
            medium,
            low,
            unverifiable: report.diagnostics.iter().filter(|d| d.unverifiable).count(),
            suppressed: report.summary.suppressed,
            files_scanned: report.summary.files_scanned,
            files_skipped: report.summary.files_skipped,
            files_failed: report.summary.files_failed,
        },
    };
    serde_json::to_writer_pretty(&mut *out, &document).map_err(io::Error::other)?;
    writeln!(out)
}
