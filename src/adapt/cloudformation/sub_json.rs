//! A policy written as `Fn::Sub` JSON, mapped back to its source: each byte of the rendered
//! document points at the template byte it came from, and a substituted part at its `${...}`,
//! so a finding inside the document points inside the template (RULES.md 2.6, 2.7) rather than
//! at the whole `Fn::Sub`.

use crate::adapt::embedded::{JsonStrings, OffsetMap, UNKNOWN_MARK, UNKNOWN_MARK_STR};
use crate::adapt::val::Segment;
use crate::parse::node::{Node, NodeKind};
use crate::source::Span;
use crate::text::find_placeholder_start;

/// A rendered `Fn::Sub` document as JSON text, with the host offset of each byte
/// (`offsets[len]`: the end).
pub struct Mapped {
    pub json: String,
    pub offsets: Vec<u32>,
}

/// The `Fn::Sub` call at `span` among `bodies` (the template's resources), rendered as
/// `segments` (what the call resolved to: one text segment when every part is known), as JSON
/// mapped into `text`. `None` when the call cannot be found, its template string does not map
/// onto its source exactly, or `segments` do not follow from it: the caller then points every
/// span at the whole call.
pub fn mapped<'n>(
    bodies: impl Iterator<Item = &'n Node>,
    span: Span,
    segments: &[Segment],
    text: &str,
) -> Option<Mapped> {
    let call = bodies
        .filter(|body| covers(body.span, span))
        .find_map(|body| node_at(body, span))?;
    let argument = call.get("Fn::Sub")?;
    let template = match &argument.kind {
        NodeKind::String(_) => argument,
        NodeKind::Seq(items) => items.first()?,
        _ => return None,
    };
    let NodeKind::String(written) = &template.kind else {
        return None;
    };
    let raw = text.get(template.span.range())?;
    let OffsetMap::Table(host) = align_exactly(written, raw, template.span) else {
        return None;
    };
    render(written, &host, segments)
}

/// The decoded template's byte offsets in the host: an exact table, or `Whole` when the
/// template cannot be followed in its source byte by byte.
fn align_exactly(written: &str, raw: &str, span: Span) -> OffsetMap {
    match OffsetMap::align(written, raw, span.start, span) {
        OffsetMap::Shift(base) => {
            OffsetMap::Table((0..=written.len() as u32).map(|i| base + i).collect())
        }
        other => other,
    }
}

/// Walks the template's literal parts and placeholders alongside the rendered `segments`,
/// checking that each literal part is rendered as written.
fn render(written: &str, host: &[u32], segments: &[Segment]) -> Option<Mapped> {
    let at = |i: usize| host.get(i).copied();
    let mut out = Output::default();
    let mut rendered = Rendered::new(segments);
    let mut rest_from = 0usize;
    loop {
        let rest = written.get(rest_from..)?;
        let Some(open) = find_placeholder_start(rest).map(|o| rest_from + o) else {
            out.literal(written.get(rest_from..)?, rest_from, host, &mut rendered)?;
            break;
        };
        out.literal(
            written.get(rest_from..open)?,
            rest_from,
            host,
            &mut rendered,
        )?;
        let close = written.get(open + 2..)?.find('}').map(|c| open + 2 + c);
        let Some(close) = close else {
            // No closing brace: the rest is text, as `Fn::Sub` renders it.
            out.literal(written.get(open..)?, open, host, &mut rendered)?;
            break;
        };
        let placeholder = (at(open)?, at(close + 1)?);
        let name = written.get(open + 2..close)?;
        if let Some(literal) = name.strip_prefix('!') {
            out.substituted(&format!("${{{literal}}}"), placeholder, &mut rendered)?;
        } else {
            let next_literal = next_literal(written, close + 1);
            out.value(placeholder, next_literal, &mut rendered)?;
        }
        rest_from = close + 1;
    }
    if !rendered.is_done() {
        return None;
    }
    out.offsets.push(host.last().copied()?);
    Some(Mapped {
        json: out.json,
        offsets: out.offsets,
    })
}

/// The literal text after a placeholder up to the next one: what a known value ends before.
fn next_literal(written: &str, from: usize) -> &str {
    let rest = written.get(from..).unwrap_or("");
    match find_placeholder_start(rest) {
        Some(open) => rest.get(..open).unwrap_or(""),
        None => rest,
    }
}

#[derive(Default)]
struct Output {
    json: String,
    offsets: Vec<u32>,
    strings: JsonStrings,
}

impl Output {
    /// A literal part of the template, which the rendering must repeat.
    fn literal(
        &mut self,
        part: &str,
        from: usize,
        host: &[u32],
        rendered: &mut Rendered,
    ) -> Option<()> {
        rendered.take_exactly(part)?;
        self.push(part, |i| host.get(from + i).copied())
    }

    /// Text standing for the placeholder at `placeholder` (an escaped `${!X}` rendered `${X}`).
    fn substituted(
        &mut self,
        text: &str,
        placeholder: (u32, u32),
        rendered: &mut Rendered,
    ) -> Option<()> {
        rendered.take_exactly(text)?;
        self.push(text, |_| Some(placeholder.0))
    }

