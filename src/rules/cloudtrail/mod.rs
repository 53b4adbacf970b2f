//! cloudtrail rules.

pub mod log_validation_disabled;
