//! Strict JSON through jsonc-parser (every JSON5 extension off), into the located tree.

use jsonc_parser::ast::Value as Json;
use jsonc_parser::common::Ranged;

use super::limits::{MAX_NESTING, json_nesting_exceeds};
use super::node::{Entry, KeyIndex};
use super::{Node, NodeKind, ParseError, Parsed};
use crate::source::{FileId, Span};
use crate::text::next_char_end;

/// Parses `text`, which starts at byte `base` of file `file` (non-zero for JSON inside a string).
pub fn parse_json(text: &str, file: FileId, base: u32) -> Parsed {
    let span = |start: usize, end: usize| {
        let base = base as usize;
        Span::new(file, start + base, end.max(start) + base)
    };
    let mut parsed = Parsed::default();
    // jsonc-parser recurses; the pre-scan keeps hostile nesting off the stack.
    if let Some(at) = json_nesting_exceeds(text, MAX_NESTING) {
        parsed.errors.push(ParseError {
            message: format!("nesting too deep (more than {MAX_NESTING} levels)"),
            span: span(at, at + 1),
        });
        return parsed;
    }
    let options = jsonc_parser::ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_extended_string_escapes: false,
        allow_non_finite_numbers: false,
    };
    match jsonc_parser::parse_to_ast(text, &Default::default(), &options) {
        Ok(result) => {
            let mut converter = Converter {
                span: &span,
                text,
                duplicates: Vec::new(),
            };
            parsed.root = result.value.as_ref().map(|value| converter.node(value));
            parsed.duplicates = converter.duplicates;
        }
        Err(error) => {
            let range = error.range();
            let end = if range.end > range.start {
                range.end
            } else {
                next_char_end(text, range.start)
            };
            parsed.errors.push(ParseError {
                message: format!("invalid JSON: {}", error.kind()),
                span: span(range.start, end),
            });
        }
    }
    parsed
}

struct Converter<'a, F: Fn(usize, usize) -> Span> {
    span: &'a F,
    text: &'a str,
    duplicates: Vec<ParseError>,
}

impl<F: Fn(usize, usize) -> Span> Converter<'_, F> {
    /// Recursion is bounded by the nesting pre-scan.
    fn node(&mut self, value: &Json) -> Node {
        let range = value.range();
        let kind = match value {
            Json::NullKeyword(_) => NodeKind::Null,
            Json::BooleanLit(flag) => NodeKind::Bool(flag.value),
            Json::NumberLit(number) => NodeKind::Number(number.value.into()),
            Json::StringLit(string) => NodeKind::String(string.value.as_ref().into()),
            Json::Array(array) => {
                NodeKind::Seq(array.elements.iter().map(|item| self.node(item)).collect())
            }
            Json::Object(object) => {
                let mut keys = KeyIndex::default();
                let mut entries = Vec::with_capacity(object.properties.len());
                for property in &object.properties {
                    let key_range = property.name.range();
                    let key_span = (self.span)(key_range.start, key_range.end);
                    let name = property.name.as_str();
                    if keys.earlier(&entries, name, key_span).is_some() {
                        // Offsets in this JSON text (spans may be mapped into a host file).
                        let first = object
                            .properties
                            .iter()
                            .find(|earlier| earlier.name.as_str() == name)
                            .map_or(0, |earlier| earlier.name.range().start);
                        let line = self
                            .text
                            .get(..first)
                            .map_or(1, |p| p.matches('\n').count() + 1);
                        self.duplicates.push(ParseError {
                            message: format!(
                                "duplicate key `{name}` (first defined on line {line})"
                            ),
                            span: key_span,
                        });
                    }
                    entries.push(Entry {
                        key: name.into(),
                        key_span,
                        value: self.node(&property.value),
                    });
                }
                NodeKind::Map(entries)
            }
        };
        Node::new((self.span)(range.start, range.end), kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_values_and_elements_have_exact_spans() {
        let text = "{\"é\": 1, \"Action\": [\"s3:Get\", \"*\"]}";
        let root = parse_json(text, FileId(0), 0).root.unwrap();
        let entry = root.entry("Action").unwrap();
        assert_eq!(&text[entry.key_span.range()], "\"Action\"");
        assert_eq!(
            &text[entry.value.as_seq().unwrap()[1].span.range()],
            "\"*\""
        );
    }

    #[test]
    fn base_shifts_every_span() {
        let root = parse_json("{\"a\": true}", FileId(0), 10).root.unwrap();
        assert_eq!(root.entry("a").unwrap().key_span.start, 11);
    }

    #[test]
    fn duplicate_keys_are_reported_and_kept() {
        let parsed = parse_json(
            "{\"Effect\": \"Allow\",\n \"Effect\": \"Deny\"}",
            FileId(0),
            0,
        );
        assert_eq!(parsed.root.unwrap().as_map().unwrap().len(), 2);
        assert!(parsed.errors.is_empty());
        assert_eq!(parsed.duplicates.len(), 1);
        assert!(
            parsed.duplicates[0]
                .message
                .contains("first defined on line 1")
        );
    }

    #[test]
    fn json5_extensions_are_rejected() {
        for text in [
            "{\"a\": 1, // c\n}",
            "{\"a\": 1,}",
            "{'a': 1}",
            "{a: 1}",
            "[0x1F]",
        ] {
            let parsed = parse_json(text, FileId(0), 0);
            assert!(parsed.root.is_none() && !parsed.errors.is_empty(), "{text}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let text = "[".repeat(100_000);
        let parsed = parse_json(&text, FileId(0), 0);
        assert!(parsed.errors[0].message.contains("nesting too deep"));
    }

    #[test]
    fn truncated_input_is_located() {
        let parsed = parse_json("{\"a\": [1, 2", FileId(0), 0);
        assert!(parsed.root.is_none());
        assert!(parsed.errors[0].message.starts_with("invalid JSON"));
    }
}
