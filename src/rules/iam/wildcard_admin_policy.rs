//! Flags identity-policy statements that allow every action, or every IAM action, on every resource.

use super::{EffectIs, When, effect, unless};
use crate::model::iam::{
    Elements, PolicyDocument, PolicyKind, Statement, Statements, is_all_actions,
    is_all_iam_actions, is_all_resources,
};
use crate::model::{Leaf, Model, UnknownReason, Value, merge_when, when_clause};
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

/// How much of IAM's action space a statement element opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Grant {
    /// Every action (a).
    All,
    /// Every IAM action (b).
    AllIam,
    /// Allow with `NotAction`: everything not listed (c).
    AllBut,
}

impl Grant {
    fn message(self) -> &'static str {
        match self {
            Grant::All => "statement allows all actions on all resources (administrator access)",
            Grant::AllIam => {
                "statement allows all IAM actions on all resources, enough to make itself administrator"
            }
            Grant::AllBut => "statement allows every action outside NotAction on all resources",
        }
    }
}

/// One way an element is wide open: where, in which branches, and unless which branches of a
/// negated element (`NotAction: "*"`, `NotResource: "*"`) take it back.
struct Open<'a> {
    span: Span,
    when: When<'a>,
    unless: Vec<When<'a>>,
    defined_at: Option<Span>,
}

/// The wide-open ways an element can be read, and the first Unknown that might be one more.
struct Reading<'a, K> {
    open: Vec<(K, Open<'a>)>,
    unknown: Option<(Span, &'a UnknownReason)>,
}

impl<'a> From<Match<'a>> for Open<'a> {
    fn from(found: Match<'a>) -> Open<'a> {
        Open {
            span: found.span,
            when: found.when,
            unless: Vec::new(),
            defined_at: found.defined_at,
        }
    }
}

/// Branches in which a deny cancels a grant, and the first Unknown that might add one.
struct Guardrails<'a> {
    open: Vec<When<'a>>,
    unknown: Option<(Span, &'a UnknownReason)>,
}

/// A document's guardrails, read once whatever the number of statements that ask (a document of
/// 20,000 `Action: "*"` statements read them 20,000 times: 40 s).
struct DocumentGuardrails<'a> {
    document: &'a PolicyDocument,
    against_all: std::cell::OnceCell<Guardrails<'a>>,
    against_iam: std::cell::OnceCell<Guardrails<'a>>,
}

impl<'a> DocumentGuardrails<'a> {
    fn new(document: &'a PolicyDocument) -> Self {
        DocumentGuardrails {
            document,
            against_all: std::cell::OnceCell::new(),
            against_iam: std::cell::OnceCell::new(),
        }
    }

    /// The denies cancelling a grant of all actions, or (`iam_only`) of all IAM actions.
    fn get(&self, iam_only: bool) -> &Guardrails<'a> {
        let cell = match iam_only {
            true => &self.against_iam,
            false => &self.against_all,
        };
        cell.get_or_init(|| guardrails(self.document, iam_only))
    }
}

fn check(model: &Model, findings: &mut Findings) {
    findings.check_documents_of_kind(
        &model.iam.policies,
        PolicyKind::Identity,
        "an identity policy",
        check_document,
    );
}

fn check_document(document: &PolicyDocument, findings: &mut Findings) {
    if let Statements::Unknown { reason, span } = &document.statements {
        findings.unverifiable(
            &document.owner,
            *span,
            "whether the policy allows all actions on all resources",
            reason,
        );
    }
    let guardrails = DocumentGuardrails::new(document);
    for statement in document.statements.iter() {
        check_statement(document, statement, &guardrails, findings);
    }
}

