//! IAM rules and the facts about policy statements they share.

pub mod invalid_policy_document;
pub mod wildcard_admin_policy;

use crate::model::iam::Statement;
use crate::model::{Leaf, Value, merge_when};
use crate::text::Text;

/// What a statement's `Effect` amounts to for rules granting access.
#[derive(Debug, PartialEq)]
pub enum EffectIs<'a> {
    /// Allow, in the branches listed (an empty list: unconditionally).
    Allow(Vec<Vec<(&'a str, bool)>>),
    Unknown(&'a Value<Text>),
    /// Deny, invalid or missing: grants nothing.
    NotAllow,
}

pub fn effect(statement: &Statement) -> EffectIs<'_> {
    let Some(effect) = &statement.effect else {
        return EffectIs::NotAllow;
    };
    let mut allow = Vec::new();
    let mut unknown = false;
    for branch in effect.branches() {
        match branch.leaf {
            Leaf::Known { value, .. } if &**value == "Allow" => allow.push(branch.conditions),
            Leaf::Known { .. } => {}
            Leaf::Unknown { .. } => unknown = true,
        }
    }
    match (allow.is_empty(), unknown) {
        (false, _) => EffectIs::Allow(allow),
        (true, true) => EffectIs::Unknown(effect),
        (true, false) => EffectIs::NotAllow,
    }
}

/// Conditions (name, outcome) that must all hold: a branch of `Fn::If`/`c ? a : b` choices.
pub type When<'a> = Vec<(&'a str, bool)>;

/// Narrows `when` to the branches where none of `blockers` holds: `None` when a blocker holds in
/// all of them. A blocker left open by one condition adds that condition's other outcome; one left
/// open by several cannot be written as one branch, so `when` stays as it is (the fact still holds
/// in some of its branches).
pub fn unless<'a>(mut when: When<'a>, blockers: &[When<'a>]) -> Option<When<'a>> {
    for blocker in blockers {
        let Some(joined) = merge_when(&when, blocker) else {
            continue; // never holds together with `when`
        };
        let open: Vec<(&str, bool)> = joined[when.len()..].to_vec();
        match open.as_slice() {
            [] => return None,
            [(name, outcome)] => when.push((name, !outcome)),
            _ => {}
        }
    }
    Some(when)
}

/// Did-you-mean: the allowed name one case change or one or two edits away.
pub fn suggest<'a>(name: &str, allowed: &[&'a str]) -> Option<&'a str> {
    allowed
        .iter()
        .copied()
        .filter(|candidate| {
            candidate.eq_ignore_ascii_case(name)
                || edit_distance(&name.to_ascii_lowercase(), &candidate.to_ascii_lowercase()) <= 2
        })
        .min_by_key(|candidate| edit_distance(name, candidate))
}

pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let best = (previous[j] + cost)
                .min(previous[j + 1] + 1)
                .min(current[j] + 1);
            current.push(best);
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blockers_narrow_or_cancel_a_branch() {
        assert_eq!(unless(vec![("A", true)], &[vec![]]), None);
        assert_eq!(unless(vec![("A", true)], &[vec![("A", true)]]), None);
        assert_eq!(
            unless(vec![("A", true)], &[vec![("A", false)]]),
            Some(vec![("A", true)])
        );
        assert_eq!(
            unless(vec![], &[vec![("B", true)]]),
            Some(vec![("B", false)])
        );
        assert_eq!(
            unless(vec![], &[vec![("B", true), ("C", true)]]),
            Some(vec![])
        );
    }

    #[test]
    fn suggestions_cover_case_and_small_typos() {
        let keys = ["Version", "Id", "Statement"];
        assert_eq!(suggest("Statements", &keys), Some("Statement"));
        assert_eq!(suggest("statement", &keys), Some("Statement"));
        assert_eq!(suggest("Principal", &keys), None);
    }
}
