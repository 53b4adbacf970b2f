//! Strict JSON through jsonc-parser (every JSON5 extension off), into the located tree.

use std::collections::HashMap;

use jsonc_parser::ast::Value as Json;
use jsonc_parser::common::Ranged;
use jsonc_parser::{CollectOptions, ParseOptions};

use crate::parse::limits::{MAX_NESTING, json_nesting_exceeds};
use crate::parse::node::{Entry, Node, NodeKind, ParseError, Parsed};
use crate::source::{FileId, Span};

/// Parses `text`, which starts at byte `base` of `file` (non-zero for JSON embedded in a string).
pub fn parse_json(text: &str, file: FileId, base: u32) -> Parsed {
    let at = Located { file, base };
    let mut parsed = Parsed::default();
    // jsonc-parser and the conversion below recurse; the pre-scan keeps hostile nesting off the
    // stack (jsonc's own cap of 512 is too deep for a 2 MiB worker thread in debug builds).
    if let Some(offset) = json_nesting_exceeds(text, MAX_NESTING) {
        parsed.errors.push(ParseError {
            message: format!("nesting too deep (more than {MAX_NESTING} levels)"),
            span: at.span(offset, offset + 1),
        });
        return parsed;
    }
    // The defaults are JSON5-permissive; CloudFormation and IAM read strict JSON only.
    let strict = ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    match jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &strict) {
        Ok(result) => {
            parsed.root = result
                .value
                .as_ref()
                .map(|value| convert(value, at, text, &mut parsed.errors));
        }
        Err(error) => {
            let range = error.range();
            // An empty range (e.g. at a premature end) would be invisible in reports.
            let end = if range.end > range.start {
                range.end
            } else {
                next_char_end(text, range.start)
            };
            parsed.errors.push(ParseError {
                message: format!("invalid JSON: {}", error.kind()),
                span: at.span(range.start, end),
            });
        }
    }
    parsed
}

#[derive(Clone, Copy)]
struct Located {
    file: FileId,
    base: u32,
}

impl Located {
    fn span(self, start: usize, end: usize) -> Span {
        let base = self.base as usize;
        Span::new(
            self.file,
            start.saturating_add(base),
            end.saturating_add(base),
        )
    }
}

fn next_char_end(text: &str, at: usize) -> usize {
    text.get(at..)
        .and_then(|rest| rest.chars().next())
        .map_or(at, |c| at + c.len_utf8())
}

fn line_of(text: &str, at: usize) -> usize {
    text.get(..at).map_or(1, |prefix| {
        prefix.bytes().filter(|&b| b == b'\n').count() + 1
    })
}

