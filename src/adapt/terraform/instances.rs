//! The instances a resource's `count` or `for_each` creates, and what `count.index`, `each.key`
//! and `each.value` are in each (RULES.md 2.2): Known 0 or empty = no instance; Known = one
//! instance per element, in Terraform's order; anything not fully known = one instance standing
//! for all of them, its bindings Unknown.

use crate::text::Text;
use std::collections::BTreeMap;

use super::eval::{Bindings, Evaluator, origin, span_of_expr};
use super::module::BlockRef;
use crate::adapt::val::{Field, Val, ValKind, as_integer, conditional_branches};
use crate::model::UnknownReason;
use crate::source::Span;

/// At most this many instances are evaluated per resource; a Known `count`/`for_each` beyond it
/// is linted as one instance with Unknown bindings. Each instance is a full evaluation of the
/// body, so the bound keeps memory and time linear in the input on hostile files
/// (`count = 1000000`), while real configurations rarely expand a resource further.
pub const MAX_INSTANCES: usize = 32;

/// Value nodes the instances after the first may add to one module, all resources together.
/// The per-resource cap alone still multiplies a large body (a `dynamic` block over a huge list)
/// by 32; beyond this budget a resource is linted as one instance with Unknown bindings, at the
/// cost of one more evaluation.
pub const MAX_EXTRA_NODES: usize = 1_000_000;

/// What is left of [`MAX_EXTRA_NODES`] in a module.
pub struct Budget {
    left: usize,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            left: MAX_EXTRA_NODES,
        }
    }
}

impl Budget {
    pub fn has(&self, nodes: usize) -> bool {
        nodes <= self.left
    }

    /// Takes `nodes` from the budget if it has them.
    pub fn take(&mut self, nodes: usize) -> bool {
        match self.left.checked_sub(nodes) {
            Some(left) => {
                self.left = left;
                true
            }
            None => false,
        }
    }
}

/// The bindings of the one instance standing for all: `count.index` and `each.*` Unknown.
pub fn unknown_bindings(block: BlockRef) -> Bindings {
    let body = &block.block.body;
    let header = block.header();
    let mut bindings = Bindings::default();
    if body.get_attribute("count").is_some() {
        bindings = unknown_count(header);
    }
    if body.get_attribute("for_each").is_some() {
        bindings = bindings.with("each", unknown_each(header));
    }
    bindings
}

/// What a resource's `count`/`for_each` creates.
pub enum Expansion {
    /// Known to create no instance.
    Nothing,
    /// One instance standing for however many there are: bindings Unknown. `exists_when` is the
    /// meta-argument as written when the resource may not exist at all (RULES.md 2.4).
    Single {
        bindings: Bindings,
        exists_when: Option<Text>,
    },
    /// Known instances, in Terraform's order (indexes ascending, keys sorted).
    Each(Vec<Instance>),
}

pub struct Instance {
    pub key: Key,
    pub bindings: Bindings,
}

/// The key of an instance in its address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Key {
    /// `count`: `[0]`.
    Index(usize),
    /// `for_each`: `["name"]`.
    Name(Text),
}

impl Key {
    /// The address suffix: `[1]`, `["ssh"]`.
    pub fn suffix(&self) -> String {
        match self {
            Key::Index(index) => format!("[{index}]"),
            Key::Name(name) => quoted(name),
        }
    }
}

/// The address suffix an index expression selects (`b[0]`, `b["x"]`), when it is Known.
pub fn index_suffix(index: &Val) -> Option<String> {
    match &index.kind {
        ValKind::Number(_) => {
            let index = usize::try_from(as_integer(index)?).ok()?;
            Some(Key::Index(index).suffix())
        }
        ValKind::String(name) => Some(quoted(name)),
        _ => None,
    }
}

/// `["name"]` with the quotes and backslashes in `name` escaped as in Terraform addresses.
fn quoted(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    out.push_str("[\"");
    for c in name.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out.push_str("\"]");
    out
}

