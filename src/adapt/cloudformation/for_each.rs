//! The resources a template declares, `Fn::ForEach` loops (the `AWS::LanguageExtensions`
//! transform) expanded: `"Fn::ForEach::Name": [Identifier, Collection, {"Key${Identifier}": ...}]`
//! makes one resource per collection value, `${Identifier}`/`&{Identifier}` in its key and
//! `Ref Identifier`/`${Identifier}` in its body replaced by that value. As Terraform's `for_each`
//! (RULES.md 2.2): a Known empty collection makes nothing; a Known one, one resource per value;
//! any other, one resource standing for all, its identifier Unknown, linted as existing.

use crate::adapt::val::{Val, ValKind};
use crate::model::UnknownReason;
use crate::parse::{Entry, Node};
use crate::source::Span;
use crate::text::Text;

use super::intrinsics::Template;

/// The prefix of a loop's key under `Resources`.
const LOOP_PREFIX: &str = "Fn::ForEach::";

/// How deep loops may nest in loops; deeper ones are not read (CloudFormation allows five).
const MAX_LOOP_NESTING: usize = 8;

/// Resources that loops may make in one template, all loops together. Each is resolved and
/// linted in full, so the bound keeps the work linear in the input on hostile templates (loops
/// in loops over long lists); a loop beyond it is read as one resource with its identifier
/// Unknown.
const MAX_LOOP_RESOURCES: usize = 1024;

/// One resource of the template: written under `Resources`, or made by a loop for one value.
#[derive(Debug)]
pub struct Declared<'a> {
    pub logical_id: Text,
    pub key_span: Span,
    pub body: &'a Node,
    /// The identifiers of the loops making it, outermost first, with their values for it.
    pub loop_values: Vec<(Text, Val)>,
    /// The loop as written (`Fn::ForEach::Buckets`) when its collection is not Known, so the
    /// resource may not exist at all.
    pub exists_when: Option<Text>,
}

/// Every resource under `resources`, in the order written, loops expanded.
pub fn declared<'a>(template: &Template<'a>, resources: &'a Node) -> Vec<Declared<'a>> {
    let mut walk = Walk {
        template,
        out: Vec::new(),
        budget: MAX_LOOP_RESOURCES,
    };
    walk.fragment(resources, &[], None, 0);
    walk.out
}

struct Walk<'t, 'a> {
    template: &'t Template<'a>,
    out: Vec<Declared<'a>>,
    budget: usize,
}

impl<'a> Walk<'_, 'a> {
    /// The resources of one map of logical ids, inside the loops `bound`.
    fn fragment(
        &mut self,
        resources: &'a Node,
        bound: &[(Text, Val)],
        exists_when: Option<&Text>,
        nesting: usize,
    ) {
        for entry in resources.as_map().unwrap_or(&[]) {
            if !entry.key.starts_with(LOOP_PREFIX) {
                self.out.push(Declared {
                    logical_id: substituted(&entry.key, bound),
                    key_span: entry.key_span,
                    body: &entry.value,
                    loop_values: bound.to_vec(),
                    exists_when: exists_when.cloned(),
                });
                continue;
            }
            let parts = entry.value.as_seq().unwrap_or(&[]);
            let (Some(identifier), Some(collection), Some(inner), true) = (
                parts.first().and_then(Node::as_str),
                parts.get(1),
                parts.get(2),
                nesting < MAX_LOOP_NESTING,
            ) else {
                continue;
            };
            let values = self
                .template
                .with_loop_values(bound, || self.template.resolve(collection));
            let members = match &values.kind {
                ValKind::List(items) => items
                    .iter()
                    .map(|item| item.scalar_text().map(|_| item.clone()))
                    .collect::<Option<Vec<Val>>>(),
                _ => None,
            };
            match members {
                Some(members) if self.budget >= members.len() => {
                    self.budget -= members.len();
                    for member in members {
                        let mut inside = bound.to_vec();
                        inside.push((identifier.into(), member));
                        self.fragment(inner, &inside, exists_when, nesting + 1);
                    }
                }
                _ => {
                    let mut inside = bound.to_vec();
                    // Why the collection is not known is why each of its values is not.
                    let reason = values
                        .unknown_reason()
                        .unwrap_or(UnknownReason::Intrinsic("Fn::ForEach"));
                    let unknown = Val::unknown(reason, values.span);
                    inside.push((identifier.into(), unknown));
                    let written = Text::from(&*entry.key);
                    let exists_when = exists_when.cloned().unwrap_or(written);
                    self.fragment(inner, &inside, Some(&exists_when), nesting + 1);
                }
            }
        }
    }
}

