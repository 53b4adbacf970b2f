//! EC2: EBS volumes, block devices and security groups.

#[path = "security_group.rs"]
pub mod security_group;

#[derive(Debug, Default)]
pub struct Ec2 {
    pub security_groups: security_group::SecurityGroups,
}
