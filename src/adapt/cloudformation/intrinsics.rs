//! CloudFormation intrinsic functions resolved as far as an offline tool honestly can
//! (RULES.md 2.3): parameter defaults, `AWS::NoValue`, conditions, string functions, mappings.

use foldhash::HashMap;

use super::for_each::{Declared, declared};
use crate::adapt::val::{CopyBudget, Field, Segment, Val, ValKind, from_node};
use crate::model::UnknownReason;
use crate::parse::{Node, NodeKind};
use crate::source::Span;
use crate::text::Text;

/// How deep conditions may nest through `Fn::And`, `Fn::Not` and `Condition` before evaluation
/// gives up (undecided), which also stops a condition that names itself.
const MAX_CONDITION_DEPTH: usize = 32;

/// The pseudo parameter naming the partition the stack is deployed in.
pub const PARTITION: &str = "AWS::Partition";

/// What an `Fn::Equals` in a condition may compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operands {
    /// Literals only: parameters can be overridden at deploy time, so a condition on them stays
    /// undecided when choosing a branch.
    Literals,
    /// Literals and parameters at their given or default values: the deployment the parameter
    /// values being read describe.
    ParameterValues,
}

/// The conditions holding (with their outcomes) and the condition they may imply.
type ImpliedKey = (Vec<(Text, bool)>, Text);

/// What a template declares, for resolving references.
#[derive(Debug, Default)]
pub struct Template<'a> {
    pub parameters: HashMap<&'a str, Parameter<'a>>,
    pub conditions: HashMap<&'a str, &'a Node>,
    pub mappings: Option<&'a Node>,
    /// Logical id to type, of every resource `declared`.
    pub resources: HashMap<Text, &'a str>,
    /// Every resource of the template, `Fn::ForEach` loops expanded.
    pub declared: Vec<Declared<'a>>,
    /// Values given for parameters at deploy time (`--cfn-parameters`), overriding defaults.
    pub overrides: Option<&'a std::collections::BTreeMap<String, String>>,
    /// The `Condition` of the resource being resolved: the resource exists only when it holds, so
    /// inside its properties it is true (`Fn::If [IsProd, ...]` under `Condition: IsProd`).
    created_under: std::cell::Cell<Option<&'a str>>,
    /// The `Fn::If` branches being resolved, innermost last: each condition with the outcome its
    /// branch assumes.
    assumed: std::cell::RefCell<Vec<(Text, bool)>>,
    /// What the holding conditions imply for a condition, once worked out (templates repeat the
    /// same `Fn::If` under the same `Condition`).
    implied: std::cell::RefCell<HashMap<ImpliedKey, Option<bool>>>,
    /// The `Fn::ForEach` identifiers in scope with their values, outermost first.
    loop_values: std::cell::RefCell<Vec<(Text, Val)>>,
    copied: CopyBudget,
}

#[derive(Debug, Clone, Copy)]
pub struct Parameter<'a> {
    pub default: Option<&'a Node>,
    pub kind: ParameterKind,
}

/// How a parameter's `Type` turns the text given for it into the value `Ref` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterKind {
    /// The text itself (`String`, `Number`, `AWS::EC2::VPC::Id`, ...).
    Text,
    /// `CommaDelimitedList`, `List<...>`: the text split at commas, each member space-trimmed.
    List,
    /// `AWS::SSM::Parameter::Value<...>`: the text names a Systems Manager parameter whose value,
    /// read at deploy time, is what `Ref` returns.
    SystemsManager,
}

impl ParameterKind {
    fn of(type_name: &str) -> ParameterKind {
        let type_name = type_name.trim();
        if type_name.starts_with("AWS::SSM::Parameter::Value<") {
            ParameterKind::SystemsManager
        } else if type_name == "CommaDelimitedList" || type_name.starts_with("List<") {
            ParameterKind::List
        } else {
            ParameterKind::Text
        }
    }
}

impl<'a> Template<'a> {
    pub fn read(root: &'a Node) -> Template<'a> {
        Template::read_with(root, None)
    }

    /// Reads a template deployed with the parameter values `overrides` (`--cfn-parameters`),
    /// which decide the `Fn::ForEach` collections read from parameters too.
    pub fn read_with(
        root: &'a Node,
        overrides: Option<&'a std::collections::BTreeMap<String, String>>,
    ) -> Template<'a> {
        let mut template = Template {
            overrides,
            ..Template::default()
        };
        for entry in root.get("Parameters").and_then(Node::as_map).unwrap_or(&[]) {
            template.parameters.insert(
                &entry.key,
                Parameter {
                    default: entry.value.get("Default"),
                    kind: ParameterKind::of(
                        entry.value.get("Type").and_then(Node::as_str).unwrap_or(""),
                    ),
                },
            );
        }
        for entry in root.get("Conditions").and_then(Node::as_map).unwrap_or(&[]) {
            template.conditions.insert(&entry.key, &entry.value);
        }
        template.mappings = root.get("Mappings");
        if let Some(resources) = root.get("Resources") {
            template.declared = declared(&template, resources);
        }
        for resource in &template.declared {
            let kind = resource
                .body
                .get("Type")
                .and_then(Node::as_str)
                .unwrap_or("");
            template.resources.insert(resource.logical_id.clone(), kind);
        }
        template
    }

