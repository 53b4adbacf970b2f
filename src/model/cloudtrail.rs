//! CloudTrail trails.

#[derive(Debug, Default)]
pub struct CloudTrail {}
