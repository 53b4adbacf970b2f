//! IAM policy documents, whatever form they were written in.

use super::{ResourceRef, UnknownReason, Value};
use crate::source::Span;
use crate::text::Text;

#[derive(Debug, Default)]
pub struct Iam {
    pub policies: Vec<PolicyDocument>,
}

/// Top-level keys of a policy document.
pub const DOCUMENT_KEYS: &[&str] = &["Version", "Id", "Statement"];

/// Keys of a policy statement.
pub const STATEMENT_KEYS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

/// The arguments of a `statement` block of `data.aws_iam_policy_document`.
pub const DATA_SOURCE_STATEMENT_KEYS: &[&str] = &[
    "sid",
    "effect",
    "actions",
    "not_actions",
    "resources",
    "not_resources",
    "principals",
    "not_principals",
    "condition",
];

/// What a policy document is attached to decides which elements it must and must not have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PolicyKind {
    /// Attached to a user, group, role or permission set.
    Identity,
    /// An S3 bucket policy.
    Bucket,
    /// A role's assume-role (trust) policy.
    Trust,
    /// Another resource-based policy (a principal but not provably a bucket policy).
    Resource,
    /// Read by a resource no adapter models as a policy holder (a KMS key, an SQS queue, an
    /// Organizations policy): known not to be an identity, bucket or trust policy, so only the
    /// grammar every policy shares applies.
    Other,
}

impl PolicyKind {
    pub fn needs_principal(self) -> bool {
        matches!(
            self,
            PolicyKind::Bucket | PolicyKind::Trust | PolicyKind::Resource
        )
    }

    pub fn needs_resource(self) -> bool {
        matches!(self, PolicyKind::Identity | PolicyKind::Bucket)
    }
}

/// A key as written, for keys the grammar does not allow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    pub name: Text,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PolicyDocument {
    pub owner: ResourceRef,
    pub kind: PolicyKind,
    /// Further kinds of a document used several ways (a data source read by a role policy and
    /// by a bucket policy is linted as both, RULES.md 2.6).
    pub other_kinds: Vec<PolicyKind>,
    /// The whole document.
    pub span: Span,
    /// `None`: the document has no `Version` key.
    pub version: Option<Value<Text>>,
    pub unexpected_keys: Vec<Key>,
    pub statements: Statements,
    /// Other places using this document (labels on findings).
    pub consumers: Vec<Span>,
    /// Resources using a shared document (data sources), besides `owner`.
    pub attached_to: Vec<ResourceRef>,
    /// Where the document is used out of sight (passed to a Terraform module that is not
    /// linted): there it may be read as any kind, or not take effect, so what a rule of a kind it
    /// is not known to be would report is unverifiable (RULES.md 1).
    pub unknown_use: Option<UnknownUse>,
}

/// A use of a policy document whose effect cannot be known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownUse {
    pub span: Span,
    /// Why, as a clause: `it is passed to a module that is not linted`.
    pub why: &'static str,
}

impl PolicyDocument {
    /// The `version` an `aws_iam_policy_document` data source writes when none is set.
    pub const DATA_SOURCE_DEFAULT_VERSION: &'static str = "2012-10-17";

    /// Every kind the document is used as.
    pub fn kinds(&self) -> impl Iterator<Item = PolicyKind> + '_ {
        std::iter::once(self.kind).chain(self.other_kinds.iter().copied())
    }

    pub fn is(&self, kind: PolicyKind) -> bool {
        self.kinds().any(|k| k == kind)
    }
}

/// The `Statement` element of a document.
#[derive(Clone, Debug, PartialEq)]
pub enum Statements {
    List(Vec<Statement>),
    /// No `Statement` key.
    Missing,
    /// `Statement` is neither an object nor a list of objects.
    Malformed(Span),
    Unknown {
        reason: UnknownReason,
        span: Span,
    },
}

