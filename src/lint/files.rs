//! Reading files: size cap, binary and UTF-8 checks, and ids for files a unit reads itself.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::discover::{FileEntry, Unit};
use crate::source::{FileId, Span};
use crate::text::next_char_end;

/// A file's bytes when it is at most `max_size` long, with its size either way: one open and
/// one `fstat`, where `metadata` then `fs::read` would look the path up twice.
pub(super) fn read_capped(path: &Path, max_size: u64) -> std::io::Result<(u64, Option<Vec<u8>>)> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    if size > max_size {
        return Ok((size, None));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
    // A file that grew since the `fstat` is still read only up to the cap.
    file.take(max_size.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_size {
        return Ok((bytes.len() as u64, None));
    }
    Ok((size, Some(bytes)))
}

/// Ids of every discovered file, and fresh ids for files a unit reads by itself (`file()`).
pub struct FileIds {
    /// Discovered files by normalized path (`./a.json` and `a.json` are one file), with the
    /// path as discovered, for display.
    pub(super) by_path: std::collections::HashMap<PathBuf, (FileId, PathBuf)>,
    /// First id free for a unit's own files; each unit gets a block of `PER_UNIT` ids.
    pub(super) unit_base: std::collections::HashMap<PathBuf, u32>,
}

impl FileIds {
    pub(super) const PER_UNIT: u32 = 256;

    pub(super) fn new(units: &[Unit]) -> FileIds {
        let by_path: std::collections::HashMap<PathBuf, (FileId, PathBuf)> = units
            .iter()
            .flat_map(|u| {
                u.files
                    .iter()
                    .map(|f| (normalize(&f.path), (f.id, f.path.clone())))
            })
            .collect();
        let first_free = by_path
            .values()
            .map(|(id, _)| id.0.saturating_add(1))
            .max()
            .unwrap_or(0);
        // Units are numbered by their first path, so ids do not depend on scheduling.
        let mut keys: Vec<PathBuf> = units
            .iter()
            .filter_map(|u| u.files.first().map(|f| f.path.clone()))
            .collect();
        keys.sort();
        let unit_base = keys
            .into_iter()
            .enumerate()
            .map(|(n, key)| {
                let offset = u32::try_from(n)
                    .unwrap_or(u32::MAX)
                    .saturating_mul(Self::PER_UNIT);
                (key, first_free.saturating_add(offset))
            })
            .collect();
        FileIds { by_path, unit_base }
    }

    pub(super) fn empty() -> FileIds {
        FileIds {
            by_path: Default::default(),
            unit_base: Default::default(),
        }
    }
}

/// A file's id, display path and text, kept while its unit is linted.
pub(super) type Text = (FileId, String, Arc<str>);

/// Files a unit reads by itself (`file()`, modules outside the scan), with ids from the unit's
/// block of fresh ids (or the discovered id), in the order the unit asked for them.
pub(super) struct Fresh<'a> {
    ids: &'a FileIds,
    base: Option<u32>,
    max_size: u64,
    /// The files read, with whether findings in them are reported and the normalized path they
    /// were asked for by.
    loaded: std::cell::RefCell<Vec<(Text, bool, PathBuf)>>,
}

