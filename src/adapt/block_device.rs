//! Whether a block-device mapping creates an EBS volume at all, read the same way from both
//! formats: `no_device`/`NoDevice` suppresses the device, `virtual_name`/`VirtualName` makes it
//! instance store (RULES.md 5.1).

use crate::adapt::val::{Conditions, conditional_branches};
use crate::adapt::val::{Val, ValKind, as_bool};
use crate::model::UnknownReason;
use crate::model::Value;
use crate::model::ec2::ebs::EbsDevice;
use crate::source::Span;

/// Beyond this many combined branches of the two keys, the mapping is taken as undecided rather
/// than split further (a hostile nest of conditionals would otherwise multiply).
const MAX_BRANCHES: usize = 16;

/// What a mapping's suppressing keys say about its `ebs` part.
#[derive(Clone, Debug, PartialEq)]
pub enum Volume {
    /// Neither key is written, or each is `null`/`AWS::NoValue`: the `ebs` part creates a volume.
    Created,
    /// A suppressed device or instance store: no EBS volume.
    NotCreated,
    /// A value not known offline decides whether the volume exists.
    Undecided(UnknownReason, Span),
}

/// How `no_device` reads a written `false`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NoDeviceFalse {
    /// A boolean flag (instance `ebs_block_device`, CloudFormation launch configuration):
    /// `false` leaves the device in place.
    KeepsDevice,
    /// A string sent to EC2 as written (Terraform launch templates): any value suppresses.
    Suppresses,
}

/// The volume under each branch of the conditionals in `no_device` and `virtual_name`, with the
/// conditions selecting it (RULES.md 2.4).
pub fn volume_branches(
    no_device: Option<&Val>,
    virtual_name: Option<&Val>,
    no_device_false: NoDeviceFalse,
) -> Vec<(Conditions, Volume)> {
    let suppressed = leaves(no_device, &|val| match no_device_false {
        NoDeviceFalse::KeepsDevice => as_bool(val) != Some(false),
        NoDeviceFalse::Suppresses => true,
    });
    let instance_store = leaves(virtual_name, &|_| true);
    if suppressed.len() * instance_store.len() > MAX_BRANCHES {
        let span = no_device
            .or(virtual_name)
            .map_or_else(Span::default, |v| v.span);
        let reason = UnknownReason::Unsupported("a block device chosen by many conditions");
        return vec![(Conditions::new(), Volume::Undecided(reason, span))];
    }
    let mut out = Vec::new();
    for (first, by_device) in &suppressed {
        for (second, by_name) in &instance_store {
            let mut conditions = first.clone();
            conditions.extend(second.iter().cloned());
            out.push((conditions, combine(by_device, by_name)));
        }
    }
    out
}

/// The EBS volume a mapping creates under `volume`: none when not created; when undecided, its
/// encryption is unknown unless known on (an encrypted volume passes whether or not it exists).
pub fn created_device(volume: Volume, device: impl FnOnce() -> EbsDevice) -> Option<EbsDevice> {
    match volume {
        Volume::Created => Some(device()),
        Volume::NotCreated => None,
        Volume::Undecided(reason, at) => {
            let device = device();
            if device.encrypted.known() == Some(&true) {
                return Some(device);
            }
            Some(EbsDevice {
                encrypted: Value::unknown(reason, at),
                ..device
            })
        }
    }
}

/// Each branch of one key: whether it removes the volume (`removes` on a written value).
fn leaves(value: Option<&Val>, removes: &dyn Fn(&Val) -> bool) -> Vec<(Conditions, Volume)> {
    let Some(value) = value else {
        return vec![(Conditions::new(), Volume::Created)];
    };
    conditional_branches(value)
        .into_iter()
        .map(|(conditions, leaf)| {
            let volume = match &leaf.kind {
                ValKind::Absent | ValKind::Null => Volume::Created,
                _ => match leaf.unknown_reason() {
                    Some(reason) => Volume::Undecided(reason, leaf.span),
                    None if removes(leaf) => Volume::NotCreated,
                    None => Volume::Created,
                },
            };
            (conditions, volume)
        })
        .collect()
}

/// Either key removing the volume removes it; otherwise an undecided key leaves it undecided.
fn combine(by_device: &Volume, by_name: &Volume) -> Volume {
    match (by_device, by_name) {
        (Volume::NotCreated, _) | (_, Volume::NotCreated) => Volume::NotCreated,
        (Volume::Undecided(reason, span), _) | (_, Volume::Undecided(reason, span)) => {
            Volume::Undecided(reason.clone(), *span)
        }
        (Volume::Created, Volume::Created) => Volume::Created,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn at(start: usize) -> Span {
        Span::new(FileId(0), start, start + 1)
    }

    fn val(kind: ValKind, start: usize) -> Val {
        Val::new(kind, at(start))
    }

    fn only(branches: Vec<(Conditions, Volume)>) -> Volume {
        assert_eq!(branches.len(), 1);
        branches
            .into_iter()
            .next()
            .map(|(_, v)| v)
            .unwrap_or(Volume::Created)
    }

    #[test]
    fn null_keys_are_not_written() {
        let null = val(ValKind::Null, 1);
        let volume = volume_branches(Some(&null), Some(&null), NoDeviceFalse::Suppresses);
        assert_eq!(only(volume), Volume::Created);
    }

    #[test]
    fn an_empty_no_device_suppresses_and_a_boolean_false_keeps_the_device() {
        let empty = val(ValKind::String("".into()), 1);
        let volume = volume_branches(Some(&empty), None, NoDeviceFalse::Suppresses);
        assert_eq!(only(volume), Volume::NotCreated);
        let off = val(ValKind::Bool(false), 1);
        let volume = volume_branches(Some(&off), None, NoDeviceFalse::KeepsDevice);
        assert_eq!(only(volume), Volume::Created);
    }

    #[test]
    fn an_unknown_key_leaves_the_volume_undecided() {
        let unknown = val(ValKind::Unknown(UnknownReason::Variable("nd".into())), 7);
        let volume = volume_branches(None, Some(&unknown), NoDeviceFalse::KeepsDevice);
        assert_eq!(
            only(volume),
            Volume::Undecided(UnknownReason::Variable("nd".into()), at(7))
        );
    }

    #[test]
    fn a_conditional_key_gives_one_volume_per_branch() {
        let cond = val(
            ValKind::Conditional {
                condition: "var.spare".into(),
                when_true: Box::new(val(ValKind::String("".into()), 2)),
                when_false: Box::new(val(ValKind::Null, 3)),
            },
            1,
        );
        let volume = volume_branches(Some(&cond), None, NoDeviceFalse::Suppresses);
        assert_eq!(
            volume,
            vec![
                (vec![("var.spare".into(), true)], Volume::NotCreated),
                (vec![("var.spare".into(), false)], Volume::Created),
            ]
        );
    }
}
