//! JSON written in a Terraform string or heredoc (RULES.md 2.6): parsed with spans mapped back
//! into the `.tf` file. An interpolation inside a JSON string makes that string a template; one
//! outside strings becomes an unknown value; a template directive makes the document unknown.

use hcl_edit::Span as _;
use hcl_edit::expr::Expression;
use hcl_edit::template::{Element, Template};

use super::eval::{Bindings, Evaluator};
use crate::adapt::embedded::{
    JsonStrings, Marks, OffsetMap, UNKNOWN_MARK_STR, next_significant, node_offsets, policy_json,
};
use crate::adapt::val::Val;
use crate::model::UnknownReason;
use crate::source::{FileId, Span};

/// The JSON document in a string expression, or `None` when `expr` is not a string literal,
/// template or heredoc.
pub fn document(
    expr: &Expression,
    file: FileId,
    text: &str,
    evaluator: &Evaluator,
) -> Option<Result<Val, UnknownReason>> {
    let literal = super::eval::span_of_expr(file, expr);
    let built = match expr {
        Expression::String(string) => {
            let decoded = string.value().as_str();
            let raw = text.get(literal.range()).unwrap_or("");
            Ok((
                decoded.to_string(),
                OffsetMap::align(decoded, raw, literal.start, literal),
                Marks::default(),
            ))
        }
        Expression::StringTemplate(template) => build(template, file, text, literal, evaluator),
        Expression::HeredocTemplate(heredoc) => {
            build(&heredoc.template, file, text, literal, evaluator)
        }
        _ => return None,
    };
    Some(
        built
            .and_then(|(json, map, marks)| policy_json(&json, file, &map, |root| marks.read(root))),
    )
}

/// The JSON text of a template with a byte-by-byte map into the host file.
fn build(
    template: &Template,
    file: FileId,
    host: &str,
    literal: Span,
    evaluator: &Evaluator,
) -> Result<(String, OffsetMap, Marks), UnknownReason> {
    let mut json = String::new();
    let mut table: Vec<u32> = Vec::new();
    let mut scanner = JsonStrings::default();
    let mut marks = Marks::default();
    let mut end = literal.start;
    let mut elements = template.iter().peekable();
    while let Some(element) = elements.next() {
        match element {
            Element::Literal(text) => {
                let decoded = text.value().as_str();
                let Some(range) = text.span() else {
                    return Ok(whole(template, literal));
                };
                let raw = host.get(range.clone()).unwrap_or("");
                let here = Span::new(file, range.start, range.end);
                match OffsetMap::align(decoded, raw, range.start as u32, here) {
                    OffsetMap::Shift(base) => {
                        table.extend((0..decoded.len() as u32).map(|i| base + i))
                    }
                    OffsetMap::Table(mut mapped) => {
                        mapped.pop();
                        table.extend(mapped);
                    }
                    OffsetMap::Whole(_) => return Ok(whole(template, literal)),
                }
                json.push_str(decoded);
                scanner.feed(decoded);
                end = range.end as u32;
            }
            Element::Interpolation(interpolation) => {
                let range = interpolation.span().unwrap_or(0..0);
                let value = evaluator.eval(&interpolation.expr, file, &Bindings::default());
                let (from, to) = (range.start as u32, range.end as u32);
                let mut mark = || {
                    let reason = value.unknown_reason().unwrap_or(UnknownReason::Unsupported(
                        "an interpolated value outside a JSON string",
                    ));
                    marks.mark(reason)
                };
                let inserted = match (scanner.in_string, value.scalar_text()) {
                    (true, Some(text)) => escape_json(&text),
                    (true, None) => mark(),
                    (false, _) => {
                        let next = match elements.peek() {
                            Some(Element::Literal(text)) => next_significant(text.value()),
                            _ => None,
                        };
                        scanner.unknown_node(&mark(), next)
                    }
                };
                match scanner.in_string {
                    true => table.extend(std::iter::repeat_n(from, inserted.len())),
                    false => table.extend(node_offsets(&inserted, from, to)),
                }
                scanner.feed(&inserted);
                json.push_str(&inserted);
                end = to;
            }
            Element::Directive(_) => {
                return Err(UnknownReason::Unsupported("a template directive"));
            }
        }
    }
    table.push(end);
    Ok((json, OffsetMap::Table(table), marks))
}

/// The template's literal text, every span at the literal (escapes prevent exact mapping).
fn whole(template: &Template, literal: Span) -> (String, OffsetMap, Marks) {
    let mut json = String::new();
    let mut scanner = JsonStrings::default();
    let mut elements = template.iter().peekable();
    while let Some(element) = elements.next() {
        let inserted = match element {
            Element::Literal(text) => text.value().to_string(),
            Element::Interpolation(_) | Element::Directive(_) if scanner.in_string => {
                UNKNOWN_MARK_STR.to_string()
            }
            Element::Interpolation(_) | Element::Directive(_) => {
                let next = match elements.peek() {
                    Some(Element::Literal(text)) => next_significant(text.value()),
                    _ => None,
                };
                scanner.unknown_node(UNKNOWN_MARK_STR, next)
            }
        };
        scanner.feed(&inserted);
        json.push_str(&inserted);
    }
    (json, OffsetMap::Whole(literal), Marks::default())
}

fn escape_json(text: &str) -> String {
    let quoted = serde_json::to_string(text).unwrap_or_default();
    quoted
        .get(1..quoted.len().saturating_sub(1))
        .unwrap_or("")
        .to_string()
}
