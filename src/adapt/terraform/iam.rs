//! IAM policies declared in Terraform: policy resources, role inline and trust policies, and
//! `aws_iam_policy_document` data sources, linted once with their consumers as labels.

use crate::text::Text;
use std::borrow::Cow;
use std::collections::BTreeMap;

use hcl_edit::expr::Expression;
use hcl_edit::template::Element;

use super::Resource;
use super::eval::template_file::{TemplateSource, rendered_name};
use super::eval::{Bindings, Evaluator, span_of_expr};
use super::instances::{self, Expansion};
use super::module::BlockRef;
use crate::adapt::embedded::OffsetMap;
use crate::adapt::policy::{elements, policy_document, text_value, unknown_statement};
use crate::adapt::val::{Field, Val, ValKind, block_bodies};
use crate::model::iam::{
    ConditionEntry, Conditions, DATA_SOURCE_STATEMENT_KEYS, Key, PolicyDocument, PolicyKind,
    PrincipalItem, Principals, Statement, Statements, UnknownUse,
};
use crate::model::{Format, Model, ResourceRef, UnknownReason, Value};
use crate::source::Span;

/// Uses of `data.aws_iam_policy_document.X.json`, collected while adapting the instance's
/// resources and then the modules it calls, which a document may be passed to.
#[derive(Default)]
pub struct DataDocuments {
    consumers: BTreeMap<Text, Vec<Use>>,
    /// Uses of documents of calling instances (passed in as module inputs), for them to count.
    foreign: Vec<ForeignUse>,
    /// Uses of documents of called instances (returned as outputs), for them to count.
    downward: Vec<ForeignUse>,
}

/// Why a document used out of sight may not take effect as written.
const NOT_LINTED: &str = "it is passed to a module that is not linted";
const NOT_EVALUATED: &str = "it is passed through a function that is not evaluated";
const MAY_BE_REPLACED: &str = "a document merging it may replace its statements by `sid`";

/// One place using a data document.
#[derive(Clone)]
enum Use {
    /// A resource reads it as a policy of this kind, at `span`.
    Read {
        kind: PolicyKind,
        span: Span,
        owner: ResourceRef,
    },
    /// Used at `span` where it may be read as any kind, or not take effect: a module call passes
    /// it to a module that is not linted (remote, unreadable, past the unit's bounds), or a
    /// document merging it may replace its statements.
    Unfollowed { span: Span, why: &'static str },
}

impl Use {
    fn span(&self) -> Span {
        match self {
            Use::Read { span, .. } | Use::Unfollowed { span, .. } => *span,
        }
    }
}

/// A use, in one module instance, of a document another instance (`instance`: its address
/// prefix) declares: a caller's passed in, or a callee's returned.
pub struct ForeignUse {
    instance: Text,
    target: Text,
    used: Use,
}

/// The data document a value names, with the instance declaring it: this one's for a link, a
/// caller's for one passed in as a module input, a callee's for one returned as an output.
fn named_document<'v>(value: &'v Val, evaluator: &'v Evaluator) -> Option<(&'v Text, &'v Text)> {
    match &value.kind {
        ValKind::Link { target, .. } if target.starts_with("data.aws_iam_policy_document.") => {
            Some((&evaluator.prefix, target))
        }
        ValKind::Unknown(UnknownReason::ModuleDocument {
            instance, target, ..
        }) => Some((instance, target)),
        _ => None,
    }
}

/// Resource types this adapter reads; others are not evaluated at all.
pub const TYPES: &[&str] = &[
    "aws_iam_group_policy",
    "aws_iam_policy",
    "aws_iam_role",
    "aws_iam_role_policy",
    "aws_iam_user_policy",
    "aws_s3_bucket",
    "aws_s3_bucket_policy",
    "aws_ssoadmin_permission_set_inline_policy",
];

pub fn resource(
    resource: &Resource,
    evaluator: &Evaluator,
    documents: &mut DataDocuments,
    model: &mut Model,
) {
    let body = &resource.block.block.body;
    let kind = match resource.resource_type() {
        "aws_iam_policy"
        | "aws_iam_role_policy"
        | "aws_iam_user_policy"
        | "aws_iam_group_policy" => Some(("policy", PolicyKind::Identity)),
        "aws_ssoadmin_permission_set_inline_policy" => {
            Some(("inline_policy", PolicyKind::Identity))
        }
        "aws_s3_bucket_policy" | "aws_s3_bucket" => Some(("policy", PolicyKind::Bucket)),
        "aws_iam_role" => {
            if let Some(attribute) = body.get_attribute("assume_role_policy") {
                add(
                    resource,
                    (&attribute.value, resource.body.get("assume_role_policy")),
                    PolicyKind::Trust,
                    evaluator,
                    documents,
                    model,
                );
            }
            // Static blocks, and those a `dynamic "inline_policy"` generates (RULES.md 2.2):
            // each evaluated block with the `policy` expression it was written with.
            let written: Vec<&hcl_edit::structure::Attribute> = body
                .get_blocks("inline_policy")
                .chain(
                    body.get_blocks("dynamic")
                        .filter(|block| {
                            matches!(block.labels.as_slice(), [label] if label.as_str() == "inline_policy")
                        })
                        .flat_map(|block| block.body.get_blocks("content")),
                )
                .filter_map(|block| block.body.get_attribute("policy"))
                .collect();
            for block in resource.body.blocks("inline_policy") {
                let Some(field) = block.field("policy") else {
                    continue;
                };
                let expression = written.iter().find(|attribute| {
                    hcl_edit::Span::span(&attribute.key).map(|span| span.start)
                        == usize::try_from(field.key_span.start).ok()
                        && field.key_span.file == resource.block.file
                });
                if let Some(attribute) = expression {
                    add(
                        resource,
                        (&attribute.value, Some(&field.value)),
                        PolicyKind::Identity,
                        evaluator,
                        documents,
                        model,
                    );
                }
            }
            None
        }
        _ => None,
    };
    if let Some((key, kind)) = kind
        && let Some(attribute) = body.get_attribute(key)
    {
        add(
            resource,
            (&attribute.value, resource.body.get(key)),
            kind,
            evaluator,
            documents,
            model,
        );
    }
}

