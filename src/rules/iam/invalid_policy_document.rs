//! Flags policy documents that AWS rejects, or reads differently from how they look.

use super::suggest;
use crate::model::iam::{
    DATA_SOURCE_STATEMENT_KEYS, DOCUMENT_KEYS, Elements, Key, PolicyDocument, PolicyKind,
    Principals, STATEMENT_KEYS, Statement, Statements,
};
use crate::model::{
    Branch, Leaf, Model, ResourceRef, UnknownReason, Value, merge_when, when_clause,
};
use crate::rules::{Findings, Format, Rule, RuleMeta, Service, Severity};
use crate::text::Text;

pub const RULE: Rule = Rule {
    meta: RuleMeta {
        name: "iam-invalid-policy-document",
        module: module_path!(),
        service: Service::Iam,
        severity: Severity::High,
        formats: &[Format::Terraform, Format::CloudFormation, Format::IamJson],
        summary: "Policy document that AWS rejects or reads differently from how it looks",
        rationale: "IAM rejects a document with a misspelt element (`Statements`, `action`), an \
`Effect` other than exactly `Allow` or `Deny`, or an action or resource that is not well formed, \
so the deployment fails or, worse, a guardrail statement silently never applies. Policy variables \
such as `${aws:username}` are read as literal text unless `Version` is `2012-10-17`, so a statement \
meant to scope access per user matches nothing, or the wrong thing. AWS accepts `*` in a principal \
only as the whole value: `arn:aws:iam::*:root` is rejected. A role's trust policy names \
principals and no `Resource`: IAM rejects one with `Has prohibited field Resource`.",
        remediation: "Use the element names and values of the IAM JSON policy grammar \
(case-sensitive): `Version`, `Id`, `Statement`; in a statement `Sid`, `Effect` (`Allow` or `Deny`), \
`Principal`/`NotPrincipal`, `Action`/`NotAction`, `Resource`/`NotResource`, `Condition`. Always set \
`\"Version\": \"2012-10-17\"`.",
        references: &[
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html",
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html",
        ],
        aliases: &[],
    },
    check,
};

fn check(model: &Model, findings: &mut Findings) {
    for document in &model.iam.policies {
        check_document(document, findings);
    }
}

fn check_document(document: &PolicyDocument, findings: &mut Findings) {
    let on = &document.owner;
    let meant = unexpected(
        on,
        &document.unexpected_keys,
        DOCUMENT_KEYS,
        "policy element",
        "",
        findings,
    );
    match &document.statements {
        Statements::Missing if meant.contains(&"Statement") => {}
        Statements::Missing => {
            findings.report(on, document.span, "policy has no `Statement` element");
        }
        // Reported at the document, like a missing `Statement` (RULES.md 11); the label shows
        // the value or list element that is no statement.
        Statements::Malformed(span) => {
            findings
                .report(
                    on,
                    document.span,
                    "`Statement` must be an object or a list of objects",
                )
                .label(*span, "not a statement object");
        }
        Statements::Unknown { .. } | Statements::List(_) => {}
    }
    for statement in document.statements.iter() {
        check_statement(document, statement, findings);
    }
    check_version(document, findings);
}

/// Reports each unexpected key; returns the allowed keys they were taken for (`did you mean`).
fn unexpected<'a>(
    on: &ResourceRef,
    keys: &[Key],
    allowed: &[&'a str],
    what: &str,
    when: &str,
    findings: &mut Findings,
) -> Vec<&'a str> {
    let mut meant = Vec::new();
    for key in keys {
        let message = match suggest(&key.name, allowed) {
            Some(close) => {
                meant.push(close);
                format!(
                    "`{}` is not a {what}; did you mean `{close}`{when}",
                    key.name
                )
            }
            None => format!("`{}` is not a {what}{when}", key.name),
        };
        findings.report(on, key.span, message);
    }
    meant
}

/// Whether one of the keys taken for a misspelling (`meant`) is the element `name` or its `Not`
/// form, in JSON (`NotAction`) or data-source (`not_actions`) spelling: the element is then
/// missing because of that key, one problem already reported there (RULES.md 11: one finding
/// per problem).
fn misspelled(meant: &[&str], name: &str) -> bool {
    let element = |key: &str| {
        let key = key.replace('_', "").to_ascii_lowercase();
        let key = key.strip_suffix('s').map(str::to_string).unwrap_or(key);
        key.strip_prefix("not").map(str::to_string).unwrap_or(key)
    };
    meant
        .iter()
        .any(|key| element(key) == name.to_ascii_lowercase())
}