/// The instances `block` creates.
pub fn expand(evaluator: &Evaluator, block: BlockRef) -> Expansion {
    expand_at(evaluator, block, 0)
}

/// `depth` counts resources followed through `for_each = <resource>`: one step only, so chains
/// and cycles of such references end at once.
fn expand_at(evaluator: &Evaluator, block: BlockRef, depth: usize) -> Expansion {
    let body = &block.block.body;
    match (body.get_attribute("count"), body.get_attribute("for_each")) {
        (None, None) => Expansion::Single {
            bindings: Bindings::default(),
            exists_when: None,
        },
        (Some(count), None) => by_count(evaluator, block, &count.value),
        (None, Some(for_each)) => by_for_each(evaluator, block, &for_each.value, depth),
        // Terraform rejects both; lint one instance, as existing unless one is known empty.
        (Some(count), Some(for_each)) => {
            let by_count = by_count(evaluator, block, &count.value);
            let by_for_each = by_for_each(evaluator, block, &for_each.value, depth);
            if matches!(by_count, Expansion::Nothing) || matches!(by_for_each, Expansion::Nothing) {
                return Expansion::Nothing;
            }
            let exists_when = [by_count, by_for_each].into_iter().find_map(|e| match e {
                Expansion::Single { exists_when, .. } => exists_when,
                _ => None,
            });
            let header = block.header();
            Expansion::Single {
                bindings: unknown_count(header).with("each", unknown_each(header)),
                exists_when,
            }
        }
    }
}

fn by_count(
    evaluator: &Evaluator,
    block: BlockRef,
    expr: &hcl_edit::expr::Expression,
) -> Expansion {
    let header = block.header();
    let span = span_of_expr(block.file, expr);
    let count = evaluator.eval(expr, block.file, &Bindings::default());
    match as_integer(&count) {
        Some(0) => Expansion::Nothing,
        Some(n) => match usize::try_from(n) {
            Ok(n) if n <= MAX_INSTANCES => Expansion::Each(
                (0..n)
                    .map(|index| Instance {
                        key: Key::Index(index),
                        bindings: Bindings::default().with(
                            "count",
                            object(
                                vec![(
                                    "index",
                                    Val::new(ValKind::Number(index.to_string().into()), span),
                                    span,
                                )],
                                header,
                            ),
                        ),
                    })
                    .collect(),
            ),
            // Beyond the cap (or negative, which Terraform rejects): known to exist.
            _ => Expansion::Single {
                bindings: unknown_count(header),
                exists_when: None,
            },
        },
        // `var.enabled ? length(var.cidrs) : 0` with no CIDRs: no instance whichever branch.
        None if every_branch(&count, |branch| as_integer(branch) == Some(0)) => Expansion::Nothing,
        None => Expansion::Single {
            bindings: assume_existence(evaluator, unknown_count(header), &count, |branch| {
                as_integer(branch) == Some(0)
            }),
            exists_when: Some(written(evaluator, "count", span)),
        },
    }
}

/// `c ? x : 0` (or `c ? x : []`): an instance exists only when `c` holds, so inside it `c` is
/// assumed to (`none` tells a branch that makes no instance). Only a condition written in this
/// module: a count a caller passes in (`count = var.n`, `n = var.on ? 1 : 0`) names the caller's
/// `var.on`, which this module's `var.on` need not equal.
fn assume_existence(
    evaluator: &Evaluator,
    bindings: Bindings,
    value: &Val,
    none: impl Fn(&Val) -> bool,
) -> Bindings {
    if !evaluator.module.declares(origin(value).file) {
        return bindings;
    }
    let ValKind::Conditional {
        condition,
        when_true,
        when_false,
    } = &value.kind
    else {
        return bindings;
    };
    match (none(when_true), none(when_false)) {
        (false, true) => bindings.assuming(condition, true),
        (true, false) => bindings.assuming(condition, false),
        _ => bindings,
    }
}

