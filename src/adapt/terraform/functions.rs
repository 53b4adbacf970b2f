//! The pure Terraform functions real configurations use inside security-relevant values.
//! Any other function is unknown, never an error.

use crate::adapt::cloudformation::intrinsics::template_val;
use crate::adapt::val::{Segment, Val, ValKind, as_integer};
use crate::model::UnknownReason;
use crate::source::Span;

/// Why a call Terraform fails to evaluate (`jsondecode` of a list or of text that is not JSON)
/// has no value; `try` skips it.
const REJECTED: &str = "a call Terraform rejects";

/// `apply` to a value or, for a conditional, to each branch in its place: the conditional of the
/// results, located where the condition was written (a caller's names its own variables).
/// `length(var.on ? ["a"] : [])` is `var.on ? 1 : 0`, so a count over it makes no instance
/// unless `var.on` holds (RULES.md 2.4).
fn per_branch(value: Val, apply: &dyn Fn(Val) -> Val) -> Val {
    match value.kind {
        ValKind::Conditional {
            condition,
            when_true,
            when_false,
        } => Val {
            kind: ValKind::Conditional {
                condition,
                when_true: Box::new(per_branch(*when_true, apply)),
                when_false: Box::new(per_branch(*when_false, apply)),
            },
            span: value.span,
            defined_at: value.defined_at,
        },
        _ => apply(value),
    }
}

/// `length()` of a list whose elements are all known, of an object, or of a string.
fn length(value: Val, span: Span, unknown: &dyn Fn() -> Val) -> Val {
    match value.kind {
        // An unknown item may stand for a whole list (`concat(var.extra, [...])`) and a link
        // for a splat's instances: no count then.
        ValKind::List(items)
            if !items
                .iter()
                .any(|item| matches!(item.kind, ValKind::Unknown(_) | ValKind::Link { .. })) =>
        {
            Val::new(ValKind::Number(items.len().to_string().into()), span)
        }
        ValKind::Object(fields) => Val::new(ValKind::Number(fields.len().to_string().into()), span),
        // Terraform counts a string's characters (`count = length(var.name)` with `""`: none).
        ValKind::String(text) => Val::new(
            ValKind::Number(text.chars().count().to_string().into()),
            span,
        ),
        _ => unknown(),
    }
}

/// `split(separator, text)` of known text.
fn split(separator: &str, text: Val, span: Span, unknown: &dyn Fn() -> Val) -> Val {
    match text.kind {
        ValKind::String(whole) => {
            // A text without the separator is its one piece, located where it was written.
            let piece_span = match whole.contains(separator) {
                true => span,
                false => text.span,
            };
            let items = whole
                .split(separator)
                .map(|piece| Val {
                    defined_at: text.defined_at,
                    ..Val::new(ValKind::String(piece.into()), piece_span)
                })
                .collect();
            Val::new(ValKind::List(items), span)
        }
        _ => unknown(),
    }
}

