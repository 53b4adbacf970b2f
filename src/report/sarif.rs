//! `--format sarif`: SARIF 2.1.0 with hand-written structs (serde-sarif needs a build script and
//! leaves `level` untyped). One run; every enabled rule in `tool.driver.rules`; fingerprints from
//! rule, path, resource and the element's text so that they survive unrelated edits.

use std::collections::BTreeMap;
use std::io;
use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use super::bounds;
use crate::diagnostic::{Diagnostic, Level};
use crate::lint::Report;
use crate::rules::RuleMeta;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    results: Vec<SarifResult<'a>>,
    column_kind: &'static str,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'static str,
    rules: Vec<Descriptor<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor<'a> {
    id: &'static str,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Markdown,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<&'static str>,
    default_configuration: Configuration,
    properties: RuleProperties<'a>,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Markdown {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties<'a> {
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    tags: Vec<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    rule_index: usize,
    kind: &'static str,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Suppression<'a> {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
    char_offset: u32,
    char_length: u32,
}

fn level(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Note => "note",
    }
}

fn descriptor(meta: &'static RuleMeta) -> Descriptor<'static> {
    let mut markdown = format!("{}\n\n## Why\n\n{}\n", meta.summary, meta.rationale);
    if !meta.remediation.is_empty() {
        markdown.push_str(&format!("\n## Fix\n\n{}\n", meta.remediation));
    }
    for reference in meta.references {
        markdown.push_str(&format!("\n- {reference}"));
    }
    Descriptor {
        id: meta.name,
        name: pascal_case(meta.name),
        short_description: Text {
            text: meta.summary.to_string(),
        },
        full_description: Text {
            text: meta.rationale.to_string(),
        },
        help: Markdown {
            text: format!("{}\n\n{}", meta.rationale, meta.remediation),
            markdown,
        },
        help_uri: meta.references.first().copied(),
        default_configuration: Configuration {
            level: level(meta.severity.level()),
        },
        properties: RuleProperties {
            security_severity: meta.severity.score(),
            tags: vec!["security", meta.service.name()],
        },
    }
}

/// `iam-wildcard-admin-policy` → `IamWildcardAdminPolicy`, SARIF's convention for `name`.
fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or(String::new(), |first| {
                first.to_uppercase().chain(chars).collect()
            })
        })
        .collect()
}

pub fn write(report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    let cwd = std::env::current_dir().ok();
    let mut metas: Vec<&'static RuleMeta> = report.rules.clone();
    for diagnostic in report
        .diagnostics
        .iter()
        .chain(report.suppressed.iter().map(|s| &s.diagnostic))
    {
        if !metas.iter().any(|m| m.name == diagnostic.rule.name) {
            metas.push(diagnostic.rule);
        }
    }
    metas.sort_by_key(|meta| meta.name);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut results = Vec::new();
    let shown = report.diagnostics.iter().map(|d| (d, None));
    let suppressed = report.suppressed.iter().map(|s| (&s.diagnostic, Some(s)));
    for (diagnostic, suppression) in shown.chain(suppressed) {
        let rule_index = metas
            .iter()
            .position(|meta| meta.name == diagnostic.rule.name)
            .unwrap_or(0);
        let base = fingerprint(report, diagnostic, cwd.as_deref());
        // Identical elements of one resource get their rank, in the report's stable order.
        let count = seen.entry(base.clone()).or_insert(0);
        *count += 1;
        let mut fingerprints = BTreeMap::new();
        fingerprints.insert("cloudlint/v1", format!("{base}:{count}"));
        let related = diagnostic
            .labels
            .iter()
            .enumerate()
            .map(|(id, label)| Location {
                id: Some(id + 1),
                physical_location: physical(report, label.span, cwd.as_deref()),
                message: Some(Text {
                    text: label.message.to_string(),
                }),
            })
            .collect();
        results.push(SarifResult {
            rule_id: diagnostic.rule.name,
            rule_index,
            kind: if diagnostic.unverifiable {
                "review"
            } else {
                "fail"
            },
            // SARIF requires level "none" on anything that is not a failure.
            level: if diagnostic.unverifiable {
                "none"
            } else {
                level(diagnostic.level())
            },
            message: Text {
                text: diagnostic.message.to_string(),
            },
            locations: vec![Location {
                id: None,
                physical_location: physical(report, diagnostic.primary, cwd.as_deref()),
                message: None,
            }],
            related_locations: related,
            partial_fingerprints: fingerprints,
            suppressions: suppression
                .map(|s| Suppression {
                    kind: "inSource",
                    justification: s.reason.as_deref(),
                })
                .into_iter()
                .collect(),
        });
    }
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "cloudlint",
                    version: env!("CARGO_PKG_VERSION"),
                    rules: metas.into_iter().map(descriptor).collect(),
                },
            },
            results,
            column_kind: "unicodeCodePoints",
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log).map_err(io::Error::other)?;
    writeln!(out)
}

