//! A resolved, located value tree: what an attribute or property evaluates to, with unknowns and
//! conditionals kept explicit. Terraform and CloudFormation adapters both produce it, so every
//! service adapter reads one shape whatever the format.

use crate::model::{Origin, UnknownReason, Value};
use crate::parse::limits::MAX_COPIED_WEIGHT;
use crate::parse::{Node, NodeKind};
use crate::source::Span;
use crate::text::Text;

#[derive(Clone, Debug, PartialEq)]
pub struct Val {
    pub kind: ValKind,
    pub span: Span,
    /// Where a variable, local or parameter value was written, when `span` is its use site.
    pub defined_at: Option<Span>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ValKind {
    Null,
    Bool(bool),
    /// A number as written.
    Number(Text),
    String(Text),
    /// A string with parts not known offline; the literal parts are kept.
    Template(Vec<Segment>),
    List(Vec<Val>),
    Object(Vec<Field>),
    Unknown(UnknownReason),
    /// `Ref: AWS::NoValue`: as if the property were not written.
    Absent,
    Conditional {
        condition: Text,
        when_true: Box<Val>,
        when_false: Box<Val>,
    },
    /// A reference to a resource of the same unit (`aws_s3_bucket.b.id`, `Ref: Bucket`).
    Link {
        target: Text,
        attribute: Text,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Segment {
    Text(Text),
    Unknown(UnknownReason),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub key: Text,
    /// The key, or a nested block's header (type and labels).
    pub key_span: Span,
    pub value: Val,
    /// A Terraform nested block rather than an attribute.
    pub is_block: bool,
}

impl Field {
    /// Key and value: the span of a scalar attribute, or the whole nested block.
    pub fn span(&self) -> Span {
        self.key_span.cover(self.value.span)
    }
}

/// Weight of the values copied from where they are defined (variables, locals, module inputs,
/// parameter defaults, mappings) to where they are used, against `MAX_COPIED_WEIGHT` per unit.
#[derive(Debug, Default)]
pub struct CopyBudget {
    spent: std::cell::Cell<usize>,
}

impl CopyBudget {
    /// Charges a copy of `weight`; false once the budget is spent.
    pub fn spend(&self, weight: usize) -> bool {
        let total = self.spent.get().saturating_add(weight);
        self.spent.set(total);
        total <= MAX_COPIED_WEIGHT
    }
}

impl Val {
    pub fn new(kind: ValKind, span: Span) -> Val {
        Val {
            kind,
            span,
            defined_at: None,
        }
    }

    pub fn unknown(reason: UnknownReason, span: Span) -> Val {
        Val::new(ValKind::Unknown(reason), span)
    }

    pub fn fields(&self) -> &[Field] {
        match &self.kind {
            ValKind::Object(fields) => fields,
            _ => &[],
        }
    }

    /// The last field named `key` (attributes are unique; the last duplicate wins). Not written
    /// beside a CloudFormation function that adds fields (`Fn::Transform` of `AWS::Include`
    /// among a resource's properties): that function, Unknown, since it may supply `key`.
    pub fn field(&self, key: &str) -> Option<&Field> {
        let fields = self.fields();
        fields
            .iter()
            .rev()
            .find(|field| &*field.key == key)
            .or_else(|| fields.iter().find(|field| adds_fields(field)))
    }

    pub fn get(&self, key: &str) -> Option<&Val> {
        self.field(key).map(|field| &field.value)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            ValKind::String(text) => Some(text),
            _ => None,
        }
    }

    /// Nested blocks named `key`, plus the elements of an attribute `key = [{...}]`, in order.
    pub fn blocks<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Val> + 'a {
        self.blocks_when(key).into_iter().map(|(_, _, block)| block)
    }

    /// The nested blocks (or list elements) under `key`, each located at its header (an element
    /// at itself) with the conditions under which it exists: a `dynamic` block over a
    /// conditional collection exists in one branch only.
    pub fn blocks_when<'a>(&'a self, key: &str) -> Vec<(Span, Conditions, &'a Val)> {
        let mut out = Vec::new();
        for field in self.fields().iter().filter(|field| &*field.key == key) {
            match &field.value.kind {
                ValKind::List(items) if !field.is_block => {
                    out.extend(
                        items
                            .iter()
                            .map(|item| (item.span, Conditions::new(), item)),
                    );
                }
                _ if field.is_block => out.extend(
                    block_bodies(&field.value)
                        .into_iter()
                        .map(|(when, block)| (field.key_span, when, block)),
                ),
                _ => out.push((field.key_span, Conditions::new(), &field.value)),
            }
        }
        out
    }

