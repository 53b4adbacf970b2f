//! Output bytes never depend on the thread count, on repeated runs, or on the order paths are given.

use std::process::Command;

fn run(args: &[&str]) -> Vec<u8> {
    let output = Command::new(env!("CARGO_BIN_EXE_cloudlint"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("cloudlint runs");
    assert!(matches!(output.status.code(), Some(0 | 1)), "{args:?}");
    output.stdout
}

const FORMATS: &[&str] = &["concise", "pretty", "json", "sarif", "github"];

#[test]
fn every_format_is_identical_at_any_thread_count() {
    for format in FORMATS {
        let reference = run(&[
            "--format",
            format,
            "--color",
            "never",
            "--threads",
            "1",
            "fixtures",
        ]);
        assert!(!reference.is_empty());
        for threads in ["2", "8", "0", "1"] {
            for _ in 0..2 {
                let again = run(&[
                    "--format",
                    format,
                    "--color",
                    "never",
                    "--threads",
                    threads,
                    "fixtures",
                ]);
                assert!(
                    again == reference,
                    "{format} differs with {threads} threads"
                );
            }
        }
    }
}

#[test]
fn path_order_does_not_matter() {
    let forward = run(&[
        "--format",
        "concise",
        "fixtures/sample",
        "fixtures/malformed",
        "fixtures/rules",
    ]);
    let backward = run(&[
        "--format",
        "concise",
        "fixtures/rules",
        "fixtures/malformed",
        "fixtures/sample",
    ]);
    assert!(forward == backward);
}
