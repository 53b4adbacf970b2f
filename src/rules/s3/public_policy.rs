//! Flags a bucket-policy statement allowing any principal without a condition AWS accepts as
//! limiting, while S3 is not told to restrict public policies.

use super::{Candidate, Outcome, Verdict, for_link, judge, rejecting_flags, setting};
use crate::model::ec2::security_group::Cidr;
use crate::model::iam::{
    ConditionEntry, Conditions, PolicyDocument, PolicyKind, Statement, Statements,
};
use crate::model::s3::{Flag, Link, PublicAccessBlock};
use crate::model::{AccountFactKind, Leaf, Model, UnknownReason, merge_when, when_clause};
use crate::rules::iam::{EffectIs, effect};
use crate::rules::{Findings, Format, Rule, RuleMeta, Service, Severity};
use crate::source::Span;

pub const RULE: Rule = Rule {
    meta: RuleMeta {
        name: "s3-public-policy",
        module: module_path!(),
        service: Service::S3,
        severity: Severity::Critical,
        formats: &[Format::Terraform, Format::CloudFormation, Format::IamJson],
        summary: "Bucket policy allows any principal without a limiting condition",
        rationale: "A bucket-policy statement that allows `Principal: \"*\"` (or `{\"AWS\": \"*\"}`, \
or any principal outside a `NotPrincipal`) lets anyone on the internet use the allowed actions, \
unless a condition pins the caller to fixed values AWS accepts as limiting: a source IP range, VPC \
or VPC endpoint, source ARN or account, organization, principal account or ARN. Negated operators, \
`...IfExists`, `ForAllValues:` and `Null` do not limit (they hold when the key is absent), and \
neither do values with wildcards or a `/0` range. Every statement counts, not only the first; a \
`Deny` never grants. S3 ignores such a statement only when `restrict_public_buckets` is on for the \
bucket or the account; `block_public_policy` alone keeps a policy already in place.",
        remediation: "Name the principals that need access, or limit the statement with a \
condition on fixed values:\n\n```json\n{\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \
\"s3:GetObject\", \"Resource\": \"arn:aws:s3:::site/*\",\n \"Condition\": {\"StringEquals\": \
{\"aws:SourceVpce\": \"vpce-1a2b3c4d\"}}}\n```\n\nServe public websites through CloudFront with an \
origin access control instead of a public bucket policy, or set `restrict_public_buckets = true` \
(`RestrictPublicBuckets: true`).",
        references: &[
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status",
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html",
        ],
        aliases: &[
            "CKV_AWS_70",
            "7af43613-6bb9-4a0e-8c4d-1314b799425e",
            "7772bb8c-c0f3-42d4-8e4e-f1b8939ad085",
            "F16",
            "F9",
        ],
    },
    check,
};

/// Condition operators and keys AWS accepts as limiting a public statement ("The meaning of
/// public"), compared case-insensitively; `ForAnyValue:` may prefix an operator.
pub struct Limiting {
    pub operators: &'static [&'static str],
    pub keys: &'static [&'static str],
}

pub const LIMITING: Limiting = Limiting {
    operators: &[
        "StringEquals",
        "StringEqualsIgnoreCase",
        "StringLike",
        "ArnEquals",
        "ArnLike",
        "IpAddress",
    ],
    keys: &[
        "aws:SourceIp",
        "aws:SourceArn",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:SourceOwner",
        "aws:SourceAccount",
        "aws:userid",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "s3:DataAccessPointArn",
        "s3:DataAccessPointAccount",
        "aws:PrincipalOrgID",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
    ],
};

impl Limiting {
    pub fn limits(&self, operator: &str, key: &str) -> bool {
        self.limiting_operator(operator) && self.limiting_key(key)
    }

