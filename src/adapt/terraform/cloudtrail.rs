//! cloudtrail resources declared in Terraform.

use super::Resource;
use super::eval::Evaluator;
use crate::adapt::val::{as_bool, field_value};
use crate::model::Model;
use crate::model::cloudtrail::Trail;

/// Resource types this adapter reads; others are not evaluated at all.
pub const TYPES: &[&str] = &["aws_cloudtrail"];

/// `aws_cloudtrail` (organization trails too); `aws_cloudtrail_event_data_store` writes no digest
/// files and is not a trail.
pub fn resource(resource: &Resource, evaluator: &Evaluator, model: &mut Model) {
    let _ = evaluator;
    if resource.resource_type() != "aws_cloudtrail" {
        return;
    }
    model.cloudtrail.trails.push(Trail {
        resource: resource.reference.clone(),
        log_file_validation: field_value(
            &resource.body,
            "enable_log_file_validation",
            resource.header(),
            Trail::DEFAULT_LOG_FILE_VALIDATION,
            &as_bool,
        ),
    });
}

/// Runs after every resource of the module was adapted: links resources to each other.
pub fn finish(model: &mut Model) {
    let _ = model;
}
