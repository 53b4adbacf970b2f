//! Suppression directives: `# cloudlint:ignore RULE[,RULE] [-- reason]` comments (from parser
//! comment tokens, never grepped), CloudFormation `Metadata.cloudlint.ignore`, and other tools'
//! ignore comments mapped through rule aliases. The engine applies them to every rule alike.

use std::collections::BTreeSet;

use hcl_edit::structure::{Body, Structure};

use crate::adapt::cloudformation::written_resources;
use crate::diagnostic::Diagnostic;
use crate::parse::{Comment, Node};
use crate::rules::{self, builtin};
use crate::source::{FileId, Span};

mod foreign;

/// One directive: where it is written, the region it covers and the rules it silences.
#[derive(Debug)]
struct Directive {
    span: Span,
    covers: Span,
    /// Rule ids with whether the directive silenced a finding of that rule.
    rules: Vec<(&'static str, bool)>,
    reason: Option<Box<str>>,
    /// Another tool's comment: never reported as unused, the other tool may need it.
    foreign: bool,
}

/// The directives of one unit's reported files, and the malformed ones.
#[derive(Debug, Default)]
pub struct Directives {
    list: Vec<Directive>,
    invalid: Vec<(Span, String)>,
}

/// What a comment asks for, before its rules are resolved.
#[derive(Debug, PartialEq)]
enum Request {
    Ours {
        rules: Vec<String>,
        reason: Option<String>,
    },
    /// Another tool's ids; `whole_file` for KICS's `kics-scan disable=ID[,ID]`, which turns its
    /// queries off for the whole file.
    Foreign {
        ids: Vec<String>,
        reason: Option<String>,
        whole_file: bool,
    },
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// Reads a comment's text (marker removed); `None` when it is no directive at all.
/// Every directive starts with one of these; a file without any needs no comment walk.
const DIRECTIVE_PREFIXES: [&str; 5] = [
    "cloudlint:",
    "checkov:skip=",
    "trivy:ignore:",
    "tfsec:ignore:",
    "kics-scan disable=",
];

fn request(text: &str) -> Option<Result<Request, String>> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix("cloudlint:") {
        let Some(rest) = rest.strip_prefix("ignore") else {
            return Some(Err(format!(
                "unknown directive `{}`; expected `cloudlint:ignore RULE[,RULE] [-- reason]`",
                text.split_whitespace().next().unwrap_or(text)
            )));
        };
        if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
            return Some(Err(
                "malformed directive; expected `cloudlint:ignore RULE[,RULE] [-- reason]`".into(),
            ));
        }
        let (names, reason) = match rest.split_once("--") {
            Some((names, reason)) => (names, non_empty(reason)),
            None => (rest, None),
        };
        let rules: Vec<String> = names
            .split([',', ' ', '\t'])
            .filter(|name| !name.is_empty())
            .map(str::to_string)
            .collect();
        if rules.is_empty() {
            return Some(Err(
                "`cloudlint:ignore` names no rule; write `cloudlint:ignore RULE[,RULE]`".into(),
            ));
        }
        return Some(Ok(Request::Ours { rules, reason }));
    }
    if let Some(ids) = foreign::kics_disabled(text) {
        return Some(Ok(Request::Foreign {
            ids,
            reason: None,
            whole_file: true,
        }));
    }
    foreign::request(text, today).map(|(id, reason)| {
        Ok(Request::Foreign {
            ids: vec![id],
            reason,
            whole_file: false,
        })
    })
}

/// Today's date (UTC) as `YYYY-MM-DD`, for other tools' expiring ignores.
fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() / 86_400);
    foreign::civil_date(days)
}

