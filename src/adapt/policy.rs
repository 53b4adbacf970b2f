//! IAM policy documents from a resolved value tree (JSON, YAML maps, `jsonencode`), for every
//! format. The data source `aws_iam_policy_document` has its own adapter in `terraform/`.

use super::val::{Field, Val, ValKind, as_text, conditional_branches};
use crate::model::iam::{
    ConditionEntry, Conditions, Elements, Key, PolicyDocument, PolicyKind, PrincipalItem,
    Principals, Statement, Statements,
};
use crate::model::{Leaf, ResourceRef, UnknownReason, Value};
use crate::text::Text;

/// Conditions under which a statement exists.
type ExistsWhen = Vec<(Text, bool)>;

/// Builds the document `doc` holds; an unknown or non-object value gives an unknown document.
pub fn policy_document(doc: &Val, owner: &ResourceRef, kind: PolicyKind) -> PolicyDocument {
    let mut document = PolicyDocument {
        owner: owner.clone(),
        kind,
        span: doc.span,
        version: None,
        unexpected_keys: Vec::new(),
        statements: Statements::Missing,
        consumers: Vec::new(),
        attached_to: Vec::new(),
        unknown_use: None,
        other_kinds: Vec::new(),
    };
    match &doc.kind {
        // A document chosen by a condition: the statements of both, each under its branch.
        ValKind::Conditional {
            condition,
            when_true,
            when_false,
        } => {
            let mut statements = Vec::new();
            for (branch, outcome) in [(when_true, true), (when_false, false)] {
                let mut chosen = policy_document(branch, owner, kind);
                if outcome {
                    document.version = chosen.version.take();
                    document.unexpected_keys = std::mem::take(&mut chosen.unexpected_keys);
                }
                // A branch not known offline makes the answer unverifiable, never a pass.
                let unknown = match &chosen.statements {
                    Statements::Unknown { reason, span } => {
                        Some(unknown_statement(*span, reason.clone()))
                    }
                    _ => None,
                };
                for mut statement in chosen.statements.iter().cloned().chain(unknown) {
                    statement
                        .exists_when
                        .insert(0, (condition.clone(), outcome));
                    statements.push(statement);
                }
            }
            document.statements = Statements::List(statements);
        }
        // Terraform `null` leaves the argument unset, as `AWS::NoValue` does.
        ValKind::Absent | ValKind::Null => document.statements = Statements::List(Vec::new()),
        ValKind::Object(fields) => {
            for field in fields {
                match &*field.key {
                    // `Version: !Ref AWS::NoValue`, or a branch of `Fn::If` choosing it, is no
                    // `Version` there, located at the `Ref` (RULES.md 2.3).
                    "Version" => {
                        document.version = Some(field.value.to_value(
                            field.span(),
                            &|at| Value::unknown(UnknownReason::Omitted, at),
                            &as_text,
                        ))
                    }
                    "Statement" => document.statements = statements(&field.value),
                    "Id" => {}
                    _ => document.unexpected_keys.push(key(field)),
                }
            }
        }
        _ => {
            let reason = doc.unknown_reason().unwrap_or(UnknownReason::Unsupported(
                "a policy that is not a JSON object",
            ));
            document.statements = Statements::Unknown {
                reason,
                span: doc.span,
            };
        }
    }
    document
}

/// What a statement that cannot be read contributes (an imported document, `Statement =
/// [var.s]`): any effect, action, resource and principal, so rules record the case as
/// unverifiable instead of passing it.
pub fn unknown_statement(span: Span, reason: UnknownReason) -> Statement {
    let unknown = Value::unknown(reason, span);
    let anything = Elements {
        key_span: span,
        span,
        items: vec![unknown.clone()],
    };
    let mut statement = Statement::empty(span);
    statement.effect = Some(unknown.clone());
    statement.action = Some(anything.clone());
    statement.resource = Some(anything);
    statement.principal = Some(Principals {
        key_span: span,
        span,
        items: vec![PrincipalItem {
            principal_type: None,
            value: unknown,
        }],
    });
    statement
}