    /// Runs `resolve` with the `Fn::ForEach` identifiers `values` in scope.
    pub fn with_loop_values<T>(&self, values: &[(Text, Val)], resolve: impl FnOnce() -> T) -> T {
        let outer = self.loop_values.replace(values.to_vec());
        let resolved = resolve();
        self.loop_values.replace(outer);
        resolved
    }

    /// Resolves a property value.
    pub fn resolve(&self, node: &Node) -> Val {
        self.resolve_at(node, 0)
    }

    /// Resolves the properties of a resource created only when `condition` holds.
    pub fn resolve_created_under(&self, node: &Node, condition: Option<&'a str>) -> Val {
        let outer = self.created_under.replace(condition);
        let value = self.resolve_at(node, 0);
        self.created_under.set(outer);
        value
    }

    fn resolve_at(&self, node: &Node, depth: usize) -> Val {
        if depth > crate::parse::limits::MAX_NESTING * 2 {
            return Val::unknown(
                UnknownReason::Unsupported("a too deeply nested value"),
                node.span,
            );
        }
        match &node.kind {
            NodeKind::Map(entries) => {
                if let [entry] = entries.as_slice()
                    && let Some(val) = self.intrinsic(&entry.key, &entry.value, node.span, depth)
                {
                    return val;
                }
                let fields = entries
                    .iter()
                    .map(|entry| Field {
                        key: entry.key.clone(),
                        key_span: entry.key_span,
                        // Beside other keys a function is no value but fields it adds
                        // (`Fn::Transform` of `AWS::Include` among properties): not evaluated.
                        value: match &*entry.key {
                            "Fn::Transform" => Val::unknown(
                                UnknownReason::Intrinsic("Fn::Transform"),
                                entry.value.span,
                            ),
                            key if key.starts_with("Fn::") => Val::unknown(
                                UnknownReason::Function(entry.key.clone()),
                                entry.value.span,
                            ),
                            _ => self.resolve_at(&entry.value, depth + 1),
                        },
                        is_block: false,
                    })
                    .collect();
                Val::new(ValKind::Object(fields), node.span)
            }
            NodeKind::Seq(items) => Val::new(
                ValKind::List(
                    items
                        .iter()
                        .map(|item| self.resolve_at(item, depth + 1))
                        .collect(),
                ),
                node.span,
            ),
            NodeKind::String(text) if let Some(function) = written_call(text) => {
                Val::unknown(UnknownReason::Function(function.into()), node.span)
            }
            NodeKind::Null | NodeKind::Bool(_) | NodeKind::Number(_) | NodeKind::String(_) => {
                from_node(node)
            }
        }
    }

    fn intrinsic(&self, name: &str, arg: &Node, span: Span, depth: usize) -> Option<Val> {
        let unknown = |what: &'static str| Some(Val::unknown(UnknownReason::Intrinsic(what), span));
        match name {
            "Ref" => Some(self.reference(arg.as_str()?, span)),
            "Fn::GetAtt" => {
                // In a `Fn::ForEach` loop the logical id may be computed (`!Sub "B${Name}"`).
                let written = |part: Option<&Node>| {
                    part.and_then(|part| self.resolve_at(part, depth + 1).scalar_text())
                };
                let (target, attribute) = match &arg.kind {
                    NodeKind::Seq(parts) => (
                        written(parts.first()),
                        written(parts.get(1)).unwrap_or_default(),
                    ),
                    NodeKind::String(text) => {
                        let (target, attribute) = text.split_once('.').unwrap_or((text, ""));
                        (Some(target.to_string()), attribute.to_string())
                    }
                    _ => return unknown("Fn::GetAtt"),
                };
                let Some(target) = target else {
                    return unknown("Fn::GetAtt");
                };
                if self.resources.contains_key(target.as_str()) {
                    Some(Val::new(
                        ValKind::Link {
                            target: target.into(),
                            attribute: attribute.into(),
                        },
                        span,
                    ))
                } else {
                    unknown("Fn::GetAtt")
                }
            }
            "Fn::If" => {
                let parts = arg.as_seq()?;
                let (Some(condition), Some(when_true), Some(when_false)) = (
                    parts.first().and_then(Node::as_str),
                    parts.get(1),
                    parts.get(2),
                ) else {
                    return unknown("Fn::If");
                };
                let when_true =
                    self.assuming(condition, true, || self.resolve_at(when_true, depth + 1));
                let when_false =
                    self.assuming(condition, false, || self.resolve_at(when_false, depth + 1));
                Some(
                    match self
                        .condition_value(condition, Operands::Literals, 0)
                        .or_else(|| self.implied(condition))
                    {
                        Some(true) => when_true,
                        Some(false) => when_false,
                        None => Val::new(
                            ValKind::Conditional {
                                condition: condition.into(),
                                when_true: Box::new(when_true),
                                when_false: Box::new(when_false),
                            },
                            span,
                        ),
                    },
                )
            }
            "Fn::Sub" => Some(self.sub(arg, span, depth)),
            "Fn::Join" => Some(self.join(arg, span, depth)),
            "Fn::Select" => Some(self.select(arg, span, depth)),
            "Fn::Split" => Some(self.split(arg, span, depth)),
            "Fn::FindInMap" => Some(self.find_in_map(arg, span, depth)),
            "Fn::Base64" => {
                let text = self.resolve_at(arg, depth + 1);
                Some(match text.scalar_text() {
                    Some(text) => Val::new(ValKind::String(base64(text.as_bytes()).into()), span),
                    None => Val::unknown(
                        text.unknown_reason()
                            .unwrap_or(UnknownReason::Intrinsic("Fn::Base64")),
                        span,
                    ),
                })
            }
            "Fn::ImportValue" => unknown("Fn::ImportValue"),
            "Fn::GetAZs" => unknown("Fn::GetAZs"),
            "Fn::Cidr" => unknown("Fn::Cidr"),
            "Fn::Transform" => unknown("Fn::Transform"),
            "Fn::Length" => unknown("Fn::Length"),
            "Fn::ToJsonString" => unknown("Fn::ToJsonString"),
            "Fn::ForEach" => unknown("Fn::ForEach"),
            "Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not" | "Condition" => None,
            // Not one CloudFormation has: a pre-processor's (org-formation's `!ReadFile`,
            // `!CopyValue`; rain's `!Rain::Embed`) or a typo CloudFormation rejects.
            _ if name.starts_with("Fn::") => {
                Some(Val::unknown(UnknownReason::Function(name.into()), span))
            }
            _ => None,
        }
    }