fn by_for_each(
    evaluator: &Evaluator,
    block: BlockRef,
    expr: &hcl_edit::expr::Expression,
    depth: usize,
) -> Expansion {
    let header = block.header();
    let span = span_of_expr(block.file, expr);
    let collection = evaluator.eval(expr, block.file, &Bindings::default());
    let unknown = || Expansion::Single {
        bindings: assume_existence(
            evaluator,
            Bindings::default().with("each", unknown_each(header)),
            &collection,
            is_empty_collection,
        ),
        exists_when: Some(written(evaluator, "for_each", span)),
    };
    let entries: Vec<(Text, Val, Val)> = match &collection.kind {
        ValKind::Object(fields) => {
            // Duplicate keys: the last one wins, as when reading the object.
            let mut sorted = BTreeMap::new();
            for field in fields {
                if unresolved_key(evaluator, field) {
                    return unknown();
                }
                let key = Val::new(ValKind::String(field.key.clone()), field.key_span);
                sorted.insert(field.key.clone(), (key, field.value.clone()));
            }
            sorted
                .into_iter()
                .map(|(k, (key, v))| (k, key, v))
                .collect()
        }
        ValKind::List(items) => {
            // A set of strings: every element must be known.
            let mut sorted = BTreeMap::new();
            for item in items {
                let Some(text) = set_element(item) else {
                    return unknown();
                };
                sorted.entry(text).or_insert(item);
            }
            sorted
                .into_iter()
                .map(|(text, item)| {
                    let element = Val {
                        kind: ValKind::String(text.clone()),
                        ..item.clone()
                    };
                    (text, element.clone(), element)
                })
                .collect()
        }
        ValKind::Link { target, attribute } if attribute.is_empty() && depth == 0 => {
            return over_resource(evaluator, block, target, span, depth).unwrap_or_else(unknown);
        }
        // Terraform rejects a null `for_each`: no instance is ever created from it.
        ValKind::Null => return Expansion::Nothing,
        ValKind::Conditional { .. } if every_branch(&collection, is_empty_collection) => {
            return Expansion::Nothing;
        }
        _ => return unknown(),
    };
    if entries.is_empty() {
        return Expansion::Nothing;
    }
    if entries.len() > MAX_INSTANCES {
        return Expansion::Single {
            bindings: Bindings::default().with("each", unknown_each(header)),
            exists_when: None,
        };
    }
    Expansion::Each(
        entries
            .into_iter()
            .map(|(name, key, value)| Instance {
                key: Key::Name(name),
                bindings: Bindings::default().with("each", each(key, value, header)),
            })
            .collect(),
    )
}

/// `for_each = aws_s3_bucket.b`: one instance per instance of that resource, `each.value` a link
/// to it; `None` when that resource's instances are not known by key.
fn over_resource(
    evaluator: &Evaluator,
    block: BlockRef,
    target: &str,
    span: Span,
    depth: usize,
) -> Option<Expansion> {
    let (resource_type, name) = target.split_once('.')?;
    let referenced = evaluator.module.resource(resource_type, name)?;
    let header = block.header();
    let instances = match expand_at(evaluator, referenced, depth + 1) {
        Expansion::Nothing => return Some(Expansion::Nothing),
        // A `for_each` not known: that resource is linted as one instance standing for all of
        // its own, and so is this one, one per instance of it: `each.value` is a link to it
        // (which instance is not known), and this one exists exactly when that one does. With
        // `count` that resource is a list, which `for_each` rejects.
        Expansion::Single { exists_when, .. } => {
            let body = &referenced.block.body;
            if body.get_attribute("for_each").is_none() || body.get_attribute("count").is_some() {
                return None;
            }
            let key = Val::unknown(UnknownReason::Reference("each.key".into()), span);
            let value = Val::new(
                ValKind::Link {
                    target: target.into(),
                    attribute: "".into(),
                },
                span,
            );
            return Some(Expansion::Single {
                bindings: Bindings::default().with("each", each(key, value, header)),
                exists_when,
            });
        }
        Expansion::Each(instances) => instances,
    };
    let mut out = Vec::with_capacity(instances.len());
    for instance in instances {
        let Key::Name(name) = &instance.key else {
            // A resource with `count` is a list, which `for_each` rejects.
            return None;
        };
        let key = Val::new(ValKind::String(name.clone()), span);
        let value = Val::new(
            ValKind::Link {
                target: format!("{target}{}", instance.key.suffix()).into(),
                attribute: "".into(),
            },
            span,
        );
        out.push(Instance {
            key: instance.key,
            bindings: Bindings::default().with("each", each(key, value, header)),
        });
    }
    Some(Expansion::Each(out))
}

