//! IAM policies declared in CloudFormation: managed and inline policies, role trust policies.

use std::borrow::Cow;

use super::{Context, Resource};
use crate::adapt::embedded::{
    JsonStrings, OffsetMap, UNKNOWN_MARK, UNKNOWN_MARK_STR, next_significant, parse_mapped_json,
    with_unknowns,
};
use crate::adapt::policy::policy_document;
use crate::adapt::val::conditional_items;
use crate::adapt::val::{Segment, Val, ValKind, from_node};
use crate::model::iam::{PolicyKind, Statements};
use crate::model::{Model, UnknownReason};

/// Resource types this adapter reads.
pub const TYPES: &[&str] = &[
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::RolePolicy",
    "AWS::IAM::UserPolicy",
    "AWS::IAM::GroupPolicy",
    "AWS::IAM::Role",
    "AWS::IAM::User",
    "AWS::IAM::Group",
    "AWS::SSO::PermissionSet",
];

pub fn resource(resource: &Resource, context: &Context, model: &mut Model) {
    let properties = &resource.properties;
    match resource.resource_type {
        "AWS::IAM::Policy"
        | "AWS::IAM::ManagedPolicy"
        | "AWS::IAM::RolePolicy"
        | "AWS::IAM::UserPolicy"
        | "AWS::IAM::GroupPolicy" => {
            if let Some(doc) = properties.get("PolicyDocument") {
                add(doc, PolicyKind::Identity, resource, context, model);
            }
        }
        "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group" => {
            if let Some(policies) = properties.get("Policies") {
                for (exists_when, policy) in conditional_items(policies) {
                    if let Some(doc) = policy.get("PolicyDocument") {
                        add(doc, PolicyKind::Identity, resource, context, model);
                        // An entry chosen by `Fn::If` exists only in that branch (RULES 2.4).
                        if let Some(document) = model.iam.policies.last_mut()
                            && let Statements::List(statements) = &mut document.statements
                        {
                            for statement in statements {
                                statement
                                    .exists_when
                                    .splice(0..0, exists_when.iter().cloned());
                            }
                        }
                    }
                }
            }
            if let Some(doc) = properties.get("AssumeRolePolicyDocument") {
                add(doc, PolicyKind::Trust, resource, context, model);
            }
        }
        "AWS::SSO::PermissionSet" => {
            if let Some(doc) = properties.get("InlinePolicy") {
                add(doc, PolicyKind::Identity, resource, context, model);
            }
        }
        _ => {}
    }
}

/// Adds the document `doc` holds, parsing it first when it is written as a JSON string.
pub fn add(doc: &Val, kind: PolicyKind, resource: &Resource, context: &Context, model: &mut Model) {
    let document = match document_value(doc, context) {
        Ok(value) => policy_document(&value, &resource.reference, kind),
        Err(reason) => policy_document(&Val::unknown(reason, doc.span), &resource.reference, kind),
    };
    model.iam.policies.push(document);
}

/// A policy as a value tree: maps as they are (borrowed), JSON strings parsed with spans inside the string.
fn document_value<'a>(doc: &'a Val, context: &Context) -> Result<Cow<'a, Val>, UnknownReason> {
    let text = match &doc.kind {
        ValKind::String(text) => text,
        ValKind::Template(segments) => return sub_document(segments, doc.span, context),
        _ => return Ok(Cow::Borrowed(doc)),
    };
    let literal = doc.span;
    let raw = context.text.get(literal.range()).unwrap_or("");
    let map = OffsetMap::align(text, raw, literal.start, literal);
    let parsed = parse_mapped_json(text, context.file, &map);
    match parsed.root {
        Some(root) if parsed.errors.is_empty() => Ok(Cow::Owned(from_node(&root))),
        _ => Err(UnknownReason::Unsupported(
            "a policy string that is not valid JSON",
        )),
    }
}

/// A policy written as `Fn::Sub` JSON with parts CloudFormation fills in (RULES.md 2.6): a part
/// inside a JSON string makes that string a template, one outside strings an unknown value.
/// The parts shift the text, so every span is the literal's.
fn sub_document<'a>(
    segments: &[Segment],
    literal: crate::source::Span,
    context: &Context,
) -> Result<Cow<'a, Val>, UnknownReason> {
    let mut json = String::new();
    let mut scanner = JsonStrings::default();
    let mut segments = segments.iter().peekable();
    while let Some(segment) = segments.next() {
        match segment {
            Segment::Text(text) => {
                json.push_str(text);
                scanner.feed(text);
            }
            Segment::Unknown(_) if scanner.in_string => json.push(UNKNOWN_MARK),
            Segment::Unknown(_) => {
                let next = match segments.peek() {
                    Some(Segment::Text(text)) => next_significant(text),
                    _ => None,
                };
                let node = scanner.unknown_node(UNKNOWN_MARK_STR, next);
                scanner.feed(&node);
                json.push_str(&node);
            }
        }
    }
    let parsed = parse_mapped_json(&json, context.file, &OffsetMap::Whole(literal));
    match parsed.root {
        Some(root) if parsed.errors.is_empty() => Ok(Cow::Owned(with_unknowns(&root))),
        _ => Err(UnknownReason::Unsupported(
            "a policy string that is not valid JSON",
        )),
    }
}