/// Adds the document an attribute holds; `expr` is the attribute as written, with its value when
/// the resource body already evaluated it.
fn add(
    resource: &Resource,
    (expr, evaluated): (&Expression, Option<&Val>),
    kind: PolicyKind,
    evaluator: &Evaluator,
    documents: &mut DataDocuments,
    model: &mut Model,
) {
    let file = resource.block.file;
    let owner = &resource.reference;
    // `"${x}"` is `x` itself (HCL keeps its value and type): Terraform 0.11's spelling.
    let expr = match expr {
        Expression::StringTemplate(template) => match template.as_single_element() {
            Some(Element::Interpolation(only)) => &only.expr,
            _ => expr,
        },
        _ => expr,
    };
    let value: Cow<Val> =
        match super::json_string::document(expr, file, evaluator.file_text(file), evaluator) {
            Some(Ok(value)) => Cow::Owned(value),
            Some(Err(reason)) => Cow::Owned(Val::unknown(reason, span_of_expr(file, expr))),
            None => match file_document(expr, file, evaluator) {
                Some(value) => {
                    let mut document = policy_document(&value, owner, kind);
                    document.consumers.push(span_of_expr(file, expr));
                    model.iam.policies.push(document);
                    return;
                }
                None => match evaluated {
                    Some(value) => Cow::Borrowed(value),
                    None => Cow::Owned(evaluator.eval(expr, file, &Bindings::default())),
                },
            },
        };
    if let Some((caller, target)) = named_document(&value, evaluator) {
        let used = Use::Read {
            kind,
            span: value.span,
            owner: owner.clone(),
        };
        documents.record(evaluator, caller, target, used);
        return;
    }
    // A document passed through a function that is not evaluated (`replace(data.x.json, ...)`)
    // reaches AWS rewritten, as one passed to a module that is not linted.
    if let ValKind::Unknown(_) = value.kind {
        documents.note_out_of_sight(file, [expr], evaluator, NOT_EVALUATED);
    }
    let value = match parsed_text(&value, evaluator) {
        Some(parsed) => Cow::Owned(parsed),
        None => value,
    };
    model
        .iam
        .policies
        .push(policy_document(&value, owner, kind));
}

/// A document given as JSON text (a heredoc, a string, a file read by `file()`) parsed, and so
/// each branch of a conditional choosing between such texts (RULES.md 2.4, 2.6); `None` when no
/// part is text.
fn parsed_text(value: &Val, evaluator: &Evaluator) -> Option<Val> {
    match &value.kind {
        ValKind::String(json) => Some(
            evaluator
                .verbatim_file(value)
                .and_then(|(id, text)| super::eval::json_in_file(id, &text))
                .unwrap_or_else(|| parse_relocated(json, value.span, value.defined_at, evaluator)),
        ),
        ValKind::Conditional {
            condition,
            when_true,
            when_false,
        } => {
            let (parsed_true, parsed_false) = (
                parsed_text(when_true, evaluator),
                parsed_text(when_false, evaluator),
            );
            if parsed_true.is_none() && parsed_false.is_none() {
                return None;
            }
            let branch =
                |parsed: Option<Val>, written: &Val| parsed.unwrap_or_else(|| written.clone());
            Some(Val {
                kind: ValKind::Conditional {
                    condition: condition.clone(),
                    when_true: Box::new(branch(parsed_true, when_true)),
                    when_false: Box::new(branch(parsed_false, when_false)),
                },
                ..value.clone()
            })
        }
        _ => None,
    }
}

/// `file("${path.module}/policy.json")` or `templatefile(...)`: the JSON of that file, with spans
/// in it. A `templatefile` placeholder makes its string unknown.
fn file_document(
    expr: &Expression,
    file: crate::source::FileId,
    evaluator: &Evaluator,
) -> Option<Val> {
    let span = span_of_expr(file, expr);
    // `data.template_file.x.rendered` of a file is `templatefile()` of it.
    let (function, path, vars) = match expr {
        Expression::FuncCall(call) => {
            let evaluated = |at: usize| {
                call.args
                    .iter()
                    .nth(at)
                    .map(|arg| evaluator.eval(arg, file, &Bindings::default()))
            };
            (call.name.name.as_str(), evaluated(0), evaluated(1))
        }
        _ => {
            match rendered_name(expr).and_then(|name| evaluator.template_file_source(name, span)) {
                Some(TemplateSource::File { path, vars }) => {
                    ("templatefile", Some(path), Some(vars))
                }
                _ => return None,
            }
        }
    };
    if function != "file" && function != "templatefile" {
        return None;
    }
    let unknown = |reason| Some(Val::unknown(reason, span));
    if let Some(reason) = path.as_ref().and_then(Val::unknown_reason) {
        return unknown(reason);
    }
    let Some(path) = path.and_then(|p| p.scalar_text()) else {
        return unknown(UnknownReason::Function(function.into()));
    };
    let (id, text) = match evaluator.load_file(&path) {
        super::eval::Loaded::Text(id, text) => (id, text),
        super::eval::Loaded::Missing => return unknown(super::eval::UNREADABLE_FILE),
        super::eval::Loaded::OverBudget => return Some(Val::too_large(span)),
    };
    let value = match function {
        "templatefile" => {
            let render = |vars: &Val| template_document(id, &text, Some(vars));
            match super::eval::templatefile_branches(vars.as_ref(), span, &render) {
                Some(branches) => branches.map(merged),
                None => template_document(id, &text, vars.as_ref()),
            }
        }
        _ => super::eval::json_in_file(id, &text).ok_or(UnknownReason::Unsupported(
            "a policy file that is not valid JSON",
        )),
    };
    Some(value.unwrap_or_else(|reason| Val::unknown(reason, span)))
}