impl Statements {
    pub fn iter(&self) -> std::slice::Iter<'_, Statement> {
        match self {
            Statements::List(statements) => statements.iter(),
            Statements::Missing | Statements::Malformed(_) | Statements::Unknown { .. } => {
                [].iter()
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub span: Span,
    /// Conditions under which the statement exists at all (`Fn::If` around it).
    pub exists_when: Vec<(Text, bool)>,
    pub sid: Option<Value<Text>>,
    /// `None`: no `Effect` key (invalid outside the data source, which defaults to Allow).
    pub effect: Option<Value<Text>>,
    pub action: Option<Elements>,
    pub not_action: Option<Elements>,
    pub resource: Option<Elements>,
    pub not_resource: Option<Elements>,
    pub principal: Option<Principals>,
    pub not_principal: Option<Principals>,
    pub condition: Option<Conditions>,
    pub unexpected_keys: Vec<Key>,
    /// A `statement` block of the Terraform data source: its keys are the data source's
    /// arguments (`actions`), not the JSON elements (`Action`).
    pub is_data_source_block: bool,
}

/// The elements of `Action`, `Resource` and the like: a string or a list of them.
#[derive(Clone, Debug, PartialEq)]
pub struct Elements {
    pub key_span: Span,
    /// Key and value together.
    pub span: Span,
    pub items: Vec<Value<Text>>,
}

/// `Principal`/`NotPrincipal`: `"*"` or a map from principal type to values.
#[derive(Clone, Debug, PartialEq)]
pub struct Principals {
    pub key_span: Span,
    pub span: Span,
    pub items: Vec<PrincipalItem>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PrincipalItem {
    /// `AWS`, `Service`, `Federated`, `CanonicalUser`; `None` for a bare `"*"`.
    pub principal_type: Option<Text>,
    pub value: Value<Text>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Conditions {
    pub key_span: Span,
    pub span: Span,
    /// `None` when the block could not be read (unknown); such a condition still counts as present.
    pub entries: Option<Vec<ConditionEntry>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ConditionEntry {
    /// `None` when not known offline (`{ (var.op) = ... }`, `test = var.op`); `values` then
    /// holds an Unknown saying why.
    pub operator: Option<Text>,
    /// `None` when not known offline (`StringEquals = var.keys`, `variable = var.key`); `values`
    /// then holds an Unknown saying why.
    pub key: Option<Text>,
    pub span: Span,
    pub values: Vec<Value<Text>>,
    /// Conditions under which the entry exists (`Condition: !If [C, {...}, !Ref AWS::NoValue]`,
    /// `StringEquals: !If [C, {...}, {...}]`); empty: always.
    pub when: Vec<(Text, bool)>,
}

impl Conditions {
    /// The branch in which the block tests nothing, so the statement applies unconditionally
    /// there, as the conditions that must all hold: every deployment (`[]`) for an empty block
    /// (`Condition = {}`, a module's default), `C` false for `Condition: !If [C, {...}, !Ref
    /// AWS::NoValue]`. `None` when the block may test something in every deployment (unread, an
    /// unconditional entry, or an entry under several conditions at once, whose complement is no
    /// single branch).
    pub fn absent_when(&self) -> Option<Vec<(&str, bool)>> {
        let mut absent: Vec<(&str, bool)> = Vec::new();
        for entry in self.entries.as_ref()? {
            match entry.when.as_slice() {
                [(condition, outcome)] => absent.push((condition, !outcome)),
                _ => return None,
            }
        }
        crate::model::value::consistent_conditions(absent)
    }

    /// Whether the block may test something in a deployment where all of `when` hold.
    pub fn tests_something_when(&self, when: &[(&str, bool)]) -> bool {
        let Some(entries) = &self.entries else {
            return true;
        };
        entries.iter().any(|entry| {
            let entry_when: Vec<(&str, bool)> =
                entry.when.iter().map(|(c, b)| (&**c, *b)).collect();
            crate::model::merge_when(when, &entry_when).is_some()
        })
    }
}

impl Statement {
    pub fn empty(span: Span) -> Statement {
        Statement {
            span,
            exists_when: Vec::new(),
            sid: None,
            effect: None,
            action: None,
            not_action: None,
            resource: None,
            not_resource: None,
            principal: None,
            not_principal: None,
            condition: None,
            unexpected_keys: Vec::new(),
            is_data_source_block: false,
        }
    }
}

/// IAM's wildcard match: `*` any run of characters (including `:`), `?` exactly one.
/// Case-insensitive when asked (actions), exact otherwise (ARNs).
pub fn wildcard_match(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let same = |a: char, b: char| {
        if ignore_case {
            a.to_lowercase().eq(b.to_lowercase())
        } else {
            a == b
        }
    };
    let (mut p, mut t) = (0usize, 0usize);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                backtrack = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || text.get(t).is_some_and(|&x| same(c, x)) => {
                p += 1;
                t += 1;
            }
            _ => match backtrack {
                Some((star, at)) => {
                    p = star + 1;
                    t = at + 1;
                    backtrack = Some((star, at + 1));
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

/// `*`, or `service:action` where both sides are only `*` (case-insensitive by nature).
pub fn is_all_actions(action: &str) -> bool {
    let only_stars = |s: &str| !s.is_empty() && s.chars().all(|c| c == '*');
    match action.split_once(':') {
        None => only_stars(action),
        Some((service, name)) => only_stars(service) && only_stars(name),
    }
}

/// `iam:` followed only by `*`: every IAM action, enough to grant oneself anything.
pub fn is_all_iam_actions(action: &str) -> bool {
    match action.split_once(':') {
        Some((service, name)) => {
            service.eq_ignore_ascii_case("iam")
                && !name.is_empty()
                && name.chars().all(|c| c == '*')
        }
        None => false,
    }
}

/// Partition names an ARN may carry.
pub const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// `*`, or an ARN matching every resource: `arn:*`, `arn:aws:*:*:*:*` (RULES.md 2.6).
pub fn is_all_resources(resource: &str) -> bool {
    let only_stars = |s: &str| !s.is_empty() && s.chars().all(|c| c == '*');
    if only_stars(resource) {
        return true;
    }
    let Some(rest) = resource.strip_prefix("arn:") else {
        return false;
    };
    let mut fields = rest.split(':');
    let first = fields.next().unwrap_or_default();
    let partition_ok = only_stars(first) || PARTITIONS.contains(&first);
    if !partition_ok {
        return false;
    }
    let mut later = fields.peekable();
    if later.peek().is_none() {
        // `arn:*`: the star runs over every later field.
        return only_stars(first);
    }
    later.all(only_stars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_across_colons() {
        assert!(wildcard_match("*", "s3:GetObject", true));
        assert!(wildcard_match("s3:Get*", "S3:getobject", true));
        assert!(!wildcard_match("s3:Get*", "S3:getobject", false));
        assert!(wildcard_match("iam:?assRole", "iam:PassRole", false));
        assert!(!wildcard_match("iam:?assRole", "iam:assRole", false));
        assert!(wildcard_match("a*b*c", "aXXbYYc", false));
        assert!(!wildcard_match("a*b*c", "aXXbYY", false));
    }

    #[test]
    fn all_actions_forms() {
        for yes in ["*", "*:*", "**", "*:**"] {
            assert!(is_all_actions(yes), "{yes}");
        }
        for no in ["s3:*", "*:Get*", "iam:*", ""] {
            assert!(!is_all_actions(no), "{no}");
        }
        assert!(is_all_iam_actions("IAM:*"));
        assert!(!is_all_iam_actions("iam:Pass*"));
    }

    #[test]
    fn all_resources_forms() {
        for yes in [
            "*",
            "arn:*",
            "arn:aws:*",
            "arn:aws:*:*:*:*",
            "arn:*:*:*:*:*",
            "arn:aws-cn:*:*:*:*",
        ] {
            assert!(is_all_resources(yes), "{yes}");
        }
        for no in [
            "arn:aws:s3:::b/*",
            "arn:aws:*:*:*:role/x",
            "arn:aws",
            "bucket",
        ] {
            assert!(!is_all_resources(no), "{no}");
        }
    }
}