    /// A copied value, or unknown once the template's copy budget is spent.
    fn charged(&self, value: Val) -> Val {
        if self.copied.spend(value.weight()) {
            value
        } else {
            Val::too_large(value.span)
        }
    }

    fn reference(&self, name: &str, span: Span) -> Val {
        if name == "AWS::NoValue" {
            return Val::new(ValKind::Absent, span);
        }
        let looped = self.loop_values.borrow();
        if let Some((_, value)) = looped
            .iter()
            .rev()
            .find(|(identifier, _)| identifier == name)
        {
            return Val {
                span,
                // A known value was written in the collection: the label goes there.
                defined_at: value
                    .defined_at
                    .or_else(|| value.scalar_text().map(|_| value.span)),
                ..value.clone()
            };
        }
        drop(looped);
        if let Some(parameter) = self.parameters.get(name) {
            if parameter.kind == ParameterKind::SystemsManager {
                return Val::unknown(
                    UnknownReason::Intrinsic("a Systems Manager parameter value"),
                    span,
                );
            }
            if let Some((condition, holds, placeholder)) = self.contradicted(name, parameter) {
                return Val::unknown(
                    UnknownReason::ParameterElsewhere {
                        name: name.into(),
                        condition,
                        holds,
                        placeholder,
                    },
                    span,
                );
            }
            let given = match self.overrides.and_then(|o| o.get(name)) {
                Some(value) => Val::new(ValKind::String(value.as_str().into()), span),
                None => match parameter.default {
                    Some(default) => self.charged(Val {
                        defined_at: Some(default.span),
                        ..Val {
                            span,
                            ..from_node(default)
                        }
                    }),
                    None => return Val::unknown(UnknownReason::Parameter(name.into()), span),
                },
            };
            return match parameter.kind {
                ParameterKind::List => comma_delimited(given),
                _ => given,
            };
        }
        if self.resources.contains_key(name) {
            return Val::new(
                ValKind::Link {
                    target: name.into(),
                    attribute: "Ref".into(),
                },
                span,
            );
        }
        if name == "AWS::AccountId" {
            // Always twelve digits: never `*`, every resource or a network, so it cannot decide
            // a test those would (`Principal: {AWS: !Ref AWS::AccountId}` is never public), and
            // every account id passes each test as any other does: a fixed condition value
            // (`aws:SourceAccount: !Ref AWS::AccountId` limits a public statement).
            return Val::unknown(
                UnknownReason::Partial {
                    literal: "????????????".into(),
                    reason: Box::new(UnknownReason::Intrinsic("a pseudo parameter")),
                    known_wildcard: false,
                    representative: Some("123456789012".into()),
                },
                span,
            );
        }
        if name == PARTITION {
            // Always a partition name (`aws`, `aws-cn`, ...), which every rule reads alike: a
            // string around it keeps a representative value (`UnknownReason::Partial`).
            return Val::unknown(UnknownReason::Intrinsic(PARTITION), span);
        }
        if name.starts_with("AWS::") {
            return Val::unknown(UnknownReason::Intrinsic("a pseudo parameter"), span);
        }
        Val::unknown(UnknownReason::Reference(name.into()), span)
    }

    /// The value of a named condition when it is made of literals only.
    pub fn condition_is(&self, name: &str) -> Option<bool> {
        self.condition_value(name, Operands::Literals, 0)
    }

    /// The value `condition` must have given the resource's `Condition` and the enclosing
    /// `Fn::If` branches (`!If [IsProd, ...]` under `Condition: NotProd`).
    fn implied(&self, condition: &str) -> Option<bool> {
        let assumed = self.assumed.borrow();
        let holding: Vec<(Text, bool)> = self
            .created_under
            .get()
            .map(|name| (name.into(), true))
            .into_iter()
            .chain(assumed.iter().cloned())
            .collect();
        if holding.is_empty() {
            return None;
        }
        let key = (holding, Text::from(condition));
        if let Some(known) = self.implied.borrow().get(&key) {
            return *known;
        }
        let holding: Vec<(&str, bool)> = key.0.iter().map(|(c, o)| (&**c, *o)).collect();
        let outcome = super::implied::implied(&self.conditions, &holding, condition);
        self.implied.borrow_mut().insert(key, outcome);
        outcome
    }

