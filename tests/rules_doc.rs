//! docs/rules.md is generated from rule metadata; this fails when it is stale. Regenerate with
//! `cargo run -- rules --format markdown > docs/rules.md`.

use std::path::Path;

#[test]
fn docs_rules_md_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let generated = cloudlint::report::rules::markdown();
    assert!(
        committed == generated,
        "docs/rules.md is stale: run `cargo run -- rules --format markdown > docs/rules.md`"
    );
}

#[test]
fn rules_json_lists_every_rule_and_builtin() {
    let catalogue: serde_json::Value =
        serde_json::from_str(&cloudlint::report::rules::json()).unwrap();
    assert_eq!(catalogue["version"], 1);
    let ids: Vec<&str> = catalogue["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for rule in cloudlint::rules::ALL {
        assert!(ids.contains(&rule.meta.name));
    }
    assert!(ids.contains(&"parse-error"));
}