fn physical(report: &Report, span: crate::source::Span, cwd: Option<&Path>) -> PhysicalLocation {
    let (start, end) = bounds(report, span);
    let path = report.sources.path(span.file);
    let text = report.sources.get(span.file).map_or("", |f| &f.text);
    let before = text
        .get(..span.start as usize)
        .map_or(0, |t| t.chars().count());
    let length = text.get(span.range()).map_or(0, |t| t.chars().count());
    PhysicalLocation {
        artifact_location: artifact(path, cwd),
        region: Region {
            start_line: start.line,
            start_column: start.col,
            end_line: end.line,
            end_column: end.col,
            char_offset: u32::try_from(before).unwrap_or(u32::MAX),
            char_length: u32::try_from(length).unwrap_or(u32::MAX),
        },
    }
}

/// A path relative to the current directory under `%SRCROOT%`; anything outside it absolute.
fn artifact(path: &str, cwd: Option<&Path>) -> ArtifactLocation {
    let path = Path::new(path);
    let relative = if path.is_absolute() {
        cwd.and_then(|dir| path.strip_prefix(dir).ok())
            .map(Path::to_path_buf)
    } else {
        Some(normalize(path))
    };
    match relative {
        Some(relative) if !relative.starts_with("..") => ArtifactLocation {
            uri: encode(&slashes(&relative)),
            uri_base_id: Some("%SRCROOT%"),
        },
        _ => {
            let absolute = cwd.map_or_else(|| path.to_path_buf(), |dir| dir.join(path));
            ArtifactLocation {
                uri: file_uri(&normalize(&absolute)),
                uri_base_id: None,
            }
        }
    }
}

/// Drops `.` components and folds `dir/..`, without touching the filesystem.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn slashes(path: &Path) -> String {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".to_string()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn file_uri(path: &Path) -> String {
    format!("file:///{}", encode(&slashes(path)))
}

/// Percent-encodes everything but unreserved characters and `/`.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// FNV-1a over rule, relative path, resource and the element's text: no line numbers, so a
/// finding keeps its fingerprint when unrelated lines move it.
fn fingerprint(report: &Report, diagnostic: &Diagnostic, cwd: Option<&Path>) -> String {
    let path = artifact(report.sources.path(diagnostic.primary.file), cwd).uri;
    let element = report
        .sources
        .get(diagnostic.primary.file)
        .map_or("", |file| file.slice(diagnostic.primary));
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let parts = [
        diagnostic.rule.name,
        &path,
        diagnostic.resource.as_deref().unwrap_or(""),
        element,
    ];
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_use_forward_slashes_and_srcroot() {
        let location = artifact("./fixtures/sample/main.tf", None);
        assert_eq!(location.uri, "fixtures/sample/main.tf");
        assert_eq!(location.uri_base_id, Some("%SRCROOT%"));
        let location = artifact("/repo/a b/x.tf", Some(Path::new("/repo")));
        assert_eq!(location.uri, "a%20b/x.tf");
        let outside = artifact("/elsewhere/x.tf", Some(Path::new("/repo")));
        assert_eq!(outside.uri, "file:///elsewhere/x.tf");
        assert_eq!(outside.uri_base_id, None);
    }

    #[test]
    fn names_are_pascal_case() {
        assert_eq!(
            pascal_case("iam-wildcard-admin-policy"),
            "IamWildcardAdminPolicy"
        );
    }
}