fn check_statement(
    document: &PolicyDocument,
    statement: &Statement,
    guardrails: &DocumentGuardrails,
    findings: &mut Findings,
) {
    let on = &document.owner;
    // Most statements grant neither all actions nor something that might be: nothing to judge.
    let grants = grants(statement);
    if grants.open.is_empty() && grants.unknown.is_none() {
        return;
    }
    let allow_branches = match effect(statement) {
        EffectIs::NotAllow => return,
        EffectIs::Allow(branches) => branches,
        // Judged as if allowed; a violation then becomes unverifiable at the effect.
        EffectIs::Unknown(_) => vec![Vec::new()],
    };
    let resources = resources(statement);
    let exists: When = statement
        .exists_when
        .iter()
        .map(|(c, b)| (&**c, *b))
        .collect();
    let violation = grants.open.iter().find_map(|(grant, action)| {
        resources.open.iter().find_map(|((), resource)| {
            allow_branches.iter().find_map(|allow| {
                let when = merge_when(&exists, &action.when)?;
                let when = merge_when(&when, &resource.when)?;
                let when = merge_when(&when, allow)?;
                let when = unless(when, &action.unless)?;
                let when = unless(when, &resource.unless)?;
                Some((*grant, action, resource, when))
            })
        })
    });
    let Some((grant, action, resource, when)) = violation else {
        let unverified = if grants.open.is_empty()
            && let Some((span, reason)) = grants.unknown
            && (!resources.open.is_empty() || resources.unknown.is_some())
        {
            Some((span, "whether the statement grants all actions", reason))
        } else if !grants.open.is_empty()
            && resources.open.is_empty()
            && let Some((span, reason)) = resources.unknown
        {
            Some((span, "whether the statement covers all resources", reason))
        } else {
            None
        };
        let Some((span, what, reason)) = unverified else {
            return;
        };
        // An unconditional `Deny *` on `*` cancels whatever the Unknown turns out to be.
        let iam_only =
            grants.open.iter().all(|(grant, _)| *grant == Grant::AllIam) && !grants.open.is_empty();
        if unless(exists, &guardrails.get(iam_only).open).is_some() {
            findings.unverifiable(on, span, what, reason);
        }
        return;
    };
    let guardrails = guardrails.get(grant == Grant::AllIam);
    let Some(when) = unless(when, &guardrails.open) else {
        return;
    };
    // Checked after the Known denies, which cancel the grant whatever the effect is, and before
    // the Unknown ones: a statement whose own effect is Unknown is among those, and the question
    // is then whether it allows at all, not whether some other deny cancels it.
    if let EffectIs::Unknown(effect) = effect(statement) {
        let reason = first_unknown(effect).unwrap_or(&UnknownReason::Unsupported("the effect"));
        findings.unverifiable(
            on,
            effect.span(),
            "whether the statement allows or denies",
            reason,
        );
        return;
    }
    if let Some((span, reason)) = guardrails.unknown {
        findings.unverifiable(
            on,
            span,
            "whether a Deny statement in the policy cancels an administrator grant",
            reason,
        );
        return;
    }
    let mut text = grant.message().to_string();
    if statement
        .condition
        .as_ref()
        .is_some_and(|condition| condition.tests_something_when(&when))
    {
        text.push_str(" under a Condition");
    }
    text.push_str(&when_clause(when));
    let finding = findings.report(on, action.span, text);
    finding.label(resource.span, "on every resource");
    finding.defined_at(action.defined_at);
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

/// A known element `test` accepts: its text, where, in which branch, where its value was set.
struct Match<'a> {
    text: &'a str,
    span: Span,
    when: When<'a>,
    defined_at: Option<Span>,
}

/// The elements of `elements` that `test` accepts, each with its branch, and the first Unknown
/// that `test` might accept.
fn matching<'a>(
    elements: &'a Elements,
    test: &dyn Fn(&str) -> bool,
) -> (Vec<Match<'a>>, Option<(Span, &'a UnknownReason)>) {
    let mut known = Vec::new();
    let mut unknown = None;
    for item in &elements.items {
        for branch in item.branches() {
            match branch.leaf {
                Leaf::Known {
                    value,
                    origin,
                    span,
                } if test(value) => known.push(Match {
                    text: value,
                    span,
                    when: branch.conditions,
                    defined_at: origin.defined_at(),
                }),
                Leaf::Known { .. } => {}
                // Unknown only in ways no test tells apart (`arn:${AWS::Partition}:*`): its
                // representative decides, either way.
                Leaf::Unknown { reason, span } => match reason.representative() {
                    Some(text) if test(text) => known.push(Match {
                        text,
                        span,
                        when: branch.conditions,
                        defined_at: None,
                    }),
                    Some(_) => {}
                    None if reason.could_be(test) => unknown = unknown.or(Some((span, reason))),
                    None => {}
                },
            }
        }
    }
    (known, unknown)
}

