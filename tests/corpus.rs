//! The real-world corpus in `../shared/corpus` (3,560 files from 22 public repositories): no crash,
//! no parse error on a file Terraform or CloudFormation accepts, same bytes at any thread count.
//! Ignored by default (it reads 26 MB); `.ci/run` runs it in release mode.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Files of the corpus that are not valid for their tool, each checked by hand.
const INVALID: &[(&str, &str)] = &[
    (
        "Service-specific-controls/AWS-IAM/deny-service-specific-credential-by-type.json",
        "JSON with // comments; IAM rejects it",
    ),
    (
        "cloudformation/parser/success_triple_quotes_string.json",
        "Python-style triple-quoted strings",
    ),
    (
        "cloudformation/runner/resources/invalid.json",
        "deliberately truncated JSON",
    ),
    (
        "example_AdminPolicyDocument/main.tf",
        "Terraform 0.11 syntax: a block inside an object",
    ),
    (
        "example_StarActionPolicyDocument/main.tf",
        "Terraform 0.11 syntax: a block inside an object",
    ),
    (
        "S3BucketVersioning/main.tf",
        "an argument and the closing brace on one line",
    ),
    (
        "bad_tf_nested_modules_enable/skip_bad_tf_example.tf",
        "a duplicated attribute, deliberately",
    ),
    (
        "maze_of_variables/maze.tf",
        "an interpolation nested inside an expression",
    ),
    ("yaml/vulgar_bad_syntax.yml", "deliberately invalid YAML"),
];

fn scan(threads: &str) -> (String, i32) {
    let output = Command::new(env!("CARGO_BIN_EXE_cloudlint"))
        .args([
            "--format",
            "concise",
            "--threads",
            threads,
            "../shared/corpus",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cloudlint runs");
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        output.status.code().unwrap_or(-1),
    )
}

#[test]
#[ignore = "reads the 26 MB corpus; run from .ci/run in release mode"]
fn the_corpus_scans_cleanly_and_deterministically() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !corpus.is_dir() {
        eprintln!("no corpus at {}; skipped", corpus.display());
        return;
    }
    let (one, code) = scan("1");
    assert!(matches!(code, 0 | 1), "exit {code}");
    assert!(!one.contains("[internal-error]"), "{one}");
    let unexpected: BTreeSet<&str> = one
        .lines()
        .filter(|line| line.ends_with("[parse-error]"))
        .filter(|line| !INVALID.iter().any(|(path, _)| line.contains(path)))
        .collect();
    assert!(
        unexpected.is_empty(),
        "parse errors on files believed valid:\n{unexpected:#?}"
    );
    let (two, _) = scan("2");
    assert!(one == two, "output differs between 1 and 2 threads");
}