    /// List elements, or the value itself when it is a single item; `Absent` yields nothing.
    pub fn items(&self) -> Vec<&Val> {
        match &self.kind {
            ValKind::List(items) => items.iter().filter(|item| !item.is_absent()).collect(),
            ValKind::Absent => Vec::new(),
            _ => vec![self],
        }
    }

    pub fn is_absent(&self) -> bool {
        matches!(self.kind, ValKind::Absent)
    }

    /// What a value past a size budget becomes.
    pub fn too_large(span: Span) -> Val {
        Val::unknown(
            UnknownReason::Unsupported("a value past the unit's size budget"),
            span,
        )
    }

    /// The values directly inside this one: list items, object fields, both branches of a
    /// conditional.
    /// Pushes the direct children onto `pending`, for walks that change a tree in place without
    /// recursing (trees may be as deep as their input allows).
    pub fn push_children_mut<'v>(&'v mut self, pending: &mut Vec<&'v mut Val>) {
        match &mut self.kind {
            ValKind::List(items) => pending.extend(items.iter_mut()),
            ValKind::Object(fields) => pending.extend(fields.iter_mut().map(|f| &mut f.value)),
            ValKind::Conditional {
                when_true,
                when_false,
                ..
            } => {
                pending.push(when_true);
                pending.push(when_false);
            }
            _ => {}
        }
    }

    pub fn children(&self) -> impl Iterator<Item = &Val> {
        let (items, fields, branches): (&[Val], &[Field], [Option<&Val>; 2]) = match &self.kind {
            ValKind::List(items) => (items, &[], [None, None]),
            ValKind::Object(fields) => (&[], fields, [None, None]),
            ValKind::Conditional {
                when_true,
                when_false,
                ..
            } => (&[], &[], [Some(when_true), Some(when_false)]),
            _ => (&[], &[], [None, None]),
        };
        items
            .iter()
            .chain(fields.iter().map(|field| &field.value))
            .chain(branches.into_iter().flatten())
    }

    /// How many value nodes this one holds, itself included, counted without recursion.
    pub fn node_count(&self) -> usize {
        let mut stack = vec![self];
        let mut count = 0;
        while let Some(val) = stack.pop() {
            count += 1;
            stack.extend(val.children());
        }
        count
    }

    /// Size for budgets: nodes plus string bytes / 16, counted without recursion.
    pub fn weight(&self) -> usize {
        let mut stack = vec![self];
        let mut weight = 0usize;
        while let Some(val) = stack.pop() {
            let own = match &val.kind {
                ValKind::String(text) | ValKind::Number(text) => text.len() / 16,
                ValKind::Template(segments) => segments.len(),
                _ => 0,
            };
            weight = weight.saturating_add(1).saturating_add(own);
            stack.extend(val.children());
        }
        weight
    }

    /// Levels of nesting (lists, objects, conditionals), counted without recursion.
    pub fn depth(&self) -> usize {
        let mut stack = vec![(self, 1)];
        let mut deepest = 0;
        while let Some((val, level)) = stack.pop() {
            deepest = deepest.max(level);
            stack.extend(val.children().map(|child| (child, level + 1)));
        }
        deepest
    }

    /// The value as known text when it is a plain string, number or boolean.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.kind {
            ValKind::String(text) => Some(text.to_string()),
            ValKind::Number(text) => Some(text.to_string()),
            ValKind::Bool(flag) => Some(flag.to_string()),
            _ => None,
        }
    }

    /// The texts a value not known offline may stand for, as a wildcard pattern: a template's
    /// literal parts with `*` for each part not known (`acme-*`), else `*`.
    pub fn wildcard_pattern(&self) -> Text {
        match self.unknown_reason() {
            Some(UnknownReason::Partial {
                literal,
                known_wildcard: false,
                ..
            }) => literal,
            _ => "*".into(),
        }
    }

    /// Unknown reason for values that are not plain data, or `None` for known data.
    pub fn unknown_reason(&self) -> Option<UnknownReason> {
        match &self.kind {
            ValKind::Unknown(reason) => Some(reason.clone()),
            ValKind::Link { target, attribute } => {
                // CloudFormation's `Ref B` is a link to `B`'s `Ref` attribute.
                let written = match &**attribute {
                    "Ref" => format!("Ref {target}"),
                    _ => format!("{target}.{attribute}"),
                };
                let reference = UnknownReason::Reference(written.into());
                // A resource's `arn` (`aws_iam_role.r.arn`, `Fn::GetAtt Role.Arn`, an origin
                // access identity's `iam_arn`) names that one resource: never `*` alone, every
                // resource, or a network; its widest value keeps the `arn:` prefix and a named
                // last field. Its S3 canonical user id is 64 hex digits: never `*` either.
                let partial = |literal: String| UnknownReason::Partial {
                    literal: literal.into(),
                    reason: Box::new(reference.clone()),
                    known_wildcard: false,
                    representative: None,
                };
                Some(match &**attribute {
                    arn if arn.eq_ignore_ascii_case("arn") || arn == "iam_arn" => {
                        partial(format!("arn:*:*:*:*:{target}"))
                    }
                    "S3CanonicalUserId" | "s3_canonical_user_id" => partial("?".repeat(64)),
                    _ => reference,
                })
            }
            ValKind::Template(segments) => {
                let reason = segments
                    .iter()
                    .find_map(|segment| match segment {
                        Segment::Unknown(reason) => Some(reason.clone()),
                        Segment::Text(_) => None,
                    })
                    .unwrap_or(UnknownReason::Unsupported("string template"));
                let literal: String = segments
                    .iter()
                    .map(|segment| match segment {
                        Segment::Text(text) => text,
                        Segment::Unknown(_) => "*",
                    })
                    .collect();
                let known_wildcard = segments.iter().any(
                    |segment| matches!(segment, Segment::Text(text) if text.contains(['*', '?'])),
                );
                Some(UnknownReason::Partial {
                    literal: literal.into(),
                    reason: Box::new(reason),
                    known_wildcard,
                    representative: representative(segments),
                })
            }
            _ => None,
        }
    }

    /// Converts this value with `convert`, keeping conditionals and unknowns as such. `span_of`
    /// gives the span of a known scalar; `absent` is the value an omitted property takes.
    pub fn to_value<T>(
        &self,
        span: Span,
        absent: &dyn Fn(Span) -> Value<T>,
        convert: &dyn Fn(&Val) -> Option<T>,
    ) -> Value<T> {
        self.branch_values(span, &|val, span| match &val.kind {
            ValKind::Absent => absent(val.span),
            // Terraform's `null` argument is the argument omitted: the AWS default, located where
            // the argument is written.
            ValKind::Null => absent(span),
            _ => {
                if let Some(reason) = val.unknown_reason() {
                    return Value::Unknown { reason, span };
                }
                match convert(val) {
                    Some(value) => Value::Known {
                        value,
                        origin: Origin::Explicit {
                            defined_at: val.defined_at,
                        },
                        span,
                    },
                    None => Value::Unknown {
                        reason: UnknownReason::Unsupported("a value of an unexpected type"),
                        span,
                    },
                }
            }
        })
    }

    /// Each branch of an undecided conditional read by `leaf`, with the span it is located at
    /// (`span` for this value itself, its own span for a branch); the conditionals are kept.
    pub fn branch_values<T>(&self, span: Span, leaf: &dyn Fn(&Val, Span) -> Value<T>) -> Value<T> {
        match &self.kind {
            ValKind::Conditional {
                condition,
                when_true,
                when_false,
            } => Value::Conditional {
                condition: condition.clone(),
                when_true: Box::new(when_true.branch_values(when_true.span, leaf)),
                when_false: Box::new(when_false.branch_values(when_false.span, leaf)),
            },
            _ => leaf(self, span),
        }
    }
}