/// Whether `test` holds for each branch of an undecided conditional (the value itself if none):
/// then the outcome does not depend on the condition (RULES.md 2.4).
fn every_branch(value: &Val, test: impl Fn(&Val) -> bool) -> bool {
    conditional_branches(value)
        .into_iter()
        .all(|(_, branch)| test(branch))
}

/// A collection making no instance: empty, or null, which Terraform rejects as a `for_each`
/// (`var.x != null ? var.x : {}` with `x` null makes none in either branch).
fn is_empty_collection(value: &Val) -> bool {
    match &value.kind {
        ValKind::List(items) => items.is_empty(),
        ValKind::Object(fields) => fields.is_empty(),
        ValKind::Null => true,
        _ => false,
    }
}

/// A key the evaluator could not resolve (`{ (var.x) = ... }`) is named by its source text, an
/// expression: never an identifier (which is its own text) nor a quoted string.
fn unresolved_key(evaluator: &Evaluator, field: &Field) -> bool {
    let identifier = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    evaluator.source(field.key_span).trim() == &*field.key && !field.key.chars().all(identifier)
}

/// A Known element of a set of strings (numbers and booleans convert), else `None`.
fn set_element(item: &Val) -> Option<Text> {
    match &item.kind {
        ValKind::String(text) | ValKind::Number(text) => Some(text.clone()),
        ValKind::Bool(flag) => Some(flag.to_string().into()),
        _ => None,
    }
}

/// The meta-argument as written, to name it in messages: `count = var.n`.
fn written(evaluator: &Evaluator, name: &str, span: Span) -> Text {
    format!("{name} = {}", evaluator.source(span).trim()).into()
}

fn unknown_count(header: Span) -> Bindings {
    let index = Val::unknown(UnknownReason::Reference("count.index".into()), header);
    Bindings::default().with("count", object(vec![("index", index, header)], header))
}

fn unknown_each(header: Span) -> Val {
    let key = Val::unknown(UnknownReason::Reference("each.key".into()), header);
    let value = Val::unknown(UnknownReason::Reference("each.value".into()), header);
    object(vec![("key", key, header), ("value", value, header)], header)
}

fn each(key: Val, value: Val, header: Span) -> Val {
    let (key_span, value_span) = (key.span, value.span);
    object(
        vec![("key", key, key_span), ("value", value, value_span)],
        header,
    )
}

fn object(fields: Vec<(&str, Val, Span)>, span: Span) -> Val {
    Val::new(
        ValKind::Object(
            fields
                .into_iter()
                .map(|(key, value, key_span)| Field {
                    key: key.into(),
                    key_span,
                    value,
                    is_block: false,
                })
                .collect(),
        ),
        span,
    )
}

#[cfg(test)]
mod tests {
    use foldhash::HashMap;
    use std::sync::Arc;

    use super::*;
    use crate::adapt::terraform::module::{Module, TfFile};
    use crate::source::FileId;