    /// Whether an entry may limit the caller, `None` standing for an operator or key not known
    /// offline (three-valued: `StringNotEquals` never limits, whatever its keys).
    fn may_limit(&self, operator: Option<&str>, key: Option<&str>) -> bool {
        operator.is_none_or(|operator| self.limiting_operator(operator))
            && key.is_none_or(|key| self.limiting_key(key))
    }

    fn limiting_operator(&self, operator: &str) -> bool {
        let operator = match operator.get(..12) {
            Some(prefix) if prefix.eq_ignore_ascii_case("ForAnyValue:") => {
                operator.get(12..).unwrap_or("")
            }
            _ => operator,
        };
        self.operators
            .iter()
            .any(|o| o.eq_ignore_ascii_case(operator))
    }

    fn limiting_key(&self, key: &str) -> bool {
        self.keys.iter().any(|k| k.eq_ignore_ascii_case(key))
    }
}

/// A value pinning the caller: no wildcard, no policy variable, no `/0` range in any spelling
/// (CIDRs are parsed, RULES.md 2.5: `0.0.0.0/00` is the whole internet too).
fn fixed(value: &str) -> bool {
    let value = value.trim();
    !value.is_empty()
        && !value.contains(['*', '?'])
        && crate::text::find_placeholder_start(value).is_none()
        && !value.ends_with("/0")
        && !Cidr(value.into()).is_internet()
}

fn restrict_public_buckets(block: &PublicAccessBlock) -> &Flag {
    &block.restrict_public_buckets
}

fn block_public_policy(block: &PublicAccessBlock) -> &Flag {
    &block.block_public_policy
}

fn check(model: &Model, findings: &mut Findings) {
    findings.check_documents_of_kind(
        &model.iam.policies,
        PolicyKind::Bucket,
        "a bucket policy",
        |document, findings| check_document(model, document, findings),
    );
}

fn check_document(model: &Model, document: &PolicyDocument, findings: &mut Findings) {
    if let Statements::Unknown { reason, span } = &document.statements {
        findings.unverifiable(&document.owner, *span, "the bucket policy", reason);
        return;
    }
    let restricted = restricted(model, document);
    for statement in document.statements.iter() {
        check_statement(model, document, statement, &restricted, findings);
    }
}

/// `restrict_public_buckets` for every bucket the document is attached to.
fn restricted<'a>(model: &'a Model, document: &'a PolicyDocument) -> Vec<Outcome<'a>> {
    let s3 = &model.s3;
    let settle = |bucket: Candidate, provider: &str| {
        setting(s3, bucket, provider, restrict_public_buckets, false)
    };
    let mut all = Vec::new();
    // A data source owns its document but attaches it to nothing: only its consumers count.
    for owner in std::iter::once(&document.owner).chain(&document.attached_to) {
        if let Some(policy) = s3.policies.iter().find(|p| p.resource == *owner) {
            all.extend(for_link(s3, &policy.link, &policy.provider, &settle));
        }
    }
    if all.is_empty() {
        // A raw policy file: no bucket, nothing restricts it but an account-level block.
        all.extend(settle(Candidate::Outside(None), "aws"));
    }
    all
}

/// The buckets a document is attached to, for labels.
fn bucket_headers(model: &Model, document: &PolicyDocument) -> Vec<Span> {
    std::iter::once(&document.owner)
        .chain(&document.attached_to)
        .filter_map(|owner| model.s3.policies.iter().find(|p| p.resource == *owner))
        .filter_map(|policy| match policy.link {
            Link::Bucket(at) => model.s3.buckets.get(at).map(|b| b.resource.span),
            Link::Outside { .. } | Link::Pending | Link::Unknown { .. } => None,
        })
        .collect()
}

