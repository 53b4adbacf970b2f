//! Flags a bucket ACL granting access to everyone or to every AWS account while S3 still honours it.

use super::{Candidate, Verdict, defined_at, for_link, judge, rejecting_flags, setting};
use crate::model::s3::{Acl, Child, Link, PublicAccessBlock, Reach};
use crate::model::{AccountFactKind, Leaf, Model, UnknownReason, when_clause};
use crate::rules::{Findings, Format, Rule, RuleMeta, Service, Severity};
use crate::source::Span;

pub const RULE: Rule = Rule {
    meta: RuleMeta {
        name: "s3-public-acl",
        module: module_path!(),
        service: Service::S3,
        severity: Severity::High,
        formats: &[Format::Terraform, Format::CloudFormation],
        summary: "Bucket ACL grants access to everyone or to every AWS account",
        rationale: "The canned ACLs `public-read`, `public-read-write` (`PublicRead`, \
`PublicReadWrite`) and grants to the `AllUsers` group let anyone on the internet list or read the \
bucket, and write to it for the write variants. `authenticated-read` and the `AuthenticatedUsers` \
group are no narrower: any AWS account in the world is authenticated. S3 stops honouring such ACLs \
only when `ignore_public_acls` is on for the bucket or the account, or when object ownership is \
`BucketOwnerEnforced` (ACLs disabled). `block_public_acls` alone does not help: it rejects new \
public ACLs but keeps one already set, and Terraform may apply the ACL before the block. S3's \
April 2023 defaults cover only buckets created since, and creation time is not in the source.",
        remediation: "Remove the public ACL and serve public content through CloudFront, or disable \
ACLs:\n\n```hcl\nresource \"aws_s3_bucket_ownership_controls\" \"b\" {\n  bucket = \
aws_s3_bucket.b.id\n  rule {\n    object_ownership = \"BucketOwnerEnforced\"\n  }\n}\n```\n\n\
or set `ignore_public_acls = true` in an `aws_s3_bucket_public_access_block` (CloudFormation: \
`PublicAccessBlockConfiguration.IgnorePublicAcls: true`, `OwnershipControls`).",
        references: &[
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl",
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html",
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html",
        ],
        aliases: &[
            "AWS-0092",
            "CKV_AWS_20",
            "CKV_AWS_57",
            "CKV2_AWS_43",
            "38c5ee0d-7f22-4260-ab72-5073048df100",
            "219f4c95-aa50-44e0-97de-cf71f4641170",
            "W31",
            "F14",
        ],
    },
    check,
};

fn ignore_public_acls(block: &PublicAccessBlock) -> &crate::model::s3::Flag {
    &block.ignore_public_acls
}

fn block_public_acls(block: &PublicAccessBlock) -> &crate::model::s3::Flag {
    &block.block_public_acls
}

/// A public leaf of the ACL: where, what message, under which conditions.
struct Public<'a> {
    span: Span,
    message: String,
    when: Vec<(&'a str, bool)>,
    defined_at: Option<Span>,
}

/// An Unknown leaf of the ACL that might be public: it matters only where S3 does not surely
/// ignore ACLs (RULES.md 1: an Unknown that cannot change the outcome is ignored).
struct Undecided<'a> {
    span: Span,
    what: &'static str,
    reason: &'a UnknownReason,
    when: Vec<(&'a str, bool)>,
}