/// The rule a `cloudlint:ignore` names, or why it cannot be suppressed.
fn resolve(name: &str) -> Result<&'static str, String> {
    if let Some(rule) = rules::ALL.iter().find(|rule| rule.meta.name == name) {
        return Ok(rule.meta.name);
    }
    if builtin::ALL.iter().any(|meta| meta.name == name) {
        return Err(format!("`{name}` cannot be suppressed"));
    }
    let suggestion = rules::ALL
        .iter()
        .map(|rule| rule.meta.name)
        .min_by_key(|known| rules::iam::edit_distance(name, known))
        .filter(|known| rules::iam::edit_distance(name, known) <= known.len() / 3 + 1);
    Err(match suggestion {
        Some(known) => format!("unknown rule `{name}`; did you mean `{known}`?"),
        None => format!("unknown rule `{name}` (`cloudlint rules` lists them)"),
    })
}

impl Directives {
    fn add(&mut self, span: Span, covers: Span, request: Result<Request, String>) {
        match request {
            Err(message) => self.invalid.push((span, message)),
            Ok(Request::Ours { rules, reason }) => {
                let mut resolved = Vec::new();
                for name in rules {
                    match resolve(&name) {
                        Ok(rule) => resolved.push((rule, false)),
                        Err(message) => self.invalid.push((span, message)),
                    }
                }
                if !resolved.is_empty() {
                    self.list.push(Directive {
                        span,
                        covers,
                        rules: resolved,
                        reason: reason.map(Into::into),
                        foreign: false,
                    });
                }
            }
            Ok(Request::Foreign { ids, reason, .. }) => {
                let mut rules: Vec<_> = ids
                    .iter()
                    .flat_map(|id| foreign::aliased(id))
                    .map(|r| (r, false))
                    .collect();
                rules.dedup();
                if !rules.is_empty() {
                    self.list.push(Directive {
                        span,
                        covers,
                        rules,
                        reason: reason.map(Into::into),
                        foreign: true,
                    });
                }
            }
        }
    }

    /// Directives in the comments of an HCL file.
    pub fn add_hcl(&mut self, body: &Body, text: &str, file: FileId) {
        let bytes = text.as_bytes();
        if !DIRECTIVE_PREFIXES
            .iter()
            .any(|prefix| memchr::memmem::find(bytes, prefix.as_bytes()).is_some())
        {
            return;
        }
        let mut items = Vec::new();
        let mut bodies = vec![body];
        while let Some(body) = bodies.pop() {
            for structure in body.iter() {
                let span = match structure {
                    Structure::Attribute(attribute) => hcl_edit::Span::span(attribute),
                    Structure::Block(block) => {
                        bodies.push(&block.body);
                        hcl_edit::Span::span(block)
                    }
                };
                if let Some(range) = span {
                    items.push(Span::new(file, range.start, range.end));
                }
            }
        }
        let comments = crate::parse::hcl::comments(body, file);
        self.add_comments(&comments, &items, text, false);
    }

