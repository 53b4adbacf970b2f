//! One typed AWS model that every input format is adapted into; rules read only this.

pub mod cloudtrail;
pub mod ec2;
pub mod iam;
pub mod s3;
#[cfg(test)]
pub mod testing;
pub mod value;

use crate::source::Span;
use crate::text::Text;

pub use value::{Branch, Leaf, Origin, UnknownReason, Value, merge_when, when_clause};

/// Everything the adapters found in one lint unit.
#[derive(Debug, Default)]
pub struct Model {
    pub iam: iam::Iam,
    pub ec2: ec2::Ec2,
    pub s3: s3::S3,
    pub cloudtrail: cloudtrail::CloudTrail,
    pub facts: AccountFacts,
}

/// The input format a resource was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    Terraform,
    CloudFormation,
    IamJson,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Terraform => "terraform",
            Format::CloudFormation => "cloudformation",
            Format::IamJson => "iam-json",
        }
    }
}

/// The resource a fact belongs to: its address (`aws_iam_policy.admin`, a logical id, or a file
/// path for raw policies) and its header span.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceRef {
    pub address: Text,
    pub format: Format,
    pub span: Span,
}

impl ResourceRef {
    /// The resource of a Terraform instance address (`aws_s3_bucket.b` of `aws_s3_bucket.b["x"]`,
    /// of `aws_s3_bucket.b[0]`); other addresses are their own resource.
    pub fn resource_of(address: &str) -> &str {
        match address.strip_suffix(']').and_then(|rest| rest.find('[')) {
            Some(at) => address.get(..at).unwrap_or(address),
            None => address,
        }
    }

    /// The position, among resources with these `addresses`, of the one a reference to `target`
    /// links to: the same address; else, for an instance (`b[0]`) of a resource linted as one
    /// instance, that resource; else, for a whole resource (`b`, as in `b[*].id`) of which the
    /// unit has a single instance, that instance.
    pub fn linked_position<'a>(
        addresses: impl Iterator<Item = &'a str> + Clone,
        target: &str,
    ) -> Option<usize> {
        let resource = Self::resource_of(target);
        addresses
            .clone()
            .position(|address| address == target)
            .or_else(|| {
                (resource != target)
                    .then(|| addresses.clone().position(|address| address == resource))
                    .flatten()
            })
            .or_else(|| {
                let mut instances = addresses.enumerate().filter(|(_, address)| {
                    Self::resource_of(address) == target && *address != target
                });
                match (instances.next(), instances.next()) {
                    (Some((at, _)), None) => Some(at),
                    _ => None,
                }
            })
    }
}

/// Account-wide settings that may remove findings of other units (RULES.md 2.1).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AccountFacts {
    /// Settings this unit declares that are not known to be off; the engine turns a finding
    /// marked `unless(kind)` in any other unit into "cannot verify".
    pub declared: Vec<AccountFactKind>,
}

/// An account-wide setting that, declared elsewhere, may remove a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccountFactKind {
    EbsEncryptionByDefault,
    S3IgnorePublicAcls,
    S3RestrictPublicBuckets,
    S3AllPublicAccessBlocked,
}

#[cfg(test)]
mod tests {
    use super::ResourceRef;

    #[test]
    fn an_instance_address_names_its_resource() {
        assert_eq!(
            ResourceRef::resource_of("aws_s3_bucket.b[\"x[1]\"]"),
            "aws_s3_bucket.b"
        );
        assert_eq!(
            ResourceRef::resource_of("aws_ebs_volume.v[10]"),
            "aws_ebs_volume.v"
        );
        assert_eq!(
            ResourceRef::resource_of("aws_ebs_volume.v"),
            "aws_ebs_volume.v"
        );
        assert_eq!(ResourceRef::resource_of("Bucket"), "Bucket");
        assert_eq!(ResourceRef::resource_of("]"), "]");
    }
}

#[cfg(test)]
mod link_tests {
    use super::ResourceRef;

    fn at(addresses: &[&str], target: &str) -> Option<usize> {
        ResourceRef::linked_position(addresses.iter().copied(), target)
    }

    #[test]
    fn references_link_to_the_resource_or_its_single_instance() {
        assert_eq!(at(&["a.b", "a.c"], "a.c"), Some(1));
        // An instance of a resource linted as one.
        assert_eq!(at(&["a.b"], "a.b[0]"), Some(0));
        // The whole resource, of which the unit has one instance.
        assert_eq!(at(&["a.x", "a.b[0]"], "a.b"), Some(1));
        // Of which it has two: neither.
        assert_eq!(at(&["a.b[0]", "a.b[1]"], "a.b"), None);
        assert_eq!(at(&["a.b[0]"], "a.c"), None);
    }
}
