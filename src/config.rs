//! `.cloudlint.toml`: found in the current directory or the first scanned root, or named with
//! `--config`. Unknown keys and rule ids are errors with the file, line and a suggestion, so a
//! typo never silently turns a check off.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::Severity;
use crate::rules;
use crate::source::LineIndex;

pub const FILE_NAME: &str = ".cloudlint.toml";

/// The file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Raw {
    select: Option<Vec<Spanned<String>>>,
    ignore: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    severity: BTreeMap<String, Spanned<Severity>>,
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    per_path_ignores: Vec<RawPerPath>,
    fail_on: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPerPath {
    glob: Spanned<String>,
    rules: Vec<Spanned<String>>,
}

const KEYS: &[&str] = &[
    "select",
    "ignore",
    "severity",
    "exclude",
    "per-path-ignores",
    "fail-on",
    "glob",
    "rules",
];

/// The file resolved: rule ids checked against the registry.
#[derive(Debug, Default, Clone)]
pub struct FileConfig {
    pub path: PathBuf,
    pub select: Option<BTreeSet<&'static str>>,
    pub ignore: BTreeSet<&'static str>,
    pub severity: BTreeMap<&'static str, Severity>,
    pub exclude: Vec<String>,
    pub per_path_ignores: Vec<(String, BTreeSet<&'static str>)>,
    /// `None` inside: `fail-on = "never"`.
    pub fail_on: Option<Option<Severity>>,
}

/// The configuration file to read: `--config`, else `.cloudlint.toml` in the current directory,
/// else in the first scanned directory.
pub fn locate(explicit: Option<&Path>, paths: &[PathBuf]) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(path.to_path_buf());
    }
    let here = PathBuf::from(FILE_NAME);
    if here.is_file() {
        return Some(here);
    }
    let root = paths.first()?;
    let dir = if root.is_dir() {
        root.as_path()
    } else {
        root.parent()?
    };
    let candidate = dir.join(FILE_NAME);
    candidate.is_file().then_some(candidate)
}

pub fn load(path: &Path) -> Result<FileConfig, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read configuration: {e}", path.display()))?;
    parse(&text, path)
}

/// `path:line:col: message`.
fn located(text: &str, path: &Path, at: usize, message: &str) -> String {
    let index = LineIndex::new(text);
    let position = index.line_col(text, u32::try_from(at).unwrap_or(u32::MAX));
    format!(
        "{}:{}:{}: {message}",
        path.display(),
        position.line,
        position.col
    )
}

fn closest<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    known
        .map(|k| (rules::iam::edit_distance(name, k), k))
        .filter(|(distance, k)| *distance <= k.len() / 3 + 1)
        .min()
        .map(|(_, k)| k)
}

pub fn parse(text: &str, path: &Path) -> Result<FileConfig, String> {
    let raw: Raw = toml::from_str(text).map_err(|error| {
        let message = error.message().trim().to_string();
        let message = match message
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split('`').next())
        {
            Some(key) => match closest(key, KEYS.iter().copied()) {
                Some(known) => format!("unknown key `{key}`; did you mean `{known}`?"),
                None => format!("unknown key `{key}`; expected one of {}", KEYS.join(", ")),
            },
            None => message,
        };
        let at = error.span().map_or(0, |span| span.start);
        located(text, path, at, &message)
    })?;
    let rule = |name: &Spanned<String>| -> Result<&'static str, String> {
        let id = name.get_ref().trim();
        rules::all_names()
            .find(|known| *known == id)
            .ok_or_else(|| {
                let message = match closest(id, rules::all_names()) {
                    Some(known) => format!("unknown rule `{id}`; did you mean `{known}`?"),
                    None => format!("unknown rule `{id}` (`cloudlint rules` lists them)"),
                };
                located(text, path, name.span().start, &message)
            })
    };
    let rules_of = |names: &[Spanned<String>]| -> Result<BTreeSet<&'static str>, String> {
        names.iter().map(rule).collect()
    };
    let mut config = FileConfig {
        path: path.to_path_buf(),
        exclude: raw.exclude,
        ..FileConfig::default()
    };
    if let Some(select) = &raw.select {
        config.select = Some(rules_of(select)?);
    }
    if let Some(ignore) = &raw.ignore {
        config.ignore = rules_of(ignore)?;
    }
    for (name, severity) in &raw.severity {
        let id = rules::all_names()
            .find(|known| known == name)
            .ok_or_else(|| {
                let hint = closest(name, rules::all_names())
                    .map_or(String::new(), |k| format!("; did you mean `{k}`?"));
                located(
                    text,
                    path,
                    severity.span().start,
                    &format!("unknown rule `{name}` in [severity]{hint}"),
                )
            })?;
        config.severity.insert(id, *severity.get_ref());
    }
    for entry in &raw.per_path_ignores {
        crate::discover::exclude_set(std::slice::from_ref(entry.glob.get_ref()))
            .map_err(|e| located(text, path, entry.glob.span().start, &e.to_string()))?;
        config
            .per_path_ignores
            .push((entry.glob.get_ref().clone(), rules_of(&entry.rules)?));
    }
    if let Some(fail_on) = &raw.fail_on {
        config.fail_on = Some(match fail_on.get_ref().as_str() {
            "critical" => Some(Severity::Critical),
            "high" => Some(Severity::High),
            "medium" => Some(Severity::Medium),
            "low" => Some(Severity::Low),
            "never" => None,
            other => {
                return Err(located(
                    text,
                    path,
                    fail_on.span().start,
                    &format!(
                        "invalid fail-on `{other}`; expected critical, high, medium, low or never"
                    ),
                ));
            }
        });
    }
    Ok(config)
}