fn key(field: &Field) -> Key {
    Key {
        name: field.key.clone(),
        span: field.key_span,
    }
}

fn statements(value: &Val) -> Statements {
    match &value.kind {
        ValKind::Object(_) => Statements::List(vec![statement(value, Vec::new())]),
        // `Statement: !If [c, [...], [...]]` is a list, or one statement, in each branch.
        ValKind::List(_) | ValKind::Conditional { .. } => {
            let mut out = Vec::with_capacity(match &value.kind {
                ValKind::List(items) => items.len(),
                _ => 2,
            });
            let mut pending: Vec<(&Val, ExistsWhen)> = match &value.kind {
                ValKind::List(items) => items.iter().rev().map(|item| (item, Vec::new())).collect(),
                _ => vec![(value, Vec::new())],
            };
            while let Some((item, when)) = pending.pop() {
                match &item.kind {
                    ValKind::Object(_) => out.push(statement(item, when)),
                    // A branch's own list (never a list nested in the statement list).
                    ValKind::List(items) if !when.is_empty() => {
                        pending.extend(items.iter().rev().map(|nested| (nested, when.clone())));
                    }
                    ValKind::Conditional {
                        condition,
                        when_true,
                        when_false,
                    } => {
                        let mut on_false = when.clone();
                        on_false.push((condition.clone(), false));
                        let mut on_true = when;
                        on_true.push((condition.clone(), true));
                        pending.push((when_false, on_false));
                        pending.push((when_true, on_true));
                    }
                    ValKind::Absent => {}
                    ValKind::Unknown(_) | ValKind::Link { .. } | ValKind::Template(_) => {
                        let reason = item
                            .unknown_reason()
                            .unwrap_or(UnknownReason::Unsupported("a statement"));
                        let mut unknown = unknown_statement(item.span, reason);
                        unknown.exists_when = when;
                        out.push(unknown);
                    }
                    ValKind::Null
                    | ValKind::Bool(_)
                    | ValKind::Number(_)
                    | ValKind::String(_)
                    | ValKind::List(_) => return Statements::Malformed(item.span),
                }
            }
            Statements::List(out)
        }
        _ => match value.unknown_reason() {
            Some(reason) => Statements::Unknown {
                reason,
                span: value.span,
            },
            None => Statements::Malformed(value.span),
        },
    }
}

fn statement(value: &Val, exists_when: Vec<(Text, bool)>) -> Statement {
    let mut statement = Statement::empty(value.span);
    statement.exists_when = exists_when;
    for field in value.fields() {
        let span = field.span();
        match &*field.key {
            "Sid" => statement.sid = Some(text_value(&field.value, span)),
            // `Effect: !Ref AWS::NoValue` is a statement without `Effect` (RULES.md 2.3).
            "Effect" if field.value.is_absent() => {}
            "Effect" => statement.effect = Some(text_value(&field.value, span)),
            "Action" => statement.action = Some(elements(field)),
            "NotAction" => statement.not_action = Some(elements(field)),
            "Resource" => statement.resource = Some(elements(field)),
            "NotResource" => statement.not_resource = Some(elements(field)),
            "Principal" => statement.principal = Some(principals(field)),
            "NotPrincipal" => statement.not_principal = Some(principals(field)),
            "Condition" => statement.condition = Some(conditions(field)),
            _ => statement.unexpected_keys.push(key(field)),
        }
    }
    statement
}

/// A scalar element as text; `span` is where a known value is reported.
pub fn text_value(value: &Val, span: Span) -> Value<Text> {
    value.to_value(
        span,
        &|at| Value::unknown(UnknownReason::Unsupported("an omitted value"), at),
        &as_text,
    )
}

use crate::source::Span;