/// A `templatefile` policy: its JSON with spans in the file, a placeholder its variable's text
/// when that is known (RULES.md 2.2); why not when it is no JSON.
fn template_document(
    id: crate::source::FileId,
    text: &str,
    vars: Option<&Val>,
) -> Result<Val, UnknownReason> {
    let resolve = |name: &str| super::eval::template_variable(vars, name);
    // `%{ if flag }` around a statement: rendered when `flag` is known, same offsets.
    let condition = |name: &str| match resolve(name).ok()?.as_ref() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    };
    let has_directives = text.contains("%{");
    let rendered = has_directives
        .then(|| super::template_directives::render_if_directives(text, &condition))
        .flatten();
    if has_directives && rendered.is_none() {
        // Conditions not known offline: each branch is a document (RULES.md 2.4).
        let undecided: Vec<&str> = super::template_directives::if_conditions(text)
            .into_iter()
            .filter(|c| condition(c).is_none())
            .collect();
        if let Some(branches) = template_branches(&undecided, &mut Vec::new(), &|decided| {
            let decide = |c: &str| {
                condition(c).or_else(|| decided.iter().find(|(d, _)| *d == c).map(|d| d.1))
            };
            let json = super::template_directives::render_if_directives(text, &decide)?;
            super::eval::template_json_in_file(id, &json, &resolve)
        }) {
            return Ok(branches);
        }
        let json = rendered.as_deref().unwrap_or(text);
        return super::eval::template_json_in_file(id, json, &resolve).ok_or(
            UnknownReason::Unsupported(
                "a policy template's `%{ for }` or unresolved `%{ if }` directive",
            ),
        );
    }
    let json = rendered.as_deref().unwrap_or(text);
    super::eval::template_json_in_file(id, json, &resolve).ok_or(UnknownReason::Unsupported(
        "a policy file that is not valid JSON",
    ))
}

/// At most this many undecided `%{ if }` conditions in one policy template are linted branch by
/// branch (2^n documents); past it the document is unknown.
const MAX_TEMPLATE_BRANCH_CONDITIONS: usize = 4;

/// Outcomes chosen for a template's undecided `%{ if }` conditions.
type Decided<'a> = [(&'a str, bool)];

