//! Hostile input: whatever a file holds, cloudlint exits 0 or 1, never crashes, and still reports
//! the violating file placed beside it. Inputs are generated here, not checked in.

use std::path::Path;
use std::process::Command;

use proptest::prelude::*;

const ADMIN_POLICY: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;

/// Lints `dir` (holding the hostile file and a violating policy) and checks the outcome.
fn survives(dir: &Path, extra: &[&str]) -> String {
    std::fs::write(dir.join("admin.iam.json"), ADMIN_POLICY).expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_cloudlint"))
        .args(["--format", "concise"])
        .args(extra)
        .arg(dir)
        .output()
        .expect("cloudlint runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "exit {:?}: {stderr}",
        output.status.code()
    );
    assert!(!stdout.contains("internal-error"), "{stdout}");
    assert!(
        stdout.contains("admin.iam.json:1:"),
        "violating file not reported:\n{stdout}\n{stderr}"
    );
    stdout
}

fn with_file(name: &str, bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join(name), bytes).expect("write");
    survives(dir.path(), &[])
}

#[test]
fn deeply_nested_json_is_a_located_parse_error() {
    let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let out = with_file(
        "deep.json",
        format!(r#"{{"Statement": {text}}}"#).as_bytes(),
    );
    assert!(
        out.contains("deep.json:1:") && out.contains("[parse-error]"),
        "{out}"
    );
}

#[test]
fn deeply_nested_yaml_is_a_located_parse_error() {
    let text = format!(
        "AWSTemplateFormatVersion: x\nResources: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    with_file("deep.yaml", text.as_bytes());
    let mut block = String::from("AWSTemplateFormatVersion: x\nResources:\n");
    for depth in 0..5_000 {
        block.push_str(&" ".repeat(depth + 1));
        block.push_str("a:\n");
    }
    with_file("deep-block.yaml", block.as_bytes());
}

#[test]
fn deeply_nested_hcl_is_a_located_parse_error() {
    let text = format!(
        "locals {{\n  x = {}1{}\n}}\n",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let out = with_file("deep.tf", text.as_bytes());
    assert!(
        out.contains("deep.tf:") && out.contains("[parse-error]"),
        "{out}"
    );
    let mut blocks = String::new();
    for _ in 0..10_000 {
        blocks.push_str("a {\n");
    }
    with_file("blocks.tf", blocks.as_bytes());
}

#[test]
fn nested_fn_if_does_not_overflow() {
    let mut value = String::from("\"Allow\"");
    for _ in 0..100_000 {
        value = format!("{{\"Fn::If\": [\"C\", {value}, \"Deny\"]}}");
        if value.len() > 4_000_000 {
            break;
        }
    }
    let template = format!(
        r#"{{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {{"P": {{"Type": "AWS::IAM::Policy", "Properties": {{"PolicyDocument": {{"Statement": [{{"Effect": {value}, "Action": "*", "Resource": "*"}}]}}}}}}}}}}"#
    );
    with_file("if.json", template.as_bytes());
}

#[test]
fn yaml_alias_bombs_are_bounded() {
    let mut text =
        String::from("AWSTemplateFormatVersion: x\na0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for level in 1..10 {
        let previous = format!("*a{}", level - 1);
        let items = [previous.as_str(); 9].join(", ");
        text.push_str(&format!("a{level}: &a{level} [{items}]\n"));
    }
    text.push_str("Resources: *a9\n");
    with_file("bomb.yaml", text.as_bytes());
}

#[test]
fn chained_yaml_aliases_cannot_nest_past_the_limit() {
    // Each anchor wraps the previous one 100 levels deep: 400 of them would nest 40,000 levels.
    let mut text = String::from("AWSTemplateFormatVersion: x\nDefs:\n");
    for level in 0..400 {
        let inner = if level == 0 {
            "x".to_string()
        } else {
            format!("*a{}", level - 1)
        };
        text.push_str(&format!(
            "  - &a{level} {}{inner}{}\n",
            "[".repeat(100),
            "]".repeat(100)
        ));
    }
    text.push_str(
        "Resources:\n  R:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument: *a399\n",
    );
    let stdout = with_file("chain.yaml", text.as_bytes());
    assert!(stdout.contains("nesting too deep"), "{stdout}");
}

#[test]
fn long_and_deep_chains_of_locals_are_bounded() {
    // 20,000 locals each naming the next; then 200 locals each nesting the next 60 levels deep,
    // used bottom-up so that every cached value would wrap the previous one.
    let mut chain = String::from("locals {\n");
    for i in 0..20_000 {
        chain.push_str(&format!("  a{i} = local.a{}\n", i + 1));
    }
    chain.push_str("  a20000 = \"*\"\n}\n");
    with_file("chain.tf", chain.as_bytes());
    let mut deep = String::from("locals {\n");
    for i in 0..200 {
        deep.push_str(&format!(
            "  b{i} = {}local.b{}{}\n",
            "[".repeat(60),
            i + 1,
            "]".repeat(60)
        ));
    }
    deep.push_str("  b200 = \"*\"\n}\n");
    for i in (0..=200).rev() {
        deep.push_str(&format!(
            "resource \"aws_iam_policy\" \"p{i}\" {{\n  policy = jsonencode({{Statement = [{{Effect = \"Allow\", Action = local.b{i}, Resource = \"*\"}}]}})\n}}\n"
        ));
    }
    with_file("deep.tf", deep.as_bytes());
}

#[test]
fn nested_dynamic_blocks_do_not_multiply_without_bound() {
    // Twelve nested `dynamic` blocks over ten elements each would be 10^12 blocks.
    let mut inner = String::from("x = 1\n");
    for level in 0..12 {
        inner = format!(
            "dynamic \"b{level}\" {{\n  for_each = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n  content {{\n{inner}  }}\n}}\n"
        );
    }
    let text = format!("resource \"aws_security_group\" \"g\" {{\n{inner}}}\n");
    with_file("dynamic.tf", text.as_bytes());
}

#[test]
fn nested_for_expressions_do_not_multiply_without_bound() {
    // Six nested `for` expressions over 200 elements each would be 6.4 * 10^13 iterations.
    let list: Vec<String> = (0..200).map(|i| i.to_string()).collect();
    let mut expr = String::from("x");
    for level in (0..6).rev() {
        let var = if level == 0 {
            "x".to_string()
        } else {
            format!("v{level}")
        };
        expr = format!("[for {var} in local.l : {expr}]");
    }
    let text = format!(
        "locals {{\n  l = [{}]\n  out = {expr}\n}}\nresource \"aws_iam_policy\" \"p\" {{\n  policy = jsonencode({{ Statement = [{{ Effect = \"Allow\", Action = local.out, Resource = \"*\" }}] }})\n}}\n",
        list.join(", ")
    );
    with_file("for.tf", text.as_bytes());
}

#[test]
fn template_files_naming_each_other_are_rendered_once() {
    // Each of 30 templates names the next three times: 3^30 renderings without a cache, and
    // the last names the first (a cycle).
    let mut text = String::new();
    for at in 0..30 {
        let next = format!("${{data.template_file.t{}.rendered}}", (at + 1) % 30);
        text.push_str(&format!(
            "data \"template_file\" \"t{at}\" {{\n  template = \"{next}{next}{next}\"\n  vars = {{ a = \"{next}\" }}\n}}\n"
        ));
    }
    text.push_str(
        "resource \"aws_iam_policy\" \"p\" {\n  policy = data.template_file.t0.rendered\n}\n",
    );
    with_file("templates.tf", text.as_bytes());
}

#[test]
fn fanned_out_module_outputs_are_bounded() {
    // Eight nested modules, each output listing all ten outputs of the module below: 10^8
    // output evaluations if each were followed.
    let dir = tempfile::tempdir().expect("temp dir");
    for level in 0..9 {
        let module = dir.path().join(format!("m{level}"));
        std::fs::create_dir_all(&module).expect("mkdir");
        let mut text = String::new();
        if level < 8 {
            text.push_str(&format!(
                "module \"next\" {{\n  source = \"../m{}\"\n}}\n",
                level + 1
            ));
        }
        for output in 0..10 {
            let value = match level {
                8 => "\"s3:GetObject\"".to_string(),
                _ => format!(
                    "[{}]",
                    (0..10)
                        .map(|o| format!("module.next.o{o}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            text.push_str(&format!("output \"o{output}\" {{\n  value = {value}\n}}\n"));
        }
        std::fs::write(module.join("main.tf"), text).expect("write");
    }
    let root = "module \"top\" {\n  source = \"./m0\"\n}\n\
        resource \"aws_iam_policy\" \"p\" {\n  policy = jsonencode({Statement = [{Effect = \"Allow\", Action = module.top.o0, Resource = \"*\"}]})\n}\n";
    std::fs::write(dir.path().join("main.tf"), root).expect("write");
    survives(dir.path(), &[]);
}

#[test]
fn doubling_locals_do_not_exhaust_memory() {
    // Each local concatenates the next one twice: 2^40 elements if evaluated.
    let mut text = String::from("locals {\n");
    for i in 0..40 {
        text.push_str(&format!("  a{i} = concat(local.a{0}, local.a{0})\n", i + 1));
    }
    text.push_str("  a40 = [\"s3:GetObject\"]\n}\n");
    text.push_str("resource \"aws_iam_policy\" \"p\" {\n  policy = jsonencode({Statement = [{Effect = \"Allow\", Action = local.a0, Resource = \"*\"}]})\n}\n");
    with_file("double.tf", text.as_bytes());
}

#[test]
fn huge_copied_values_are_bounded_in_memory_and_output() {
    // A 1 MB parameter default referenced 20,000 times on one minified line.
    let refs = vec![r#"{"Ref": "P"}"#; 20_000].join(",");
    let text = format!(
        r#"{{"AWSTemplateFormatVersion": "2010-09-09", "Parameters": {{"P": {{"Type": "String", "Default": "{}"}}}}, "Resources": {{"R": {{"Type": "AWS::IAM::ManagedPolicy", "Properties": {{"PolicyDocument": {{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": [{refs}], "Resource": "*"}}]}}}}}}}}}}"#,
        "x".repeat(1_000_000)
    );
    let concise = with_file("huge.json", text.as_bytes());
    assert!(concise.len() < 1_000_000, "{} bytes", concise.len());
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("huge.json"), &text).expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_cloudlint"))
        .args(["--format", "pretty", "--color", "never"])
        .arg(dir.path())
        .output()
        .expect("cloudlint runs");
    assert!(matches!(output.status.code(), Some(0 | 1)));
    assert!(
        output.stdout.len() < 1_000_000,
        "{} bytes",
        output.stdout.len()
    );
}

#[test]
fn a_large_policy_file_named_many_times_is_bounded_in_memory() {
    // A 3 MB policy of 40,000 statements named by 600 resources: modelled each time, it took 11 GB.
    let dir = tempfile::tempdir().expect("temp dir");
    let statements: Vec<String> = (0..40_000)
        .map(|i| format!(r#"{{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b{i}/*"}}"#))
        .collect();
    let policy = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#,
        statements.join(",")
    );
    std::fs::write(dir.path().join("p.json"), policy).expect("write");
    let mut text = String::from("locals {\n  d = jsondecode(file(\"p.json\"))\n}\n");
    for i in 0..300 {
        text.push_str(&format!("resource \"aws_iam_policy\" \"f{i}\" {{\n  policy = file(\"${{path.module}}/p.json\")\n}}\n"));
        text.push_str(&format!(
            "resource \"aws_iam_policy\" \"l{i}\" {{\n  policy = jsonencode(local.d)\n}}\n"
        ));
    }
    std::fs::write(dir.path().join("main.tf"), text).expect("write");
    std::fs::write(dir.path().join("admin.iam.json"), ADMIN_POLICY).expect("write");
    // 3 GB of address space: ample for a bounded run (about 350 MB resident), far too little
    // for one that models every use.
    let output = Command::new("sh")
        .args([
            "-c",
            "ulimit -v 3000000; exec \"$0\" --format concise \"$1\"",
        ])
        .arg(env!("CARGO_BIN_EXE_cloudlint"))
        .arg(dir.path())
        .output()
        .expect("cloudlint runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("admin.iam.json:1:"), "{stdout}");
}

#[test]
fn oversized_files_are_reported_not_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let big = std::fs::File::create(dir.path().join("big.tf")).expect("create");
    big.set_len(200_000_000).expect("sparse file");
    let out = survives(dir.path(), &[]);
    assert!(
        out.contains("big.tf:1:1: error:") && out.contains("--max-file-size"),
        "{out}"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("line.json"), "x".repeat(2_000_000)).expect("write");
    let out = survives(dir.path(), &["--max-file-size", "1000000"]);
    assert!(out.contains("line.json:1:1: error:"), "{out}");
}

#[test]
fn bad_bytes_and_odd_files_never_crash() {
    let cases: &[(&str, &[u8])] = &[
        ("invalid.tf", b"resource \"a\" \"b\" {\n  x = \"\xff\xfe\"\n}\n"),
        ("nul.tf", b"resource \"a\" \"b\" {\0}\n"),
        ("binary.tf", &[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0]),
        ("empty.tf", b""),
        ("bom.tf", b"\xEF\xBB\xBF"),
        ("bom.json", b"\xEF\xBB\xBF"),
        ("crlf.tf", b"resource \"aws_iam_policy\" \"p\" {\r\n  policy = \"{}\"\r\n}\r\n"),
        ("heredoc.tf", b"resource \"aws_iam_policy\" \"p\" {\n  policy = <<EOF\n{\"Statement\": []}\n"),
        ("string.tf", b"resource \"aws_iam_policy\" \"p\" {\n  policy = \"{\n"),
        ("truncated.cfn.json", b"{\"AWSTemplateFormatVersion\": \"2010-09-09\", \"Resources\": {\"P\": {\"Type\": \"AWS::IAM::Po"),
        ("truncated.yaml", b"AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  P:\n    Type: AWS::IAM::Policy\n    Properties: {PolicyDocument: [\n"),
    ];
    for (name, bytes) in cases {
        with_file(name, bytes);
    }
    let out = with_file("located.tf", b"locals {\n  a = \"ok\"\n}\n\xff\n");
    assert!(
        out.contains("located.tf:4:1: error: file is not valid UTF-8"),
        "{out}"
    );
    // A file git-crypt encrypted (the repository is locked) says so, not "not valid UTF-8".
    let out = with_file(
        "terraform.tfvars",
        b"\0GITCRYPT\0\x3f\xd0\x3c\x06\x90\x7c\x0f\xf7\xc9\xbb",
    );
    assert!(
        out.contains("terraform.tfvars:1:1: error: file is encrypted with git-crypt; not scanned"),
        "{out}"
    );
}

#[test]
fn large_documents_are_linted() {
    let statements: Vec<String> = (0..100_000)
        .map(|i| format!(r#"{{"Sid": "S{i}", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b{i}/*"}}"#))
        .collect();
    let policy = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#,
        statements.join(",")
    );
    with_file("many.iam.json", policy.as_bytes());
    // Every statement grants all actions, on one bucket: each asks whether a deny cancels it,
    // which must not read the whole document again per statement.
    let wide: Vec<String> = (0..100_000)
        .map(|i| {
            format!(r#"{{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b{i}"}}"#)
        })
        .collect();
    let policy = format!(
        r#"{{"Version": "2012-10-17", "Statement": [{}]}}"#,
        wide.join(",")
    );
    with_file("wide.iam.json", policy.as_bytes());
    let resources: Vec<String> = (0..100_000)
        .map(|i| {
            format!(
                r#""R{i}": {{"Type": "AWS::SQS::Queue", "Properties": {{"QueueName": "q{i}"}}}}"#
            )
        })
        .collect();
    let template = format!(
        r#"{{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {{{}}}}}"#,
        resources.join(",")
    );
    with_file("many.cfn.json", template.as_bytes());
}

#[test]
fn expanded_resources_are_bounded() {
    // Every instance of a large body would multiply it: the module budget stops that.
    let cidrs: Vec<String> = (0..100_000)
        .map(|i| format!("\"10.{}.{}.0/24\"", i / 250 % 250, i % 250))
        .collect();
    let keys: Vec<String> = (0..5_000).map(|i| format!("\"k\\\"{i}]\"")).collect();
    let text = format!(
        "locals {{\n  cidrs = [{}]\n}}\n\
         resource \"aws_security_group\" \"g\" {{\n  count = 32\n  dynamic \"ingress\" {{\n    for_each = local.cidrs\n    content {{\n      protocol = \"tcp\"\n      cidr_blocks = [ingress.value]\n    }}\n  }}\n}}\n\
         resource \"aws_ebs_volume\" \"many\" {{\n  for_each = toset([{}])\n  encrypted = each.key\n}}\n\
         resource \"aws_ebs_volume\" \"odd\" {{\n  for_each = {{ \"a\\\"]\" = false, \"\\n\" = true }}\n  encrypted = each.value\n}}\n\
         resource \"aws_ebs_volume\" \"loop\" {{\n  for_each = aws_ebs_volume.loop\n}}\n",
        cidrs.join(", "),
        keys.join(", ")
    );
    let start = std::time::Instant::now();
    let out = with_file("main.tf", text.as_bytes());
    assert!(out.contains("main.tf:"), "{out}");
    assert!(start.elapsed() < std::time::Duration::from_secs(60));
}

#[cfg(unix)]
#[test]
fn filesystem_oddities_are_survived() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let outside = tempfile::tempdir().expect("temp dir");
    std::fs::write(outside.path().join("outside.iam.json"), ADMIN_POLICY).expect("write");
    let dir = tempfile::tempdir().expect("temp dir");
    symlink(dir.path(), dir.path().join("loop")).expect("symlink");
    symlink(outside.path(), dir.path().join("elsewhere")).expect("symlink");
    symlink(
        dir.path().join("missing.tf"),
        dir.path().join("dangling.tf"),
    )
    .expect("symlink");
    let locked = dir.path().join("locked.tf");
    std::fs::write(&locked, "locals {}\n").expect("write");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let out = survives(dir.path(), &[]);
    assert!(
        !out.contains("outside.iam.json"),
        "followed a symlink out of the root: {out}"
    );
}

#[test]
fn a_vanished_path_named_explicitly_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let gone = dir.path().join("gone.tf");
    let output = Command::new(env!("CARGO_BIN_EXE_cloudlint"))
        .arg(&gone)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parsers_and_adapters_never_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let text = String::from_utf8_lossy(&bytes);
        cloudlint::lint::lint_text("fuzz.tf", &text);
        cloudlint::lint::lint_text("fuzz.json", &text);
        cloudlint::lint::lint_text("fuzz.yaml", &text);
    }

    #[test]
    fn mutated_fixtures_never_panic(seed in 0usize..10_000, cut in 0usize..4096, insert in "[\\[\\]{}\"':,!*$ \n-]{0,8}") {
        let fixtures = [
            include_str!("../fixtures/sample/main.tf"),
            include_str!("../fixtures/sample/stack.cfn.yaml"),
            include_str!("../fixtures/sample/network/stack.cfn.json"),
            include_str!("../fixtures/sample/ci-user.iam.json"),
        ];
        let names = ["m.tf", "m.yaml", "m.json", "m.json"];
        let index = seed % fixtures.len();
        let source = fixtures[index];
        let mut at = cut.min(source.len());
        while !source.is_char_boundary(at) {
            at -= 1;
        }
        let mutated = format!("{}{}{}", &source[..at], insert, &source[at..]);
        cloudlint::lint::lint_text(names[index], &mutated);
    }
}
