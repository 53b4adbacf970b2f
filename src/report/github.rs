//! `--format github`: workflow commands that GitHub Actions turns into annotations.
//! https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands

use std::io;

use super::bounds;
use crate::diagnostic::Level;
use crate::lint::Report;

pub fn write(report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    for diagnostic in &report.diagnostics {
        let command = match diagnostic.level() {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "notice",
        };
        let (start, end) = bounds(report, diagnostic.primary);
        let path = report.sources.path(diagnostic.primary.file);
        // GitHub rejects columns on an annotation spanning several lines.
        if start.line == end.line {
            write!(
                out,
                "::{command} file={},line={},col={},endLine={},endColumn={}",
                property(path),
                start.line,
                start.col,
                end.line,
                end.col
            )?;
        } else {
            write!(
                out,
                "::{command} file={},line={},endLine={}",
                property(path),
                start.line,
                end.line
            )?;
        }
        writeln!(
            out,
            ",title={}::{}",
            property(&format!("cloudlint {}", diagnostic.rule.name)),
            data(&diagnostic.message)
        )?;
    }
    Ok(())
}

/// Escaping of a command's message.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping of a command property: also `:` and `,`, which delimit properties.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_github_requires() {
        assert_eq!(data("50% a\r\nb: c,d"), "50%25 a%0D%0Ab: c,d");
        assert_eq!(property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