/// The documents a template renders to for every outcome of its `undecided` conditions, as nested
/// conditionals (`%{ if flag }` like `flag ? a : b`, RULES.md 2.4); `None` when one does not
/// render or parse, or there are too many conditions. `render` gets each condition's outcome.
fn template_branches<'a>(
    undecided: &[&'a str],
    decided: &mut Vec<(&'a str, bool)>,
    render: &dyn Fn(&Decided<'a>) -> Option<Val>,
) -> Option<Val> {
    if undecided.len() > MAX_TEMPLATE_BRANCH_CONDITIONS {
        return None;
    }
    let Some((&first, rest)) = undecided.split_first() else {
        return render(decided);
    };
    let mut branch = |holds: bool| {
        decided.push((first, holds));
        let value = template_branches(rest, decided, render);
        decided.pop();
        value
    };
    let when_true = branch(true)?;
    let when_false = branch(false)?;
    Some(merge_branches(first, when_true, when_false))
}

/// Renderings of a template under conditions (`templatefile_branches`) as one value, as
/// `merge_branches` makes them.
fn merged(value: Val) -> Val {
    match value.kind {
        ValKind::Conditional {
            condition,
            when_true,
            when_false,
        } => merge_branches(&condition, merged(*when_true), merged(*when_false)),
        _ => value,
    }
}

/// One value for both renderings of a template under `condition`: what they share (the same
/// bytes of the template, so the same spans) once, what differs as a conditional, a statement or
/// key only one rendering has as present in that branch and omitted in the other. A statement
/// outside every directive is thus reported once, not once per branch.
fn merge_branches(condition: &str, when_true: Val, when_false: Val) -> Val {
    if when_true == when_false {
        return when_true;
    }
    let only = |value: Val, holds: bool| {
        let span = value.span;
        let absent = Val::new(ValKind::Absent, span);
        let (when_true, when_false) = if holds {
            (value, absent)
        } else {
            (absent, value)
        };
        Val::new(
            ValKind::Conditional {
                condition: condition.into(),
                when_true: Box::new(when_true),
                when_false: Box::new(when_false),
            },
            span,
        )
    };
    // A container the directive cuts into starts at the same byte in both renderings; where it
    // ends differs.
    let same_start = when_true.span.start == when_false.span.start;
    match (when_true.kind, when_false.kind) {
        (ValKind::Object(fields_true), ValKind::Object(mut fields_false)) if same_start => {
            let mut fields = Vec::with_capacity(fields_true.len());
            for field in fields_true {
                let value = match fields_false.iter().position(|f| f.key == field.key) {
                    Some(at) => {
                        merge_branches(condition, field.value, fields_false.remove(at).value)
                    }
                    None => only(field.value, true),
                };
                fields.push(Field { value, ..field });
            }
            fields.extend(fields_false.into_iter().map(|field| Field {
                value: only(field.value.clone(), false),
                ..field
            }));
            Val::new(ValKind::Object(fields), when_true.span)
        }
        (ValKind::List(items_true), ValKind::List(items_false)) if same_start => {
            // Elements in source order; one starting at the same byte in both is shared.
            let mut items = Vec::with_capacity(items_true.len().max(items_false.len()));
            let mut items_false = items_false.into_iter().peekable();
            for item in items_true {
                while let Some(other) =
                    items_false.next_if(|other| other.span.start < item.span.start)
                {
                    items.push(only(other, false));
                }
                match items_false.next_if(|other| other.span.start == item.span.start) {
                    Some(other) => items.push(merge_branches(condition, item, other)),
                    None => items.push(only(item, true)),
                }
            }
            items.extend(items_false.map(|other| only(other, false)));
            Val::new(ValKind::List(items), when_true.span)
        }
        (kind_true, kind_false) => Val::new(
            ValKind::Conditional {
                condition: condition.into(),
                when_true: Box::new(Val {
                    kind: kind_true,
                    ..when_true
                }),
                when_false: Box::new(Val {
                    kind: kind_false,
                    ..when_false
                }),
            },
            when_true.span,
        ),
    }
}

/// JSON text held by a string value, parsed with spans in the literal that wrote it (RULES.md 2.6);
/// when that literal is elsewhere (a variable, a local, a module input), every part moves to the
/// use site and keeps where it was written, for a `value set here` label (RULES.md 2.7).
fn parse_relocated(
    json: &str,
    use_site: Span,
    written_at: Option<Span>,
    evaluator: &Evaluator,
) -> Val {
    let literal = written_at.unwrap_or(use_site);
    let map = literal_map(json, literal, evaluator);
    let parsed = crate::adapt::embedded::parse_mapped_json(json, literal.file, &map);
    match parsed.root {
        Some(root) if parsed.errors.is_empty() => {
            let value = crate::adapt::val::from_node(&root);
            if literal == use_site {
                value
            } else {
                super::eval::relocate(value, use_site)
            }
        }
        _ => Val::unknown(
            UnknownReason::Unsupported("a policy string that is not valid JSON"),
            use_site,
        ),
    }
}

/// How `json` maps into the source written at `literal`: byte by byte when that source is a quoted
/// string or heredoc without interpolations or directives (its text is the JSON's, escapes and
/// heredoc indentation aside); otherwise, a computed string or one whose template parts were
/// substituted, the literal as a whole, as no character of it can be located.
fn literal_map(json: &str, literal: Span, evaluator: &Evaluator) -> OffsetMap {
    let raw = evaluator
        .file_text(literal.file)
        .get(literal.range())
        .unwrap_or("");
    let string_literal = raw.starts_with('"') || raw.starts_with("<<");
    if string_literal && !raw.contains("${") && !raw.contains("%{") {
        OffsetMap::align(json, raw, literal.start, literal)
    } else {
        OffsetMap::Whole(literal)
    }
}

impl DataDocuments {
    /// Records a use of the document `target` of `instance`: this instance's, one to hand down
    /// to a called instance (its prefix extends this one's), or one to report back to a calling
    /// instance.
    fn record(&mut self, evaluator: &Evaluator, instance: &Text, target: &Text, used: Use) {
        if *instance == evaluator.prefix {
            self.consumers.entry(target.clone()).or_default().push(used);
            return;
        }
        let other = ForeignUse {
            instance: instance.clone(),
            target: target.clone(),
            used,
        };
        if instance.starts_with(evaluator.prefix.as_str()) {
            self.downward.push(other);
        } else {
            self.foreign.push(other);
        }
    }

    /// Takes uses of documents another instance made (a called one's of this instance's or its
    /// callers', a caller's of this instance's or its callees'): this instance's are recorded,
    /// the others passed on.
    pub fn others_uses(&mut self, evaluator: &Evaluator, uses: Vec<ForeignUse>) {
        for ForeignUse {
            instance,
            target,
            used,
        } in uses
        {
            self.record(evaluator, &instance, &target, used);
        }
    }

    /// The uses of documents of the called instance `prefix` and of the instances it calls.
    pub fn uses_below(&mut self, prefix: &str) -> Vec<ForeignUse> {
        let (below, others) = std::mem::take(&mut self.downward)
            .into_iter()
            .partition(|used| used.instance.starts_with(prefix));
        self.downward = others;
        below
    }

    /// Builds every `aws_iam_policy_document` once, with the kinds and labels of its consumers.
    /// Each instance of a data source with `count`/`for_each` is its own document, like the
    /// instances of a resource (RULES.md 2.2): none when it is known to create none. Returns the
    /// uses of calling instances' documents, for them to finish theirs.
    pub fn finish(
        mut self,
        evaluator: &Evaluator,
        budget: &mut instances::Budget,
        model: &mut Model,
    ) -> Vec<ForeignUse> {
        let imports = import_arguments(evaluator);
        self.pass_on_merged_uses(evaluator, &imports);
        let embedded = embedded_documents(&imports);
        for import in imports.iter().filter(|import| import.unread()) {
            self.note_out_of_sight(import.data.file, [import.written], evaluator, NOT_EVALUATED);
        }
        for data in &evaluator.module.data {
            if data.resource_type != "aws_iam_policy_document" {
                continue;
            }
            let target = format!("data.aws_iam_policy_document.{}", data.name);
            let uses = self
                .consumers
                .get(target.as_str())
                .map_or(&[][..], Vec::as_slice);
            // A document only merged into others is linted there, as it takes effect.
            if uses.is_empty() && embedded.contains(target.as_str()) {
                continue;
            }
            for instance in super::evaluate(evaluator, *data, budget) {
                let address = format!("{}data.{}", evaluator.prefix, instance.reference.address);
                let document = data_document(*data, &instance.body, address, evaluator, 0);
                model.iam.policies.push(consumed_by(document, uses));
            }
        }
        self.foreign
    }
}

impl DataDocuments {
    /// A caller's document merged into one of this instance's (`source_policy_documents =
    /// [var.base]`) takes effect where this one does: it is used as this one is.
    fn pass_on_merged_uses(&mut self, evaluator: &Evaluator, imports: &[ImportArgument]) {
        for data in &evaluator.module.data {
            if data.resource_type != "aws_iam_policy_document" {
                continue;
            }
            let target = format!("data.aws_iam_policy_document.{}", data.name);
            let Some(uses) = self.consumers.get(target.as_str()).cloned() else {
                continue;
            };
            let own: Vec<&ImportArgument> = imports
                .iter()
                .filter(|import| import.data.name == data.name)
                .collect();
            let overrides: usize = own
                .iter()
                .filter(|import| import.overrides())
                .map(|import| import.value.items().len())
                .sum();
            for import in &own {
                let whole = merged_whole(import, overrides);
                let merged = referenced_documents(evaluator, data.file, [import.written]);
                for (instance, merged, _) in merged {
                    if instance == evaluator.prefix {
                        continue;
                    }
                    for used in &uses {
                        let used = match whole {
                            true => used.clone(),
                            false => Use::Unfollowed {
                                span: used.span(),
                                why: MAY_BE_REPLACED,
                            },
                        };
                        self.record(evaluator, &instance, &merged, used);
                    }
                }
            }
        }
    }
}

/// Whether every statement of a document merged in through `import` takes effect: none can be
/// replaced by a statement of the same `sid` (a source document's by the data source's own or by
/// an override document's, an override document's by a later one); `overrides` counts the data
/// source's override documents.
fn merged_whole(import: &ImportArgument, overrides: usize) -> bool {
    if import.overrides() {
        return overrides <= 1;
    }
    let body = &import.data.block.body;
    let own_sids = body
        .get_blocks("statement")
        .any(|b| b.body.has_attribute("sid"))
        || body
            .get_blocks("dynamic")
            .any(|b| b.labels.first().is_some_and(|l| l.as_str() == "statement"));
    overrides == 0 && !own_sids
}

/// A data source's document with the kinds and labels of its uses.
fn consumed_by(mut document: PolicyDocument, uses: &[Use]) -> PolicyDocument {
    let consumers: Vec<(PolicyKind, Span, &ResourceRef)> = uses
        .iter()
        .filter_map(|used| match used {
            Use::Read { kind, span, owner } => Some((*kind, *span, owner)),
            Use::Unfollowed { .. } => None,
        })
        .collect();
    document.unknown_use = uses.iter().find_map(|used| match used {
        Use::Unfollowed { span, why } => Some(UnknownUse { span: *span, why }),
        Use::Read { .. } => None,
    });
    // Every consumer's kind applies; the first is the one messages speak of.
    let mut kinds: Vec<PolicyKind> = consumers.iter().map(|(kind, _, _)| *kind).collect();
    kinds.sort_by_key(|kind| match kind {
        PolicyKind::Bucket => 0,
        PolicyKind::Trust => 1,
        PolicyKind::Identity => 2,
        PolicyKind::Resource => 3,
        PolicyKind::Other => 4,
    });
    kinds.dedup();
    document.other_kinds = kinds.split_off(kinds.len().min(1));
    document.kind = kinds.first().copied().unwrap_or_else(|| {
        // Used only where its kind cannot be known: none the rules may assume.
        if document.unknown_use.is_some() {
            return PolicyKind::Other;
        }
        let has_principal = document
            .statements
            .iter()
            .any(|s| s.principal.is_some() || s.not_principal.is_some());
        if has_principal {
            PolicyKind::Resource
        } else {
            PolicyKind::Identity
        }
    });
    // Instances of one resource (`count`/`for_each`) consume it at the same place.
    let mut seen = foldhash::HashSet::default();
    document.consumers = uses
        .iter()
        .map(Use::span)
        .filter(|span| seen.insert(*span))
        .collect();
    document.attached_to = consumers
        .iter()
        .map(|(_, _, owner)| (*owner).clone())
        .collect();
    document
}

/// Whether a resource of this instance can name a policy document: one it declares, one a module
/// it calls returns, or a caller's passed in. Most modules have none, and need no resource walked.
pub fn may_name_documents(
    module: &super::module::Module,
    files: &[super::module::TfFile],
    evaluator: &Evaluator,
) -> bool {
    module
        .data
        .iter()
        .any(|data| data.resource_type == "aws_iam_policy_document")
        || files
            .iter()
            .any(|file| file.body.get_blocks("module").next().is_some())
        || evaluator
            .inputs()
            .any(|value| !module_documents(value).is_empty())
}

/// The documents of other module instances a value holds (a module input or output), each as
/// (declaring instance, target).
fn module_documents(value: &Val) -> Vec<(&Text, &Text)> {
    let mut found = Vec::new();
    let mut pending = vec![value];
    while let Some(value) = pending.pop() {
        if let ValKind::Unknown(UnknownReason::ModuleDocument {
            instance, target, ..
        }) = &value.kind
        {
            found.push((instance, target));
        }
        pending.extend(value.children());
    }
    found
}

impl DataDocuments {
    /// Records the documents a resource of a type no adapter reads refers to, directly or
    /// through locals and module inputs (`content = data.aws_iam_policy_document.scp.json` in an
    /// `aws_organizations_policy`, a KMS key or queue policy). Such a document is used, as none of
    /// the identity, bucket or trust kinds (RULES.md 2.6): without this it would take the kind
    /// of an unused one and an SCP allowing `*` would read as an administrator policy.
    pub fn note_other_consumer(&mut self, block: BlockRef, evaluator: &Evaluator) {
        let named = referenced_documents(evaluator, block.file, [&block.block.body]);
        if named.is_empty() {
            return;
        }
        let owner = ResourceRef {
            address: format!("{}{}.{}", evaluator.prefix, block.resource_type, block.name).into(),
            format: Format::Terraform,
            span: block.header(),
        };
        for (caller, target, span) in named {
            let used = Use::Read {
                kind: PolicyKind::Other,
                span,
                owner: owner.clone(),
            };
            self.record(evaluator, &caller, &target, used);
        }
    }

    /// Records the documents a module call passes to a module that is not linted: what they are
    /// there is unknown (RULES.md 1).
    pub fn note_unfollowed_call(&mut self, call: BlockRef, evaluator: &Evaluator) {
        let inputs: Vec<&Expression> = call
            .block
            .body
            .attributes()
            .filter(|attribute| super::calls::is_input(attribute.key.as_str()))
            .map(|attribute| &attribute.value)
            .collect();
        self.note_out_of_sight(call.file, inputs, evaluator, NOT_LINTED);
    }

    /// Records the documents `expressions` name as used out of sight (`why`, a clause): read
    /// there as any kind, or none, and perhaps rewritten before AWS reads them.
    fn note_out_of_sight<'n>(
        &mut self,
        file: crate::source::FileId,
        expressions: impl IntoIterator<Item = &'n Expression>,
        evaluator: &Evaluator,
        why: &'static str,
    ) {
        for (caller, target, span) in referenced_documents(evaluator, file, expressions) {
            self.record(evaluator, &caller, &target, Use::Unfollowed { span, why });
        }
    }
}

/// The documents `nodes` (bodies or expressions written in `file`) name, with the instance
/// declaring each and where the nodes use it.
fn referenced_documents<'n, N: Visitable + 'n>(
    evaluator: &Evaluator,
    file: crate::source::FileId,
    nodes: impl IntoIterator<Item = &'n N>,
) -> Vec<(Text, Text, Span)> {
    let mut found = ReferencedDocuments {
        evaluator,
        file,
        use_site: None,
        named: Vec::new(),
        locals_seen: std::collections::BTreeSet::new(),
    };
    for node in nodes {
        node.visit(&mut found);
    }
    found.named
}

/// What [`referenced_documents`] walks.
trait Visitable {
    fn visit(&self, visitor: &mut ReferencedDocuments);
}

impl Visitable for hcl_edit::structure::Body {
    fn visit(&self, visitor: &mut ReferencedDocuments) {
        hcl_edit::visit::visit_body(visitor, self);
    }
}

impl Visitable for Expression {
    fn visit(&self, visitor: &mut ReferencedDocuments) {
        hcl_edit::visit::visit_expr(visitor, self);
    }
}

/// The `data.aws_iam_policy_document.<name>` references in a body, following locals, and the
/// other instances' documents module inputs and outputs hold; each as (declaring instance, target, the
/// place the body makes it: the `local.x` it goes through, if any).
struct ReferencedDocuments<'e, 'a> {
    evaluator: &'e Evaluator<'a>,
    file: crate::source::FileId,
    use_site: Option<Span>,
    named: Vec<(Text, Text, Span)>,
    locals_seen: std::collections::BTreeSet<String>,
}

impl hcl_edit::visit::Visit for ReferencedDocuments<'_, '_> {
    fn visit_traversal(&mut self, traversal: &hcl_edit::expr::Traversal) {
        let span = hcl_edit::Span::span(traversal).map_or_else(
            || Span::new(self.file, 0, 0),
            |range| Span::new(self.file, range.start, range.end),
        );
        let mut names = traversal.operators.iter().map(|op| match op.value() {
            hcl_edit::expr::TraversalOperator::GetAttr(ident) => Some(ident.as_str()),
            _ => None,
        });
        let root = match &traversal.expr {
            Expression::Variable(root) => root.as_str(),
            _ => "",
        };
        let use_site = self.use_site.unwrap_or(span);
        match (root, names.next().flatten(), names.next().flatten()) {
            ("data", Some("aws_iam_policy_document"), Some(name)) => {
                let target = format!("data.aws_iam_policy_document.{name}").into();
                self.named
                    .push((self.evaluator.prefix.clone(), target, use_site));
            }
            ("local", Some(name), _) if self.locals_seen.insert(name.to_owned()) => {
                if let Some(local) = self.evaluator.module.locals.get(name) {
                    let outer = (self.file, self.use_site);
                    self.file = local.file;
                    self.use_site = Some(use_site);
                    hcl_edit::visit::visit_expr(self, local.item);
                    (self.file, self.use_site) = outer;
                }
            }
            ("var", Some(name), _) => {
                if let Some(value) = self.evaluator.input(name) {
                    self.name_module_documents(value, use_site);
                }
            }
            ("module", Some(_), Some(_)) => {
                let expr = Expression::Traversal(Box::new(traversal.clone()));
                let value = self.evaluator.eval(&expr, self.file, &Bindings::default());
                self.name_module_documents(&value, use_site);
            }
            _ => {}
        }
        hcl_edit::visit::visit_traversal(self, traversal);
    }
}

impl ReferencedDocuments<'_, '_> {
    /// The documents of other module instances in a module input or output value.
    fn name_module_documents(&mut self, value: &Val, use_site: Span) {
        for (instance, target) in module_documents(value) {
            self.named
                .push((instance.clone(), target.clone(), use_site));
        }
    }
}

const MAX_DOCUMENT_DEPTH: usize = 8;

const IMPORT_KEYS: [&str; 4] = [
    "source_policy_documents",
    "source_json",
    "override_policy_documents",
    "override_json",
];

/// One source or override documents argument of a policy document data source.
struct ImportArgument<'e> {
    data: BlockRef<'e>,
    key: &'static str,
    /// As written, and as evaluated.
    written: &'e Expression,
    value: Val,
}

