//! Diagnostics the engine raises itself, documented like rules.

use super::{RuleMeta, Service, Severity};

pub static PARSE_ERROR: RuleMeta = RuleMeta {
    name: "parse-error",
    module: module_path!(),
    service: Service::General,
    severity: Severity::High,
    formats: &[],
    summary: "A file could not be read or parsed, so nothing in it was checked",
    rationale: "A file cloudlint cannot parse is a file it cannot check: treat it as failing until \
it parses. Terraform and CloudFormation would reject most of these files too.",
    remediation: "Fix the syntax error at the reported position, or exclude the file with \
`--exclude` if it is not infrastructure code.",
    references: &[],
    aliases: &[],
};

pub static DUPLICATE_KEY: RuleMeta = RuleMeta {
    name: "duplicate-key",
    module: module_path!(),
    service: Service::General,
    severity: Severity::Medium,
    formats: &[],
    summary: "A mapping repeats a key: only its last value is used",
    rationale: "CloudFormation, like most JSON and YAML loaders, and Terraform in an object \
(`{ port = 80, port = 443 }`) keep the last of two equal keys and drop the first without a word, \
so a reviewer reading the first value is misled: a copied property, a second `Tags:` block or a \
resource defined twice is usually a mistake. The file is still checked, with the last value, as \
it will be deployed.",
    remediation: "Remove or rename one of the two keys.",
    references: &[],
    aliases: &[],
};

pub static INTERNAL_ERROR: RuleMeta = RuleMeta {
    name: "internal-error",
    module: module_path!(),
    service: Service::General,
    severity: Severity::High,
    formats: &[],
    summary: "cloudlint failed on this file; its other files were still checked",
    rationale: "A bug in cloudlint stopped the analysis of this file. It is reported instead of \
crashing so that the rest of the scan still counts.",
    remediation: "Please report the file (or a minimal version of it) as a bug.",
    references: &[],
    aliases: &[],
};

pub static INVALID_SUPPRESSION: RuleMeta = RuleMeta {
    name: "invalid-suppression",
    module: module_path!(),
    service: Service::General,
    severity: Severity::Medium,
    formats: &[],
    summary: "A suppression comment is malformed or names a rule that does not exist",
    rationale: "A suppression that names nothing suppresses nothing: the finding it was meant for \
would still fail the build, or a typo hides that the comment is stale.",
    remediation: "Write `# cloudlint:ignore RULE[,RULE] [-- reason]` with ids from `cloudlint rules`.",
    references: &[],
    aliases: &[],
};

pub static UNUSED_SUPPRESSION: RuleMeta = RuleMeta {
    name: "unused-suppression",
    module: module_path!(),
    service: Service::General,
    severity: Severity::Low,
    formats: &[],
    summary: "A suppression comment suppresses nothing",
    rationale: "Stale suppressions hide future findings of the same rule at that place.",
    remediation: "Remove the comment.",
    references: &[],
    aliases: &[],
};

pub static ALL: &[&RuleMeta] = &[
    &DUPLICATE_KEY,
    &INTERNAL_ERROR,
    &INVALID_SUPPRESSION,
    &PARSE_ERROR,
    &UNUSED_SUPPRESSION,
];
