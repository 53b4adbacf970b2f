//! Budgets that keep hostile input from exhausting the stack or memory.

/// Deepest nesting of maps and sequences accepted in YAML and JSON documents.
pub const MAX_NESTING: usize = 128;

/// Most nodes a YAML document may hold after alias expansion.
pub const MAX_NODES: usize = 1_000_000;

/// Deepest recursion allowed when evaluating expressions and intrinsic functions.
pub const MAX_EVAL_DEPTH: usize = 64;

/// Total weight (nodes plus string bytes / 16) of values copied from where they are defined
/// (variables, locals, parameter defaults, mappings) to where they are used, per unit: a 1 MB
/// default referenced 20,000 times must not take 20 GB.
pub const MAX_COPIED_WEIGHT: usize = 5_000_000;

/// First byte offset where `[`/`{` nesting outside JSON strings exceeds `limit`, if any.
pub fn json_nesting_exceeds(text: &str, limit: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (at, &byte) in text.as_bytes().iter().enumerate() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return Some(at);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_counts_brackets_outside_strings_only() {
        assert_eq!(json_nesting_exceeds("[[[]]]", 3), None);
        assert_eq!(json_nesting_exceeds("[[[[]]]]", 3), Some(3));
        assert_eq!(json_nesting_exceeds(r#"["[[[[\"[["]"#, 1), None);
    }
}
