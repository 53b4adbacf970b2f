//! Flags security-group ingress grants letting the whole IPv4 or IPv6 internet reach TCP port 22.

use crate::model::ec2::security_group::{Cidr, IngressRule, Protocol, SecurityGroup};
use crate::model::value::consistent_conditions;
use crate::model::{Leaf, Model, Origin, ResourceRef, UnknownReason, Value, when_clause};
use crate::rules::{Findings, Format, Rule, RuleMeta, Service, Severity};
use crate::source::Span;

pub const RULE: Rule = Rule {
    meta: RuleMeta {
        name: "ec2-ssh-open-to-internet",
        module: module_path!(),
        service: Service::Ec2,
        severity: Severity::High,
        formats: &[Format::Terraform, Format::CloudFormation],
        summary: "Security group lets the whole internet reach SSH (TCP port 22)",
        rationale: "An ingress grant from `0.0.0.0/0` or `::/0` that covers TCP port 22 exposes \
the SSH daemon of every instance in the group to constant scanning, password guessing and any \
unpatched vulnerability of the daemon. A rule for all traffic (`-1`) or a TCP port range around 22 \
opens SSH as well. Grants from other security groups, the group itself or a prefix list are not \
the internet, and neither is any narrower CIDR.",
        remediation: "Allow SSH only from the networks that need it, or drop the rule and connect \
through AWS Systems Manager Session Manager or EC2 Instance Connect.\n\nTerraform:\n\n\
```hcl\ningress {\n  protocol    = \"tcp\"\n  from_port   = 22\n  to_port     = 22\n  cidr_blocks = [\"203.0.113.0/24\"]\n}\n```\n\n\
CloudFormation:\n\n\
```yaml\nSecurityGroupIngress:\n  - IpProtocol: tcp\n    FromPort: 22\n    ToPort: 22\n    SourceSecurityGroupId: !Ref BastionGroup\n```",
        references: &[
            "https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html",
            "https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-13",
        ],
        aliases: &["CKV_AWS_24", "65905cec-d691-4320-b320-2000436cb696"],
    },
    check,
};

const SSH_PORT: i64 = 22;

type Conditions<'a> = Vec<(&'a str, bool)>;

/// One way an entry's protocol and ports can turn out that may admit TCP 22, with the
/// conditions leading to it; ways that cannot admit it are left out.
struct Outcome<'a> {
    reach: Reach<'a>,
    conditions: Conditions<'a>,
}

enum Reach<'a> {
    Ssh { all_traffic: bool },
    Unknown(Span, &'a UnknownReason),
}

fn check(model: &Model, findings: &mut Findings) {
    let groups = &model.ec2.security_groups;
    for group in &groups.groups {
        for rule in &group.ingress {
            check_rule(&group.resource, Some(group), rule, findings);
        }
    }
    for rule in &groups.orphan_rules {
        if let Some(on) = &rule.declared_by {
            check_rule(on, None, rule, findings);
        }
    }
}

