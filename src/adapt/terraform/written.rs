//! Unresolved expressions as written, for links by the very same expression (RULES.md 2.1):
//! `bucket = var.name` on a bucket and on its access block, `name = var.n` on a launch template
//! and in an instance's `launch_template` block.

use hcl_edit::Span as _;
use hcl_edit::expr::Expression;
use hcl_edit::template::Element;

use super::eval::Evaluator;
use crate::source::Span;
use crate::text::Text;

/// The expression at `span` as written, under the module instance's prefix, without the wrappers
/// that leave it unchanged: `"${var.name}"` and `(var.name)` are `var.name` in HCL.
pub fn written_expression(evaluator: &Evaluator, span: Span) -> Option<Text> {
    let written = evaluator.source(span).trim();
    let bare = match written.as_bytes().first() {
        // Only a wrapper is re-read; the text parsed inside a file that parsed already.
        Some(b'"' | b'(') => match written.parse::<Expression>() {
            Ok(expr) => unwrapped(&expr)
                .span()
                .and_then(|range| written.get(range))
                .unwrap_or(written),
            Err(_) => written,
        },
        _ => written,
    };
    (!bare.is_empty()).then(|| format!("{}{bare}", evaluator.prefix).into())
}

/// The expression a wrapper stands for, through any number of wrappers.
fn unwrapped(mut expr: &Expression) -> &Expression {
    loop {
        expr = match expr {
            Expression::Parenthesis(inner) => inner.inner(),
            Expression::StringTemplate(template) => match template.iter().collect::<Vec<_>>()[..] {
                [Element::Interpolation(interpolation)]
                    if !interpolation.strip.strip_start() && !interpolation.strip.strip_end() =>
                {
                    &interpolation.expr
                }
                _ => return expr,
            },
            _ => return expr,
        };
    }
}
