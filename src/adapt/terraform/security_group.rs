//! Security groups and ingress rules declared in Terraform.

use crate::adapt::security_group::{Keys, group_target, ingress_rule};
use crate::adapt::terraform::Resource;
use crate::adapt::val::as_text;
use crate::adapt::val::{block_bodies, conditional_items};
use crate::model::ec2::security_group::SecurityGroup;
use crate::model::{Model, UnknownReason};

/// `ingress` blocks of a group and `aws_security_group_rule`.
const CLASSIC: Keys = Keys {
    protocol: "protocol",
    from_port: "from_port",
    to_port: "to_port",
    cidrs: &["cidr_blocks", "ipv6_cidr_blocks"],
};

const VPC_RULE: Keys = Keys {
    protocol: "ip_protocol",
    from_port: "from_port",
    to_port: "to_port",
    cidrs: &["cidr_ipv4", "cidr_ipv6"],
};

/// Resource types this adapter reads; others are not evaluated at all.
pub const TYPES: &[&str] = &[
    "aws_default_security_group",
    "aws_security_group",
    "aws_security_group_rule",
    "aws_vpc_security_group_ingress_rule",
];

pub fn resource(resource: &Resource, model: &mut Model) {
    let body = &resource.body;
    let groups = &mut model.ec2.security_groups;
    match resource.resource_type() {
        "aws_security_group" | "aws_default_security_group" => {
            let mut ingress = Vec::new();
            for field in body
                .fields()
                .iter()
                .filter(|field| &*field.key == "ingress")
            {
                if field.is_block {
                    for (conditions, block) in block_bodies(&field.value) {
                        ingress.push(ingress_rule(
                            block,
                            field.key_span,
                            &CLASSIC,
                            None,
                            conditions,
                        ));
                    }
                    continue;
                }
                // `ingress = [{...}]`, possibly chosen by a conditional.
                for (conditions, entry) in conditional_items(&field.value) {
                    ingress.push(ingress_rule(entry, entry.span, &CLASSIC, None, conditions));
                }
            }
            groups.groups.push(SecurityGroup {
                resource: resource.reference.clone(),
                ingress,
            });
        }
        "aws_security_group_rule" => {
            // `type` decides the direction; each branch that may be ingress gives a rule, an
            // unknown one a rule that is only unverifiable (RULES.md 2.4).
            let Some(kind) = body.get("type") else { return };
            for (conditions, kind) in conditional_items(kind) {
                let direction_unknown = match as_text(kind) {
                    Some(kind) if kind.eq_ignore_ascii_case("ingress") => None,
                    Some(_) => continue,
                    None => Some((
                        kind.unknown_reason().unwrap_or(UnknownReason::Unsupported(
                            "a rule type of an unexpected type",
                        )),
                        kind.span,
                    )),
                };
                let mut rule = ingress_rule(
                    body,
                    resource.header(),
                    &CLASSIC,
                    Some(resource.reference.clone()),
                    conditions,
                );
                rule.direction_unknown = direction_unknown;
                let target = group_target(body.get("security_group_id"));
                groups.unlinked.push((target, rule));
            }
        }
        "aws_vpc_security_group_ingress_rule" => {
            let rule = ingress_rule(
                body,
                resource.header(),
                &VPC_RULE,
                Some(resource.reference.clone()),
                Vec::new(),
            );
            let target = group_target(body.get("security_group_id"));
            groups.unlinked.push((target, rule));
        }
        _ => {}
    }
}

pub fn finish(model: &mut Model) {
    model.ec2.security_groups.link();
}