enum Principal<'a> {
    /// `*`: where, where a variable or local wrote it, under which conditions, how the message
    /// names it.
    Public(Span, Option<Span>, Vec<(&'a str, bool)>, &'static str),
    Unknown(Span, &'a UnknownReason),
    Named,
}

fn principal(statement: &Statement) -> Principal<'_> {
    if let Some(not_principal) = &statement.not_principal {
        return Principal::Public(
            not_principal.key_span,
            None,
            Vec::new(),
            "every principal outside `NotPrincipal`",
        );
    }
    let Some(principal) = &statement.principal else {
        return Principal::Named;
    };
    let mut unknown = None;
    for item in &principal.items {
        for branch in item.value.branches() {
            match branch.leaf {
                Leaf::Known {
                    value,
                    span,
                    origin,
                } if value.trim() == "*" => {
                    let who = "any principal (`*`)";
                    let defined_at = origin.defined_at();
                    return Principal::Public(span, defined_at, branch.conditions, who);
                }
                Leaf::Known { .. } => {}
                // Known text around the unknown part (`arn:aws:iam::${AWS::AccountId}:root`)
                // already rules out `*` (RULES.md 2.2).
                Leaf::Unknown { reason, .. } if !reason.could_be(only_stars) => {}
                Leaf::Unknown { reason, span } => unknown = unknown.or(Some((span, reason))),
            }
        }
    }
    match unknown {
        Some((span, reason)) => Principal::Unknown(span, reason),
        None => Principal::Named,
    }
}

/// Whether the widest value of a partly unknown principal (each unknown part written `*`) may
/// still be `*` alone: nothing but its unknown parts.
fn only_stars(widest: &str) -> bool {
    let widest = widest.trim();
    !widest.is_empty() && widest.chars().all(|c| c == '*')
}

enum Limit<'a> {
    Limited,
    Open,
    Unknown(Span, &'a UnknownReason),
}

const UNREADABLE: UnknownReason = UnknownReason::Unsupported("a condition block");

/// How many conditions choosing condition entries are combined; beyond, the block is unknown.
const MAX_ENTRY_CONDITIONS: usize = 4;

/// The condition block's verdict in each combination of the conditions choosing its entries
/// (`Condition: !If [C, {...}, !Ref AWS::NoValue]` limits when `C` holds and is open when not,
/// RULES.md 2.4); one combination, with no condition, when none is chosen.
fn limits(condition: Option<&Conditions>) -> Vec<(Vec<(&str, bool)>, Limit<'_>)> {
    let Some(condition) = condition else {
        return vec![(Vec::new(), Limit::Open)];
    };
    let Some(entries) = &condition.entries else {
        return vec![(Vec::new(), Limit::Unknown(condition.span, &UNREADABLE))];
    };
    // Conditions choosing whole entries, and those choosing a value inside one
    // (`aws:SourceIp: !If [Open, "0.0.0.0/0", "10.0.0.0/8"]` limits only when `Open` is false).
    let mut names: Vec<&str> = Vec::new();
    let value_conditions = entries
        .iter()
        .flat_map(|entry| &entry.values)
        .flat_map(|value| value.branches())
        .flat_map(|branch| branch.conditions);
    let entry_conditions = entries
        .iter()
        .flat_map(|entry| &entry.when)
        .map(|(name, _)| &**name);
    for name in entry_conditions.chain(value_conditions.map(|(name, _)| name)) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    if names.len() > MAX_ENTRY_CONDITIONS {
        return vec![(Vec::new(), Limit::Unknown(condition.span, &UNREADABLE))];
    }
    (0..1usize << names.len())
        .map(|bits| {
            let assignment: Vec<(&str, bool)> = names
                .iter()
                .enumerate()
                .map(|(at, name)| (*name, bits & (1 << at) == 0))
                .collect();
            let present = entries.iter().filter(|entry| {
                entry
                    .when
                    .iter()
                    .all(|(name, outcome)| assignment.contains(&(&**name, *outcome)))
            });
            let limit = limit(present, &assignment);
            (assignment, limit)
        })
        .collect()
}

