//! Local Terraform modules through the real binary: inputs bound per call, called directories
//! linted only through their callers, suppressions shared by callers, hostile sources.

use std::path::Path;
use std::process::{Command, Output};

fn cloudlint_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cloudlint"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("cloudlint runs")
}

fn cloudlint(args: &[&str]) -> Output {
    cloudlint_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8 output")
}

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("create dirs");
    std::fs::write(path, text).expect("write fixture");
}

const VOLUME_MODULE: &str = "variable \"encrypted\" {}\n\n# cloudlint:ignore ec2-unencrypted-ebs-volume -- scratch data\nresource \"aws_ebs_volume\" \"this\" {\n  availability_zone = \"eu-west-1a\"\n  size              = 40\n  encrypted         = var.encrypted\n}\n";

fn caller(encrypted: bool) -> String {
    format!(
        "module \"data\" {{\n  source    = \"../../modules/volume\"\n  encrypted = {encrypted}\n}}\n"
    )
}

#[test]
fn a_module_input_is_reported_at_its_use_site() {
    let output = cloudlint(&[
        "--format",
        "concise",
        "fixtures/rules/ec2-unencrypted-ebs-volume/fail-module-input",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        "fixtures/rules/ec2-unencrypted-ebs-volume/fail-module-input/modules/volume/main.tf:6:3: error: EBS volume is not encrypted [ec2-unencrypted-ebs-volume]\n"
    );
}

#[test]
fn a_called_directory_is_linted_only_through_its_caller() {
    let case = "fixtures/rules/s3-public-acl/pass-module-overrides-default";
    let args = ["--format", "concise", "--select", "s3-public-acl"];
    let whole = cloudlint(&[&args[..], &[case]].concat());
    assert_eq!(
        (whole.status.code(), stdout(&whole)),
        (Some(0), String::new())
    );
    // Scanned alone, nobody calls it: its default applies.
    let alone = format!("{case}/modules/bucket");
    let output = cloudlint(&[&args[..], &[alone.as_str()]].concat());
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("main.tf:9:3: error:"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn callers_in_other_directories_share_the_module_and_its_suppressions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(root, "modules/volume/main.tf", VOLUME_MODULE);
    write(root, "envs/prod/main.tf", &caller(true));
    write(root, "envs/test/main.tf", &caller(false));
    // The directive silences the test environment's finding and is used, though prod has none.
    let output = cloudlint_in(root, &["--format", "concise", "."]);
    assert_eq!(
        (output.status.code(), stdout(&output)),
        (Some(0), String::new())
    );
    let without = VOLUME_MODULE.replace("# cloudlint:ignore", "# note:");
    write(root, "modules/volume/main.tf", &without);
    let output = cloudlint_in(root, &["--format", "concise", "--threads", "1", "."]);
    let expected = "modules/volume/main.tf:7:3: error: EBS volume is not encrypted [ec2-unencrypted-ebs-volume]\n";
    assert_eq!(stdout(&output), expected);
    let parallel = cloudlint_in(root, &["--format", "concise", "--threads", "8", "."]);
    assert_eq!(stdout(&parallel), expected);
    // The module is parsed once for both callers: its broken file is reported once, and both
    // callers still read the rest of it.
    write(root, "modules/volume/broken.tf", "resource \"x\" {\n");
    write(root, "envs/dev/main.tf", &caller(false));
    let output = cloudlint_in(root, &["--format", "concise", "--threads", "2", "."]);
    let out = stdout(&output);
    assert_eq!(out.matches("parse-error").count(), 1, "{out}");
    // A key the shared module repeats is reported once too.
    write(
        root,
        "modules/volume/tags.tf",
        "locals {\n  tags = { team = \"a\", team = \"b\" }\n}\n",
    );
    let output = cloudlint_in(root, &["--format", "concise", "--threads", "2", "."]);
    let out = stdout(&output);
    assert_eq!(out.matches("[duplicate-key]").count(), 1, "{out}");
    assert!(out.contains(expected.trim_end()), "{out}");
}

#[test]
fn a_module_caller_keeps_its_warnings_and_directives() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(root, "modules/volume/main.tf", VOLUME_MODULE);
    // Planning parses this file to find its call, and its unit parses it again to lint it.
    let own = "locals {\n  tags = { team = \"a\", team = \"b\" }\n}\n\n# cloudlint:ignore ec2-unencrypted-ebs-volume -- scratch\nresource \"aws_ebs_volume\" \"scratch\" {\n  availability_zone = \"eu-west-1a\"\n}\n\nresource \"aws_ebs_volume\" \"logs\" {\n  availability_zone = \"eu-west-1a\"\n}\n";
    write(root, "envs/test/main.tf", &(caller(false) + own));
    for threads in ["1", "2"] {
        let output = cloudlint_in(root, &["--format", "concise", "--threads", threads, "."]);
        assert_eq!(
            stdout(&output),
            "envs/test/main.tf:6:24: warning: duplicate key `team` (first defined on line 6) [duplicate-key]\n\
             envs/test/main.tf:14:1: error: encrypted is not set and EBS volumes default to unencrypted [ec2-unencrypted-ebs-volume]\n"
        );
    }
}

#[test]
fn a_module_outside_the_scan_binds_but_is_not_reported() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    // Read for resolution: its account-wide setting covers the caller's volume; its own finding
    // (the caller passes `false`) is in a file outside the scan.
    let module = VOLUME_MODULE.replace("# cloudlint:ignore", "# note:")
        + "resource \"aws_ebs_encryption_by_default\" \"on\" {}\n";
    write(root, "modules/volume/main.tf", &module);
    let volume =
        "resource \"aws_ebs_volume\" \"root\" {\n  availability_zone = \"eu-west-1a\"\n}\n";
    write(root, "envs/test/main.tf", &(caller(false) + volume));
    let output = cloudlint_in(root, &["--format", "concise", "envs/test"]);
    assert_eq!(
        (output.status.code(), stdout(&output)),
        (Some(0), String::new())
    );
    write(root, "envs/test/main.tf", volume);
    let output = cloudlint_in(root, &["--format", "concise", "envs/test"]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
}

#[test]
fn hostile_sources_neither_hang_nor_fail() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let sources = [
        "./missing",
        "./main.tf",
        "./",
        "../",
        "../../../../../../../../../../../../",
        "./loop",
        "./deep/a",
    ];
    let calls: String = sources
        .iter()
        .enumerate()
        .map(|(i, source)| format!("module \"m{i}\" {{\n  source = \"{source}\"\n}}\n"))
        .collect();
    write(root, "app/main.tf", &calls);
    write(
        root,
        "app/deep/a/main.tf",
        "module \"b\" {\n  source = \"../a\"\n}\nmodule \"up\" {\n  source = \"../../\"\n}\n",
    );
    #[cfg(unix)]
    std::os::unix::fs::symlink(".", root.join("app/loop")).expect("symlink");
    let output = cloudlint_in(root, &["--format", "concise", "app"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(stdout(&output), "");
}

#[test]
fn a_module_count_covering_bucket_and_block_leaves_nothing_to_verify() {
    let case =
        "fixtures/rules/s3-missing-public-access-block/pass-module-count-covers-bucket-and-block";
    let output = cloudlint(&["--format", "concise", "--show-unknown", case]);
    assert_eq!(
        (output.status.code(), stdout(&output)),
        (Some(0), String::new())
    );
}
