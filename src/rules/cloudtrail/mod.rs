//! cloudtrail rules.
