//! EC2: EBS volumes, block devices and security groups.

#[derive(Debug, Default)]
pub struct Ec2 {}