/// Conditions leading to a value: `(condition, outcome)` pairs, outermost first.
pub type Conditions = Vec<(Text, bool)>;

/// Every element of a list (or the value itself), both branches of each undecided conditional
/// with the condition that selects it; `AWS::NoValue` and `null` are nothing.
pub fn conditional_items(value: &Val) -> Vec<(Conditions, &Val)> {
    let mut out = Vec::new();
    let mut pending = vec![(Conditions::new(), value)];
    while let Some((conditions, value)) = pending.pop() {
        match &value.kind {
            ValKind::List(items) => {
                pending.extend(items.iter().rev().map(|item| (conditions.clone(), item)));
            }
            ValKind::Conditional { .. } => {
                let branches = conditional_branches(value).into_iter().rev();
                pending.extend(branches.map(|(more, branch)| {
                    let mut all = conditions.clone();
                    all.extend(more);
                    (all, branch)
                }));
            }
            ValKind::Absent | ValKind::Null => {}
            _ => out.push((conditions, value)),
        }
    }
    out
}

/// Both branches of each undecided conditional (true first), with the conditions selecting
/// them; any other value is its own one branch.
pub fn conditional_branches(value: &Val) -> Vec<(Conditions, &Val)> {
    let mut out = Vec::new();
    let mut pending = vec![(Conditions::new(), value)];
    while let Some((conditions, value)) = pending.pop() {
        match &value.kind {
            ValKind::Conditional {
                condition,
                when_true,
                when_false,
            } => {
                let mut on_false = conditions.clone();
                on_false.push((condition.clone(), false));
                let mut on_true = conditions;
                on_true.push((condition.clone(), true));
                pending.push((on_false, when_false));
                pending.push((on_true, when_true));
            }
            _ => out.push((conditions, value)),
        }
    }
    out
}

