//! Flags identity-policy statements that allow every action, or every IAM action, on every resource.

use super::{EffectIs, effect};
use crate::model::iam::{
    Elements, PolicyDocument, PolicyKind, Statement, is_all_actions, is_all_iam_actions,
    is_all_resources,
};
use crate::model::{Leaf, Model, UnknownReason, Value, when_clause};
use crate::rules::{Findings, Format, Rule, RuleMeta, Service, Severity};
use crate::source::Span;
use crate::text::Text;

pub const RULE: Rule = Rule {
    meta: RuleMeta {
        name: "iam-wildcard-admin-policy",
        module: module_path!(),
        service: Service::Iam,
        severity: Severity::Critical,
        formats: &[Format::Terraform, Format::CloudFormation, Format::IamJson],
        summary: "Identity policy allows every action (or every IAM action) on every resource",
        rationale: "A statement that allows `*` on `*` is administrator access: whoever holds the \
policy can read and delete every resource in the account. `iam:*` on `*` is the same in two steps, \
because the holder can attach any policy to itself. `NotAction` with `Allow` grants everything not \
listed, and `NotResource` every resource not listed. A `Condition` (for example MFA) narrows who can \
use the statement but not what it grants, so it does not exempt the statement.",
        remediation: "Grant the specific actions and resources the workload needs:\n\n\
```json\n{\"Effect\": \"Allow\", \"Action\": [\"s3:GetObject\"], \"Resource\": \"arn:aws:s3:::reports/*\"}\n```\n\n\
In Terraform write the same in `jsonencode` or an `aws_iam_policy_document`; in CloudFormation in \
`PolicyDocument`. If administrator access is intended, attach the AWS-managed `AdministratorAccess` \
policy to a tightly controlled role and suppress this finding with a reason.",
        references: &[
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
            "https://docs.aws.amazon.com/securityhub/latest/userguide/iam-controls.html#iam-1",
        ],
        aliases: &[
            "CKV_AWS_62",
            "CKV_AWS_1",
            "2f37c4a3-58b9-4afe-8a87-d7f1d2286f84",
            "953b3cdb-ce13-428a-aa12-318726506661",
        ],
    },
    check,
};

