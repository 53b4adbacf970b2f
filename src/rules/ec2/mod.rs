//! ec2 rules.

pub mod ssh_open_to_internet;
pub mod unencrypted_ebs_volume;