/// The conditions under which a statement exists (`- !If [c, {...}, !Ref AWS::NoValue]`): its
/// problems hold only there, so messages say when (RULES.md 2.4).
type Exists<'a> = [(&'a str, bool)];

/// ` when c is true` for a value branch of a statement existing under `exists`; `None` when the
/// branch contradicts the statement's own conditions, so no deployment has it.
fn branch_when(exists: &Exists, branch: &Branch<'_, Text>) -> Option<String> {
    merge_when(exists, &branch.conditions).map(when_clause)
}

fn check_statement(document: &PolicyDocument, statement: &Statement, findings: &mut Findings) {
    let on = &document.owner;
    let exists: Vec<(&str, bool)> = statement
        .exists_when
        .iter()
        .map(|(condition, outcome)| (&**condition, *outcome))
        .collect();
    let when = when_clause(exists.iter().copied());
    let (allowed, what) = if statement.is_data_source_block {
        (DATA_SOURCE_STATEMENT_KEYS, "statement argument")
    } else {
        (STATEMENT_KEYS, "statement element")
    };
    let meant = unexpected(
        on,
        &statement.unexpected_keys,
        allowed,
        what,
        &when,
        findings,
    );
    match &statement.effect {
        None if misspelled(&meant, "Effect") => {}
        None => {
            findings.report(
                on,
                statement.span,
                format!("statement has no `Effect`; it must be `Allow` or `Deny`{when}"),
            );
        }
        Some(effect) => report_known(
            on,
            &exists,
            effect,
            |value| value != "Allow" && value != "Deny",
            |value, when| {
                format!("Effect must be `Allow` or `Deny` (case-sensitive), found `{value}`{when}")
            },
            findings,
        ),
    }
    let action = presence(statement.action.as_ref().map(|e| &e.items[..]));
    let not_action = presence(statement.not_action.as_ref().map(|e| &e.items[..]));
    let resource = presence(statement.resource.as_ref().map(|e| &e.items[..]));
    let not_resource = presence(statement.not_resource.as_ref().map(|e| &e.items[..]));
    let principal = principal_presence(statement.principal.as_ref());
    let not_principal = principal_presence(statement.not_principal.as_ref());
    let pairs = [
        (action, not_action, "Action", true),
        (resource, not_resource, "Resource", false),
        (principal, not_principal, "Principal", false),
    ];
    for (plain, negated, name, exactly_one) in pairs {
        if plain == Presence::Present && negated == Presence::Present {
            findings.report(
                on,
                statement.span,
                format!("statement has both `{name}` and `Not{name}`; use one{when}"),
            );
        } else if exactly_one
            && plain == Presence::Absent
            && negated == Presence::Absent
            && !misspelled(&meant, name)
        {
            findings.report(
                on,
                statement.span,
                format!("statement has neither `{name}` nor `Not{name}`; it needs one{when}"),
            );
        }
    }
    let has_principal = principal.max(not_principal);
    let has_resource = resource.max(not_resource);
    // A document used several ways must suit each (RULES.md 2.6).
    if document.is(PolicyKind::Identity) && has_principal == Presence::Present {
        // Name the key written: a `not_principals` block renders as `NotPrincipal`.
        let key = match principal {
            Presence::Present => "Principal",
            Presence::Absent | Presence::Maybe => "NotPrincipal",
        };
        findings.report(on, statement.span, format!("identity policy statement has a `{key}`; only resource-based policies name principals{when}"));
    }
    if (document.is(PolicyKind::Bucket) || document.is(PolicyKind::Trust))
        && has_principal == Presence::Absent
        && !misspelled(&meant, "Principal")
    {
        findings.report(
            on,
            statement.span,
            format!("statement has no `Principal`; a resource-based policy must name one{when}"),
        );
    }
    // IAM rejects it: `MalformedPolicyDocument: Has prohibited field Resource`.
    if document.is(PolicyKind::Trust)
        && resource == Presence::Present
        && let Some(when) = present_when(&exists, statement.resource.as_ref())
    {
        findings.report(
            on,
            statement.span,
            format!("trust policy statement has a `Resource`; a role's trust policy names no resources, and IAM rejects it{when}"),
        );
    }
    if document.kinds().any(PolicyKind::needs_resource)
        && has_resource == Presence::Absent
        && !misspelled(&meant, "Resource")
    {
        findings.report(
            on,
            statement.span,
            format!("statement has no `Resource`; it needs `Resource` or `NotResource`{when}"),
        );
    }
    // Where a document reaches AWS only through a module not linted or a function not evaluated,
    // its elements may be rewritten first: `_S3_BUCKET_ARN_` is the placeholder the
    // terraform-aws-modules S3 bucket module replaces with the bucket's ARN.
    let mark = findings.len();
    for elements in [&statement.action, &statement.not_action]
        .into_iter()
        .flatten()
    {
        malformed(
            on,
            &exists,
            elements,
            is_action,
            "action",
            "`*` or `service:action`",
            findings,
        );
    }
    for elements in [&statement.resource, &statement.not_resource]
        .into_iter()
        .flatten()
    {
        malformed(
            on,
            &exists,
            elements,
            is_resource,
            "resource",
            "`*` or an ARN",
            findings,
        );
    }
    for principals in [&statement.principal, &statement.not_principal]
        .into_iter()
        .flatten()
    {
        partial_wildcard_principals(on, &exists, principals, findings);
    }
    if let Some(used) = document.unknown_use
        && document.attached_to.is_empty()
    {
        findings.unverifiable_since(mark, used.why);
    }
}

