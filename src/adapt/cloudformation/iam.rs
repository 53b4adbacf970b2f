//! IAM policies declared in CloudFormation: managed and inline policies, role trust policies.

use std::borrow::Cow;

use super::{Context, Resource};
use crate::adapt::cloudformation::intrinsics::{SubPiece, sub_pieces};
use crate::adapt::embedded::{
    JsonStrings, Marks, OffsetMap, next_significant, node_offsets, policy_json,
};
use crate::adapt::policy::policy_document;
use crate::adapt::val::conditional_items;
use crate::adapt::val::{Segment, Val, ValKind, from_node};
use crate::model::iam::{PolicyKind, Statements};
use crate::model::{Model, UnknownReason};
use crate::parse::{Node, NodeKind};
use crate::source::Span;

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
    let document = match document_value(doc, resource, context) {
        Ok(value) => policy_document(&value, &resource.reference, kind),
        Err(reason) => policy_document(&Val::unknown(reason, doc.span), &resource.reference, kind),
    };
    model.iam.policies.push(document);
}

/// A policy as a value tree: maps as they are (borrowed), JSON strings parsed with spans inside the string.
fn document_value<'a>(
    doc: &'a Val,
    resource: &Resource,
    context: &Context,
) -> Result<Cow<'a, Val>, UnknownReason> {
    let template = || sub_template(doc.span, resource, context);
    let text = match &doc.kind {
        ValKind::String(text) => match template() {
            Some(template) => {
                let segments = [Segment::Text(text.clone())];
                return sub_document(&segments, doc.span, context, Some(template));
            }
            None => text,
        },
        ValKind::Template(segments) => {
            return sub_document(segments, doc.span, context, template());
        }
        _ => return Ok(Cow::Borrowed(doc)),
    };
    let literal = doc.span;
    let raw = context.text.get(literal.range()).unwrap_or("");
    let map = OffsetMap::align(text, raw, literal.start, literal);
    policy_json(text, context.file, &map, from_node).map(Cow::Owned)
}

/// The template string (as parsed) of the `Fn::Sub` written at `span` in the resource.
fn sub_template<'a>(span: Span, resource: &Resource, context: &Context<'a>) -> Option<&'a Node> {
    let declared = context
        .template
        .declared
        .iter()
        .find(|declared| declared.key_span == resource.header())?;
    // Down through the nodes holding `span` only: one path, not the whole body per document.
    let covers = |node: &Node| node.span.start <= span.start && span.end <= node.span.end;
    let mut node = declared.body;
    loop {
        if node.span == span
            && let Some([entry]) = node.as_map()
            && entry.key == "Fn::Sub"
        {
            let template = match &entry.value.kind {
                NodeKind::Seq(parts) => parts.first()?,
                _ => &entry.value,
            };
            return template.as_str().is_some().then_some(template);
        }
        node = node.children().find(|child| covers(child))?;
    }
}

/// A policy written as `Fn::Sub` JSON with parts CloudFormation fills in (RULES.md 2.6): a part
/// inside a JSON string makes that string a template, one outside strings an unknown value.
/// Spans point into the template string (`template`, as parsed) when its pieces can be matched
/// with `segments`; else every span is the literal's.
fn sub_document<'a>(
    segments: &[Segment],
    literal: Span,
    context: &Context,
    template: Option<&Node>,
) -> Result<Cow<'a, Val>, UnknownReason> {
    if let Some((json, table, marks)) =
        template.and_then(|template| mapped_sub(segments, template, context))
    {
        let map = OffsetMap::Table(table);
        return policy_json(&json, context.file, &map, |root| marks.read(root)).map(Cow::Owned);
    }
    let mut json = String::new();
    let mut scanner = JsonStrings::default();
    let mut marks = Marks::default();
    let mut segments = segments.iter().peekable();
    while let Some(segment) = segments.next() {
        match segment {
            Segment::Text(text) => {
                json.push_str(text);
                scanner.feed(text);
            }
            Segment::Unknown(reason) if scanner.in_string => {
                json.push_str(&marks.mark(reason.clone()))
            }
            Segment::Unknown(reason) => {
                let next = match segments.peek() {
                    Some(Segment::Text(text)) => next_significant(text),
                    _ => None,
                };
                let node = scanner.unknown_node(&marks.mark(reason.clone()), next);
                scanner.feed(&node);
                json.push_str(&node);
            }
        }
    }
    let map = OffsetMap::Whole(literal);
    policy_json(&json, context.file, &map, |root| marks.read(root)).map(Cow::Owned)
}

