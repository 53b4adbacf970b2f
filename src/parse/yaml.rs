//! YAML through granit-parser events, built into the located tree iteratively. CloudFormation's
//! short-form tags become their long forms; plain scalars resolve the way CloudFormation reads them
//! (YAML 1.1 booleans such as `yes`/`On`); aliases expand under a node budget.

use foldhash::HashMap;

use granit_parser::{Event, Parser, ScalarStyle};

use super::limits::{MAX_NESTING, MAX_NODES};
use super::node::{Entry, KeyIndex, long_form_of_tag};
use super::{Comment, Node, NodeKind, ParseError, Parsed};
use crate::source::{FileId, Span};
use crate::text::Text;

/// A collection being built: the node, the pending key of a map, its keys seen so far, its anchor.
enum Frame {
    Seq {
        node: Node,
        anchor: usize,
        tag: Option<TagInfo>,
    },
    Map {
        node: Node,
        key: Option<Node>,
        keys: KeyIndex,
        /// Values of `<<` merge keys, merged in when the map closes.
        merges: Vec<Node>,
        anchor: usize,
        tag: Option<TagInfo>,
    },
}

/// A CloudFormation short-form tag on a node: its long form and where the tag is written.
#[derive(Clone)]
struct TagInfo {
    long_form: Text,
    span: Span,
}

pub fn parse_yaml(text: &str, file: FileId) -> Parsed {
    let mut builder = Builder {
        file,
        text,
        stack: Vec::new(),
        anchors: HashMap::default(),
        expanded: 0,
        root: None,
        parsed: Parsed::default(),
    };
    let options = granit_parser::options! {
        flow_nesting_limit: MAX_NESTING,
        block_nesting_limit: MAX_NESTING,
        emit_comments: true,
    };
    for item in Parser::new_from_str_with_options(text, options) {
        let (event, span) = match item {
            Ok(item) => item,
            Err(error) => {
                let at = error.marker().byte_offset().unwrap_or(0).min(text.len());
                let mut message = error.info();
                if message.contains("recursion") || message.contains("nesting") {
                    message =
                        format!("nesting too deep (more than {MAX_NESTING} levels): {message}");
                }
                builder.fail(format!("invalid YAML: {message}"), at);
                return builder.parsed;
            }
        };
        let range = span.byte_range().unwrap_or(0..0);
        let tag_span = span.tag_span().and_then(|t| t.byte_range());
        if let Err(error) = builder.event(event, range, tag_span) {
            builder.parsed.errors.push(error);
            builder.parsed.root = None;
            return builder.parsed;
        }
        if builder.root.is_some() {
            // Only the first document counts; comments after it are still wanted.
            if builder.stack.is_empty() {
                break;
            }
        }
    }
    builder.parsed.root = builder.root.take();
    builder.parsed
}

struct Builder<'t> {
    file: FileId,
    text: &'t str,
    stack: Vec<Frame>,
    /// Anchored nodes with their depth.
    anchors: HashMap<usize, (Node, usize)>,
    expanded: usize,
    root: Option<Node>,
    parsed: Parsed,
}