/// A nested block's body with the conditions under which it exists: a block expanded from one
/// branch of a conditional `for_each` is held under `Conditional`s whose other side is `Absent`.
pub fn block_bodies(block: &Val) -> Vec<(Conditions, &Val)> {
    conditional_branches(block)
        .into_iter()
        .filter(|(_, body)| !body.is_absent())
        .collect()
}

/// `body` existing only under `conditions` (the inverse of [`block_bodies`]).
pub fn block_under(conditions: &[(Text, bool)], body: Val) -> Val {
    conditions
        .iter()
        .rev()
        .fold(body, |inner, (condition, outcome)| {
            let span = inner.span;
            let absent = Val::new(ValKind::Absent, span);
            let (when_true, when_false) = match outcome {
                true => (inner, absent),
                false => (absent, inner),
            };
            Val::new(
                ValKind::Conditional {
                    condition: condition.clone(),
                    when_true: Box::new(when_true),
                    when_false: Box::new(when_false),
                },
                span,
            )
        })
}

/// `value` holding only under `conditions` (a block from one branch of a `dynamic` block's
/// conditional `for_each`); on the other side of each condition, `absent` at the same place.
pub fn value_under<T>(
    conditions: &[(Text, bool)],
    value: Value<T>,
    absent: &dyn Fn(Span) -> Value<T>,
) -> Value<T> {
    conditions
        .iter()
        .rev()
        .fold(value, |inner, (condition, outcome)| {
            let none = Box::new(absent(inner.span()));
            let inner = Box::new(inner);
            let (when_true, when_false) = match outcome {
                true => (inner, none),
                false => (none, inner),
            };
            Value::Conditional {
                condition: condition.clone(),
                when_true,
                when_false,
            }
        })
}

/// Reads a field as a typed value: omitted → the AWS `default` at `header`; written → converted,
/// located at key and value.
pub fn field_value<T: Clone>(
    parent: &Val,
    key: &str,
    header: Span,
    default: T,
    convert: &dyn Fn(&Val) -> Option<T>,
) -> Value<T> {
    let absent = |at: Span| Value::aws_default(default.clone(), at);
    match parent.field(key) {
        None => Value::aws_default(default.clone(), header),
        Some(field) => field.value.to_value(field.span(), &absent, convert),
    }
}

