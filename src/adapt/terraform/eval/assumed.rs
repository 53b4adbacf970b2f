//! What an instance's existence tells about the conditions written in its body (RULES.md 2.4):
//! under `count = c ? 1 : 0` the instance exists only when `c` holds, so inside it `c ? a : b`
//! is `a` however the condition is spelled: `(c)`, `c == true` and `c != false` hold, `!c` and
//! `c == false` do not, and `a && b` holding means both `a` and `b` do (`a || b` failing, that
//! neither does). `x != y` is the opposite of `x == y`, and `x == "prod"` holding means `x`
//! equals no other literal. Conditions are compared by their text without the spaces outside
//! strings.

use hcl_edit::expr::{BinaryOperator, Expression, UnaryOperator};

/// Deeper conditions are compared as a whole only: the text was parsed once already, so this
/// bounds the work per condition rather than guarding the stack.
const MAX_CONDITION_DEPTH: usize = 32;

/// Conditions whose outcome the instance's existence fixes, by normalized text.
#[derive(Clone, Default)]
pub struct Assumed {
    facts: Vec<(String, bool)>,
    /// Operands known to equal a literal (`var.env == "prod"` holding), by normalized text, with
    /// that literal.
    equal_to: Vec<(String, Literal)>,
}

/// A string or number literal a condition compares with, by value and type (Terraform's `==`
/// compares both).
#[derive(Clone, Debug, PartialEq)]
enum Literal {
    String(String),
    Number(String),
}

impl Assumed {
    pub fn is_empty(&self) -> bool {
        self.facts.is_empty()
    }

    /// Records that `condition` (as written) has `outcome`, with the outcomes it implies.
    pub fn assume(&mut self, condition: &str, outcome: bool) {
        match condition.parse::<Expression>() {
            Ok(expr) => self.implied(&expr, condition, outcome, 0),
            Err(_) => self.facts.push((squeeze(condition), outcome)),
        }
    }

    /// The outcome of `condition` (as written) under what is assumed, when it follows from it.
    pub fn decide(&self, condition: &str) -> Option<bool> {
        if self.facts.is_empty() {
            return None;
        }
        match condition.parse::<Expression>() {
            Ok(expr) => self.outcome(&expr, condition, 0),
            Err(_) => self.fact(&squeeze(condition)),
        }
    }

    /// [`Assumed::decide`] for a condition already parsed from `text`, the file it is written in.
    pub fn decide_parsed(&self, condition: &Expression, text: &str) -> Option<bool> {
        if self.facts.is_empty() {
            return None;
        }
        self.outcome(condition, text, 0)
    }

    /// The outcome assumed for an expression written exactly so (`var.enabled` read as a value).
    pub fn fact(&self, normalized: &str) -> Option<bool> {
        self.facts
            .iter()
            .find(|(fact, _)| fact == normalized)
            .map(|(_, outcome)| *outcome)
    }

    fn implied(&mut self, expr: &Expression, text: &str, outcome: bool, depth: usize) {
        self.facts.push((squeeze(source(expr, text)), outcome));
        if depth >= MAX_CONDITION_DEPTH {
            return;
        }
        let depth = depth + 1;
        match expr {
            Expression::Parenthesis(inner) => self.implied(inner.inner(), text, outcome, depth),
            Expression::UnaryOp(op) if *op.operator.value() == UnaryOperator::Not => {
                self.implied(&op.expr, text, !outcome, depth);
            }
            Expression::BinaryOp(op) => match (*op.operator.value(), outcome) {
                (BinaryOperator::And, true) | (BinaryOperator::Or, false) => {
                    self.implied(&op.lhs_expr, text, outcome, depth);
                    self.implied(&op.rhs_expr, text, outcome, depth);
                }
                (operator, _) => {
                    if let Some((operand, holds)) = compared_to_bool(operator, op, outcome) {
                        self.implied(operand, text, holds, depth);
                    } else if let Some((operand, literal, true)) =
                        compared_to_literal(operator, op, outcome)
                    {
                        self.equal_to
                            .push((squeeze(source(operand, text)), literal));
                    }
                }
            },
            _ => {}
        }
    }

