//! Raw IAM policy JSON files: one document each, its kind read from its content.

use super::policy::{policy_document, raw_file_kind};
use super::val::{from_node_with, raw_policy_string};
use crate::model::iam::PolicyKind;
use crate::model::{Format, Model, ResourceRef};
use crate::parse::Node;
use crate::source::Span;

pub fn adapt(root: &Node, path: &str, model: &mut Model) {
    let header = Span {
        end: root.span.start.saturating_add(1).min(root.span.end),
        ..root.span
    };
    let owner = ResourceRef {
        address: path.into(),
        format: Format::IamJson,
        span: header,
    };
    let mut document = policy_document(
        &from_node_with(root, &raw_policy_string),
        &owner,
        PolicyKind::Identity,
    );
    document.kind = raw_file_kind(&document);
    model.iam.policies.push(document);
}