impl<'a> Fresh<'a> {
    pub(super) fn new(ids: &'a FileIds, base: Option<u32>, max_size: u64) -> Fresh<'a> {
        Fresh {
            ids,
            base,
            max_size,
            loaded: Default::default(),
        }
    }

    /// Reads `path` once; `None` when unreadable or out of fresh ids.
    pub(super) fn load(&self, path: &Path, reported: bool) -> Option<(FileId, Arc<str>)> {
        let path = normalize(path);
        if let Some(((id, _, text), _, _)) = self
            .loaded
            .borrow()
            .iter()
            .find(|(_, _, asked)| *asked == path)
        {
            return Some((*id, text.clone()));
        }
        let entry = FileEntry {
            id: FileId(0),
            path: path.clone(),
            kind: crate::discover::FileKind::Json,
            reported,
        };
        let text = read(&entry, self.max_size).ok()?;
        let count = u32::try_from(self.loaded.borrow().len()).unwrap_or(u32::MAX);
        // A discovered file keeps its id and its path as discovered, so a document read both
        // ways is one document.
        let (id, shown) = match self.ids.by_path.get(&path) {
            Some((id, discovered)) => (*id, display(discovered)),
            None if count < FileIds::PER_UNIT => {
                (FileId(self.base?.checked_add(count)?), display(&path))
            }
            None => return None,
        };
        self.loaded
            .borrow_mut()
            .push(((id, shown, text.clone()), reported, path));
        Some((id, text))
    }

    /// The texts read, and the ids of those whose findings are reported.
    pub(super) fn finish(self) -> (Vec<Text>, Vec<FileId>) {
        let loaded = self.loaded.into_inner();
        let reported = loaded
            .iter()
            .filter(|(_, reported, _)| *reported)
            .map(|((id, _, _), _, _)| *id)
            .collect();
        let texts = loaded.into_iter().map(|(text, _, _)| text).collect();
        (texts, reported)
    }
}

/// A path as reported: as discovered, without `.` components, so that a file found by walking
/// `.` (`./main.tf`) and one a unit reads by itself (`main.tf`, from a normalized module
/// directory) read alike.
pub(super) fn display(path: &Path) -> String {
    if !path
        .components()
        .any(|c| matches!(c, std::path::Component::CurDir))
    {
        return path.to_string_lossy().into_owned();
    }
    let shown: PathBuf = path
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    match shown.as_os_str().is_empty() {
        true => ".".to_string(),
        false => shown.to_string_lossy().into_owned(),
    }
}

/// Why a file cannot be linted, with the text to show it in (the lossy decoding keeps offsets up
/// to the first invalid byte) and where the problem is.
pub(super) struct Unreadable {
    pub(super) message: String,
    pub(super) text: Arc<str>,
    pub(super) span: Span,
}

/// A file's text, or why it cannot be linted.
pub(super) fn read(file: &FileEntry, max_size: u64) -> Result<Arc<str>, Unreadable> {
    let unreadable = |message: String, text: Arc<str>, at: usize| Unreadable {
        span: Span::new(file.id, at, next_char_end(&text, at)),
        message,
        text,
    };
    let bytes = match read_capped(&file.path, max_size) {
        Err(e) => {
            return Err(unreadable(
                format!("cannot read file: {e}"),
                Arc::from(""),
                0,
            ));
        }
        Ok((size, None)) => {
            let message = format!(
                "file is {size} bytes, over the --max-file-size limit of {max_size}; not scanned"
            );
            return Err(unreadable(message, Arc::from(""), 0));
        }
        Ok((_, Some(bytes))) => bytes,
    };
    // git-crypt's header: the file is readable only where the repository is unlocked.
    if bytes.starts_with(b"\0GITCRYPT\0") {
        let message = "file is encrypted with git-crypt; not scanned".to_string();
        return Err(unreadable(message, Arc::from(""), 0));
    }
    match decode(&bytes) {
        Ok(text) => Ok(Arc::from(text)),
        Err(Undecodable::Binary(text, at)) => Err(unreadable(
            format!("binary file (NUL byte at offset {at}); not scanned"),
            Arc::from(text),
            at,
        )),
        Err(Undecodable::NotUtf8(bytes, at)) => Err(unreadable(
            format!("file is not valid UTF-8 (invalid byte at offset {at})"),
            Arc::from(String::from_utf8_lossy(bytes).as_ref()),
            at,
        )),
    }
}

/// Why a file's bytes are no text to lint, with the offset of the first offending byte.
pub(super) enum Undecodable<'a> {
    /// Valid UTF-8 holding a NUL byte.
    Binary(&'a str, usize),
    NotUtf8(&'a [u8], usize),
}

/// A file's bytes as text, a leading byte order mark left out.
pub(super) fn decode(bytes: &[u8]) -> Result<&str, Undecodable<'_>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => match memchr::memchr(0, bytes) {
            Some(at) => Err(Undecodable::Binary(text, at)),
            None => Ok(text),
        },
        Err(error) => Err(Undecodable::NotUtf8(bytes, error.valid_up_to())),
    }
}

/// `a/./b/../c` → `a/c`, without touching the file system, so paths match discovery's.
pub(super) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}
