//! One error type for the whole pipeline, shaped for the person reading it.
//!
//! Every error says *where* (a file, and a line/column or a data row when one is known),
//! *what* went wrong, and, where we can tell, *what to do*. The exit code follows from the
//! kind: bad input is the user's to fix (2); a failed check means the work ran but the
//! numbers disagree (1).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What kind of failure, which decides the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Spec, data, template or arguments are wrong: exit 2.
    Input,
    /// The work ran but a check failed (claim, verify, audit): exit 1.
    Check,
}

/// Where in an input file an error sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl Location {
    pub fn file(file: impl Into<PathBuf>) -> Location {
        Location {
            file: file.into(),
            line: None,
            column: None,
        }
    }

    pub fn at(file: impl Into<PathBuf>, line: usize, column: usize) -> Location {
        Location {
            file: file.into(),
            line: Some(line),
            column: Some(column),
        }
    }

    /// A line whose column is not known.
    pub fn line(file: impl Into<PathBuf>, line: usize) -> Location {
        Location {
            file: file.into(),
            line: Some(line),
            column: None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", display_path(&self.file))?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

/// A failure with its place and an optional hint on how to fix it. Boxed, so that a
/// `Result` stays one pointer wide on the happy path.
#[derive(Debug, Clone)]
pub struct Error(Box<Inner>);

#[derive(Debug, Clone)]
struct Inner {
    kind: Kind,
    location: Option<Location>,
    message: String,
    hints: Vec<String>,
    /// The lower-level failure this one reports (a polars, typst or statistics error),
    /// kept for callers that want the chain; the message already says what it means.
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    fn new(kind: Kind, location: Option<Location>, message: String) -> Error {
        Error(Box::new(Inner {
            kind,
            location,
            message,
            hints: Vec::new(),
            source: None,
        }))
    }

    /// Bad input with no particular place (arguments, say).
    pub fn input(message: impl Into<String>) -> Error {
        Error::new(Kind::Input, None, message.into())
    }

    /// Bad input inside a file.
    pub fn in_file(location: Location, message: impl Into<String>) -> Error {
        Error::new(Kind::Input, Some(location), message.into())
    }

    pub fn check(message: impl Into<String>) -> Error {
        Error::new(Kind::Check, None, message.into())
    }

    /// Records the failure this error reports.
    pub fn caused_by(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Error {
        self.0.source = Some(Arc::new(source));
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Error {
        self.0.hints.push(hint.into());
        self
    }

    pub fn kind(&self) -> Kind {
        self.0.kind
    }

    pub fn location(&self) -> Option<&Location> {
        self.0.location.as_ref()
    }

    pub fn message(&self) -> &str {
        &self.0.message
    }

    pub fn hints(&self) -> &[String] {
        &self.0.hints
    }

    pub fn exit_code(&self) -> i32 {
        match self.0.kind {
            Kind::Input => 2,
            Kind::Check => 1,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(location) = &self.0.location {
            write!(f, "{location}: ")?;
        }
        write!(f, "{}", self.0.message)?;
        for hint in &self.0.hints {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Paths print relative to the working directory when they are below it, as a user typed
/// them; absolute otherwise.
pub fn display_path(path: &Path) -> String {
    if let Ok(cwd) = std::env::current_dir()
        && let Ok(rel) = path.strip_prefix(&cwd)
    {
        return rel.display().to_string();
    }
    path.display().to_string()
}

/// The known name closest to `word`, if any is close enough to be a likely typo.
pub fn nearest<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .map(|k| (strsim::jaro_winkler(word, k), k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_suggests_typos_but_not_strangers() {
        assert_eq!(
            nearest("endpont", ["endpoint", "by", "times"]),
            Some("endpoint")
        );
        assert_eq!(nearest("zzz", ["endpoint", "by", "times"]), None);
    }

    #[test]
    fn location_prints_like_a_compiler() {
        let e = Error::in_file(Location::at("/nowhere/study.yaml", 3, 7), "unknown key `x`")
            .hint("did you mean `by`?");
        assert_eq!(
            e.to_string(),
            "/nowhere/study.yaml:3:7: unknown key `x`\n  hint: did you mean `by`?"
        );
        assert_eq!(e.exit_code(), 2);
    }
}
