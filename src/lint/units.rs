//! Linting one unit's files: a Terraform module, or one template or policy file.

use std::collections::BTreeSet;
use std::path::Path;

use super::files::{FileIds, Fresh, display, normalize};
use super::modules::{Scanned, UnitLibrary};
use super::{Timings, UnitRun};
use crate::adapt;
use crate::adapt::terraform::module::TfFile;
use crate::discover::{FileEntry, FileKind, Unit};
use crate::model::Model;
use crate::parse::{self, Node};
use crate::source::FileId;

/// Lints a module with the local modules it calls; returns the ids of the other files whose
/// findings are reported (read through `file()`, or scanned files of called modules).
pub(super) fn terraform_unit(
    unit: &Unit,
    run: &mut UnitRun,
    model: &mut Model,
    ids: &FileIds,
    scanned: &Scanned,
) -> BTreeSet<FileId> {
    let mut files = Vec::new();
    let mut tfvars = Vec::new();
    // A variable file Terraform loads by itself that cannot be read (encrypted by git-crypt,
    // broken): it may set any root variable.
    let mut unreadable_tfvars: Option<String> = None;
    for file in &unit.files {
        let name = file.path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let loaded_vars =
            file.kind == FileKind::TerraformVars && crate::discover::is_auto_tfvars(name);
        let mut unreadable = || {
            if loaded_vars && unreadable_tfvars.is_none() {
                unreadable_tfvars = Some(name.to_string());
            }
        };
        let Some(text) = run.read(file) else {
            unreadable();
            continue;
        };
        run.outcome.scanned += 1;
        let json_vars = file.kind == FileKind::TerraformVars && name.ends_with(".json");
        let parsed = Timings::time(&mut run.outcome.timings.parse, || match json_vars {
            true => parse::hcl::parse_tfvars_json(&text, file.id).map(|body| (body, Vec::new())),
            false => parse::hcl::parse_hcl_keeping_last(&text, file.id),
        });
        match parsed {
            Ok((body, duplicates)) => {
                if file.reported {
                    run.duplicate_keys(&duplicates);
                    Timings::time(&mut run.outcome.timings.adapt, || {
                        run.directives.add_hcl(&body, &text, file.id)
                    });
                }
                let parsed = TfFile {
                    id: file.id,
                    text: text.clone(),
                    body,
                };
                match file.kind {
                    FileKind::Terraform => files.push(parsed),
                    _ => {
                        if loaded_vars {
                            tfvars.push((name.to_string(), parsed));
                        }
                    }
                }
            }
            Err(error) => {
                unreadable();
                run.parse_error(file, error.span, error.message);
            }
        }
    }
    // Terraform's order: terraform.tfvars, terraform.tfvars.json, then *.auto.tfvars and
    // *.auto.tfvars.json together by name; later ones win.
    let rank = |name: &str| match name {
        "terraform.tfvars" => 0,
        "terraform.tfvars.json" => 1,
        _ => 2,
    };
    tfvars.sort_by(|(a, _), (b, _)| (rank(a), a).cmp(&(rank(b), b)));
    let tfvars: Vec<TfFile> = tfvars.into_iter().map(|(_, file)| file).collect();
    let dir = unit
        .files
        .first()
        .and_then(|f| f.path.parent())
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let base = unit
        .files
        .first()
        .and_then(|f| ids.unit_base.get(&f.path))
        .copied();
    let fresh = Fresh::new(ids, base, run.settings.max_file_size);
    // Reads and parses the local modules the unit calls.
    let started = std::time::Instant::now();
    let library = UnitLibrary::read(normalize(&dir), files, scanned, &fresh, run);
    run.outcome.timings.parse += started.elapsed();
    Timings::time(&mut run.outcome.timings.adapt, || {
        adapt::terraform::adapt_unit(&library, &tfvars, unreadable_tfvars.as_deref(), model)
    });
    Timings::time(&mut run.outcome.timings.parse, || drop((library, tfvars)));
    let (texts, mut reported) = fresh.finish();
    run.texts.extend(texts);
    reported.append(&mut run.outcome.module_reported);
    reported.into_iter().collect()
}

