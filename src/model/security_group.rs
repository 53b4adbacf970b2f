//! Security groups and their ingress rules, one source per grant so a finding can point at the
//! exact CIDR that opens a port.

use crate::text::Text;
use std::net::IpAddr;

use crate::model::{ResourceRef, UnknownReason, Value};
use crate::source::Span;

/// The security groups of a unit and the standalone ingress rules attached to them.
#[derive(Debug, Default)]
pub struct SecurityGroups {
    pub groups: Vec<SecurityGroup>,
    /// Standalone rules whose group is unknown or outside the unit: linted on their own.
    pub orphan_rules: Vec<IngressRule>,
    /// Standalone rules with the address of the group they name, waiting for [`Self::link`].
    pub unlinked: Vec<(Option<Text>, IngressRule)>,
}

impl SecurityGroups {
    /// Moves every waiting standalone rule into the group it names, or to the orphans.
    pub fn link(&mut self) {
        for (target, rule) in std::mem::take(&mut self.unlinked) {
            // An instance (`g["x"]`) of a group linted as one instance links to that one.
            let group = target.and_then(|target| {
                let addresses = self.groups.iter().map(|group| &*group.resource.address);
                let at = ResourceRef::linked_position(addresses, &target)?;
                self.groups.get_mut(at)
            });
            match group {
                Some(group) => group.ingress.push(rule),
                None => self.orphan_rules.push(rule),
            }
        }
    }
}

#[derive(Debug)]
pub struct SecurityGroup {
    pub resource: ResourceRef,
    pub ingress: Vec<IngressRule>,
}

/// One ingress entry: a protocol, a port range and the sources it admits.
#[derive(Debug)]
pub struct IngressRule {
    /// The standalone rule resource; `None` for an entry written inside its group.
    pub declared_by: Option<ResourceRef>,
    /// The entry only exists under these conditions (`Fn::If` around a list element).
    pub conditions: Vec<(Text, bool)>,
    /// A standalone rule whose direction (`type`) is not known offline: it may be egress.
    pub direction_unknown: Option<(UnknownReason, Span)>,
    pub protocol: Value<Protocol>,
    pub from_port: Value<i64>,
    pub to_port: Value<i64>,
    pub sources: Vec<Source>,
}

impl IngressRule {
    /// What AWS reads an omitted TCP port or `-1` as: every port.
    pub const ALL_PORTS: i64 = -1;
}

/// A CIDR source of a grant; security-group, self and prefix-list sources are not modelled
/// because they never admit the internet.
#[derive(Debug)]
pub struct Source {
    /// The source only exists under these conditions (a conditional list of CIDRs).
    pub conditions: Vec<(Text, bool)>,
    pub cidr: Value<Cidr>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Protocol {
    Tcp,
    /// `-1` / `all`: every protocol and port.
    All,
    /// Any other protocol, as written (lower case).
    Other(Text),
}

impl Protocol {
    /// Reads a protocol name or number as AWS does: case-insensitive, `6` is TCP, `-1` is all.
    pub fn parse(text: &str) -> Protocol {
        let text = text.trim().to_ascii_lowercase();
        match text.as_str() {
            "tcp" | "6" => Protocol::Tcp,
            "-1" | "all" => Protocol::All,
            _ => Protocol::Other(text.into()),
        }
    }
}

/// A CIDR as written; parsed on demand so any spelling of an address compares by meaning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cidr(pub Text);

impl Cidr {
    /// Address and prefix length, or `None` when the text is not a CIDR (then it is no source).
    pub fn parse(&self) -> Option<(IpAddr, u8)> {
        let (address, prefix) = self.0.trim().split_once('/')?;
        let address: IpAddr = address.parse().ok()?;
        if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let prefix: u8 = prefix.parse().ok()?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        (prefix <= max).then_some((address, prefix))
    }

    /// Whether the block covers every IPv4 or every IPv6 address (prefix length 0).
    pub fn is_internet(&self) -> bool {
        matches!(self.parse(), Some((_, 0)))
    }

