//! The string type of the syntax and value trees. Keys and most values in infrastructure code are
//! short (`Statement`, `Effect`, `s3:GetObject`, `0.0.0.0/0`); keeping up to 24 bytes inline spares
//! one allocation per key and per value, and copying a tree's strings into the next tree (syntax ->
//! value -> model) costs a copy of 24 bytes instead of an allocation.

pub type Text = compact_str::CompactString;

/// Where the first `${` starts. A byte search for `$` (memchr) rather than a substring searcher,
/// whose set-up costs more than the scan on the short strings policies are made of.
pub fn find_placeholder_start(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(offset) = text[from..].find('$') {
        let at = from + offset;
        if bytes.get(at + 1) == Some(&b'{') {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// The end of the character at `at` (`at` itself past the end): a one-character span to point
/// an error at.
pub fn next_char_end(text: &str, at: usize) -> usize {
    text.get(at..)
        .and_then(|rest| rest.chars().next())
        .map_or(at, |c| at + c.len_utf8())
}

#[cfg(test)]
mod tests {
    use super::{find_placeholder_start, next_char_end};

    #[test]
    fn the_next_character_ends_after_its_last_byte() {
        assert_eq!(next_char_end("aé", 1), 3);
        assert_eq!(next_char_end("a", 1), 1);
        assert_eq!(next_char_end("a", 5), 5);
    }

    #[test]
    fn placeholder_start_is_the_first_dollar_brace() {
        assert_eq!(
            find_placeholder_start("arn:aws:s3:::b/${aws:username}"),
            Some(15)
        );
        assert_eq!(find_placeholder_start("$$ ${x}"), Some(3));
        assert_eq!(find_placeholder_start("price $5 {x} $"), None);
        assert_eq!(find_placeholder_start("é${"), Some(2));
    }
}