/// An `Action` element opening every action or every IAM action, all-actions first; or a
/// `NotAction` (open unless it lists an all-actions pattern).
fn grants(statement: &Statement) -> Reading<'_, Grant> {
    if let Some(action) = &statement.action {
        let (known, unknown) = matching(action, &|a| is_all_actions(a) || is_all_iam_actions(a));
        let mut open: Vec<(Grant, Open)> = known
            .into_iter()
            .map(|found| {
                let grant = if is_all_actions(found.text) {
                    Grant::All
                } else {
                    Grant::AllIam
                };
                (grant, Open::from(found))
            })
            .collect();
        open.sort_by_key(|(grant, _)| *grant);
        return Reading { open, unknown };
    }
    match &statement.not_action {
        Some(not_action) => negated(not_action, is_all_actions, Grant::AllBut),
        None => Reading {
            open: Vec::new(),
            unknown: None,
        },
    }
}

/// A `Resource` element covering every resource, or a `NotResource` (every resource unless it
/// lists an all-resources pattern: `NotResource: "*"` leaves nothing).
fn resources(statement: &Statement) -> Reading<'_, ()> {
    if let Some(not_resource) = &statement.not_resource {
        return negated(not_resource, is_all_resources, ());
    }
    let Some(resource) = &statement.resource else {
        return Reading {
            open: Vec::new(),
            unknown: None,
        };
    };
    let (known, unknown) = matching(resource, &is_all_resources);
    let open = known
        .into_iter()
        .map(|found| ((), Open::from(found)))
        .collect();
    Reading { open, unknown }
}

/// A negated element opens everything outside it, at its key, in the branches where it lists no
/// pattern matching everything; an Unknown that might be such a pattern leaves it undecided.
fn negated<K>(elements: &Elements, everything: fn(&str) -> bool, kind: K) -> Reading<'_, K> {
    let (known, unknown) = matching(elements, &everything);
    // `NotAction: ["*", var.x]` excludes everything whatever `var.x` is (RULES.md 1).
    if known.iter().any(|found| found.when.is_empty()) {
        return Reading {
            open: Vec::new(),
            unknown: None,
        };
    }
    if unknown.is_some() {
        return Reading {
            open: Vec::new(),
            unknown,
        };
    }
    let open = Open {
        span: elements.key_span,
        when: Vec::new(),
        unless: known.into_iter().map(|found| found.when).collect(),
        defined_at: None,
    };
    Reading {
        open: vec![(kind, open)],
        unknown,
    }
}