/// The JSON text `segments` make (as `sub_document` builds it) with each byte's offset in the
/// host file, read off the pieces of the template string `template` they were made from: text as
/// written, a value substituted for a `${Name}` at that placeholder. `None` when the segments do
/// not follow the pieces (a substituted value whose end cannot be told) or the string's text
/// cannot be mapped onto its source.
fn mapped_sub(
    segments: &[Segment],
    template: &Node,
    context: &Context,
) -> Option<(String, Vec<u32>, Marks)> {
    let decoded = template.as_str()?;
    let raw = context.text.get(template.span.range())?;
    let host: Vec<u32> = match OffsetMap::align(decoded, raw, template.span.start, template.span) {
        OffsetMap::Shift(base) => (0..=decoded.len() as u32).map(|i| base + i).collect(),
        OffsetMap::Table(table) => table,
        OffsetMap::Whole(_) => return None,
    };
    let at = |i: usize| host.get(i).copied();
    let pieces = sub_pieces(decoded);
    let mut parts = SegmentCursor::new(segments);
    let mut json = String::new();
    let mut table: Vec<u32> = Vec::new();
    let mut scanner = JsonStrings::default();
    let mut marks = Marks::default();
    for (index, piece) in pieces.iter().enumerate() {
        let (inserted, offsets): (String, Vec<u32>) = match piece {
            SubPiece::Text(range) => {
                let text = decoded.get(range.clone())?;
                parts.take_text(text)?;
                (
                    text.to_string(),
                    range.clone().map(at).collect::<Option<_>>()?,
                )
            }
            SubPiece::Escaped { whole, name } => {
                let text = format!("${{{}}}", decoded.get(name.clone())?);
                parts.take_text(&text)?;
                let offsets = [whole.start, whole.start + 1]
                    .into_iter()
                    .chain(name.clone())
                    .chain([whole.end - 1])
                    .map(at)
                    .collect::<Option<_>>()?;
                (text, offsets)
            }
            SubPiece::Variable { whole, .. } => {
                let (from, to) = (at(whole.start)?, at(whole.end)?);
                if let Some(reason) = parts.take_unknown() {
                    let mark = marks.mark(reason.clone());
                    let node = if scanner.in_string {
                        mark
                    } else {
                        let next = match pieces.get(index + 1) {
                            Some(SubPiece::Text(range)) => {
                                next_significant(decoded.get(range.clone())?)
                            }
                            _ => None,
                        };
                        scanner.unknown_node(&mark, next)
                    };
                    let offsets = match scanner.in_string {
                        true => vec![from; node.len()],
                        false => node_offsets(&node, from, to).collect(),
                    };
                    (node, offsets)
                } else {
                    let following = pieces.get(index + 1).map(|next| match next {
                        SubPiece::Text(range) => decoded.get(range.clone()).map(Cow::Borrowed),
                        SubPiece::Escaped { name, .. } => decoded
                            .get(name.clone())
                            .map(|name| Cow::Owned(format!("${{{name}}}"))),
                        SubPiece::Variable { .. } => None,
                    });
                    let value = parts.take_value(following.as_ref().map(|f| f.as_deref()))?;
                    let offsets = vec![from; value.len()];
                    (value.to_string(), offsets)
                }
            }
        };
        scanner.feed(&inserted);
        json.push_str(&inserted);
        table.extend(offsets);
    }
    if !parts.is_done() {
        return None;
    }
    table.push(at(decoded.len())?);
    Some((json, table, marks))
}

/// Reads `Fn::Sub` segments in order, text a piece at a time.
struct SegmentCursor<'s> {
    segments: &'s [Segment],
    at: usize,
    /// Bytes of the text segment at `at` already read.
    offset: usize,
}

impl<'s> SegmentCursor<'s> {
    fn new(segments: &'s [Segment]) -> Self {
        SegmentCursor {
            segments,
            at: 0,
            offset: 0,
        }
    }

    /// The unread text of the current text segment ("" at an unknown one or the end).
    fn rest(&self) -> &'s str {
        match self.segments.get(self.at) {
            Some(Segment::Text(text)) => text.get(self.offset..).unwrap_or(""),
            _ => "",
        }
    }

    fn advance(&mut self, bytes: usize) {
        self.offset += bytes;
        if let Some(Segment::Text(text)) = self.segments.get(self.at)
            && self.offset >= text.len()
        {
            self.at += 1;
            self.offset = 0;
        }
    }

    fn take_text(&mut self, text: &str) -> Option<()> {
        self.rest()
            .starts_with(text)
            .then(|| self.advance(text.len()))
    }

    fn take_unknown(&mut self) -> Option<&'s UnknownReason> {
        let Some(Segment::Unknown(reason)) = self.segments.get(self.at) else {
            return None;
        };
        self.at += 1;
        Some(reason)
    }

    /// A known value substituted for a placeholder: the text up to `following` (the next
    /// piece's text, found first), or the rest of this segment when an unknown part or the end
    /// follows (`Some(None)` for another placeholder, whose start cannot be told: `None`).
    fn take_value(&mut self, following: Option<Option<&str>>) -> Option<&'s str> {
        let rest = self.rest();
        let end = match following {
            Some(Some(next)) => rest.find(next)?,
            Some(None) => {
                let next_is_unknown =
                    matches!(self.segments.get(self.at + 1), Some(Segment::Unknown(_)));
                next_is_unknown.then_some(rest.len())?
            }
            None => rest.len(),
        };
        let value = rest.get(..end)?;
        self.advance(end);
        Some(value)
    }

    fn is_done(&self) -> bool {
        self.at >= self.segments.len()
    }
}
