//! The rule registry: every rule is a value in `ALL`, selected by filtering the slice.

pub mod builtin;
pub mod cloudtrail;
pub mod ec2;
mod findings;
pub mod iam;
pub mod s3;

pub use crate::diagnostic::Severity;
pub use crate::model::Format;
use crate::model::Model;
pub use findings::{AccountFactKind, Finding, Findings, PASSED_OUT_OF_SIGHT};

/// A rule: its documentation and a check over one unit's model.
pub struct Rule {
    pub meta: RuleMeta,
    pub check: fn(&Model, &mut Findings),
}

/// Everything a user reads about a rule; the Markdown fields are the docs.
#[derive(Debug, PartialEq, Eq)]
pub struct RuleMeta {
    /// kebab-case id, `<service>-<problem>`.
    pub name: &'static str,
    /// `module_path!()` of the rule's file, tested against `name`.
    pub module: &'static str,
    pub service: Service,
    pub severity: Severity,
    pub formats: &'static [Format],
    pub summary: &'static str,
    pub rationale: &'static str,
    pub remediation: &'static str,
    pub references: &'static [&'static str],
    /// Other tools' ids for the same check; their ignore comments map to this rule.
    pub aliases: &'static [&'static str],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    General,
    Iam,
    Ec2,
    S3,
    CloudTrail,
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::General => "general",
            Service::Iam => "iam",
            Service::Ec2 => "ec2",
            Service::S3 => "s3",
            Service::CloudTrail => "cloudtrail",
        }
    }
}

/// Every rule, in id order.
pub const ALL: &[Rule] = &[
    cloudtrail::log_validation_disabled::RULE,
    ec2::ssh_open_to_internet::RULE,
    ec2::unencrypted_ebs_volume::RULE,
    iam::invalid_policy_document::RULE,
    iam::wildcard_admin_policy::RULE,
    s3::missing_public_access_block::RULE,
    s3::public_acl::RULE,
    s3::public_policy::RULE,
];

/// A rule or built-in diagnostic by id.
pub fn find(name: &str) -> Option<&'static RuleMeta> {
    ALL.iter()
        .map(|rule| &rule.meta)
        .chain(builtin::ALL.iter().copied())
        .find(|meta| meta.name == name)
}

/// Every id a user may name: rules and built-in diagnostics.
pub fn all_names() -> impl Iterator<Item = &'static str> {
    ALL.iter()
        .map(|rule| rule.meta.name)
        .chain(builtin::ALL.iter().map(|meta| meta.name))
}
