//! Finding where a key sits in a YAML file, for errors found after parsing.
//!
//! serde_yaml reports positions only for errors it raises itself. Errors that come from
//! validation (an endpoint that does not exist, a column missing from the data) are found
//! on the typed spec, where positions are gone. Rather than carry spans through every
//! struct, we look the key up again in the source text. This understands the YAML people
//! write by hand: block mappings, block sequences, and one-line flow mappings such as
//! `km: { kind: km, endpoint: os }`. When it cannot find a key it answers `None`, and the
//! error falls back to the nearest enclosing key it did find.

/// One step of a path into the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// A [`Seg`] that owns its key, for paths built at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnedSeg {
    Key(String),
    Index(usize),
}

impl OwnedSeg {
    pub fn seg(&self) -> Seg<'_> {
        match self {
            OwnedSeg::Key(k) => Seg::Key(k),
            OwnedSeg::Index(i) => Seg::Index(*i),
        }
    }
}

/// Line and column (both 1-based) of the deepest segment of `path` that could be found.
pub fn locate(text: &str, path: &[Seg]) -> Option<(usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut region = 0..lines.len();
    let mut parent_indent: isize = -1;
    let mut found = None;
    // A flow mapping on one line: once we are inside one, the remaining keys are searched
    // on that line only.
    let mut flow: Option<(usize, usize)> = None;

    for (depth, seg) in path.iter().enumerate() {
        if let Some((line, from)) = flow {
            let Seg::Key(key) = seg else { break };
            match find_flow_key(lines[line], from, key) {
                Some(col) => {
                    found = Some((line + 1, col + 1));
                    // Past the key (and its opening quote), on a character boundary.
                    let quoted = matches!(lines[line].as_bytes()[col], b'"' | b'\'');
                    flow = Some((line, col + quoted as usize + key.len()));
                    continue;
                }
                None => break,
            }
        }
        let hit = match seg {
            Seg::Key(key) => find_block_key(&lines, region.clone(), parent_indent, key),
            Seg::Index(i) => find_item(&lines, region.clone(), parent_indent, *i),
        };
        let Some((line, col)) = hit else { break };
        found = Some((line + 1, col + 1));
        // The value: the rest of this line (flow or item content), then the lines indented
        // deeper than the key.
        let end = (line + 1..region.end)
            .find(|&l| !is_blank(lines[l]) && indent(lines[l]) <= col)
            .unwrap_or(region.end);
        let rest_starts_flow = lines[line][col..].contains('{');
        let has_children = (line + 1..end).any(|l| !is_blank(lines[l]));
        if !has_children && rest_starts_flow {
            flow = Some((line, col));
        } else if matches!(seg, Seg::Index(_)) {
            // A list item's first key shares the dash's line (`- id: x`); its other keys line
            // up under it. Paths in a spec end within an item, so finish there.
            return locate_in_item(&lines, line, col, end, &path[depth + 1..]).or(found);
        } else {
            region = line + 1..end;
            parent_indent = col as isize;
        }
    }
    found
}

fn locate_in_item(
    lines: &[&str],
    line: usize,
    dash_col: usize,
    end: usize,
    rest: &[Seg],
) -> Option<(usize, usize)> {
    let Some(Seg::Key(key)) = rest.first() else {
        return Some((line + 1, dash_col + 1));
    };
    // `- { id: x, result: y }` or `- id: x` followed by keys at the content column.
    let content = &lines[line][dash_col + 1..];
    let content_col = dash_col + 1 + (content.len() - content.trim_start().len());
    if content.trim_start().starts_with('{') {
        return find_flow_key(lines[line], content_col, key).map(|c| (line + 1, c + 1));
    }
    if key_at(lines[line], content_col, key) {
        return Some((line + 1, content_col + 1));
    }
    for (l, text) in lines.iter().enumerate().take(end).skip(line + 1) {
        if indent(text) == content_col && key_at(text, content_col, key) {
            return Some((l + 1, content_col + 1));
        }
    }
    Some((line + 1, dash_col + 1))
}

