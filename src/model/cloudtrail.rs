//! CloudTrail trails.

use super::{ResourceRef, Value};

#[derive(Debug, Default)]
pub struct CloudTrail {
    pub trails: Vec<Trail>,
}

/// A trail (organization trails included); event data stores are not trails.
#[derive(Debug)]
pub struct Trail {
    pub resource: ResourceRef,
    pub log_file_validation: Value<bool>,
}

impl Trail {
    /// Only the console turns validation on by default; the API, Terraform and CloudFormation do not.
    pub const DEFAULT_LOG_FILE_VALIDATION: bool = false;
}
