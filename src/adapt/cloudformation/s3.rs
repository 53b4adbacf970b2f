//! S3 buckets and bucket policies declared in CloudFormation.

use super::{Context, Resource};
use crate::adapt::val::{Val, ValKind, as_bool, as_text, field_value};
use crate::model::iam::PolicyKind;
use crate::model::s3::{
    Acl, Bucket, BucketName, CannedAcl, Child, Flag, Ownership, PublicAccessBlock, Target,
};
use crate::model::{Model, UnknownReason, Value};
use crate::source::Span;
use crate::text::Text;

/// Resource types this adapter reads.
pub const TYPES: &[&str] = &["AWS::S3::Bucket", "AWS::S3::BucketPolicy"];

pub fn resource(resource: &Resource, context: &Context, model: &mut Model) {
    let properties = &resource.properties;
    let header = resource.header();
    match resource.resource_type {
        "AWS::S3::Bucket" => {
            model.s3.buckets.push(Bucket {
                resource: resource.reference.clone(),
                name: properties
                    .get("BucketName")
                    .and_then(|name| bucket_name(name, context)),
                provider: "".into(),
                exists_when: None,
            });
            let own = || Target::Reference(resource.reference.address.clone());
            if properties.field("AccessControl").is_some() {
                let acl = Acl {
                    header,
                    canned: Some(canned_acl(properties, header)),
                    grants: Vec::new(),
                };
                model.s3.acls.push(child(resource, own(), acl));
            }
            // `Ref: AWS::NoValue` is a configuration with every flag at its default, located
            // at the `Ref`.
            if let Some(field) = properties.field("PublicAccessBlockConfiguration") {
                let block = access_block(&field.value, field.key_span);
                model.s3.access_blocks.push(child(resource, own(), block));
            }
            if let Some(field) = properties.field("OwnershipControls") {
                let object_ownership = object_ownership(&field.value, field.key_span);
                let ownership = Ownership {
                    header: field.key_span,
                    object_ownership,
                };
                model.s3.ownership.push(child(resource, own(), ownership));
            }
        }
        "AWS::S3::BucketPolicy" => {
            let target = match properties.get("Bucket") {
                Some(bucket) => target(bucket, context),
                None => Target::Unknown {
                    reason: UnknownReason::Unsupported("a missing `Bucket`"),
                    span: header,
                },
            };
            model.s3.policies.push(child(resource, target, ()));
            if let Some(document) = properties.get("PolicyDocument") {
                super::iam::add(document, PolicyKind::Bucket, resource, context, model);
            }
        }
        _ => {}
    }
}

/// Runs after every resource of the template was adapted: links resources to each other.
pub fn finish(model: &mut Model) {
    model.s3.link();
}

fn child<T>(resource: &Resource, target: Target, item: T) -> Child<T> {
    Child::new(resource.reference.clone(), "".into(), target, item)
}

fn bucket_name(value: &Val, context: &Context) -> Option<BucketName> {
    match &value.kind {
        ValKind::String(name) => Some(BucketName::Literal(name.clone())),
        _ => super::expression_text(value, context).map(|written| BucketName::Expression {
            written,
            pattern: value.wildcard_pattern(),
            span: value.span,
        }),
    }
}

fn target(value: &Val, context: &Context) -> Target {
    match &value.kind {
        ValKind::Link { target, .. } => Target::Reference(target.clone()),
        ValKind::String(name) => Target::Name(name.clone()),
        _ => {
            let reason = value.unknown_reason().unwrap_or(UnknownReason::Unsupported(
                "a bucket name of an unexpected type",
            ));
            match super::expression_text(value, context) {
                Some(text) => Target::Expression {
                    text,
                    reason,
                    span: value.span,
                },
                None => Target::Unknown {
                    reason,
                    span: value.span,
                },
            }
        }
    }
}

fn canned_acl(properties: &Val, header: Span) -> Value<CannedAcl> {
    const PUBLIC: [&str; 3] = ["PublicRead", "PublicReadWrite", "AuthenticatedRead"];
    let private = CannedAcl::read("Private".into(), PUBLIC);
    field_value(properties, "AccessControl", header, private, &|val| {
        as_text(val).map(|written| CannedAcl::read(written, PUBLIC))
    })
}

/// `PublicAccessBlockConfiguration`; a value not known offline leaves every flag unknown.
fn access_block(value: &Val, header: Span) -> PublicAccessBlock {
    let flag = |name: &'static str| Flag {
        name,
        value: flag_value(value, name, header),
    };
    PublicAccessBlock {
        header,
        block_public_acls: flag("BlockPublicAcls"),
        block_public_policy: flag("BlockPublicPolicy"),
        ignore_public_acls: flag("IgnorePublicAcls"),
        restrict_public_buckets: flag("RestrictPublicBuckets"),
    }
}

/// One flag of a configuration; a configuration chosen by `Fn::If` gives each flag the value of
/// each branch, `AWS::NoValue` (no configuration) the default (RULES.md 2.4).
fn flag_value(value: &Val, name: &str, header: Span) -> Value<bool> {
    value.branch_values(value.span, &|branch, _| match &branch.kind {
        ValKind::Object(_) => field_value(
            branch,
            name,
            header,
            PublicAccessBlock::FLAG_DEFAULT,
            &as_bool,
        ),
        ValKind::Absent => Value::aws_default(PublicAccessBlock::FLAG_DEFAULT, branch.span),
        _ => unexpected(branch, "an access block of an unexpected type"),
    })
}

/// The object ownership of each rule of `OwnershipControls`. `Fn::If` choosing the controls,
/// `Rules`, a rule or its `ObjectOwnership` keeps each branch's; `AWS::NoValue` is none
/// (RULES.md 2.4).
fn object_ownership(controls: &Val, header: Span) -> Vec<Value<Text>> {
    if let Some(ValKind::List(rules)) = controls.get("Rules").map(|rules| &rules.kind) {
        return rules.iter().map(rule_ownership).collect();
    }
    let none = || Text::default();
    let chosen = controls.branch_values(controls.span, &|branch, _| match &branch.kind {
        ValKind::Absent => Value::aws_default(none(), branch.span),
        ValKind::Object(_) => match branch.get("Rules") {
            Some(rules) => rules.branch_values(rules.span, &|rules, _| match &rules.kind {
                // One rule, as S3 allows.
                ValKind::List(items) => match items.iter().find(|rule| !rule.is_absent()) {
                    Some(rule) => rule_ownership(rule),
                    None => Value::aws_default(none(), rules.span),
                },
                ValKind::Absent => Value::aws_default(none(), rules.span),
                _ => unexpected(rules, "ownership rules of an unexpected type"),
            }),
            None => Value::aws_default(none(), header),
        },
        _ => unexpected(branch, "ownership controls of an unexpected type"),
    });
    vec![chosen]
}

/// The `ObjectOwnership` of one rule, each branch's when `Fn::If` chooses the rule.
fn rule_ownership(rule: &Val) -> Value<Text> {
    let none = || Text::default();
    rule.branch_values(rule.span, &|rule, _| match &rule.kind {
        ValKind::Absent => Value::aws_default(none(), rule.span),
        ValKind::Object(_) => field_value(rule, "ObjectOwnership", rule.span, none(), &as_text),
        _ => unexpected(rule, "an ownership rule of an unexpected type"),
    })
}

/// A value not known offline, or of a type this property cannot hold.
fn unexpected<T>(value: &Val, what: &'static str) -> Value<T> {
    Value::unknown(
        value
            .unknown_reason()
            .unwrap_or(UnknownReason::Unsupported(what)),
        value.span,
    )
}
