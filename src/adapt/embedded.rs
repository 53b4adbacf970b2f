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

/// A policy document written as JSON text (a string, a heredoc, a `Fn::Sub`): parsed with its
/// spans moved through `map` and converted by `read`; why not when it is not valid JSON.
pub fn policy_json(
    text: &str,
    file: FileId,
    map: &OffsetMap,
    read: impl Fn(&Node) -> Val,
) -> Result<Val, UnknownReason> {
    let parsed = parse_mapped_json(text, file, map);
    match parsed.root {
        Some(root) if parsed.errors.is_empty() => Ok(read(&root)),
        _ => Err(UnknownReason::Unsupported(
            "a policy string that is not valid JSON",
        )),
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
/// [`UNKNOWN_MARK`] as a string.
pub const UNKNOWN_MARK_STR: &str = "\u{E000}";

/// Tracks where the JSON text seen so far ends: inside a string or not, in which containers, after
/// what, so a placeholder outside strings can stand in as a node (`unknown_node`).
#[derive(Default)]
pub struct JsonStrings {
    pub in_string: bool,
    escaped: bool,
    /// Containers open outside strings, `[` or `{`, innermost last.
    open: Vec<u8>,
    /// The last byte outside strings that is not white space (`"` at a string's end), 0 at first.
    last: u8,
}

impl JsonStrings {
    pub fn feed(&mut self, text: &str) {
        for byte in text.bytes() {
            if self.in_string {
                match byte {
                    _ if self.escaped => self.escaped = false,
                    b'\\' => self.escaped = true,
                    b'"' => {
                        self.in_string = false;
                        self.last = byte;
                    }
                    _ => {}
                }
                continue;
            }
            match byte {
                b'"' => self.in_string = true,
                b'[' | b'{' => {
                    self.open.push(byte);
                    self.last = byte;
                }
                b']' | b'}' => {
                    self.open.pop();
                    self.last = byte;
                }
                _ if byte.is_ascii_whitespace() => {}
                _ => self.last = byte,
            }
        }
    }

    /// The JSON text a placeholder outside strings becomes (RULES.md 2.6: an Unknown node, the
    /// rest of the document still read), `mark` being the marked string's content (it starts
    /// with [`UNKNOWN_MARK`]) and `next` the first byte after the placeholder that is not white
    /// space: a marked string, with the commas that make it an element of its array when it
    /// follows or precedes one (`[{...}${extra}]` renders more elements). Where an object member
    /// goes the placeholder renders members, whose keys are not known, and the text stays invalid
    /// (the document is unknown), as after the top-level value.
    pub fn unknown_node(&self, mark: &str, next: Option<u8>) -> String {
        let value = format!("\"{mark}\"");
        if self.open.last() != Some(&b'[') {
            return value;
        }
        let after_value =
            matches!(self.last, b'"' | b']' | b'}') || self.last.is_ascii_alphanumeric();
        let value_follows = next
            .is_some_and(|b| matches!(b, b'"' | b'[' | b'{' | b'-') || b.is_ascii_alphanumeric());
        let before = if after_value { "," } else { "" };
        let after = if value_follows { "," } else { "" };
        format!("{before}{value}{after}")
    }
}

/// Host offsets for the bytes of a node `unknown_node` inserted for the placeholder at
/// `start..end`: the node spans the placeholder (its bytes map to `start`, a comma after it to
/// `end`, where the node's span ends).
pub fn node_offsets(node: &str, start: u32, end: u32) -> impl Iterator<Item = u32> {
    let last_quote = node.rfind('"').unwrap_or(node.len());
    (0..node.len()).map(move |at| if at > last_quote { end } else { start })
}

/// A Terraform template's JSON text (`templatefile`) with each `${...}` outside JSON strings
/// replaced by the node it stands for (`JsonStrings::unknown_node`; RULES.md 2.6), marked with
/// the variable it names (none for another expression), and each byte's offset in `text`.
/// Placeholders inside strings are left for `val::rendered_template`. `None` when there is no
/// placeholder outside strings: the text is read as it is.
pub fn template_placeholders_as_nodes(text: &str) -> Option<(String, Vec<u32>)> {
    let mut scanner = JsonStrings::default();
    let mut json = String::with_capacity(text.len());
    let mut offsets: Vec<u32> = Vec::with_capacity(text.len() + 1);
    let copy = |json: &mut String, offsets: &mut Vec<u32>, from: usize, to: usize| {
        let part = text.get(from..to).unwrap_or("");
        json.push_str(part);
        offsets.extend(from as u32..to as u32);
        part.len()
    };
    let (mut copied, mut marked) = (0, false);
    while let Some(found) = text.get(copied..).and_then(|rest| rest.find("${")) {
        let at = copied + found;
        scanner.feed(text.get(copied..at).unwrap_or(""));
        copy(&mut json, &mut offsets, copied, at);
        // `$${` is a literal `${`; inside a string the placeholder makes a template.
        let escaped = at > 0 && text.as_bytes().get(at - 1) == Some(&b'$');
        let end = placeholder_end(text, at);
        let Some(end) = end.filter(|_| !scanner.in_string && !escaped) else {
            scanner.feed("${");
            copied = at + copy(&mut json, &mut offsets, at, at + 2);
            continue;
        };
        let inner = text.get(at + 2..end - 1).unwrap_or("");
        let inner = inner.trim().trim_matches('~').trim();
        let name = if crate::adapt::val::is_identifier(inner) {
            inner
        } else {
            ""
        };
        let mark = format!("{UNKNOWN_MARK}{name}");
        let next = next_significant(text.get(end..).unwrap_or(""));
        let node = scanner.unknown_node(&mark, next);
        offsets.extend(node_offsets(&node, at as u32, end as u32));
        scanner.feed(&node);
        json.push_str(&node);
        (copied, marked) = (end, true);
    }
    if !marked {
        return None;
    }
    copy(&mut json, &mut offsets, copied, text.len());
    offsets.push(text.len() as u32);
    Some((json, offsets))
}

/// The offset just past the `}` closing the placeholder `${` at `at` (braces inside it nest).
fn placeholder_end(text: &str, at: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (offset, byte) in text.bytes().enumerate().skip(at + 1) {
        match byte {
            b'{' => depth += 1,
            b'}' if depth == 1 => return Some(offset + 1),
            b'}' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// The first byte of `text` that is not white space.
pub fn next_significant(text: &str) -> Option<u8> {
    text.bytes().find(|byte| !byte.is_ascii_whitespace())
}

/// Converts the parsed JSON, turning marked strings into unknowns and templates.
pub fn with_unknowns(node: &Node) -> Val {
    Marks::default().read(node)
}

/// The first character a mark's index is written with, after [`UNKNOWN_MARK`]: Unicode's
/// supplementary private use area, which no policy text holds.
const MARK_INDEX_BASE: u32 = 0xF0000;
/// Indices that area holds; later marks are read back for no particular reason.
const MAX_MARKS: usize = 0xFFFE;

/// The unknown parts of a JSON text being built, each marked with its index, so the value read
/// back is unknown for that part's own reason (a pseudo parameter, a variable without default)
/// rather than as "an interpolated value".
#[derive(Default)]
pub struct Marks {
    reasons: Vec<UnknownReason>,
}

impl Marks {
    /// The mark standing for a part unknown for `reason`.
    pub fn mark(&mut self, reason: UnknownReason) -> String {
        let index = self.reasons.len();
        let written = char::from_u32(MARK_INDEX_BASE + index as u32).filter(|_| index < MAX_MARKS);
        self.reasons.push(reason);
        match written {
            Some(index) => format!("{UNKNOWN_MARK}{index}"),
            None => UNKNOWN_MARK_STR.to_string(),
        }
    }

    /// Converts the parsed JSON, turning marked strings into unknowns and templates.
    pub fn read(&self, node: &Node) -> Val {
        from_node_with(node, &|text| {
            if !text.contains(UNKNOWN_MARK) {
                return ValKind::String(text.into());
            }
            let mut segments = Vec::new();
            for (at, part) in text.split(UNKNOWN_MARK).enumerate() {
                let mut rest = part;
                if at > 0 {
                    let mut chars = part.chars();
                    let reason = chars
                        .next()
                        .and_then(|c| (c as u32).checked_sub(MARK_INDEX_BASE))
                        .and_then(|index| self.reasons.get(index as usize));
                    if reason.is_some() {
                        rest = chars.as_str();
                    }
                    let reason = reason
                        .cloned()
                        .unwrap_or(UnknownReason::Unsupported("an interpolated value"));
                    segments.push(Segment::Unknown(reason));
                }
                if !rest.is_empty() {
                    segments.push(Segment::Text(rest.into()));
                }
            }
            match segments.as_slice() {
                [Segment::Unknown(reason)] => ValKind::Unknown(reason.clone()),
                _ => ValKind::Template(segments),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marked_parts_are_read_back_unknown_for_their_own_reason() {
        let mut marks = Marks::default();
        let account = marks.mark(UnknownReason::Intrinsic("a pseudo parameter"));
        let bucket = marks.mark(UnknownReason::Variable("bucket".into()));
        let text = format!(
            r#"{{"P": "{account}", "R": "arn:aws:s3:::{bucket}/*", "U": "{UNKNOWN_MARK}"}}"#
        );
        let root = parse_json(&text, FileId(0), 0).root.unwrap();
        let value = marks.read(&root);
        assert_eq!(
            value.get("P").unwrap().kind,
            ValKind::Unknown(UnknownReason::Intrinsic("a pseudo parameter"))
        );
        let ValKind::Template(segments) = &value.get("R").unwrap().kind else {
            panic!("a template")
        };
        assert_eq!(
            segments.as_slice(),
            [
                Segment::Text("arn:aws:s3:::".into()),
                Segment::Unknown(UnknownReason::Variable("bucket".into())),
                Segment::Text("/*".into()),
            ]
        );
        // A mark without an index (another writer's) is unknown in general.
        assert!(matches!(
            value.get("U").unwrap().kind,
            ValKind::Unknown(UnknownReason::Unsupported(_))
        ));
    }

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
    fn placeholders_outside_strings_become_unknown_nodes_spanning_them() {
        let text = r#"{"S": [{"A": "${a}"}${extra} ${more}], "R": ${arns}}"#;
        let (json, offsets) = template_placeholders_as_nodes(text).unwrap();
        let expected = r#"{"S": [{"A": "${a}"},"@extra" ,"@more"], "R": "@arns"}"#;
        assert_eq!(json, expected.replace('@', UNKNOWN_MARK_STR));
        let parsed = parse_mapped_json(&json, FileId(0), &OffsetMap::Table(offsets));
        let root = parsed.root.unwrap();
        let span_text = |node: &Node| &text[node.span.range()];
        let NodeKind::Seq(items) = &root.get("S").unwrap().kind else {
            panic!("a list")
        };
        assert_eq!(span_text(&items[1]), "${extra}");
        assert_eq!(span_text(&items[2]), "${more}");
        assert_eq!(span_text(root.get("R").unwrap()), "${arns}");
        // Inside strings and escaped, placeholders are left to the template's rendering.
        assert!(template_placeholders_as_nodes(r#"{"A": "${a}", "B": $${b}}"#).is_none());
    }

    #[test]
    fn a_placeholder_where_members_go_leaves_the_object_invalid() {
        let mut scanner = JsonStrings::default();
        scanner.feed(r#"{"Effect": "Allow""#);
        let node = scanner.unknown_node(UNKNOWN_MARK_STR, Some(b'}'));
        let json = format!(r#"{{"Effect": "Allow"{node}}}"#);
        assert!(parse_json(&json, FileId(0), 0).root.is_none());
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