/// Markers without which a YAML/JSON file cannot be a template or a policy: a byte scan spares
/// parsing every other configuration file.
pub fn may_be_relevant(text: &str) -> bool {
    let bytes = text.as_bytes();
    [
        "AWSTemplateFormatVersion",
        "Resources",
        "Statement",
        "Version",
    ]
    .iter()
    .any(|marker| memchr::memmem::find(bytes, marker.as_bytes()).is_some())
}

pub(super) fn document_unit(file: &FileEntry, run: &mut UnitRun, model: &mut Model) {
    let Some(text) = run.read(file) else { return };
    let named_policy = file.kind == FileKind::Json && is_named_policy(&file.path);
    if !named_policy && !may_be_relevant(&text) {
        run.outcome.skipped.push(file.path.clone());
        return;
    }
    let is_json = file.kind == FileKind::Json
        || (file.kind == FileKind::Yaml && text.trim_start().starts_with('{'));
    let parsed = Timings::time(&mut run.outcome.timings.parse, || {
        let json = is_json.then(|| parse::json::parse_json(&text, file.id, 0));
        match json {
            // YAML's flow style is a superset of JSON (trailing commas, comments), and
            // CloudFormation reads a `.yaml` or `.template` file as YAML.
            Some(json) if json.root.is_none() && file.kind == FileKind::Yaml => {
                let yaml = parse::yaml::parse_yaml(&text, file.id);
                if yaml.root.is_some() { yaml } else { json }
            }
            Some(json) => json,
            None => parse::yaml::parse_yaml(&text, file.id),
        }
    });
    let Some(root) = parsed.root.as_ref() else {
        // A file that does not parse is reported only if it claims to be one of ours. One whose
        // parse stops at a template placeholder is a template another tool renders first
        // (Terraform's `templatefile()`, Jinja, a Helm chart), not a file handed to AWS as it is.
        if let Some(error) = parsed.errors.first() {
            let template = stops_at_template_placeholder(&text, error.span.start as usize);
            let claims = !template
                && (declares_cloudformation_template(&text)
                    || named_policy
                    || (file.kind == FileKind::Json && declares_policy_document(&text)));
            if claims {
                run.outcome.scanned += 1;
                run.parse_error(file, error.span, error.message.clone());
            } else {
                run.outcome.skipped.push(file.path.clone());
            }
        } else {
            run.outcome.skipped.push(file.path.clone());
        }
        return;
    };
    let template = adapt::cloudformation::is_template(root);
    let policy = file.kind == FileKind::Json
        && (is_policy(root) || (named_policy && root.as_map().is_some()));
    if !template && !policy {
        run.outcome.skipped.push(file.path.clone());
        return;
    }
    run.outcome.scanned += 1;
    for error in &parsed.errors {
        run.parse_error(file, error.span, error.message.clone());
    }
    if file.reported {
        run.duplicate_keys(&parsed.duplicates);
    }
    let path = display(&file.path);
    let started = std::time::Instant::now();
    if template {
        run.directives.add_tree(root, &parsed.comments, &text);
        adapt::cloudformation::adapt(root, file.id, &text, &run.settings.cfn_parameters, model);
    } else {
        adapt::iam_json::adapt(root, &path, model);
    }
    run.outcome.timings.adapt += started.elapsed();
    Timings::time(&mut run.outcome.timings.parse, || drop(parsed));
}

/// Whether the parse error at `offset` is at a placeholder of a template language: `${x}` or
/// `%{ if }` of Terraform's `templatefile()` (and envsubst), `{{ x }}` or `{% if %}` of Jinja. A
/// placeholder opened where a key is expected stops the parser at its second character; one
/// whose expression holds quotes (`"arn:aws:s3:::${join("/", local.path)}"`) ends the JSON string
/// early and stops it inside the placeholder, still open on that line.
fn stops_at_template_placeholder(text: &str, offset: usize) -> bool {
    const OPENERS: [&str; 4] = ["${", "%{", "{{", "{%"];
    let opens_at = |at: usize| {
        text.get(at..)
            .is_some_and(|rest| OPENERS.iter().any(|opener| rest.starts_with(opener)))
    };
    if opens_at(offset) || offset.checked_sub(1).is_some_and(opens_at) {
        return true;
    }
    let Some(before) = text.get(..offset) else {
        return false;
    };
    let line = &before[before.rfind('\n').map_or(0, |at| at + 1)..];
    let opened = OPENERS.iter().filter_map(|opener| line.rfind(opener)).max();
    opened.is_some_and(|at| !line[at..].contains('}'))
}