    /// Resolves `node` as a branch that exists only when `condition` is `holds`.
    fn assuming(&self, condition: &str, holds: bool, resolve: impl FnOnce() -> Val) -> Val {
        self.assumed.borrow_mut().push((condition.into(), holds));
        let value = resolve();
        self.assumed.borrow_mut().pop();
        value
    }

    /// A branch condition that parameter `name`, at its default or given value, would decide the
    /// other way: the branch is only deployed with another value, so there the value is unknown
    /// (`!If [HasKey, !Ref Key, ...]` with `HasKey: !Not [!Equals [!Ref Key, ""]]` and `Key`
    /// defaulting to `""` never reads `""`). With it, whether `name` is a placeholder: its default
    /// is the empty string and the condition, decided the other way by other parameters' values,
    /// switches on a feature that reads it. CloudFormation has no conditionally required
    /// parameters, so `Default: ''` is how a template lets a parameter be left out while the
    /// feature needing it is off (`Condition: DoJoin` with `JoinDomain` defaulting to `No`, and
    /// `Resource: !Ref SecretArn` defaulting to `''`): whoever turns the feature on gives it.
    fn contradicted(&self, name: &str, parameter: &Parameter) -> Option<(Text, bool, bool)> {
        let given = self.overrides.is_some_and(|o| o.contains_key(name));
        let empty_default = !given && parameter.default.and_then(Node::as_str) == Some("");
        let created_under = self.created_under.get().map(|c| (Text::from(c), true));
        let assumed = self.assumed.borrow();
        let contradicting: Vec<&(Text, bool)> = created_under
            .iter()
            .chain(assumed.iter())
            .filter(|(condition, holds)| {
                self.condition_value(condition, Operands::ParameterValues, 0) == Some(!holds)
            })
            .collect();
        let deciding = contradicting
            .iter()
            .find(|(condition, _)| self.condition_mentions(condition, name, 0));
        match (deciding, contradicting.first()) {
            (Some((condition, holds)), _) => Some((condition.clone(), *holds, false)),
            (None, Some((condition, holds))) if empty_default => {
                Some((condition.clone(), *holds, true))
            }
            _ => None,
        }
    }

    /// Whether the named condition refers, directly or through other conditions, to `parameter`.
    fn condition_mentions(&self, condition: &str, parameter: &str, depth: usize) -> bool {
        fn walk(template: &Template, node: &Node, parameter: &str, depth: usize) -> bool {
            if depth > MAX_CONDITION_DEPTH {
                return false;
            }
            match &node.kind {
                NodeKind::Map(entries) => entries.iter().any(|entry| match &*entry.key {
                    "Ref" => entry.value.as_str() == Some(parameter),
                    "Condition" => entry.value.as_str().is_some_and(|condition| {
                        template.condition_mentions(condition, parameter, depth + 1)
                    }),
                    _ => walk(template, &entry.value, parameter, depth + 1),
                }),
                NodeKind::Seq(items) => items
                    .iter()
                    .any(|item| walk(template, item, parameter, depth + 1)),
                _ => false,
            }
        }
        self.conditions
            .get(condition)
            .is_some_and(|node| walk(self, node, parameter, depth + 1))
    }

    /// A condition's value from its `operands`; undecided when they are not all Known.
    fn condition_value(&self, name: &str, operands: Operands, depth: usize) -> Option<bool> {
        if operands == Operands::Literals && self.created_under.get() == Some(name) {
            return Some(true);
        }
        let node = self.conditions.get(name)?;
        self.condition_node(node, operands, depth + 1)
    }

    fn condition_node(&self, node: &Node, operands: Operands, depth: usize) -> Option<bool> {
        if depth > MAX_CONDITION_DEPTH {
            return None;
        }
        let [entry] = node.as_map()? else {
            return None;
        };
        let args = entry.value.as_seq();
        match &*entry.key {
            "Condition" => self.condition_value(entry.value.as_str()?, operands, depth),
            "Fn::Not" => Some(!self.condition_node(args?.first()?, operands, depth + 1)?),
            // Three-valued: one constant false decides `Fn::And`, one constant true `Fn::Or`.
            "Fn::And" | "Fn::Or" => {
                let decisive = &*entry.key == "Fn::Or";
                let mut known = true;
                for arg in args? {
                    match self.condition_node(arg, operands, depth + 1) {
                        Some(value) if value == decisive => return Some(decisive),
                        Some(_) => {}
                        None => known = false,
                    }
                }
                known.then_some(!decisive)
            }
            "Fn::Equals" => {
                let [a, b] = args? else { return None };
                Some(self.operand(a, operands)? == self.operand(b, operands)?)
            }
            _ => None,
        }
    }

    /// An `Fn::Equals` operand as text: a literal, or with `ParameterValues` a `Ref` to a text
    /// parameter that has a given or default value.
    fn operand(&self, node: &Node, operands: Operands) -> Option<String> {
        match &node.kind {
            NodeKind::String(t) if written_call(t).is_some() => None,
            NodeKind::String(t) | NodeKind::Number(t) => Some(t.to_string()),
            NodeKind::Bool(b) => Some(b.to_string()),
            NodeKind::Map(_) if operands == Operands::ParameterValues => {
                let name = node.get("Ref")?.as_str()?;
                let parameter = self.parameters.get(name)?;
                if parameter.kind != ParameterKind::Text {
                    return None;
                }
                match self.overrides.and_then(|o| o.get(name)) {
                    Some(value) => Some(value.clone()),
                    None => self.operand(parameter.default?, Operands::Literals),
                }
            }
            _ => None,
        }
    }

