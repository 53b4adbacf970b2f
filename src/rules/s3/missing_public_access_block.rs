//! Flags a bucket whose four block-public-access settings, bucket and account level combined,
//! are not all on.

use super::{Candidate, Outcome, State, Why, combine, either, for_link, outcomes, setting};
use crate::model::s3::{Flag, Link, PublicAccessBlock, S3};
use crate::model::{AccountFactKind, Leaf, Model, Origin, ResourceRef, when_clause};
use crate::rules::{Findings, Format, Rule, RuleMeta, Service, Severity};
use crate::source::Span;

pub const RULE: Rule = Rule {
    meta: RuleMeta {
        name: "s3-missing-public-access-block",
        module: module_path!(),
        service: Service::S3,
        severity: Severity::Medium,
        formats: &[Format::Terraform, Format::CloudFormation],
        summary: "Bucket does not have all four block-public-access settings on",
        rationale: "Block Public Access is the guard rail that keeps a later public ACL or bucket \
policy from exposing the bucket: `block_public_acls` and `block_public_policy` reject new public \
grants, `ignore_public_acls` and `restrict_public_buckets` neutralize existing ones. Each setting \
counts when it is on for the bucket or for the account (`aws_s3_account_public_access_block`, same \
provider configuration). An omitted setting is off, and no block means all four are off: S3's \
April 2023 default for new buckets is not assumed, because creation time is not in the source and \
Terraform does not restore a setting changed outside it. This is hardening; actual exposure is \
reported by `s3-public-acl` and `s3-public-policy`. A bucket meant to be public (a website) should \
carry an inline suppression with the reason.",
        remediation: "Turn all four settings on for the bucket:\n\n```hcl\nresource \
\"aws_s3_bucket_public_access_block\" \"b\" {\n  bucket                  = aws_s3_bucket.b.id\n  \
block_public_acls       = true\n  block_public_policy     = true\n  ignore_public_acls      = true\n  \
restrict_public_buckets = true\n}\n```\n\nor once for the whole account with \
`aws_s3_account_public_access_block`. In CloudFormation set the four \
`PublicAccessBlockConfiguration` properties to `true`.",
        references: &[
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html",
            "https://docs.aws.amazon.com/securityhub/latest/userguide/s3-controls.html#s3-8",
        ],
        aliases: &[
            "AWS-0086",
            "AWS-0087",
            "AWS-0091",
            "AWS-0093",
            "AWS-0094",
            "CKV_AWS_53",
            "CKV_AWS_54",
            "CKV_AWS_55",
            "CKV_AWS_56",
            "CKV2_AWS_6",
            "1a4bc881-9f69-4d44-8c9a-d37d08f54c50",
        ],
    },
    check,
};

const PICKS: [Pick; 4] = [
    |b| &b.block_public_acls,
    |b| &b.block_public_policy,
    |b| &b.ignore_public_acls,
    |b| &b.restrict_public_buckets,
];

/// Flag names when no block of the unit spells them (Terraform's).
const DEFAULT_NAMES: [&str; 4] = [
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
];

fn check(model: &Model, findings: &mut Findings) {
    let s3 = &model.s3;
    for (at, bucket) in s3.buckets.iter().enumerate() {
        let linked: Vec<&PublicAccessBlock> = s3
            .access_blocks
            .iter()
            .filter(|block| block.link == Link::Bucket(at))
            .map(|block| &block.item)
            .collect();
        let settle = |pick| setting(s3, Candidate::InUnit(at), &bucket.provider, pick, false);
        let subject = Subject {
            on: &bucket.resource,
            provider: &bucket.provider,
            linked,
            is_bucket: true,
        };
        judge_one(s3, &subject, &settle, findings);
    }
    // A block whose bucket is outside the scan or not known is linted on its own (RULES.md 2.1),
    // as existing even when its `count` is not known (RULES.md 2.4): its own flags as written.
    for block in &s3.access_blocks {
        if matches!(block.link, Link::Bucket(_) | Link::Pending) {
            continue;
        }
        let written = block.as_written();
        let settle = |pick: Pick| {
            let own = outcomes(&pick(written).value, |on| *on);
            // Other blocks naming the same bucket outside the scan configure it too, and so do
            // those of a bucket of the unit whose name, not known offline, may be that name.
            let elsewhere = match &block.link {
                link @ Link::Outside { .. } => {
                    let settle =
                        |candidate, provider: &str| setting(s3, candidate, provider, pick, false);
                    for_link(s3, link, &block.provider, &settle)
                }
                _ => setting(s3, Candidate::Outside(None), &block.provider, pick, false),
            };
            let too_many = Why::Maybe("too many conditional settings".into(), block.item.header);
            combine(&own, &elsewhere, &either, &too_many)
        };
        let subject = Subject {
            on: &block.resource,
            provider: &block.provider,
            linked: vec![written],
            is_bucket: false,
        };
        judge_one(s3, &subject, &settle, findings);
    }
}

type Pick = fn(&PublicAccessBlock) -> &Flag;

