//! `.cloudlint.toml`: where it is found, what each key does, flags over the file, and errors
//! that name the file, the line and the closest valid name.

use std::path::Path;
use std::process::{Command, Output};

const ADMIN: &str = "resource \"aws_iam_policy\" \"p\" {\n  policy = jsonencode({\n    Statement = [{ Effect = \"Allow\", Action = \"*\", Resource = \"*\" }]\n  })\n}\n";

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cloudlint"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("cloudlint runs")
}

fn repo(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("infra/legacy")).unwrap();
    std::fs::write(dir.path().join("infra/main.tf"), ADMIN).unwrap();
    std::fs::write(dir.path().join("infra/legacy/old.tf"), ADMIN).unwrap();
    std::fs::write(dir.path().join(".cloudlint.toml"), config).unwrap();
    dir
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn severity_override_and_fail_on_from_the_file() {
    let dir = repo("fail-on = \"high\"\n[severity]\niam-wildcard-admin-policy = \"medium\"\n");
    let output = run(dir.path(), &["--format", "json", "infra"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(doc["findings"][0]["severity"], "medium");
    assert_eq!(doc["findings"][0]["level"], "warning");
    // The flag wins over the file.
    let output = run(dir.path(), &["--fail-on", "medium", "infra"]);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn per_path_ignores_and_excludes() {
    let dir = repo(
        "[[per-path-ignores]]\nglob = \"legacy/**\"\nrules = [\"iam-wildcard-admin-policy\"]\n",
    );
    let out = stdout(&run(dir.path(), &["infra"]));
    assert!(out.contains("infra/main.tf:3:"), "{out}");
    assert!(!out.contains("legacy"), "{out}");
    let dir = repo("exclude = [\"legacy/**\"]\n");
    let out = stdout(&run(dir.path(), &["infra"]));
    assert!(
        out.contains("infra/main.tf:3:") && !out.contains("legacy"),
        "{out}"
    );
}

#[test]
fn select_and_ignore_from_the_file_and_flags_over_them() {
    let dir = repo("ignore = [\"iam-wildcard-admin-policy\"]\n");
    let output = run(dir.path(), &["infra"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let output = run(
        dir.path(),
        &["--ignore", "iam-invalid-policy-document", "infra"],
    );
    assert_eq!(output.status.code(), Some(1));
    let output = run(dir.path(), &["--no-config", "infra"]);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn found_in_the_first_scanned_root_or_named() {
    let dir = repo("");
    std::fs::write(
        dir.path().join("infra/.cloudlint.toml"),
        "ignore = [\"iam-wildcard-admin-policy\"]\n",
    )
    .unwrap();
    std::fs::remove_file(dir.path().join(".cloudlint.toml")).unwrap();
    assert_eq!(run(dir.path(), &["infra"]).status.code(), Some(0));
    std::fs::write(
        dir.path().join("other.toml"),
        "select = [\"iam-invalid-policy-document\"]\n",
    )
    .unwrap();
    let output = run(dir.path(), &["--config", "other.toml", "infra"]);
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn errors_exit_2_with_file_line_and_suggestion() {
    let dir = repo("select = [\"iam-wildcard-admin-policy\"]\nfail_on = \"high\"\n");
    let output = run(dir.path(), &["infra"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(".cloudlint.toml:2:1: unknown key `fail_on`; did you mean `fail-on`?"),
        "{stderr}"
    );
    let dir = repo("[[per-path-ignores]]\nglob = \"a/**\"\nrules = [\"iam-wildcard-admin\"]\n");
    let output = run(dir.path(), &["infra"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(".cloudlint.toml:3:10: unknown rule `iam-wildcard-admin`; did you mean `iam-wildcard-admin-policy`?"),
        "{stderr}"
    );
    let output = run(dir.path(), &["--config", "missing.toml", "infra"]);
    assert_eq!(output.status.code(), Some(2));
}