/// A CloudFormation function written among an object's fields, unknown, whose output is merged
/// into it (`Fn::Transform` of `AWS::Include`; a pre-processor's `<<: !Include props.yaml`).
fn adds_fields(field: &Field) -> bool {
    field.key.starts_with("Fn::") && matches!(field.value.kind, ValKind::Unknown(_))
}

/// `true`/`false`, or those words as strings in any case (RULES.md 2.5).
pub fn as_bool(val: &Val) -> Option<bool> {
    match &val.kind {
        ValKind::Bool(flag) => Some(*flag),
        ValKind::String(text) if text.eq_ignore_ascii_case("true") => Some(true),
        ValKind::String(text) if text.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Integers, or digit strings with an optional `-` (RULES.md 2.5).
pub fn as_integer(val: &Val) -> Option<i64> {
    let text = match &val.kind {
        ValKind::Number(text) | ValKind::String(text) => text.trim(),
        _ => return None,
    };
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Plain text of a string, number or boolean.
pub fn as_text(val: &Val) -> Option<Text> {
    match &val.kind {
        ValKind::String(text) | ValKind::Number(text) => Some(text.clone()),
        ValKind::Bool(flag) => Some(if *flag { "true" } else { "false" }.into()),
        _ => None,
    }
}

/// Why a block or mapping cannot be read field by field, when it is not a plain object.
pub fn opaque(val: &Val) -> Option<UnknownReason> {
    match &val.kind {
        ValKind::Object(_) => None,
        ValKind::Conditional { .. } => {
            Some(UnknownReason::Unsupported("a block chosen by a condition"))
        }
        _ => Some(
            val.unknown_reason()
                .unwrap_or(UnknownReason::Unsupported("a value of an unexpected type")),
        ),
    }
}

/// An optional id such as a snapshot id: null or empty means none.
pub fn as_snapshot(val: &Val) -> Option<Option<Text>> {
    match &val.kind {
        ValKind::Null => Some(None),
        ValKind::String(id) if id.is_empty() => Some(None),
        ValKind::String(id) => Some(Some(id.clone())),
        _ => None,
    }
}

/// A YAML/JSON node as a value, without intrinsic functions (raw policy files).
pub fn from_node(node: &Node) -> Val {
    from_node_with(node, &|text| ValKind::String(text.into()))
}

/// A string of a Terraform template file (`templatefile`): `${name}` is the variable `name`
/// (`resolve` gives its text, else why it is unknown), any other `${...}` and every `%{...}`
/// directive are unknown, `$${` and `%%{` are the literal `${` and `%{`.
pub fn rendered_template(
    text: &str,
    resolve: &dyn Fn(&str) -> Result<Text, UnknownReason>,
) -> ValKind {
    let mut built = TemplateBuilder::default();
    let mut rest = text;
    while let Some(at) = rest.find(['$', '%']) {
        built.text(&rest[..at]);
        let tail = &rest[at..];
        if let Some(after) = tail
            .strip_prefix("$${")
            .or_else(|| tail.strip_prefix("%%{"))
        {
            built.text(&tail[1..3]);
            rest = after;
            continue;
        }
        let directive = tail.starts_with("%{");
        if !(tail.starts_with("${") || directive) {
            built.text(&tail[..1]);
            rest = &tail[1..];
            continue;
        }
        let Some(end) = tail.find('}') else {
            built.text(tail);
            rest = "";
            break;
        };
        let inner = tail[2..end]
            .trim()
            .trim_start_matches('~')
            .trim_end_matches('~')
            .trim();
        let resolved = match directive {
            true => Err(UnknownReason::Unsupported("a template directive")),
            false if is_identifier(inner) => resolve(inner),
            false => Err(UnknownReason::Unsupported(
                "a template expression other than a variable",
            )),
        };
        match resolved {
            Ok(value) => built.text(&value),
            Err(reason) => built.unknown(reason),
        }
        rest = &tail[end + 1..];
    }
    built.text(rest);
    built.finish()
}

/// A raw policy file's string: a Terraform placeholder `${name}` (a bare identifier, unlike every
/// IAM policy variable, which has a `:` or is `${*}`, `${?}`, `${$}`) marks a template rendered
/// before use, so that part is unknown.
pub fn raw_policy_string(text: &str) -> ValKind {
    // Nearly every string has no `${`: one byte scan, no builder.
    if crate::text::find_placeholder_start(text).is_none() {
        return ValKind::String(text.into());
    }
    let mut built = TemplateBuilder::default();
    let mut rest = text;
    while let Some(at) = crate::text::find_placeholder_start(rest) {
        let tail = &rest[at..];
        let Some(end) = tail.find('}') else { break };
        let inner = &tail[2..end];
        built.text(&rest[..at]);
        if is_identifier(inner) {
            built.unknown(UnknownReason::Unsupported("a template placeholder"));
        } else {
            built.text(&tail[..=end]);
        }
        rest = &tail[end + 1..];
    }
    built.text(rest);
    built.finish()
}

/// A string assembled from literal text and parts not known offline: a plain string when every
/// part is known, else a template keeping the literal parts.
#[derive(Default)]
struct TemplateBuilder {
    segments: Vec<Segment>,
    literal: String,
}

impl TemplateBuilder {
    fn text(&mut self, text: &str) {
        self.literal.push_str(text);
    }

    fn unknown(&mut self, reason: UnknownReason) {
        if !self.literal.is_empty() {
            let literal = std::mem::take(&mut self.literal);
            self.segments.push(Segment::Text(literal.into()));
        }
        self.segments.push(Segment::Unknown(reason));
    }

    fn finish(mut self) -> ValKind {
        if self.segments.is_empty() {
            return ValKind::String(self.literal.into());
        }
        if !self.literal.is_empty() {
            self.segments.push(Segment::Text(self.literal.into()));
        }
        ValKind::Template(self.segments)
    }
}

pub(crate) fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A YAML/JSON node as a value, strings read through `string` (to find placeholders in them).
pub fn from_node_with(node: &Node, string: &dyn Fn(&str) -> ValKind) -> Val {
    let kind = match &node.kind {
        NodeKind::Null => ValKind::Null,
        NodeKind::Bool(flag) => ValKind::Bool(*flag),
        NodeKind::Number(text) => ValKind::Number(text.clone()),
        NodeKind::String(text) => string(text),
        NodeKind::Seq(items) => ValKind::List(
            items
                .iter()
                .map(|item| from_node_with(item, string))
                .collect(),
        ),
        NodeKind::Map(entries) => ValKind::Object(
            entries
                .iter()
                .map(|entry| Field {
                    key: entry.key.clone(),
                    key_span: entry.key_span,
                    value: from_node_with(&entry.value, string),
                    is_block: false,
                })
                .collect(),
        ),
    };
    Val::new(kind, node.span)
}

/// A template whose unknown parts are all CloudFormation's `AWS::Partition`, each written `aws`,
/// or parts with a representative of their own (`AWS::AccountId`): any value they take passes
/// every test as these do (`UnknownReason::Partial`).
fn representative(segments: &[Segment]) -> Option<Text> {
    let partition = crate::adapt::cloudformation::intrinsics::PARTITION;
    let mut text = String::new();
    for segment in segments {
        match segment {
            Segment::Text(part) => text.push_str(part),
            Segment::Unknown(UnknownReason::Intrinsic(name)) if *name == partition => {
                text.push_str("aws")
            }
            Segment::Unknown(UnknownReason::Partial {
                representative: Some(part),
                ..
            }) => text.push_str(part),
            Segment::Unknown(_) => return None,
        }
    }
    Some(text.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_of_a_linked_resource_are_never_a_wildcard() {
        let never_star = |text: &str| text.trim_matches('*').is_empty();
        for attribute in [
            "arn",
            "Arn",
            "iam_arn",
            "s3_canonical_user_id",
            "S3CanonicalUserId",
        ] {
            let link = Val::new(
                ValKind::Link {
                    target: "oai".into(),
                    attribute: attribute.into(),
                },
                Span::default(),
            );
            let reason = link.unknown_reason().expect("a link is unknown");
            assert!(!reason.could_be(never_star), "{attribute}");
        }
        let id = Val::new(
            ValKind::Link {
                target: "oai".into(),
                attribute: "id".into(),
            },
            Span::default(),
        );
        assert!(id.unknown_reason().expect("unknown").could_be(never_star));
    }

    #[test]
    fn a_function_among_fields_answers_for_those_not_written() {
        let field = |key: &str, kind: ValKind| Field {
            key: key.into(),
            key_span: Span::default(),
            value: Val::new(kind, Span::default()),
            is_block: false,
        };
        let properties = Val::new(
            ValKind::Object(vec![
                field("Size", ValKind::Number("8".into())),
                field(
                    "Fn::Transform",
                    ValKind::Unknown(UnknownReason::Intrinsic("Fn::Transform")),
                ),
            ]),
            Span::default(),
        );
        assert_eq!(properties.get("Size").and_then(as_text), Some("8".into()));
        assert!(matches!(
            properties.get("Encrypted").map(|v| &v.kind),
            Some(ValKind::Unknown(_))
        ));
        let plain = Val::new(
            ValKind::Object(vec![field("Size", ValKind::Number("8".into()))]),
            Span::default(),
        );
        assert!(plain.get("Encrypted").is_none());
    }
    use crate::source::FileId;

    #[test]
    fn templates_render_known_variables_and_keep_escapes() {
        let resolve = |name: &str| match name {
            "b" => Ok("logs".into()),
            _ => Err(UnknownReason::Variable(name.into())),
        };
        assert_eq!(
            rendered_template("arn:aws:s3:::${b}/$${aws:username}", &resolve),
            ValKind::String("arn:aws:s3:::logs/${aws:username}".into())
        );
        assert!(matches!(
            rendered_template("${x}:*", &resolve),
            ValKind::Template(ref segments) if segments.len() == 2
        ));
        assert_eq!(
            raw_policy_string("${aws:username}"),
            ValKind::String("${aws:username}".into())
        );
        assert!(matches!(
            raw_policy_string("arn:aws:s3:::${bucket}/*"),
            ValKind::Template(_)
        ));
    }

    fn at(start: usize, end: usize) -> Span {
        Span::new(FileId(0), start, end)
    }

    fn string(text: &str, span: Span) -> Val {
        Val::new(ValKind::String(text.into()), span)
    }

    #[test]
    fn booleans_and_integers_normalize_from_strings() {
        assert_eq!(as_bool(&string("True", at(0, 1))), Some(true));
        assert_eq!(as_bool(&string("yes", at(0, 1))), None);
        assert_eq!(as_integer(&string("-1", at(0, 1))), Some(-1));
        assert_eq!(as_integer(&string("22", at(0, 1))), Some(22));
        assert_eq!(as_integer(&string("2x", at(0, 1))), None);
    }

    #[test]
    fn omitted_field_takes_the_default_at_the_header() {
        let object = Val::new(ValKind::Object(Vec::new()), at(0, 10));
        let value = field_value(&object, "Encrypted", at(0, 3), false, &as_bool);
        assert_eq!(value, Value::aws_default(false, at(0, 3)));
    }

    #[test]
    fn written_field_points_at_key_and_value() {
        let object = Val::new(
            ValKind::Object(vec![Field {
                key: "encrypted".into(),
                key_span: at(5, 14),
                value: Val::new(ValKind::Bool(false), at(17, 22)),
                is_block: false,
            }]),
            at(0, 30),
        );
        let value = field_value(&object, "encrypted", at(0, 3), false, &as_bool);
        assert_eq!(value, Value::explicit(false, at(5, 22)));
    }

    #[test]
    fn conditional_branches_stay_conditional_and_absent_is_the_default() {
        let cond = Val::new(
            ValKind::Conditional {
                condition: "IsProd".into(),
                when_true: Box::new(Val::new(ValKind::Bool(true), at(10, 14))),
                when_false: Box::new(Val::new(ValKind::Absent, at(16, 30))),
            },
            at(5, 31),
        );
        let value = cond.to_value(at(0, 31), &|span| Value::aws_default(false, span), &as_bool);
        let Value::Conditional { when_false, .. } = value else {
            panic!("conditional expected");
        };
        assert_eq!(*when_false, Value::aws_default(false, at(16, 30)));
    }
}
