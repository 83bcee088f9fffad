//! Zip archives with the same bytes for the same contents: entries in a fixed order, each
//! dated 1980-01-01 (the zip format's first day), with the same permissions and the same
//! compression. Word and Excel files are zip archives too, so the writers' own archives
//! are rewritten here before they are hashed.

use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

fn options() -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(6))
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644)
}

/// An archive of `entries`, in the order given.
pub fn zip<'a>(entries: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Result<Vec<u8>, String> {
    let mut out = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        out.start_file(name, options())
            .map_err(|e| format!("cannot add {name} to the archive: {e}"))?;
        out.write_all(bytes)
            .map_err(|e| format!("cannot add {name} to the archive: {e}"))?;
    }
    let cursor = out
        .finish()
        .map_err(|e| format!("cannot finish the archive: {e}"))?;
    Ok(cursor.into_inner())
}

/// The entries of an archive, in its order.
pub fn entries(archive: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut zip =
        ZipArchive::new(Cursor::new(archive)).map_err(|e| format!("not a zip archive: {e}"))?;
    let mut out = Vec::with_capacity(zip.len());
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| format!("cannot read entry {i} of the archive: {e}"))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry
            .name()
            .map_err(|e| format!("an entry of the archive has no readable name: {e}"))?
            .to_string();
        let mut bytes = Vec::with_capacity(entry.size() as usize);
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read {name} in the archive: {e}"))?;
        out.push((name, bytes));
    }
    Ok(out)
}

/// The same archive with fixed dates, permissions and compression.
pub fn normalise(archive: &[u8]) -> Result<Vec<u8>, String> {
    let entries = entries(archive)?;
    zip(entries.iter().map(|(n, b)| (n.as_str(), b.as_slice())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_entries_give_the_same_bytes_and_read_back() {
        let a = zip([("b.txt", &b"two"[..]), ("a/c.txt", &b"three"[..])]).unwrap();
        let b = zip([("b.txt", &b"two"[..]), ("a/c.txt", &b"three"[..])]).unwrap();
        assert_eq!(a, b);
        let back = entries(&a).unwrap();
        assert_eq!(back[0], ("b.txt".to_string(), b"two".to_vec()));
        assert_eq!(back[1].0, "a/c.txt");
        assert_eq!(normalise(&a).unwrap(), a);
    }
}