/// What a finding is about: a bucket, or a block linted on its own.
struct Subject<'a> {
    on: &'a ResourceRef,
    provider: &'a str,
    linked: Vec<&'a PublicAccessBlock>,
    is_bucket: bool,
}

fn judge_one<'a>(
    s3: &'a S3,
    subject: &Subject<'a>,
    settle: &dyn Fn(Pick) -> Vec<Outcome<'a>>,
    findings: &mut Findings,
) {
    let on = subject.on;
    let linked = &subject.linked;
    let account: Vec<&PublicAccessBlock> = s3
        .account_blocks
        .iter()
        .filter(|account| &*account.provider == subject.provider)
        .map(|account| &account.block)
        .collect();
    let mut off: Vec<usize> = Vec::new();
    let mut when: Option<Vec<(&str, bool)>> = None;
    let mut unknown: Option<Why> = None;
    for (index, pick) in PICKS.iter().enumerate() {
        let outcomes = settle(*pick);
        if let Some(outcome) = outcomes.iter().find(|o| o.state == State::Off) {
            off.push(index);
            when.get_or_insert_with(|| outcome.when.clone());
        }
        unknown = unknown.or_else(|| {
            outcomes.iter().find_map(|o| match &o.state {
                State::Unknown(why) => Some(why.clone()),
                State::On | State::Off => None,
            })
        });
    }
    if off.is_empty() {
        if let Some(why) = unknown {
            why.report(on, "whether public access is fully blocked", findings);
        }
        return;
    }
    let names = names(s3, linked);
    let explicit = explicit_false(linked, &off);
    let primary = explicit
        .first()
        .map(|(span, _)| *span)
        .or_else(|| linked.first().map(|block| block.header))
        .unwrap_or(on.span);
    let when = when_clause(when.unwrap_or_default());
    let no_block = linked.iter().all(|block| omitted_where_off(block));
    let message = if no_block && account.is_empty() && off.len() == PICKS.len() {
        format!("bucket has no public access block; all four settings default to off{when}")
    } else {
        let listed: Vec<String> = off
            .iter()
            .filter_map(|i| names.get(*i))
            .map(|name| format!("`{name}`"))
            .collect();
        let verb = if listed.len() == 1 { "is" } else { "are" };
        format!(
            "public access is not fully blocked: {} {verb} off{when}",
            listed.join(", ")
        )
    };
    let finding = findings.report(on, primary, message);
    finding.unless(AccountFactKind::S3AllPublicAccessBlocked);
    for (span, defined_at) in &explicit {
        if *span != primary {
            finding.label(*span, "also off");
        }
        finding.defined_at(*defined_at);
    }
    if subject.is_bucket && primary != on.span {
        finding.label(on.span, "bucket declared here");
    }
    for block in account {
        finding.label(block.header, "account-level block");
    }
}

/// Flag names as the unit's blocks spell them.
fn names<'a>(s3: &'a S3, linked: &[&'a PublicAccessBlock]) -> [&'a str; 4] {
    let block = linked
        .first()
        .copied()
        .or_else(|| s3.account_blocks.first().map(|account| &account.block))
        .or_else(|| s3.access_blocks.first().map(|block| &block.item));
    match block {
        Some(block) => block.flags().map(|flag| flag.name),
        None => DEFAULT_NAMES,
    }
}

/// Whether a linked configuration is absent wherever it leaves a flag off: every off value is the
/// default at one place other than the configuration's key, the `Ref: AWS::NoValue` omitting the
/// whole `PublicAccessBlockConfiguration` (RULES.md 2.3), so the bucket has no block there.
fn omitted_where_off(block: &PublicAccessBlock) -> bool {
    let mut omitted_at = None;
    for flag in block.flags() {
        for branch in flag.value.branches() {
            let off_at = match branch.leaf {
                Leaf::Known {
                    value: false,
                    origin,
                    span,
                } => (origin == Origin::AwsDefault && span != block.header).then_some(span),
                _ => continue,
            };
            match off_at {
                Some(span) if *omitted_at.get_or_insert(span) == span => {}
                _ => return false,
            }
        }
    }
    omitted_at.is_some()
}

