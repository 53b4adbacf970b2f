//! A `.tf` file named alone (as pre-commit passes staged files) is resolved with its module's
//! siblings, but only the named file is reported.

use std::process::Command;

#[test]
fn a_terraform_file_named_alone_reads_its_siblings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("variables.tf"),
        "variable \"actions\" {\n  default = \"*\"\n}\n\nresource \"aws_iam_policy\" \"sibling\" {\n  policy = jsonencode({\n    Statement = [{ Effect = \"Allow\", Action = \"*\", Resource = \"*\" }]\n  })\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "resource \"aws_iam_policy\" \"p\" {\n  policy = jsonencode({\n    Statement = [{ Effect = \"Allow\", Action = var.actions, Resource = \"*\" }]\n  })\n}\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_cloudlint"))
        .current_dir(dir.path())
        .args(["--format", "json", "main.tf"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{doc:#}");
    assert_eq!(findings[0]["file"], "main.tf");
    assert_eq!(findings[0]["rule"], "iam-wildcard-admin-policy");
    // The variable's default was read from the sibling.
    let labels = findings[0]["labels"].as_array().unwrap();
    assert!(
        labels
            .iter()
            .any(|l| l["file"] == "variables.tf" && l["start"]["line"] == 2),
        "{doc:#}"
    );
}