/// Every resource entry as written under `resources`, those in loop fragments included, each
/// once: what a resource's `Metadata` suppressions cover.
pub fn written_resources(resources: &Node) -> Vec<&Entry> {
    fn walk<'n>(resources: &'n Node, nesting: usize, out: &mut Vec<&'n Entry>) {
        for entry in resources.as_map().unwrap_or(&[]) {
            if !entry.key.starts_with(LOOP_PREFIX) {
                out.push(entry);
            } else if nesting < MAX_LOOP_NESTING
                && let Some(fragment) = entry.value.as_seq().and_then(|parts| parts.get(2))
            {
                walk(fragment, nesting + 1, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(resources, 0, &mut out);
    out
}

/// A logical id with each `${Identifier}` replaced by the loop value, and each `&{Identifier}` by
/// its letters and digits only (logical ids are alphanumeric); Unknown values stay as written.
fn substituted(key: &str, bound: &[(Text, Val)]) -> Text {
    let mut id = key.to_string();
    for (identifier, value) in bound {
        let Some(text) = value.scalar_text() else {
            continue;
        };
        let alphanumeric: String = text.chars().filter(char::is_ascii_alphanumeric).collect();
        id = id
            .replace(&format!("${{{identifier}}}"), &text)
            .replace(&format!("&{{{identifier}}}"), &alphanumeric);
    }
    id.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::json::parse_json;
    use crate::source::FileId;

    fn ids(template: &str) -> Vec<(String, Option<String>)> {
        let Some(root) = parse_json(template, FileId(0), 0).root else {
            panic!("valid JSON");
        };
        let template = Template::read(&root);
        template
            .declared
            .iter()
            .map(|d| {
                (
                    d.logical_id.to_string(),
                    d.exists_when.as_ref().map(|w| w.to_string()),
                )
            })
            .collect()
    }

    #[test]
    fn known_collections_make_one_resource_per_value() {
        let declared = ids(
            r#"{"Resources": {"Plain": {"Type": "AWS::S3::Bucket"}, "Fn::ForEach::L": ["Name", ["a", "b-c"], {"Bucket${Name}": {"Type": "AWS::S3::Bucket"}, "Q&{Name}": {"Type": "AWS::SQS::Queue"}}]}}"#,
        );
        let expected = ["Plain", "Bucketa", "Qa", "Bucketb-c", "Qbc"];
        let got: Vec<&str> = declared.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(got, expected);
        assert!(declared.iter().all(|(_, when)| when.is_none()));
    }

    #[test]
    fn list_parameters_with_defaults_and_nested_loops_expand() {
        let declared = ids(
            r#"{"Parameters": {"P": {"Type": "CommaDelimitedList", "Default": "x, y"}}, "Resources": {"Fn::ForEach::A": ["A", {"Ref": "P"}, {"Fn::ForEach::B": ["B", ["1", "2"], {"R${A}${B}": {"Type": "AWS::S3::Bucket"}}]}]}}"#,
        );
        let got: Vec<&str> = declared.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(got, ["Rx1", "Rx2", "Ry1", "Ry2"]);
    }

    #[test]
    fn unknown_and_empty_collections() {
        let declared = ids(
            r#"{"Parameters": {"P": {"Type": "CommaDelimitedList"}}, "Resources": {"Fn::ForEach::A": ["A", {"Ref": "P"}, {"R${A}": {"Type": "AWS::S3::Bucket"}}], "Fn::ForEach::E": ["E", [], {"E${E}": {"Type": "AWS::S3::Bucket"}}]}}"#,
        );
        assert_eq!(
            declared,
            [("R${A}".to_string(), Some("Fn::ForEach::A".to_string()))]
        );
    }
}