impl Builder<'_> {
    fn span(&self, range: std::ops::Range<usize>) -> Span {
        Span::new(self.file, range.start, range.end)
    }

    fn fail(&mut self, message: String, at: usize) {
        let end = crate::text::next_char_end(self.text, at);
        self.parsed.root = None;
        self.parsed.errors.push(ParseError {
            message,
            span: Span::new(self.file, at, end),
        });
    }

    fn tag(
        &self,
        tag: Option<&granit_parser::Tag>,
        tag_span: Option<std::ops::Range<usize>>,
        node_start: usize,
    ) -> Option<TagInfo> {
        let tag = tag?;
        if tag.handle() != "!" {
            return None;
        }
        let suffix = tag.suffix();
        if suffix.is_empty() {
            return None;
        }
        // Any other local tag is the function of that name, as CloudFormation's and the AWS CLI's
        // loaders read it: `!ReadFile x` is `Fn::ReadFile`, filled in by a pre-processor
        // (org-formation, rain) or rejected, never the plain `x` it tags.
        let long_form = long_form_of_tag(suffix)
            .map(Text::from)
            .unwrap_or_else(|| format!("Fn::{suffix}").into());
        let range = tag_span.unwrap_or(node_start..node_start);
        Some(TagInfo {
            long_form,
            span: self.span(range),
        })
    }

    fn event(
        &mut self,
        event: Event,
        range: std::ops::Range<usize>,
        tag_span: Option<std::ops::Range<usize>>,
    ) -> Result<(), ParseError> {
        match event {
            Event::Scalar(value, style, anchor, tag) => {
                let span = self.span(range.clone());
                let short = self.tag(tag.as_deref(), tag_span, range.start);
                let forced_string = tag
                    .as_deref()
                    .is_some_and(|t| t.handle() == "!!" && t.suffix() == "str");
                let kind = if short.is_some() || forced_string || style != ScalarStyle::Plain {
                    NodeKind::String(value.as_ref().into())
                } else {
                    plain_scalar(&value)
                };
                let mut node = Node::new(span, kind);
                if let Some(short) = short {
                    node = short_form(short, node);
                }
                self.remember(anchor, &node);
                self.attach(node)
            }
            Event::SequenceStart(_, anchor, tag) => {
                let tag = self.tag(tag.as_deref(), tag_span, range.start);
                let node = Node::new(self.span(range), NodeKind::Seq(Vec::new()));
                self.stack.push(Frame::Seq { node, anchor, tag });
                Ok(())
            }
            Event::MappingStart(_, anchor, tag) => {
                let tag = self.tag(tag.as_deref(), tag_span, range.start);
                let node = Node::new(self.span(range), NodeKind::Map(Vec::new()));
                self.stack.push(Frame::Map {
                    node,
                    key: None,
                    keys: KeyIndex::default(),
                    merges: Vec::new(),
                    anchor,
                    tag,
                });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Ok(());
                };
                let (mut node, anchor, tag) = match frame {
                    Frame::Seq { node, anchor, tag } => (node, anchor, tag),
                    Frame::Map {
                        mut node,
                        merges,
                        anchor,
                        tag,
                        ..
                    } => {
                        merge_into(&mut node, merges);
                        (node, anchor, tag)
                    }
                };
                close_span(&mut node, range);
                if let Some(tag) = tag {
                    node = short_form(tag, node);
                }
                self.remember(anchor, &node);
                self.attach(node)
            }
            Event::Alias(id) => {
                let Some((target, depth)) = self.anchors.get(&id) else {
                    return Err(self.error("alias to an unknown anchor", range));
                };
                // Aliases nest copies: chained anchors would build a tree deeper than any
                // document may be written, and overflow the stack of whatever walks it.
                if self.stack.len() + depth > MAX_NESTING {
                    return Err(self.error("nesting too deep (through aliases)", range));
                }
                let count = target.count();
                self.expanded = self.expanded.saturating_add(count);
                if self.expanded > MAX_NODES {
                    return Err(self.error("alias expansion exceeds the node budget", range));
                }
                let mut node = target.clone();
                node.span = self.span(range);
                self.attach(node)
            }
            #[allow(unreachable_patterns)]
            Event::Comment(text, _) => {
                self.parsed.comments.push(Comment {
                    span: self.span(range),
                    text: text.trim().into(),
                });
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn error(&self, message: &str, range: std::ops::Range<usize>) -> ParseError {
        ParseError {
            message: format!("invalid YAML: {message}"),
            span: self.span(range),
        }
    }

    fn remember(&mut self, anchor: usize, node: &Node) {
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), node.depth()));
        }
    }

    fn attach(&mut self, node: Node) -> Result<(), ParseError> {
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
                Ok(())
            }
            Some(Frame::Seq { node: parent, .. }) => {
                if let NodeKind::Seq(items) = &mut parent.kind {
                    items.push(node);
                }
                Ok(())
            }
            Some(Frame::Map {
                node: parent,
                key,
                keys,
                merges,
                ..
            }) => match key.take() {
                None => {
                    if matches!(node.kind, NodeKind::Seq(_) | NodeKind::Map(_)) {
                        return Err(ParseError {
                            message: "invalid YAML: unsupported complex mapping key".into(),
                            span: node.span,
                        });
                    }
                    *key = Some(node);
                    Ok(())
                }
                Some(key_node) => {
                    let name: Text = key_text(&key_node, self.text).into();
                    // `<<: *defaults` (as `aws cloudformation package` expands it before deploying).
                    if &*name == "<<" && matches!(node.kind, NodeKind::Map(_) | NodeKind::Seq(_)) {
                        merges.push(node);
                        return Ok(());
                    }
                    let entries = match &parent.kind {
                        NodeKind::Map(entries) => &entries[..],
                        _ => &[],
                    };
                    if let Some(first) = keys.earlier(entries, &name, key_node.span) {
                        let line = line_of(self.text, first.start as usize);
                        self.parsed.duplicates.push(ParseError {
                            message: format!(
                                "duplicate key `{name}` (first defined on line {line})"
                            ),
                            span: key_node.span,
                        });
                    }
                    if let NodeKind::Map(entries) = &mut parent.kind {
                        entries.push(Entry {
                            key: name,
                            key_span: key_node.span,
                            value: node,
                        });
                    }
                    Ok(())
                }
            },
        }
    }
}