/// Items of a string-or-list element. A lone string is located at key and value.
pub fn elements(field: &Field) -> Elements {
    let mut items = Vec::new();
    match &field.value.kind {
        ValKind::List(list) => {
            for item in list.iter().filter(|item| !item.is_absent()) {
                push_items(item, item.span, &mut items);
            }
        }
        ValKind::Absent => {}
        _ => push_items(&field.value, field.span(), &mut items),
    }
    Elements {
        key_span: field.key_span,
        span: field.span(),
        items,
    }
}

fn push_items(item: &Val, span: Span, out: &mut Vec<Value<Text>>) {
    match &item.kind {
        // A conditional choosing between lists: the items of each branch under its condition.
        // An element is a set, so a branch with fewer items repeats its last one; an empty
        // branch leaves the other's items unconditional (that branch has none to judge).
        ValKind::Conditional {
            condition,
            when_true,
            when_false,
        } if matches!(when_true.kind, ValKind::List(_))
            || matches!(when_false.kind, ValKind::List(_)) =>
        {
            let (mut on_true, mut on_false) = (Vec::new(), Vec::new());
            push_items(when_true, when_true.span, &mut on_true);
            push_items(when_false, when_false.span, &mut on_false);
            let (Some(last_true), Some(last_false)) = (on_true.last(), on_false.last()) else {
                out.extend(on_true);
                out.extend(on_false);
                return;
            };
            for at in 0..on_true.len().max(on_false.len()) {
                out.push(Value::Conditional {
                    condition: condition.clone(),
                    when_true: Box::new(on_true.get(at).unwrap_or(last_true).clone()),
                    when_false: Box::new(on_false.get(at).unwrap_or(last_false).clone()),
                });
            }
        }
        ValKind::List(items) => {
            for nested in items {
                push_items(nested, nested.span, out);
            }
        }
        _ => out.push(element_value(item, span)),
    }
}

/// One element; a branch omitting it (`!If [c, x, !Ref AWS::NoValue]`) holds no element, so
/// it grants, names and opens nothing, rather than an Unknown a rule would have to report.
fn element_value(value: &Val, span: Span) -> Value<Text> {
    value.to_value(
        span,
        &|at| Value::unknown(UnknownReason::Omitted, at),
        &as_text,
    )
}

fn principals(field: &Field) -> Principals {
    let mut items = Vec::new();
    match &field.value.kind {
        ValKind::Object(types) => {
            for principal_type in types {
                let nested = elements(principal_type);
                for value in nested.items {
                    items.push(PrincipalItem {
                        principal_type: Some(principal_type.key.clone()),
                        value,
                    });
                }
            }
        }
        _ => {
            for value in elements(field).items {
                items.push(PrincipalItem {
                    principal_type: None,
                    value,
                });
            }
        }
    }
    Principals {
        key_span: field.key_span,
        span: field.span(),
        items,
    }
}

fn conditions(field: &Field) -> Conditions {
    // A block that is not a map of operators, in every branch (`Condition: !Ref Block`): not
    // read at all.
    let branches = conditional_branches(&field.value);
    let readable = |value: &Val| {
        matches!(
            value.kind,
            ValKind::Object(_) | ValKind::Null | ValKind::Absent
        )
    };
    let entries = if branches.iter().any(|(_, branch)| readable(branch)) {
        let mut entries = Vec::new();
        for (when, branch) in branches {
            match &branch.kind {
                ValKind::Object(operators) => {
                    for operator in operators {
                        operator_entries(operator, &when, &mut entries);
                    }
                }
                ValKind::Null | ValKind::Absent => {}
                // One branch not known: any operator, key and value there.
                _ => entries.push(ConditionEntry {
                    operator: None,
                    key: None,
                    span: branch.span,
                    values: vec![Value::unknown(
                        branch
                            .unknown_reason()
                            .unwrap_or(UnknownReason::Unsupported("a condition block")),
                        branch.span,
                    )],
                    when,
                }),
            }
        }
        Some(entries)
    } else {
        None
    };
    Conditions {
        key_span: field.key_span,
        span: field.span(),
        entries,
    }
}