/// Whether a YAML file that does not parse says it is a CloudFormation template: a format
/// version, a JSON `"Resources"` key, or a top-level YAML one (`trialResources:` or an indented
/// `Resources:` in a Kubernetes manifest is none).
fn declares_cloudformation_template(text: &str) -> bool {
    text.contains("AWSTemplateFormatVersion")
        || text.contains("\"Resources\"")
        || text.lines().any(|line| line.starts_with("Resources:"))
}

/// Whether a JSON file that does not parse says it is a policy document: a `"Statement"` or
/// `"Version"` key. The byte scan that let it through also matches inside other names
/// (`"ecmaVersion"` of an `.eslintrc.json`), and such configuration files are often JSON with
/// comments, which no AWS API reads.
fn declares_policy_document(text: &str) -> bool {
    text.contains("\"Statement\"") || text.contains("\"Version\"")
}

/// Whether the file's name says it holds one IAM policy document (`admin.iam.json`): then it is
/// one even when its content alone would not say so (`{"Statements": [...]}` with no `Version`
/// is a broken policy to report, not some other JSON file to skip).
fn is_named_policy(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| {
            name.len() > ".iam.json".len()
                && name
                    .get(name.len() - ".iam.json".len()..)
                    .is_some_and(|end| end.eq_ignore_ascii_case(".iam.json"))
        })
}

/// A JSON policy document: a top-level `Statement`, or a policy `Version`.
pub(super) fn is_policy(root: &Node) -> bool {
    root.get("Statement").is_some()
        || root
            .get("Version")
            .and_then(Node::as_str)
            .is_some_and(|v| v == "2012-10-17" || v == "2008-10-17")
}

#[cfg(test)]
mod tests {
    use super::stops_at_template_placeholder;

    #[test]
    fn only_a_top_level_resources_key_declares_a_template() {
        use super::declares_cloudformation_template as declares;
        assert!(declares("Description: x\nResources:\n  A: [\n"));
        assert!(declares("{\n  \"Resources\": {\n"));
        assert!(!declares("spec:\n  trialResources:\n    - a\n"));
        assert!(!declares(
            "spec:\n  Resources:\n    limits: {{ .Values.x }}\n"
        ));
    }

    #[test]
    fn only_a_policy_key_declares_a_policy_document() {
        use super::declares_policy_document as declares;
        assert!(declares("{\n  \"Version\": \"2012-10-17\",\n  // x\n"));
        assert!(declares("{\"Statement\": [,]}"));
        assert!(!declares(
            "{\n  \"parserOptions\": {\"ecmaVersion\": \"latest\"}, // x\n}"
        ));
    }

    #[test]
    fn template_placeholders_are_recognized_where_the_parse_stops() {
        let terraform = r#"{"Resource": ${arns}}"#;
        assert!(stops_at_template_placeholder(
            terraform,
            terraform.find('$').unwrap_or(0)
        ));
        // `{{` opens an object, then the parser stops at the second brace.
        let jinja = r#"{"Id": {{ id }}}"#;
        assert!(stops_at_template_placeholder(
            jinja,
            jinja.find("{{").unwrap_or(0) + 1
        ));
        let directive = r#"{"Statement": [{% for b in bs %}]}"#;
        assert!(stops_at_template_placeholder(
            directive,
            directive.find('%').unwrap_or(0)
        ));
        let broken = r#"{"Action": "s3:GetObject" "Resource": "*"}"#;
        assert!(!stops_at_template_placeholder(
            broken,
            broken.find(" \"R").unwrap_or(0) + 1
        ));
        let quoted = r#"{"Resource": "arn:aws:s3:::foo/${join("/", local.path)}"}"#;
        assert!(stops_at_template_placeholder(
            quoted,
            quoted.find("/\",").unwrap_or(0)
        ));
        let closed = r#"{"Resource": "arn:aws:s3:::${aws:username}" "Action": "*"}"#;
        assert!(!stops_at_template_placeholder(
            closed,
            closed.find(" \"A").unwrap_or(0) + 1
        ));
        assert!(!stops_at_template_placeholder("", 3));
    }
}
