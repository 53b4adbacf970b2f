//! The real binary on `fixtures/`: exit codes, one concise line per finding, and bad input that
//! never hides good results.

use std::process::{Command, Output};

fn cloudlint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cloudlint"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("cloudlint runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8 output")
}

#[test]
fn the_sample_has_findings_and_exits_one() {
    let output = cloudlint(&["--format", "concise", "fixtures/sample"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("fixtures/sample/main.tf:"), "{text}");
    for line in text.lines() {
        let parts: Vec<&str> = line.splitn(4, ':').collect();
        assert_eq!(parts.len(), 4, "{line}");
        assert!(
            parts[1].parse::<u32>().is_ok() && parts[2].parse::<u32>().is_ok(),
            "{line}"
        );
        assert!(line.ends_with(']'), "{line}");
    }
}

#[test]
fn concise_output_of_the_sample() {
    let output = cloudlint(&["--format", "concise", "fixtures/sample"]);
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn pretty_output_of_the_sample() {
    let output = cloudlint(&["--format", "pretty", "--color", "never", "fixtures/sample"]);
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn a_clean_file_exits_zero() {
    let output = cloudlint(&["fixtures/sample/settings.json"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).is_empty());
}

#[test]
fn a_missing_path_is_a_usage_error() {
    let output = cloudlint(&["does/not/exist"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("does/not/exist"));
}

#[test]
fn an_unknown_rule_suggests_the_closest() {
    let output = cloudlint(&["--select", "iam-wildcard-admin", "fixtures/sample"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("did you mean `iam-wildcard-admin-policy`"),
        "{stderr}"
    );
}

#[test]
fn malformed_files_do_not_hide_other_findings() {
    let output = cloudlint(&["--format", "concise", "fixtures/malformed"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.contains("fixtures/malformed/broken.tf:5:3: error:"),
        "{text}"
    );
    assert!(
        text.contains("broken.iam.json:4:49: error: invalid JSON"),
        "{text}"
    );
    assert!(text.contains("[parse-error]"), "{text}");
    assert!(
        text.contains("admin/policy.iam.json:4:25: error: statement allows all actions"),
        "{text}"
    );
    // A repeated key is no parse error: CloudFormation deploys the last value, and so it is read.
    assert!(
        text.contains("duplicate-key.cfn.yaml:9:7: warning: duplicate key `Encrypted` (first defined on line 8) [duplicate-key]"),
        "{text}"
    );
    assert!(
        text.contains("duplicate-key.cfn.yaml:9:7: error: EBS volume is not encrypted"),
        "{text}"
    );
    // Terraform keeps the last of two equal object keys: no parse error, and the rule reads
    // the value that replaced the open one.
    assert!(
        text.contains("duplicate-object-key.tf:5:5: warning: duplicate key `ssh` (first defined on line 4) [duplicate-key]"),
        "{text}"
    );
    assert!(!text.contains("duplicate-object-key.tf:15"), "{text}");
    // JSON with trailing commas in a `.template` is YAML flow style, as CloudFormation reads it.
    assert!(
        text.contains("trailing-commas.template:7:9: error: bucket ACL `PublicRead`"),
        "{text}"
    );
    assert_eq!(text.matches("[parse-error]").count(), 3, "{text}");
    // A `.json` file whose parse stops at a `${x}`, `{% %}` or `{{ x }}` placeholder is a
    // template another tool renders (`templatefile()`, Jinja): not a broken policy.
    assert!(!text.contains("malformed/template/"), "{text}");
    // Nor is a JSON-with-comments configuration file whose only marker is inside another key
    // (`"ecmaVersion"`).
    assert!(!text.contains("malformed/jsonc/"), "{text}");
}

#[test]
fn fail_on_decides_the_exit_status() {
    let critical_only = cloudlint(&[
        "--fail-on",
        "critical",
        "--select",
        "iam-invalid-policy-document",
        "fixtures/sample",
    ]);
    assert_eq!(critical_only.status.code(), Some(0));
    let never = cloudlint(&["--fail-on", "never", "fixtures/malformed"]);
    assert_eq!(never.status.code(), Some(0));
}

#[test]
fn explain_and_rules_document_every_rule() {
    let rules = cloudlint(&["rules"]);
    assert_eq!(rules.status.code(), Some(0));
    assert!(stdout(&rules).contains("iam-wildcard-admin-policy"));
    let explain = cloudlint(&["explain", "iam-wildcard-admin-policy"]);
    assert_eq!(explain.status.code(), Some(0));
    assert!(stdout(&explain).contains("## Fix"));
}

#[test]
fn a_terraform_file_named_alone_resolves_its_siblings() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("variables.tf"),
        "variable \"actions\" {\n  default = [\"*\"]\n}\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("main.tf"),
        "data \"aws_iam_policy_document\" \"p\" {\n  statement {\n    actions   = var.actions\n    resources = [\"*\"]\n  }\n}\n",
    )
    .expect("write");
    let main = dir.path().join("main.tf");
    let output = Command::new(env!("CARGO_BIN_EXE_cloudlint"))
        .args(["--format", "concise"])
        .arg(&main)
        .output()
        .expect("runs");
    let text = stdout(&output);
    assert!(text.contains("main.tf:3:"), "{text}");
    assert!(!text.contains("variables.tf"), "{text}");
}

#[test]
fn siblings_the_walk_leaves_out_resolve_but_are_not_reported() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    // Each directory's variables file is left out, one by `.gitignore`, one by `--exclude`; its
    // own volume is not reported, and its default still decides the volume beside it.
    let unencrypted = "resource \"aws_ebs_volume\" \"own\" {\n  availability_zone = \"a\"\n}\n";
    let default = format!("variable \"encrypted\" {{\n  default = true\n}}\n{unencrypted}");
    let uses = "resource \"aws_ebs_volume\" \"v\" {\n  availability_zone = \"a\"\n  encrypted         = var.encrypted\n}\n";
    for module in ["ignored", "excluded"] {
        write(&format!("{module}/main.tf"), uses);
        write(&format!("{module}/variables.tf"), &default);
    }
    write(".gitignore", "ignored/variables.tf\n");
    let exclude = ["--exclude", "excluded/variables.tf"];
    let scan = || {
        Command::new(env!("CARGO_BIN_EXE_cloudlint"))
            .current_dir(dir.path())
            .args(["--format", "concise"].iter().chain(&exclude).chain(&["."]))
            .output()
            .expect("runs")
    };
    let output = scan();
    assert_eq!(
        (output.status.code(), stdout(&output)),
        (Some(0), String::new())
    );
    // A default of false in the ignored file is reported where the volume uses it.
    write(
        "ignored/variables.tf",
        "variable \"encrypted\" {\n  default = false\n}\n",
    );
    let output = scan();
    assert_eq!(
        stdout(&output),
        "ignored/main.tf:3:3: error: EBS volume is not encrypted [ec2-unencrypted-ebs-volume]\n"
    );
}

#[test]
fn siblings_ignored_from_anywhere_still_resolve() {
    // A variables file left out by an ignore file above the scanned directory, in a parent
    // directory inside it, or in `.git/info/exclude`: its default still decides the volume.
    let uses = "resource \"aws_ebs_volume\" \"v\" {\n  availability_zone = \"a\"\n  encrypted         = var.encrypted\n}\n";
    let default = "variable \"encrypted\" {\n  default = false\n}\n";
    for (ignore_file, scanned) in [
        (".gitignore", "repo/envs"),
        ("repo/envs/.ignore", "repo"),
        ("repo/.git/info/exclude", "repo"),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        };
        write("repo/envs/prod/main.tf", uses);
        write("repo/envs/prod/variables.tf", default);
        write(ignore_file, "variables.tf\n");
        let output = Command::new(env!("CARGO_BIN_EXE_cloudlint"))
            .current_dir(dir.path())
            .args(["--format", "concise", scanned])
            .output()
            .expect("runs");
        let text = stdout(&output);
        assert_eq!(
            text.lines().collect::<Vec<_>>(),
            [format!(
                "{scanned}{}/prod/main.tf:3:3: error: EBS volume is not encrypted [ec2-unencrypted-ebs-volume]",
                if scanned == "repo" { "/envs" } else { "" }
            )],
            "{ignore_file}"
        );
    }
}

#[test]
fn cfn_parameters_override_defaults() {
    let dir = tempfile::tempdir().expect("temp dir");
    let template = dir.path().join("t.cfn.yaml");
    std::fs::write(
        &template,
        "AWSTemplateFormatVersion: \"2010-09-09\"\nParameters:\n  Act:\n    Type: String\n    Default: s3:GetObject\nResources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        Version: \"2012-10-17\"\n        Statement:\n          - Effect: Allow\n            Action: !Ref Act\n            Resource: \"*\"\n",
    )
    .expect("write");
    let run = |extra: &[&std::ffi::OsStr]| {
        Command::new(env!("CARGO_BIN_EXE_cloudlint"))
            .args(["--format", "concise"])
            .args(extra)
            .arg(&template)
            .output()
            .expect("runs")
    };
    assert_eq!(run(&[]).status.code(), Some(0));
    for content in [
        r#"{"Act": "*"}"#,
        r#"[{"ParameterKey": "Act", "ParameterValue": "*"}]"#,
    ] {
        let parameters = dir.path().join("p.json");
        std::fs::write(&parameters, content).expect("write");
        let output = run(&["--cfn-parameters".as_ref(), parameters.as_os_str()]);
        assert_eq!(output.status.code(), Some(1), "{content}");
        assert!(stdout(&output).contains(":14:13: error: statement allows all actions"));
    }
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "[1]").expect("write");
    assert_eq!(
        run(&["--cfn-parameters".as_ref(), bad.as_os_str()])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn tfvars_override_variable_defaults_and_label_the_value() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("main.tf"),
        "variable \"a\" {\n  default = \"s3:GetObject\"\n}\nresource \"aws_iam_policy\" \"p\" {\n  policy = jsonencode({ Statement = [{ Effect = \"Allow\", Action = var.a, Resource = \"*\" }] })\n}\n",
    )
    .expect("write");
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_cloudlint"))
            .args(["--format", "pretty", "--color", "never"])
            .arg(dir.path())
            .output()
            .expect("runs")
    };
    assert_eq!(run().status.code(), Some(0));
    std::fs::write(dir.path().join("terraform.tfvars"), "a = \"*\"\n").expect("write");
    let output = run();
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("main.tf:5:"), "{text}");
    assert!(
        text.contains("terraform.tfvars") && text.contains("value set here"),
        "{text}"
    );
}

#[test]
fn a_policy_file_read_through_file_is_one_document_when_scanning_dot() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = [
        (
            "main.tf",
            "resource \"aws_s3_bucket_policy\" \"p\" {\n  bucket = \"elsewhere\"\n  policy = file(\"${path.module}/policy.json\")\n}\n",
        ),
        (
            "policy.json",
            "{\"Statement\": [{\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::acme/*\"}]}\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    // Discovery finds `./policy.json`, `file()` reads `policy.json`: one file, shown as `policy.json`.
    let output = Command::new(env!("CARGO_BIN_EXE_cloudlint"))
        .current_dir(dir.path())
        .args(["--format", "concise", "--select", "s3-public-policy", "."])
        .output()
        .expect("runs");
    let text = stdout(&output);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.starts_with("policy.json:1:"), "{text}");
}