/// YAML merge keys: entries of the merged maps that the map does not set itself, earlier merged
/// maps first.
fn merge_into(node: &mut Node, merges: Vec<Node>) {
    let NodeKind::Map(entries) = &mut node.kind else {
        return;
    };
    let mut sources = Vec::new();
    for merge in merges {
        match merge.kind {
            NodeKind::Map(_) => sources.push(merge),
            NodeKind::Seq(_) => {
                let mut merge = merge;
                if let NodeKind::Seq(items) = &mut merge.kind {
                    sources.extend(
                        std::mem::take(items)
                            .into_iter()
                            .filter(|item| matches!(item.kind, NodeKind::Map(_))),
                    );
                }
            }
            _ => {}
        }
    }
    let mut present: foldhash::HashSet<Text> =
        entries.iter().map(|entry| entry.key.clone()).collect();
    for mut source in sources {
        if let NodeKind::Map(merged) = &mut source.kind {
            for entry in std::mem::take(merged) {
                if present.insert(entry.key.clone()) {
                    entries.push(entry);
                }
            }
        }
    }
}

fn line_of(text: &str, at: usize) -> usize {
    text.get(..at).map_or(1, |prefix| {
        prefix.bytes().filter(|&b| b == b'\n').count() + 1
    })
}

/// A key's text as written for plain scalars (`true: x` keeps `true`), its value otherwise.
fn key_text(key: &Node, text: &str) -> String {
    match &key.kind {
        NodeKind::String(value) => value.to_string(),
        NodeKind::Number(value) => value.to_string(),
        NodeKind::Bool(_) | NodeKind::Null => text.get(key.span.range()).unwrap_or("").to_string(),
        NodeKind::Seq(_) | NodeKind::Map(_) => String::new(),
    }
}

/// Block collections start with an empty span: the end comes from the last child.
fn close_span(node: &mut Node, end: std::ops::Range<usize>) {
    let last_child_end = match &node.kind {
        NodeKind::Seq(items) => items.last().map(|n| n.span.end),
        NodeKind::Map(entries) => entries.last().map(|e| e.value.span.end.max(e.key_span.end)),
        _ => None,
    };
    let first_child_start = match &node.kind {
        NodeKind::Seq(items) => items.first().map(|n| n.span.start),
        NodeKind::Map(entries) => entries.first().map(|e| e.key_span.start),
        _ => None,
    };
    if !end.is_empty() {
        node.span.end = node.span.end.max(end.end as u32);
    } else if let Some(child_end) = last_child_end {
        node.span.end = node.span.end.max(child_end);
    }
    if node.span.is_empty()
        && let Some(start) = first_child_start
    {
        node.span.start = start.min(node.span.start.max(start));
    }
    if node.span.end < node.span.start {
        node.span.end = node.span.start;
    }
}

/// `!Ref X` → `{Ref: X}`; `!GetAtt A.B` → `{Fn::GetAtt: [A, B]}`.
fn short_form(tag: TagInfo, value: Node) -> Node {
    let value = match (&value.kind, &*tag.long_form) {
        (NodeKind::String(text), "Fn::GetAtt") => match text.split_once('.') {
            Some((resource, attribute)) => {
                let start = value.span.start;
                let resource_span = Span {
                    end: (start as usize + resource.len()) as u32,
                    ..value.span
                };
                let attribute_span = Span {
                    start: (start as usize + resource.len() + 1).min(value.span.end as usize)
                        as u32,
                    ..value.span
                };
                let parts = vec![
                    Node::new(resource_span, NodeKind::String(resource.into())),
                    Node::new(attribute_span, NodeKind::String(attribute.into())),
                ];
                Node::new(value.span, NodeKind::Seq(parts))
            }
            None => value,
        },
        _ => value,
    };
    let span = tag.span.cover(value.span);
    Node::new(
        span,
        NodeKind::Map(vec![Entry {
            key: tag.long_form,
            key_span: tag.span,
            value,
        }]),
    )
}

