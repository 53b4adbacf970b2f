//! YAML through granit-parser events, built into the located tree with an explicit stack (no
//! recursion). CloudFormation short-form tags become their long forms, plain scalars resolve as
//! CloudFormation reads them (YAML 1.1 booleans such as `yes`/`On`), and aliases expand under a
//! node budget so that an alias bomb stops early.

use std::collections::HashMap;
use std::ops::Range;

use granit_parser::{ErrorKind, Event, Parser, ScalarStyle, ScanError, Tag};

use crate::parse::Comment;
use crate::parse::limits::{MAX_NESTING, MAX_NODES};
use crate::parse::node::{Entry, Node, NodeKind, ParseError, Parsed, long_form_of_tag};
use crate::source::{FileId, Span};

/// Parses the first document of `text`; an empty stream gives no root and no error.
pub fn parse_yaml(text: &str, file: FileId) -> Parsed {
    let options = granit_parser::options! {
        flow_nesting_limit: MAX_NESTING,
        block_nesting_limit: MAX_NESTING,
        emit_comments: true,
    };
    let mut builder = Builder {
        file,
        text,
        stack: Vec::new(),
        depth: 0,
        anchors: HashMap::new(),
        expanded: 0,
        parsed: Parsed::default(),
    };
    for item in Parser::new_from_str_with_options(text, options) {
        let step = match item {
            // Later documents are ignored, errors in them included.
            Ok((Event::DocumentEnd, _)) => break,
            Ok((event, span)) => builder.event(event, &span),
            Err(error) => Err(builder.scan_error(&error)),
        };
        if let Err(error) = step {
            builder.parsed.root = None;
            builder.parsed.errors.push(error);
            return builder.parsed;
        }
    }
    // A bare `---` is an empty document, not a null template.
    if builder
        .parsed
        .root
        .as_ref()
        .is_some_and(|root| root.kind == NodeKind::Null && root.span.is_empty())
    {
        builder.parsed.root = None;
    }
    builder.parsed
}

/// A collection being built.
struct Frame {
    node: Node,
    anchor: usize,
    tag: Option<ShortTag>,
    /// Tree levels this frame adds: one, or two when a short tag wraps it in a map.
    levels: usize,
    /// A map's key waiting for its value.
    key: Option<(Box<str>, Span)>,
    /// A map's keys so far, with where each was first written.
    seen: HashMap<Box<str>, Span>,
}

/// A CloudFormation short-form tag: its long form and where the tag is written.
struct ShortTag {
    long_form: &'static str,
    span: Span,
}

struct Builder<'t> {
    file: FileId,
    text: &'t str,
    stack: Vec<Frame>,
    /// Collection levels above the next node, counting short-tag wrappers.
    depth: usize,
    anchors: HashMap<usize, Node>,
    /// Nodes inserted through aliases so far.
    expanded: usize,
    parsed: Parsed,
}

