//! EC2: EBS volumes, block devices and security groups.

#[path = "ebs.rs"]
pub mod ebs;
#[path = "security_group.rs"]
pub mod security_group;

#[derive(Debug, Default)]
pub struct Ec2 {
    pub ebs: ebs::Ebs,
    pub security_groups: security_group::SecurityGroups,
}