impl ImportArgument<'_> {
    /// `override_policy_documents`/`override_json`, not a source.
    fn overrides(&self) -> bool {
        IMPORT_KEYS[2..].contains(&self.key)
    }

    /// Whether the evaluator cannot read the list or an item (`compact([...])`): the documents it
    /// names are merged in out of sight. Another instance's document (`[var.policy]`,
    /// `[module.m.doc]`) is named, not unread.
    fn unread(&self) -> bool {
        let unread = |item: &Val| {
            matches!(&item.kind, ValKind::Unknown(reason)
                if !matches!(reason, UnknownReason::ModuleDocument { .. }))
        };
        unread(&self.value) || self.value.items().into_iter().any(unread)
    }
}

/// Every source or override documents argument of the module's data sources, evaluated once.
fn import_arguments<'e>(evaluator: &Evaluator<'e>) -> Vec<ImportArgument<'e>> {
    let mut imports = Vec::new();
    for data in &evaluator.module.data {
        if data.resource_type != "aws_iam_policy_document" {
            continue;
        }
        for key in IMPORT_KEYS {
            if let Some(attribute) = data.block.body.get_attribute(key) {
                imports.push(ImportArgument {
                    data: *data,
                    key,
                    written: &attribute.value,
                    value: evaluator.eval(&attribute.value, data.file, &Bindings::default()),
                });
            }
        }
    }
    imports
}

