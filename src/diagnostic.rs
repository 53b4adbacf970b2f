//! What a rule found, where, and how loudly to say it.

use std::borrow::Cow;

use crate::rules::RuleMeta;
use crate::source::Span;

/// How serious a finding is; sets the level printed.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn level(self) -> Level {
        match self {
            Severity::Critical | Severity::High => Level::Error,
            Severity::Medium => Level::Warning,
            Severity::Low => Level::Note,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// GitHub code scanning's `security-severity` score for this severity.
    pub fn score(self) -> &'static str {
        match self {
            Severity::Low => "3.0",
            Severity::Medium => "5.5",
            Severity::High => "8.0",
            Severity::Critical => "9.5",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Error,
    Warning,
    Note,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Label {
    pub span: Span,
    pub message: Cow<'static, str>,
}

/// Longest source text a message quotes in full.
pub const MAX_QUOTED: usize = 120;

/// A finding or a problem with the input, ready to report.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub rule: &'static RuleMeta,
    pub severity: Severity,
    pub message: Cow<'static, str>,
    pub primary: Span,
    pub labels: Vec<Label>,
    /// Terraform address, CloudFormation logical id or policy file the finding belongs to.
    pub resource: Option<Box<str>>,
    /// A "cannot verify" note: shown only on request and never failing the run.
    pub unverifiable: bool,
}

impl Diagnostic {
    /// A diagnostic the engine raises itself (parse errors, suppressions), at the rule's severity.
    pub fn builtin(meta: &'static RuleMeta, span: Span, message: String) -> Diagnostic {
        Diagnostic {
            rule: meta,
            severity: meta.severity,
            message: message.into(),
            primary: span,
            labels: Vec::new(),
            resource: None,
            unverifiable: false,
        }
    }

    /// Shortens source text quoted in backticks past [`MAX_QUOTED`] characters, so a huge value
    /// cannot turn one finding into megabytes of output.
    pub fn shorten_quotes(message: Cow<'static, str>) -> Cow<'static, str> {
        let long = message
            .split('`')
            .skip(1)
            .step_by(2)
            .any(|quoted| quoted.chars().count() > MAX_QUOTED);
        if !long {
            return message;
        }
        let mut out = String::new();
        for (i, part) in message.split('`').enumerate() {
            if i > 0 {
                out.push('`');
            }
            if i % 2 == 1 && part.chars().count() > MAX_QUOTED {
                let head: String = part.chars().take(MAX_QUOTED - 20).collect();
                let tail: Vec<char> = part.chars().rev().take(10).collect();
                out.push_str(&head);
                out.push('…');
                out.extend(tail.into_iter().rev());
            } else {
                out.push_str(part);
            }
        }
        out.into()
    }

    pub fn level(&self) -> Level {
        if self.unverifiable {
            Level::Note
        } else {
            self.severity.level()
        }
    }

    /// The total order of output: position, then rule, then message.
    pub fn sort_key(&self) -> (Span, &'static str, &str) {
        (self.primary, self.rule.name, &self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_quoted_text_is_shortened_and_short_text_kept() {
        let short: Cow<'static, str> = "action `s3GetObject` is not `*`".into();
        assert_eq!(Diagnostic::shorten_quotes(short.clone()), short);
        let long = format!("action `{}y` is not `*`", "x".repeat(500));
        let shortened = Diagnostic::shorten_quotes(long.into());
        assert!(shortened.len() < 200, "{shortened}");
        assert!(shortened.contains('…'), "{shortened}");
        assert!(shortened.ends_with("xy` is not `*`"), "{shortened}");
    }
}