    /// Directives of a YAML or JSON template: comments, then resource `Metadata`.
    pub fn add_tree(&mut self, root: &Node, comments: &[Comment], text: &str) {
        self.add_metadata(root);
        // The walk below only serves comment directives; most files have none.
        if !comments
            .iter()
            .any(|comment| request(&comment.text).is_some())
        {
            return;
        }
        let mut items = Vec::new();
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            if let Some(entries) = node.as_map() {
                for entry in entries {
                    items.push(entry.span());
                    stack.push(&entry.value);
                }
            } else if let Some(seq) = node.as_seq() {
                for item in seq {
                    items.push(item.span);
                    stack.push(item);
                }
            }
        }
        self.add_comments(comments, &items, text, true);
    }

    fn add_comments(&mut self, comments: &[Comment], items: &[Span], text: &str, yaml: bool) {
        for comment in comments {
            if let Some(request) = request(&comment.text) {
                let covers = match request {
                    Ok(Request::Foreign {
                        whole_file: true, ..
                    }) => Span::new(comment.span.file, 0, text.len()),
                    _ => coverage(comment.span, items, comments, text, yaml),
                };
                self.add(comment.span, covers, request);
            }
        }
    }

    /// `Metadata: { cloudlint: { ignore: [{rule, reason}] } }`, checkov's
    /// `Metadata: { checkov: { skip: [{id, comment}] } }` and cfn_nag's
    /// `Metadata: { cfn_nag: { rules_to_suppress: [{id, reason}] } }` on a resource.
    fn add_metadata(&mut self, root: &Node) {
        let Some(resources) = root.get("Resources") else {
            return;
        };
        for resource in written_resources(resources) {
            let covers = resource.span();
            let Some(metadata) = resource.value.get("Metadata") else {
                continue;
            };
            let ours = metadata.get("cloudlint").and_then(|c| c.get("ignore"));
            for item in ours.and_then(Node::as_seq).unwrap_or_default() {
                let rule = item
                    .as_str()
                    .or_else(|| item.get("rule").and_then(Node::as_str));
                let reason = item
                    .get("reason")
                    .and_then(Node::as_str)
                    .and_then(non_empty);
                let request = match rule {
                    Some(rule) => Ok(Request::Ours {
                        rules: vec![rule.trim().to_string()],
                        reason,
                    }),
                    None => Err("a `cloudlint.ignore` entry needs a `rule`".to_string()),
                };
                self.add(item.span, covers, request);
            }
            if let Some(ours) = ours
                && ours.as_seq().is_none()
            {
                self.invalid.push((
                    ours.span,
                    "`cloudlint.ignore` must be a list of `{rule, reason}`".to_string(),
                ));
            }
            let foreign = [
                ("checkov", "skip", "comment"),
                ("cfn_nag", "rules_to_suppress", "reason"),
            ];
            let items = foreign.iter().flat_map(|(tool, list, why)| {
                let list = metadata.get(tool).and_then(|t| t.get(list));
                let items = list.and_then(Node::as_seq).unwrap_or_default();
                items.iter().map(move |item| (item, *why))
            });
            for (item, why) in items {
                if let Some(id) = item.get("id").and_then(Node::as_str) {
                    let reason = item.get(why).and_then(Node::as_str).and_then(non_empty);
                    let request = Request::Foreign {
                        ids: vec![id.to_string()],
                        reason,
                        whole_file: false,
                    };
                    self.add(item.span, covers, Ok(request));
                }
            }
        }
    }

    /// Whether a directive silences `diagnostic`; `Some(reason)` if so. Built-in diagnostics
    /// (`parse-error` and the like) are never silenced: no directive can name them.
    pub fn suppress(&mut self, diagnostic: &Diagnostic) -> Option<Option<Box<str>>> {
        let at = diagnostic.primary;
        for directive in &mut self.list {
            let inside = directive.covers.file == at.file
                && directive.covers.start <= at.start
                && at.start < directive.covers.end;
            if !inside {
                continue;
            }
            for (rule, used) in &mut directive.rules {
                if *rule == diagnostic.rule.name {
                    *used = true;
                    return Some(directive.reason.clone());
                }
            }
        }
        None
    }

    /// Directives that silenced a finding, with the rule: a module file is linted in each unit
    /// calling it, and a directive one of them used is not unused.
    pub fn used(&self) -> Vec<(Span, &'static str)> {
        self.list
            .iter()
            .flat_map(|d| {
                d.rules
                    .iter()
                    .filter(|(_, used)| *used)
                    .map(|(rule, _)| (d.span, *rule))
            })
            .collect()
    }

    /// `invalid-suppression` for malformed directives, and `unused-suppression` for each rule
    /// that ran but that a directive of ours silenced nothing of.
    pub fn leftovers(self, enabled: &BTreeSet<&'static str>, unused: bool) -> Vec<Diagnostic> {
        let mut out: Vec<Diagnostic> = self
            .invalid
            .into_iter()
            .map(|(span, message)| {
                Diagnostic::builtin(&builtin::INVALID_SUPPRESSION, span, message)
            })
            .collect();
        if unused {
            for directive in self.list.iter().filter(|d| !d.foreign) {
                for (rule, used) in &directive.rules {
                    if !used && enabled.contains(rule) {
                        out.push(Diagnostic::builtin(
                            &builtin::UNUSED_SUPPRESSION,
                            directive.span,
                            unused_message(rule),
                        ));
                    }
                }
            }
        }
        out
    }
}