/// Whether an element is there. An element whose every value is unknown may be absent (a Terraform
/// argument set to a null variable, a `dynamic` block over an unknown collection), so structural
/// problems are reported only for elements certainly present or certainly absent. A string with
/// known text around its unknown parts (`"arn:aws:iam::${var.account}:root"`, `!Sub`) is certainly
/// there: an interpolation never yields null, only a string whose exact text is unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Presence {
    Absent,
    Maybe,
    Present,
}

fn presence(items: Option<&[Value<Text>]>) -> Presence {
    items.map_or(Presence::Absent, |items| presence_of(items.iter()))
}

fn presence_of<'a>(mut items: impl Iterator<Item = &'a Value<Text>>) -> Presence {
    let certainly_there = |item: &Value<Text>| {
        item.branches().iter().any(|b| {
            matches!(
                b.leaf,
                Leaf::Known { .. }
                    | Leaf::Unknown {
                        reason: UnknownReason::Partial { .. },
                        ..
                    }
            )
        })
    };
    if items.any(certainly_there) {
        Presence::Present
    } else {
        Presence::Maybe
    }
}

/// ` when c is true` for the deployments in which an element holds a value
/// (`Resource: !If [C, "*", !Ref AWS::NoValue]` only when `C` holds), preferring one without
/// conditions; `None` when every such branch contradicts the statement's own conditions.
fn present_when(exists: &Exists, elements: Option<&Elements>) -> Option<String> {
    let mut found: Option<Vec<(&str, bool)>> = None;
    for item in elements.map_or(&[][..], |e| &e.items[..]) {
        for branch in item.branches() {
            let there = matches!(
                branch.leaf,
                Leaf::Known { .. }
                    | Leaf::Unknown {
                        reason: UnknownReason::Partial { .. },
                        ..
                    }
            );
            let Some(conditions) = there
                .then(|| merge_when(exists, &branch.conditions))
                .flatten()
            else {
                continue;
            };
            if found.as_ref().is_none_or(|f| conditions.len() < f.len()) {
                found = Some(conditions);
            }
        }
    }
    found.map(when_clause)
}

fn principal_presence(principals: Option<&Principals>) -> Presence {
    principals.map_or(Presence::Absent, |p| {
        presence_of(p.items.iter().map(|item| &item.value))
    })
}

fn malformed(
    on: &ResourceRef,
    exists: &Exists,
    elements: &Elements,
    valid: fn(&str) -> bool,
    what: &str,
    expected: &str,
    findings: &mut Findings,
) {
    for item in &elements.items {
        report_known(
            on,
            exists,
            item,
            |value| !valid(value),
            // An empty string in backticks (``) reads as a typo in the message itself.
            |value, when| match value {
                "" => format!("{what} is an empty string, not {expected}{when}"),
                _ => format!("{what} `{value}` is not {expected}{when}"),
            },
            findings,
        );
    }
}