fn check(model: &Model, findings: &mut Findings) {
    let s3 = &model.s3;
    for acl in &s3.acls {
        let (public, undecided) = leaves(acl);
        if public.is_empty() && undecided.is_empty() {
            continue;
        }
        let settle = |bucket: Candidate, provider: &str| {
            setting(s3, bucket, provider, ignore_public_acls, true)
        };
        let ignored = for_link(s3, &acl.link, &acl.provider, &settle);
        for leaf in undecided {
            if !matches!(judge(&ignored, &leaf.when), Verdict::Pass) {
                findings.unverifiable(&acl.resource, leaf.span, leaf.what, leaf.reason);
            }
        }
        for leaf in public {
            match judge(&ignored, &leaf.when) {
                Verdict::Pass => {}
                Verdict::Unverifiable(why) => {
                    why.report(&acl.resource, "whether S3 ignores the public ACL", findings);
                }
                Verdict::Violation(when) => {
                    let message = format!("{}{}", leaf.message, when_clause(when));
                    let finding = findings.report(&acl.resource, leaf.span, message);
                    finding.defined_at(leaf.defined_at);
                    finding.unless(AccountFactKind::S3IgnorePublicAcls);
                    if let Link::Bucket(at) = acl.link
                        && let Some(bucket) = s3.buckets.get(at)
                        && bucket.resource != acl.resource
                    {
                        finding.label(bucket.resource.span, "bucket declared here");
                    }
                    for flag in rejecting_flags(s3, &acl.link, &acl.provider, block_public_acls) {
                        finding.label(
                            flag.value.span(),
                            format!("`{}` rejects new public ACLs but keeps this one", flag.name),
                        );
                    }
                }
            }
        }
    }
}

/// The public leaves of the canned ACL and the grants, and the Unknown ones.
fn leaves<'a>(acl: &'a Child<Acl>) -> (Vec<Public<'a>>, Vec<Undecided<'a>>) {
    let mut public = Vec::new();
    let mut undecided = Vec::new();
    if let Some(canned) = &acl.item.canned {
        for branch in canned.branches() {
            match branch.leaf {
                Leaf::Known { value, span, .. } => {
                    let Some(who) = who(value.reach) else {
                        continue;
                    };
                    let access = if value.writable {
                        "read and write"
                    } else {
                        "read"
                    };
                    public.push(Public {
                        span,
                        message: format!(
                            "bucket ACL `{}` lets {who} {access} the bucket",
                            value.written
                        ),
                        when: branch.conditions,
                        defined_at: defined_at(canned, span),
                    });
                }
                Leaf::Unknown { reason, span } => undecided.push(Undecided {
                    span,
                    what: "the bucket ACL",
                    reason,
                    when: branch.conditions,
                }),
            }
        }
    }
    for grant in &acl.item.grants {
        for branch in grant.branches() {
            match branch.leaf {
                Leaf::Known { value, span, .. } => {
                    let Some(who) = who(value.reach) else {
                        continue;
                    };
                    public.push(Public {
                        span,
                        message: format!(
                            "bucket ACL grant to `{}` lets {who} access the bucket",
                            value.written
                        ),
                        when: branch.conditions,
                        defined_at: defined_at(grant, span),
                    });
                }
                Leaf::Unknown { reason, span } => undecided.push(Undecided {
                    span,
                    what: "the grantee of the bucket ACL",
                    reason,
                    when: branch.conditions,
                }),
            }
        }
    }
    (public, undecided)
}

