//! `path:line:col: level: message [rule]`: the problem-matcher format editors and CI parse.

use std::io;

use crate::lint::Report;

pub fn write(report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    for diagnostic in &report.diagnostics {
        let file = diagnostic.primary.file;
        let at = report.sources.line_col(file, diagnostic.primary.start);
        writeln!(
            out,
            "{}:{}:{}: {}: {} [{}]",
            report.sources.path(file),
            at.line,
            at.col,
            diagnostic.level().name(),
            one_line(&diagnostic.message),
            diagnostic.rule.name
        )?;
    }
    for suppressed in &report.suppressed {
        let diagnostic = &suppressed.diagnostic;
        let file = diagnostic.primary.file;
        let at = report.sources.line_col(file, diagnostic.primary.start);
        writeln!(
            out,
            "{}:{}:{}: note: suppressed: {} [{}]",
            report.sources.path(file),
            at.line,
            at.col,
            one_line(&diagnostic.message),
            diagnostic.rule.name
        )?;
    }
    Ok(())
}

/// Messages stay on one line so that every finding is one line of output.
fn one_line(message: &str) -> std::borrow::Cow<'_, str> {
    if message.contains(['\n', '\r']) {
        message.replace(['\n', '\r'], " ").into()
    } else {
        message.into()
    }
}
