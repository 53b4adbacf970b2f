//! ec2 rules.
