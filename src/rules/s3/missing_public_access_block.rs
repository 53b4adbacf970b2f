//! Flags a bucket whose four block-public-access settings, bucket and account level combined,
//! are not all on.
