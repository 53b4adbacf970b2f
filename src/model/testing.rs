//! Builders for hand-made models in rule unit tests.

use super::iam::{Elements, PolicyDocument, PolicyKind, Statement, Statements};
use super::{Format, Model, ResourceRef, UnknownReason, Value};
use crate::rules::{Finding, Findings, Rule};
use crate::source::{FileId, Span};

/// A one-byte span at `start`.
pub fn span(start: u32) -> Span {
    Span {
        file: FileId(0),
        start,
        end: start + 1,
    }
}

/// The resource header used by every builder.
pub fn header() -> Span {
    Span {
        file: FileId(0),
        start: 0,
        end: 1,
    }
}

pub fn resource() -> ResourceRef {
    ResourceRef {
        address: "test.resource".into(),
        format: Format::Terraform,
        span: header(),
    }
}

pub fn unknown_var<T>(name: &str, at: u32) -> Value<T> {
    Value::unknown(UnknownReason::Variable(name.into()), span(at))
}

/// A CloudFormation pseudo parameter (or a `Fn::Sub` around one) whose every value passes each
/// test as `representative` does; `literal` is its widest value.
pub fn represented<T>(literal: &str, representative: &str, at: u32) -> Value<T> {
    Value::unknown(
        UnknownReason::Partial {
            literal: literal.into(),
            reason: Box::new(UnknownReason::Intrinsic("a pseudo parameter")),
            known_wildcard: false,
            representative: Some(representative.into()),
        },
        span(at),
    )
}

pub fn statement(effect: &str) -> Statement {
    let mut statement = Statement::empty(span(5));
    statement.effect = Some(Value::explicit(effect.into(), span(6)));
    statement
}

/// Elements whose key sits one byte before the first item.
pub fn strings(items: &[(&str, u32)]) -> Elements {
    let first = items.first().map_or(1, |(_, at)| *at);
    Elements {
        key_span: span(first - 1),
        span: span(first - 1),
        items: items
            .iter()
            .map(|(text, at)| Value::explicit((*text).into(), span(*at)))
            .collect(),
    }
}

pub fn document(kind: PolicyKind, statements: Vec<Statement>) -> Model {
    let mut model = Model::default();
    model.iam.policies.push(PolicyDocument {
        owner: resource(),
        kind,
        span: span(1),
        version: Some(Value::explicit("2012-10-17".into(), span(2))),
        unexpected_keys: Vec::new(),
        statements: Statements::List(statements),
        consumers: Vec::new(),
        attached_to: Vec::new(),
        unknown_use: None,
        other_kinds: Vec::new(),
    });
    model
}

/// What a rule found on a model.
pub struct Outcome(pub Vec<Finding>);

impl Outcome {
    /// Primary spans of the violations (not the unverifiable notes).
    pub fn spans(&self) -> Vec<Span> {
        self.0
            .iter()
            .filter(|f| !f.unverifiable)
            .map(|f| f.primary)
            .collect()
    }

    pub fn messages(&self) -> Vec<String> {
        self.0
            .iter()
            .filter(|f| !f.unverifiable)
            .map(|f| f.message.to_string())
            .collect()
    }

    pub fn unverified(&self) -> usize {
        self.0.iter().filter(|f| f.unverifiable).count()
    }
}

pub fn run(rule: &Rule, model: Model) -> Outcome {
    let mut findings = Findings::new();
    (rule.check)(&model, &mut findings);
    Outcome(findings.into_vec())
}

/// A Terraform resource reference at a given header.
pub fn reference(address: &str, at: u32) -> ResourceRef {
    ResourceRef {
        address: address.into(),
        format: Format::Terraform,
        span: span(at),
    }
}

/// Adds a bucket named by its address; returns its index.
pub fn s3_bucket(model: &mut Model, address: &str, at: u32) -> usize {
    model.s3.buckets.push(super::s3::Bucket {
        resource: reference(address, at),
        name: None,
        provider: "aws".into(),
        exists_when: None,
    });
    model.s3.buckets.len() - 1
}

/// A public access block with the four flags written, starting at byte `at`.
pub fn s3_block(flags: [bool; 4], at: u32) -> super::s3::PublicAccessBlock {
    let flag = |name: &'static str, index: u32| super::s3::Flag {
        name,
        value: Value::explicit(flags[index as usize], span(at + 1 + index)),
    };
    super::s3::PublicAccessBlock {
        header: span(at),
        block_public_acls: flag("block_public_acls", 0),
        block_public_policy: flag("block_public_policy", 1),
        ignore_public_acls: flag("ignore_public_acls", 2),
        restrict_public_buckets: flag("restrict_public_buckets", 3),
    }
}

/// Gives bucket `aws_s3_bucket.b` an access block with `flags`, written at byte `at`, and links.
pub fn s3_block_on_b(model: &mut Model, flags: [bool; 4], at: u32) {
    model.s3.access_blocks.push(s3_child(
        "aws_s3_bucket_public_access_block.b",
        at,
        Some("aws_s3_bucket.b"),
        s3_block(flags, at),
    ));
    model.s3.link();
}

/// A child resource of `bucket` (by reference) or an orphan when `bucket` is `None`.
pub fn s3_child<T>(address: &str, at: u32, bucket: Option<&str>, item: T) -> super::s3::Child<T> {
    let target = match bucket {
        Some(address) => super::s3::Target::Reference(address.into()),
        None => super::s3::Target::Unknown {
            reason: UnknownReason::Variable("bucket".into()),
            span: span(at),
        },
    };
    super::s3::Child::new(reference(address, at), "aws".into(), target, item)
}