    fn sub(&self, arg: &Node, span: Span, depth: usize) -> Val {
        let (template, variables) = match &arg.kind {
            NodeKind::String(text) => (&**text, None),
            NodeKind::Seq(parts) => match (parts.first().and_then(Node::as_str), parts.get(1)) {
                (Some(text), variables) => (text, variables),
                _ => return Val::unknown(UnknownReason::Intrinsic("Fn::Sub"), span),
            },
            _ => return Val::unknown(UnknownReason::Intrinsic("Fn::Sub"), span),
        };
        let mut segments: Vec<Segment> = Vec::new();
        let mut links = Vec::new();
        for piece in sub_pieces(template) {
            let name = match piece {
                SubPiece::Text(range) => {
                    push_text(&mut segments, &template[range]);
                    continue;
                }
                SubPiece::Escaped { name, .. } => {
                    push_text(&mut segments, &format!("${{{}}}", &template[name]));
                    continue;
                }
                SubPiece::Variable { name, .. } => &template[name],
            };
            let value = match variables.and_then(|vars| vars.get(name)) {
                Some(node) => self.resolve_at(node, depth + 1),
                None if name.contains('.') => {
                    Val::unknown(UnknownReason::Intrinsic("Fn::GetAtt"), span)
                }
                None => self.reference(name, span),
            };
            match value.scalar_text() {
                Some(text) => push_text(&mut segments, &text),
                None => segments.push(Segment::Unknown(
                    value
                        .unknown_reason()
                        .unwrap_or(UnknownReason::Intrinsic("Fn::Sub")),
                )),
            }
            if let ValKind::Link { .. } = value.kind {
                links.push(value);
            }
        }
        // `!Sub "${Bucket}"` is `!Ref Bucket`: a link to that resource (RULES.md 2.3).
        text_or_link(segments, &links, span)
    }

    fn join(&self, arg: &Node, span: Span, depth: usize) -> Val {
        let unknown = Val::unknown(UnknownReason::Intrinsic("Fn::Join"), span);
        let Some([delimiter, list]) = arg.as_seq() else {
            return unknown;
        };
        let Some(delimiter) = delimiter.as_str() else {
            return unknown;
        };
        let list = self.resolve_at(list, depth + 1);
        let ValKind::List(items) = &list.kind else {
            return Val::unknown(
                list.unknown_reason()
                    .unwrap_or(UnknownReason::Intrinsic("Fn::Join")),
                span,
            );
        };
        let mut segments = Vec::new();
        let mut links = Vec::new();
        for (at, item) in items.iter().enumerate() {
            if at > 0 {
                push_text(&mut segments, delimiter);
            }
            if let ValKind::Link { .. } = item.kind {
                links.push(item);
            }
            match (&item.kind, item.scalar_text()) {
                (_, Some(text)) => push_text(&mut segments, &text),
                (ValKind::Template(parts), None) => segments.extend(parts.iter().cloned()),
                (_, None) => segments.push(Segment::Unknown(
                    item.unknown_reason()
                        .unwrap_or(UnknownReason::Intrinsic("Fn::Join")),
                )),
            }
        }
        // `!Join ["", [!Ref Bucket]]` is `!Ref Bucket`, as `!Sub "${Bucket}"` is.
        text_or_link(segments, &links, span)
    }

    fn select(&self, arg: &Node, span: Span, depth: usize) -> Val {
        let unknown = Val::unknown(UnknownReason::Intrinsic("Fn::Select"), span);
        let Some([index, list]) = arg.as_seq() else {
            return unknown;
        };
        let index = self.resolve_at(index, depth + 1);
        let Some(index) =
            crate::adapt::val::as_integer(&index).and_then(|i| usize::try_from(i).ok())
        else {
            return unknown;
        };
        let list = self.resolve_at(list, depth + 1);
        match &list.kind {
            ValKind::List(items) => items
                .get(index)
                .cloned()
                .map_or(unknown, |item| Val { span, ..item }),
            _ => unknown,
        }
    }

    fn split(&self, arg: &Node, span: Span, depth: usize) -> Val {
        let unknown = Val::unknown(UnknownReason::Intrinsic("Fn::Split"), span);
        let Some([delimiter, source]) = arg.as_seq() else {
            return unknown;
        };
        let (Some(delimiter), Some(text)) = (
            delimiter.as_str(),
            self.resolve_at(source, depth + 1).scalar_text(),
        ) else {
            return unknown;
        };
        if delimiter.is_empty() {
            return unknown;
        }
        let items = text
            .split(delimiter)
            .map(|part| Val::new(ValKind::String(part.into()), span))
            .collect();
        Val::new(ValKind::List(items), span)
    }