/// Data documents named in another one's source or override documents.
fn embedded_documents(imports: &[ImportArgument]) -> std::collections::BTreeSet<Text> {
    let mut embedded = std::collections::BTreeSet::new();
    for import in imports {
        for item in import.value.items() {
            if let ValKind::Link { target, .. } = &item.kind {
                embedded.insert(target.clone());
            }
        }
    }
    embedded
}

/// A data source's statements, from its evaluated `body`: source documents, then its own
/// statements replacing the same `sid`, then override documents replacing the same `sid` or
/// appended (RULES.md 2.6). `address` names the instance.
fn data_document(
    data: BlockRef,
    body: &Val,
    address: String,
    evaluator: &Evaluator,
    depth: usize,
) -> PolicyDocument {
    let header = data.header();
    let owner = ResourceRef {
        address: address.into(),
        format: Format::Terraform,
        span: header,
    };
    let mut statements: Vec<Statement> = Vec::new();
    for key in IMPORT_KEYS.iter().take(2) {
        for statement in imported(body, key, data, evaluator, depth) {
            merge(&mut statements, statement);
        }
    }
    for (_, exists_when, block) in body.blocks_when("statement") {
        let mut statement = data_statement(block);
        statement.exists_when.splice(0..0, exists_when);
        merge(&mut statements, statement);
    }
    for key in IMPORT_KEYS.iter().skip(2) {
        for statement in imported(body, key, data, evaluator, depth) {
            merge(&mut statements, statement);
        }
    }
    // The provider writes `Version` itself: the argument, else its default (never missing).
    let version = match body.field("version") {
        Some(field) => text_value(&field.value, field.span()),
        None => Value::aws_default(PolicyDocument::DATA_SOURCE_DEFAULT_VERSION.into(), header),
    };
    PolicyDocument {
        owner,
        kind: PolicyKind::Identity,
        span: header,
        version: Some(version),
        unexpected_keys: Vec::new(),
        statements: Statements::List(statements),
        consumers: Vec::new(),
        attached_to: Vec::new(),
        unknown_use: None,
        other_kinds: Vec::new(),
    }
}