    /// A `${Name}` placeholder: an unknown part of the rendering, or known text running up to
    /// the literal text that follows it.
    fn value(
        &mut self,
        placeholder: (u32, u32),
        next_literal: &str,
        rendered: &mut Rendered,
    ) -> Option<()> {
        if rendered.take_unknown() {
            let node;
            let text = match self.strings.in_string {
                true => UNKNOWN_MARK.encode_utf8(&mut [0; 4]).to_string(),
                false => {
                    let next = next_literal.bytes().find(|b| !b.is_ascii_whitespace());
                    node = self.strings.unknown_node(UNKNOWN_MARK_STR, next);
                    node.clone()
                }
            };
            return self.push(&text, |_| Some(placeholder.0));
        }
        let text = rendered.take_until(next_literal)?;
        self.push(&text, |_| Some(placeholder.0))
    }

    fn push(&mut self, text: &str, host_of: impl Fn(usize) -> Option<u32>) -> Option<()> {
        for i in 0..text.len() {
            self.offsets.push(host_of(i)?);
        }
        self.json.push_str(text);
        self.strings.feed(text);
        Some(())
    }
}

/// The rendered segments, read front to back.
struct Rendered<'s> {
    segments: &'s [Segment],
    /// Bytes of the current text segment already read.
    read: usize,
}

impl<'s> Rendered<'s> {
    fn new(segments: &'s [Segment]) -> Rendered<'s> {
        Rendered { segments, read: 0 }
    }

    fn current_text(&self) -> Option<&'s str> {
        match self.segments.first() {
            Some(Segment::Text(text)) => text.get(self.read..),
            _ => None,
        }
    }

    fn advance(&mut self, bytes: usize) {
        self.read += bytes;
        if let Some(Segment::Text(text)) = self.segments.first()
            && self.read >= text.len()
        {
            self.segments = self.segments.get(1..).unwrap_or(&[]);
            self.read = 0;
        }
    }

    fn take_exactly(&mut self, part: &str) -> Option<()> {
        if part.is_empty() {
            return Some(());
        }
        let current = self.current_text()?;
        if !current.starts_with(part) {
            return None;
        }
        self.advance(part.len());
        Some(())
    }

    fn take_unknown(&mut self) -> bool {
        match self.segments.first() {
            Some(Segment::Unknown(_)) if self.read == 0 => {
                self.segments = self.segments.get(1..).unwrap_or(&[]);
                true
            }
            _ => false,
        }
    }

    /// Known text up to `next_literal` (the end of this text segment when it is empty or the
    /// segment ends first); the first occurrence decides, and a wrong guess fails the literal
    /// check that follows.
    fn take_until(&mut self, next_literal: &str) -> Option<String> {
        let current = self.current_text()?;
        let length = match next_literal.is_empty() {
            true => current.len(),
            false => current.find(next_literal).unwrap_or(current.len()),
        };
        let text = current.get(..length)?.to_string();
        self.advance(length);
        Some(text)
    }

    fn is_done(&self) -> bool {
        self.segments.is_empty()
    }
}

fn covers(outer: Span, inner: Span) -> bool {
    outer.file == inner.file && outer.start <= inner.start && inner.end <= outer.end
}

/// The node spanning exactly `span` under `root`.
fn node_at(root: &Node, span: Span) -> Option<&Node> {
    let mut node = root;
    loop {
        if node.span == span {
            return Some(node);
        }
        node = node.children().find(|child| covers(child.span, span))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Segment {
        Segment::Text(s.into())
    }

    fn unknown() -> Segment {
        Segment::Unknown(crate::model::UnknownReason::Intrinsic("a pseudo parameter"))
    }

    /// Offsets of a template written verbatim at host offset 100.
    fn host(written: &str) -> Vec<u32> {
        (0..=written.len() as u32).map(|i| 100 + i).collect()
    }

    #[test]
    fn literal_bytes_keep_their_place_and_values_point_at_their_placeholder() {
        let written = r#"{"R": "${B}/x", "A": "*"}"#;
        let rendered = [text(r#"{"R": "bucket/x", "A": "*"}"#)];
        let mapped = render(written, &host(written), &rendered).expect("mapped");
        assert_eq!(mapped.json, r#"{"R": "bucket/x", "A": "*"}"#);
        let star = mapped.json.find(r#""*""#).expect("star");
        assert_eq!(
            mapped.offsets[star],
            100 + written.find(r#""*""#).expect("star") as u32
        );
        let value = mapped.json.find("bucket").expect("value");
        assert_eq!(
            mapped.offsets[value],
            100 + written.find("${B}").expect("b") as u32
        );
        assert_eq!(mapped.offsets.last(), Some(&(100 + written.len() as u32)));
    }

    #[test]
    fn unknown_parts_become_marks_in_strings_and_nodes_outside() {
        let written = r#"{"R": "${A}", "L": [${B}]}"#;
        let rendered = [
            text(r#"{"R": ""#),
            unknown(),
            text(r#"", "L": ["#),
            unknown(),
            text("]}"),
        ];
        let mapped = render(written, &host(written), &rendered).expect("mapped");
        let expected = format!(r#"{{"R": "{UNKNOWN_MARK}", "L": ["{UNKNOWN_MARK_STR}"]}}"#);
        assert_eq!(mapped.json, expected);
        assert_eq!(mapped.offsets.len(), mapped.json.len() + 1);
    }

    #[test]
    fn a_rendering_that_does_not_follow_from_the_template_is_not_mapped() {
        let written = r#"{"A": "${!Literal}"}"#;
        assert!(render(written, &host(written), &[text(r#"{"A": "${Literal}"}"#)]).is_some());
        assert!(render(written, &host(written), &[text(r#"{"A": "other"}"#)]).is_none());
        assert!(render(written, &host(written), &[text(r#"{"A": "${Literal}"} "#)]).is_none());
    }
}