pub fn call(name: &str, args: Vec<Val>, span: Span) -> Val {
    let unknown = || Val::unknown(UnknownReason::Function(name.into()), span);
    // An unknown argument makes the result unknown, except where a function picks among them.
    if !matches!(
        name,
        "try" | "coalesce" | "concat" | "merge" | "flatten" | "tolist" | "toset" | "jsonencode"
    ) && let Some(reason) = args.iter().find_map(Val::unknown_reason)
    {
        return Val::unknown(reason, span);
    }
    let mut args = args.into_iter();
    match name {
        "jsonencode" | "tolist" | "toset" | "tomap" | "tostring" | "tonumber" | "tobool"
        | "sensitive" | "nonsensitive" => args.next().map_or_else(unknown, |v| Val { span, ..v }),
        "concat" => {
            let mut items = Vec::new();
            for arg in args {
                match arg.kind {
                    ValKind::List(inner) => items.extend(inner),
                    _ => items.push(unknown_of(&arg, arg.span)),
                }
            }
            Val::new(ValKind::List(items), span)
        }
        "flatten" => {
            let mut items = Vec::new();
            let mut pending: Vec<Val> = args.rev().collect();
            while let Some(arg) = pending.pop() {
                match arg.kind {
                    ValKind::List(inner) => pending.extend(inner.into_iter().rev()),
                    _ => items.push(arg),
                }
            }
            Val::new(ValKind::List(items), span)
        }
        "merge" => {
            let mut fields: Vec<crate::adapt::val::Field> = Vec::new();
            for arg in args {
                match arg.kind {
                    ValKind::Object(more) => {
                        for field in more {
                            fields.retain(|f| f.key != field.key);
                            fields.push(field);
                        }
                    }
                    _ => return unknown(),
                }
            }
            Val::new(ValKind::Object(fields), span)
        }
        "lookup" => {
            let (Some(map), Some(key)) = (args.next(), args.next()) else {
                return unknown();
            };
            let default = args.next();
            match key.scalar_text().and_then(|k| map.get(&k).cloned()) {
                Some(found) => found,
                None => default.unwrap_or_else(unknown),
            }
        }
        // `one(aws_s3_bucket.b[*].id)`: null for no element, the element for one.
        "one" => match args.next().map(|list| list.kind) {
            Some(ValKind::List(items)) if items.is_empty() => Val::new(ValKind::Null, span),
            Some(ValKind::List(mut items)) if items.len() == 1 => match items.pop() {
                Some(item) => Val { span, ..item },
                None => unknown(),
            },
            _ => unknown(),
        },
        // `count = length(var.ports)`.
        "length" => args.next().map_or_else(unknown, |value| {
            per_branch(value, &|value| length(value, span, &unknown))
        }),
        "element" => {
            let (Some(list), Some(index)) = (args.next(), args.next()) else {
                return unknown();
            };
            match (&list.kind, as_integer(&index)) {
                (ValKind::List(items), Some(i)) if !items.is_empty() => {
                    let at = usize::try_from(i.rem_euclid(items.len() as i64)).unwrap_or(0);
                    items.get(at).cloned().unwrap_or_else(unknown)
                }
                _ => unknown(),
            }
        }
        "jsondecode" => match args.next() {
            Some(Val {
                kind: ValKind::String(text),
                ..
            }) => {
                let map = crate::adapt::embedded::OffsetMap::Whole(span);
                let parsed = crate::adapt::embedded::parse_mapped_json(&text, span.file, &map);
                match parsed.root {
                    Some(root) if parsed.errors.is_empty() => Val {
                        span,
                        ..crate::adapt::val::from_node(&root)
                    },
                    _ => Val::unknown(UnknownReason::Unsupported(REJECTED), span),
                }
            }
            _ => Val::unknown(UnknownReason::Unsupported(REJECTED), span),
        },
        "coalesce" | "try" => {
            for arg in args {
                // An argument Terraform fails to evaluate (a rejected call, an attribute the
                // value lacks): `try` moves on to the next one.
                if name == "try"
                    && arg.unknown_reason().is_some_and(|reason| {
                        reason == UnknownReason::Unsupported(REJECTED)
                            || reason == super::eval::MISSING_PART
                    })
                {
                    continue;
                }
                if arg.unknown_reason().is_some() {
                    return unknown_of(&arg, span);
                }
                // `coalesce` skips null and empty strings; `try` returns a null it evaluated.
                let empty = name == "coalesce"
                    && (matches!(&arg.kind, ValKind::Null)
                        || matches!(&arg.kind, ValKind::String(s) if s.is_empty()));
                if !empty {
                    return arg;
                }
            }
            unknown()
        }
        // `split(",", var.cidrs)`: the pieces as a list of strings.
        "split" => match (args.next().and_then(|a| a.scalar_text()), args.next()) {
            (Some(separator), Some(text)) if !separator.is_empty() => {
                per_branch(text, &|text| split(&separator, text, span, &unknown))
            }
            _ => unknown(),
        },
        "lower" | "upper" => match args.next().and_then(|a| a.scalar_text()) {
            Some(text) => {
                let text = if name == "lower" {
                    text.to_lowercase()
                } else {
                    text.to_uppercase()
                };
                Val::new(ValKind::String(text.into()), span)
            }
            None => unknown(),
        },
        "join" => {
            let (Some(separator), Some(list)) =
                (args.next().and_then(|a| a.scalar_text()), args.next())
            else {
                return unknown();
            };
            let ValKind::List(items) = &list.kind else {
                return unknown();
            };
            // `join("", aws_s3_bucket.b[*].id)`: the one instance's id, still a link to it.
            if let [
                item @ Val {
                    kind: ValKind::Link { .. },
                    ..
                },
            ] = items.as_slice()
            {
                return Val {
                    span,
                    ..item.clone()
                };
            }
            let mut parts = Vec::new();
            for item in items {
                match item.scalar_text() {
                    Some(text) => parts.push(text),
                    None => return unknown_of(item, span),
                }
            }
            Val::new(ValKind::String(parts.join(&separator).into()), span)
        }
        "format" => {
            let Some(format) = args.next().and_then(|a| a.scalar_text()) else {
                return unknown();
            };
            let mut values = args;
            let mut segments = Vec::new();
            let mut chars = format.chars().peekable();
            let mut text = String::new();
            while let Some(c) = chars.next() {
                if c != '%' {
                    text.push(c);
                    continue;
                }
                match chars.next() {
                    Some('%') => text.push('%'),
                    Some(verb @ ('s' | 'd' | 'v' | 'q' | 't')) => {
                        match values.next().and_then(|v| v.scalar_text()) {
                            // `%q` writes the value as a quoted string literal.
                            Some(value) if verb == 'q' => {
                                text.push_str(&serde_json::Value::String(value).to_string())
                            }
                            Some(value) => text.push_str(&value),
                            None => {
                                segments.push(Segment::Text(std::mem::take(&mut text).into()));
                                segments
                                    .push(Segment::Unknown(UnknownReason::Function(name.into())));
                            }
                        }
                    }
                    _ => return unknown(),
                }
            }
            segments.push(Segment::Text(text.into()));
            segments.retain(|s| !matches!(s, Segment::Text(t) if t.is_empty()));
            template_val(segments, span)
        }
        _ => unknown(),
    }
}

