//! One typed AWS model that every input format is adapted into; rules read only this.

pub mod cloudtrail;
pub mod ec2;
pub mod iam;
pub mod s3;
#[cfg(test)]
pub mod testing;
pub mod value;

use crate::source::Span;

pub use value::{Branch, Leaf, Origin, UnknownReason, Value, when_clause};

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
    pub address: Box<str>,
    pub format: Format,
    pub span: Span,
}

/// Facts that hold for a whole account and region, wherever they are declared.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AccountFacts {
    pub ebs_encryption_by_default: Vec<AccountFact>,
    pub s3_public_access_block: Vec<AccountPublicAccessBlock>,
}

/// An account-wide setting as declared, with its provider configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountFact {
    pub resource: ResourceRef,
    pub provider: Box<str>,
    pub enabled: Value<bool>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AccountPublicAccessBlock {
    pub resource: ResourceRef,
    pub provider: Box<str>,
    pub flags: s3::PublicAccessFlags,
}
