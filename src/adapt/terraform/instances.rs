//! The instances a resource's `count` or `for_each` creates, and what `count.index`, `each.key`
//! and `each.value` are in each (RULES.md 2.2): Known 0 or empty = no instance; Known = one
//! instance per element, in Terraform's order; anything not fully known = one instance standing
//! for all of them, its bindings Unknown.

use std::collections::BTreeMap;

use super::eval::{Bindings, Evaluator, span_of_expr};
use super::module::BlockRef;
use crate::adapt::val::{Field, Val, ValKind, as_integer};
use crate::model::UnknownReason;
use crate::source::Span;

/// At most this many instances are evaluated per resource; a Known `count`/`for_each` beyond it
/// is linted as one instance with Unknown bindings. Each instance is a full evaluation of the
/// body, so the bound keeps memory and time linear in the input on hostile files
/// (`count = 1000000`), while real configurations rarely expand a resource further.
pub const MAX_INSTANCES: usize = 32;

/// What a resource's `count`/`for_each` creates.
pub enum Expansion {
    /// Known to create no instance.
    Nothing,
    /// One instance standing for however many there are: bindings Unknown. `exists_when` is the
    /// meta-argument as written when the resource may not exist at all (RULES.md 2.4).
    Single {
        bindings: Bindings,
        exists_when: Option<Box<str>>,
    },
    /// Known instances, in Terraform's order (indexes ascending, keys sorted).
    Each(Vec<Instance>),
}

pub struct Instance {
    pub key: Key,
    pub bindings: Bindings,
}

/// The key of an instance in its address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Key {
    /// `count`: `[0]`.
    Index(usize),
    /// `for_each`: `["name"]`.
    Name(Box<str>),
}

impl Key {
    /// The address suffix: `[1]`, `["ssh"]`.
    pub fn suffix(&self) -> String {
        match self {
            Key::Index(index) => format!("[{index}]"),
            Key::Name(name) => quoted(name),
        }
    }
}

/// The address suffix an index expression selects (`b[0]`, `b["x"]`), when it is Known.
pub fn index_suffix(index: &Val) -> Option<String> {
    match &index.kind {
        ValKind::Number(_) => {
            let index = usize::try_from(as_integer(index)?).ok()?;
            Some(Key::Index(index).suffix())
        }
        ValKind::String(name) => Some(quoted(name)),
        _ => None,
    }
}

/// `["name"]` with the quotes and backslashes in `name` escaped as in Terraform addresses.
fn quoted(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    out.push_str("[\"");
    for c in name.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out.push_str("\"]");
    out
}

/// The instances `block` creates.
pub fn expand(evaluator: &Evaluator, block: BlockRef) -> Expansion {
    expand_at(evaluator, block, 0)
}

/// `depth` counts resources followed through `for_each = <resource>`: one step only, so chains
/// and cycles of such references end at once.
fn expand_at(evaluator: &Evaluator, block: BlockRef, depth: usize) -> Expansion {
    let body = &block.block.body;
    match (body.get_attribute("count"), body.get_attribute("for_each")) {
        (None, None) => Expansion::Single {
            bindings: Bindings::default(),
            exists_when: None,
        },
        (Some(count), None) => by_count(evaluator, block, &count.value),
        (None, Some(for_each)) => by_for_each(evaluator, block, &for_each.value, depth),
        // Terraform rejects both; lint one instance, as existing unless one is known empty.
        (Some(count), Some(for_each)) => {
            let by_count = by_count(evaluator, block, &count.value);
            let by_for_each = by_for_each(evaluator, block, &for_each.value, depth);
            if matches!(by_count, Expansion::Nothing) || matches!(by_for_each, Expansion::Nothing) {
                return Expansion::Nothing;
            }
            let exists_when = [by_count, by_for_each].into_iter().find_map(|e| match e {
                Expansion::Single { exists_when, .. } => exists_when,
                _ => None,
            });
            let header = block.header();
            Expansion::Single {
                bindings: unknown_count(header).with("each", unknown_each(header)),
                exists_when,
            }
        }
    }
}

fn by_count(
    evaluator: &Evaluator,
    block: BlockRef,
    expr: &hcl_edit::expr::Expression,
) -> Expansion {
    let header = block.header();
    let span = span_of_expr(block.file, expr);
    let count = evaluator.eval(expr, block.file, &Bindings::default());
    match as_integer(&count) {
        Some(0) => Expansion::Nothing,
        Some(n) => match usize::try_from(n) {
            Ok(n) if n <= MAX_INSTANCES => Expansion::Each(
                (0..n)
                    .map(|index| Instance {
                        key: Key::Index(index),
                        bindings: Bindings::default().with(
                            "count",
                            object(
                                vec![(
                                    "index",
                                    Val::new(ValKind::Number(index.to_string().into()), span),
                                    span,
                                )],
                                header,
                            ),
                        ),
                    })
                    .collect(),
            ),
            // Beyond the cap (or negative, which Terraform rejects): known to exist.
            _ => Expansion::Single {
                bindings: unknown_count(header),
                exists_when: None,
            },
        },
        None => Expansion::Single {
            bindings: unknown_count(header),
            exists_when: Some(written(evaluator, "count", span)),
        },
    }
}