    fn file(text: &str) -> TfFile {
        TfFile {
            id: FileId(0),
            text: Arc::from(text),
            body: crate::parse::hcl::parse_hcl(text, FileId(0)).expect("valid HCL"),
        }
    }

    /// Instance key (`None`: one standing for all) and its body's `v` as text (`?`: unknown).
    type Read = Vec<(Option<String>, String)>;

    /// Every instance of the last resource, and when it may not exist.
    fn instances(text: &str) -> (Read, Option<Text>) {
        let files = [file(text)];
        let module = Module::index(&files, &[]);
        let texts = HashMap::from_iter([(FileId(0), text)]);
        let evaluator = Evaluator::new(&module, texts, None);
        let block = *module.resources.last().expect("a resource");
        let read = |bindings: &Bindings| {
            let body = evaluator.body(&block.block.body, block.file, block.header(), bindings);
            match body.get("v") {
                Some(Val {
                    kind: ValKind::Link { target, .. },
                    ..
                }) => format!("link {target}"),
                Some(value) => value.scalar_text().unwrap_or_else(|| "?".into()),
                None => "-".into(),
            }
        };
        match expand(&evaluator, block) {
            Expansion::Nothing => (Vec::new(), None),
            Expansion::Single {
                bindings,
                exists_when,
            } => (vec![(None, read(&bindings))], exists_when),
            Expansion::Each(each) => (
                each.iter()
                    .map(|one| (Some(one.key.suffix()), read(&one.bindings)))
                    .collect(),
                None,
            ),
        }
    }

    fn keyed(pairs: &[(&str, &str)]) -> Read {
        pairs
            .iter()
            .map(|(k, v)| (Some(k.to_string()), v.to_string()))
            .collect()
    }

    #[test]
    fn known_count_gives_one_instance_per_index() {
        let (each, exists_when) =
            instances("resource \"t\" \"r\" {\n  count = 2\n  v = count.index\n}\n");
        assert_eq!(each, keyed(&[("[0]", "0"), ("[1]", "1")]));
        assert_eq!(exists_when, None);
    }

    #[test]
    fn count_zero_or_empty_for_each_creates_nothing() {
        for text in [
            "resource \"t\" \"r\" {\n  count = 0\n}\n",
            "resource \"t\" \"r\" {\n  for_each = toset([])\n}\n",
            "resource \"t\" \"r\" {\n  for_each = {}\n}\n",
            // Both branches create none.
            "resource \"t\" \"r\" {\n  count = var.on ? length([]) : 0\n}\n",
            "resource \"t\" \"r\" {\n  for_each = var.on ? {} : toset([])\n}\n",
        ] {
            assert!(instances(text).0.is_empty(), "{text}");
        }
    }

    #[test]
    fn null_for_each_creates_nothing_nor_a_dynamic_block() {
        let null = "variable \"x\" {\n  default = null\n}\n";
        for resource in [
            "resource \"t\" \"r\" {\n  for_each = var.x\n}\n",
            "resource \"t\" \"r\" {\n  for_each = var.x != null ? var.x : {}\n}\n",
            "resource \"t\" \"r\" {\n  for_each = var.x == null ? [] : var.x\n}\n",
        ] {
            let text = format!("{null}{resource}");
            assert!(instances(&text).0.is_empty(), "{text}");
        }
        // Terraform rejects a null `for_each` in a `dynamic` block too: no block in that branch.
        let text = format!(
            "{null}resource \"t\" \"r\" {{\n  dynamic \"v\" {{\n    for_each = var.x != null ? var.x : []\n    content {{}}\n  }}\n}}\n"
        );
        assert_eq!(instances(&text).0, vec![(None, "-".to_string())]);
    }

    #[test]
    fn unknown_count_is_one_instance_that_may_not_exist() {
        let (each, exists_when) = instances(
            "variable \"n\" {}\nresource \"t\" \"r\" {\n  count = var.n\n  v = count.index\n}\n",
        );
        assert_eq!(each, vec![(None, "?".to_string())]);
        assert_eq!(exists_when.as_deref(), Some("count = var.n"));
    }

