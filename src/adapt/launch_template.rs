//! The launch-template reference of an instance, read the same way from both formats.

use crate::adapt::val::{Field, ValKind};
use crate::model::ec2::ebs::LaunchTemplateRef;
use crate::model::{Origin, UnknownReason, Value};

/// A template id/name field: a reference links by address, a literal names a template. Each
/// branch of a conditional (`!If [C, !Ref A, !Ref B]`) is read the same way.
pub fn template_ref(field: &Field) -> Value<LaunchTemplateRef> {
    let absent = |span| Value::unknown(UnknownReason::Unsupported("an omitted template"), span);
    let name = |val: &crate::adapt::val::Val| {
        val.as_str()
            .map(|name| LaunchTemplateRef::Name(name.into()))
    };
    field
        .value
        .branch_values(field.span(), &|value, span| match &value.kind {
            ValKind::Link { target, .. } => Value::Known {
                value: LaunchTemplateRef::Address(target.clone()),
                origin: Origin::Explicit {
                    defined_at: value.defined_at,
                },
                span,
            },
            _ => value.to_value(span, &absent, &name),
        })
}
