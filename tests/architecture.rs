//! Imports go one way (ARCHITECTURE.md §1): rules never see syntax trees or adapters, the model
//! never names a format, reporters never see the model.

use std::path::Path;

/// (module folder or file, crate paths it must not import)
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "src/rules",
        &[
            "crate::adapt",
            "crate::parse",
            "crate::lint",
            "crate::report",
            "crate::cli",
            "crate::discover",
        ],
    ),
    (
        "src/model",
        &[
            "crate::adapt",
            "crate::parse",
            "crate::lint",
            "crate::report",
            "crate::cli",
            "crate::discover",
        ],
    ),
    (
        "src/report",
        &[
            "crate::model",
            "crate::adapt",
            "crate::parse",
            "crate::rules::iam",
            "crate::discover",
        ],
    ),
    (
        "src/parse",
        &[
            "crate::model",
            "crate::adapt",
            "crate::rules",
            "crate::lint",
            "crate::report",
        ],
    ),
    (
        "src/source",
        &[
            "crate::model",
            "crate::adapt",
            "crate::parse",
            "crate::rules",
            "crate::lint",
            "crate::report",
        ],
    ),
    (
        "src/adapt",
        &["crate::rules", "crate::lint", "crate::report", "crate::cli"],
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    if dir.is_file() {
        out.push(dir.to_path_buf());
        return;
    }
    for entry in std::fs::read_dir(dir).expect("source folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn imports_follow_the_layering() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut violations = Vec::new();
    for (module, forbidden) in FORBIDDEN {
        let mut files = Vec::new();
        rust_files(&root.join(module), &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).expect("read");
            // Test modules may build what they need.
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            for path in *forbidden {
                if code.contains(path) {
                    violations.push(format!("{} uses {path}", file.display()));
                }
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}