    #[test]
    fn beyond_the_cap_is_one_existing_instance_with_unknown_bindings() {
        let (each, exists_when) =
            instances("resource \"t\" \"r\" {\n  count = 1000000\n  v = count.index\n}\n");
        assert_eq!(each, vec![(None, "?".to_string())]);
        assert_eq!(exists_when, None);
        let keys: Vec<String> = (0..=MAX_INSTANCES).map(|i| format!("\"k{i}\"")).collect();
        let text = format!(
            "resource \"t\" \"r\" {{\n  for_each = toset([{}])\n  v = each.key\n}}\n",
            keys.join(", ")
        );
        assert_eq!(instances(&text).0, vec![(None, "?".to_string())]);
    }

    #[test]
    fn map_keys_are_sorted_and_merged_duplicates_keep_the_last() {
        let text = "locals {\n  m = merge({ b = \"2\", a = \"1\" }, { b = \"3\" })\n}\nresource \"t\" \"r\" {\n  for_each = local.m\n  v = \"${each.key}=${each.value}\"\n}\n";
        assert_eq!(
            instances(text).0,
            keyed(&[("[\"a\"]", "a=1"), ("[\"b\"]", "b=3")])
        );
    }

    #[test]
    fn sets_are_sorted_and_deduplicated_each_key_is_each_value() {
        let text = "resource \"t\" \"r\" {\n  for_each = toset([\"web\", \"app\", \"web\"])\n  v = \"${each.key}/${each.value}\"\n}\n";
        assert_eq!(
            instances(text).0,
            keyed(&[("[\"app\"]", "app/app"), ("[\"web\"]", "web/web")])
        );
    }

    #[test]
    fn a_partly_unknown_set_is_one_instance_that_may_not_exist() {
        let text = "variable \"x\" {}\nresource \"t\" \"r\" {\n  for_each = toset([\"a\", var.x])\n  v = each.value\n}\n";
        let (each, exists_when) = instances(text);
        assert_eq!(each, vec![(None, "?".to_string())]);
        assert_eq!(
            exists_when.as_deref(),
            Some("for_each = toset([\"a\", var.x])")
        );
    }

    #[test]
    fn a_map_value_may_be_unknown_its_key_is_known() {
        let text = "variable \"x\" {}\nresource \"t\" \"r\" {\n  for_each = { a = var.x, b = \"0.0.0.0/0\" }\n  v = each.value\n}\n";
        assert_eq!(
            instances(text).0,
            keyed(&[("[\"a\"]", "?"), ("[\"b\"]", "0.0.0.0/0")])
        );
    }

    #[test]
    fn a_map_with_an_unresolved_key_is_one_instance() {
        let text = "variable \"x\" {}\nresource \"t\" \"r\" {\n  for_each = { (var.x) = 1, \"a.b\" = 2, c-d = 3 }\n  v = each.key\n}\n";
        let (each, exists_when) = instances(text);
        assert_eq!(each, vec![(None, "?".to_string())]);
        assert!(exists_when.is_some());
        let text =
            "resource \"t\" \"r\" {\n  for_each = { \"a.b\" = 2, c-d = 3 }\n  v = each.key\n}\n";
        assert_eq!(
            instances(text).0,
            keyed(&[("[\"a.b\"]", "a.b"), ("[\"c-d\"]", "c-d")])
        );
    }