/// Written `false` leaves of the off flags in the bucket's own blocks, with where a variable
/// value was set, and defaults written as `Ref: AWS::NoValue` (located at the `Ref`, RULES.md 2.3,
/// where an omitted flag is located at the block header).
fn explicit_false(linked: &[&PublicAccessBlock], off: &[usize]) -> Vec<(Span, Option<Span>)> {
    let mut out = Vec::new();
    for block in linked {
        let flags = block.flags();
        for index in off {
            let Some(flag) = flags.get(*index) else {
                continue;
            };
            for branch in flag.value.branches() {
                match branch.leaf {
                    Leaf::Known {
                        value: false,
                        origin: Origin::Explicit { defined_at },
                        span,
                    } => out.push((span, defined_at)),
                    Leaf::Known {
                        value: false,
                        origin: Origin::AwsDefault,
                        span,
                    } if span != block.header => out.push((span, None)),
                    _ => {}
                }
            }
        }
    }
    out.sort_by_key(|(span, _)| span.start);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;
    use crate::model::s3::AccountBlock;
    use crate::model::testing::{
        reference, run, s3_block, s3_block_on_b, s3_bucket, s3_child, span,
    };

    fn with_block(flags: [bool; 4]) -> Model {
        let mut model = Model::default();
        s3_bucket(&mut model, "aws_s3_bucket.b", 1);
        s3_block_on_b(&mut model, flags, 10);
        model
    }

    #[test]
    fn a_bucket_alone_is_one_finding_at_its_header() {
        let mut model = Model::default();
        s3_bucket(&mut model, "aws_s3_bucket.b", 1);
        model.s3.link();
        let out = run(&RULE, model);
        assert_eq!(out.spans(), [span(1)]);
        assert_eq!(
            out.messages(),
            ["bucket has no public access block; all four settings default to off"]
        );
    }

    #[test]
    fn the_first_false_flag_is_primary_and_every_off_flag_is_named() {
        let out = run(&RULE, with_block([true, false, true, false]));
        assert_eq!(out.spans(), [span(12)]);
        assert_eq!(
            out.messages(),
            [
                "public access is not fully blocked: `block_public_policy`, `restrict_public_buckets` are off"
            ]
        );
        assert!(run(&RULE, with_block([true; 4])).spans().is_empty());
    }

    #[test]
    fn a_configuration_omitted_by_no_value_is_no_block_and_an_empty_one_is_a_block() {
        // Every flag defaulting at `at`: the block's own key for `PublicAccessBlockConfiguration:
        // {}`, the `Ref` for `PublicAccessBlockConfiguration: !Ref AWS::NoValue`.
        let defaulting_at = |at: Option<Span>| {
            let mut model = with_block([true; 4]);
            let block = &mut model.s3.access_blocks[0].item;
            let at = at.unwrap_or(block.header);
            for flag in [
                &mut block.block_public_acls,
                &mut block.block_public_policy,
                &mut block.ignore_public_acls,
                &mut block.restrict_public_buckets,
            ] {
                flag.value = Value::aws_default(false, at);
            }
            run(&RULE, model)
        };
        let omitted_at = span(30);
        let omitted = defaulting_at(Some(omitted_at));
        assert_eq!(omitted.spans(), [omitted_at]);
        assert_eq!(
            omitted.messages(),
            ["bucket has no public access block; all four settings default to off"]
        );
        let empty = defaulting_at(None);
        assert!(empty.messages()[0].starts_with("public access is not fully blocked:"));
    }

    #[test]
    fn bucket_and_account_flags_combine() {
        let mut model = with_block([true, false, true, false]);
        model.s3.account_blocks.push(AccountBlock {
            resource: reference("aws_s3_account_public_access_block.a", 20),
            provider: "aws".into(),
            block: s3_block([false, true, false, true], 20),
        });
        assert!(run(&RULE, model).spans().is_empty());
    }

    #[test]
    fn an_unknown_flag_or_an_orphan_block_is_unverifiable() {
        let mut model = with_block([true; 4]);
        model.s3.access_blocks[0].item.block_public_policy.value =
            crate::model::testing::unknown_var("flag", 12);
        let out = run(&RULE, model);
        assert!(out.spans().is_empty());
        assert_eq!(out.unverified(), 1);

        let mut model = Model::default();
        s3_bucket(&mut model, "aws_s3_bucket.b", 1);
        model.s3.access_blocks.push(s3_child(
            "aws_s3_bucket_public_access_block.x",
            10,
            None,
            s3_block([true; 4], 10),
        ));
        model.s3.link();
        let out = run(&RULE, model);
        assert!(out.spans().is_empty());
        assert_eq!(out.unverified(), 1);
    }

    #[test]
    fn an_orphan_block_of_unknown_count_is_linted_as_written() {
        let orphan = |flags: [bool; 4]| {
            let mut model = Model::default();
            let mut block = s3_child(
                "aws_s3_bucket_public_access_block.x",
                10,
                None,
                s3_block(flags, 10),
            );
            block.exists_when = Some("length(var.buckets)".into());
            model.s3.access_blocks.push(block);
            model.s3.link();
            model.s3.settle_existence();
            run(&RULE, model)
        };
        let all_on = orphan([true; 4]);
        assert!(all_on.spans().is_empty());
        assert_eq!(all_on.unverified(), 0);
        assert_eq!(orphan([true, false, true, true]).spans(), [span(12)]);
    }

    #[test]
    fn a_conditional_false_branch_is_reported_with_its_condition() {
        let mut model = with_block([true; 4]);
        model.s3.access_blocks[0].item.restrict_public_buckets.value = Value::Conditional {
            condition: "Strict".into(),
            when_true: Box::new(Value::explicit(true, span(14))),
            when_false: Box::new(Value::explicit(false, span(15))),
        };
        let out = run(&RULE, model);
        assert_eq!(out.spans(), [span(15)]);
        assert_eq!(
            out.messages(),
            [
                "public access is not fully blocked: `restrict_public_buckets` is off when Strict is false"
            ]
        );
    }
}