/// The entries of one condition operator, in each branch of its value, under `when`.
fn operator_entries(operator: &Field, when: &[(Text, bool)], entries: &mut Vec<ConditionEntry>) {
    // A Terraform key that could not be resolved (`{ (var.op) = ... }`) keeps its source text:
    // no operator.
    let name = is_operator_name(&operator.key).then(|| operator.key.clone());
    let unnamed = |span| Value::unknown(UnknownReason::Unsupported("a computed object key"), span);
    for (more, branch) in conditional_branches(&operator.value) {
        let when: Vec<(Text, bool)> = when.iter().cloned().chain(more).collect();
        match &branch.kind {
            ValKind::Object(keys) => {
                for condition_key in keys {
                    let computed = condition_key.key.starts_with('(');
                    let mut values = elements(condition_key).items;
                    if name.is_none() || computed {
                        values.push(unnamed(condition_key.key_span));
                    }
                    entries.push(ConditionEntry {
                        operator: name.clone(),
                        key: (!computed).then(|| condition_key.key.clone()),
                        span: condition_key.span(),
                        values,
                        when: when.clone(),
                    });
                }
            }
            ValKind::Null | ValKind::Absent => {}
            // Keys not known (`StringEquals = var.limits`, `StringEquals: !Ref P`): any key, any
            // value, under this operator.
            _ => {
                let mut values = vec![Value::unknown(
                    branch
                        .unknown_reason()
                        .unwrap_or(UnknownReason::Unsupported(
                            "a condition operator whose value is not a map of keys",
                        )),
                    branch.span,
                )];
                if name.is_none() {
                    values.push(unnamed(operator.key_span));
                }
                entries.push(ConditionEntry {
                    operator: name.clone(),
                    key: None,
                    span: operator.span(),
                    values,
                    when,
                });
            }
        }
    }
}

/// Whether `name` may be a condition operator (`StringEquals`, `ForAnyValue:StringLike`): letters
/// and colons only.
fn is_operator_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphabetic() || c == ':')
}

/// The kind of a raw policy file (RULES.md 2.6): bucket if every statement has a principal and
/// every resource is an S3 ARN; resource if any has a principal; else identity.
pub fn raw_file_kind(document: &PolicyDocument) -> PolicyKind {
    let statements: Vec<&Statement> = document.statements.iter().collect();
    let has_principal = |s: &&Statement| s.principal.is_some() || s.not_principal.is_some();
    if statements.is_empty() || !statements.iter().any(has_principal) {
        return PolicyKind::Identity;
    }
    let s3_arn = |text: &str| {
        let mut fields = text.splitn(6, ':');
        fields.next() == Some("arn") && fields.nth(1) == Some("s3") && text.contains(":::")
    };
    // A template's literal text decides it when its placeholders sit inside the bucket part
    // (`arn:aws:s3:::${bucket}/*`, RULES.md 2.2); each placeholder is written `*` there.
    let s3_resource = |value: &Value<Text>| {
        value.branches().iter().all(|branch| match branch.leaf {
            Leaf::Known { value, .. } => s3_arn(value),
            Leaf::Unknown {
                reason: UnknownReason::Partial { literal, .. },
                ..
            } => s3_arn(literal),
            Leaf::Unknown { .. } => false,
        })
    };
    // `Resource` or `NotResource` alike name the bucket's objects; a statement naming neither is
    // invalid on its own and says nothing about the kind.
    let mut names_any = false;
    let all_bucket = statements.iter().all(|s| {
        let mut resources = [&s.resource, &s.not_resource]
            .into_iter()
            .flatten()
            .flat_map(|elements| elements.items.iter())
            .peekable();
        names_any |= resources.peek().is_some();
        has_principal(s) && resources.all(s3_resource)
    }) && names_any;
    if all_bucket {
        PolicyKind::Bucket
    } else {
        PolicyKind::Resource
    }
}