    fn find_in_map(&self, arg: &Node, span: Span, depth: usize) -> Val {
        let unknown = Val::unknown(UnknownReason::Intrinsic("Fn::FindInMap"), span);
        let Some(parts) = arg.as_seq() else {
            return unknown;
        };
        let mut keys = Vec::new();
        for part in parts.iter().take(3) {
            match self.resolve_at(part, depth + 1).scalar_text() {
                Some(key) => keys.push(key),
                None => return unknown,
            }
        }
        let found = keys
            .iter()
            .try_fold(self.mappings, |node, key| {
                node.and_then(|n| n.get(key)).map(Some)
            })
            .flatten();
        match found {
            Some(node) if keys.len() == 3 => self.charged(Val {
                defined_at: Some(node.span),
                ..Val {
                    span,
                    ..self.resolve_at(node, depth + 1)
                }
            }),
            _ => unknown,
        }
    }
}

/// A part of an `Fn::Sub` template string, as byte ranges into it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubPiece {
    /// Text taken as written (also an unclosed `${`).
    Text(std::ops::Range<usize>),
    /// `${!Name}` (`whole`), which CloudFormation writes as the literal `${Name}` (`name`).
    Escaped {
        whole: std::ops::Range<usize>,
        name: std::ops::Range<usize>,
    },
    /// `${Name}` or `${Resource.Attribute}` (`whole`), replaced by the value `name` stands for.
    Variable {
        whole: std::ops::Range<usize>,
        name: std::ops::Range<usize>,
    },
}

/// The pieces of an `Fn::Sub` template string, in order; empty text is left out.
pub fn sub_pieces(template: &str) -> Vec<SubPiece> {
    let mut pieces = Vec::new();
    let mut from = 0;
    while let Some(open) = template
        .get(from..)
        .and_then(crate::text::find_placeholder_start)
        .map(|offset| from + offset)
    {
        let Some(close) = template[open + 2..].find('}').map(|at| open + 2 + at) else {
            break;
        };
        if open > from {
            pieces.push(SubPiece::Text(from..open));
        }
        let whole = open..close + 1;
        pieces.push(match template.as_bytes().get(open + 2) {
            Some(b'!') => SubPiece::Escaped {
                whole,
                name: open + 3..close,
            },
            _ => SubPiece::Variable {
                whole,
                name: open + 2..close,
            },
        });
        from = close + 1;
    }
    if from < template.len() {
        pieces.push(SubPiece::Text(from..template.len()));
    }
    pieces
}

/// The function a string spells as a call, `Fn::<Name> <arguments>`: a pre-processor's expression,
/// replaced before CloudFormation reads the template (org-formation's
/// `Fn::EnumTargetAccounts Binding 'arn:aws:iam::${account}:root'` becomes a list of ARNs,
/// `Fn::TargetCount Binding` a number), so its value is not the text written.
fn written_call(text: &str) -> Option<&str> {
    let (function, arguments) = text.split_once(char::is_whitespace)?;
    let name = function.strip_prefix("Fn::")?;
    let is_name = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ':' || c == '_');
    (is_name && !arguments.trim().is_empty()).then_some(function)
}

fn push_text(segments: &mut Vec<Segment>, text: &str) {
    if text.is_empty() {
        return;
    }
    if let Some(Segment::Text(last)) = segments.last_mut() {
        let mut joined = last.to_string();
        joined.push_str(text);
        *last = joined.into();
    } else {
        segments.push(Segment::Text(text.into()));
    }
}

/// What a string built from `segments` is: the one link among its parts when that link is all
/// of it (`!Sub "${Bucket}"`, `!Join ["", [!Ref Bucket]]` are `!Ref Bucket`), else `template_val`.
fn text_or_link(
    segments: Vec<Segment>,
    links: &[impl std::borrow::Borrow<Val>],
    span: Span,
) -> Val {
    if let ([Segment::Unknown(_)], [link]) = (segments.as_slice(), links) {
        return Val {
            span,
            ..link.borrow().clone()
        };
    }
    template_val(segments, span)
}

/// A string when every segment is known, otherwise a template keeping the literal parts.
pub fn template_val(segments: Vec<Segment>, span: Span) -> Val {
    // A lone unknown part is the whole value: `!Sub "${Name}"` is `!Ref Name`, as `"${var.x}"` is
    // `var.x` in HCL, so both name a bucket by the same unresolved expression (RULES.md 2.1).
    if let [Segment::Unknown(reason)] = segments.as_slice() {
        return Val::unknown(reason.clone(), span);
    }
    if segments.iter().all(|s| matches!(s, Segment::Text(_))) {
        let text: String = segments
            .iter()
            .map(|s| match s {
                Segment::Text(t) => &**t,
                Segment::Unknown(_) => "",
            })
            .collect();
        return Val::new(ValKind::String(text.into()), span);
    }
    Val::new(ValKind::Template(segments), span)
}

