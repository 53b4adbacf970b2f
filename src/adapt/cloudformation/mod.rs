//! CloudFormation templates (YAML or JSON) into the model: each resource's properties are resolved
//! through the intrinsics, then handed to the service adapters.

mod cloudtrail;
mod ec2;
mod for_each;
mod iam;
mod implied;
pub mod intrinsics;
mod s3;

use crate::adapt::val::{Field, Val, ValKind};
use crate::model::{Format, Model, ResourceRef, UnknownReason};
use crate::parse::Node;
use crate::source::{FileId, Span};
use crate::text::Text;

pub use for_each::written_resources;
pub use intrinsics::Template;

/// One resource of a template, its properties resolved.
pub struct Resource<'a> {
    pub logical_id: &'a str,
    pub resource_type: &'a str,
    pub reference: ResourceRef,
    pub properties: Val,
    /// The resource's `Condition`, when it may not be created: lint it as existing, but as a
    /// neutralizer of other findings it is unknown (RULES.md 2.4).
    pub exists_when: Option<Text>,
}

impl Resource<'_> {
    pub fn header(&self) -> Span {
        self.reference.span
    }
}

/// What service adapters need besides the resource: the host text for JSON written in strings.
pub struct Context<'a> {
    pub file: FileId,
    pub text: &'a str,
    pub template: &'a Template<'a>,
}

/// Adapts one template; `parameters` are deploy-time values overriding parameter defaults.
pub fn adapt(
    root: &Node,
    file: FileId,
    text: &str,
    parameters: &std::collections::BTreeMap<String, String>,
    model: &mut Model,
) {
    let template = Template::read_with(root, Some(parameters));
    let context = Context {
        file,
        text,
        template: &template,
    };
    for declared in &template.declared {
        let Some(resource_type) = declared.body.get("Type").and_then(Node::as_str) else {
            continue;
        };
        if !modelled(resource_type) {
            continue;
        }
        let condition = declared.body.get("Condition").and_then(Node::as_str);
        if condition.is_some_and(|condition| template.condition_is(condition) == Some(false)) {
            continue;
        }
        let exists_when = condition
            .filter(|condition| template.condition_is(condition) != Some(true))
            .map(Into::into)
            .or_else(|| declared.exists_when.clone());
        let properties = match declared.body.get("Properties") {
            Some(node) => whole_properties_function(
                node,
                template.with_loop_values(&declared.loop_values, || {
                    template.resolve_created_under(node, condition)
                }),
            ),
            None => Val::new(ValKind::Object(Vec::new()), declared.key_span),
        };
        let resource = Resource {
            exists_when,
            logical_id: &declared.logical_id,
            resource_type,
            reference: ResourceRef {
                address: declared.logical_id.clone(),
                format: Format::CloudFormation,
                span: declared.key_span,
            },
            properties,
        };
        iam::resource(&resource, &context, model);
        ec2::resource(&resource, &context, model);
        s3::resource(&resource, &context, model);
        cloudtrail::resource(&resource, &context, model);
    }
    ec2::finish(model);
    s3::finish(model);
    cloudtrail::finish(model);
}

/// An unresolved name (of a bucket, a launch template) as written, to link a child naming its
/// parent by the very same expression (RULES.md 2.1): a parameter without default (or not at its
/// default in this branch) by its name, whether written `!Ref`
/// or `{"Ref": ...}`; any other (`!Sub "${AppName}-${AWS::Region}-logs"`) by its source text,
/// whitespace collapsed.
pub(super) fn expression_text(value: &Val, context: &Context) -> Option<Text> {
    if let ValKind::Unknown(
        UnknownReason::Parameter(name) | UnknownReason::ParameterElsewhere { name, .. },
    ) = &value.kind
    {
        return Some(format!("!Ref {name}").into());
    }
    let written = context.text.get(value.span.range())?;
    let collapsed: Vec<&str> = written.split_whitespace().collect();
    (!collapsed.is_empty()).then(|| collapsed.join(" ").into())
}

/// `Properties: {Fn::Transform: {Name: AWS::Include, ...}}` (or a pre-processor's
/// `Properties: !Include props.yaml`): every property comes from the function, so each is Unknown,
/// never its AWS default; kept as that one field, which `Val::field` answers for any key.
fn whole_properties_function(node: &Node, properties: Val) -> Val {
    let function = match (node.as_map(), &properties.kind) {
        (Some([entry]), ValKind::Unknown(_)) if entry.key.starts_with("Fn::") => entry,
        _ => return properties,
    };
    let span = properties.span;
    Val::new(
        ValKind::Object(vec![Field {
            key: function.key.clone(),
            key_span: function.key_span,
            value: properties,
            is_block: false,
        }]),
        span,
    )
}

/// Whether some service adapter reads resources of this type: only those are resolved.
fn modelled(resource_type: &str) -> bool {
    iam::TYPES.contains(&resource_type)
        || ec2::reads(resource_type)
        || s3::TYPES.contains(&resource_type)
        || cloudtrail::TYPES.contains(&resource_type)
}

/// Whether the content of a YAML/JSON file is a CloudFormation template.
pub fn is_template(root: &Node) -> bool {
    if root.get("AWSTemplateFormatVersion").is_some() {
        return true;
    }
    root.get("Resources")
        .and_then(Node::as_map)
        .is_some_and(|resources| {
            resources.iter().any(|entry| {
                entry
                    .value
                    .get("Type")
                    .and_then(Node::as_str)
                    .is_some_and(|t| t.starts_with("AWS::"))
            })
        })
}
