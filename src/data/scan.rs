//! A quick pass over CSV bytes before polars reads them: the header, the row count, and
//! rows whose field count differs from the header's.
//!
//! polars pads short rows with nulls and reports long ones without a line number; a
//! ragged row is almost always a broken export, so we find it here and name its line.

/// What the scan learnt about a CSV file.
#[derive(Debug)]
pub struct CsvShape {
    pub header: Vec<String>,
    pub rows: usize,
    /// (line number, field count) of rows whose count differs from the header's.
    pub ragged: Vec<(usize, usize)>,
    pub ragged_total: usize,
}

/// Splits records on newlines outside quotes and counts top-level commas. Quotes follow
/// RFC 4180 (`""` inside a quoted field is a literal quote, which this toggling handles).
pub fn scan(bytes: &[u8]) -> CsvShape {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut header: Vec<String> = Vec::new();
    let mut field_start = 0;
    let mut fields = 1;
    let mut in_quotes = false;
    let mut line = 1;
    let mut record_line = 1;
    let mut rows = 0;
    let mut ragged = Vec::new();
    let mut ragged_total = 0;
    let mut header_done = false;
    let mut record_empty = true;

    let mut i = 0;
    while i <= bytes.len() {
        let b = if i < bytes.len() { bytes[i] } else { b'\n' };
        let at_end = i == bytes.len();
        match b {
            b'"' => {
                in_quotes = !in_quotes;
                record_empty = false;
            }
            b',' if !in_quotes => {
                if !header_done {
                    header.push(unquote(&bytes[field_start..i]));
                    field_start = i + 1;
                }
                fields += 1;
                record_empty = false;
            }
            b'\n' if !in_quotes || at_end => {
                if !header_done {
                    let end = if i > 0 && i <= bytes.len() && bytes.get(i - 1) == Some(&b'\r') {
                        i - 1
                    } else {
                        i
                    };
                    let end = end.max(field_start);
                    if !(record_empty && at_end) {
                        header.push(unquote(&bytes[field_start..end]));
                        header_done = true;
                    }
                } else if !record_empty {
                    rows += 1;
                    if fields != header.len() {
                        ragged_total += 1;
                        if ragged.len() < 5 {
                            ragged.push((record_line, fields));
                        }
                    }
                }
                fields = 1;
                record_empty = true;
                line += 1;
                record_line = line;
            }
            b'\n' => line += 1,
            b'\r' => {}
            _ => record_empty = false,
        }
        i += 1;
    }
    CsvShape {
        header,
        rows,
        ragged,
        ragged_total,
    }
}

fn unquote(field: &[u8]) -> String {
    let s = String::from_utf8_lossy(field);
    let t = s.trim();
    match t.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_rows_and_finds_ragged_lines() {
        let shape = scan(b"\"a\",b,c\n1,2,3\n4,5\n6,\"7,8\",9\r\n10,11,12,13\n\n");
        assert_eq!(shape.header, ["a", "b", "c"]);
        assert_eq!(shape.rows, 4);
        assert_eq!(shape.ragged, [(3, 2), (5, 4)]);
    }

    #[test]
    fn quoted_newlines_stay_in_their_record() {
        let shape = scan(b"a,b\n\"x\ny\",1\n2,3");
        assert_eq!(shape.rows, 2);
        assert!(shape.ragged.is_empty());
    }

    #[test]
    fn header_only_and_empty() {
        assert_eq!(scan(b"a,b\n").rows, 0);
        assert_eq!(scan(b"a,b\n").header, ["a", "b"]);
        assert!(scan(b"").header.is_empty());
    }
}
