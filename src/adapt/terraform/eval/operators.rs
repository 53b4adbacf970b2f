//! Operators and the literal test of the branch policy (RULES.md 2.4).

use hcl_edit::expr::{BinaryOperator, Expression};

use crate::adapt::val::{Val, ValKind, as_bool};
use crate::model::UnknownReason;
use crate::source::Span;

/// An expression made of literals and operators only: no variable or reference anywhere.
pub fn is_literal(expr: &Expression) -> bool {
    let mut stack = vec![expr];
    while let Some(expr) = stack.pop() {
        match expr {
            Expression::Null(_)
            | Expression::Bool(_)
            | Expression::Number(_)
            | Expression::String(_) => {}
            Expression::Array(array) => stack.extend(array.iter()),
            Expression::Object(object) => stack.extend(object.iter().map(|(_, v)| v.expr())),
            Expression::Parenthesis(inner) => stack.push(inner.inner()),
            Expression::UnaryOp(op) => stack.push(&op.expr),
            Expression::BinaryOp(op) => {
                stack.push(&op.lhs_expr);
                stack.push(&op.rhs_expr);
            }
            Expression::StringTemplate(template) => {
                if template.iter().any(|e| !e.is_literal()) {
                    return false;
                }
            }
            _ => return false,
        }
    }
    true
}

pub(super) fn unknown_from(value: &Val, span: Span, what: &'static str) -> Val {
    Val::unknown(
        value
            .unknown_reason()
            .unwrap_or(UnknownReason::Unsupported(what)),
        span,
    )
}

pub(super) fn binary(op: BinaryOperator, lhs: &Val, rhs: &Val, span: Span) -> Val {
    use BinaryOperator as B;
    let bool_of = |b: bool| Val::new(ValKind::Bool(b), span);
    let first_unknown = if lhs.unknown_reason().is_some() {
        lhs
    } else {
        rhs
    };
    match op {
        B::Eq | B::NotEq => match (lhs.scalar_text(), rhs.scalar_text()) {
            (Some(a), Some(b)) => bool_of((a == b) == (op == B::Eq)),
            _ => unknown_from(first_unknown, span, "a comparison"),
        },
        B::And | B::Or => match (as_bool(lhs), as_bool(rhs)) {
            (Some(a), Some(b)) => bool_of(if op == B::And { a && b } else { a || b }),
            (Some(false), None) | (None, Some(false)) if op == B::And => bool_of(false),
            (Some(true), None) | (None, Some(true)) if op == B::Or => bool_of(true),
            _ => unknown_from(
                if as_bool(lhs).is_none() { lhs } else { rhs },
                span,
                "a boolean operator",
            ),
        },
        _ => unknown_from(first_unknown, span, "an arithmetic or comparison operator"),
    }
}
