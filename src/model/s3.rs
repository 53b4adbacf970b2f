//! S3 buckets and their access controls.

#[derive(Debug, Default)]
pub struct S3 {}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PublicAccessFlags {}
