//! cloudtrail resources declared in CloudFormation.

use super::{Context, Resource};
use crate::adapt::val::{as_bool, field_value};
use crate::model::Model;
use crate::model::cloudtrail::Trail;

/// Resource types this adapter reads.
pub const TYPES: &[&str] = &["AWS::CloudTrail::Trail"];

pub fn resource(resource: &Resource, context: &Context, model: &mut Model) {
    let _ = context;
    if resource.resource_type != "AWS::CloudTrail::Trail" {
        return;
    }
    model.cloudtrail.trails.push(Trail {
        resource: resource.reference.clone(),
        log_file_validation: field_value(
            &resource.properties,
            "EnableLogFileValidation",
            resource.header(),
            Trail::DEFAULT_LOG_FILE_VALIDATION,
            &as_bool,
        ),
    });
}

/// Runs after every resource of the template was adapted: links resources to each other.
pub fn finish(model: &mut Model) {
    let _ = model;
}