fn check_rule<'r>(
    on: &ResourceRef,
    group: Option<&SecurityGroup>,
    rule: &'r IngressRule,
    findings: &mut Findings,
) {
    let outcomes = outcomes(rule);
    // Unknown sources matter only while the entry is not already open in every deployment: true
    // OR unknown is true (RULES.md 1), so `[var.c, "0.0.0.0/0"]` is one finding and no note.
    let mut open_always = false;
    let mut pending = Vec::new();
    for source in &rule.sources {
        let mut unknown = None;
        let mut reported = false;
        for branch in source.cidr.branches() {
            // A CIDR branch pairs only with the protocol and ports of the same deployment:
            // conditions it shares with them must have the same outcome (RULES.md 2.4).
            let with = |outcome: &Outcome<'r>| {
                consistent_conditions(
                    rule.conditions
                        .iter()
                        .chain(&source.conditions)
                        .map(|(c, outcome)| (&**c, *outcome))
                        .chain(branch.conditions.iter().copied())
                        .chain(outcome.conditions.iter().copied()),
                )
            };
            match branch.leaf {
                Leaf::Known {
                    value: cidr,
                    origin,
                    span,
                } => {
                    if !cidr.is_internet() {
                        continue;
                    }
                    for outcome in &outcomes {
                        let Some(conditions) = with(outcome) else {
                            continue;
                        };
                        let all_traffic = match outcome.reach {
                            Reach::Ssh { all_traffic } => all_traffic,
                            Reach::Unknown(at, reason) => {
                                unknown.get_or_insert((
                                    at,
                                    reason,
                                    "whether the rule opens TCP port 22",
                                ));
                                continue;
                            }
                        };
                        if let Some((reason, at)) = &rule.direction_unknown {
                            // Open if it is an ingress rule, which is not known offline.
                            unknown.get_or_insert((*at, reason, "whether the rule is ingress"));
                            break;
                        }
                        open_always |= conditions.is_empty();
                        let when = when_clause(conditions);
                        let text = cidr.0.trim();
                        let message = if all_traffic {
                            format!(
                                "all traffic, SSH included, is open to the internet from `{text}`{when}"
                            )
                        } else {
                            format!("SSH (TCP 22) is open to the internet from `{text}`{when}")
                        };
                        let finding = findings.report(on, span, message);
                        if let Origin::Explicit { defined_at } = origin {
                            finding.defined_at(defined_at);
                        }
                        label_rule(finding, rule, group);
                        reported = true;
                        break;
                    }
                }
                Leaf::Unknown { reason, span } => {
                    if reason.could_be(Cidr::could_be_internet)
                        && outcomes.iter().any(|outcome| with(outcome).is_some())
                    {
                        unknown.get_or_insert((span, reason, "whether the source is the internet"));
                    }
                }
            }
        }
        if let (false, Some(unknown)) = (reported, unknown) {
            pending.push(unknown);
        }
    }
    if !open_always {
        for (at, reason, what) in pending {
            findings.unverifiable(on, at, what, reason);
        }
    }
}

/// Co-facts of a finding: protocol, ports and the group the grant belongs to.
fn label_rule(
    finding: &mut crate::rules::Finding,
    rule: &IngressRule,
    group: Option<&SecurityGroup>,
) {
    if let Value::Known {
        value,
        origin: Origin::Explicit { .. },
        span,
    } = &rule.protocol
    {
        let what = match value {
            Protocol::All => "all protocols and ports",
            Protocol::Tcp | Protocol::Other(_) => "TCP",
        };
        finding.label(*span, what);
    }
    if !matches!(rule.protocol.known(), Some(Protocol::All)) {
        for (port, name) in [(&rule.from_port, "from port"), (&rule.to_port, "to port")] {
            if let Value::Known {
                value,
                origin: Origin::Explicit { .. },
                span,
            } = port
            {
                finding.label(*span, format!("{name} {value}"));
            }
        }
    }
    if let Some(group) = group {
        finding.label(group.resource.span, "in this security group");
    }
}

/// Every way the entry's protocol and ports may admit TCP 22, in source order (true branch
/// first); combinations needing a condition both true and false are no way at all.
fn outcomes(rule: &IngressRule) -> Vec<Outcome<'_>> {
    let mut out = Vec::new();
    for protocol in rule.protocol.branches() {
        match protocol.leaf {
            Leaf::Known {
                value: Protocol::All,
                ..
            } => out.push(Outcome {
                reach: Reach::Ssh { all_traffic: true },
                conditions: protocol.conditions,
            }),
            Leaf::Known {
                value: Protocol::Tcp,
                ..
            } => tcp_ports(rule, &protocol.conditions, &mut out),
            Leaf::Known {
                value: Protocol::Other(_),
                ..
            } => {}
            Leaf::Unknown { reason, span } => out.push(Outcome {
                reach: Reach::Unknown(span, reason),
                conditions: protocol.conditions,
            }),
        }
    }
    out
}

