//! Tables as a paper prints them, each a plain grid of display strings, rendered by the
//! template and written as CSV. Each analysis kind builds its own (Table 1, landmark
//! survival); a figure that has a table beside it (a forest plot's hazard ratios) builds
//! that one, and an analysis no figure shows still gets the table its figure would have.

pub mod regression;

use serde::Serialize;

use crate::present::Present;

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub cells: Vec<String>,
    /// A level or statistic under a variable: indented in print.
    pub indent: bool,
}

impl Row {
    pub fn new(cells: Vec<String>) -> Row {
        Row {
            cells,
            indent: false,
        }
    }

    pub fn indented(cells: Vec<String>) -> Row {
        Row {
            cells,
            indent: true,
        }
    }
}

/// A heading over several columns (a model's name over its estimate and p-value), as
/// gtsummary's `tbl_merge` spans them.
#[derive(Debug, Clone, Serialize)]
pub struct Spanner {
    pub title: String,
    /// The first column it covers (0 is the row labels).
    pub start: usize,
    pub span: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub id: String,
    pub title: String,
    pub header: Vec<String>,
    /// Headings over groups of columns, left to right; none for most tables.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub spanners: Vec<Spanner>,
    pub rows: Vec<Row>,
    pub notes: Vec<String>,
}

/// A CSV field as RFC 4180 writes it: quoted when it holds a comma, a quote or a line end.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

impl Table {
    /// The table as CSV (RFC 4180), one header line and one line per row.
    pub fn csv(&self) -> String {
        let line = |cells: &[String]| {
            cells
                .iter()
                .map(|c| csv_field(c))
                .collect::<Vec<_>>()
                .join(",")
        };
        // A spanner's title leads each column it covers, so the CSV keeps what it says.
        let header: Vec<String> = (0..self.header.len())
            .map(|j| {
                match self
                    .spanners
                    .iter()
                    .find(|s| j >= s.start && j < s.start + s.span)
                {
                    Some(s) => format!("{} {}", s.title, self.header[j]),
                    None => self.header[j].clone(),
                }
            })
            .collect();
        let mut out = line(&header);
        out.push('\n');
        for r in &self.rows {
            out.push_str(&line(&r.cells));
            out.push('\n');
        }
        out
    }
}

/// Every table of the report, in the order printed: the analyses' own in spec order,
/// then those beside figures in figure order, then those of analyses no figure shows.
pub fn build(cx: &Present) -> Vec<Table> {
    let study = cx.study;
    let mut tables = Vec::new();
    for planned in &study.analyses {
        if let Some(out) = cx.results.analyses.get(&planned.id) {
            tables.extend(planned.analysis.tables(planned, out, cx));
        }
    }
    for kind in crate::analysis::KINDS {
        tables.extend(kind.study_tables(&study.analyses, cx));
    }
    let mut shown: Vec<&str> = Vec::new();
    for (fid, spec) in cx.figures {
        if let Some(table) = crate::figures::table(fid, spec, cx) {
            tables.push(table);
            shown.extend(spec.drawn());
        }
    }
    for planned in &study.analyses {
        let Some(mut spec) = planned.analysis.default_figure(&planned.id) else {
            continue;
        };
        if shown.contains(&planned.id.as_str()) {
            continue;
        }
        spec.title = planned.title.clone();
        tables.extend(crate::figures::table(
            &format!("fig_{}", planned.id),
            &spec,
            cx,
        ));
    }
    // A study's own ids may coincide with a kind's table over all its analyses
    // (`logrank_tests`): the later one takes a suffix rather than overwrite the CSV.
    let mut seen: Vec<String> = Vec::new();
    for t in &mut tables {
        let mut id = t.id.clone();
        let mut k = 2;
        while seen.contains(&id) {
            id = format!("{}_{k}", t.id);
            k += 1;
        }
        t.id = id.clone();
        seen.push(id);
    }
    tables
}