/// Standard base64 with padding, as `Fn::Base64` encodes (RULES.md 2.3: computed when known).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let [a, b, c] = [0, 1, 2].map(|at| chunk.get(at).copied().unwrap_or(0));
        let group = (u32::from(a) << 16) | (u32::from(b) << 8) | u32::from(c);
        for at in 0..4 {
            if at <= chunk.len() {
                let index = (group >> (18 - 6 * at)) & 0x3f;
                out.push(char::from(ALPHABET[index as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A list parameter's text as the list `Ref` returns: split at commas, each member trimmed.
fn comma_delimited(given: Val) -> Val {
    let ValKind::String(text) = &given.kind else {
        return given;
    };
    let members = text
        .split(',')
        .map(|member| Val {
            kind: ValKind::String(member.trim().into()),
            ..given.clone()
        })
        .collect();
    Val {
        kind: ValKind::List(members),
        ..given
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::json::parse_json;
    use crate::source::FileId;

    #[test]
    fn sub_pieces_are_text_escapes_and_variables() {
        let template = "arn:${AWS::Partition}:s3:::${!Literal}/${B.Arn}${";
        let pieces = sub_pieces(template);
        let written: Vec<(&str, &str)> = pieces
            .iter()
            .map(|piece| match piece {
                SubPiece::Text(range) => ("text", &template[range.clone()]),
                SubPiece::Escaped { name, .. } => ("escaped", &template[name.clone()]),
                SubPiece::Variable { name, .. } => ("variable", &template[name.clone()]),
            })
            .collect();
        assert_eq!(
            written,
            [
                ("text", "arn:"),
                ("variable", "AWS::Partition"),
                ("text", ":s3:::"),
                ("escaped", "Literal"),
                ("text", "/"),
                ("variable", "B.Arn"),
                ("text", "${"),
            ]
        );
    }

    #[test]
    fn base64_pads_like_fn_base64() {
        assert_eq!(super::base64(b"*"), "Kg==");
        assert_eq!(super::base64(b"ab"), "YWI=");
        assert_eq!(super::base64(b"abc"), "YWJj");
        assert_eq!(super::base64(b""), "");
    }

    fn resolve(template: &str, property: &str) -> (String, Val) {
        let root = parse_json(template, FileId(0), 0).root.expect("valid JSON");
        let resolved = {
            let context = Template::read(&root);
            let node = root
                .get("Resources")
                .and_then(|r| r.get("R"))
                .and_then(|r| r.get("Properties"))
                .and_then(|p| p.get(property))
                .expect("property");
            context.resolve(node)
        };
        (template.to_string(), resolved)
    }

    fn template(parameters: &str, value: &str) -> String {
        format!(
            r#"{{"Parameters": {parameters}, "Conditions": {{"IsProd": {{"Fn::Equals": [{{"Ref": "Env"}}, "prod"]}}, "Always": {{"Fn::Equals": ["a", "a"]}}}}, "Mappings": {{"M": {{"k": {{"v": "mapped"}}}}}}, "Resources": {{"R": {{"Type": "AWS::X::Y", "Properties": {{"P": {value}}}}}, "Other": {{"Type": "AWS::S3::Bucket"}}}}}}"#
        )
    }

    #[test]
    fn parameter_defaults_resolve_at_the_use_site() {
        let (text, val) = resolve(
            &template(r#"{"Enc": {"Default": "false"}}"#, r#"{"Ref": "Enc"}"#),
            "P",
        );
        assert_eq!(val.as_str(), Some("false"));
        assert_eq!(&text[val.span.range()], r#"{"Ref": "Enc"}"#);
        assert_eq!(&text[val.defined_at.expect("defined").range()], "\"false\"");
    }

    #[test]
    fn the_account_id_is_never_a_wildcard() {
        let (_, val) = resolve(&template("{}", r#"{"Ref": "AWS::AccountId"}"#), "P");
        let ValKind::Unknown(reason) = &val.kind else {
            panic!("unknown expected, got {val:?}");
        };
        assert!(!reason.could_be(|text| text.trim_matches('*').is_empty()));
        assert!(reason.could_be(|text| text.len() == 12));
    }

    #[test]
    fn parameters_without_default_are_unknown() {
        let (_, val) = resolve(
            &template(r#"{"Enc": {"Type": "String"}}"#, r#"{"Ref": "Enc"}"#),
            "P",
        );
        assert_eq!(
            val.kind,
            ValKind::Unknown(UnknownReason::Parameter("Enc".into()))
        );
    }

    #[test]
    fn no_value_is_absent_and_resources_are_links() {
        let (_, val) = resolve(&template("{}", r#"{"Ref": "AWS::NoValue"}"#), "P");
        assert_eq!(val.kind, ValKind::Absent);
        let (_, val) = resolve(&template("{}", r#"{"Fn::GetAtt": ["Other", "Arn"]}"#), "P");
        assert!(matches!(val.kind, ValKind::Link { .. }));
        let (_, val) = resolve(&template("{}", r#"{"Ref": "AWS::Region"}"#), "P");
        assert!(matches!(val.kind, ValKind::Unknown(_)));
    }

    #[test]
    fn a_sub_of_one_resource_alone_is_a_link_to_it() {
        let (_, val) = resolve(&template("{}", r#"{"Fn::Sub": "${Other}"}"#), "P");
        assert!(
            matches!(val.kind, ValKind::Link { ref target, .. } if &**target == "Other"),
            "{val:?}"
        );
        let (_, val) = resolve(&template("{}", r#"{"Fn::Sub": "${Other}-x"}"#), "P");
        assert!(matches!(val.kind, ValKind::Template(_)));
    }

    #[test]
    fn conditions_on_parameters_keep_both_branches_literal_ones_pick() {
        let (_, val) = resolve(
            &template("{}", r#"{"Fn::If": ["IsProd", true, false]}"#),
            "P",
        );
        assert!(
            matches!(val.kind, ValKind::Conditional { ref condition, .. } if &**condition == "IsProd")
        );
        let (_, val) = resolve(
            &template("{}", r#"{"Fn::If": ["Always", "yes", "no"]}"#),
            "P",
        );
        assert_eq!(val.as_str(), Some("yes"));
    }

    #[test]
    fn a_branch_never_reads_a_parameter_value_that_would_decide_it_the_other_way() {
        // `IsProd` is `Env == prod`; `Env` defaults to `dev`, so the `IsProd` branch is deployed
        // only with another `Env`, while the other branch reads the default.
        let params = r#"{"Env": {"Default": "dev"}}"#;
        let (_, val) = resolve(
            &template(
                params,
                r#"{"Fn::If": ["IsProd", {"Ref": "Env"}, {"Ref": "Env"}]}"#,
            ),
            "P",
        );
        let ValKind::Conditional {
            when_true,
            when_false,
            ..
        } = val.kind
        else {
            panic!("conditional: {val:?}")
        };
        assert_eq!(
            when_true.kind,
            ValKind::Unknown(UnknownReason::ParameterElsewhere {
                name: "Env".into(),
                condition: "IsProd".into(),
                holds: true,
                placeholder: false,
            })
        );
        assert_eq!(when_false.as_str(), Some("dev"));
        let params = r#"{"Env": {"Default": "prod"}}"#;
        let (_, val) = resolve(
            &template(
                params,
                r#"{"Fn::If": ["IsProd", {"Fn::Sub": "${Env}"}, "x"]}"#,
            ),
            "P",
        );
        assert!(
            matches!(&val.kind, ValKind::Conditional { when_true, .. } if when_true.as_str() == Some("prod")),
            "{val:?}"
        );
    }

    #[test]
    fn an_empty_default_is_a_placeholder_in_a_branch_other_parameters_switch_on() {
        // `IsProd` is off at `Env`'s default, so its branch is deployed by someone who set `Env`
        // and gave the secret the branch reads; a non-empty default is still read there.
        let params = r#"{"Env": {"Default": "dev"}, "Secret": {"Default": ""}, "Cidr": {"Default": "10.0.0.0/8"}}"#;
        let (_, val) = resolve(
            &template(
                params,
                r#"[{"Fn::If": ["IsProd", {"Ref": "Secret"}, {"Ref": "Secret"}]}, {"Fn::If": ["IsProd", {"Ref": "Cidr"}, "x"]}]"#,
            ),
            "P",
        );
        let ValKind::List(items) = val.kind else {
            panic!("list: {val:?}")
        };
        let [secret, cidr] = items.as_slice() else {
            panic!("two items: {items:?}")
        };
        let ValKind::Conditional {
            when_true,
            when_false,
            ..
        } = &secret.kind
        else {
            panic!("conditional: {secret:?}")
        };
        assert_eq!(
            when_true.kind,
            ValKind::Unknown(UnknownReason::ParameterElsewhere {
                name: "Secret".into(),
                condition: "IsProd".into(),
                holds: true,
                placeholder: true,
            })
        );
        assert_eq!(when_false.as_str(), Some(""));
        assert!(
            matches!(&cidr.kind, ValKind::Conditional { when_true, .. } if when_true.as_str() == Some("10.0.0.0/8")),
            "{cidr:?}"
        );
    }

    #[test]
    fn a_call_written_as_text_is_a_preprocessor_expression() {
        assert_eq!(
            written_call("Fn::EnumTargetAccounts B arn:aws:iam::${account}:root"),
            Some("Fn::EnumTargetAccounts")
        );
        assert_eq!(written_call("Fn::TargetCount B"), Some("Fn::TargetCount"));
        for text in ["Fn::Sub", "Fn:: x", "arn:aws:s3:::b Fn::X y", "Fn::X  "] {
            assert_eq!(written_call(text), None, "{text}");
        }
    }

    #[test]
    fn sub_join_select_split_and_find_in_map() {
        let params = r#"{"Name": {"Default": "logs"}}"#;
        let (_, val) = resolve(
            &template(params, r#"{"Fn::Sub": "arn:aws:s3:::${Name}/${!Literal}"}"#),
            "P",
        );
        assert_eq!(val.as_str(), Some("arn:aws:s3:::logs/${Literal}"));
        let (_, val) = resolve(
            &template(params, r#"{"Fn::Sub": "arn:${AWS::Partition}:s3:::x"}"#),
            "P",
        );
        assert!(matches!(val.kind, ValKind::Template(_)));
        let (_, val) = resolve(
            &template(params, r#"{"Fn::Join": ["-", ["a", {"Ref": "Name"}]]}"#),
            "P",
        );
        assert_eq!(val.as_str(), Some("a-logs"));
        let (_, val) = resolve(
            &template(
                params,
                r#"{"Fn::Select": ["1", {"Fn::Split": [",", "a,b"]}]}"#,
            ),
            "P",
        );
        assert_eq!(val.as_str(), Some("b"));
        let (_, val) = resolve(
            &template(params, r#"{"Fn::FindInMap": ["M", "k", "v"]}"#),
            "P",
        );
        assert_eq!(val.as_str(), Some("mapped"));
        let (_, val) = resolve(&template(params, r#"{"Fn::ImportValue": "x"}"#), "P");
        assert_eq!(
            val.kind,
            ValKind::Unknown(UnknownReason::Intrinsic("Fn::ImportValue"))
        );
    }
}
