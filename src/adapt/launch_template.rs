//! The launch-template reference of an instance, read the same way from both formats.

use crate::adapt::val::{Field, ValKind};
use crate::model::ec2::ebs::LaunchTemplateRef;
use crate::model::{Origin, UnknownReason, Value};

/// A template id/name field: a reference links by address, a literal names a template.
pub fn template_ref(field: &Field) -> Value<LaunchTemplateRef> {
    let span = field.span();
    if let ValKind::Link { target, .. } = &field.value.kind {
        return Value::Known {
            value: LaunchTemplateRef::Address(target.clone()),
            origin: Origin::Explicit {
                defined_at: field.value.defined_at,
            },
            span,
        };
    }
    let absent = |span| Value::unknown(UnknownReason::Unsupported("an omitted template"), span);
    field.value.to_value(span, &absent, &|val| {
        val.as_str()
            .map(|name| LaunchTemplateRef::Name(name.into()))
    })
}
