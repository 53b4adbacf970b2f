//! S3 rules and what they share: three-valued settings combined from the bucket, the account and
//! orphan resources that may or may not configure the bucket (RULES.md 2.1).

pub mod missing_public_access_block;
pub mod public_acl;
pub mod public_policy;

use crate::model::s3::{BucketName, Child, Flag, Link, Ownership, PublicAccessBlock, S3};
use crate::model::{Leaf, ResourceRef, UnknownReason, Value, merge_when};
use crate::rules::Findings;
use crate::source::Span;

/// Beyond this many combinations of conditional settings, the answer is unverifiable.
const MAX_OUTCOMES: usize = 64;

/// A setting's state under some conditions.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome<'a> {
    pub when: Vec<(&'a str, bool)>,
    pub state: State<'a>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum State<'a> {
    On,
    Off,
    Unknown(Why<'a>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Why<'a> {
    Value(&'a UnknownReason, Span),
    /// A setting that may or may not apply to the bucket.
    Maybe(String, Span),
}

impl Why<'_> {
    pub fn report(&self, on: &ResourceRef, what: &str, findings: &mut Findings) {
        match self {
            Why::Value(reason, span) => {
                findings.unverifiable(on, *span, what, reason);
            }
            Why::Maybe(message, span) => {
                findings.unverifiable_because(on, *span, format!("{what} ({message})"));
            }
        }
    }
}

/// The outcomes of a value, `on` deciding each known leaf.
pub fn outcomes<'a, T>(value: &'a Value<T>, on: impl Fn(&T) -> bool) -> Vec<Outcome<'a>> {
    value
        .branches()
        .into_iter()
        .map(|branch| Outcome {
            state: match branch.leaf {
                Leaf::Known { value, .. } if on(value) => State::On,
                Leaf::Known { .. } => State::Off,
                Leaf::Unknown { reason, span } => State::Unknown(Why::Value(reason, span)),
            },
            when: branch.conditions,
        })
        .collect()
}

fn off<'a>() -> Vec<Outcome<'a>> {
    vec![Outcome {
        when: Vec::new(),
        state: State::Off,
    }]
}

fn combine<'a>(
    a: &[Outcome<'a>],
    b: &[Outcome<'a>],
    state: &dyn Fn(&State<'a>, &State<'a>) -> State<'a>,
    too_many: &Why<'a>,
) -> Vec<Outcome<'a>> {
    let mut out = Vec::new();
    for x in a {
        for y in b {
            if let Some(when) = merge_when(&x.when, &y.when) {
                out.push(Outcome {
                    when,
                    state: state(&x.state, &y.state),
                });
            }
        }
    }
    if out.len() > MAX_OUTCOMES {
        return vec![Outcome {
            when: Vec::new(),
            state: State::Unknown(too_many.clone()),
        }];
    }
    out
}

/// Three-valued OR: on wins, then unknown.
fn either<'a>(a: &State<'a>, b: &State<'a>) -> State<'a> {
    match (a, b) {
        (State::On, _) | (_, State::On) => State::On,
        (State::Unknown(why), _) | (_, State::Unknown(why)) => State::Unknown(why.clone()),
        (State::Off, State::Off) => State::Off,
    }
}

/// A source that may not apply: where it would turn the setting on, the answer is unknown.
fn maybe<'a>(outcomes: Vec<Outcome<'a>>, message: &str, span: Span) -> Vec<Outcome<'a>> {
    outcomes
        .into_iter()
        .map(|outcome| Outcome {
            state: match outcome.state {
                State::Off => State::Off,
                State::On | State::Unknown(_) => {
                    State::Unknown(Why::Maybe(message.to_string(), span))
                }
            },
            when: outcome.when,
        })
        .collect()
}

/// A bucket a setting is settled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Candidate<'a> {
    /// `S3::buckets[at]`.
    InUnit(usize),
    /// A bucket outside the scan: the one of that literal name, which the unit's children naming
    /// it configure, or (`None`) any other.
    Outside(Option<&'a str>),
}

impl Candidate<'_> {
    /// Whether a child linked by `link` configures this bucket for sure.
    fn is(&self, link: &Link) -> bool {
        match (self, link) {
            (Candidate::InUnit(at), Link::Bucket(linked)) => at == linked,
            (Candidate::Outside(Some(name)), Link::Outside { name: linked, .. }) => {
                name == &&**linked
            }
            _ => false,
        }
    }

    /// Whether a child linked by `link` may configure this bucket: an orphan, or a literal name
    /// this bucket's name, not known offline, may be.
    fn may_be(&self, link: &Link) -> bool {
        match (self, link) {
            (_, Link::Unknown { .. }) => true,
            (Candidate::InUnit(at), Link::Outside { or_maybe, .. }) => or_maybe.contains(at),
            _ => false,
        }
    }
}

