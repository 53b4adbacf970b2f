//! Ingress entries of either format into the model: the Terraform and CloudFormation adapters
//! only name the keys; reading protocols, ports and CIDR lists is shared here.

use crate::adapt::val::{Conditions, Val, ValKind, as_integer, conditional_items, field_value};
use crate::model::ec2::security_group::{Cidr, IngressRule, Protocol, Source};
use crate::model::{ResourceRef, UnknownReason, Value};
use crate::source::Span;
use crate::text::Text;

/// The keys one resource type writes an ingress entry with.
pub struct Keys {
    pub protocol: &'static str,
    pub from_port: &'static str,
    pub to_port: &'static str,
    /// Attributes holding one CIDR or a list of them.
    pub cidrs: &'static [&'static str],
}

/// Reads one ingress entry. `header` is where omitted values are located.
pub fn ingress_rule(
    entry: &Val,
    header: Span,
    keys: &Keys,
    declared_by: Option<ResourceRef>,
    conditions: Conditions,
) -> IngressRule {
    if let Some(reason) = entry.unknown_reason() {
        // The whole entry is unknown (`ingress = var.rules`): any source may be open.
        return IngressRule {
            declared_by,
            conditions,
            direction_unknown: None,
            protocol: Value::unknown(reason.clone(), entry.span),
            from_port: Value::unknown(reason.clone(), entry.span),
            to_port: Value::unknown(reason.clone(), entry.span),
            sources: vec![Source {
                conditions: Vec::new(),
                cidr: Value::unknown(reason, entry.span),
            }],
        };
    }
    let protocol = match entry.field(keys.protocol) {
        Some(field) if !matches!(field.value.kind, ValKind::Null) => field_value(
            entry,
            keys.protocol,
            header,
            Protocol::Other("".into()),
            &|val| val.scalar_text().map(|text| Protocol::parse(&text)),
        ),
        // Both formats require a protocol; a template without one is not deployable.
        Some(_) | None => Value::unknown(UnknownReason::Unsupported("an omitted protocol"), header),
    };
    let port = |key: &str| match entry.field(key) {
        Some(field) if matches!(field.value.kind, ValKind::Null) => {
            Value::aws_default(IngressRule::ALL_PORTS, header)
        }
        Some(_) | None => field_value(entry, key, header, IngressRule::ALL_PORTS, &as_integer),
    };
    let mut sources = Vec::new();
    for field in keys.cidrs.iter().filter_map(|key| entry.field(key)) {
        for (conditions, item) in conditional_items(&field.value) {
            // A scalar attribute (`CidrIp: 0.0.0.0/0`) is located at key and value; a list
            // element or a conditional's branch at itself (RULES.md 2.7).
            let span = if std::ptr::eq(item, &field.value) {
                field.span()
            } else {
                item.span
            };
            sources.push(Source {
                conditions,
                cidr: item.to_value(
                    span,
                    &|at| Value::unknown(UnknownReason::Unsupported("an omitted CIDR"), at),
                    &|val| val.scalar_text().map(|text| Cidr(text.into())),
                ),
            });
        }
    }
    IngressRule {
        declared_by,
        conditions,
        direction_unknown: None,
        protocol,
        from_port: port(keys.from_port),
        to_port: port(keys.to_port),
        sources,
    }
}

/// The address of the group a standalone rule names by reference; `None` when it is not a
/// reference to a resource of the unit (an id, an import, a parameter).
pub fn group_target(value: Option<&Val>) -> Option<Text> {
    match &value?.kind {
        ValKind::Link { target, .. } => Some(target.clone()),
        _ => None,
    }
}
