//! A paper's text, with where its lines and pages start.

use std::path::Path;

use crate::error::Result;

/// A paper read into memory.
#[derive(Debug, Clone)]
pub struct Paper {
    pub text: String,
    pub sha256: String,
    /// Byte offset of each line's start.
    line_starts: Vec<usize>,
    /// Byte offset of each page's start, when the text marks pages (form feeds, as
    /// `pdftotext` writes them).
    page_starts: Vec<usize>,
}

impl Paper {
    pub fn from_text(text: &str) -> Paper {
        let mut line_starts = vec![0];
        let mut page_starts = Vec::new();
        for (i, c) in text.char_indices() {
            match c {
                '\n' => line_starts.push(i + 1),
                '\u{000C}' => page_starts.push(i + 1),
                _ => {}
            }
        }
        if !page_starts.is_empty() {
            page_starts.insert(0, 0);
        }
        Paper {
            sha256: crate::hash::sha256_hex(text.as_bytes()),
            text: text.to_string(),
            line_starts,
            page_starts,
        }
    }

    /// The 1-based line holding byte `at`.
    pub fn line_of(&self, at: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= at)
    }

    /// The 1-based page holding byte `at`, when the text marks pages.
    pub fn page_of(&self, at: usize) -> Option<usize> {
        (!self.page_starts.is_empty()).then(|| self.page_starts.partition_point(|&s| s <= at))
    }

    /// The text of line `n` (1-based).
    pub fn line(&self, n: usize) -> &str {
        let start = self.line_starts[n - 1];
        let end = self
            .line_starts
            .get(n)
            .map_or(self.text.len(), |&e| e.saturating_sub(1));
        &self.text[start..end.max(start)]
    }
}

/// Reads a paper: plain text or Markdown, UTF-8.
pub fn read_paper(path: &Path) -> Result<Paper> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if ext == "pdf" {
        return Err(super::unreadable(path, "reprise reads a paper's text, not its PDF")
            .hint("convert it first: `pdftotext -layout PAPER.pdf PAPER.txt` (poppler-utils; `-layout` keeps table rows together), then `reprise extract PAPER.txt`"));
    }
    if !matches!(ext.as_str(), "txt" | "md" | "markdown" | "text" | "") {
        return Err(super::unreadable(
            path,
            format!("`.{ext}` is not a format reprise reads papers in"),
        )
        .hint("give the paper as plain text (.txt) or Markdown (.md)"));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        super::unreadable(path, format!("cannot be read: {e}"))
            .hint("check the path; `reprise extract` takes the paper's file")
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        super::unreadable(path, format!("line {line} is not UTF-8 text"))
            .hint("save the paper as UTF-8 text")
    })?;
    Ok(Paper::from_text(&text))
}
