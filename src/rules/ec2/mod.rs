//! ec2 rules.

pub mod unencrypted_ebs_volume;
