//! Terraform HCL through hcl-edit, which keeps a byte span on every node.

use hcl_edit::structure::Body;

use super::{Comment, ParseError};
use crate::source::{FileId, Span};

/// Parses one `.tf`/`.tfvars` file. hcl-edit limits nesting itself (64 levels) and stops at the
/// first error; a panic inside it is caught by the engine.
pub fn parse_hcl(text: &str, file: FileId) -> Result<Body, ParseError> {
    hcl_edit::parser::parse_body(text).map_err(|error| {
        let at = error.location().offset().min(text.len());
        let end = next_char_end(text, at);
        let message = error.message().trim().to_string();
        let message = if message.is_empty() {
            "invalid HCL syntax".to_string()
        } else {
            format!("invalid HCL: {message}")
        };
        ParseError {
            message,
            span: Span::new(file, at, end),
        }
    })
}

fn next_char_end(text: &str, at: usize) -> usize {
    text.get(at..)
        .and_then(|rest| rest.chars().next())
        .map_or(at, |c| at + c.len_utf8())
}

/// Comments of an HCL file, from the decor (whitespace and comments) hcl-edit keeps around each
/// attribute and block; the decor has no span of its own, so it is located from its neighbour.
pub fn comments(body: &Body, file: FileId) -> Vec<Comment> {
    use hcl_edit::{Decorate, Span as _};
    let mut out = Vec::new();
    let mut bodies = vec![body];
    while let Some(body) = bodies.pop() {
        for structure in body.iter() {
            let (span, decor) = match structure {
                hcl_edit::structure::Structure::Attribute(attribute) => {
                    (attribute.span(), attribute.decor())
                }
                hcl_edit::structure::Structure::Block(block) => {
                    bodies.push(&block.body);
                    (block.span(), block.decor())
                }
            };
            let Some(span) = span else { continue };
            if let Some(prefix) = decor.prefix() {
                let start = span.start.saturating_sub(prefix.len());
                collect(prefix, start, file, &mut out);
            }
            if let Some(suffix) = decor.suffix() {
                collect(suffix, span.end, file, &mut out);
            }
        }
    }
    out.sort_by_key(|comment| comment.span);
    out.dedup();
    out
}

/// Comments inside a run of whitespace and comments starting at byte `base`.
fn collect(trivia: &str, base: usize, file: FileId, out: &mut Vec<Comment>) {
    let bytes = trivia.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        let rest = &bytes[at..];
        let (marker, line_comment) = if rest.starts_with(b"#") {
            (1, true)
        } else if rest.starts_with(b"//") {
            (2, true)
        } else if rest.starts_with(b"/*") {
            (2, false)
        } else {
            at += 1;
            continue;
        };
        let end = if line_comment {
            memchr::memchr(b'\n', rest).map_or(bytes.len(), |n| at + n)
        } else {
            memchr::memmem::find(rest, b"*/").map_or(bytes.len(), |n| at + n + 2)
        };
        let body_end = if line_comment {
            end
        } else {
            end.saturating_sub(2).max(at + marker)
        };
        let text = trivia.get(at + marker..body_end).unwrap_or("").trim();
        out.push(Comment {
            span: Span::new(file, base + at, base + end),
            text: text.into(),
        });
        at = end.max(at + 1);
    }
}

/// Parses a `.tfvars.json` file: its top-level JSON object (JSON is HCL expression syntax)
/// becomes one attribute per key, each value keeping its span in the file. Keys that are not
/// identifiers cannot name a variable and are dropped.
pub fn parse_tfvars_json(text: &str, file: FileId) -> Result<Body, ParseError> {
    use hcl_edit::expr::{Expression, ObjectKey};
    use hcl_edit::structure::Attribute;
    let not_object = || ParseError {
        message: "invalid variables file: expected a JSON object".to_string(),
        span: Span::new(file, 0, next_char_end(text, 0)),
    };
    // The expression parser takes no surrounding whitespace: the trailing one is trimmed, the
    // leading one becomes an opening parenthesis (closed at the end) so that spans still match.
    let body_text = text.trim_end();
    let leading = body_text.len()
        - body_text
            .trim_start_matches(|c: char| c.is_ascii_whitespace())
            .len();
    let wrapped = match leading {
        0 => body_text.to_string(),
        _ => format!("({}{})", " ".repeat(leading - 1), &body_text[leading..]),
    };
    let expression = hcl_edit::parser::parse_expr(&wrapped).map_err(|error| {
        let at = error.location().offset().min(text.len());
        ParseError {
            message: format!("invalid JSON: {}", error.message().trim()),
            span: Span::new(file, at, next_char_end(text, at)),
        }
    })?;
    let expression = match expression {
        Expression::Parenthesis(inner) if leading > 0 => inner.into_inner(),
        other => other,
    };
    let Expression::Object(object) = expression else {
        return Err(not_object());
    };
    let mut body = Body::new();
    for (key, value) in object {
        let name = match &key {
            ObjectKey::Expression(Expression::String(name)) => name.value().to_string(),
            ObjectKey::Ident(ident) => ident.value().to_string(),
            ObjectKey::Expression(_) => continue,
        };
        let Ok(ident) = hcl_edit::Ident::try_new(name) else {
            continue;
        };
        body.push(Attribute::new(ident, value.into_expr()));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_located() {
        let text = "resource \"a\" \"b\" {\n  x = [1, 2\n}\n";
        let error = parse_hcl(text, FileId(0)).unwrap_err();
        assert!(error.span.start as usize <= text.len());
        assert!(error.message.starts_with("invalid HCL"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = format!("x = {}1{}\n", "(".repeat(100_000), ")".repeat(100_000));
        let handle = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || parse_hcl(&text, FileId(0)).is_err())
            .unwrap();
        assert!(handle.join().unwrap());
    }

    #[test]
    fn comments_are_located_from_decor() {
        let text = "# top\nresource \"a\" \"b\" {\n  // inner\n  x = 1 # trailing\n}\n";
        let body = parse_hcl(text, FileId(0)).unwrap();
        let found = comments(&body, FileId(0));
        let texts: Vec<&str> = found.iter().map(|c| &*c.text).collect();
        assert_eq!(texts, ["top", "inner", "trailing"]);
        for comment in &found {
            let raw = &text[comment.span.range()];
            assert!(raw.starts_with('#') || raw.starts_with("//"), "{raw:?}");
        }
    }
}