/// Branches in which an unconditional `Deny` in the same document denies all actions (or all IAM
/// actions, for an IAM grant) on all resources. Conditional, partial, `NotAction` and
/// `NotResource` denies never count; an Unknown that might complete one is kept.
fn guardrails(document: &PolicyDocument, iam_only: bool) -> Guardrails<'_> {
    let mut open = Vec::new();
    let mut unknown = None;
    let denied_action = |a: &str| is_all_actions(a) || (iam_only && is_all_iam_actions(a));
    for deny in document.statements.iter() {
        if deny.not_action.is_some() || deny.not_resource.is_some() {
            continue;
        }
        // A deny counts where its `Condition` tests nothing (`{}`, or an entry left out by
        // `Fn::If`): there it is as unconditional as one without the key.
        let absent = match &deny.condition {
            None => Vec::new(),
            Some(condition) => match condition.absent_when() {
                Some(absent) => absent,
                None => continue,
            },
        };
        let (Some(effect), Some(action), Some(resource)) =
            (&deny.effect, &deny.action, &deny.resource)
        else {
            continue;
        };
        let mut effects = Vec::new();
        let mut effect_unknown = None;
        for branch in effect.branches() {
            match branch.leaf {
                Leaf::Known { value, .. } if &**value == "Deny" => effects.push(branch.conditions),
                Leaf::Known { .. } => {}
                Leaf::Unknown { reason, span } => {
                    effect_unknown = effect_unknown.or(Some((span, reason)));
                }
            }
        }
        let (actions, action_unknown) = matching(action, &denied_action);
        let (resources, resource_unknown) = matching(resource, &is_all_resources);
        let exists: When = deny.exists_when.iter().map(|(c, b)| (&**c, *b)).collect();
        let Some(exists) = merge_when(&exists, &absent) else {
            continue;
        };
        for effect in &effects {
            for action in &actions {
                for resource in &resources {
                    let joined = merge_when(&exists, effect)
                        .and_then(|when| merge_when(&when, &action.when))
                        .and_then(|when| merge_when(&when, &resource.when));
                    open.extend(joined);
                }
            }
        }
        // An Unknown in one element completes a guardrail when the other two may hold.
        let effect_may = !effects.is_empty() || effect_unknown.is_some();
        let action_may = !actions.is_empty() || action_unknown.is_some();
        let resource_may = !resources.is_empty() || resource_unknown.is_some();
        if effect_may && action_may && resource_may {
            unknown = unknown
                .or(effect_unknown)
                .or(action_unknown)
                .or(resource_unknown);
        }
    }
    Guardrails { open, unknown }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{document, represented, run, span, statement, strings};

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
    fn a_document_of_unknown_kind_is_unverifiable_and_an_identity_one_still_fails() {
        let passed_to_remote_module = |kind| {
            let mut model = document(kind, vec![admin()]);
            model.iam.policies[0].unknown_use = Some(crate::model::iam::UnknownUse {
                span: span(30),
                why: "it is passed to a module that is not linted",
            });
            model
        };
        let out = run(&RULE, passed_to_remote_module(PolicyKind::Other));
        assert!(out.spans().is_empty());
        assert_eq!(out.unverified(), 1);
        assert!(
            out.0[0]
                .message
                .starts_with("cannot verify: statement allows all actions")
        );
        // Known to be an identity policy somewhere: a violation whatever else it may be.
        let out = run(&RULE, passed_to_remote_module(PolicyKind::Identity));
        assert_eq!(out.spans(), [span(10)]);
    }

    #[test]
    fn an_unconditional_deny_all_suppresses() {
        let mut deny = admin();
        deny.effect = Some(Value::explicit("Deny".into(), span(1)));
        let out = run(&RULE, document(PolicyKind::Identity, vec![admin(), deny]));
        assert!(out.spans().is_empty());
    }

    #[test]
    fn a_conditional_deny_does_not_suppress_one_testing_nothing_does() {
        // An unread block may test anything; an empty one (`Condition = {}`) tests nothing.
        for (entries, reported) in [(None, vec![span(10)]), (Some(Vec::new()), vec![])] {
            let mut deny = admin();
            deny.effect = Some(Value::explicit("Deny".into(), span(1)));
            deny.condition = Some(crate::model::iam::Conditions {
                key_span: span(2),
                span: span(2),
                entries,
            });
            let out = run(&RULE, document(PolicyKind::Identity, vec![admin(), deny]));
            assert_eq!(out.spans(), reported);
        }
    }

    /// `Action = [var.a]`, no default.
    fn unknown_actions() -> Elements {
        Elements {
            key_span: span(9),
            span: span(9),
            items: vec![Value::unknown(
                UnknownReason::Variable("a".into()),
                span(10),
            )],
        }
    }

    #[test]
    fn unknown_action_is_unverifiable() {
        let mut s = admin();
        s.action = Some(unknown_actions());
        let out = run(&RULE, document(PolicyKind::Identity, vec![s]));
        assert!(out.spans().is_empty());
        assert_eq!(out.unverified(), 1);
    }

    #[test]
    fn an_unconditional_deny_all_settles_unknown_grants() {
        let mut deny = admin();
        deny.effect = Some(Value::explicit("Deny".into(), span(1)));
        let mut unknown_action = admin();
        unknown_action.action = Some(unknown_actions());
        let mut unknown_effect = admin();
        unknown_effect.effect = Some(Value::unknown(UnknownReason::Variable("e".into()), span(3)));
        for statement in [unknown_action, unknown_effect] {
            let statements = vec![statement, deny.clone()];
            let out = run(&RULE, document(PolicyKind::Identity, statements));
            assert!(out.spans().is_empty());
            assert_eq!(out.unverified(), 0);
        }
    }

    #[test]
    fn an_unknown_effect_asks_whether_the_statement_allows() {
        // The statement is its own potential deny; the note is about its effect, not about a
        // deny elsewhere cancelling a grant.
        let mut s = admin();
        s.effect = Some(Value::unknown(UnknownReason::Variable("e".into()), span(3)));
        let out = run(&RULE, document(PolicyKind::Identity, vec![s]));
        let notes: Vec<(Span, &str)> = out
            .0
            .iter()
            .filter(|f| f.unverifiable)
            .map(|f| (f.primary, &*f.message))
            .collect();
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].0, span(3));
        assert!(
            notes[0]
                .1
                .contains("whether the statement allows or denies")
        );
    }

    fn partial(literal: &str, at: u32) -> Value<Text> {
        Value::unknown(
            UnknownReason::Partial {
                literal: literal.into(),
                reason: Box::new(UnknownReason::Variable("v".into())),
                known_wildcard: false,
                representative: None,
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
    fn a_representative_decides_both_ways() {
        // `!Sub "arn:${AWS::Partition}:*:*:${AWS::AccountId}:*"`: one account, in any partition.
        let resource = |representative: &str| Elements {
            key_span: span(19),
            span: span(19),
            items: vec![represented("arn:*:*:*:*:*", representative, 20)],
        };
        for (representative, reported) in [
            ("arn:aws:*:*:123456789012:*", vec![]),
            ("arn:aws:*:*:*:*", vec![span(10)]),
        ] {
            let mut s = admin();
            s.resource = Some(resource(representative));
            let out = run(&RULE, document(PolicyKind::Identity, vec![s]));
            assert_eq!(out.spans(), reported, "{representative}");
            assert_eq!(out.unverified(), 0, "{representative}");
        }
    }

    #[test]
    fn not_resource_listing_every_resource_grants_nothing() {
        let mut s = admin();
        s.resource = None;
        s.not_resource = Some(strings(&[("*", 30)]));
        assert!(
            run(&RULE, document(PolicyKind::Identity, vec![s]))
                .spans()
                .is_empty()
        );
        let mut s = admin();
        s.resource = None;
        s.not_resource = Some(strings(&[("arn:aws:s3:::b", 30)]));
        assert_eq!(
            run(&RULE, document(PolicyKind::Identity, vec![s])).spans(),
            [span(10)]
        );
    }

    #[test]
    fn a_deny_that_might_cancel_the_grant_makes_it_unverifiable() {
        let mut deny = admin();
        deny.effect = Some(Value::explicit("Deny".into(), span(1)));
        deny.resource = Some(Elements {
            key_span: span(39),
            span: span(39),
            items: vec![Value::unknown(
                UnknownReason::Variable("r".into()),
                span(40),
            )],
        });
        let out = run(&RULE, document(PolicyKind::Identity, vec![admin(), deny]));
        assert!(out.spans().is_empty());
        assert_eq!(out.unverified(), 1);
    }

    #[test]
    fn a_resource_chosen_by_a_condition_reports_that_branch() {
        let mut s = admin();
        s.resource = Some(Elements {
            key_span: span(19),
            span: span(19),
            items: vec![Value::Conditional {
                condition: "Wide".into(),
                when_true: Box::new(Value::explicit("*".into(), span(20))),
                when_false: Box::new(Value::explicit("arn:aws:s3:::b".into(), span(21))),
            }],
        });
        let out = run(&RULE, document(PolicyKind::Identity, vec![s]));
        assert!(out.messages()[0].ends_with("when Wide is true"));
    }

    #[test]
    fn a_negated_element_listing_everything_settles_its_unknowns() {
        // `NotAction: ["*", var.x]` grants nothing whatever `var.x` is.
        let mut s = admin();
        s.action = None;
        let mut not_action = unknown_actions();
        not_action.items.push(Value::explicit("*".into(), span(11)));
        s.not_action = Some(not_action);
        let out = run(&RULE, document(PolicyKind::Identity, vec![s]));
        assert!(out.spans().is_empty());
        assert_eq!(out.unverified(), 0);
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
