//! The checks that need nothing but the spec: each part of `study.yaml` in turn, every
//! error placed at its key.

use super::model::*;
use super::{Seg, Study};
use crate::error::{Result, nearest};

impl Study {
    /// The study's own facts: id, version, date, the data file and its declared columns;
    /// the date, read.
    pub(super) fn validate_meta(&self) -> Result<(i32, u32, u32)> {
        let spec = &self.spec;
        let meta = &spec.study;
        let at = |path: &[Seg], msg: String| self.error_at(path, msg);

        if meta.id.trim().is_empty() {
            return Err(at(
                &[Seg::Key("study"), Seg::Key("id")],
                "study id is empty".into(),
            ));
        }
        let version_ok = !meta.version.is_empty()
            && meta.version != "."
            && meta.version != ".."
            && meta
                .version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-+".contains(c));
        if !version_ok {
            return Err(at(
                &[Seg::Key("study"), Seg::Key("version")],
                format!("study version `{}` cannot name a folder", meta.version),
            )
            .hint("use a version such as 1.0.0 (letters, digits, `.`, `-`, `_`, `+`)"));
        }
        let Some(date) = parse_date(&meta.date) else {
            return Err(at(
                &[Seg::Key("study"), Seg::Key("date")],
                format!("study date `{}` is not a date", meta.date),
            )
            .hint("write it as YYYY-MM-DD, e.g. 2021-12-13"));
        };
        self.validate_data()?;
        Ok(date)
    }

    fn validate_data(&self) -> Result<()> {
        let spec = &self.spec;
        let at = |path: &[Seg], msg: String| self.error_at(path, msg);
        let data_path = match (&spec.data.path, &spec.data.database) {
            (Some(_), Some(_)) => {
                return Err(at(
                    &[Seg::Key("data"), Seg::Key("database")],
                    "`data` gives both a `path` and a `database`".into(),
                )
                .hint("the cohort is read from one place: keep the file or the database"));
            }
            (None, None) => {
                return Err(at(
                    &[Seg::Key("data")],
                    "`data` needs a `path` (a .csv or .parquet file) or a `database`".into(),
                )
                .hint("e.g. `path: cohort.csv`, or `database: {url: postgresql:///registry, table: cohort}`"));
            }
            (None, Some(db)) => {
                self.validate_database(db)?;
                return self.validate_columns();
            }
            (Some(p), None) => p,
        };
        let lower = data_path.to_ascii_lowercase();
        if !(lower.ends_with(".csv") || lower.ends_with(".parquet")) {
            return Err(at(
                &[Seg::Key("data"), Seg::Key("path")],
                format!("data file `{data_path}` is neither .csv nor .parquet"),
            )
            .hint("reprise reads CSV (with a header row) and Parquet files"));
        }
        if let Some(pin) = &spec.data.sha256
            && (pin.len() != 64 || !pin.chars().all(|c| c.is_ascii_hexdigit()))
        {
            return Err(at(&[Seg::Key("data"), Seg::Key("sha256")], "sha256 must be 64 hexadecimal characters".into())
                    .hint("compute it with `sha256sum <file>`, or set `sha256: null` to leave the data unpinned"));
        }
        self.validate_columns()
    }

