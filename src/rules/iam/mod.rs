//! IAM rules and the facts about policy statements they share.

pub mod invalid_policy_document;
pub mod wildcard_admin_policy;

use crate::model::iam::Statement;
use crate::model::{Leaf, Value};
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
    fn suggestions_cover_case_and_small_typos() {
        let keys = ["Version", "Id", "Statement"];
        assert_eq!(suggest("Statements", &keys), Some("Statement"));
        assert_eq!(suggest("statement", &keys), Some("Statement"));
        assert_eq!(suggest("Principal", &keys), None);
    }
}
