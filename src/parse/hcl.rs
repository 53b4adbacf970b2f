//! Terraform HCL through hcl-edit, which keeps a byte span on every node.

use hcl_edit::structure::Body;

use super::{Comment, ParseError};
use crate::source::{FileId, Span};
use crate::text::next_char_end;

/// Parses one `.tf`/`.tfvars` file. hcl-edit limits nesting itself (64 levels) and stops at the
/// first error; a panic inside it is caught by the engine.
pub fn parse_hcl(text: &str, file: FileId) -> Result<Body, ParseError> {
    parse_hcl_keeping_last(text, file).map(|(body, _)| body)
}

/// Like [`parse_hcl`], with the keys an object constructor repeats. Terraform keeps the last of
/// two equal keys in `{ port = 80, port = 443 }` (HCL's `ObjectConsExpr`); hcl-edit rejects the
/// second. The first is renamed in a copy of the text (same length, so every span holds), the
/// copy parsed, and the renamed entry removed from the tree.
pub fn parse_hcl_keeping_last(
    text: &str,
    file: FileId,
) -> Result<(Body, Vec<ParseError>), ParseError> {
    let mut source = std::borrow::Cow::Borrowed(text);
    let mut duplicates = Vec::new();
    let mut renamed = Vec::new();
    let mut parses = 1;
    let mut attempt = hcl_edit::parser::parse_body(text);
    loop {
        let error = match attempt {
            Ok(mut body) => {
                if !renamed.is_empty() {
                    hcl_edit::visit_mut::VisitMut::visit_body_mut(
                        &mut DropKeysAt(&renamed),
                        &mut body,
                    );
                }
                return Ok((body, duplicates));
            }
            Err(error) => error,
        };
        let at = error.location().offset().min(source.len());
        let earlier = match repeated_key(&error) {
            true if parses < MAX_PARSES => earlier_key(&source, at, &mut parses),
            _ => None,
        };
        let Some((first, candidate, next)) = earlier else {
            return Err(located(&error, text, file));
        };
        let key_end = first + key_len(&source, first);
        let line = source
            .get(..first)
            .map_or(1, |p| p.matches('\n').count() + 1);
        let key = source
            .get(first..key_end)
            .unwrap_or("")
            .trim_matches('"')
            .to_string();
        duplicates.push(ParseError {
            message: format!("duplicate key `{key}` (first defined on line {line})"),
            span: Span::new(file, at, at + key_len(&source, at)),
        });
        renamed.push(first);
        source = std::borrow::Cow::Owned(candidate);
        attempt = next;
    }
}

/// Parses a file with repeated object keys may take: each repeat costs at least one more.
const MAX_PARSES: usize = 16;

fn repeated_key(error: &hcl_edit::parser::Error) -> bool {
    error.message().contains("redefined object key")
}

/// A parse of a candidate text.
type AttemptResult = Result<Body, hcl_edit::parser::Error>;

/// The earlier key that the key at `at` repeats, with the text where it is renamed and that
/// text's parse: the nearest earlier occurrence whose renaming lets parsing go past `at`.
fn earlier_key(
    text: &str,
    at: usize,
    parses: &mut usize,
) -> Option<(usize, String, AttemptResult)> {
    let len = key_len(text, at);
    let key = text.get(at..at + len).filter(|key| !key.is_empty())?;
    let mut search_end = at;
    while let Some(first) = text.get(..search_end).and_then(|before| before.rfind(key)) {
        search_end = first;
        let whole_token = key_len(text, first) == len
            && !text[..first]
                .ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !whole_token {
            continue;
        }
        let candidate = renamed_at(text, first, key)?;
        *parses += 1;
        if *parses > MAX_PARSES {
            return None;
        }
        let parsed = hcl_edit::parser::parse_body(&candidate);
        let past = parsed
            .as_ref()
            .map_or_else(|error| error.location().offset() > at, |_| true);
        if past {
            return Some((first, candidate, parsed));
        }
    }
    None
}

