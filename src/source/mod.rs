//! Source files as read, and the positions every reporter shares.

mod line_index;
mod span;

use std::sync::{Arc, OnceLock};

pub use line_index::{LineCol, LineIndex};
pub use span::{FileId, Span};

/// One file's text (BOM dropped) and the path as the user wrote it.
#[derive(Debug)]
pub struct SourceFile {
    pub id: FileId,
    pub path: Box<str>,
    pub text: Arc<str>,
    index: OnceLock<LineIndex>,
}

impl SourceFile {
    pub fn new(id: FileId, path: impl Into<Box<str>>, text: Arc<str>) -> SourceFile {
        SourceFile {
            id,
            path: path.into(),
            text,
            index: OnceLock::new(),
        }
    }

    pub fn index(&self) -> &LineIndex {
        self.index.get_or_init(|| LineIndex::new(&self.text))
    }

    pub fn line_col(&self, at: u32) -> LineCol {
        self.index().line_col(&self.text, at)
    }

    /// Source text under `span`, or "" when the span does not fit this file.
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }
}

/// The files some diagnostic points into, ordered by id.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new(mut files: Vec<SourceFile>) -> SourceMap {
        files.sort_by_key(|file| file.id);
        files.dedup_by_key(|file| file.id);
        SourceMap { files }
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files
            .binary_search_by_key(&id, |file| file.id)
            .ok()
            .and_then(|at| self.files.get(at))
    }

    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    pub fn path(&self, id: FileId) -> &str {
        self.get(id).map_or("<unknown>", |file| &file.path)
    }

    pub fn line_col(&self, id: FileId, at: u32) -> LineCol {
        self.get(id)
            .map_or(LineCol { line: 1, col: 1 }, |file| file.line_col(at))
    }
}