/// The verdict of the entries present, each value read in the branch `assignment` chooses.
fn limit<'a>(
    entries: impl Iterator<Item = &'a ConditionEntry>,
    assignment: &[(&str, bool)],
) -> Limit<'a> {
    let mut unknown = None;
    for entry in entries {
        let (operator, key) = (entry.operator.as_deref(), entry.key.as_deref());
        if !LIMITING.may_limit(operator, key) || entry.values.is_empty() {
            continue;
        }
        let mut all_fixed = true;
        let mut entry_unknown = None;
        // A value `AWS::NoValue` leaves out in this branch tests nothing; a key left with none
        // (`aws:SourceIp: !If [C, "10.0.0.0/8", !Ref AWS::NoValue]`) does not limit there.
        let mut present = false;
        for value in &entry.values {
            let chosen = value.branches().into_iter().filter(|branch| {
                branch
                    .conditions
                    .iter()
                    .all(|condition| assignment.contains(condition))
            });
            for branch in chosen {
                match branch.leaf {
                    Leaf::Unknown {
                        reason: UnknownReason::Omitted,
                        ..
                    } => continue,
                    Leaf::Known { value, .. } => all_fixed &= fixed(value),
                    // Unknown only in ways `fixed` cannot tell apart (`${AWS::AccountId}`).
                    Leaf::Unknown { reason, .. } if reason.representative().is_some() => {
                        all_fixed &= reason.representative().is_some_and(fixed)
                    }
                    Leaf::Unknown { reason, span } => {
                        entry_unknown = entry_unknown.or(Some((span, reason)))
                    }
                }
                present = true;
            }
        }
        if !present {
            continue;
        }
        match (all_fixed, entry_unknown) {
            (true, None) if operator.is_some() && key.is_some() => return Limit::Limited,
            // The adapters give an operator or key not known an Unknown value saying why.
            (true, None) => unknown = unknown.or(Some((entry.span, &UNREADABLE))),
            (true, Some(found)) => unknown = unknown.or(Some(found)),
            (false, _) => {}
        }
    }
    match unknown {
        Some((span, reason)) => Limit::Unknown(span, reason),
        None => Limit::Open,
    }
}

/// The allowed actions as the message names them.
fn actions(statement: &Statement) -> String {
    if statement.not_action.is_some() {
        return "every action outside `NotAction`".into();
    }
    let known: Vec<String> = statement
        .action
        .iter()
        .flat_map(|action| &action.items)
        .filter_map(|item| item.known())
        .map(|text| format!("`{text}`"))
        .collect();
    if known.is_empty() {
        "its actions".into()
    } else {
        known.join(", ")
    }
}