/// Reads a `--cfn-parameters` file: `{"Name": "value"}` or the AWS CLI's
/// `[{"ParameterKey": "Name", "ParameterValue": "value"}]`.
pub fn read_cfn_parameters(
    path: &Path,
) -> Result<std::collections::BTreeMap<String, String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("{}: invalid JSON: {e}", path.display()))?;
    let scalar = |value: &serde_json::Value| match value {
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Number(number) => Some(number.to_string()),
        serde_json::Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    };
    let bad = || {
        format!(
            "{}: expected {{\"Name\": \"value\"}} or [{{\"ParameterKey\": ..., \"ParameterValue\": ...}}]",
            path.display()
        )
    };
    let mut out = std::collections::BTreeMap::new();
    match &json {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                out.insert(key.clone(), scalar(value).ok_or_else(bad)?);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                let key = item
                    .get("ParameterKey")
                    .and_then(|k| k.as_str())
                    .ok_or_else(bad)?;
                let value = item
                    .get("ParameterValue")
                    .and_then(scalar)
                    .ok_or_else(bad)?;
                out.insert(key.to_string(), value);
            }
        }
        _ => return Err(bad()),
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<FileConfig, String> {
        parse(text, Path::new(".cloudlint.toml"))
    }

    #[test]
    fn reads_every_key() {
        let config = parse_str(
            r#"
select = ["iam-wildcard-admin-policy", "iam-invalid-policy-document"]
ignore = ["iam-invalid-policy-document"]
exclude = ["vendor/**"]
fail-on = "high"

[severity]
iam-wildcard-admin-policy = "medium"

[[per-path-ignores]]
glob = "legacy/**"
rules = ["iam-wildcard-admin-policy"]
"#,
        )
        .unwrap();
        assert_eq!(config.select.unwrap().len(), 2);
        assert!(config.ignore.contains("iam-invalid-policy-document"));
        assert_eq!(
            config.severity.get("iam-wildcard-admin-policy"),
            Some(&Severity::Medium)
        );
        assert_eq!(config.per_path_ignores.len(), 1);
        assert_eq!(config.fail_on, Some(Some(Severity::High)));
    }

    #[test]
    fn unknown_keys_point_at_their_line_with_a_suggestion() {
        let error = parse_str("select = []\nignroe = [\"x\"]\n").unwrap_err();
        assert_eq!(
            error,
            ".cloudlint.toml:2:1: unknown key `ignroe`; did you mean `ignore`?"
        );
    }

    #[test]
    fn unknown_rules_point_at_their_line_with_a_suggestion() {
        let error = parse_str("\nselect = [\n  \"iam-wildcard-admin-polcy\",\n]\n").unwrap_err();
        assert!(
            error.starts_with(".cloudlint.toml:3:3: unknown rule `iam-wildcard-admin-polcy`; did you mean `iam-wildcard-admin-policy`?"),
            "{error}"
        );
        let error = parse_str("[severity]\nnope = \"high\"\n").unwrap_err();
        assert!(
            error.starts_with(".cloudlint.toml:2:8: unknown rule `nope`"),
            "{error}"
        );
        let error = parse_str("fail-on = \"sometimes\"\n").unwrap_err();
        assert!(
            error.starts_with(".cloudlint.toml:1:11: invalid fail-on"),
            "{error}"
        );
    }
}