/// Reports each Known value of `value` that `invalid` rejects, at that value, labelled where a
/// variable or local wrote it; `message` words it from the value and the ` when` clause of the
/// branch and of the statement's existence. A branch contradicting the statement's own existence
/// is never deployed.
fn report_known(
    on: &ResourceRef,
    exists: &Exists,
    value: &Value<Text>,
    invalid: impl Fn(&str) -> bool,
    message: impl Fn(&str, String) -> String,
    findings: &mut Findings,
) {
    for branch in value.branches() {
        if let Leaf::Known {
            value,
            span,
            origin,
        } = branch.leaf
            && invalid(value)
            && let Some(when) = branch_when(exists, &branch)
        {
            findings
                .report(on, span, message(value, when))
                .defined_at(origin.defined_at());
        }
    }
}

/// `*`-only, or `prefix:pattern` with a service prefix of letters, digits and dashes.
fn is_action(action: &str) -> bool {
    if !action.is_empty() && action.chars().all(|c| c == '*') {
        return true;
    }
    match action.split_once(':') {
        Some((service, name)) => {
            !service.is_empty()
                && service
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '*' || c == '?')
                && !name.is_empty()
        }
        None => false,
    }
}

fn is_resource(resource: &str) -> bool {
    (!resource.is_empty() && resource.chars().all(|c| c == '*')) || resource.starts_with("arn:")
}

/// AWS accepts no wildcard inside a principal ARN, whatever its type: `AWS` accounts, users and
/// roles, and `Federated` identity providers (`arn:aws:iam::*:saml-provider/x`) alike.
fn partial_wildcard_principals(
    on: &ResourceRef,
    exists: &Exists,
    principals: &Principals,
    findings: &mut Findings,
) {
    for item in &principals.items {
        report_known(
            on,
            exists,
            &item.value,
            |value| value.starts_with("arn:") && value.contains(['*', '?']),
            |value, when| {
                format!(
                    "principal `{value}` has a wildcard inside an ARN; AWS accepts `*` only as the whole principal{when}"
                )
            },
            findings,
        );
        // `arn:aws:iam::${AWS::AccountId}:*`: whatever the account, the wildcard is there.
        for branch in item.value.branches() {
            if let Leaf::Unknown {
                reason:
                    UnknownReason::Partial {
                        literal,
                        known_wildcard: true,
                        ..
                    },
                span,
            } = branch.leaf
                && literal.starts_with("arn:")
                && let Some(when) = branch_when(exists, &branch)
            {
                findings.report(
                    on,
                    span,
                    format!("principal has a wildcard inside an ARN; AWS accepts `*` only as the whole principal{when}"),
                );
            }
        }
    }
}

/// `Version` in each branch (RULES.md 2.4): a value AWS rejects, or `2008-10-17` (or none)
/// while policy variables are used; a value a parameter gave is labelled where it was set.
fn check_version(document: &PolicyDocument, findings: &mut Findings) {
    let on = &document.owner;
    let variable = first_policy_variable(document);
    let missing = |variable: &str, when: &str| {
        format!(
            "policy uses the policy variable `{variable}` but has no `Version`, so it is read as literal text; add `\"Version\": \"2012-10-17\"`{when}"
        )
    };
    let Some(version) = &document.version else {
        if let Some(variable) = variable {
            findings.report(on, document.span, missing(variable, ""));
        }
        return;
    };
    for branch in version.branches() {
        let when = when_clause(branch.conditions.iter().copied());
        let (value, span, origin) = match branch.leaf {
            Leaf::Known {
                value,
                span,
                origin,
            } => (value, span, origin),
            // `Version: !If [C, ..., !Ref AWS::NoValue]`: no `Version` in that branch.
            Leaf::Unknown {
                reason: UnknownReason::Omitted,
                span,
            } => {
                if let Some(variable) = variable {
                    findings.report(on, span, missing(variable, &when));
                }
                continue;
            }
            Leaf::Unknown { .. } => continue,
        };
        let message = match &**value {
            "2012-10-17" => continue,
            "2008-10-17" => match variable {
                Some(variable) => format!(
                    "policy variable `{variable}` is read as literal text with `Version` `2008-10-17`; use `2012-10-17`{when}"
                ),
                None => continue,
            },
            _ => format!(
                "policy `Version` must be `2012-10-17` or `2008-10-17`, found `{value}`{when}"
            ),
        };
        findings
            .report(on, span, message)
            .defined_at(origin.defined_at());
    }
}