/// The length of the key token at `at`: an identifier, or a quoted string without escapes.
fn key_len(text: &str, at: usize) -> usize {
    let Some(rest) = text.get(at..) else { return 0 };
    if let Some(quoted) = rest.strip_prefix('"') {
        return match quoted.find(['"', '\\', '\n', '$', '%']) {
            Some(end) if quoted[end..].starts_with('"') => end + 2,
            _ => 0,
        };
    }
    rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len())
}

/// `text` with the key at `at` replaced by another of the same length.
fn renamed_at(text: &str, at: usize, key: &str) -> Option<String> {
    // Replace the first character of the name (inside the quotes for a quoted key).
    let name_at = at + usize::from(key.starts_with('"'));
    let current = text.get(name_at..)?.chars().next()?;
    // The new name must occur nowhere in the text: a key repeated three times would otherwise
    // have its first two renamed to the same name, which hcl-edit rejects again.
    let rest = text.get(name_at + current.len_utf8()..name_at + key.trim_matches('"').len())?;
    let replacement = ('a'..='z')
        .chain('A'..='Z')
        .filter(|&c| c != current)
        .find(|&c| !text.contains(&format!("{c}{rest}")))?;
    let mut out = String::with_capacity(text.len());
    out.push_str(text.get(..name_at)?);
    out.push(replacement);
    out.push_str(text.get(name_at + current.len_utf8()..)?);
    Some(out)
}

/// Removes the object entries whose key starts at one of the offsets.
struct DropKeysAt<'a>(&'a [usize]);

impl hcl_edit::visit_mut::VisitMut for DropKeysAt<'_> {
    fn visit_object_mut(&mut self, object: &mut hcl_edit::expr::Object) {
        use hcl_edit::Span as _;
        let drop: Vec<hcl_edit::expr::ObjectKey> = object
            .iter()
            .filter(|(key, _)| key.span().is_some_and(|span| self.0.contains(&span.start)))
            .map(|(key, _)| key.clone())
            .collect();
        for key in drop {
            object.remove(&key);
        }
        hcl_edit::visit_mut::visit_object_mut(self, object);
    }
}

fn located(error: &hcl_edit::parser::Error, text: &str, file: FileId) -> ParseError {
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

    #[test]
    fn a_repeated_object_key_keeps_the_last_value_and_is_reported() {
        let text = "locals {\n  x = {\n    port = 80\n    \"a\" = 1\n    port = 443\n    \"a\" = 2\n  }\n}\n";
        let (body, duplicates) = parse_hcl_keeping_last(text, FileId(0)).expect("parses");
        let messages: Vec<&str> = duplicates.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "duplicate key `port` (first defined on line 3)",
                "duplicate key `a` (first defined on line 4)"
            ]
        );
        assert_eq!(&text[duplicates[0].span.range()], "port");
        let locals = body.get_blocks("locals").next().expect("locals");
        let hcl_edit::expr::Expression::Object(object) =
            &locals.body.get_attribute("x").expect("x").value
        else {
            panic!("an object");
        };
        use hcl_edit::Span as _;
        let entries: Vec<&str> = object
            .iter()
            .filter_map(|(key, value)| {
                let (key, value) = (key.span()?, value.expr().span()?);
                text.get(key.start..value.end)
            })
            .collect();
        assert_eq!(entries, ["port = 443", "\"a\" = 2"]);
        // Three repeats: two warnings, the third value kept.
        let text = "x = { port = 1, port = 2, port = 3 }\n";
        let (body, duplicates) = parse_hcl_keeping_last(text, FileId(0)).expect("parses");
        assert_eq!(duplicates.len(), 2);
        let hcl_edit::expr::Expression::Object(object) = &body.get_attribute("x").expect("x").value
        else {
            panic!("an object");
        };
        let values: Vec<&str> = object
            .iter()
            .filter_map(|(_, value)| text.get(value.expr().span()?))
            .collect();
        assert_eq!(values, ["3"]);
        // A repeated attribute is still an error, as in Terraform.
        assert!(parse_hcl("a = 1\na = 2\n", FileId(0)).is_err());
    }

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
