//! Format knowledge: turns parsed Terraform, CloudFormation and policy JSON into the model.
//! Format keys (`"KmsKeyId"`, `encrypted`) appear only below this module.

pub mod block_device;
pub mod cloudformation;
pub mod embedded;
pub mod iam_json;
pub mod launch_template;
pub mod policy;
pub mod security_group;
pub mod terraform;
pub mod val;