/// Recursion is bounded by the nesting pre-scan (at most `MAX_NESTING` frames).
fn convert(value: &Json, at: Located, text: &str, errors: &mut Vec<ParseError>) -> Node {
    let range = value.range();
    let kind = match value {
        Json::NullKeyword(_) => NodeKind::Null,
        Json::BooleanLit(flag) => NodeKind::Bool(flag.value),
        Json::NumberLit(number) => NodeKind::Number(number.value.into()),
        Json::StringLit(string) => NodeKind::String(string.value.as_ref().into()),
        Json::Array(array) => NodeKind::Seq(
            array
                .elements
                .iter()
                .map(|item| convert(item, at, text, errors))
                .collect(),
        ),
        Json::Object(object) => {
            let mut seen: HashMap<&str, usize> = HashMap::new();
            let mut entries = Vec::with_capacity(object.properties.len());
            for property in &object.properties {
                let key_range = property.name.range();
                let key_span = at.span(key_range.start, key_range.end);
                let name = property.name.as_str();
                // Both entries stay: rules see what a last-wins loader would, and the report
                // points at the shadowing key.
                if let Some(&first) = seen.get(name) {
                    let line = line_of(text, first);
                    errors.push(ParseError {
                        message: format!("duplicate key `{name}` (first defined on line {line})"),
                        span: key_span,
                    });
                } else {
                    seen.insert(name, key_range.start);
                }
                entries.push(Entry {
                    key: name.into(),
                    key_span,
                    value: convert(&property.value, at, text, errors),
                });
            }
            NodeKind::Map(entries)
        }
    };
    Node::new(at.span(range.start, range.end), kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str, base: u32) -> Node {
        let parsed = parse_json(text, FileId(3), base);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert!(parsed.comments.is_empty());
        parsed.root.expect("a value")
    }

    fn range(span: Span) -> (u32, u32) {
        (span.start, span.end)
    }

    #[test]
    fn keys_values_and_elements_have_exact_byte_spans() {
        // "é" and "😀" are 2 and 4 bytes: offsets after them must count bytes, not chars.
        let text = "{\"é😀\": null, \"Action\": [\"s3:Get\", 1.5e3, true], \"N\": {}}";
        let root = parse_ok(text, 0);
        assert_eq!(root.span.file, FileId(3));
        assert_eq!(range(root.span), (0, text.len() as u32));
        let first = &root.as_map().unwrap()[0];
        assert_eq!(&*first.key, "é😀");
        assert_eq!(range(first.key_span), (1, 9));
        assert_eq!(first.value.kind, NodeKind::Null);
        assert_eq!(&text[first.value.span.range()], "null");
        let action = root.entry("Action").unwrap();
        assert_eq!(range(action.key_span), (17, 25));
        assert_eq!(&text[action.key_span.range()], "\"Action\"");
        assert_eq!(
            &text[action.value.span.range()],
            "[\"s3:Get\", 1.5e3, true]"
        );
        let items = action.value.as_seq().unwrap();
        assert_eq!(range(items[0].span), (28, 36));
        assert_eq!(items[0].as_str(), Some("s3:Get"));
        assert_eq!(items[1].kind, NodeKind::Number("1.5e3".into()));
        assert_eq!(&text[items[1].span.range()], "1.5e3");
        assert_eq!(items[2].kind, NodeKind::Bool(true));
        assert_eq!(&text[items[2].span.range()], "true");
        assert_eq!(&text[root.get("N").unwrap().span.range()], "{}");
    }

    #[test]
    fn strings_are_decoded_and_numbers_kept_as_written() {
        let root = parse_ok(r#"["a\"b\u00e9", -0.10, 1E+2]"#, 0);
        let items = root.as_seq().unwrap();
        assert_eq!(items[0].as_str(), Some("a\"bé"));
        assert_eq!(items[1].kind, NodeKind::Number("-0.10".into()));
        assert_eq!(items[2].kind, NodeKind::Number("1E+2".into()));
    }

    #[test]
    fn base_shifts_every_span() {
        let text = "{\"a\": [true]}";
        let root = parse_ok(text, 100);
        let entry = root.entry("a").unwrap();
        assert_eq!(range(root.span), (100, 113));
        assert_eq!(range(entry.key_span), (101, 104));
        assert_eq!(range(entry.value.span), (106, 112));
        assert_eq!(range(entry.value.as_seq().unwrap()[0].span), (107, 111));
        let parsed = parse_json("[1,]", FileId(0), 50);
        assert_eq!(parsed.errors[0].span.start, 52);
    }

    #[test]
    fn duplicate_keys_are_reported_at_the_second_and_both_kept() {
        let text = "{\"Effect\": \"Allow\",\n \"Effect\": \"Deny\"}";
        let parsed = parse_json(text, FileId(0), 0);
        let root = parsed.root.expect("the tree is kept");
        let entries = root.as_map().unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].value.as_str(), Some("Allow"));
        assert_eq!(root.get("Effect").and_then(Node::as_str), Some("Deny"));
        assert_eq!(parsed.errors.len(), 1);
        assert!(
            parsed.errors[0]
                .message
                .starts_with("duplicate key `Effect`")
        );
        assert!(parsed.errors[0].message.contains("line 1"));
        assert_eq!(range(parsed.errors[0].span), (21, 29));
    }

    #[test]
    fn comments_and_trailing_commas_are_rejected() {
        let parsed = parse_json("{\"a\": 1 // c\n}", FileId(0), 0);
        assert!(parsed.root.is_none());
        assert_eq!(parsed.errors.len(), 1);
        assert_eq!(
            parsed.errors[0].message,
            "invalid JSON: Comments are not allowed"
        );
        assert_eq!(range(parsed.errors[0].span), (8, 12));
        let parsed = parse_json("{\"a\": [1, 2,]}", FileId(0), 0);
        assert!(parsed.root.is_none());
        assert!(
            parsed.errors[0].message.contains("Trailing commas"),
            "{:?}",
            parsed.errors
        );
        assert_eq!(parsed.errors[0].span.start, 11);
    }

    #[test]
    fn other_json5_extensions_are_rejected() {
        for text in [
            "{'a': 1}",
            "{a: 1}",
            "[0x1F]",
            "[+1]",
            "[.5]",
            "[NaN]",
            "[1 2]",
            "[\"\\x41\"]",
        ] {
            let parsed = parse_json(text, FileId(0), 0);
            assert!(parsed.root.is_none() && parsed.errors.len() == 1, "{text}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_without_overflow() {
        let text = "[".repeat(100_000);
        let parsed = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || parse_json(&text, FileId(0), 7))
            .unwrap()
            .join()
            .unwrap();
        assert!(parsed.root.is_none());
        assert_eq!(parsed.errors.len(), 1);
        assert!(parsed.errors[0].message.contains("nesting too deep"));
        assert_eq!(range(parsed.errors[0].span), (135, 136));
        let ok = format!("{}{}", "[".repeat(MAX_NESTING), "]".repeat(MAX_NESTING));
        assert!(parse_json(&ok, FileId(0), 0).root.is_some());
    }

    #[test]
    fn truncated_input_is_located() {
        let text = "{\"a\": [1, 2";
        let parsed = parse_json(text, FileId(0), 0);
        assert!(parsed.root.is_none());
        assert_eq!(parsed.errors.len(), 1);
        let error = &parsed.errors[0];
        assert!(error.message.starts_with("invalid JSON: "), "{error:?}");
        assert!(
            error.span.end as usize <= text.len() && error.span.start >= 6,
            "{error:?}"
        );
    }

    #[test]
    fn empty_input_has_no_root() {
        let parsed = parse_json("  ", FileId(0), 0);
        assert!(parsed.root.is_none());
    }
}