fn check_statement(
    model: &Model,
    document: &PolicyDocument,
    statement: &Statement,
    restricted: &[Outcome<'_>],
    findings: &mut Findings,
) {
    let on = &document.owner;
    let allow = match effect(statement) {
        EffectIs::NotAllow => return,
        EffectIs::Allow(branches) => Some(branches.into_iter().next().unwrap_or_default()),
        EffectIs::Unknown(_) => None,
    };
    // Each factor is three-valued: any one Known to be safe decides a pass, and only then do
    // the Unknown ones stop mattering (RULES.md 1).
    let (public, mut when) = match principal(statement) {
        Principal::Named => return,
        Principal::Unknown(span, reason) => (Err((span, reason)), Vec::new()),
        Principal::Public(span, defined_at, when, who) => (Ok((span, defined_at, who)), when),
    };
    let mut exists: Vec<(&str, bool)> = statement
        .exists_when
        .iter()
        .map(|(c, b)| (&**c, *b))
        .collect();
    exists.append(&mut when);
    if let Some(allow) = &allow {
        exists.extend(allow.iter().copied());
    }
    // The combination of the condition's own branches to judge, in the deployments where the
    // statement is public: an open one first, else an unknown one.
    let possible: Vec<(Vec<(&str, bool)>, Limit)> = limits(statement.condition.as_ref())
        .into_iter()
        .filter(|(_, limit)| !matches!(limit, Limit::Limited))
        .filter_map(|(choice, limit)| Some((merge_when(&exists, &choice)?, limit)))
        .collect();
    let chosen = possible
        .iter()
        .position(|(_, limit)| matches!(limit, Limit::Open))
        .or((!possible.is_empty()).then_some(0));
    let Some((exists, limit)) = chosen.and_then(|at| possible.into_iter().nth(at)) else {
        return;
    };
    let verdict = judge(restricted, &exists);
    if matches!(verdict, Verdict::Pass) {
        return;
    }
    let (span, defined_at, who) = match public {
        Ok(public) => public,
        Err((span, reason)) => {
            findings.unverifiable(on, span, "the principal of the statement", reason);
            return;
        }
    };
    if let Limit::Unknown(span, reason) = limit {
        findings.unverifiable(on, span, "whether the condition limits the caller", reason);
        return;
    }
    if allow.is_none() {
        if let Some(effect) = &statement.effect {
            let reason = effect.branches().into_iter().find_map(|b| match b.leaf {
                Leaf::Unknown { reason, .. } => Some(reason),
                Leaf::Known { .. } => None,
            });
            if let Some(reason) = reason {
                findings.unverifiable(on, effect.span(), "whether the statement allows", reason);
            }
        }
        return;
    }
    match verdict {
        Verdict::Pass => {}
        Verdict::Unverifiable(why) => {
            why.report(on, "whether S3 restricts the public policy", findings);
        }
        Verdict::Violation(when) => {
            let message = format!(
                "bucket policy lets {who} use {} with no condition limiting the caller{}",
                actions(statement),
                when_clause(when)
            );
            let finding = findings.report(on, span, message);
            finding.unless(AccountFactKind::S3RestrictPublicBuckets);
            if let Some(action) = statement.action.as_ref().or(statement.not_action.as_ref()) {
                finding.label(action.span, "allowed actions");
            }
            finding.defined_at(defined_at);
            for header in bucket_headers(model, document) {
                finding.label(header, "bucket declared here");
            }
            for block in restricting_blocks(model, document) {
                finding.label(
                    block.value.span(),
                    format!(
                        "`{}` rejects new public policies but keeps this one",
                        block.name
                    ),
                );
            }
            for consumer in &document.consumers {
                finding.label(*consumer, "policy used here");
            }
        }
    }
}

/// `block_public_policy` flags that are on but do not neutralize, for the buckets the document
/// is attached to (a raw policy file: the default provider's account block).
fn restricting_blocks<'a>(model: &'a Model, document: &'a PolicyDocument) -> Vec<&'a Flag> {
    let s3 = &model.s3;
    let policies: Vec<_> = std::iter::once(&document.owner)
        .chain(&document.attached_to)
        .filter_map(|owner| s3.policies.iter().find(|p| p.resource == *owner))
        .collect();
    let mut flags: Vec<&Flag> = if policies.is_empty() {
        // No bucket: only the account blocks of the default provider.
        rejecting_flags(s3, &Link::Pending, "aws", block_public_policy)
    } else {
        policies
            .iter()
            .flat_map(|policy| {
                rejecting_flags(s3, &policy.link, &policy.provider, block_public_policy)
            })
            .collect()
    };
    flags.sort_by_key(|flag| flag.value.span());
    flags.dedup_by_key(|flag| flag.value.span());
    flags
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;
    use crate::model::iam::{ConditionEntry, PrincipalItem, Principals};
    use crate::model::testing::{
        document, represented, run, s3_block_on_b, s3_bucket, span, statement, strings,
    };

    fn public(principal_type: Option<&str>) -> Statement {
        let mut s = statement("Allow");
        s.principal = Some(Principals {
            key_span: span(10),
            span: span(10),
            items: vec![PrincipalItem {
                principal_type: principal_type.map(Into::into),
                value: Value::explicit("*".into(), span(11)),
            }],
        });
        s.action = Some(strings(&[("s3:GetObject", 21)]));
        s.resource = Some(strings(&[("arn:aws:s3:::b/*", 31)]));
        s
    }

    fn condition(operator: &str, key: &str, value: &str) -> Conditions {
        Conditions {
            key_span: span(40),
            span: span(40),
            entries: Some(vec![ConditionEntry {
                operator: Some(operator.into()),
                key: Some(key.into()),
                span: span(41),
                values: vec![Value::explicit(value.into(), span(42))],
                when: Vec::new(),
            }]),
        }
    }

    #[test]
    fn every_statement_is_checked_and_the_message_names_the_action() {
        let mut limited = public(None);
        limited.condition = Some(condition("StringEquals", "aws:SourceVpce", "vpce-1"));
        let mut open = public(Some("AWS"));
        open.principal = open.principal.map(|mut p| {
            p.items[0].value = Value::explicit("*".into(), span(12));
            p
        });
        let out = run(&RULE, document(PolicyKind::Bucket, vec![limited, open]));
        assert_eq!(out.spans(), [span(12)]);
        assert_eq!(
            out.messages(),
            [
                "bucket policy lets any principal (`*`) use `s3:GetObject` with no condition limiting the caller"
            ]
        );
    }

    #[test]
    fn limiting_conditions_are_case_insensitive_and_need_fixed_values() {
        let cases = [
            ("StringEquals", "aws:sourcevpce", "vpce-1", true),
            (
                "ForAnyValue:StringEquals",
                "aws:PrincipalOrgID",
                "o-1",
                true,
            ),
            ("IpAddress", "aws:SourceIp", "203.0.113.0/24", true),
            ("IpAddress", "aws:SourceIp", "0.0.0.0/0", false),
            ("IpAddress", "aws:SourceIp", "0.0.0.0/00", false),
            ("IpAddress", "aws:SourceIp", "0::0/000", false),
            ("StringLike", "aws:SourceVpce", "vpce-*", false),
            ("StringNotEquals", "aws:SourceVpce", "vpce-1", false),
            ("StringEqualsIfExists", "aws:SourceVpce", "vpce-1", false),
            (
                "StringEquals",
                "aws:PrincipalOrgID",
                "${aws:PrincipalOrgID}",
                false,
            ),
            ("Bool", "aws:SecureTransport", "true", false),
        ];
        for (operator, key, value, limits) in cases {
            let mut s = public(None);
            s.condition = Some(condition(operator, key, value));
            let out = run(&RULE, document(PolicyKind::Bucket, vec![s]));
            assert_eq!(out.spans().is_empty(), limits, "{operator} {key} {value}");
        }
    }

    #[test]
    fn an_unknown_value_with_a_representative_is_judged_by_it() {
        // `aws:SourceAccount: !Sub "${AWS::AccountId}"` is a fixed value; `"${AWS::AccountId}*"`
        // is not, whatever the account.
        for (representative, reported) in [("123456789012", 0), ("123456789012*", 1)] {
            let mut s = public(None);
            let mut limit = condition("StringEquals", "aws:SourceAccount", "");
            if let Some(entries) = &mut limit.entries {
                entries[0].values = vec![represented("*", representative, 42)];
            }
            s.condition = Some(limit);
            let out = run(&RULE, document(PolicyKind::Bucket, vec![s]));
            assert_eq!(out.spans().len(), reported, "{representative}");
            assert_eq!(out.unverified(), 0, "{representative}");
        }
    }

    #[test]
    fn deny_and_named_principals_pass_not_principal_fails_at_the_key() {
        let mut deny = public(None);
        deny.effect = Some(Value::explicit("Deny".into(), span(6)));
        let mut named = public(None);
        named.principal = named.principal.map(|mut p| {
            p.items[0].value = Value::explicit("arn:aws:iam::111122223333:root".into(), span(11));
            p
        });
        let out = run(&RULE, document(PolicyKind::Bucket, vec![deny, named]));
        assert!(out.spans().is_empty());

        let mut not_principal = public(None);
        not_principal.not_principal = not_principal.principal.take();
        let out = run(&RULE, document(PolicyKind::Bucket, vec![not_principal]));
        assert_eq!(out.spans(), [span(10)]);
    }

    /// Attaches the document to bucket `b`, which has an access block with `flags`.
    fn on_bucket_with_block(model: &mut Model, flags: [bool; 4]) {
        s3_bucket(model, "aws_s3_bucket.b", 50);
        let owner = model.iam.policies[0].owner.clone();
        model.s3.policies.push(crate::model::s3::Child::new(
            owner,
            "aws".into(),
            crate::model::s3::Target::Reference("aws_s3_bucket.b".into()),
            (),
        ));
        s3_block_on_b(model, flags, 60);
    }

    #[test]
    fn restrict_public_buckets_on_the_linked_bucket_neutralizes() {
        for (flags, expected) in [
            ([false, false, false, true], 0),
            ([false, true, false, false], 1),
        ] {
            let mut model = document(PolicyKind::Bucket, vec![public(None)]);
            on_bucket_with_block(&mut model, flags);
            assert_eq!(run(&RULE, model).spans().len(), expected, "{flags:?}");
        }
    }

    #[test]
    fn an_unknown_principal_on_a_restricted_bucket_is_no_question() {
        for (restrict, unverified) in [(true, 0), (false, 1)] {
            let mut s = public(None);
            s.principal = s.principal.map(|mut p| {
                p.items[0].value = crate::model::testing::unknown_var("principal", 11);
                p
            });
            let mut model = document(PolicyKind::Bucket, vec![s]);
            on_bucket_with_block(&mut model, [false, false, false, restrict]);
            let out = run(&RULE, model);
            assert!(out.spans().is_empty());
            assert_eq!(out.unverified(), unverified, "restrict = {restrict}");
        }
    }

    #[test]
    fn an_unknown_principal_is_unverifiable() {
        let mut s = public(None);
        s.principal = s.principal.map(|mut p| {
            p.items[0].value = crate::model::testing::unknown_var("principal", 11);
            p
        });
        let out = run(&RULE, document(PolicyKind::Bucket, vec![s]));
        assert!(out.spans().is_empty());
        assert_eq!(out.unverified(), 1);
    }

    #[test]
    fn a_partly_unknown_principal_is_public_only_when_nothing_but_unknown() {
        for (literal, unverified) in [("arn:aws:iam::*:root", 0), ("*", 1), ("**", 1)] {
            let mut s = public(None);
            s.principal = s.principal.map(|mut p| {
                p.items[0].value = Value::unknown(
                    UnknownReason::Partial {
                        literal: literal.into(),
                        reason: Box::new(UnknownReason::Intrinsic("AWS::AccountId")),
                        known_wildcard: false,
                        representative: None,
                    },
                    span(11),
                );
                p
            });
            let out = run(&RULE, document(PolicyKind::Bucket, vec![s]));
            assert!(out.spans().is_empty(), "{literal}");
            assert_eq!(out.unverified(), unverified, "{literal}");
        }
    }

    #[test]
    fn a_principal_omitted_in_one_branch_is_no_question() {
        // `AWS: [!If [InPartition, "arn:aws:iam::127311923021:root", !Ref AWS::NoValue]]`.
        let mut s = public(Some("AWS"));
        s.principal = s.principal.map(|mut p| {
            p.items[0].value = Value::Conditional {
                condition: "InPartition".into(),
                when_true: Box::new(Value::explicit(
                    "arn:aws:iam::127311923021:root".into(),
                    span(11),
                )),
                when_false: Box::new(Value::unknown(UnknownReason::Omitted, span(12))),
            };
            p
        });
        let out = run(&RULE, document(PolicyKind::Bucket, vec![s]));
        assert!(out.spans().is_empty());
        assert_eq!(out.unverified(), 0);
    }
}