    fn outcome(&self, expr: &Expression, text: &str, depth: usize) -> Option<bool> {
        if let Some(outcome) = self.fact(&squeeze(source(expr, text))) {
            return Some(outcome);
        }
        if depth >= MAX_CONDITION_DEPTH {
            return None;
        }
        let depth = depth + 1;
        match expr {
            Expression::Parenthesis(inner) => self.outcome(inner.inner(), text, depth),
            Expression::UnaryOp(op) if *op.operator.value() == UnaryOperator::Not => {
                self.outcome(&op.expr, text, depth).map(|outcome| !outcome)
            }
            Expression::BinaryOp(op) => {
                let operator = *op.operator.value();
                let sides = || {
                    (
                        self.outcome(&op.lhs_expr, text, depth),
                        self.outcome(&op.rhs_expr, text, depth),
                    )
                };
                match operator {
                    BinaryOperator::And => match sides() {
                        (Some(false), _) | (_, Some(false)) => Some(false),
                        (Some(true), Some(true)) => Some(true),
                        _ => None,
                    },
                    BinaryOperator::Or => match sides() {
                        (Some(true), _) | (_, Some(true)) => Some(true),
                        (Some(false), Some(false)) => Some(false),
                        _ => None,
                    },
                    _ => {
                        // `x == true` has the outcome of `x`, `x == false` the opposite one.
                        if let Some((operand, same)) = compared_to_bool(operator, op, true) {
                            let outcome = self.outcome(operand, text, depth)?;
                            return Some(outcome == same);
                        }
                        self.comparison(operator, op, text)
                    }
                }
            }
            _ => None,
        }
    }

    /// A comparison decided by the opposite one (`x != y` when `x == y` is assumed, either side
    /// first) or by the literal its operand is known to equal.
    fn comparison(
        &self,
        operator: BinaryOperator,
        op: &hcl_edit::expr::BinaryOp,
        text: &str,
    ) -> Option<bool> {
        let (written, opposite) = match operator {
            BinaryOperator::Eq => ("==", "!="),
            BinaryOperator::NotEq => ("!=", "=="),
            _ => return None,
        };
        let lhs = squeeze(source(&op.lhs_expr, text));
        let rhs = squeeze(source(&op.rhs_expr, text));
        for (a, b) in [(&lhs, &rhs), (&rhs, &lhs)] {
            if let Some(outcome) = self.fact(&format!("{a}{written}{b}")) {
                return Some(outcome);
            }
            if let Some(outcome) = self.fact(&format!("{a}{opposite}{b}")) {
                return Some(!outcome);
            }
        }
        let (operand, literal, equal) = compared_to_literal(operator, op, true)?;
        let operand = squeeze(source(operand, text));
        let (_, known) = self.equal_to.iter().find(|(seen, _)| *seen == operand)?;
        Some((*known == literal) == equal)
    }
}

/// `x == "prod"` (or `"prod" == x`, `x != 1`...) with `outcome`: `x`, the literal, and whether
/// `x` then equals it; `None` for any other operation.
fn compared_to_literal(
    operator: BinaryOperator,
    op: &hcl_edit::expr::BinaryOp,
    outcome: bool,
) -> Option<(&Expression, Literal, bool)> {
    let equal = match operator {
        BinaryOperator::Eq => true,
        BinaryOperator::NotEq => false,
        _ => return None,
    };
    let literal = |expr: &Expression| match expr {
        Expression::String(text) => Some(Literal::String(text.value().to_string())),
        Expression::Number(number) => Some(Literal::Number(number.value().to_string())),
        _ => None,
    };
    let (operand, literal) = match (literal(&op.lhs_expr), literal(&op.rhs_expr)) {
        (None, Some(literal)) => (&op.lhs_expr, literal),
        (Some(literal), None) => (&op.rhs_expr, literal),
        _ => return None,
    };
    Some((operand, literal, outcome == equal))
}

/// `x == true` (or `true == x`, `x != false`...) with `outcome`: `x` and the outcome it must
/// have; `None` for any other operation.
fn compared_to_bool(
    operator: BinaryOperator,
    op: &hcl_edit::expr::BinaryOp,
    outcome: bool,
) -> Option<(&Expression, bool)> {
    let equal = match operator {
        BinaryOperator::Eq => true,
        BinaryOperator::NotEq => false,
        _ => return None,
    };
    let (operand, literal) = match (&op.lhs_expr, &op.rhs_expr) {
        (operand, Expression::Bool(literal)) | (Expression::Bool(literal), operand) => {
            (operand, *literal.value())
        }
        _ => return None,
    };
    // `x == b` holds iff `x` is `b`; `x != b` holds iff `x` is not `b`.
    Some((operand, (outcome == equal) == literal))
}

