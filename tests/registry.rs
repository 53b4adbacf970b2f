//! The rule registry's invariants: ids unique and well formed, one name in three places
//! (id, module, fixture folder), fixtures in every format a rule covers, docs present.

use std::collections::BTreeSet;
use std::path::Path;

use cloudlint::model::Format;
use cloudlint::rules::{self, builtin};

const BANNED_PREFIXES: &[&str] = &["no-", "ensure-", "enable-", "avoid-", "use-", "prefer-"];

#[test]
fn ids_are_unique_kebab_case_and_match_their_module() {
    let mut seen = BTreeSet::new();
    let mut previous = "";
    for rule in rules::ALL {
        let meta = &rule.meta;
        assert!(seen.insert(meta.name), "duplicate id {}", meta.name);
        assert!(meta.name > previous, "ALL is not sorted at {}", meta.name);
        previous = meta.name;
        assert!(
            meta.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{} is not kebab-case",
            meta.name
        );
        let (service, problem) = meta.name.split_once('-').expect("service prefix");
        assert_eq!(service, meta.service.name(), "{}", meta.name);
        assert!(
            !BANNED_PREFIXES.iter().any(|p| problem.starts_with(p)),
            "{} names the fix",
            meta.name
        );
        let expected = format!("cloudlint::rules::{service}::{}", problem.replace('-', "_"));
        assert_eq!(meta.module, expected, "module of {}", meta.name);
    }
    for meta in builtin::ALL {
        assert!(
            seen.insert(meta.name),
            "built-in {} clashes with a rule",
            meta.name
        );
    }
}

#[test]
fn every_rule_is_documented() {
    for rule in rules::ALL {
        let meta = &rule.meta;
        for (field, text) in [
            ("summary", meta.summary),
            ("rationale", meta.rationale),
            ("remediation", meta.remediation),
        ] {
            assert!(text.len() > 20, "{} has no {field}", meta.name);
        }
        assert!(
            !meta.summary.ends_with('.'),
            "{} summary ends with a period",
            meta.name
        );
        assert!(
            !meta.references.is_empty(),
            "{} has no reference",
            meta.name
        );
        assert!(!meta.formats.is_empty(), "{} covers no format", meta.name);
    }
}

#[test]
fn aliases_belong_to_one_rule_only() {
    let mut seen = BTreeSet::new();
    for rule in rules::ALL {
        for alias in rule.meta.aliases {
            assert!(seen.insert(*alias), "alias {alias} is claimed twice");
        }
    }
}

fn extension_of(format: Format) -> &'static [&'static str] {
    match format {
        Format::Terraform => &[".tf"],
        Format::CloudFormation => &[".cfn.yaml", ".cfn.json"],
        Format::IamJson => &[".iam.json"],
    }
}

#[test]
fn fixture_folders_and_rules_match_with_pass_and_fail_per_format() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules");
    let folders: BTreeSet<String> = std::fs::read_dir(&root)
        .expect("fixtures/rules")
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    let ids: BTreeSet<String> = rules::ALL
        .iter()
        .map(|rule| rule.meta.name.to_string())
        .collect();
    assert_eq!(folders, ids, "fixture folders and rule ids differ");
    for rule in rules::ALL {
        let names: Vec<String> = std::fs::read_dir(root.join(rule.meta.name))
            .expect("rule fixtures")
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
        for format in rule.meta.formats {
            for extension in extension_of(*format) {
                for outcome in ["pass-", "fail-"] {
                    assert!(
                        names
                            .iter()
                            .any(|n| n.starts_with(outcome) && n.ends_with(extension)),
                        "{} has no {outcome}*{extension} fixture",
                        rule.meta.name
                    );
                }
            }
        }
    }
}