/// A plain scalar as CloudFormation reads it: YAML 1.1 booleans, null, numbers, else a string.
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

fn is_number(value: &str) -> bool {
    let digits = value.strip_prefix(['-', '+']).unwrap_or(value);
    if digits.is_empty() {
        return false;
    }
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    if let Some(hex) = digits.strip_prefix("0x") {
        return !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    let mut seen_digit = false;
    let mut seen_dot = false;
    let mut seen_exponent = false;
    let mut previous = b' ';
    for byte in digits.bytes() {
        match byte {
            b'0'..=b'9' => seen_digit = true,
            b'.' if !seen_dot && !seen_exponent => seen_dot = true,
            b'e' | b'E' if seen_digit && !seen_exponent => seen_exponent = true,
            b'-' | b'+' if matches!(previous, b'e' | b'E') => {}
            _ => return false,
        }
        previous = byte;
    }
    seen_digit && !matches!(previous, b'e' | b'E' | b'-' | b'+')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node {
        let parsed = parse_yaml(text, FileId(0));
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        parsed.root.expect("a document")
    }

    fn at<'t>(text: &'t str, node: &Node) -> &'t str {
        &text[node.span.range()]
    }

    #[test]
    fn merge_keys_add_only_what_the_map_does_not_set() {
        let text = "a: &a {x: 1, y: 2}\nb: &b {y: 3, z: 4}\nc:\n  <<: [*a, *b]\n  x: 0\n";
        let root = parse(text);
        let c = root.get("c").expect("c");
        let value = |key: &str| c.get(key).map(|node| at(text, node).to_string());
        assert_eq!(value("x").as_deref(), Some("0"));
        assert_eq!(value("y").as_deref(), Some("2"));
        assert_eq!(value("z").as_deref(), Some("4"));
        assert!(c.get("<<").is_none());
    }

    #[test]
    fn keys_values_and_items_have_exact_spans() {
        let text = "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    List:\n      - a\n      - \"b\"\n";
        let root = parse(text);
        let bucket = root.get("Resources").and_then(|r| r.get("Bucket")).unwrap();
        let entry = bucket.entry("Type").unwrap();
        assert_eq!(&text[entry.key_span.range()], "Type");
        assert_eq!(at(text, &entry.value), "AWS::S3::Bucket");
        let list = bucket.get("List").unwrap().as_seq().unwrap();
        assert_eq!(at(text, &list[1]), "\"b\"");
    }

    #[test]
    fn multi_byte_text_keeps_byte_spans() {
        let text = "Description: \"é😀\"\nKey: value\n";
        let root = parse(text);
        assert_eq!(at(text, root.get("Key").unwrap()), "value");
    }

    #[test]
    fn short_tags_become_long_forms() {
        let text = "A: !Ref X\nB: !GetAtt Res.Arn\nC: !If [Cond, a, b]\nD: !Sub 'x-${A}'\nE: !Join [',', [a, b]]\n";
        let root = parse(text);
        let a = root.get("A").unwrap();
        assert_eq!(a.get("Ref").and_then(Node::as_str), Some("X"));
        assert_eq!(&text[a.entry("Ref").unwrap().key_span.range()], "!Ref");
        let b = root
            .get("B")
            .unwrap()
            .get("Fn::GetAtt")
            .unwrap()
            .as_seq()
            .unwrap();
        assert_eq!((b[0].as_str(), b[1].as_str()), (Some("Res"), Some("Arn")));
        assert_eq!(at(text, &b[1]), "Arn");
        assert_eq!(
            root.get("C")
                .unwrap()
                .get("Fn::If")
                .unwrap()
                .as_seq()
                .unwrap()
                .len(),
            3
        );
        assert_eq!(
            root.get("D").unwrap().get("Fn::Sub").and_then(Node::as_str),
            Some("x-${A}")
        );
        assert!(root.get("E").unwrap().get("Fn::Join").is_some());
        for tag in [
            "Base64",
            "Cidr",
            "ImportValue",
            "Equals",
            "And",
            "Or",
            "Not",
            "Condition",
            "GetAZs",
            "Select",
            "Split",
            "FindInMap",
        ] {
            let doc = format!("X: !{tag} [a]\n");
            let root = parse(&doc);
            assert!(root.get("X").unwrap().as_map().is_some(), "{tag}");
        }
    }

    #[test]
    fn other_local_tags_are_functions_of_their_name() {
        let text = "A: !ReadFile policy.json\nB: !Rain::Embed [x]\nC: ! text\n";
        let root = parse(text);
        let a = root.get("A").unwrap();
        assert_eq!(
            a.get("Fn::ReadFile").and_then(Node::as_str),
            Some("policy.json")
        );
        assert!(root.get("B").unwrap().get("Fn::Rain::Embed").is_some());
        assert_eq!(root.get("C").and_then(Node::as_str), Some("text"));
    }

    #[test]
    fn plain_scalars_resolve_like_cloudformation() {
        let root = parse("a: yes\nb: On\nc: False\nd: y\ne: \"true\"\nf: 22\ng: '22'\nh: ~\n");
        assert_eq!(root.get("a").unwrap().kind, NodeKind::Bool(true));
        assert_eq!(root.get("b").unwrap().kind, NodeKind::Bool(true));
        assert_eq!(root.get("c").unwrap().kind, NodeKind::Bool(false));
        assert_eq!(root.get("d").unwrap().kind, NodeKind::String("y".into()));
        assert_eq!(root.get("e").unwrap().kind, NodeKind::String("true".into()));
        assert_eq!(root.get("f").unwrap().kind, NodeKind::Number("22".into()));
        assert_eq!(root.get("g").unwrap().kind, NodeKind::String("22".into()));
        assert_eq!(root.get("h").unwrap().kind, NodeKind::Null);
    }

    #[test]
    fn duplicate_keys_are_reported_and_the_tree_kept() {
        let parsed = parse_yaml("a: 1\nb: 2\na: 3\n", FileId(0));
        assert!(parsed.root.is_some());
        assert!(parsed.errors.is_empty());
        assert_eq!(parsed.duplicates.len(), 1);
        assert!(parsed.duplicates[0].message.contains("duplicate key `a`"));
        assert_eq!(parsed.duplicates[0].span.start, 10);
    }

    #[test]
    fn alias_bombs_stop_at_the_budget() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for level in 1..10 {
            let items = vec![format!("*a{}", level - 1); 9].join(", ");
            text.push_str(&format!("a{level}: &a{level} [{items}]\n"));
        }
        let parsed = parse_yaml(&text, FileId(0));
        assert!(parsed.root.is_none());
        assert!(parsed.errors[0].message.contains("budget"));
    }

    #[test]
    fn deep_nesting_is_an_error_without_overflow() {
        let flow = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let mut block = String::new();
        for depth in 0..3_000 {
            block.push_str(&" ".repeat(depth));
            block.push_str("a:\n");
        }
        let handle = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || {
                let flow = parse_yaml(&flow, FileId(0));
                let block = parse_yaml(&block, FileId(0));
                (flow.root.is_none(), block.root.is_none())
            })
            .unwrap();
        assert_eq!(handle.join().unwrap(), (true, true));
    }

    #[test]
    fn comments_are_collected() {
        let parsed = parse_yaml("# top\na: 1 # cloudlint:ignore x\n", FileId(0));
        let texts: Vec<&str> = parsed.comments.iter().map(|c| &*c.text).collect();
        assert_eq!(texts, ["top", "cloudlint:ignore x"]);
    }

    #[test]
    fn invalid_yaml_is_located() {
        let parsed = parse_yaml("a: [1, 2\nb: 3\n", FileId(0));
        assert!(parsed.root.is_none());
        assert!(parsed.errors[0].message.starts_with("invalid YAML"));
        let parsed = parse_yaml("", FileId(0));
        assert!(parsed.root.is_none() && parsed.errors.is_empty());
    }

    #[test]
    fn crlf_spans() {
        let text = "a: 1\r\nb: two\r\n";
        let root = parse(text);
        assert_eq!(at(text, root.get("b").unwrap()), "two");
    }
}