fn source<'t>(expr: &Expression, text: &'t str) -> &'t str {
    hcl_edit::Span::span(expr)
        .and_then(|range| text.get(range))
        .unwrap_or(text)
}

/// The text without the whitespace outside string literals: `var.a&&var.b` is `var.a && var.b`.
pub fn squeeze(text: &str) -> String {
    outside_strings(text, "")
}

/// The text with each run of whitespace outside string literals, line breaks included, as one
/// space: a condition written over several lines, as a message names it.
pub fn one_line(text: &str) -> String {
    outside_strings(text.trim(), " ")
}

/// The text with each run of whitespace outside string literals replaced by `space`, none just
/// inside brackets (`(\n  var.a\n)` is `(var.a)`).
fn outside_strings(text: &str, space: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut in_space = false;
    for c in text.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if c.is_whitespace() {
            in_space = true;
            continue;
        }
        let after_opening = out.ends_with(['(', '[', '{']);
        if in_space && !after_opening && !matches!(c, ')' | ']' | '}') {
            out.push_str(space);
        }
        in_space = false;
        in_string = c == '"';
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_condition_over_several_lines_is_named_on_one() {
        assert_eq!(
            one_line("(\n  var.env ==\n    \"prod  x\"\n)\t&& var.on "),
            "(var.env == \"prod  x\") && var.on"
        );
        assert_eq!(
            squeeze("var.a &&\n var.b == \"x y\""),
            "var.a&&var.b==\"x y\""
        );
    }

    fn assuming(condition: &str, outcome: bool) -> Assumed {
        let mut assumed = Assumed::default();
        assumed.assume(condition, outcome);
        assumed
    }

    #[test]
    fn spellings_of_one_condition_are_decided_alike() {
        let assumed = assuming("var.on", true);
        for holds in [
            "var.on",
            "(var.on)",
            "var.on == true",
            "true == var.on",
            "var.on != false",
            " var.on ",
        ] {
            assert_eq!(assumed.decide(holds), Some(true), "{holds}");
        }
        for fails in ["!var.on", "var.on == false", "var.on != true", "!(var.on)"] {
            assert_eq!(assumed.decide(fails), Some(false), "{fails}");
        }
        assert_eq!(assumed.decide("var.other"), None);
        assert_eq!(assumed.decide("var.on && var.other"), None);
        assert_eq!(assumed.decide("var.on || var.other"), Some(true));
    }

    #[test]
    fn what_a_condition_implies_is_assumed_too() {
        let both = assuming("var.a&&(var.b == true)", true);
        assert_eq!(both.decide("var.a"), Some(true));
        assert_eq!(both.decide("var.b"), Some(true));
        assert_eq!(both.decide("var.a && var.b"), Some(true));
        let negated = assuming("!var.a", true);
        assert_eq!(negated.decide("var.a"), Some(false));
        let neither = assuming("var.a || var.b", false);
        assert_eq!(neither.decide("var.b"), Some(false));
        // `a || b` holding says nothing of either side alone.
        let either = assuming("var.a || var.b", true);
        assert_eq!(either.decide("var.a"), None);
    }

    #[test]
    fn a_comparison_decides_its_opposite_and_other_literals() {
        let prod = assuming(r#"var.env == "prod""#, true);
        assert_eq!(prod.decide(r#"var.env != "prod""#), Some(false));
        assert_eq!(prod.decide(r#""prod" != var.env"#), Some(false));
        assert_eq!(prod.decide(r#"var.env == "dev""#), Some(false));
        assert_eq!(prod.decide(r#"var.env != "dev""#), Some(true));
        assert_eq!(prod.decide(r#"var.other == "dev""#), None);
        let not_prod = assuming(r#"var.env != "prod""#, true);
        assert_eq!(not_prod.decide(r#"var.env == "prod""#), Some(false));
        // Not being "prod" says nothing of being "dev".
        assert_eq!(not_prod.decide(r#"var.env == "dev""#), None);
        let count = assuming("var.n == 2", true);
        assert_eq!(count.decide("var.n == 3"), Some(false));
        assert_eq!(count.decide(r#"var.n == "2""#), Some(false));
    }

    #[test]
    fn spaces_inside_strings_are_kept() {
        let assumed = assuming(r#"var.env == "a b""#, true);
        assert_eq!(assumed.decide(r#"var.env=="a b""#), Some(true));
        // Another literal: `var.env` is "a b", so not "ab".
        assert_eq!(assumed.decide(r#"var.env == "ab""#), Some(false));
    }
}