    /// A cohort in a database: a table or a query, a URL without a password, and none of
    /// the keys that describe a file.
    fn validate_database(&self, db: &super::DatabaseSpec) -> Result<()> {
        let spec = &self.spec;
        let here = [Seg::Key("data"), Seg::Key("database")];
        let at = |key: &'static str, msg: String| {
            let mut path = here.to_vec();
            path.push(Seg::Key(key));
            self.error_at(&path, msg)
        };
        match (&db.table, &db.query) {
            (Some(_), Some(_)) => {
                return Err(at(
                    "query",
                    "`data.database` gives both a `table` and a `query`".into(),
                )
                .hint("keep one: `table: cohort`, or `query: SELECT ... FROM ...`"));
            }
            (None, None) => {
                return Err(self
                    .error_at(&here, "`data.database` needs a `table` or a `query`")
                    .hint("e.g. `table: cohort` (schema.table allowed), or `query: SELECT ... FROM ...`"));
            }
            _ => {}
        }
        if let Some(t) = &db.table
            && (t.is_empty() || t.split('.').any(str::is_empty))
        {
            return Err(at("table", format!("`{t}` is not a table name")));
        }
        if let Err(e) = crate::data::database::check_url(&db.url) {
            let mut err = at("url", e.message);
            if let Some(h) = e.hint {
                err = err.hint(h);
            }
            return Err(err);
        }
        let file_only = [
            ("count", spec.data.count.is_some()),
            ("synth", spec.data.synth.is_some()),
        ];
        if let Some((key, _)) = file_only.iter().find(|(_, given)| *given) {
            return Err(self
                .error_at(
                    &[Seg::Key("data"), Seg::Key(key)],
                    format!("`data.{key}` describes a data file, and this cohort is in a database"),
                )
                .hint(if *key == "count" {
                    "a database's rows are patients, one each; reprise has the server count them"
                } else {
                    "a synthetic cohort is written to a file: give its `path`"
                }));
        }
        Ok(())
    }

    /// Each declared column's type, levels and range are consistent.
    fn validate_columns(&self) -> Result<()> {
        let spec = &self.spec;
        let at = |path: &[Seg], msg: String| self.error_at(path, msg);
        for (name, col) in spec.data.columns.iter() {
            let here = [Seg::Key("data"), Seg::Key("columns"), Seg::Key(name)];
            if col.levels.is_some() && col.col_type != ColType::Category {
                return Err(at(
                    &here,
                    format!("column `{name}` declares `levels` but is not `type: category`"),
                ));
            }
            if col.reference.is_some() && col.levels.is_none() && col.col_type != ColType::Category
            {
                return Err(at(
                    &here,
                    format!("column `{name}` declares `ref` but is not `type: category`"),
                ));
            }
            if let (Some(levels), Some(reference)) = (&col.levels, &col.reference)
                && !levels.contains(reference)
            {
                return Err(at(
                    &here,
                    format!(
                        "column `{name}`: ref `{reference}` is not one of its levels {levels:?}"
                    ),
                ));
            }
            if let (Some(min), Some(max)) = (col.min, col.max)
                && min > max
            {
                return Err(at(
                    &here,
                    format!("column `{name}`: min {min} is above max {max}"),
                ));
            }
        }

        Ok(())
    }

    /// Derived columns: exactly one way of deriving each, and a well-formed one.
    pub(super) fn validate_derive(&self) -> Result<()> {
        let spec = &self.spec;
        let at = |path: &[Seg], msg: String| self.error_at(path, msg);
        for (name, d) in spec.derive.iter() {
            let here = [Seg::Key("derive"), Seg::Key(name)];
            let count = d.expr.is_some() as u8 + d.cut.is_some() as u8 + d.recode.is_some() as u8;
            if count != 1 {
                return Err(at(
                    &here,
                    format!(
                        "derived column `{name}` needs exactly one of `expr`, `cut` or `recode`"
                    ),
                ));
            }
            if spec.data.columns.contains_key(name) {
                return Err(at(
                    &here,
                    format!("derived column `{name}` has the name of a declared data column"),
                ));
            }
            if let Some(cut) = &d.cut {
                if cut.breaks.is_empty()
                    || cut.breaks.windows(2).any(|w| w[0] >= w[1])
                    || cut.breaks.iter().any(|b| !b.is_finite())
                {
                    return Err(at(
                        &here,
                        format!(
                            "derived column `{name}`: cut breaks must be finite and strictly increasing"
                        ),
                    ));
                }
                if let Some(labels) = &cut.labels
                    && labels.len() != cut.breaks.len() + 1
                {
                    return Err(at(
                        &here,
                        format!(
                            "derived column `{name}`: {} breaks make {} intervals, but {} labels are given",
                            cut.breaks.len(),
                            cut.breaks.len() + 1,
                            labels.len()
                        ),
                    ));
                }
            }
            if let Some(expr) = &d.expr
                && expr.trim().is_empty()
            {
                return Err(at(
                    &here,
                    format!("derived column `{name}`: `expr` is empty"),
                ));
            }
        }

        Ok(())
    }

    /// Claims: unique ids, numbers that are numbers, paths into analyses that exist.
    pub(super) fn validate_claims(&self) -> Result<()> {
        let spec = &self.spec;
        let at = |path: &[Seg], msg: String| self.error_at(path, msg);
        self.validate_claim_links()?;
        let mut seen = std::collections::HashSet::new();
        for (i, claim) in spec.claims.iter().enumerate() {
            let here = [Seg::Key("claims"), Seg::Index(i)];
            if !seen.insert(claim.id.as_str()) {
                return Err(at(&here, format!("claim id `{}` is used twice", claim.id)));
            }
            if let Reported::Number(x) = claim.reported
                && !x.is_finite()
            {
                return Err(at(
                    &here,
                    format!("claim `{}`: `reported` must be a number", claim.id),
                ));
            }
            if let Some(t) = claim.tolerance
                && !(t.is_finite() && t >= 0.0)
            {
                return Err(at(
                    &[Seg::Key("claims"), Seg::Index(i), Seg::Key("tolerance")],
                    format!("claim `{}`: `tolerance` must be a number ≥ 0", claim.id),
                ));
            }
            if let Some(n) = claim.denominator
                && !(n.is_finite() && n >= 1.0 && n.fract() == 0.0)
            {
                return Err(self
                    .error_at(
                        &[Seg::Key("claims"), Seg::Index(i), Seg::Key("denominator")],
                        format!(
                            "claim `{}`: `denominator` {n} is not a number of patients",
                            claim.id
                        ),
                    )
                    .hint("a denominator counts patients: a whole number ≥ 1, such as 228"));
            }
            let paths = [
                ("result", &claim.result),
                ("lower", &claim.parts.lower),
                ("upper", &claim.parts.upper),
                ("p", &claim.parts.p),
                ("percent", &claim.parts.percent),
            ];
            for (key, text) in paths {
                let Some(text) = text else { continue };
                let seg: &[Seg] = if key == "result" {
                    &[Seg::Key("claims"), Seg::Index(i), Seg::Key("result")]
                } else {
                    &[
                        Seg::Key("claims"),
                        Seg::Index(i),
                        Seg::Key("parts"),
                        Seg::Key(key),
                    ]
                };
                let expr = crate::results::Expr::parse(text).map_err(|e| {
                    self.error_at(
                        seg,
                        format!("claim `{}`: cannot read `{text}`: {e}", claim.id),
                    )
                    .hint(
                        "an expression puts spaces around each of + - * /, as \
                             `1 - km_os/strata/all/at/36/surv`; write a path that holds such \
                             a sequence in backticks",
                    )
                })?;
                for path in expr.paths() {
                    let first = path.split('/').next().unwrap_or("");
                    if spec.analyses.contains_key(first) {
                        continue;
                    }
                    let mut e = self.error_at(
                        seg,
                        format!(
                            "claim `{}` points into analysis `{first}`, which is not defined",
                            claim.id
                        ),
                    );
                    if let Some(best) = nearest(first, spec.analyses.keys().map(String::as_str)) {
                        e = e.hint(format!("did you mean `{best}`?"));
                    }
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Claims written as printed text (`"1,387 (47%)"`) parsed into their parts, each
    /// refused at its line when it cannot be read.
    pub(super) fn read_printed(&mut self) -> Result<()> {
        for i in 0..self.spec.claims.len() {
            let Reported::Text(text) = &self.spec.claims[i].reported else {
                continue;
            };
            match crate::printed::parse_claim(text) {
                Ok(stat) => self.spec.claims[i].printed = Some(stat),
                Err(e) => {
                    let id = &self.spec.claims[i].id;
                    return Err(self
                        .error_at(
                            &[Seg::Key("claims"), Seg::Index(i), Seg::Key("reported")],
                            format!("claim `{id}`: cannot read `{text}` as a statistic: {e}"),
                        )
                        .hint(
                            "write it as the paper prints it, such as \"47%\", \"1,387 (47%)\", \
                             \"0.59 (0.42 to 0.82)\", \"HR 0.59, 95% CI 0.42-0.82, P = 0.001\", \
                             \"p < 0.001\", or as a plain number",
                        ));
                }
            }
        }
        Ok(())
    }

    /// Claims that name other claims (`count`, `part_of`, `p_of`, `same_as`, subgroups)
    /// must name ones that exist.
    fn validate_claim_links(&self) -> Result<()> {
        let ids: Vec<&str> = self.spec.claims.iter().map(|c| c.id.as_str()).collect();
        for (i, c) in self.spec.claims.iter().enumerate() {
            let links = [
                ("count", &c.count),
                ("part_of", &c.part_of),
                ("p_of", &c.p_of),
                ("same_as", &c.same_as),
            ];
            let named = links
                .iter()
                .filter_map(|(k, v)| v.as_deref().map(|v| (*k, v)))
                .chain(c.subgroups.iter().map(|s| ("subgroups", s.claim.as_str())));
            for (key, other) in named {
                if !ids.contains(&other) {
                    let mut e = self.error_at(
                        &[Seg::Key("claims"), Seg::Index(i), Seg::Key(key)],
                        format!(
                            "claim `{}`: `{key}` names claim `{other}`, which is not defined",
                            c.id
                        ),
                    );
                    if let Some(best) = nearest(other, ids.iter().copied()) {
                        e = e.hint(format!("did you mean `{best}`?"));
                    }
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Figures: each names analyses of the kinds it draws.
    pub(super) fn validate_figures(&self) -> Result<()> {
        let Some(figures) = &self.spec.figures else {
            return Ok(());
        };
        if let Some(dpi) = figures.dpi
            && !(72..=2400).contains(&dpi)
        {
            return Err(self
                .error_at(
                    &[Seg::Key("figures"), Seg::Key("dpi")],
                    format!(
                        "`figures.dpi` is {dpi}; reprise writes figure files at 72 to 2400 dpi"
                    ),
                )
                .hint("journals ask for 300 (photographs and plots), 600 or 1200 (line art)"));
        }
        if let Some(w) = figures.width_mm
            && !(w.is_finite() && (20.0..=300.0).contains(&w))
        {
            return Err(self
                .error_at(
                    &[Seg::Key("figures"), Seg::Key("width_mm")],
                    format!("`figures.width_mm` is {w}; a figure is 20 to 300 mm wide"),
                )
                .hint("85 is one journal column, 176 two"));
        }
        let analyses = &self.analyses;
        let kind_of = |id: &str| analyses.iter().find(|p| p.id == id).map(|p| p.kind);
        for (fid, f) in figures.iter() {
            let here = |key: &'static str| {
                vec![Seg::Key("figures"), Seg::Key(fid.as_str()), Seg::Key(key)]
            };
            let want = |key: &'static str, id: &str, what: &str| -> Result<()> {
                match kind_of(id) {
                    Some(kind) if kind == what => Ok(()),
                    Some(_) => Err(self.error_at(
                        &here(key),
                        format!("figure `{fid}`: analysis `{id}` is not a {what} analysis"),
                    )),
                    None => {
                        let mut e = self.error_at(
                            &here(key),
                            format!("figure `{fid}`: analysis `{id}` is not defined"),
                        );
                        if let Some(best) = nearest(id, analyses.iter().map(|p| p.id.as_str())) {
                            e = e.hint(format!("did you mean `{best}`?"));
                        }
                        Err(e)
                    }
                }
            };
            match f.kind {
                FigureKind::Km | FigureKind::Flow | FigureKind::Cuminc | FigureKind::Subgroups => {
                    let Some(id) = &f.analysis else {
                        return Err(self.error_at(
                            &[Seg::Key("figures"), Seg::Key(fid)],
                            format!("figure `{fid}` needs the `analysis` it draws"),
                        ));
                    };
                    if f.kind == FigureKind::Km {
                        want("analysis", id, "km")?;
                        if let Some(lr) = &f.logrank {
                            want("logrank", lr, "logrank")?;
                        }
                    } else {
                        let kind = match f.kind {
                            FigureKind::Cuminc => "cuminc",
                            FigureKind::Subgroups => "subgroups",
                            _ => "flow",
                        };
                        want("analysis", id, kind)?;
                    }
                    if let (FigureKind::Cuminc, Some(causes)) = (f.kind, &f.causes) {
                        let planned = analyses.iter().find(|p| p.id == *id).expect("checked");
                        let known = &planned
                            .get::<crate::analysis::cuminc::Cuminc>()
                            .expect("a cuminc analysis")
                            .causes;
                        if let Some(bad) = causes.iter().find(|c| !known.contains(c)) {
                            return Err(self
                                .error_at(
                                    &here("causes"),
                                    format!("figure `{fid}`: analysis `{id}` has no cause `{bad}`"),
                                )
                                .hint(format!("its causes: {}", known.join(", "))));
                        }
                    }
                }
                FigureKind::Forest => {
                    let models = f.analyses.iter().flatten().map(|a| ("analyses", a));
                    let uni = f.univariable.iter().flatten().map(|a| ("univariable", a));
                    let mut any = false;
                    for (key, id) in models.chain(uni) {
                        want(key, id, "cox")?;
                        any = true;
                    }
                    if !any {
                        return Err(self.error_at(&[Seg::Key("figures"), Seg::Key(fid)], format!("figure `{fid}` needs Cox models: `analyses: [..]` and/or `univariable: [..]`")));
                    }
                }
            }
            if let Some(xmax) = f.xmax
                && !(xmax.is_finite() && xmax > 0.0)
            {
                return Err(self.error_at(
                    &here("xmax"),
                    format!("figure `{fid}`: xmax must be a time > 0"),
                ));
            }
            if let Some(b) = &f.breaks
                && (b.iter().any(|x| !x.is_finite() || *x < 0.0)
                    || b.windows(2).any(|w| w[0] >= w[1]))
            {
                return Err(self.error_at(
                    &here("breaks"),
                    format!("figure `{fid}`: breaks must be increasing times ≥ 0"),
                ));
            }
        }
        Ok(())
    }

    /// `report`: a template path that names something, and formats listed once each;
    /// `supplement`: each entry one section, table or figure.
    pub(super) fn validate_report(&self) -> Result<()> {
        if let Some(sup) = &self.spec.supplement {
            for (i, item) in sup.contents.iter().enumerate() {
                let kinds = [
                    item.section.is_some(),
                    item.table.is_some(),
                    item.figure.is_some(),
                ]
                .iter()
                .filter(|k| **k)
                .count();
                if kinds != 1 || (item.text.is_some() && item.section.is_none()) {
                    return Err(self
                        .error_at(
                            &[Seg::Key("supplement"), Seg::Key("contents"), Seg::Index(i)],
                            "a supplement entry is one of `section:` (with `text:`), `table:` or `figure:`",
                        )
                        .hint("for example `- { table: table1 }` or `- { section: eMethods, text: \"...\" }`"));
                }
            }
        }
        if let Some(report) = &self.spec.report
            && let Some(t) = &report.template
            && t.trim().is_empty()
        {
            return Err(self.error_at(
                &[Seg::Key("report"), Seg::Key("template")],
                "report template path is empty".to_string(),
            ));
        }
        if let Some(formats) = self.spec.report.as_ref().and_then(|r| r.formats.as_ref()) {
            let at = [Seg::Key("report"), Seg::Key("formats")];
            if formats.is_empty() {
                return Err(self.error_at(&at, "`report.formats` is empty").hint(
                    "list at least one of pdf, docx and html, or leave the key out for pdf",
                ));
            }
            for (i, f) in formats.iter().enumerate() {
                if formats[..i].contains(f) {
                    return Err(self.error_at(
                        &[Seg::Key("report"), Seg::Key("formats"), Seg::Index(i)],
                        format!("`report.formats` lists {} twice", f.name()),
                    ));
                }
            }
        }
        Ok(())
    }
}
