//! One located tree for YAML and JSON documents. CloudFormation short-form tags are normalized to
//! their long `Fn::` forms while building, so `!Ref X` and `{"Ref": "X"}` are the same tree.

use crate::source::Span;
use crate::text::Text;

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub span: Span,
    pub kind: NodeKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    Null,
    Bool(bool),
    /// A number as written (`22`, `-1`, `1.5`); kept as text so nothing is lost to floats.
    Number(Text),
    String(Text),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: Text,
    pub key_span: Span,
    pub value: Node,
}

/// Finds an earlier entry of a map with the same key: a scan while the map is small (most are),
/// a hash index once it grows, so a 100,000-key map stays linear.
#[derive(Debug, Default)]
pub struct KeyIndex {
    index: Option<foldhash::HashMap<Text, Span>>,
}

impl KeyIndex {
    const SCAN_LIMIT: usize = 16;

    /// The key span of an earlier entry named `name`; call before pushing the new entry.
    pub fn earlier(&mut self, entries: &[Entry], name: &str, key_span: Span) -> Option<Span> {
        if self.index.is_none() && entries.len() < Self::SCAN_LIMIT {
            return entries
                .iter()
                .find(|entry| &*entry.key == name)
                .map(|entry| entry.key_span);
        }
        let index = self.index.get_or_insert_with(|| {
            let mut index =
                foldhash::HashMap::with_capacity_and_hasher(entries.len() * 2, Default::default());
            for entry in entries {
                index.entry(entry.key.clone()).or_insert(entry.key_span);
            }
            index
        });
        match index.get(name) {
            Some(first) => Some(*first),
            None => {
                index.insert(name.into(), key_span);
                None
            }
        }
    }
}

impl Entry {
    /// Key and value together: the span of a scalar attribute.
    pub fn span(&self) -> Span {
        self.key_span.cover(self.value.span)
    }
}

impl Node {
    pub fn new(span: Span, kind: NodeKind) -> Node {
        Node { span, kind }
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.kind {
            NodeKind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::String(text) => Some(text),
            _ => None,
        }
    }

    /// The entry under `key` (the last one when a key is duplicated, as most loaders do).
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.iter().rev().find(|entry| &*entry.key == key)
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|entry| &entry.value)
    }

    /// The nodes directly inside this one: sequence items and map values.
    pub fn children(&self) -> impl Iterator<Item = &Node> {
        let (items, entries): (&[Node], &[Entry]) = match &self.kind {
            NodeKind::Seq(items) => (items, &[]),
            NodeKind::Map(entries) => (&[], entries),
            _ => (&[], &[]),
        };
        items.iter().chain(entries.iter().map(|entry| &entry.value))
    }

    /// Number of nodes in this tree, iteratively (alias budgets and tests).
    pub fn count(&self) -> usize {
        let mut stack = vec![self];
        let mut count = 0;
        while let Some(node) = stack.pop() {
            count += 1;
            stack.extend(node.children());
        }
        count
    }

    /// Levels of collections: 0 for a scalar, 1 for a flat list or map.
    pub fn depth(&self) -> usize {
        let mut stack = vec![(self, 0)];
        let mut deepest = 0;
        while let Some((node, above)) = stack.pop() {
            if matches!(node.kind, NodeKind::Seq(_) | NodeKind::Map(_)) {
                deepest = deepest.max(above + 1);
                stack.extend(node.children().map(|child| (child, above + 1)));
            }
        }
        deepest
    }
}

/// Nodes are dropped iteratively so that a deep tree cannot overflow the stack on drop.
impl Drop for NodeKind {
    fn drop(&mut self) {
        let mut pending: Vec<Node> = Vec::new();
        take_children(self, &mut pending);
        while let Some(mut node) = pending.pop() {
            take_children(&mut node.kind, &mut pending);
        }
    }
}

fn take_children(kind: &mut NodeKind, pending: &mut Vec<Node>) {
    match kind {
        NodeKind::Seq(items) => pending.append(items),
        NodeKind::Map(entries) => pending.extend(entries.drain(..).map(|entry| entry.value)),
        _ => {}
    }
}

/// A problem found while reading a document. `fatal` ones leave no tree.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    pub message: String,
    pub span: Span,
}

/// A parsed document: its tree (absent when parsing failed) and every problem found.
#[derive(Debug, Default)]
pub struct Parsed {
    pub root: Option<Node>,
    pub errors: Vec<ParseError>,
    /// Keys repeated in one mapping. The document still loads, the last value winning, as
    /// CloudFormation and most JSON and YAML loaders do: an authoring mistake, not an error.
    pub duplicates: Vec<ParseError>,
    pub comments: Vec<crate::parse::Comment>,
}

/// The long form of a CloudFormation short-form tag (`Ref` for `!Ref`, `Fn::If` for `!If`).
pub fn long_form_of_tag(tag: &str) -> Option<&'static str> {
    Some(match tag {
        "Ref" => "Ref",
        "Condition" => "Condition",
        "Sub" => "Fn::Sub",
        "GetAtt" => "Fn::GetAtt",
        "If" => "Fn::If",
        "Join" => "Fn::Join",
        "Select" => "Fn::Select",
        "Split" => "Fn::Split",
        "FindInMap" => "Fn::FindInMap",
        "Base64" => "Fn::Base64",
        "Cidr" => "Fn::Cidr",
        "ImportValue" => "Fn::ImportValue",
        "Equals" => "Fn::Equals",
        "And" => "Fn::And",
        "Or" => "Fn::Or",
        "Not" => "Fn::Not",
        "GetAZs" => "Fn::GetAZs",
        "Transform" => "Fn::Transform",
        "Length" => "Fn::Length",
        "ToJsonString" => "Fn::ToJsonString",
        "ForEach" => "Fn::ForEach",
        "FindInMapWithDefault" => "Fn::FindInMap",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn at(start: usize) -> Span {
        Span::new(FileId(0), start, start + 1)
    }

    fn entry(key: &str, start: usize) -> Entry {
        let span = at(start);
        Entry {
            key: key.into(),
            key_span: span,
            value: Node::new(span, NodeKind::Null),
        }
    }

    #[test]
    fn depth_and_count_walk_sequences_and_maps() {
        let scalar = Node::new(at(0), NodeKind::Null);
        let map = Node::new(at(0), NodeKind::Map(vec![entry("k", 1)]));
        let seq = Node::new(
            at(0),
            NodeKind::Seq(vec![map, Node::new(at(2), NodeKind::Null)]),
        );
        assert_eq!(scalar.depth(), 0);
        assert_eq!(seq.depth(), 2);
        assert_eq!(seq.count(), 4);
    }

    #[test]
    fn duplicates_are_found_in_small_and_large_maps() {
        for size in [3usize, 40] {
            let mut keys = KeyIndex::default();
            let mut entries = Vec::new();
            for i in 0..size {
                let name = format!("k{i}");
                assert_eq!(keys.earlier(&entries, &name, at(i)), None);
                entries.push(entry(&name, i));
            }
            let again = keys.earlier(&entries, "k1", at(99));
            assert_eq!(again, Some(at(1)), "size {size}");
            let last = format!("k{}", size - 1);
            assert!(keys.earlier(&entries, &last, at(99)).is_some());
        }
    }
}
