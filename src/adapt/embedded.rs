//! JSON written inside a string of another file (a policy in a Terraform heredoc, a CloudFormation
//! JSON string): parsed on its own, with spans mapped back into the host file.

use crate::adapt::val::{Segment, Val, ValKind, from_node_with};
use crate::model::UnknownReason;
use crate::parse::json::parse_json;
use crate::parse::{Node, NodeKind, Parsed};
use crate::source::{FileId, Span};

/// How offsets in the decoded text map to offsets in the host file.
#[derive(Clone, Debug, PartialEq)]
pub enum OffsetMap {
    /// Decoded byte `i` is host byte `base + i`.
    Shift(u32),
    /// Decoded byte `i` is host byte `table[i]`; `table[len]` is the end.
    Table(Vec<u32>),
    /// Escapes prevent exact mapping: everything points at the literal.
    Whole(Span),
}

impl OffsetMap {
    pub fn span(&self, file: FileId, start: u32, end: u32) -> Span {
        match self {
            OffsetMap::Shift(base) => Span {
                file,
                start: start + base,
                end: end + base,
            },
            OffsetMap::Table(table) => {
                let last = table.last().copied().unwrap_or(0);
                let at = |i: u32| table.get(i as usize).copied().unwrap_or(last);
                let start_at = at(start);
                Span {
                    file,
                    start: start_at,
                    end: at(end).max(start_at),
                }
            }
            OffsetMap::Whole(span) => *span,
        }
    }

    /// Maps `decoded` onto `raw` (which starts at host offset `raw_base`) when every decoded
    /// character appears in order in the raw text, skipping escape characters; otherwise `Whole`.
    pub fn align(decoded: &str, raw: &str, raw_base: u32, literal: Span) -> OffsetMap {
        if decoded == raw {
            return OffsetMap::Shift(raw_base);
        }
        let mut table = Vec::with_capacity(decoded.len() + 1);
        let mut raw_chars = raw.char_indices().peekable();
        for wanted in decoded.chars() {
            let searched_from = raw_chars.peek().map(|&(at, _)| at);
            let found = raw_chars.by_ref().find(|&(_, c)| c == wanted);
            let Some((mut at, _)) = found else {
                return OffsetMap::Whole(literal);
            };
            // An escaped character (`\"`) starts at its backslash.
            if let Some(from) = searched_from
                && at == from + 1
                && raw.as_bytes().get(from) == Some(&b'\\')
            {
                at = from;
            }
            let host = raw_base + at as u32;
            for offset in 0..wanted.len_utf8() as u32 {
                table.push(host + offset);
            }
        }
        let end = raw_chars
            .next()
            .map_or(raw.len(), |(at, _)| at)
            .min(raw.len());
        table.push(raw_base + end as u32);
        OffsetMap::Table(table)
    }
}

/// Parses JSON `text` and moves every span of the result through `map`.
pub fn parse_mapped_json(text: &str, file: FileId, map: &OffsetMap) -> Parsed {
    let mut parsed = parse_json(text, file, 0);
    if map == &OffsetMap::Shift(0) {
        return parsed;
    }
    for error in parsed.errors.iter_mut().chain(&mut parsed.duplicates) {
        error.span = map.span(file, error.span.start, error.span.end);
    }
    if let Some(root) = &mut parsed.root {
        remap(root, file, map);
    }
    parsed
}

fn remap(root: &mut Node, file: FileId, map: &OffsetMap) {
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        node.span = map.span(file, node.span.start, node.span.end);
        match &mut node.kind {
            NodeKind::Seq(items) => stack.extend(items.iter_mut()),
            NodeKind::Map(entries) => {
                for entry in entries.iter_mut() {
                    entry.key_span = map.span(file, entry.key_span.start, entry.key_span.end);
                    stack.push(&mut entry.value);
                }
            }
            NodeKind::Null | NodeKind::Bool(_) | NodeKind::Number(_) | NodeKind::String(_) => {}
        }
    }
}

/// Stands for an interpolation whose value is not known, inside the JSON text.
pub const UNKNOWN_MARK: char = '\u{E000}';

/// Tracks whether the JSON text seen so far ends inside a string.
#[derive(Default)]
pub struct JsonStrings {
    pub in_string: bool,
    escaped: bool,
}

impl JsonStrings {
    pub fn feed(&mut self, text: &str) {
        for byte in text.bytes() {
            if self.in_string {
                match byte {
                    _ if self.escaped => self.escaped = false,
                    b'\\' => self.escaped = true,
                    b'"' => self.in_string = false,
                    _ => {}
                }
            } else if byte == b'"' {
                self.in_string = true;
            }
        }
    }
}

/// Converts the parsed JSON, turning marked strings into unknowns and templates.
pub fn with_unknowns(node: &Node) -> Val {
    from_node_with(node, &|text| {
        if !text.contains(UNKNOWN_MARK) {
            return ValKind::String(text.into());
        }
        let reason = || UnknownReason::Unsupported("an interpolated value");
        if text.chars().all(|c| c == UNKNOWN_MARK) {
            return ValKind::Unknown(reason());
        }
        let mut segments = Vec::new();
        for (at, part) in text.split(UNKNOWN_MARK).enumerate() {
            if at > 0 {
                segments.push(Segment::Unknown(reason()));
            }
            if !part.is_empty() {
                segments.push(Segment::Text(part.into()));
            }
        }
        ValKind::Template(segments)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_escapes_map_to_the_characters_they_decode_to() {
        let host = r#"  "{\"Action\": \"*\"}"  "#;
        let raw_start = host.find('"').unwrap() + 1;
        let raw_end = host.rfind('"').unwrap();
        let raw = &host[raw_start..raw_end];
        let decoded = r#"{"Action": "*"}"#;
        let literal = Span::new(FileId(0), raw_start - 1, raw_end + 1);
        let map = OffsetMap::align(decoded, raw, raw_start as u32, literal);
        let parsed = parse_mapped_json(decoded, FileId(0), &map);
        let root = parsed.root.unwrap();
        let action = root.get("Action").unwrap();
        assert_eq!(&host[action.span.range()], r#"\"*\""#);
    }

    #[test]
    fn unalignable_text_points_at_the_literal() {
        let literal = Span::new(FileId(0), 3, 9);
        let map = OffsetMap::align("{\n}", r"{\n}", 4, literal);
        assert_eq!(map, OffsetMap::Whole(literal));
        let parsed = parse_mapped_json("{\n}", FileId(0), &map);
        assert_eq!(parsed.root.unwrap().span, literal);
    }
}
