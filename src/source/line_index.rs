//! Byte offset to 1-based line and character column, computed once per rendered file.

/// Start offsets of every line; `ascii` lets columns skip UTF-8 decoding.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<u32>,
    ascii: bool,
}

/// A 1-based line and 1-based column counted in characters (Unicode scalar values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut line_starts = Vec::with_capacity(bytes.len() / 32 + 1);
        line_starts.push(0);
        for at in memchr::memchr_iter(b'\n', bytes) {
            line_starts.push(u32::try_from(at + 1).unwrap_or(u32::MAX));
        }
        LineIndex {
            line_starts,
            ascii: text.is_ascii(),
        }
    }

    /// 0-based line number holding byte `at` (clamped to the text).
    pub fn line_of(&self, at: u32) -> usize {
        match self.line_starts.binary_search(&at) {
            Ok(line) => line,
            Err(next) => next.saturating_sub(1),
        }
    }

    /// Byte offset where 0-based `line` starts.
    pub fn line_start(&self, line: usize) -> u32 {
        self.line_starts.get(line).copied().unwrap_or(0)
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Byte range of 0-based `line`, without its line terminator.
    pub fn line_range(&self, text: &str, line: usize) -> std::ops::Range<usize> {
        let start = self.line_start(line) as usize;
        let mut end = self
            .line_starts
            .get(line + 1)
            .map_or(text.len(), |&next| next as usize);
        let bytes = text.as_bytes();
        while end > start && matches!(bytes.get(end - 1), Some(b'\n' | b'\r')) {
            end -= 1;
        }
        start.min(text.len())..end.min(text.len())
    }

    /// 1-based line and character column of byte `at`; an offset inside a character counts as
    /// that character, one past the end of a line as the column after its last character.
    pub fn line_col(&self, text: &str, at: u32) -> LineCol {
        let at = (at as usize).min(text.len()) as u32;
        let line = self.line_of(at);
        let start = self.line_start(line) as usize;
        let col = if self.ascii {
            at as usize - start
        } else {
            let mut end = at as usize;
            while end > start && !text.is_char_boundary(end) {
                end -= 1;
            }
            text.get(start..end)
                .map_or(0, |prefix| prefix.chars().count())
        };
        LineCol {
            line: line as u32 + 1,
            col: col as u32 + 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_are_one_based() {
        let text = "ab\ncd\n";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 0), LineCol { line: 1, col: 1 });
        assert_eq!(index.line_col(text, 4), LineCol { line: 2, col: 2 });
        assert_eq!(index.line_col(text, 6), LineCol { line: 3, col: 1 });
    }

    #[test]
    fn crlf_counts_one_line_per_terminator() {
        let text = "a\r\nbc\r\nd";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 4), LineCol { line: 2, col: 2 });
        assert_eq!(index.line_col(text, 7), LineCol { line: 3, col: 1 });
        assert_eq!(&text[index.line_range(text, 1)], "bc");
    }

    #[test]
    fn a_tab_is_one_column() {
        let text = "\t\tx = 1";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 2), LineCol { line: 1, col: 3 });
    }

    #[test]
    fn multi_byte_characters_count_once() {
        let text = "é😀 = \"x\"\nü";
        let index = LineIndex::new(text);
        let x = text.find('"').unwrap() as u32;
        assert_eq!(index.line_col(text, x), LineCol { line: 1, col: 6 });
        let u = text.find('ü').unwrap() as u32;
        assert_eq!(index.line_col(text, u), LineCol { line: 2, col: 1 });
    }

    #[test]
    fn offsets_past_the_end_are_clamped() {
        let text = "abc";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 99), LineCol { line: 1, col: 4 });
    }
}
