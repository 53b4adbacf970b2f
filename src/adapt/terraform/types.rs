//! A variable's declared `type`, as far as it changes a value: Terraform gives an object
//! attribute declared `optional(T)` and left out the value `null`, and one declared
//! `optional(T, default)` that default. Without this, `root_block_device = { size = 50 }`
//! against `object({ encrypted = optional(bool) })` would read `encrypted` as a missing
//! attribute (unknown) where Terraform reads `null`: the argument omitted.

use hcl_edit::expr::{Expression, FuncCall, ObjectKey};

use crate::adapt::val::{Field, Val, ValKind};
use crate::parse::limits::MAX_EVAL_DEPTH;

/// `value` with the defaults of the optional attributes `ty` declares, at every level of lists,
/// sets, maps and tuples. `default` evaluates an `optional()` default. Values of another shape
/// than the type (unknown, conditional, a type mismatch Terraform would reject) are left as they
/// are.
pub fn with_optional_defaults(
    value: Val,
    ty: &Expression,
    default: &dyn Fn(&Expression) -> Val,
) -> Val {
    convert(value, ty, default, 0)
}

fn convert(value: Val, ty: &Expression, default: &dyn Fn(&Expression) -> Val, depth: usize) -> Val {
    let Expression::FuncCall(call) = ty else {
        return value;
    };
    if depth > MAX_EVAL_DEPTH {
        return value;
    }
    let mut args = call.args.iter();
    let (Some(inner), name) = (args.next(), call.name.name.as_str()) else {
        return value;
    };
    match (name, value.kind) {
        ("list" | "set", ValKind::List(items)) => Val {
            kind: ValKind::List(
                items
                    .into_iter()
                    .map(|item| convert(item, inner, default, depth + 1))
                    .collect(),
            ),
            ..value
        },
        ("map", ValKind::Object(fields)) => Val {
            kind: ValKind::Object(
                fields
                    .into_iter()
                    .map(|field| Field {
                        value: convert(field.value, inner, default, depth + 1),
                        ..field
                    })
                    .collect(),
            ),
            ..value
        },
        ("tuple", ValKind::List(items)) => {
            let Expression::Array(types) = inner else {
                return Val {
                    kind: ValKind::List(items),
                    ..value
                };
            };
            let mut types = types.iter();
            Val {
                kind: ValKind::List(
                    items
                        .into_iter()
                        .map(|item| match types.next() {
                            Some(ty) => convert(item, ty, default, depth + 1),
                            None => item,
                        })
                        .collect(),
                ),
                ..value
            }
        }
        ("object", ValKind::Object(fields)) => {
            let Expression::Object(attributes) = inner else {
                return Val {
                    kind: ValKind::Object(fields),
                    ..value
                };
            };
            let mut fields = fields;
            for (key, attribute) in attributes.iter() {
                let Some(name) = key_name(key) else { continue };
                let declared = attribute.expr();
                let (ty, optional) = match declared {
                    Expression::FuncCall(call) if call.name.name.as_str() == "optional" => {
                        (call.args.iter().next(), Some(call))
                    }
                    other => (Some(other), None),
                };
                match fields.iter_mut().find(|field| &*field.key == name) {
                    Some(field) => {
                        if let Some(ty) = ty {
                            let placeholder = Val::new(ValKind::Null, field.value.span);
                            let present = std::mem::replace(&mut field.value, placeholder);
                            field.value = convert(present, ty, default, depth + 1);
                        }
                    }
                    None => {
                        if let Some(optional) = optional {
                            fields.push(missing(name, optional, ty, value.span, default, depth));
                        }
                    }
                }
            }
            Val {
                kind: ValKind::Object(fields),
                ..value
            }
        }
        (_, kind) => Val { kind, ..value },
    }
}

/// The attribute an object left out: `optional(T, default)`'s default (itself given the
/// defaults of `T`), else `null`; located at the object, where the value came from.
fn missing(
    name: &str,
    optional: &FuncCall,
    ty: Option<&Expression>,
    at: crate::source::Span,
    default: &dyn Fn(&Expression) -> Val,
    depth: usize,
) -> Field {
    let value = match optional.args.iter().nth(1) {
        Some(given) => {
            let value = default(given);
            let value = match ty {
                Some(ty) => convert(value, ty, default, depth + 1),
                None => value,
            };
            Val {
                span: at,
                defined_at: value.defined_at.or(Some(value.span)),
                ..value
            }
        }
        None => Val::new(ValKind::Null, at),
    };
    Field {
        key: name.into(),
        key_span: at,
        value,
        is_block: false,
    }
}

fn key_name(key: &ObjectKey) -> Option<&str> {
    match key {
        ObjectKey::Ident(ident) => Some(ident.as_str()),
        ObjectKey::Expression(Expression::String(text)) => Some(text.as_str()),
        ObjectKey::Expression(_) => None,
    }
}
