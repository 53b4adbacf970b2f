//! Every output format on `fixtures/sample` and `fixtures/malformed`, snapshotted; SARIF checked
//! against the official 2.1.0 schema (kept beside the repository, read offline).

use std::path::Path;
use std::process::Command;

fn cloudlint(args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_cloudlint"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("cloudlint runs");
    (
        output.status.code(),
        String::from_utf8(output.stdout).expect("utf-8 output"),
    )
}

const FORMATS: &[&str] = &["concise", "pretty", "json", "sarif", "github"];

#[test]
fn every_format_on_the_sample_and_malformed_fixtures() {
    for folder in ["sample", "malformed"] {
        let path = format!("fixtures/{folder}");
        for format in FORMATS {
            let (code, out) = cloudlint(&["--format", format, "--color", "never", &path]);
            assert_eq!(code, Some(1), "{format} on {path}");
            insta::assert_snapshot!(format!("{folder}_{format}"), out);
        }
    }
}

fn sarif_validator() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/schemas/sarif-2.1.0.json");
    let text = std::fs::read_to_string(&path).expect("the SARIF schema beside the repository");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

#[test]
fn sarif_is_valid_against_the_2_1_0_schema() {
    let validator = sarif_validator();
    for path in ["fixtures/sample", "fixtures/malformed"] {
        let (_, out) = cloudlint(&["--format", "sarif", "--show-unknown", path]);
        let log: serde_json::Value = serde_json::from_str(&out).expect("SARIF is JSON");
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{path}: {errors:#?}");
        let run = &log["runs"][0];
        assert_eq!(run["columnKind"], "unicodeCodePoints");
        for result in run["results"].as_array().expect("results") {
            let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(
                run["tool"]["driver"]["rules"][index]["id"],
                result["ruleId"]
            );
            let location = &result["locations"][0]["physicalLocation"];
            assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
            assert!(
                !location["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .contains('\\')
            );
        }
    }
}

#[test]
fn sarif_rules_carry_security_severity() {
    let (_, out) = cloudlint(&["--format", "sarif", "fixtures/sample"]);
    let log: serde_json::Value = serde_json::from_str(&out).unwrap();
    for rule in log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
    {
        let score = rule["properties"]["security-severity"].as_str().unwrap();
        assert!(score.parse::<f64>().is_ok(), "{score}");
    }
}

/// A fingerprint must not change when unrelated lines move the finding.
#[test]
fn sarif_fingerprints_ignore_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let policy = "resource \"aws_iam_policy\" \"p\" {\n  policy = jsonencode({\n    Statement = [{\n      Effect = \"Allow\"\n      Action = \"*\"\n      Resource = \"*\"\n    }]\n  })\n}\n";
    let fingerprint = |text: &str| {
        std::fs::write(dir.path().join("main.tf"), text).unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_cloudlint"))
            .current_dir(dir.path())
            .args(["--format", "sarif", "main.tf"])
            .output()
            .unwrap();
        let log: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let result = &log["runs"][0]["results"][0];
        (
            result["partialFingerprints"]["cloudlint/v1"].clone(),
            result["locations"][0]["physicalLocation"]["region"]["startLine"].clone(),
        )
    };
    let (before, line_before) = fingerprint(policy);
    let (after, line_after) = fingerprint(&format!("# a comment\n\n{policy}"));
    assert_ne!(line_before, line_after);
    assert_eq!(before, after);
    assert!(before.is_string());
}

#[test]
fn json_summary_counts_files_and_severities() {
    let (_, out) = cloudlint(&["--format", "json", "fixtures/malformed"]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["summary"]["files_failed"], 3);
    assert_eq!(doc["summary"]["critical"], 2);
    assert_eq!(doc["summary"]["high"], 5);
    assert_eq!(doc["summary"]["medium"], 3);
    let parse_errors = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "parse-error")
        .count();
    assert_eq!(parse_errors, 3);
}

/// The VS Code problem-matcher regexp, read from docs/editors.md.
fn documented_vscode_regexp() -> regex::Regex {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/editors.md"))
            .expect("docs/editors.md");
    let line = doc
        .lines()
        .find(|line| line.trim_start().starts_with("\"regexp\":"))
        .expect("a regexp line in docs/editors.md");
    let literal = line
        .trim()
        .trim_start_matches("\"regexp\":")
        .trim()
        .trim_end_matches(',');
    let pattern: String = serde_json::from_str(literal).expect("the regexp is a JSON string");
    regex::Regex::new(&pattern).expect("the documented regexp compiles")
}

#[test]
fn the_documented_vscode_regexp_matches_every_concise_line() {
    let matcher = documented_vscode_regexp();
    let (_, out) = cloudlint(&[
        "--format",
        "concise",
        "--show-unknown",
        "--show-suppressed",
        "fixtures",
    ]);
    assert!(out.lines().count() > 10, "{out}");
    for line in out.lines() {
        let captures = matcher
            .captures(line)
            .unwrap_or_else(|| panic!("no match: {line}"));
        assert!(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(&captures[1])
                .is_file(),
            "{line}"
        );
        assert!(
            captures[6]
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        );
    }
}

/// Columns count characters: tabs and multi-byte text before a finding count one each, the same
/// in every format.
#[test]
fn columns_count_characters_after_tabs_and_multi_byte_text() {
    let dir = tempfile::tempdir().unwrap();
    let text = "resource \"aws_iam_policy\" \"p\" {\n\tpolicy = jsonencode({\n\t\tStatement = [{ Sid = \"é😀ü\", Effect = \"Allow\", Action = \"*\", Resource = \"*\" }]\n\t})\n}\n";
    std::fs::write(dir.path().join("main.tf"), text).unwrap();
    let at = text.find("Action").unwrap();
    let line_start = text[..at].rfind('\n').unwrap() + 1;
    let column = text[line_start..at].chars().count() + 1;
    assert_ne!(
        column,
        at - line_start + 1,
        "the line must hold multi-byte text"
    );
    let run = |format: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_cloudlint"))
            .current_dir(dir.path())
            .args(["--format", format, "main.tf"])
            .output()
            .unwrap();
        String::from_utf8(output.stdout).unwrap()
    };
    assert!(run("concise").starts_with(&format!("main.tf:3:{column}: error: ")));
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(json["findings"][0]["start"]["column"], column);
    assert_eq!(json["findings"][0]["start"]["offset"], at);
    let sarif: serde_json::Value = serde_json::from_str(&run("sarif")).unwrap();
    let region = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startColumn"], column);
    assert!(run("github").contains(&format!(",line=3,col={column},")));
}
