//! S3 buckets and the resources that decide who can reach them: ACLs, bucket policies, ownership
//! controls and public access blocks, at bucket and account level (RULES.md 2.1, 6-8).
//!
//! Resources that configure a bucket are kept as `Child` records with the target they name; the
//! adapters call `S3::link` once per module or template to resolve those targets.

use super::iam::wildcard_match;
use super::{ResourceRef, UnknownReason, Value};
use crate::source::Span;
use crate::text::Text;

#[derive(Debug, Default)]
pub struct S3 {
    pub buckets: Vec<Bucket>,
    pub acls: Vec<Child<Acl>>,
    pub access_blocks: Vec<Child<PublicAccessBlock>>,
    pub ownership: Vec<Child<Ownership>>,
    /// The resource owning a bucket policy document (`model.iam.policies[].owner`) and its bucket.
    pub policies: Vec<Child<()>>,
    pub account_blocks: Vec<AccountBlock>,
    linked: Linked,
}

/// How far `link` got: every module or template links only what it added itself.
#[derive(Debug, Default)]
struct Linked {
    buckets: usize,
    acls: usize,
    access_blocks: usize,
    ownership: usize,
    policies: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Bucket {
    pub resource: ResourceRef,
    pub name: Option<BucketName>,
    /// Terraform provider configuration (`aws`, `aws.eu`); empty in CloudFormation.
    pub provider: Text,
    /// The `count`/`for_each` (its own or its module's) when it may create no bucket.
    pub exists_when: Option<Text>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BucketName {
    Literal(Text),
    /// Not resolvable offline: the expression as written, matched against children's targets,
    /// and the names it may stand for as a wildcard pattern (its literal parts, `*` for each part
    /// not known offline: `acme-*`; `*` when no part is known), and where it is used.
    Expression {
        written: Text,
        pattern: Text,
        span: Span,
    },
}

impl Bucket {
    /// Whether the bucket may be the one a child names literally (`bucket = "acme"`): its own name
    /// is not known offline and may be that name (RULES.md 1: Unknown is never read as safe).
    pub fn may_be_named(&self, name: &str) -> bool {
        match &self.name {
            Some(BucketName::Expression { pattern, .. }) => wildcard_match(pattern, name, false),
            Some(BucketName::Literal(_)) | None => false,
        }
    }
}

/// The bucket a child resource names.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// A reference to a resource of the unit (Terraform address or logical id).
    Reference(Text),
    /// A literal bucket name.
    Name(Text),
    /// An unresolved expression: links to a bucket named by the very same expression.
    Expression {
        text: Text,
        reason: UnknownReason,
        span: Span,
    },
    Unknown {
        reason: UnknownReason,
        span: Span,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Link {
    /// Not yet resolved by `S3::link`.
    Pending,
    /// Index into `S3::buckets`.
    Bucket(usize),
    /// A literal name matching no bucket's literal name in the unit: the bucket of that name,
    /// outside the scan, or one of the unit's buckets (indexes into `S3::buckets`) whose name is
    /// not known offline and may be it.
    Outside { name: Text, or_maybe: Vec<usize> },
    /// Any bucket of the unit, or one outside it (an orphan).
    Unknown { reason: UnknownReason, span: Span },
}

/// A resource (or part of one) configuring a bucket.
#[derive(Clone, Debug, PartialEq)]
pub struct Child<T> {
    pub resource: ResourceRef,
    pub provider: Text,
    pub target: Target,
    pub link: Link,
    pub item: T,
    /// The `count`/`for_each` when it may create no resource (`S3::settle_existence`).
    pub exists_when: Option<Text>,
    /// The item as written, kept when `S3::settle_existence` made `item` neutralize nothing for
    /// sure: a child linted on its own is linted as existing (RULES.md 2.4).
    pub as_written: Option<Box<T>>,
}

impl<T> Child<T> {
    pub fn new(resource: ResourceRef, provider: Text, target: Target, item: T) -> Child<T> {
        Child {
            resource,
            provider,
            target,
            link: Link::Pending,
            item,
            exists_when: None,
            as_written: None,
        }
    }

    /// What the child says about itself, whether or not it will be created.
    pub fn as_written(&self) -> &T {
        self.as_written.as_deref().unwrap_or(&self.item)
    }
}

/// Who a canned ACL or a grantee opens the bucket to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    Private,
    /// Anyone on the internet (`AllUsers`).
    Everyone,
    /// Any authenticated AWS account (`AuthenticatedUsers`).
    AnyAwsAccount,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CannedAcl {
    /// As written, for messages.
    pub written: Text,
    pub reach: Reach,
    pub writable: bool,
}

impl CannedAcl {
    /// The ACL as written; `public` spells, case-insensitively, `public-read`,
    /// `public-read-write` and `authenticated-read` in the format at hand. Anything else is private.
    pub fn read(written: Text, public: [&str; 3]) -> CannedAcl {
        let [read, read_write, authenticated_read] = public;
        let (reach, writable) = match &*written {
            name if name.eq_ignore_ascii_case(read) => (Reach::Everyone, false),
            name if name.eq_ignore_ascii_case(read_write) => (Reach::Everyone, true),
            name if name.eq_ignore_ascii_case(authenticated_read) => (Reach::AnyAwsAccount, false),
            _ => (Reach::Private, false),
        };
        CannedAcl {
            written,
            reach,
            writable,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Grantee {
    /// The grantee URI as written.
    pub written: Text,
    pub reach: Reach,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Acl {
    /// The block or resource header.
    pub header: Span,
    pub canned: Option<Value<CannedAcl>>,
    pub grants: Vec<Value<Grantee>>,
}

/// A flag of a public access block, with its name as the format spells it.
#[derive(Clone, Debug, PartialEq)]
pub struct Flag {
    pub name: &'static str,
    pub value: Value<bool>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PublicAccessBlock {
    /// The resource header, or the `PublicAccessBlockConfiguration` key.
    pub header: Span,
    pub block_public_acls: Flag,
    pub block_public_policy: Flag,
    pub ignore_public_acls: Flag,
    pub restrict_public_buckets: Flag,
}

impl PublicAccessBlock {
    /// An omitted flag is off, at bucket and at account level.
    pub const FLAG_DEFAULT: bool = false;

    /// A block whose resource may not be created neutralizes nothing for sure: every flag not
    /// known to be off becomes unknown.
    pub fn may_not_exist(&mut self, reason: &UnknownReason) {
        for flag in [
            &mut self.block_public_acls,
            &mut self.block_public_policy,
            &mut self.ignore_public_acls,
            &mut self.restrict_public_buckets,
        ] {
            if flag.value.known() != Some(&false) {
                flag.value = Value::unknown(reason.clone(), flag.value.span());
            }
        }
    }

    pub fn flags(&self) -> [&Flag; 4] {
        [
            &self.block_public_acls,
            &self.block_public_policy,
            &self.ignore_public_acls,
            &self.restrict_public_buckets,
        ]
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ownership {
    pub header: Span,
    /// `ObjectOwnership` of each rule.
    pub object_ownership: Vec<Value<Text>>,
}

impl Ownership {
    /// Like `PublicAccessBlock::may_not_exist`.
    pub fn may_not_exist(&mut self, reason: &UnknownReason) {
        for rule in &mut self.object_ownership {
            *rule = Value::unknown(reason.clone(), rule.span());
        }
    }

    /// The setting that disables ACLs altogether.
    pub const BUCKET_OWNER_ENFORCED: &'static str = "BucketOwnerEnforced";
}

#[derive(Clone, Debug, PartialEq)]
pub struct AccountBlock {
    pub resource: ResourceRef,
    pub provider: Text,
    pub block: PublicAccessBlock,
}

impl S3 {
    /// Resolves the targets of the children added since the last call against the buckets added
    /// since the last call (RULES.md 2.1).
    pub fn link(&mut self) {
        let buckets = self.buckets.get(self.linked.buckets..).unwrap_or(&[]);
        let first = self.linked.buckets;
        resolve(&mut self.acls, &mut self.linked.acls, buckets, first);
        resolve(
            &mut self.access_blocks,
            &mut self.linked.access_blocks,
            buckets,
            first,
        );
        resolve(
            &mut self.ownership,
            &mut self.linked.ownership,
            buckets,
            first,
        );
        resolve(
            &mut self.policies,
            &mut self.linked.policies,
            buckets,
            first,
        );
        self.linked.buckets = self.buckets.len();
    }

    /// After linking: an access block or ownership control that may not be created neutralizes
    /// nothing for sure (RULES.md 2.4), unless it exists exactly when its bucket does (both under
    /// one `count`, such as their module's).
    pub fn settle_existence(&mut self) {
        settle(
            &mut self.access_blocks,
            &self.buckets,
            PublicAccessBlock::may_not_exist,
        );
        settle(&mut self.ownership, &self.buckets, Ownership::may_not_exist);
    }
}

/// Makes each child whose existence is undecided neutralize nothing for sure (`may_not_exist`),
/// unless its linked bucket exists under the very same condition.
fn settle<T: Clone>(
    children: &mut [Child<T>],
    buckets: &[Bucket],
    may_not_exist: impl Fn(&mut T, &UnknownReason),
) {
    for child in children {
        let Some(exists_when) = child.exists_when.take() else {
            continue;
        };
        let with_bucket = match child.link {
            Link::Bucket(at) => buckets
                .get(at)
                .is_some_and(|bucket| bucket.exists_when.as_ref() == Some(&exists_when)),
            _ => false,
        };
        if !with_bucket {
            child.as_written = Some(Box::new(child.item.clone()));
            may_not_exist(&mut child.item, &UnknownReason::MayNotExist(exists_when));
        }
    }
}

fn resolve<T>(children: &mut [Child<T>], done: &mut usize, buckets: &[Bucket], first: usize) {
    for child in children.iter_mut().skip(*done) {
        child.link = link_one(&child.resource, &child.target, buckets, first);
    }
    *done = children.len();
}

fn link_one(child: &ResourceRef, target: &Target, buckets: &[Bucket], first: usize) -> Link {
    let find = |test: &dyn Fn(&Bucket) -> bool| {
        buckets
            .iter()
            .position(|bucket| bucket.resource.format == child.format && test(bucket))
            .map(|at| Link::Bucket(first + at))
    };
    match target {
        Target::Reference(address) => {
            // Another format's bucket never answers to this address.
            let addresses = buckets.iter().map(|bucket| match bucket.resource.format {
                format if format == child.format => &*bucket.resource.address,
                _ => "",
            });
            ResourceRef::linked_position(addresses, address)
                .map(|at| Link::Bucket(first + at))
                .unwrap_or_else(|| Link::Unknown {
                    reason: UnknownReason::Reference(address.clone()),
                    span: child.span,
                })
        }
        Target::Name(name) => find(&|b| b.name == Some(BucketName::Literal(name.clone())))
            .unwrap_or_else(|| Link::Outside {
                name: name.clone(),
                or_maybe: (buckets.iter().enumerate())
                    .filter(|(_, b)| b.resource.format == child.format && b.may_be_named(name))
                    .map(|(at, _)| first + at)
                    .collect(),
            }),
        Target::Expression { text, reason, span } => find(
            &|b| matches!(&b.name, Some(BucketName::Expression { written, .. }) if written == text),
        )
        .unwrap_or_else(|| Link::Unknown {
            reason: reason.clone(),
            span: *span,
        }),
        Target::Unknown { reason, span } => Link::Unknown {
            reason: reason.clone(),
            span: *span,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canned_acls_are_read_case_insensitively_in_either_spelling() {
        let tf = ["public-read", "public-read-write", "authenticated-read"];
        let read = |written: &str| {
            let acl = CannedAcl::read(written.into(), tf);
            (acl.reach, acl.writable)
        };
        assert_eq!(read("Public-Read"), (Reach::Everyone, false));
        assert_eq!(read("public-read-write"), (Reach::Everyone, true));
        assert_eq!(read("authenticated-read"), (Reach::AnyAwsAccount, false));
        assert_eq!(read("website"), (Reach::Private, false));
        let cfn = CannedAcl::read(
            "publicread".into(),
            ["PublicRead", "PublicReadWrite", "AuthenticatedRead"],
        );
        assert_eq!(cfn.reach, Reach::Everyone);
        assert_eq!(&*cfn.written, "publicread");
    }
    use crate::model::Format;
    use crate::model::testing::{header, span};

    fn reference(address: &str) -> ResourceRef {
        ResourceRef {
            address: address.into(),
            format: Format::Terraform,
            span: header(),
        }
    }

    fn bucket(address: &str, name: Option<BucketName>) -> Bucket {
        Bucket {
            resource: reference(address),
            name,
            provider: "aws".into(),
            exists_when: None,
        }
    }

    #[test]
    fn children_link_by_reference_name_and_same_expression() {
        let mut s3 = S3::default();
        s3.buckets.push(bucket(
            "aws_s3_bucket.a",
            Some(BucketName::Literal("acme-logs".into())),
        ));
        s3.buckets.push(bucket(
            "aws_s3_bucket.b",
            Some(BucketName::Expression {
                written: "local.name".into(),
                pattern: "*".into(),
                span: span(2),
            }),
        ));
        let unknown = UnknownReason::Variable("x".into());
        for target in [
            Target::Reference("aws_s3_bucket.b".into()),
            Target::Name("acme-logs".into()),
            Target::Name("elsewhere".into()),
            Target::Expression {
                text: "local.name".into(),
                reason: unknown.clone(),
                span: span(3),
            },
            Target::Expression {
                text: "var.x".into(),
                reason: unknown.clone(),
                span: span(3),
            },
        ] {
            s3.policies
                .push(Child::new(reference("p"), "aws".into(), target, ()));
        }
        s3.link();
        let links: Vec<&Link> = s3.policies.iter().map(|c| &c.link).collect();
        assert_eq!(links[0], &Link::Bucket(1));
        assert_eq!(links[1], &Link::Bucket(0));
        // `local.name` may be `elsewhere`.
        assert_eq!(
            links[2],
            &Link::Outside {
                name: "elsewhere".into(),
                or_maybe: vec![1],
            }
        );
        assert_eq!(links[3], &Link::Bucket(1));
        assert!(matches!(links[4], Link::Unknown { .. }));
    }

    #[test]
    fn a_literal_may_name_a_bucket_whose_name_is_not_known_offline() {
        let mut s3 = S3::default();
        let unresolved = |pattern: &str| {
            Some(BucketName::Expression {
                written: format!("\"{pattern}\"").into(),
                pattern: pattern.into(),
                span: span(2),
            })
        };
        s3.buckets
            .push(bucket("aws_s3_bucket.logs", unresolved("logs-*")));
        s3.buckets
            .push(bucket("aws_s3_bucket.any", unresolved("*")));
        s3.buckets.push(bucket("aws_s3_bucket.unnamed", None));
        for name in ["logs-prod", "acme"] {
            s3.acls.push(Child::new(
                reference("a"),
                "aws".into(),
                Target::Name(name.into()),
                Acl {
                    header: header(),
                    canned: None,
                    grants: Vec::new(),
                },
            ));
        }
        s3.link();
        let maybe = |link: &Link| match link {
            Link::Outside { or_maybe, .. } => or_maybe.clone(),
            _ => Vec::new(),
        };
        assert_eq!(maybe(&s3.acls[0].link), vec![0, 1]);
        // A generated name (no `bucket`) is never a name written elsewhere.
        assert_eq!(maybe(&s3.acls[1].link), vec![1]);
    }

    #[test]
    fn children_link_to_the_instance_they_index() {
        let mut s3 = S3::default();
        s3.buckets.push(bucket("aws_s3_bucket.b[\"x\"]", None));
        s3.buckets.push(bucket("aws_s3_bucket.b[\"y\"]", None));
        s3.buckets.push(bucket("aws_s3_bucket.one", None));
        for target in [
            "aws_s3_bucket.b[\"y\"]",
            // A bucket linted as one instance stands for all of its instances.
            "aws_s3_bucket.one[0]",
            // Which instance is unknown: an orphan, never the first instance.
            "aws_s3_bucket.b",
        ] {
            s3.policies.push(Child::new(
                reference("p"),
                "aws".into(),
                Target::Reference(target.into()),
                (),
            ));
        }
        s3.link();
        assert_eq!(s3.policies[0].link, Link::Bucket(1));
        assert_eq!(s3.policies[1].link, Link::Bucket(2));
        assert!(matches!(s3.policies[2].link, Link::Unknown { .. }));
    }

    #[test]
    fn a_second_module_links_only_to_its_own_buckets() {
        let mut s3 = S3::default();
        s3.buckets.push(bucket("aws_s3_bucket.a", None));
        s3.link();
        s3.buckets.push(bucket("aws_s3_bucket.a", None));
        s3.policies.push(Child::new(
            reference("p"),
            "aws".into(),
            Target::Reference("aws_s3_bucket.a".into()),
            (),
        ));
        s3.link();
        assert_eq!(s3.policies[0].link, Link::Bucket(1));
    }
}