/// A flag of `bucket`: the bucket's access blocks OR the account's, with orphan blocks and other
/// providers' account blocks as may-apply; with `ownership`, also `BucketOwnerEnforced` (ACLs
/// off).
pub fn setting<'a>(
    s3: &'a S3,
    bucket: Candidate<'_>,
    provider: &str,
    pick: fn(&PublicAccessBlock) -> &Flag,
    ownership: bool,
) -> Vec<Outcome<'a>> {
    let mut sources: Vec<Vec<Outcome<'a>>> = Vec::new();
    for block in &s3.access_blocks {
        let flag = &pick(&block.item).value;
        match &block.link {
            link if bucket.is(link) => sources.push(outcomes(flag, |on| *on)),
            link if bucket.may_be(link) => sources.push(maybe(
                outcomes(flag, |on| *on),
                &format!("`{}` may configure this bucket", block.resource.address),
                block.item.header,
            )),
            Link::Bucket(_) | Link::Outside { .. } | Link::Unknown { .. } | Link::Pending => {}
        }
    }
    for account in &s3.account_blocks {
        let flag = &pick(&account.block).value;
        if &*account.provider == provider {
            sources.push(outcomes(flag, |on| *on));
        } else {
            sources.push(maybe(
                outcomes(flag, |on| *on),
                &format!(
                    "the account-level block for provider `{}` may apply",
                    account.provider
                ),
                account.block.header,
            ));
        }
    }
    if ownership {
        for ownership in &s3.ownership {
            match &ownership.link {
                link if bucket.is(link) => sources.push(owner_enforced(ownership)),
                link if bucket.may_be(link) => sources.push(maybe(
                    owner_enforced(ownership),
                    &format!("`{}` may configure this bucket", ownership.resource.address),
                    ownership.item.header,
                )),
                Link::Bucket(_) | Link::Outside { .. } | Link::Unknown { .. } | Link::Pending => {}
            }
        }
    }
    let in_unit = match bucket {
        Candidate::InUnit(at) => s3.buckets.get(at),
        Candidate::Outside(_) => None,
    };
    let at = in_unit
        .map(|b| b.resource.span)
        .or_else(|| s3.account_blocks.first().map(|a| a.block.header))
        .or_else(|| s3.access_blocks.first().map(|b| b.item.header))
        .unwrap_or_default();
    let too_many = Why::Maybe("too many conditional settings".into(), at);
    sources.iter().fold(off(), |acc, source| {
        combine(&acc, source, &either, &too_many)
    })
}

/// Ownership `BucketOwnerEnforced` in any rule turns ACLs off.
pub fn owner_enforced(ownership: &Child<Ownership>) -> Vec<Outcome<'_>> {
    let too_many = Why::Maybe(
        "too many conditional settings".into(),
        ownership.item.header,
    );
    ownership
        .item
        .object_ownership
        .iter()
        .fold(off(), |all, rule| {
            let rule = outcomes(rule, |text| &**text == Ownership::BUCKET_OWNER_ENFORCED);
            combine(&all, &rule, &either, &too_many)
        })
}

/// The setting for a child resource: its bucket's, a bucket outside the scan's, or, when the
/// bucket may be one of several, the same over every candidate: for an orphan, each bucket of the
/// unit, each bucket outside it that other children name, and one more outside; for a literal
/// name, the bucket of that name outside the scan and each bucket of the unit that name may be.
pub fn for_link<'a>(
    s3: &'a S3,
    link: &'a Link,
    provider: &str,
    settle: &dyn Fn(Candidate<'a>, &str) -> Vec<Outcome<'a>>,
) -> Vec<Outcome<'a>> {
    match link {
        Link::Bucket(at) => {
            let provider = s3.buckets.get(*at).map_or(provider, |b| &*b.provider);
            settle(Candidate::InUnit(*at), provider)
        }
        Link::Outside { name, or_maybe } => {
            let mut all = settle(Candidate::Outside(Some(name)), provider);
            for (at, bucket) in or_maybe
                .iter()
                .filter_map(|&at| Some((at, s3.buckets.get(at)?)))
            {
                // At the bucket's name, the value not known offline.
                let at_name = match &bucket.name {
                    Some(BucketName::Expression { span, .. }) => *span,
                    _ => bucket.resource.span,
                };
                let why = Why::Maybe(
                    format!("`{name}` may be the name of `{}`", bucket.resource.address),
                    at_name,
                );
                let candidate = settle(Candidate::InUnit(at), &bucket.provider);
                all = combine(&all, &candidate, &|a, b| agree(a, b, &why), &why);
            }
            all
        }
        Link::Pending => settle(Candidate::Outside(None), provider),
        Link::Unknown { reason, span } => {
            let why = Why::Value(reason, *span);
            let agree = |a: &State<'a>, b: &State<'a>| agree(a, b, &why);
            let mut all = settle(Candidate::Outside(None), provider);
            for (at, bucket) in s3.buckets.iter().enumerate() {
                let candidate = settle(Candidate::InUnit(at), &bucket.provider);
                all = combine(&all, &candidate, &agree, &why);
            }
            let mut named_outside: Vec<&str> = s3
                .access_blocks
                .iter()
                .map(|block| &block.link)
                .chain(s3.ownership.iter().map(|ownership| &ownership.link))
                .filter_map(|link| match link {
                    Link::Outside { name, .. } => Some(&**name),
                    _ => None,
                })
                .collect();
            named_outside.sort_unstable();
            named_outside.dedup();
            for name in named_outside {
                let candidate = settle(Candidate::Outside(Some(name)), provider);
                all = combine(&all, &candidate, &agree, &why);
            }
            all
        }
    }
}

