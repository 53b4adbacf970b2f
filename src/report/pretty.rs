//! Human output through codespan-reporting: the source line, the offending element underlined,
//! the rule id and a help line.

use std::io;
use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic as Rendered, Label, Severity as RenderedSeverity};
use codespan_reporting::files::{Error, Files};
use codespan_reporting::term::{self, Config};

use crate::diagnostic::Level;
use crate::lint::{Report, help_of};
use crate::source::{FileId, SourceMap};

impl<'a> Files<'a> for SourceMap {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, Error> {
        self.get(id).map(|f| &*f.path).ok_or(Error::FileMissing)
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, Error> {
        self.get(id).map(|f| &*f.text).ok_or(Error::FileMissing)
    }

    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, Error> {
        let file = self.get(id).ok_or(Error::FileMissing)?;
        Ok(file
            .index()
            .line_of(u32::try_from(byte_index).unwrap_or(u32::MAX)))
    }

    fn line_range(&'a self, id: FileId, line_index: usize) -> Result<Range<usize>, Error> {
        let file = self.get(id).ok_or(Error::FileMissing)?;
        if line_index >= file.index().line_count() {
            return Err(Error::LineTooLarge {
                given: line_index,
                max: file.index().line_count().saturating_sub(1),
            });
        }
        let range = file.index().line_range(&file.text, line_index);
        // codespan expects the range to include the line terminator.
        let next = if line_index + 1 < file.index().line_count() {
            file.index().line_start(line_index + 1) as usize
        } else {
            file.text.len()
        };
        Ok(range.start..next.max(range.end))
    }
}

/// Longest source line shown under a diagnostic: a minified template is one line of megabytes.
const MAX_SHOWN_LINE: usize = 1_000;

fn showable(sources: &SourceMap, span: crate::source::Span) -> bool {
    let Some(file) = sources.get(span.file) else {
        return false;
    };
    let index = file.index();
    let first = index.line_of(span.start);
    let last = index.line_of(span.end);
    (first..=last).all(|line| index.line_range(&file.text, line).len() <= MAX_SHOWN_LINE)
}

pub fn write(report: &Report, color: bool, out: &mut dyn io::Write) -> io::Result<()> {
    let config = Config::default();
    for diagnostic in &report.diagnostics {
        let severity = match diagnostic.level() {
            Level::Error => RenderedSeverity::Error,
            Level::Warning => RenderedSeverity::Warning,
            Level::Note => RenderedSeverity::Note,
        };
        let primary = diagnostic.primary;
        let mut notes = Vec::new();
        let mut labels = Vec::new();
        if showable(&report.sources, primary) {
            labels.push(Label::primary(primary.file, primary.range()));
        } else {
            let at = report.sources.line_col(primary.file, primary.start);
            notes.push(format!(
                "at {}:{}:{} (the line is too long to show)",
                report.sources.path(primary.file),
                at.line,
                at.col
            ));
        }
        for label in diagnostic
            .labels
            .iter()
            .filter(|label| showable(&report.sources, label.span))
        {
            labels.push(
                Label::secondary(label.span.file, label.span.range())
                    .with_message(label.message.to_string()),
            );
        }
        if let Some(resource) = &diagnostic.resource {
            notes.push(format!("resource: {resource}"));
        }
        notes.push(format!("help: {}", help_of(diagnostic.rule)));
        let rendered = Rendered::new(severity)
            .with_code(diagnostic.rule.name)
            .with_message(diagnostic.message.to_string())
            .with_labels(labels)
            .with_notes(notes);
        let result = if color {
            let mut buffer = term::termcolor::Buffer::ansi();
            let result =
                term::emit_to_write_style(&mut buffer, &config, &report.sources, &rendered);
            out.write_all(buffer.as_slice())?;
            result
        } else {
            term::emit_to_io_write(out, &config, &report.sources, &rendered)
        };
        result.map_err(|e| match e {
            Error::Io(error) => error,
            other => io::Error::other(other.to_string()),
        })?;
    }
    summary(report, out)
}

fn summary(report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    let count = |level: Level| {
        report
            .diagnostics
            .iter()
            .filter(|d| d.level() == level)
            .count()
    };
    writeln!(
        out,
        "{} scanned, {} skipped, {} failed: {}, {}, {}",
        plural(report.summary.files_scanned, "file"),
        report.summary.files_skipped,
        report.summary.files_failed,
        plural(count(Level::Error), "error"),
        plural(count(Level::Warning), "warning"),
        plural(count(Level::Note), "note"),
    )
}

fn plural(count: usize, word: &str) -> String {
    if count == 1 {
        format!("1 {word}")
    } else {
        format!("{count} {word}s")
    }
}
