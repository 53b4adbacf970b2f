//! Every fixture under `fixtures/rules/<rule>/`, linted with that rule alone: `pass-*` yields no
//! finding of it (`pass-unknown-*` a note of it with `--show-unknown`), `fail-*` at least one, and exactly on the lines marked `# expect: <rule>` where
//! the fixture has marks. The pretty output of every fixture is snapshotted.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn cloudlint(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_cloudlint"))
        .args(args)
        .output()
        .expect("cloudlint runs");
    assert!(
        output.status.code() == Some(0) || output.status.code() == Some(1),
        "cloudlint {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 output")
}

fn cases() -> Vec<(String, PathBuf)> {
    let mut cases = Vec::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules");
    for rule in std::fs::read_dir(&root)
        .expect("fixtures/rules exists")
        .flatten()
    {
        let rule_name = rule.file_name().to_string_lossy().into_owned();
        for case in std::fs::read_dir(rule.path())
            .expect("rule folder")
            .flatten()
        {
            let name = case.file_name().to_string_lossy().into_owned();
            if name.starts_with("pass-") || name.starts_with("fail-") {
                cases.push((rule_name.clone(), case.path()));
            }
        }
    }
    cases.sort();
    cases
}

fn files_below(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).expect("case folder").flatten() {
        files.extend(files_below(&entry.path()));
    }
    files.sort();
    files
}

/// `(path, line)` of every `# expect: <rule>` mark for `rule`.
fn marks(case: &Path, rule: &str) -> BTreeSet<(String, usize)> {
    let mut marks = BTreeSet::new();
    for file in files_below(case) {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for (at, line) in text.lines().enumerate() {
            if let Some((_, rest)) = line.split_once("# expect:")
                && rest.split(',').any(|id| id.trim() == rule)
            {
                marks.insert((file.to_string_lossy().into_owned(), at + 1));
            }
        }
    }
    marks
}

/// `(path, line)` of every finding (not note) of `rule` in concise output.
fn reported(output: &str, rule: &str) -> BTreeSet<(String, usize)> {
    let suffix = format!(" [{rule}]");
    output
        .lines()
        .filter(|line| line.ends_with(&suffix) && !line.contains(": note: "))
        .filter_map(|line| {
            let mut parts = line.splitn(3, ':');
            let path = parts.next()?.to_string();
            let line_number = parts.next()?.parse().ok()?;
            Some((path, line_number))
        })
        .collect()
}

/// Lints one case alone. Every `.tf` file of a directory is one Terraform module, so a single-file
/// Terraform case is copied into a directory of its own first; paths are mapped back.
fn lint_case(case: &Path, args: &[&str]) -> String {
    let path = case.to_string_lossy().into_owned();
    let is_terraform = case.is_file() && case.extension().is_some_and(|e| e == "tf");
    if !is_terraform {
        let mut all: Vec<&str> = args.to_vec();
        all.push(&path);
        return cloudlint(&all);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let name = case.file_name().expect("file name");
    let copy = dir.path().join(name);
    std::fs::copy(case, &copy).expect("copy fixture");
    let copy_path = copy.to_string_lossy().into_owned();
    let mut all: Vec<&str> = args.to_vec();
    all.push(&copy_path);
    cloudlint(&all).replace(&copy_path, &path)
}

#[test]
fn every_fixture_reports_exactly_its_marks() {
    let mut failures = Vec::new();
    for (rule, case) in cases() {
        let path = case.to_string_lossy().into_owned();
        let output = lint_case(&case, &["--format", "concise", "--select", &rule]);
        let found = reported(&output, &rule);
        let expected = marks(&case, &rule);
        let name = case
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let problem = if name.starts_with("pass-unknown-") {
            // RULES.md 1: no finding, and a note of the rule with `--show-unknown`.
            let shown = lint_case(
                &case,
                &["--format", "concise", "--show-unknown", "--select", &rule],
            );
            let noted = shown
                .lines()
                .any(|line| line.contains(": note: ") && line.ends_with(&format!(" [{rule}]")));
            if !found.is_empty() {
                Some(format!("expected no finding, got:\n{output}"))
            } else {
                (!noted).then(|| format!("expected a note with --show-unknown, got:\n{shown}"))
            }
        } else if name.starts_with("pass-") {
            (!found.is_empty()).then(|| format!("expected no finding, got:\n{output}"))
        } else if expected.is_empty() {
            found
                .is_empty()
                .then(|| format!("expected a finding, got:\n{output}"))
        } else {
            (found != expected)
                .then(|| format!("expected findings on {expected:?}, got:\n{output}"))
        };
        if let Some(problem) = problem {
            failures.push(format!("{path}: {problem}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn pretty_output_of_every_fixture() {
    let root = env!("CARGO_MANIFEST_DIR");
    for (rule, case) in cases() {
        let path = case.to_string_lossy().into_owned();
        let relative = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .trim_start_matches('/')
            .to_string();
        let output = lint_case(
            &case,
            &["--format", "pretty", "--color", "never", "--select", &rule],
        );
        let output = output.replace(&format!("{root}/"), "");
        let name = relative.replace(['/', '.'], "_");
        insta::assert_snapshot!(name, output);
    }
}