impl Builder<'_> {
    fn span(&self, range: Range<usize>) -> Span {
        Span::new(self.file, range.start, range.end)
    }

    /// One character at `at` (nothing at the end of the text), so the report has something to mark.
    fn point(&self, at: usize) -> Span {
        let end = self
            .text
            .get(at..)
            .and_then(|rest| rest.chars().next())
            .map_or(at, |c| at + c.len_utf8());
        Span::new(self.file, at, end)
    }

    fn scan_error(&self, error: &ScanError) -> ParseError {
        let at = error.marker().byte_offset().unwrap_or(self.text.len());
        let message = if matches!(error.kind(), ErrorKind::RecursionLimitExceeded) {
            nesting_message()
        } else {
            format!("invalid YAML: {}", error.info())
        };
        ParseError {
            message,
            span: self.point(at.min(self.text.len())),
        }
    }

    fn fatal(&self, message: impl Into<String>, span: Span) -> ParseError {
        let span = if span.is_empty() {
            self.point(span.start as usize)
        } else {
            span
        };
        ParseError {
            message: message.into(),
            span,
        }
    }

    fn event(&mut self, event: Event<'_>, span: &granit_parser::Span) -> Result<(), ParseError> {
        // Always present for string input; an absent range only blurs a location.
        let range = span.byte_range().unwrap_or(0..0);
        let at = self.span(range.clone());
        let tag_range = span.tag_span().and_then(|tag| tag.byte_range());
        match event {
            Event::Scalar(value, style, anchor, tag) => {
                let short = self.short_tag(tag.as_deref(), tag_range, range.start);
                if short.is_some() && self.depth >= MAX_NESTING {
                    return Err(self.fatal(nesting_message(), at));
                }
                // granit reports an implicit empty scalar as `~` with an empty span.
                let value: &str = if range.is_empty() { "" } else { &value };
                let forced = tag.as_deref().is_some_and(|t| t.is_yaml_core_schema_tag("str"));
                let kind = if short.is_some() || forced || style != ScalarStyle::Plain {
                    NodeKind::String(value.into())
                } else {
                    plain_scalar(value)
                };
                let node = Node::new(at, kind);
                match short {
                    Some(tag) => self.finish(short_form(tag, node, self.text), anchor, None),
                    None => self.finish(node, anchor, Some(value)),
                }
            }
            Event::SequenceStart(_, anchor, tag) | Event::MappingStart(_, anchor, tag) => {
                let is_seq = matches!(event, Event::SequenceStart(..));
                let tag = self.short_tag(tag.as_deref(), tag_range, range.start);
                let levels = 1 + usize::from(tag.is_some());
                if self.depth + levels > MAX_NESTING {
                    return Err(self.fatal(nesting_message(), at));
                }
                self.depth += levels;
                let kind = if is_seq {
                    NodeKind::Seq(Vec::new())
                } else {
                    NodeKind::Map(Vec::new())
                };
                self.stack.push(Frame {
                    node: Node::new(at, kind),
                    anchor,
                    tag,
                    levels,
                    key: None,
                    seen: HashMap::new(),
                });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Ok(());
                };
                self.depth = self.depth.saturating_sub(frame.levels);
                let mut node = frame.node;
                close_span(&mut node, &range);
                if let Some(tag) = frame.tag {
                    node = short_form(tag, node, self.text);
                }
                self.finish(node, frame.anchor, None)
            }
            Event::Alias(id) => {
                // Anchors are recorded when their node is complete, so a self-reference misses.
                let Some(target) = self.anchors.get(&id) else {
                    return Err(self.fatal("invalid YAML: recursive alias", at));
                };
                let (count, depth) = measure(target);
                self.expanded = self.expanded.saturating_add(count);
                if self.expanded > MAX_NODES {
                    return Err(self.fatal("alias expansion exceeds the node budget", at));
                }
                // Chained aliases could otherwise stack anchors into an unbounded depth.
                if self.depth + depth > MAX_NESTING {
                    return Err(self.fatal(nesting_message(), at));
                }
                let mut node = target.clone();
                node.span = at;
                self.attach(node, None)
            }
            Event::Comment(text, _) => {
                self.parsed.comments.push(Comment {
                    span: at,
                    text: text.trim().into(),
                });
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The CloudFormation short form a tag names (`!Ref`, `!If`, ...), if any.
    fn short_tag(
        &self,
        tag: Option<&Tag>,
        tag_range: Option<Range<usize>>,
        node_start: usize,
    ) -> Option<ShortTag> {
        let tag = tag?;
        if tag.handle() != "!" {
            return None;
        }
        let long_form = long_form_of_tag(tag.suffix())?;
        let range = tag_range.unwrap_or(node_start..node_start);
        Some(ShortTag {
            long_form,
            span: self.span(range),
        })
    }

    fn finish(&mut self, node: Node, anchor: usize, key: Option<&str>) -> Result<(), ParseError> {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        self.attach(node, key.map(Box::from))
    }

    /// Adds a complete node to the open collection (or makes it the root). `key` is the text a
    /// scalar would have as a mapping key.
    fn attach(&mut self, node: Node, key: Option<Box<str>>) -> Result<(), ParseError> {
        let Some(frame) = self.stack.last_mut() else {
            if self.parsed.root.is_none() {
                self.parsed.root = Some(node);
            }
            return Ok(());
        };
        match &mut frame.node.kind {
            NodeKind::Seq(items) => items.push(node),
            NodeKind::Map(entries) => match frame.key.take() {
                Some((key, key_span)) => entries.push(Entry {
                    key,
                    key_span,
                    value: node,
                }),
                None => {
                    let Some(key) = key.or_else(|| scalar_text(&node)) else {
                        let span = node.span;
                        return Err(self.fatal("unsupported complex mapping key", span));
                    };
                    if let Some(first) = frame.seen.get(&key) {
                        let line = line_of(self.text, first.start as usize);
                        self.parsed.errors.push(ParseError {
                            message: format!("duplicate key `{key}` (first defined on line {line})"),
                            span: node.span,
                        });
                    } else {
                        frame.seen.insert(key.clone(), node.span);
                    }
                    frame.key = Some((key, node.span));
                }
            },
            _ => {}
        }
        Ok(())
    }
}

fn nesting_message() -> String {
    format!("nesting too deep (more than {MAX_NESTING} levels)")
}

fn line_of(text: &str, at: usize) -> usize {
    text.get(..at)
        .map_or(1, |prefix| prefix.bytes().filter(|&b| b == b'\n').count() + 1)
}

/// A scalar node's text as a key (an alias to a scalar used as a key).
fn scalar_text(node: &Node) -> Option<Box<str>> {
    match &node.kind {
        NodeKind::String(text) | NodeKind::Number(text) => Some(text.clone()),
        NodeKind::Bool(flag) => Some(flag.to_string().into()),
        NodeKind::Null => Some("".into()),
        NodeKind::Seq(_) | NodeKind::Map(_) => None,
    }
}

/// Node count and collection depth, iteratively.
fn measure(node: &Node) -> (usize, usize) {
    let mut stack = vec![(node, 0usize)];
    let (mut count, mut deepest) = (0, 0);
    while let Some((node, depth)) = stack.pop() {
        count += 1;
        deepest = deepest.max(depth);
        match &node.kind {
            NodeKind::Seq(items) => stack.extend(items.iter().map(|item| (item, depth + 1))),
            NodeKind::Map(entries) => stack.extend(entries.iter().map(|e| (&e.value, depth + 1))),
            _ => {}
        }
    }
    // A scalar is depth 0; `depth` counted edges, so collections add one level for themselves.
    let levels = if matches!(node.kind, NodeKind::Seq(_) | NodeKind::Map(_)) {
        deepest.max(1)
    } else {
        0
    };
    (count, levels)
}

/// Block collections start and end with empty spans: take the ends from the children.
fn close_span(node: &mut Node, end: &Range<usize>) {
    let (first, last) = match &node.kind {
        NodeKind::Seq(items) => (
            items.first().map(|n| n.span.start),
            items.last().map(|n| n.span.end),
        ),
        NodeKind::Map(entries) => (
            entries.first().map(|e| e.key_span.start),
            entries.last().map(|e| e.value.span.end.max(e.key_span.end)),
        ),
        _ => (None, None),
    };
    if node.span.is_empty()
        && let Some(first) = first
    {
        node.span.start = node.span.start.min(first);
    }
    node.span.end = match (end.is_empty(), last) {
        (false, _) => u32::try_from(end.end).unwrap_or(u32::MAX),
        (true, Some(last)) => last,
        (true, None) => node.span.start,
    }
    .max(node.span.start);
}

/// `!Ref X` → `{Ref: X}` and `!GetAtt A.B` → `{Fn::GetAtt: [A, B]}`, keyed at the tag.
fn short_form(tag: ShortTag, value: Node, text: &str) -> Node {
    let value = if tag.long_form == "Fn::GetAtt" {
        split_get_att(value, text)
    } else {
        value
    };
    Node::new(
        tag.span.cover(value.span),
        NodeKind::Map(vec![Entry {
            key: tag.long_form.into(),
            key_span: tag.span,
            value,
        }]),
    )
}

/// `A.B` → `[A, B]`, split at the first dot, each part located inside the scalar when the source
/// spells the value verbatim (plain, or quoted without escapes), else at the whole scalar.
fn split_get_att(node: Node, text: &str) -> Node {
    let NodeKind::String(value) = &node.kind else {
        return node;
    };
    let Some((resource, attribute)) = value.split_once('.') else {
        return node;
    };
    let span = node.span;
    let source = text.get(span.range()).unwrap_or("");
    let inner = if source == &**value {
        Some(span.start as usize)
    } else if source.len() == value.len() + 2 && source.get(1..source.len() - 1) == Some(value) {
        Some(span.start as usize + 1)
    } else {
        None
    };
    let (first, second) = match inner {
        Some(start) => {
            let dot = start + resource.len();
            (
                Span::new(span.file, start, dot),
                Span::new(span.file, dot + 1, dot + 1 + attribute.len()),
            )
        }
        None => (span, span),
    };
    let parts = vec![
        Node::new(first, NodeKind::String(resource.into())),
        Node::new(second, NodeKind::String(attribute.into())),
    ];
    Node::new(span, NodeKind::Seq(parts))
}

/// A plain scalar as CloudFormation reads it: PyYAML's YAML 1.1 null and boolean words, numbers
/// kept as written, anything else a string.
fn plain_scalar(value: &str) -> NodeKind {
    match value {
        "" | "~" | "null" | "Null" | "NULL" => NodeKind::Null,
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => {
            NodeKind::Bool(true)
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => {
            NodeKind::Bool(false)
        }
        _ if is_number(value) => NodeKind::Number(value.into()),
        _ => NodeKind::String(value.into()),
    }
}

/// `[+-]? (digits ('.' digits*)? | '.' digits) ([eE] [+-]? digits)?`
fn is_number(value: &str) -> bool {
    fn digits(text: &str) -> (usize, &str) {
        let count = text.bytes().take_while(u8::is_ascii_digit).count();
        (count, text.get(count..).unwrap_or(""))
    }
    let unsigned = value.strip_prefix(['+', '-']).unwrap_or(value);
    let (whole, rest) = digits(unsigned);
    let (fraction, rest) = match rest.strip_prefix('.') {
        Some(after) => digits(after),
        None => (0, rest),
    };
    if whole + fraction == 0 {
        return false;
    }
    match rest.strip_prefix(['e', 'E']) {
        None => rest.is_empty(),
        Some(exponent) => {
            let (count, rest) = digits(exponent.strip_prefix(['+', '-']).unwrap_or(exponent));
            count > 0 && rest.is_empty()
        }
    }
}