/// The document a data source named in another one's source or override documents stands for.
/// The reference's index is not followed, so a source with several instances is one with its
/// `count.index`/`each.*` Unknown; none when it is known to create no instance.
fn merged_document(
    source: BlockRef,
    evaluator: &Evaluator,
    depth: usize,
) -> Option<PolicyDocument> {
    let bindings = match instances::expand(evaluator, source) {
        Expansion::Nothing => return None,
        Expansion::Single { bindings, .. } => bindings,
        Expansion::Each(mut each) if each.len() == 1 => each.pop()?.bindings,
        Expansion::Each(_) => instances::unknown_bindings(source),
    };
    let header = source.header();
    let body = evaluator.body(&source.block.body, source.file, header, &bindings);
    let address = format!(
        "{}data.aws_iam_policy_document.{}",
        evaluator.prefix, source.name
    );
    Some(data_document(source, &body, address, evaluator, depth))
}

fn sid_of(statement: &Statement) -> Option<&str> {
    statement
        .sid
        .as_ref()
        .and_then(|sid| sid.known())
        .map(|s| &**s)
        .filter(|s| !s.is_empty())
}

fn merge(statements: &mut Vec<Statement>, statement: Statement) {
    let Some(sid) = sid_of(&statement) else {
        statements.push(statement);
        return;
    };
    // A statement replaces one with its `sid` only where both exist (RULES.md 2.4): two branches
    // of one conditional `dynamic` block never meet, and a conditional replacement leaves the
    // earlier statement in place wherever the replacement does not exist.
    let mut merged = Vec::with_capacity(statements.len() + 1);
    let mut replaced_at = None;
    for existing in statements.drain(..) {
        if sid_of(&existing) != Some(sid)
            || contradicts(&existing.exists_when, &statement.exists_when)
        {
            merged.push(existing);
            continue;
        }
        replaced_at.get_or_insert(merged.len());
        for (at, (condition, outcome)) in statement.exists_when.iter().enumerate() {
            let mut remainder = existing.clone();
            remainder
                .exists_when
                .extend(statement.exists_when[..at].iter().cloned());
            remainder.exists_when.push((condition.clone(), !outcome));
            if !contradicts(
                &existing.exists_when,
                &remainder.exists_when[existing.exists_when.len()..],
            ) {
                merged.push(remainder);
            }
        }
    }
    match replaced_at {
        Some(at) => merged.insert(at, statement),
        None => merged.push(statement),
    }
    *statements = merged;
}

/// Whether two sets of conditions cannot hold together (one condition with both outcomes).
fn contradicts(a: &[(Text, bool)], b: &[(Text, bool)]) -> bool {
    a.iter().any(|(name, outcome)| {
        b.iter()
            .any(|(other, chosen)| other == name && chosen != outcome)
    })
}

/// Statements of documents listed under `key`: other data sources or JSON strings.
fn imported(
    body: &Val,
    key: &str,
    data: BlockRef,
    evaluator: &Evaluator,
    depth: usize,
) -> Vec<Statement> {
    let Some(value) = body.get(key) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in value.items() {
        match &item.kind {
            ValKind::Link { target, .. } if depth < MAX_DOCUMENT_DEPTH => {
                let name = target
                    .strip_prefix("data.aws_iam_policy_document.")
                    .unwrap_or("");
                match evaluator
                    .module
                    .data_source("aws_iam_policy_document", name)
                {
                    Some(source) => {
                        if let Some(document) = merged_document(source, evaluator, depth + 1) {
                            out.extend(document.statements.iter().cloned());
                        }
                    }
                    None => out.extend(
                        item.unknown_reason()
                            .map(|reason| unknown_statement(item.span, reason)),
                    ),
                }
            }
            ValKind::String(_) | ValKind::Object(_) => {
                // A JSON string (spans in the file `file()` read it from), or the object of
                // `jsonencode({...})` with its HCL spans.
                let value = parsed_text(item, evaluator).unwrap_or_else(|| item.clone());
                let owner = ResourceRef {
                    address: format!(
                        "{}data.aws_iam_policy_document.{}",
                        evaluator.prefix, data.name
                    )
                    .into(),
                    format: Format::Terraform,
                    span: data.header(),
                };
                let document = policy_document(&value, &owner, PolicyKind::Identity);
                match &document.statements {
                    Statements::Unknown { reason, span } => {
                        out.push(unknown_statement(*span, reason.clone()));
                    }
                    Statements::List(_) | Statements::Missing | Statements::Malformed(_) => {
                        out.extend(document.statements.iter().cloned());
                    }
                }
            }
            _ => out.extend(
                item.unknown_reason()
                    .map(|reason| unknown_statement(item.span, reason)),
            ),
        }
    }
    out
}

/// One `statement` block; `effect` defaults to Allow here only.
fn data_statement(block: &Val) -> Statement {
    let mut statement = Statement::empty(block.span);
    for field in block.fields() {
        let span = field.span();
        match &*field.key {
            "sid" => statement.sid = Some(text_value(&field.value, span)),
            "effect" => statement.effect = Some(text_value(&field.value, span)),
            "actions" => statement.action = Some(elements(&policy_variables(field))),
            "not_actions" => statement.not_action = Some(elements(&policy_variables(field))),
            "resources" => statement.resource = Some(elements(&policy_variables(field))),
            "not_resources" => statement.not_resource = Some(elements(&policy_variables(field))),
            key if !DATA_SOURCE_STATEMENT_KEYS.contains(&key) => {
                statement.unexpected_keys.push(Key {
                    name: field.key.clone(),
                    span: field.key_span,
                });
            }
            _ => {}
        }
    }
    statement.is_data_source_block = true;
    if statement.effect.is_none() {
        statement.effect = Some(Value::aws_default("Allow".into(), block.span));
    }
    statement.principal = principals(block, "principals");
    statement.not_principal = principals(block, "not_principals");
    statement.condition = conditions(block);
    statement
}