fn unknown_of(value: &Val, span: Span) -> Val {
    Val::unknown(
        value
            .unknown_reason()
            .unwrap_or(UnknownReason::Unsupported("a value")),
        span,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn text(value: &str) -> Val {
        Val::new(ValKind::String(value.into()), Span::new(FileId(0), 0, 1))
    }

    #[test]
    fn split_cuts_known_text_at_every_separator() {
        let span = Span::new(FileId(0), 0, 1);
        let out = call("split", vec![text(","), text("10.0.0.0/8,0.0.0.0/0")], span);
        let ValKind::List(items) = out.kind else {
            panic!("a list")
        };
        let pieces: Vec<_> = items.iter().filter_map(Val::scalar_text).collect();
        assert_eq!(pieces, ["10.0.0.0/8", "0.0.0.0/0"]);
        let unknown = Val::unknown(UnknownReason::Reference("var.cidrs".into()), span);
        let out = call("split", vec![text(","), unknown], span);
        assert!(matches!(out.kind, ValKind::Unknown(_)));
    }

    #[test]
    fn format_substitutes_and_quotes() {
        let span = Span::new(FileId(0), 0, 1);
        let out = call("format", vec![text("%s:%q"), text("s3"), text("*")], span);
        assert_eq!(out.kind, ValKind::String("s3:\"*\"".into()));
        let padded = call("format", vec![text("%09d"), text("1")], span);
        assert!(matches!(padded.kind, ValKind::Unknown(_)));
    }

    #[test]
    fn length_counts_known_elements_only() {
        let span = Span::new(FileId(0), 0, 1);
        let list = |items| Val::new(ValKind::List(items), span);
        let two = call("length", vec![list(vec![text("80"), text("443")])], span);
        assert_eq!(two.kind, ValKind::Number("2".into()));
        let none = call("length", vec![list(Vec::new())], span);
        let characters = call("length", vec![text("héllo")], span);
        assert_eq!(characters.kind, ValKind::Number("5".into()));
        assert_eq!(none.kind, ValKind::Number("0".into()));
        // `concat(var.extra, ["22"])`: the unknown item may be any number of elements.
        let extra = Val::unknown(UnknownReason::Reference("var.extra".into()), span);
        let partial = call("length", vec![list(vec![extra, text("22")])], span);
        assert!(matches!(partial.kind, ValKind::Unknown(_)));
        let chosen = Val::new(
            ValKind::Conditional {
                condition: "var.on".into(),
                when_true: Box::new(list(vec![text("a")])),
                when_false: Box::new(list(Vec::new())),
            },
            span,
        );
        let ValKind::Conditional {
            when_true,
            when_false,
            ..
        } = call("length", vec![chosen], span).kind
        else {
            panic!("the length of each branch");
        };
        assert_eq!(when_true.kind, ValKind::Number("1".into()));
        assert_eq!(when_false.kind, ValKind::Number("0".into()));
    }
}
