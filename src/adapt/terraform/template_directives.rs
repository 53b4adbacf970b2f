//! `%{ if }` directives of a `templatefile` whose conditions are known: the template as Terraform
//! renders it, with every removed byte blanked rather than deleted, so JSON parsed from the result
//! keeps its spans in the template file (RULES.md 2.2, 2.6).

/// Directives nested deeper than this are left unrendered.
const MAX_NESTING: usize = 32;

/// The text with each `%{ if c }`/`%{ else }`/`%{ endif }` resolved by `condition` (the template
/// variable's value, `None` when not known offline): directives and skipped branches become
/// spaces, line breaks are kept. `None` when the text holds another directive (`for`), a
/// condition that is not one variable, or an unknown one: the caller leaves it unevaluated.
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
                let (negated, name) = match rest.trim().strip_prefix('!') {
                    Some(name) => (true, name.trim()),
                    None => (false, rest.trim()),
                };
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
    fn an_escaped_directive_is_text() {
        assert_eq!(render("%%{ if x }", true).as_deref(), Some("%%{ if x }"));
    }
}