/// `&{aws:username}` is how the data source writes the policy variable `${aws:username}`,
/// wherever a policy may hold one: actions, resources, principals and condition values.
fn policy_variables(field: &Field) -> Field {
    let mut field = field.clone();
    let mut stack = vec![&mut field.value];
    while let Some(value) = stack.pop() {
        match &mut value.kind {
            ValKind::String(text) if text.contains("&{") => *text = text.replace("&{", "${").into(),
            ValKind::List(items) => stack.extend(items.iter_mut()),
            _ => {}
        }
    }
    field
}

fn principals(block: &Val, key: &str) -> Option<Principals> {
    let blocks: Vec<&Field> = block.fields().iter().filter(|f| &*f.key == key).collect();
    let first = blocks.first()?;
    let mut span = first.span();
    let mut items = Vec::new();
    for field in &blocks {
        span = span.cover(field.span());
        // A block that exists in one branch only names its principals in that branch.
        for (_, principal) in block_bodies(&field.value) {
            let principal_type = principal.get("type").and_then(Val::as_str);
            let Some(identifiers) = principal.field("identifiers") else {
                continue;
            };
            for value in elements(&policy_variables(identifiers)).items {
                items.push(PrincipalItem {
                    principal_type: principal_type.filter(|t| *t != "*").map(Into::into),
                    value,
                });
            }
        }
    }
    Some(Principals {
        key_span: first.key_span,
        span,
        items,
    })
}

fn conditions(block: &Val) -> Option<Conditions> {
    let blocks: Vec<&Field> = block
        .fields()
        .iter()
        .filter(|f| &*f.key == "condition")
        .collect();
    let first = blocks.first()?;
    let mut span = first.span();
    let mut entries = Vec::new();
    for field in &blocks {
        span = span.cover(field.span());
        // A condition that exists in one branch only (a `dynamic` block over a conditional
        // collection, held as `Conditional`) limits the statement in that branch only: unknown.
        if !matches!(field.value.kind, ValKind::Object(_)) {
            return Some(Conditions {
                key_span: first.key_span,
                span,
                entries: None,
            });
        }
        let mut values = field
            .value
            .field("values")
            .map(|v| elements(&policy_variables(v)).items)
            .unwrap_or_default();
        // `test = var.op`: any operator; `variable = var.key`: any key; the values say why.
        let mut text = |key: &str| {
            let value = field.value.get(key);
            let text = value.and_then(|v| v.scalar_text());
            if text.is_none() {
                let reason =
                    value
                        .and_then(Val::unknown_reason)
                        .unwrap_or(UnknownReason::Unsupported(
                            "a condition without `test` or `variable`",
                        ));
                values.push(Value::unknown(
                    reason,
                    value.map_or(field.span(), |v| v.span),
                ));
            }
            text.map(Text::from)
        };
        let (operator, key) = (text("test"), text("variable"));
        entries.push(ConditionEntry {
            operator,
            key,
            span: field.span(),
            values,
            when: Vec::new(),
        });
    }
    Some(Conditions {
        key_span: first.key_span,
        span,
        entries: Some(entries),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    #[test]
    fn template_branches_share_what_both_render_and_condition_the_rest() {
        let item = |start: usize, text: &str| {
            Val::new(
                ValKind::String(text.into()),
                Span::new(FileId(0), start, start + 3),
            )
        };
        let list = |items: Vec<Val>| Val::new(ValKind::List(items), Span::new(FileId(0), 0, 99));
        // `[a%{ if on }, b%{ endif }, c]`: `a` and `c` in both renderings, `b` only when `on`.
        let merged = merge_branches(
            "on",
            list(vec![item(1, "a"), item(20, "b"), item(40, "c")]),
            list(vec![item(1, "a"), item(40, "c")]),
        );
        let ValKind::List(items) = merged.kind else {
            panic!("a list: {merged:?}");
        };
        assert_eq!(items.len(), 3);
        assert_eq!(items[0], item(1, "a"));
        assert!(matches!(
            &items[1].kind,
            ValKind::Conditional { condition, when_true, when_false }
                if &**condition == "on" && **when_true == item(20, "b")
                    && when_false.kind == ValKind::Absent
        ));
        assert_eq!(items[2], item(40, "c"));
    }

    fn statement(sid: &str, at: usize, when: &[(&str, bool)]) -> Statement {
        let span = Span::new(FileId(0), at, at + 1);
        let mut statement = Statement::empty(span);
        statement.sid = Some(Value::explicit(sid.into(), span));
        statement.exists_when = when.iter().map(|(c, o)| ((*c).into(), *o)).collect();
        statement
    }

    #[test]
    fn a_conditional_statement_replaces_its_sid_only_where_it_exists() {
        let mut statements = vec![statement("S", 1, &[])];
        merge(
            &mut statements,
            statement("S", 2, &[("a", true), ("b", true)]),
        );
        let kept: Vec<(usize, Vec<(Text, bool)>)> = statements
            .iter()
            .map(|s| (s.span.range().start, s.exists_when.clone()))
            .collect();
        assert_eq!(
            kept,
            [
                (2, vec![("a".into(), true), ("b".into(), true)]),
                (1, vec![("a".into(), false)]),
                (1, vec![("a".into(), true), ("b".into(), false)]),
            ]
        );
        // Two branches of one conditional never meet: both are kept.
        let mut statements = vec![statement("S", 1, &[("a", true)])];
        merge(&mut statements, statement("S", 2, &[("a", false)]));
        assert_eq!(statements.len(), 2);
        // An unconditional statement replaces its sid everywhere.
        merge(&mut statements, statement("S", 3, &[]));
        assert_eq!(statements.len(), 1);
    }
}