fn who(reach: Reach) -> Option<&'static str> {
    match reach {
        Reach::Private => None,
        Reach::Everyone => Some("anyone on the internet"),
        Reach::AnyAwsAccount => Some("any AWS account"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;
    use crate::model::s3::{AccountBlock, CannedAcl, Ownership};
    use crate::model::testing::{
        reference, run, s3_block, s3_block_on_b, s3_bucket, s3_child, span,
    };

    fn public_read(model: &mut Model, bucket: Option<&str>) {
        let acl = Acl {
            header: span(10),
            canned: Some(Value::explicit(
                CannedAcl {
                    written: "public-read".into(),
                    reach: Reach::Everyone,
                    writable: false,
                },
                span(11),
            )),
            grants: Vec::new(),
        };
        model
            .s3
            .acls
            .push(s3_child("aws_s3_bucket_acl.b", 10, bucket, acl));
    }

    #[test]
    fn a_public_acl_without_neutralizer_is_reported_at_the_acl() {
        let mut model = Model::default();
        s3_bucket(&mut model, "aws_s3_bucket.b", 1);
        public_read(&mut model, Some("aws_s3_bucket.b"));
        model.s3.link();
        let out = run(&RULE, model);
        assert_eq!(out.spans(), [span(11)]);
        assert_eq!(
            out.messages(),
            ["bucket ACL `public-read` lets anyone on the internet read the bucket"]
        );
    }

    /// An access block with `flags` on bucket `b`.
    fn with_block(model: &mut Model, flags: [bool; 4]) {
        s3_block_on_b(model, flags, 20);
    }

    #[test]
    fn ignore_public_acls_neutralizes_but_block_public_acls_does_not() {
        for (flags, expected) in [
            ([false, false, true, false], 0),
            ([true, false, false, false], 1),
        ] {
            let mut model = Model::default();
            s3_bucket(&mut model, "aws_s3_bucket.b", 1);
            public_read(&mut model, Some("aws_s3_bucket.b"));
            with_block(&mut model, flags);
            assert_eq!(run(&RULE, model).spans().len(), expected, "{flags:?}");
        }
    }

    #[test]
    fn bucket_owner_enforced_disables_acls() {
        let mut model = Model::default();
        s3_bucket(&mut model, "aws_s3_bucket.b", 1);
        public_read(&mut model, Some("aws_s3_bucket.b"));
        let ownership = Ownership {
            header: span(30),
            object_ownership: vec![Value::explicit("BucketOwnerEnforced".into(), span(31))],
        };
        model.s3.ownership.push(s3_child(
            "aws_s3_bucket_ownership_controls.b",
            30,
            Some("aws_s3_bucket.b"),
            ownership,
        ));
        model.s3.link();
        assert!(run(&RULE, model).spans().is_empty());
    }

    #[test]
    fn account_block_of_another_provider_makes_it_unverifiable() {
        let mut model = Model::default();
        s3_bucket(&mut model, "aws_s3_bucket.b", 1);
        public_read(&mut model, Some("aws_s3_bucket.b"));
        model.s3.account_blocks.push(AccountBlock {
            resource: reference("aws_s3_account_public_access_block.a", 40),
            provider: "aws.other".into(),
            block: s3_block([false, false, true, false], 40),
        });
        model.s3.link();
        let out = run(&RULE, model);
        assert!(out.spans().is_empty());
        assert_eq!(out.unverified(), 1);
    }

    #[test]
    fn an_orphan_acl_is_reported_and_an_orphan_block_makes_it_unverifiable() {
        let mut model = Model::default();
        public_read(&mut model, None);
        model.s3.link();
        assert_eq!(run(&RULE, model).spans(), [span(11)]);

        let mut model = Model::default();
        public_read(&mut model, None);
        let block = s3_block([false, false, true, false], 20);
        model.s3.access_blocks.push(s3_child(
            "aws_s3_bucket_public_access_block.x",
            20,
            None,
            block,
        ));
        model.s3.link();
        let out = run(&RULE, model);
        assert!(out.spans().is_empty());
        assert_eq!(out.unverified(), 1);
    }

    #[test]
    fn an_unknown_acl_on_a_bucket_that_ignores_acls_is_no_question() {
        for (ignore, unverified) in [(true, 0), (false, 1)] {
            let mut model = Model::default();
            s3_bucket(&mut model, "aws_s3_bucket.b", 1);
            let acl = Acl {
                header: span(10),
                canned: Some(crate::model::testing::unknown_var("acl", 11)),
                grants: Vec::new(),
            };
            model.s3.acls.push(s3_child(
                "aws_s3_bucket_acl.b",
                10,
                Some("aws_s3_bucket.b"),
                acl,
            ));
            with_block(&mut model, [false, false, ignore, false]);
            let out = run(&RULE, model);
            assert!(out.spans().is_empty());
            assert_eq!(
                out.unverified(),
                unverified,
                "ignore_public_acls = {ignore}"
            );
        }
    }
}