/// The message of an `unused-suppression` for `rule`.
pub fn unused_message(rule: &str) -> String {
    format!("suppression of `{rule}` matches no finding")
}

/// The region a directive comment covers. After code on its line: that line, and an item (a
/// block) starting on it. On a line of its own: the next item, if only whitespace and comments
/// (and YAML's `-`) separate them.
fn coverage(comment: Span, items: &[Span], comments: &[Comment], text: &str, yaml: bool) -> Span {
    let start = comment.start as usize;
    let line_start = text
        .get(..start)
        .and_then(|before| before.rfind('\n'))
        .map_or(0, |n| n + 1);
    let before = text.get(line_start..start).unwrap_or("");
    let nothing = Span::new(comment.file, start, start);
    let own_line = before.trim().is_empty() || (yaml && before.trim() == "-");
    if !own_line {
        let line = Span::new(comment.file, line_start, start);
        return items
            .iter()
            .filter(|item| item.start as usize >= line_start && item.start < comment.start)
            .max_by_key(|item| (item.end, std::cmp::Reverse(item.start)))
            .map_or(line, |item| item.cover(line));
    }
    let Some(next) = items
        .iter()
        .filter(|item| item.start >= comment.end)
        .min_by_key(|item| (item.start, std::cmp::Reverse(item.end)))
    else {
        return nothing;
    };
    let mut at = comment.end as usize;
    let bytes = text.as_bytes();
    while at < next.start as usize {
        if let Some(other) = comments.iter().find(|c| c.span.start as usize == at) {
            at = (other.span.end as usize).max(at + 1);
            continue;
        }
        match bytes.get(at) {
            Some(b' ' | b'\t' | b'\r' | b'\n') => at += 1,
            Some(b'-') if yaml => at += 1,
            _ => return nothing,
        }
    }
    *next
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_directive_prefix_is_one_request_reads() {
        // The prefix list lets files without any directive skip the comment walk.
        for prefix in DIRECTIVE_PREFIXES {
            assert!(request(&format!("{prefix}x")).is_some(), "{prefix}");
        }
        assert!(request("ignore this").is_none());
    }

    #[test]
    fn reads_our_directives() {
        assert_eq!(
            request("cloudlint:ignore a-b, c-d -- reviewed by sec"),
            Some(Ok(Request::Ours {
                rules: vec!["a-b".into(), "c-d".into()],
                reason: Some("reviewed by sec".into())
            }))
        );
        assert!(matches!(request("cloudlint:ignore"), Some(Err(_))));
        assert!(matches!(request("cloudlint:ignored x"), Some(Err(_))));
        assert!(matches!(request("cloudlint:skip x"), Some(Err(_))));
        assert_eq!(request("just a comment"), None);
    }

    #[test]
    fn reads_other_tools_directives() {
        assert_eq!(
            request("checkov:skip=CKV_AWS_62:admin role"),
            Some(Ok(Request::Foreign {
                ids: vec!["CKV_AWS_62".into()],
                reason: Some("admin role".into()),
                whole_file: false,
            }))
        );
        assert_eq!(
            request("trivy:ignore:AVD-AWS-0057 why"),
            Some(Ok(Request::Foreign {
                ids: vec!["AVD-AWS-0057".into()],
                reason: None,
                whole_file: false,
            }))
        );
    }

    #[test]
    fn unknown_rules_suggest_the_closest() {
        let error = resolve("iam-wildcard-admin-polcy").unwrap_err();
        assert!(
            error.contains("did you mean `iam-wildcard-admin-policy`"),
            "{error}"
        );
        assert!(
            resolve("parse-error")
                .unwrap_err()
                .contains("cannot be suppressed")
        );
    }
}