/// The policy variable a known value holds first (`${aws:username}`), as written.
fn variable(value: &Value<Text>) -> Option<&str> {
    let text = value.known()?;
    let start = crate::text::find_placeholder_start(text)?;
    let rest = &text[start..];
    // An unclosed `${` is quoted to the end of the value.
    Some(rest.find('}').map_or(rest, |end| &rest[..=end]))
}

/// The first policy variable the document uses, as written.
fn first_policy_variable(document: &PolicyDocument) -> Option<&str> {
    document.statements.iter().find_map(|statement| {
        let elements = [
            &statement.action,
            &statement.not_action,
            &statement.resource,
            &statement.not_resource,
        ];
        elements
            .into_iter()
            .flatten()
            .find_map(|e| e.items.iter().find_map(variable))
            .or_else(|| {
                let entries = statement.condition.as_ref()?.entries.as_ref()?;
                entries
                    .iter()
                    .find_map(|entry| entry.values.iter().find_map(variable))
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::{document, run, span, statement, strings};

    fn valid() -> Statement {
        let mut s = statement("Allow");
        s.action = Some(strings(&[("s3:GetObject", 10)]));
        s.resource = Some(strings(&[("arn:aws:s3:::b/*", 20)]));
        s
    }

    #[test]
    fn a_valid_statement_passes() {
        assert!(
            run(&RULE, document(PolicyKind::Identity, vec![valid()]))
                .spans()
                .is_empty()
        );
    }

    #[test]
    fn lower_case_effect_is_reported_at_the_value() {
        let mut s = valid();
        s.effect = Some(Value::explicit("allow".into(), span(6)));
        let out = run(&RULE, document(PolicyKind::Identity, vec![s]));
        assert_eq!(out.spans(), [span(6)]);
        assert!(out.messages()[0].contains("found `allow`"));
    }

    #[test]
    fn missing_effect_is_reported_at_the_statement() {
        let mut s = valid();
        s.effect = None;
        assert_eq!(
            run(&RULE, document(PolicyKind::Identity, vec![s])).spans(),
            [span(5)]
        );
    }

    #[test]
    fn malformed_elements_of_a_document_passed_out_of_sight_are_unverifiable() {
        // A module not linted may fill in `_S3_BUCKET_ARN_` before AWS reads the document.
        let mut s = valid();
        s.resource = Some(strings(&[("_S3_BUCKET_ARN_", 20)]));
        let mut passed_on = document(PolicyKind::Identity, vec![s]);
        passed_on.iam.policies[0].unknown_use = Some(crate::model::iam::UnknownUse {
            span: span(30),
            why: "it is passed to a module that is not linted",
        });
        let out = run(&RULE, passed_on);
        assert!(out.spans().is_empty());
        assert_eq!(out.unverified(), 1);
    }

    #[test]
    fn malformed_action_and_resource_are_reported() {
        let mut s = valid();
        s.action = Some(strings(&[("s3GetObject", 10)]));
        s.resource = Some(strings(&[("reports-bucket", 20)]));
        assert_eq!(
            run(&RULE, document(PolicyKind::Identity, vec![s])).spans(),
            [span(10), span(20)]
        );
    }

    #[test]
    fn unknown_effect_is_not_invalid() {
        let mut s = valid();
        s.effect = Some(crate::model::testing::unknown_var("effect", 6));
        assert!(
            run(&RULE, document(PolicyKind::Identity, vec![s]))
                .spans()
                .is_empty()
        );
    }

    #[test]
    fn actions_must_be_prefixed() {
        assert!(is_action("s3:GetObject") && is_action("*") && is_action("ec2:Describe*"));
        assert!(!is_action("s3GetObject") && !is_action(":x") && !is_action("s3:"));
    }
}
