//! Suppression directives on `fixtures/suppress/`: comments above a resource or an attribute, on
//! the attribute's line, CloudFormation Metadata, other tools' comments through aliases, and the
//! `invalid-suppression` / `unused-suppression` diagnostics.

use std::collections::BTreeSet;
use std::process::Command;

fn cloudlint(args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_cloudlint"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("cloudlint runs");
    (
        output.status.code(),
        String::from_utf8(output.stdout).expect("utf-8"),
    )
}

/// `(file, line)` of every line of `text` reporting `rule` (concise format).
fn lines_of(text: &str, rule: &str, suppressed: bool) -> BTreeSet<(String, u32)> {
    text.lines()
        .filter(|line| line.ends_with(&format!("[{rule}]")))
        .filter(|line| line.contains(": note: suppressed: ") == suppressed)
        .map(|line| {
            let mut parts = line.splitn(3, ':');
            let file = parts.next().unwrap().to_string();
            let number = parts.next().unwrap().parse().unwrap();
            (file, number)
        })
        .collect()
}

fn expected_marks() -> BTreeSet<(String, u32)> {
    let mut marks = BTreeSet::new();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/suppress");
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(entry.path()).unwrap();
        for (at, line) in text.lines().enumerate() {
            if line.contains("# expect: iam-wildcard-admin-policy") {
                marks.insert((format!("fixtures/suppress/{name}"), at as u32 + 1));
            }
        }
    }
    marks
}

#[test]
fn only_unsuppressed_findings_remain() {
    let (code, out) = cloudlint(&["--format", "concise", "fixtures/suppress"]);
    assert_eq!(code, Some(1));
    let reported = lines_of(&out, "iam-wildcard-admin-policy", false);
    let mut expected = expected_marks();
    // JSON has no comments to mark with: the `Typo` resource, whose directive is invalid.
    expected.insert(("fixtures/suppress/metadata.cfn.json".to_string(), 24));
    assert_eq!(reported, expected, "{out}");
    // trivy's ids, with and without `AVD-` or as long ids, through the rule's aliases; an
    // expired ignore no longer applies.
    let ebs = lines_of(&out, "ec2-unencrypted-ebs-volume", false);
    let foreign = |line| ("fixtures/suppress/foreign.tf".to_string(), line);
    assert_eq!(ebs, [foreign(27), foreign(39)].into(), "{out}");
}

#[test]
fn suppressed_findings_are_listed_on_request_and_always_counted() {
    let (_, out) = cloudlint(&[
        "--format",
        "concise",
        "--show-suppressed",
        "fixtures/suppress",
    ]);
    insta::assert_snapshot!("suppress_concise_show_suppressed", out);
    let suppressed = lines_of(&out, "iam-wildcard-admin-policy", true);
    let expected: BTreeSet<(String, u32)> = [
        ("attribute.tf", 4),
        ("attribute.tf", 11),
        ("attribute.tf", 26),
        ("comments.cfn.yaml", 11),
        ("comments.cfn.yaml", 34),
        ("foreign.tf", 4),
        ("kics.tf", 6),
        ("metadata.cfn.json", 14),
        ("resource.tf", 4),
    ]
    .into_iter()
    .map(|(file, line)| (format!("fixtures/suppress/{file}"), line))
    .collect();
    assert_eq!(suppressed, expected, "{out}");
    let ebs = lines_of(&out, "ec2-unencrypted-ebs-volume", true);
    let foreign = |line| ("fixtures/suppress/foreign.tf".to_string(), line);
    let cfn_nag = ("fixtures/suppress/cfn-nag.cfn.yaml".to_string(), 2);
    assert_eq!(
        ebs,
        [foreign(16), foreign(24), foreign(33), cfn_nag].into(),
        "{out}"
    );

    let (_, json) = cloudlint(&["--format", "json", "fixtures/suppress"]);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["summary"]["suppressed"], 13);
    assert_eq!(doc["suppressed"].as_array().unwrap().len(), 0);
    let (_, json) = cloudlint(&["--format", "json", "--show-suppressed", "fixtures/suppress"]);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let listed = doc["suppressed"].as_array().unwrap();
    assert_eq!(listed.len(), 13);
    assert!(listed.iter().any(|s| s["reason"] == "break-glass"));
}

#[test]
fn malformed_and_unknown_directives_are_reported() {
    let (_, out) = cloudlint(&["--format", "concise", "fixtures/suppress"]);
    let invalid: Vec<&str> = out
        .lines()
        .filter(|l| l.ends_with("[invalid-suppression]"))
        .collect();
    assert_eq!(invalid.len(), 3, "{out}");
    assert!(out.contains(
        "fixtures/suppress/invalid.tf:1:1: warning: unknown rule `iam-wildcard-admin-polcy`; did you mean `iam-wildcard-admin-policy`? [invalid-suppression]"
    ));
    assert!(out.contains("invalid.tf:8:1: warning: `parse-error` cannot be suppressed"));
    assert!(out.contains("metadata.cfn.json:20:47: warning: unknown rule `no-such-rule`"));
}

#[test]
fn unused_directives_are_reported_unless_silenced() {
    let (_, out) = cloudlint(&["--format", "concise", "fixtures/suppress"]);
    let unused: Vec<&str> = out
        .lines()
        .filter(|l| l.ends_with("[unused-suppression]"))
        .collect();
    assert_eq!(
        unused,
        [
            "fixtures/suppress/attribute.tf:19:23: note: suppression of `iam-wildcard-admin-policy` matches no finding [unused-suppression]",
            "fixtures/suppress/invalid.tf:13:1: note: suppression of `iam-wildcard-admin-policy` matches no finding [unused-suppression]",
        ]
    );
    let (_, quiet) = cloudlint(&["--no-unused-suppressions", "fixtures/suppress"]);
    assert!(!quiet.contains("[unused-suppression]"));
    // A directive for a rule that did not run is not unused.
    let (_, other) = cloudlint(&[
        "--select",
        "iam-invalid-policy-document",
        "fixtures/suppress",
    ]);
    assert!(!other.contains("[unused-suppression]"), "{other}");
}

#[test]
fn parse_errors_are_never_suppressed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "# cloudlint:ignore parse-error\nresource \"a\" \"b\" {\n  x = [1,\n}\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_cloudlint"))
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("[parse-error]"));
}
