//! The sink one rule writes its findings for one model into.

use crate::text::Text;
use std::borrow::Cow;

use crate::diagnostic::Label;
pub use crate::model::AccountFactKind;
use crate::model::iam::{PolicyDocument, PolicyKind};
use crate::model::{ResourceRef, UnknownReason};
use crate::source::Span;

#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub resource: Text,
    pub primary: Span,
    pub message: Cow<'static, str>,
    pub labels: Vec<Label>,
    pub unverifiable: bool,
    /// Turned into "cannot verify" when another unit declares this account fact.
    pub unless: Option<AccountFactKind>,
}

impl Finding {
    pub fn label(&mut self, span: Span, message: impl Into<Cow<'static, str>>) -> &mut Finding {
        if span != self.primary || !self.labels.is_empty() {
            self.labels.push(Label {
                span,
                message: message.into(),
            });
        }
        self
    }

    /// Adds a "value set here" label where a variable, local or parameter value was written.
    pub fn defined_at(&mut self, at: Option<Span>) -> &mut Finding {
        match at {
            Some(span) if span != self.primary => self.label(span, "value set here"),
            Some(_) | None => self,
        }
    }

    pub fn unless(&mut self, fact: AccountFactKind) -> &mut Finding {
        self.unless = Some(fact);
        self
    }
}

#[derive(Debug, Default)]
pub struct Findings {
    found: Vec<Finding>,
}

impl Findings {
    pub fn new() -> Findings {
        Findings::default()
    }

    pub fn report(
        &mut self,
        on: &ResourceRef,
        at: Span,
        message: impl Into<Cow<'static, str>>,
    ) -> &mut Finding {
        self.push(on, at, message.into(), false)
    }

    /// Records that the rule had to stop at an unknown value (`cannot verify: <what> (<why>)`).
    pub fn unverifiable(
        &mut self,
        on: &ResourceRef,
        at: Span,
        what: &str,
        why: &UnknownReason,
    ) -> &mut Finding {
        let message = format!("cannot verify: {what} ({})", why.describe());
        self.push(on, at, message.into(), true)
    }

    /// Records an unverifiable case whose reason is not an unknown value (e.g. an account fact).
    pub fn unverifiable_because(
        &mut self,
        on: &ResourceRef,
        at: Span,
        message: String,
    ) -> &mut Finding {
        self.push(on, at, format!("cannot verify: {message}").into(), true)
    }

    fn push(
        &mut self,
        on: &ResourceRef,
        at: Span,
        message: Cow<'static, str>,
        unverifiable: bool,
    ) -> &mut Finding {
        self.found.push(Finding {
            resource: on.address.clone(),
            primary: at,
            message,
            labels: Vec::new(),
            unverifiable,
            unless: None,
        });
        let last = self.found.len() - 1;
        &mut self.found[last]
    }

    /// Runs `check` on every policy document of `kind`, and on every one passed to a module that
    /// is not linted, whose kind there is unknown (RULES.md 1): its violations hold only if it is
    /// of `kind` (`kind_named`, as in "an identity policy"), so they become unverifiable.
    pub fn check_documents_of_kind(
        &mut self,
        documents: &[PolicyDocument],
        kind: PolicyKind,
        kind_named: &str,
        mut check: impl FnMut(&PolicyDocument, &mut Findings),
    ) {
        for document in documents {
            let kind_unknown = !document.is(kind);
            let unknown_use = document.unknown_use.map(|used| used.why);
            if kind_unknown && unknown_use.is_none() {
                continue;
            }
            let mark = self.found.len();
            check(document, self);
            if let Some(why) = unknown_use.filter(|_| kind_unknown) {
                self.unverifiable_since(mark, &format!("if the document is {kind_named}: {why}"));
            }
        }
    }

    /// Turns the violations found since `mark` into unverifiable cases, saying `why` they hold
    /// only perhaps (`cannot verify: <violation> (<why>)`).
    pub fn unverifiable_since(&mut self, mark: usize, why: &str) {
        for finding in self.found.iter_mut().skip(mark) {
            if finding.unverifiable {
                continue;
            }
            finding.unverifiable = true;
            finding.message = format!("cannot verify: {} ({why})", finding.message).into();
        }
    }

    /// How many findings have been recorded: a mark for [`Findings::unverifiable_since`].
    pub fn len(&self) -> usize {
        self.found.len()
    }

    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    pub fn into_vec(self) -> Vec<Finding> {
        self.found
    }

    pub fn as_slice(&self) -> &[Finding] {
        &self.found
    }
}