/// Two candidates' states as one: the same state, else unknown (`why`).
fn agree<'a>(a: &State<'a>, b: &State<'a>, why: &Why<'a>) -> State<'a> {
    match (a, b) {
        (State::On, State::On) => State::On,
        (State::Off, State::Off) => State::Off,
        (State::Unknown(why), _) | (_, State::Unknown(why)) => State::Unknown(why.clone()),
        (State::On, State::Off) | (State::Off, State::On) => State::Unknown(why.clone()),
    }
}

/// Flags picked by `pick` that are on but do not neutralize a finding on a child linked by
/// `link` (`block_public_acls`, `block_public_policy`: they reject new public grants and keep
/// one already set): of the blocks of the same bucket and of the account blocks of the same
/// provider, for labels (RULES.md 6.3, 7.4).
pub fn rejecting_flags<'a>(
    s3: &'a S3,
    link: &Link,
    provider: &'a str,
    pick: fn(&PublicAccessBlock) -> &Flag,
) -> Vec<&'a Flag> {
    let provider = match link {
        Link::Bucket(at) => s3.buckets.get(*at).map_or(provider, |b| &*b.provider),
        Link::Outside { .. } | Link::Pending | Link::Unknown { .. } => provider,
    };
    let bucket_blocks = s3
        .access_blocks
        .iter()
        .filter(|block| matches!((link, &block.link), (Link::Bucket(a), Link::Bucket(b)) if a == b))
        .map(|block| &block.item);
    let account_blocks = s3
        .account_blocks
        .iter()
        .filter(|account| &*account.provider == provider)
        .map(|account| &account.block);
    bucket_blocks
        .chain(account_blocks)
        .map(pick)
        .filter(|flag| flag.value.known() == Some(&true))
        .collect()
}

/// How the settings judge a violation found under `when`.
pub enum Verdict<'a> {
    /// Not neutralized, under these extra conditions.
    Violation(Vec<(&'a str, bool)>),
    Unverifiable(Why<'a>),
    Pass,
}

pub fn judge<'a>(neutralizers: &[Outcome<'a>], when: &[(&'a str, bool)]) -> Verdict<'a> {
    let compatible: Vec<(&Outcome<'a>, Vec<(&'a str, bool)>)> = neutralizers
        .iter()
        .filter_map(|o| merge_when(when, &o.when).map(|merged| (o, merged)))
        .collect();
    if let Some((_, merged)) = compatible.iter().find(|(o, _)| o.state == State::Off) {
        return Verdict::Violation(merged.clone());
    }
    match compatible.iter().find_map(|(o, _)| match &o.state {
        State::Unknown(why) => Some(why.clone()),
        State::On | State::Off => None,
    }) {
        Some(why) => Verdict::Unverifiable(why),
        None => Verdict::Pass,
    }
}

/// Where a variable or parameter value was written, for a known leaf at `span`.
pub fn defined_at<T>(value: &Value<T>, span: Span) -> Option<Span> {
    value
        .branches()
        .into_iter()
        .find_map(|branch| match branch.leaf {
            Leaf::Known {
                origin: crate::model::Origin::Explicit { defined_at },
                span: at,
                ..
            } if at == span => defined_at,
            Leaf::Known { .. } | Leaf::Unknown { .. } => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::span;

    #[test]
    fn or_keeps_branches_and_unknown_loses_to_on() {
        let conditional = Value::Conditional {
            condition: "Strict".into(),
            when_true: Box::new(Value::explicit(true, span(1))),
            when_false: Box::new(Value::explicit(false, span(2))),
        };
        let a = outcomes(&conditional, |on| *on);
        let unknown = Value::unknown(UnknownReason::Variable("v".into()), span(3));
        let b = outcomes(&unknown, |on: &bool| *on);
        let both = combine(&a, &b, &either, &Why::Maybe(String::new(), span(0)));
        assert_eq!(both.len(), 2);
        assert_eq!(both[0].state, State::On);
        assert!(matches!(both[1].state, State::Unknown(_)));
        let Verdict::Violation(when) = judge(&a, &[]) else {
            panic!("violation expected");
        };
        assert_eq!(when, [("Strict", false)]);
    }

    #[test]
    fn contradicting_conditions_are_skipped() {
        assert_eq!(merge_when(&[("A", true)], &[("A", false)]), None);
        assert_eq!(
            merge_when(&[("A", true)], &[("B", false)]),
            Some(vec![("A", true), ("B", false)])
        );
    }
}
