//! EC2: EBS volumes, block devices and security groups.

#[path = "ebs.rs"]
pub mod ebs;

#[derive(Debug, Default)]
pub struct Ec2 {
    pub ebs: ebs::Ebs,
}