fn is_blank(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn key_at(line: &str, col: usize, key: &str) -> bool {
    let rest = &line[col..];
    for quote in ["", "\"", "'"] {
        let candidate = format!("{quote}{key}{quote}");
        if let Some(after) = rest.strip_prefix(&candidate)
            && after.trim_start().starts_with(':')
        {
            return true;
        }
    }
    false
}

fn find_block_key(
    lines: &[&str],
    region: std::ops::Range<usize>,
    parent_indent: isize,
    key: &str,
) -> Option<(usize, usize)> {
    let child_indent = region
        .clone()
        .find(|&l| !is_blank(lines[l]) && indent(lines[l]) as isize > parent_indent)
        .map(|l| indent(lines[l]))?;
    region
        .filter(|&l| !is_blank(lines[l]) && indent(lines[l]) == child_indent)
        .find(|&l| key_at(lines[l], child_indent, key))
        .map(|l| (l, child_indent))
}

fn find_item(
    lines: &[&str],
    region: std::ops::Range<usize>,
    parent_indent: isize,
    index: usize,
) -> Option<(usize, usize)> {
    let mut seen = 0;
    for l in region {
        let text = lines[l];
        if is_blank(text) || (indent(text) as isize) < parent_indent {
            continue;
        }
        if text.trim_start().starts_with("- ") || text.trim() == "-" {
            if seen == index {
                return Some((l, indent(text)));
            }
            seen += 1;
        }
    }
    None
}

/// Column of `key:` inside a one-line flow mapping, searching from byte `from`.
fn find_flow_key(line: &str, from: usize, key: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut i = from;
    while let Some(pos) = line[i..].find(key) {
        let at = i + pos;
        let before_ok = at == 0 || matches!(bytes[at - 1], b'{' | b',' | b' ' | b'"' | b'\'');
        let after = &line[at + key.len()..];
        let after = after.trim_start_matches(['"', '\'']);
        if before_ok && after.trim_start().starts_with(':') {
            let at = if at > 0 && matches!(bytes[at - 1], b'"' | b'\'') {
                at - 1
            } else {
                at
            };
            return Some(at);
        }
        i = at + key.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "\
reprise: 1
study:
  id: x
analyses:
  km_os:   { kind: km, endpoint: os, by: arm }
  cox:
    kind: cox
    covariates: [age]
claims:
  - { id: a, result: \"km_os/x\" }
  - id: b
    result: cox/terms
";

    fn at(path: &[Seg]) -> Option<(usize, usize)> {
        locate(DOC, path)
    }

    #[test]
    fn finds_block_and_flow_keys() {
        assert_eq!(at(&[Seg::Key("study"), Seg::Key("id")]), Some((3, 3)));
        assert_eq!(at(&[Seg::Key("analyses"), Seg::Key("km_os")]), Some((5, 3)));
        assert_eq!(
            at(&[Seg::Key("analyses"), Seg::Key("km_os"), Seg::Key("by")]),
            Some((5, 38))
        );
        assert_eq!(
            at(&[
                Seg::Key("analyses"),
                Seg::Key("cox"),
                Seg::Key("covariates")
            ]),
            Some((8, 5))
        );
    }

    #[test]
    fn finds_list_items_and_their_keys() {
        assert_eq!(at(&[Seg::Key("claims"), Seg::Index(1)]), Some((11, 3)));
        assert_eq!(
            at(&[Seg::Key("claims"), Seg::Index(0), Seg::Key("result")]),
            Some((10, 14))
        );
        assert_eq!(
            at(&[Seg::Key("claims"), Seg::Index(1), Seg::Key("result")]),
            Some((12, 5))
        );
    }

    #[test]
    fn falls_back_to_the_deepest_key_found() {
        assert_eq!(
            at(&[Seg::Key("analyses"), Seg::Key("cox"), Seg::Key("nope")]),
            Some((6, 3))
        );
        assert_eq!(at(&[Seg::Key("nope")]), None);
    }
}
