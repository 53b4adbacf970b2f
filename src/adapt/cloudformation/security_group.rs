//! Security groups and ingress rules declared in CloudFormation.

use crate::adapt::cloudformation::Resource;
use crate::adapt::security_group::{Keys, group_target, ingress_rule};
use crate::adapt::val::conditional_items;
use crate::model::Model;
use crate::model::ec2::security_group::SecurityGroup;

const INGRESS: Keys = Keys {
    protocol: "IpProtocol",
    from_port: "FromPort",
    to_port: "ToPort",
    cidrs: &["CidrIp", "CidrIpv6"],
};

/// Resource types this adapter reads.
pub const TYPES: &[&str] = &["AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress"];

pub fn resource(resource: &Resource, model: &mut Model) {
    let properties = &resource.properties;
    let groups = &mut model.ec2.security_groups;
    match resource.resource_type {
        "AWS::EC2::SecurityGroup" => {
            let ingress = properties
                .get("SecurityGroupIngress")
                .map(conditional_items)
                .unwrap_or_default()
                .into_iter()
                .map(|(conditions, entry)| {
                    ingress_rule(entry, entry.span, &INGRESS, None, conditions)
                })
                .collect();
            groups.groups.push(SecurityGroup {
                resource: resource.reference.clone(),
                ingress,
            });
        }
        "AWS::EC2::SecurityGroupIngress" => {
            let rule = ingress_rule(
                properties,
                resource.header(),
                &INGRESS,
                Some(resource.reference.clone()),
                Vec::new(),
            );
            let target = group_target(
                properties
                    .get("GroupId")
                    .or_else(|| properties.get("GroupName")),
            );
            groups.unlinked.push((target, rule));
        }
        _ => {}
    }
}

pub fn finish(model: &mut Model) {
    model.ec2.security_groups.link();
}
