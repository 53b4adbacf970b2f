//! The string type of the syntax and value trees. Keys and most values in infrastructure code are
//! short (`Statement`, `Effect`, `s3:GetObject`, `0.0.0.0/0`); keeping up to 24 bytes inline spares
//! one allocation per key and per value, and copying a tree's strings into the next tree (syntax ->
//! value -> model) costs a copy of 24 bytes instead of an allocation.

pub type Text = compact_str::CompactString;