    #[test]
    fn for_each_over_a_resource_follows_its_instances() {
        let text = "resource \"aws_s3_bucket\" \"b\" {\n  for_each = toset([\"x\", \"y\"])\n}\nresource \"t\" \"r\" {\n  for_each = aws_s3_bucket.b\n  v = each.value.id\n}\n";
        assert_eq!(
            instances(text).0,
            keyed(&[
                ("[\"x\"]", "link aws_s3_bucket.b[\"x\"]"),
                ("[\"y\"]", "link aws_s3_bucket.b[\"y\"]"),
            ])
        );
        // Not known by key: one instance, as before.
        let text = "variable \"n\" {}\nresource \"aws_s3_bucket\" \"b\" {\n  count = 2\n}\nresource \"t\" \"r\" {\n  for_each = aws_s3_bucket.b\n  v = each.value.id\n}\n";
        let (each, exists_when) = instances(text);
        assert_eq!(each, vec![(None, "?".to_string())]);
        assert!(exists_when.is_some());
    }

    #[test]
    fn resources_iterating_over_each_other_end() {
        let text = "resource \"t\" \"a\" {\n  for_each = t.b\n}\nresource \"t\" \"b\" {\n  for_each = t.a\n  v = each.key\n}\n";
        assert_eq!(instances(text).0, vec![(None, "?".to_string())]);
    }

    #[test]
    fn for_each_over_a_resource_of_unknown_instances_links_to_it() {
        let text = "variable \"names\" {}\nresource \"aws_s3_bucket\" \"b\" {\n  for_each = var.names\n}\nresource \"t\" \"r\" {\n  for_each = aws_s3_bucket.b\n  v = each.value.id\n}\n";
        let (each, exists_when) = instances(text);
        assert_eq!(each, vec![(None, "link aws_s3_bucket.b".to_string())]);
        // Exactly when the bucket exists: the bucket's own `for_each`.
        assert_eq!(exists_when.as_deref(), Some("for_each = var.names"));
    }

    #[test]
    fn indexes_into_instances_name_them() {
        let text = "resource \"aws_s3_bucket\" \"b\" {\n  count = 2\n}\nresource \"t\" \"r\" {\n  count = 2\n  v = aws_s3_bucket.b[count.index].id\n}\n";
        assert_eq!(
            instances(text).0,
            keyed(&[
                ("[0]", "link aws_s3_bucket.b[0]"),
                ("[1]", "link aws_s3_bucket.b[1]"),
            ])
        );
        let text = "variable \"i\" {}\nresource \"t\" \"r\" {\n  v = aws_s3_bucket.b[var.i].id\n}\nresource \"aws_s3_bucket\" \"b\" {}\nresource \"t\" \"s\" {\n  v = aws_s3_bucket.b[var.i].id\n}\n";
        assert_eq!(
            instances(text).0,
            vec![(None, "link aws_s3_bucket.b".to_string())]
        );
    }

    #[test]
    fn the_budget_counts_value_nodes() {
        let at = Span::new(FileId(0), 0, 0);
        let leaf = || Val::new(ValKind::Bool(true), at);
        let list = Val::new(ValKind::List(vec![leaf(), leaf()]), at);
        let object = object(vec![("a", list, at), ("b", leaf(), at)], at);
        assert_eq!(object.node_count(), 5);
        let mut budget = Budget::default();
        assert!(budget.has(MAX_EXTRA_NODES));
        assert!(budget.take(MAX_EXTRA_NODES - 1));
        assert!(!budget.take(2));
        assert!(budget.take(1));
        assert!(!budget.has(1));
    }

    #[test]
    fn keys_are_quoted_as_in_terraform_addresses() {
        assert_eq!(
            Key::Name("a\"b\\c\n".into()).suffix(),
            "[\"a\\\"b\\\\c\\n\"]"
        );
        assert_eq!(Key::Index(3).suffix(), "[3]");
        let at = Span::new(crate::source::FileId(0), 0, 0);
        assert_eq!(
            index_suffix(&Val::new(ValKind::Number("-1".into()), at)),
            None
        );
        assert_eq!(
            index_suffix(&Val::new(ValKind::Number("1.5".into()), at)),
            None
        );
    }
}