fn by_for_each(
    evaluator: &Evaluator,
    block: BlockRef,
    expr: &hcl_edit::expr::Expression,
    depth: usize,
) -> Expansion {
    let header = block.header();
    let span = span_of_expr(block.file, expr);
    let collection = evaluator.eval(expr, block.file, &Bindings::default());
    let unknown = || Expansion::Single {
        bindings: Bindings::default().with("each", unknown_each(header)),
        exists_when: Some(written(evaluator, "for_each", span)),
    };
    let entries: Vec<(Box<str>, Val, Val)> = match &collection.kind {
        ValKind::Object(fields) => {
            // Duplicate keys: the last one wins, as when reading the object.
            let mut sorted = BTreeMap::new();
            for field in fields {
                let key = Val::new(ValKind::String(field.key.clone()), field.key_span);
                sorted.insert(field.key.clone(), (key, field.value.clone()));
            }
            sorted
                .into_iter()
                .map(|(k, (key, v))| (k, key, v))
                .collect()
        }
        ValKind::List(items) => {
            // A set of strings: every element must be known.
            let mut sorted = BTreeMap::new();
            for item in items {
                let Some(text) = set_element(item) else {
                    return unknown();
                };
                sorted.entry(text).or_insert(item);
            }
            sorted
                .into_iter()
                .map(|(text, item)| {
                    let element = Val {
                        kind: ValKind::String(text.clone()),
                        ..item.clone()
                    };
                    (text, element.clone(), element)
                })
                .collect()
        }
        ValKind::Link { target, attribute } if attribute.is_empty() && depth == 0 => {
            return over_resource(evaluator, block, target, span, depth).unwrap_or_else(unknown);
        }
        _ => return unknown(),
    };
    if entries.is_empty() {
        return Expansion::Nothing;
    }
    if entries.len() > MAX_INSTANCES {
        return Expansion::Single {
            bindings: Bindings::default().with("each", unknown_each(header)),
            exists_when: None,
        };
    }
    Expansion::Each(
        entries
            .into_iter()
            .map(|(name, key, value)| Instance {
                key: Key::Name(name),
                bindings: Bindings::default().with("each", each(key, value, header)),
            })
            .collect(),
    )
}

/// `for_each = aws_s3_bucket.b`: one instance per instance of that resource, `each.value` a link
/// to it; `None` when that resource's instances are not known by key.
fn over_resource(
    evaluator: &Evaluator,
    block: BlockRef,
    target: &str,
    span: Span,
    depth: usize,
) -> Option<Expansion> {
    let (resource_type, name) = target.split_once('.')?;
    let referenced = evaluator.module.resource(resource_type, name)?;
    let instances = match expand_at(evaluator, referenced, depth + 1) {
        Expansion::Nothing => return Some(Expansion::Nothing),
        Expansion::Single { .. } => return None,
        Expansion::Each(instances) => instances,
    };
    let header = block.header();
    let mut out = Vec::with_capacity(instances.len());
    for instance in instances {
        let Key::Name(name) = &instance.key else {
            // A resource with `count` is a list, which `for_each` rejects.
            return None;
        };
        let key = Val::new(ValKind::String(name.clone()), span);
        let value = Val::new(
            ValKind::Link {
                target: format!("{target}{}", instance.key.suffix()).into(),
                attribute: "".into(),
            },
            span,
        );
        out.push(Instance {
            key: instance.key,
            bindings: Bindings::default().with("each", each(key, value, header)),
        });
    }
    Some(Expansion::Each(out))
}

/// A Known element of a set of strings (numbers and booleans convert), else `None`.
fn set_element(item: &Val) -> Option<Box<str>> {
    match &item.kind {
        ValKind::String(text) | ValKind::Number(text) => Some(text.clone()),
        ValKind::Bool(flag) => Some(flag.to_string().into()),
        _ => None,
    }
}

/// The meta-argument as written, to name it in messages: `count = var.n`.
fn written(evaluator: &Evaluator, name: &str, span: Span) -> Box<str> {
    format!("{name} = {}", evaluator.source(span).trim()).into()
}

fn unknown_count(header: Span) -> Bindings {
    let index = Val::unknown(UnknownReason::Reference("count.index".into()), header);
    Bindings::default().with("count", object(vec![("index", index, header)], header))
}

fn unknown_each(header: Span) -> Val {
    let key = Val::unknown(UnknownReason::Reference("each.key".into()), header);
    let value = Val::unknown(UnknownReason::Reference("each.value".into()), header);
    object(vec![("key", key, header), ("value", value, header)], header)
}

fn each(key: Val, value: Val, header: Span) -> Val {
    let (key_span, value_span) = (key.span, value.span);
    object(
        vec![("key", key, key_span), ("value", value, value_span)],
        header,
    )
}

fn object(fields: Vec<(&str, Val, Span)>, span: Span) -> Val {
    Val::new(
        ValKind::Object(
            fields
                .into_iter()
                .map(|(key, value, key_span)| Field {
                    key: key.into(),
                    key_span,
                    value,
                    is_block: false,
                })
                .collect(),
        ),
        span,
    )
}