/// TCP ports: `from <= 22 <= to`, and `-1` (or omitted) for every port.
fn tcp_ports<'a>(rule: &'a IngressRule, protocol: &Conditions<'a>, out: &mut Vec<Outcome<'a>>) {
    let all = IngressRule::ALL_PORTS;
    for from in rule.from_port.branches() {
        for to in rule.to_port.branches() {
            let Some(conditions) = consistent_conditions(
                protocol
                    .iter()
                    .chain(&from.conditions)
                    .chain(&to.conditions)
                    .copied(),
            ) else {
                continue;
            };
            let reach = match (from.leaf, to.leaf) {
                (Leaf::Known { value: from, .. }, Leaf::Known { value: to, .. }) => {
                    if *from == all || *to == all || (*from <= SSH_PORT && SSH_PORT <= *to) {
                        Reach::Ssh { all_traffic: false }
                    } else {
                        continue;
                    }
                }
                (Leaf::Known { value: from, .. }, Leaf::Unknown { .. })
                    if *from != all && *from > SSH_PORT =>
                {
                    continue;
                }
                (Leaf::Unknown { .. }, Leaf::Known { value: to, .. })
                    if *to != all && *to < SSH_PORT =>
                {
                    continue;
                }
                (Leaf::Unknown { reason, span }, _) | (_, Leaf::Unknown { reason, span }) => {
                    Reach::Unknown(span, reason)
                }
            };
            out.push(Outcome { reach, conditions });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ec2::security_group::Source;
    use crate::model::testing::{header, resource, run, span, unknown_var};

    fn rule(protocol: &str, from: i64, to: i64, cidrs: &[(&str, u32)]) -> IngressRule {
        IngressRule {
            declared_by: None,
            conditions: Vec::new(),
            direction_unknown: None,
            protocol: Value::explicit(Protocol::parse(protocol), span(10)),
            from_port: Value::explicit(from, span(11)),
            to_port: Value::explicit(to, span(12)),
            sources: cidrs
                .iter()
                .map(|(text, at)| source(Value::explicit(Cidr((*text).into()), span(*at))))
                .collect(),
        }
    }

    fn source(cidr: Value<Cidr>) -> Source {
        Source {
            conditions: Vec::new(),
            cidr,
        }
    }

    fn group(ingress: Vec<IngressRule>) -> Model {
        let mut model = Model::default();
        model.ec2.security_groups.groups.push(SecurityGroup {
            resource: resource(),
            ingress,
        });
        model
    }

    #[test]
    fn tcp_22_from_the_internet_points_at_the_cidr() {
        let out = run(
            &RULE,
            group(vec![rule(
                "tcp",
                22,
                22,
                &[("10.0.0.0/8", 20), ("0.0.0.0/0", 21)],
            )]),
        );
        assert_eq!(out.spans(), [span(21)]);
        assert_eq!(
            out.messages(),
            ["SSH (TCP 22) is open to the internet from `0.0.0.0/0`"]
        );
    }

    #[test]
    fn port_ranges_decide_tcp() {
        for (from, to, open) in [
            (0, 65535, true),
            (20, 30, true),
            (0, 0, false),
            (23, 65535, false),
            (-1, -1, true),
        ] {
            let out = run(&RULE, group(vec![rule("tcp", from, to, &[("::/0", 20)])]));
            assert_eq!(out.spans().len(), usize::from(open), "{from}-{to}");
        }
    }

    #[test]
    fn all_traffic_ignores_ports_and_other_protocols_never_open_ssh() {
        let out = run(&RULE, group(vec![rule("-1", 0, 0, &[("::0/0", 20)])]));
        assert_eq!(
            out.messages(),
            ["all traffic, SSH included, is open to the internet from `::0/0`"]
        );
        for protocol in ["udp", "icmp", "47"] {
            let out = run(
                &RULE,
                group(vec![rule(protocol, 22, 22, &[("0.0.0.0/0", 20)])]),
            );
            assert!(
                out.spans().is_empty() && out.unverified() == 0,
                "{protocol}"
            );
        }
    }

    #[test]
    fn narrower_and_malformed_cidrs_pass() {
        let cidrs = [
            ("0.0.0.0/1", 20),
            ("203.0.113.0/24", 21),
            ("0.0.0.0/0/0", 22),
        ];
        let out = run(&RULE, group(vec![rule("tcp", 22, 22, &cidrs)]));
        assert!(out.spans().is_empty() && out.unverified() == 0);
    }

    #[test]
    fn an_unknown_source_is_unverifiable_unless_the_ports_rule_it_out() {
        let mut open = rule("tcp", 22, 22, &[]);
        open.sources.push(source(unknown_var("cidr", 20)));
        let out = run(&RULE, group(vec![open]));
        assert!(out.spans().is_empty());
        assert_eq!(out.unverified(), 1);

        let mut closed = rule("tcp", 443, 443, &[]);
        closed.sources.push(source(unknown_var("cidr", 20)));
        assert_eq!(run(&RULE, group(vec![closed])).unverified(), 0);
    }

    #[test]
    fn an_unknown_protocol_or_port_is_unverifiable_where_it_decides() {
        let mut protocol = rule("tcp", 22, 22, &[("0.0.0.0/0", 20)]);
        protocol.protocol = unknown_var("protocol", 10);
        let out = run(&RULE, group(vec![protocol]));
        assert!(out.spans().is_empty());
        assert_eq!(out.0[0].primary, span(10));

        let mut to = rule("tcp", 30, 40, &[("0.0.0.0/0", 20)]);
        to.to_port = unknown_var("to", 12);
        assert_eq!(run(&RULE, group(vec![to])).unverified(), 0);
    }

    #[test]
    fn omitted_tcp_ports_are_every_port() {
        let mut rule = rule("tcp", 0, 0, &[("0.0.0.0/0", 20)]);
        rule.from_port = Value::aws_default(IngressRule::ALL_PORTS, header());
        rule.to_port = Value::aws_default(IngressRule::ALL_PORTS, header());
        assert_eq!(run(&RULE, group(vec![rule])).spans(), [span(20)]);
    }

    #[test]
    fn conditions_of_entry_and_protocol_end_the_message() {
        let mut rule = rule("tcp", 22, 22, &[("0.0.0.0/0", 20)]);
        rule.conditions.push(("IsDev".into(), true));
        rule.protocol = Value::Conditional {
            condition: "Open".into(),
            when_true: Box::new(Value::explicit(Protocol::All, span(13))),
            when_false: Box::new(Value::explicit(Protocol::parse("udp"), span(14))),
        };
        let out = run(&RULE, group(vec![rule]));
        assert_eq!(
            out.messages(),
            [
                "all traffic, SSH included, is open to the internet from `0.0.0.0/0` when IsDev is true and Open is true"
            ]
        );
    }

    #[test]
    fn branches_of_one_condition_combine_only_with_the_same_outcome() {
        let choose = |on_true: i64, on_false: i64, at: u32| Value::Conditional {
            condition: "IsProd".into(),
            when_true: Box::new(Value::explicit(on_true, span(at))),
            when_false: Box::new(Value::explicit(on_false, span(at + 1))),
        };
        // 20-21 or 30-40: never 20-40.
        let mut apart = rule("tcp", 0, 0, &[("0.0.0.0/0", 20)]);
        apart.from_port = choose(20, 30, 11);
        apart.to_port = choose(21, 40, 13);
        let out = run(&RULE, group(vec![apart]));
        assert!(out.spans().is_empty() && out.unverified() == 0);

        let mut open = rule("tcp", 0, 0, &[]);
        open.from_port = choose(443, 22, 11);
        open.to_port = choose(443, 22, 13);
        open.sources.push(source(Value::Conditional {
            condition: "IsProd".into(),
            when_true: Box::new(Value::explicit(Cidr("10.0.0.0/8".into()), span(20))),
            when_false: Box::new(Value::explicit(Cidr("0.0.0.0/0".into()), span(21))),
        }));
        assert_eq!(
            run(&RULE, group(vec![open])).messages(),
            ["SSH (TCP 22) is open to the internet from `0.0.0.0/0` when IsProd is false"]
        );
    }

    #[test]
    fn orphan_rules_are_reported_on_the_rule() {
        let mut orphan = rule("tcp", 22, 22, &[("0.0.0.0/0", 20)]);
        let mut by = resource();
        by.address = "aws_security_group_rule.ssh".into();
        orphan.declared_by = Some(by);
        let mut model = Model::default();
        model.ec2.security_groups.orphan_rules.push(orphan);
        let out = run(&RULE, model);
        assert_eq!(&*out.0[0].resource, "aws_security_group_rule.ssh");
    }

    #[test]
    fn an_unknown_source_beside_an_open_one_changes_nothing() {
        let mut entry = rule("tcp", 22, 22, &[("0.0.0.0/0", 21)]);
        entry.sources.insert(0, source(unknown_var("cidr", 20)));
        let out = run(&RULE, group(vec![entry]));
        assert_eq!(out.spans(), [span(21)]);
        assert_eq!(out.unverified(), 0);
    }
}