    /// Whether a CIDR with unknown parts, each written `*`, could be the internet: a written
    /// prefix length other than 0 (`${var.base}/16`) rules it out.
    pub fn could_be_internet(pattern: &str) -> bool {
        match pattern.rsplit_once('/') {
            Some((_, prefix)) if !prefix.contains('*') => {
                !prefix.is_empty() && prefix.trim().bytes().all(|b| b == b'0')
            }
            Some(_) | None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(text: &str) -> Cidr {
        Cidr(text.into())
    }

    #[test]
    fn every_spelling_of_the_whole_internet_is_the_internet() {
        for text in [
            "0.0.0.0/0",
            "::/0",
            "::0/0",
            "0:0:0:0:0:0:0:0/0",
            "0000:0000:0000:0000:0000:0000:0000:0000/0",
            " 0.0.0.0/0 ",
        ] {
            assert!(cidr(text).is_internet(), "{text}");
        }
    }

    #[test]
    fn narrower_or_malformed_blocks_are_not_the_internet() {
        for text in [
            "0.0.0.0/1",
            "203.0.113.0/24",
            "::/1",
            "0.0.0.0",
            "0.0.0.0/",
            "0.0.0.0/+0",
            "0.0.0.0/33",
            "::/129",
            "nonsense/0",
            "",
        ] {
            assert!(!cidr(text).is_internet(), "{text}");
        }
    }

    #[test]
    fn a_written_prefix_length_decides_a_partly_unknown_cidr() {
        assert!(!Cidr::could_be_internet("*/16"));
        assert!(Cidr::could_be_internet("*/0"));
        assert!(Cidr::could_be_internet("*"));
        assert!(Cidr::could_be_internet("10.0.0.0/*"));
    }

    fn group(address: &str) -> SecurityGroup {
        SecurityGroup {
            resource: ResourceRef {
                address: address.into(),
                format: crate::model::Format::Terraform,
                span: at(),
            },
            ingress: Vec::new(),
        }
    }

    /// An SSH rule with no source, to be linked.
    fn rule() -> IngressRule {
        IngressRule {
            declared_by: None,
            direction_unknown: None,
            conditions: Vec::new(),
            protocol: Value::explicit(Protocol::Tcp, at()),
            from_port: Value::explicit(22, at()),
            to_port: Value::explicit(22, at()),
            sources: Vec::new(),
        }
    }

    fn at() -> crate::source::Span {
        crate::source::Span::new(crate::source::FileId(0), 0, 1)
    }

    #[test]
    fn standalone_rules_join_the_group_they_name_or_stay_orphans() {
        let mut groups = SecurityGroups {
            groups: vec![group("aws_security_group.web")],
            ..SecurityGroups::default()
        };
        groups
            .unlinked
            .push((Some("aws_security_group.web".into()), rule()));
        groups
            .unlinked
            .push((Some("aws_security_group.gone".into()), rule()));
        groups.unlinked.push((None, rule()));
        groups.link();
        assert_eq!(groups.groups[0].ingress.len(), 1);
        assert_eq!(groups.orphan_rules.len(), 2);
        assert!(groups.unlinked.is_empty());
    }

    #[test]
    fn rules_naming_an_instance_join_it_or_the_group_linted_as_one() {
        let mut groups = SecurityGroups {
            groups: vec![
                group("aws_security_group.tier[\"app\"]"),
                group("aws_security_group.tier[\"db\"]"),
                group("aws_security_group.one"),
            ],
            ..SecurityGroups::default()
        };
        for target in [
            "aws_security_group.tier[\"db\"]",
            "aws_security_group.one[0]",
            // Which instance is unknown: an orphan, never the first instance.
            "aws_security_group.tier",
        ] {
            groups.unlinked.push((Some(target.into()), rule()));
        }
        groups.link();
        let joined: Vec<usize> = groups.groups.iter().map(|g| g.ingress.len()).collect();
        assert_eq!(joined, [0, 1, 1]);
        assert_eq!(groups.orphan_rules.len(), 1);
    }

    #[test]
    fn protocols_normalize_names_and_numbers() {
        assert_eq!(Protocol::parse("TCP"), Protocol::Tcp);
        assert_eq!(Protocol::parse("6"), Protocol::Tcp);
        assert_eq!(Protocol::parse("-1"), Protocol::All);
        assert_eq!(Protocol::parse("All"), Protocol::All);
        assert_eq!(Protocol::parse("udp"), Protocol::Other("udp".into()));
    }
}
