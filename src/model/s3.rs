//! S3 buckets and their access controls.

#[derive(Debug, Default)]
pub struct S3 {}
