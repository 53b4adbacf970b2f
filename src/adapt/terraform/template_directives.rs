//! `%{ if }` directives of a `templatefile`: the template as Terraform renders it for given
//! outcomes of their conditions (known ones, or each branch of unknown ones), with every removed
//! byte blanked rather than deleted, so JSON parsed from the result keeps its spans in the template
//! file (RULES.md 2.2, 2.4, 2.6).

/// Directives nested deeper than this are left unrendered.
const MAX_NESTING: usize = 32;

/// The text with each `%{ if c }`/`%{ else }`/`%{ endif }` resolved by `condition` (its outcome,
/// `None` when not decided): directives and skipped branches become spaces, line breaks are kept.
/// `None` when the text holds another directive (`for`) or an undecided condition.
pub fn render_if_directives(
    text: &str,
    condition: &dyn Fn(&str) -> Option<bool>,
) -> Option<String> {
    let mut out = text.as_bytes().to_vec();
    // Each open `if`: whether its current branch is kept, and whether it has seen `else`.
    let mut open: Vec<(bool, bool)> = Vec::new();
    let mut at = 0;
    let mut skipped_from: Option<usize> = None;
    while let Some(found) = text.get(at..)?.find("%{") {
        let start = at + found;
        // `%%{` is a literal `%{`.
        if start > 0 && text.as_bytes().get(start - 1) == Some(&b'%') {
            at = start + 2;
            continue;
        }
        let end = start + text.get(start..)?.find('}')?;
        let inner = text.get(start + 2..end)?.trim().trim_matches('~').trim();
        let kept_before = open.iter().all(|(kept, _)| *kept);
        match inner.split_once(char::is_whitespace) {
            Some(("if", rest)) => {
                if open.len() >= MAX_NESTING {
                    return None;
                }
                let (negated, name) = if_condition(rest);
                let value = condition(name)?;
                open.push((value != negated, false));
            }
            _ if inner == "else" => {
                let (kept, seen_else) = open.last_mut()?;
                if *seen_else {
                    return None;
                }
                *kept = !*kept;
                *seen_else = true;
            }
            _ if inner == "endif" => {
                open.pop()?;
            }
            _ => return None,
        }
        let kept_after = open.iter().all(|(kept, _)| *kept);
        // Blank the directive and, once the branch it closes or opens is skipped, the text up to
        // the next kept branch.
        match (kept_before, kept_after) {
            (true, false) => skipped_from = Some(start),
            (false, true) => {
                let from = skipped_from.take()?;
                blank(&mut out, from, end + 1);
            }
            (true, true) => blank(&mut out, start, end + 1),
            (false, false) => {}
        }
        at = end + 1;
    }
    if !open.is_empty() {
        return None;
    }
    String::from_utf8(out).ok()
}

/// The condition of `%{ if <rest> }` as `condition` is asked it: whether it is negated (`!flag`),
/// and the rest (a variable name, or an expression such as `arn != ""`).
fn if_condition(rest: &str) -> (bool, &str) {
    match rest.trim().strip_prefix('!') {
        Some(name) => (true, name.trim()),
        None => (false, rest.trim()),
    }
}

/// The conditions of the text's `%{ if }` directives, as `render_if_directives` asks them, each
/// once, in order of first use.
pub fn if_conditions(text: &str) -> Vec<&str> {
    let mut conditions: Vec<&str> = Vec::new();
    let mut at = 0;
    while let Some(found) = text.get(at..).and_then(|rest| rest.find("%{")) {
        let start = at + found;
        let Some(end) = text.get(start..).and_then(|rest| rest.find('}')) else {
            break;
        };
        let end = start + end;
        let escaped = start > 0 && text.as_bytes().get(start - 1) == Some(&b'%');
        let inner = text
            .get(start + 2..end)
            .unwrap_or("")
            .trim()
            .trim_matches('~')
            .trim();
        if let (false, Some(("if", rest))) = (escaped, inner.split_once(char::is_whitespace)) {
            let (_, name) = if_condition(rest);
            if !conditions.contains(&name) {
                conditions.push(name);
            }
        }
        at = end + 1;
    }
    conditions
}

/// Spaces over `out[from..to]`, line breaks kept so line numbers stay.
fn blank(out: &mut [u8], from: usize, to: usize) {
    for byte in out.iter_mut().take(to).skip(from) {
        if *byte != b'\n' && *byte != b'\r' {
            *byte = b' ';
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(text: &str, on: bool) -> Option<String> {
        render_if_directives(text, &|name| (name == "on").then_some(on))
    }

    #[test]
    fn a_false_condition_blanks_its_branch_and_keeps_offsets() {
        let text = "[1%{ if on },\n2%{ endif }]";
        let expected = format!("[1{}\n{}]", " ".repeat(11), " ".repeat(11));
        assert_eq!(expected.len(), text.len());
        assert_eq!(render(text, false), Some(expected));
    }

    #[test]
    fn a_true_condition_keeps_its_branch_and_blanks_the_else() {
        let text = "[%{ if !on }1%{ else }2%{ endif }]";
        let expected = format!("[{}2{}]", " ".repeat(21), " ".repeat(10));
        assert_eq!(render(text, true), Some(expected));
    }

    #[test]
    fn unknown_conditions_loops_and_unclosed_ifs_are_not_rendered() {
        assert_eq!(render("%{ if other }x%{ endif }", true), None);
        assert_eq!(render("%{ for x in xs }${x}%{ endfor }", true), None);
        assert_eq!(render("%{ if on }x", true), None);
        assert_eq!(render("%{ endif }", true), None);
    }

    #[test]
    fn if_conditions_are_listed_once_without_negation_or_escapes() {
        let text =
            "%{ if a != \"\" ~}x%{ endif }%{ if !b }y%{ else }z%{ endif }%%{ if c }%{ if b }";
        assert_eq!(if_conditions(text), vec!["a != \"\"", "b"]);
    }

    #[test]
    fn an_escaped_directive_is_text() {
        assert_eq!(render("%%{ if x }", true).as_deref(), Some("%%{ if x }"));
    }
}
