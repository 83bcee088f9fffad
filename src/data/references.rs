//! Every column the spec names must be in the data's header, or be derived before it is
//! used. Checked as soon as the header is known, before any row is parsed, and reported at
//! the spec's key with the nearest column name suggested.

use crate::error::{Result, nearest};
use crate::spec::{Seg, Study};

/// Checks the spec's column names in spec order: declared columns, the count column,
/// derived columns, endpoints, analyses. The first missing one is the error.
pub(super) fn check(study: &Study, header: &[String]) -> Result<()> {
    let mut known = Known {
        study,
        names: header.iter().map(String::as_str).collect(),
    };
    known.data()?;
    known.derived()?;
    known.endpoints()?;
    known.analyses()
}

/// The columns available so far: the header's, then each derived one in turn.
struct Known<'a> {
    study: &'a Study,
    names: Vec<&'a str>,
}

impl<'a> Known<'a> {
    /// An error at `path` unless `name` is a known column; `what` says what names it.
    fn require(&self, name: &str, path: &[Seg], what: &str) -> Result<()> {
        if self.names.contains(&name) {
            return Ok(());
        }
        let e = self
            .study
            .error_at(path, format!("{what} `{name}` is not a column of the data"));
        Err(match nearest(name, self.names.iter().copied()) {
            Some(best) => e.hint(format!("did you mean `{best}`?")),
            None => e.hint(format!("the data have: {}", self.names.join(", "))),
        })
    }

    /// `data.columns` and `data.count`.
    fn data(&self) -> Result<()> {
        let data = &self.study.spec.data;
        for (name, _) in data.columns.iter() {
            self.require(
                name,
                &[Seg::Key("data"), Seg::Key("columns"), Seg::Key(name)],
                "declared column",
            )?;
        }
        if let Some(col) = &data.count {
            self.require(col, &[Seg::Key("data"), Seg::Key("count")], "count column")?;
        }
        Ok(())
    }

    /// Each derived column reads known columns and takes a new name, which later ones
    /// may use.
    fn derived(&mut self) -> Result<()> {
        let study = self.study;
        for (name, d) in study.spec.derive.iter() {
            let source = d
                .cut
                .as_ref()
                .map(|c| c.column.as_str())
                .or(d.recode.as_ref().map(|r| r.column.as_str()));
            if let Some(src) = source {
                let key = if d.cut.is_some() { "cut" } else { "recode" };
                self.require(
                    src,
                    &[Seg::Key("derive"), Seg::Key(name), Seg::Key(key)],
                    "derived from column",
                )?;
            }
            if self.names.contains(&name.as_str()) {
                return Err(study
                    .error_at(
                        &[Seg::Key("derive"), Seg::Key(name)],
                        format!("derived column `{name}` already exists in the data"),
                    )
                    .hint("choose another name for the derived column"));
            }
            self.names.push(name);
        }
        Ok(())
    }

    fn endpoints(&self) -> Result<()> {
        for (name, source) in &self.study.endpoints {
            for (key, col) in source.columns() {
                self.require(
                    col,
                    &[Seg::Key("endpoints"), Seg::Key(name), Seg::Key(key)],
                    &format!("endpoint `{name}`: {key} column"),
                )?;
            }
        }
        Ok(())
    }

    fn analyses(&self) -> Result<()> {
        for planned in &self.study.analyses {
            let id = &planned.id;
            for (key, col) in planned.analysis.columns() {
                self.require(
                    col,
                    &[Seg::Key("analyses"), Seg::Key(id), Seg::Key(key)],
                    &format!("analysis `{id}`: {}", key.trim_end_matches('s')),
                )?;
            }
        }
        Ok(())
    }
}
