//! Ingress entries of either format into the model: the Terraform and CloudFormation adapters
//! only name the keys; reading protocols, ports and CIDR lists is shared here.

use crate::adapt::val::{Val, ValKind, as_integer, field_value};
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

/// Conditions leading to a value: `(condition, outcome)` pairs, outermost first.
pub type Conditions = Vec<(Text, bool)>;

/// Every element of a list (or the value itself), both branches of each undecided conditional
/// with the condition that selects it; `AWS::NoValue` and `null` are nothing.
pub fn conditional_items(value: &Val) -> Vec<(Conditions, &Val)> {
    let mut out = Vec::new();
    let mut pending = vec![(Conditions::new(), value)];
    while let Some((conditions, value)) = pending.pop() {
        match &value.kind {
            ValKind::List(items) => {
                pending.extend(items.iter().rev().map(|item| (conditions.clone(), item)));
            }
            ValKind::Conditional { .. } => {
                let branches = conditional_branches(value).into_iter().rev();
                pending.extend(branches.map(|(more, branch)| {
                    let mut all = conditions.clone();
                    all.extend(more);
                    (all, branch)
                }));
            }
            ValKind::Absent | ValKind::Null => {}
            _ => out.push((conditions, value)),
        }
    }
    out
}

/// Both branches of each undecided conditional (true first), with the conditions selecting
/// them; any other value is its own one branch.
pub fn conditional_branches(value: &Val) -> Vec<(Conditions, &Val)> {
    let mut out = Vec::new();
    let mut pending = vec![(Conditions::new(), value)];
    while let Some((conditions, value)) = pending.pop() {
        match &value.kind {
            ValKind::Conditional {
                condition,
                when_true,
                when_false,
            } => {
                let mut on_false = conditions.clone();
                on_false.push((condition.clone(), false));
                let mut on_true = conditions;
                on_true.push((condition.clone(), true));
                pending.push((on_false, when_false));
                pending.push((on_true, when_true));
            }
            _ => out.push((conditions, value)),
        }
    }
    out
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