/// What the statement's actions grant.
enum Grant<'a> {
    /// Every action: element span, conditions leading to it.
    All(Span, Vec<(&'a str, bool)>),
    /// Every IAM action.
    AllIam(Span, Vec<(&'a str, bool)>),
    /// Allow with `NotAction`: everything not listed.
    AllBut(Span),
    Unknown(Span, &'a UnknownReason),
    Limited,
}

fn check(model: &Model, findings: &mut Findings) {
    for document in &model.iam.policies {
        if document.kind != PolicyKind::Identity {
            continue;
        }
        for statement in document.statements.iter() {
            check_statement(document, statement, findings);
        }
    }
}

fn check_statement(document: &PolicyDocument, statement: &Statement, findings: &mut Findings) {
    let on = &document.owner;
    let allow_when = match effect(statement) {
        EffectIs::NotAllow => return,
        EffectIs::Allow(branches) => Some(branches.into_iter().next().unwrap_or_default()),
        EffectIs::Unknown(_) => None,
    };
    let grant = grant(statement);
    let resources = all_resources(statement);
    let (action_span, iam_only, mut when, message) = match &grant {
        Grant::Limited => return,
        Grant::All(span, when) => (
            *span,
            false,
            when.clone(),
            "statement allows all actions on all resources (administrator access)",
        ),
        Grant::AllIam(span, when) => (
            *span,
            true,
            when.clone(),
            "statement allows all IAM actions on all resources, enough to make itself administrator",
        ),
        Grant::AllBut(span) => (
            *span,
            false,
            Vec::new(),
            "statement allows every action outside NotAction on all resources",
        ),
        Grant::Unknown(span, reason) => {
            if !matches!(resources, Resources::None) && allow_when.is_some() {
                findings.unverifiable(
                    on,
                    *span,
                    "whether the statement grants all actions",
                    reason,
                );
            }
            return;
        }
    };
    let resource_span = match resources {
        Resources::None => return,
        Resources::Unknown(span, reason) => {
            findings.unverifiable(
                on,
                span,
                "whether the statement covers all resources",
                reason,
            );
            return;
        }
        Resources::All(span) => span,
    };
    let Some(allow_when) = allow_when else {
        if let Some(effect) = &statement.effect {
            let reason = first_unknown(effect).unwrap_or(&UnknownReason::Unsupported("the effect"));
            findings.unverifiable(
                on,
                effect.span(),
                "whether the statement allows or denies",
                reason,
            );
        }
        return;
    };
    if denied_by_guardrail(document, iam_only) {
        return;
    }
    when.extend(allow_when);
    let mut text = message.to_string();
    if statement.condition.is_some() {
        text.push_str(" under a Condition");
    }
    let exists: Vec<(&str, bool)> = statement
        .exists_when
        .iter()
        .map(|(c, b)| (&**c, *b))
        .collect();
    text.push_str(&when_clause(exists.into_iter().chain(when)));
    let finding = findings.report(on, action_span, text);
    finding.label(resource_span, "on every resource");
    for element in [&statement.action, &statement.resource]
        .into_iter()
        .flatten()
    {
        for item in &element.items {
            if let Value::Known {
                origin:
                    crate::model::Origin::Explicit {
                        defined_at: Some(at),
                    },
                span,
                ..
            } = item
                && (*span == action_span)
            {
                finding.defined_at(Some(*at));
            }
        }
    }
    for consumer in &document.consumers {
        finding.label(*consumer, "policy used here");
    }
}

fn first_unknown(value: &Value<Text>) -> Option<&UnknownReason> {
    value.branches().into_iter().find_map(|b| match b.leaf {
        Leaf::Unknown { reason, .. } => Some(reason),
        Leaf::Known { .. } => None,
    })
}

fn grant(statement: &Statement) -> Grant<'_> {
    if let Some(action) = &statement.action {
        let mut unknown = None;
        let mut iam = None;
        for item in &action.items {
            for branch in item.branches() {
                match branch.leaf {
                    Leaf::Known { value, span, .. } if is_all_actions(value) => {
                        return Grant::All(span, branch.conditions);
                    }
                    Leaf::Known { value, span, .. } if is_all_iam_actions(value) => {
                        iam = iam.or(Some((span, branch.conditions)));
                    }
                    Leaf::Known { .. } => {}
                    Leaf::Unknown { reason, span } => {
                        if reason.could_be(|a| is_all_actions(a) || is_all_iam_actions(a)) {
                            unknown = unknown.or(Some((span, reason)));
                        }
                    }
                }
            }
        }
        if let Some((span, reason)) = unknown {
            return Grant::Unknown(span, reason);
        }
        if let Some((span, when)) = iam {
            return Grant::AllIam(span, when);
        }
        return Grant::Limited;
    }
    if let Some(not_action) = &statement.not_action {
        return not_action_grant(not_action);
    }
    Grant::Limited
}

fn not_action_grant(not_action: &Elements) -> Grant<'_> {
    let mut unknown = None;
    for item in &not_action.items {
        for branch in item.branches() {
            match branch.leaf {
                Leaf::Known { value, .. } if is_all_actions(value) => return Grant::Limited,
                Leaf::Known { .. } => {}
                Leaf::Unknown { reason, span } if reason.could_be(is_all_actions) => {
                    unknown = unknown.or(Some((span, reason)));
                }
                Leaf::Unknown { .. } => {}
            }
        }
    }
    match unknown {
        Some((span, reason)) => Grant::Unknown(span, reason),
        None => Grant::AllBut(not_action.key_span),
    }
}

enum Resources<'a> {
    All(Span),
    Unknown(Span, &'a UnknownReason),
    None,
}

fn all_resources(statement: &Statement) -> Resources<'_> {
    if let Some(not_resource) = &statement.not_resource {
        return Resources::All(not_resource.key_span);
    }
    let Some(resource) = &statement.resource else {
        return Resources::None;
    };
    let mut unknown = None;
    for item in &resource.items {
        for branch in item.branches() {
            match branch.leaf {
                Leaf::Known { value, span, .. } if is_all_resources(value) => {
                    return Resources::All(span);
                }
                Leaf::Known { .. } => {}
                Leaf::Unknown { reason, span } if reason.could_be(is_all_resources) => {
                    unknown = unknown.or(Some((span, reason)));
                }
                Leaf::Unknown { .. } => {}
            }
        }
    }
    match unknown {
        Some((span, reason)) => Resources::Unknown(span, reason),
        None => Resources::None,
    }
}

/// An unconditional `Deny` of all actions (or all IAM actions, for an IAM grant) on all
/// resources in the same document. Conditional, partial, `NotAction` and `NotResource` denies
/// never count.
fn denied_by_guardrail(document: &PolicyDocument, iam_only: bool) -> bool {
    document.statements.iter().any(|deny| {
        let is_deny =
            matches!(&deny.effect, Some(Value::Known { value, .. }) if &**value == "Deny");
        let unconditional = deny.condition.is_none() && deny.exists_when.is_empty();
        let known = |elements: &Option<Elements>, test: &dyn Fn(&str) -> bool| {
            elements.as_ref().is_some_and(|e| {
                e.items
                    .iter()
                    .any(|item| matches!(item, Value::Known { value, .. } if test(value)))
            })
        };
        let all_actions = known(&deny.action, &|a| {
            is_all_actions(a) || (iam_only && is_all_iam_actions(a))
        });
        let everywhere = known(&deny.resource, &is_all_resources) && deny.not_resource.is_none();
        is_deny && unconditional && all_actions && deny.not_action.is_none() && everywhere
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{document, run, span, statement, strings};

    fn admin() -> Statement {
        let mut s = statement("Allow");
        s.action = Some(strings(&[("*", 10)]));
        s.resource = Some(strings(&[("*", 20)]));
        s
    }

    #[test]
    fn star_on_star_points_at_the_action() {
        let out = run(&RULE, document(PolicyKind::Identity, vec![admin()]));
        assert_eq!(out.spans(), [span(10)]);
    }

    #[test]
    fn trust_policies_are_not_checked() {
        let out = run(&RULE, document(PolicyKind::Trust, vec![admin()]));
        assert!(out.spans().is_empty());
    }

    #[test]
    fn an_unconditional_deny_all_suppresses() {
        let mut deny = admin();
        deny.effect = Some(Value::explicit("Deny".into(), span(1)));
        let out = run(&RULE, document(PolicyKind::Identity, vec![admin(), deny]));
        assert!(out.spans().is_empty());
    }

    #[test]
    fn a_conditional_deny_does_not_suppress() {
        let mut deny = admin();
        deny.effect = Some(Value::explicit("Deny".into(), span(1)));
        deny.condition = Some(crate::model::iam::Conditions {
            key_span: span(2),
            span: span(2),
            entries: None,
        });
        let out = run(&RULE, document(PolicyKind::Identity, vec![admin(), deny]));
        assert_eq!(out.spans(), [span(10)]);
    }

    #[test]
    fn unknown_action_is_unverifiable() {
        let mut s = admin();
        s.action = Some(Elements {
            key_span: span(9),
            span: span(9),
            items: vec![Value::unknown(
                UnknownReason::Variable("a".into()),
                span(10),
            )],
        });
        let out = run(&RULE, document(PolicyKind::Identity, vec![s]));
        assert!(out.spans().is_empty());
        assert_eq!(out.unverified(), 1);
    }

    fn partial(literal: &str, at: u32) -> Value<Text> {
        Value::unknown(
            UnknownReason::Partial {
                literal: literal.into(),
                reason: Box::new(UnknownReason::Variable("v".into())),
            },
            span(at),
        )
    }

    #[test]
    fn templates_whose_literal_text_decides_are_not_unknown() {
        let mut s = admin();
        s.resource = Some(Elements {
            key_span: span(19),
            span: span(19),
            items: vec![partial("arn:aws:s3:::*/*", 20)],
        });
        let out = run(&RULE, document(PolicyKind::Identity, vec![s]));
        assert!(out.spans().is_empty());
        assert_eq!(out.unverified(), 0);
        let mut s = admin();
        s.action = Some(Elements {
            key_span: span(9),
            span: span(9),
            items: vec![partial("*:*", 10)],
        });
        let out = run(&RULE, document(PolicyKind::Identity, vec![s]));
        assert_eq!(out.unverified(), 1);
    }

    #[test]
    fn not_action_points_at_the_key() {
        let mut s = admin();
        s.action = None;
        s.not_action = Some(strings(&[("iam:*", 30)]));
        let out = run(&RULE, document(PolicyKind::Identity, vec![s]));
        assert_eq!(out.spans(), [span(29)]);
    }
}
