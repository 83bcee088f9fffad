//! The typst `World`: the only door through which the compiler reaches files, fonts and
//! the date.
//!
//! It serves the generated main source and the figures from memory, and other files only
//! from inside the study's folder: a path that leaves it (`..`, an absolute path, a symlink
//! pointing out) is refused, so a study received from someone else cannot pull other files
//! into its PDF. Fonts are the ones typst embeds, so no system font is ever needed, and the
//! date is the report's date, so a rebuild gives the same bytes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

/// The embedded fonts, parsed once per process.
static FONTS: LazyLock<(Vec<Font>, LazyHash<FontBook>)> = LazyLock::new(|| {
    let fonts: Vec<Font> = typst_assets::fonts()
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .collect();
    let book = LazyHash::new(FontBook::from_fonts(&fonts));
    (fonts, book)
});

static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

/// The library with typst's `html` module, for the HTML report.
static HTML_LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| {
    LazyHash::new(
        Library::builder()
            .with_features([typst::Feature::Html].into_iter().collect())
            .build(),
    )
});

pub struct ReportWorld {
    /// The study's folder, canonical: nothing outside it is served.
    root: PathBuf,
    main: FileId,
    main_source: Source,
    /// Generated files (figures), by virtual path without the leading slash.
    memory: HashMap<String, Bytes>,
    today: Datetime,
    /// Whether the library has typst's `html` module (the HTML report).
    html: bool,
    /// Files read from disk, with their hashes recorded for the manifest.
    read: Mutex<Vec<PathBuf>>,
}

pub fn file_id(path: &str) -> FileId {
    let vpath = VirtualPath::new(path)
        .unwrap_or_else(|_| VirtualPath::new("invalid").expect("a plain name is a path"));
    RootedPath::new(VirtualRoot::Project, vpath).intern()
}

impl ReportWorld {
    pub fn new(
        root: &Path,
        main_name: &str,
        main_text: String,
        memory: HashMap<String, Bytes>,
        date: (i32, u32, u32),
    ) -> ReportWorld {
        let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let main = file_id(main_name);
        let today = Datetime::from_ymd(date.0, date.1 as u8, date.2 as u8).expect("a checked date");
        ReportWorld {
            root,
            main,
            main_source: Source::new(main, main_text),
            memory,
            today,
            html: false,
            read: Mutex::new(Vec::new()),
        }
    }

    /// The same world for HTML export.
    pub fn for_html(mut self) -> ReportWorld {
        self.html = true;
        self
    }

    /// The files the compilation read from the study's folder.
    pub fn files_read(&self) -> Vec<PathBuf> {
        let mut files = self.read.lock().expect("not poisoned").clone();
        files.sort();
        files.dedup();
        files
    }

    /// A project file's real path, refused unless it stays inside the study's folder.
    fn resolve(&self, id: FileId) -> FileResult<PathBuf> {
        let rooted = id.get();
        if !matches!(rooted.root(), VirtualRoot::Project) {
            return Err(FileError::Other(Some("packages are not available in reprise reports: the report uses only files in the study's folder".into())));
        }
        let path = rooted
            .vpath()
            .realize(&self.root)
            .map_err(FileError::Realize)?;
        let real = path
            .canonicalize()
            .map_err(|e| FileError::from_io(e, &path))?;
        if !real.starts_with(&self.root) {
            return Err(FileError::Other(Some(
                format!(
                    "{} lies outside the study's folder; a report may only use files inside it",
                    rooted.vpath().get_with_slash()
                )
                .into(),
            )));
        }
        Ok(real)
    }

    fn read(&self, id: FileId) -> FileResult<Bytes> {
        let key = id.get().vpath().get_without_slash().to_string();
        if let Some(bytes) = self.memory.get(&key) {
            return Ok(bytes.clone());
        }
        let path = self.resolve(id)?;
        if path.is_dir() {
            return Err(FileError::IsDirectory);
        }
        let data = std::fs::read(&path).map_err(|e| FileError::from_io(e, &path))?;
        self.read.lock().expect("not poisoned").push(path);
        Ok(Bytes::new(data))
    }
}

impl World for ReportWorld {
    fn library(&self) -> &LazyHash<Library> {
        if self.html { &HTML_LIBRARY } else { &LIBRARY }
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.1
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main {
            return Ok(self.main_source.clone());
        }
        let bytes = self.read(id)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| FileError::InvalidUtf8)?;
        Ok(Source::new(id, text.to_string()))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main {
            return Ok(Bytes::from_string(self.main_source.text().to_string()));
        }
        self.read(id)
    }

    fn font(&self, index: usize) -> Option<Font> {
        FONTS.0.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        Some(self.today)
    }
}
