//! The SQL of a Cox model fitted where its rows are: the model's rows staged once in a
//! temporary table (time as an index into the distinct times, the event, the covariates),
//! then one aggregate query per Newton step that returns, per stratum and time, the sums
//! of the risk scores `exp(eta)`, `exp(eta) x` and `exp(eta) x x'` over the rows at that
//! time and over its deaths. reprise adds those up into risk sets; the rows stay on the
//! server, which drops the table when the session ends.

use postgres::Client;
use postgres::types::ToSql;

use super::{DbError, ident, plain};
use crate::stats::coxfit::TimeSums;

/// The staged table's name; temporary, so each session has its own.
const TABLE: &str = "reprise_cox";

/// What to stage: the endpoint's raw columns and the time index and event each complete
/// combination of them stands for, the covariates' columns, and the strata.
pub struct Stage<'a> {
    /// The relation, as it goes after `FROM`.
    pub from: &'a str,
    pub endpoint_columns: &'a [&'a str],
    /// Per complete combination of the endpoint's columns (as the server prints them):
    /// its time's index in ascending order, and whether it is an event.
    pub endpoint: &'a [(Vec<Option<String>>, u32, bool)],
    /// Covariates read as numbers (`x0`, `x1`, ... in the staged table).
    pub numbers: &'a [(&'a str, super::SqlKind)],
    /// Covariates read as text, for categories (`t0`, ...).
    pub texts: &'a [&'a str],
    /// Stratum columns, as text (`g0`, ...).
    pub strata: &'a [&'a str],
}

/// Creates the staged table: the rows whose endpoint and covariates are all present.
pub fn stage(client: &mut Client, s: &Stage) -> Result<(), DbError> {
    let mut select = vec!["m.k".to_string(), "m.s".to_string()];
    let mut complete = Vec::new();
    for (j, (col, kind)) in s.numbers.iter().enumerate() {
        let c = format!("c.{}", ident(col));
        select.push(match kind {
            super::SqlKind::Bool => {
                format!("CASE WHEN {c} THEN 1.0::float8 ELSE 0.0::float8 END AS x{j}")
            }
            _ => format!("{c}::float8 AS x{j}"),
        });
        complete.push(format!("{c} IS NOT NULL"));
        if *kind == super::SqlKind::Number {
            complete.push(format!("{c}::float8 <> 'NaN'::float8"));
        }
    }
    for (prefix, cols) in [("t", s.texts), ("g", s.strata)] {
        for (j, col) in cols.iter().enumerate() {
            let c = format!("c.{}", ident(col));
            select.push(format!("{c}::text AS {prefix}{j}"));
            // A file's empty field and `NA` are missing; so they are here.
            complete.push(format!("{c} IS NOT NULL AND {c}::text NOT IN ('', 'NA')"));
        }
    }
    let mut on = Vec::new();
    let mut names = Vec::new();
    for (j, col) in s.endpoint_columns.iter().enumerate() {
        let c = format!("c.{}", ident(col));
        on.push(format!(
            "({c} IS NULL) = m.n{j} AND coalesce({c}::text, '') = m.v{j}"
        ));
        names.push(format!("n{j}, v{j}"));
    }
    let values: Vec<String> = s
        .endpoint
        .iter()
        .map(|(cells, k, event)| {
            let mut row: Vec<String> = cells
                .iter()
                .map(|v| match v {
                    None => "true, ''".to_string(),
                    Some(v) => format!("false, {}", literal(v)),
                })
                .collect();
            row.push(k.to_string());
            row.push(event.to_string());
            format!("({})", row.join(", "))
        })
        .collect();
    if values.is_empty() {
        return Err(DbError::new("no row has a complete endpoint"));
    }
    let sql = format!(
        "DROP TABLE IF EXISTS {TABLE}; CREATE TEMPORARY TABLE {TABLE} AS SELECT {select} FROM {from} AS c JOIN (VALUES {values}) AS m({names}, k, s) ON {on}{filter}; ANALYZE {TABLE}",
        select = select.join(", "),
        from = s.from,
        values = values.join(", "),
        names = names.join(", "),
        on = on.join(" AND "),
        filter = if complete.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", complete.join(" AND "))
        },
    );
    client.batch_execute(&sql).map_err(|e| {
        DbError::new(format!(
            "the database could not stage the model's rows: {}",
            plain(&e)
        ))
    })
}

/// Drops the staged table.
pub fn unstage(client: &mut Client) -> Result<(), DbError> {
    client
        .batch_execute(&format!("DROP TABLE IF EXISTS {TABLE}"))
        .map_err(|e| {
            DbError::new(format!(
                "the database could not drop the staged rows: {}",
                plain(&e)
            ))
        })
}

/// The distinct values of the staged text column `t{j}`, in byte order, each with its
/// count of rows.
pub fn levels(client: &mut Client, j: usize) -> Result<Vec<(String, u64)>, DbError> {
    let sql =
        format!("SELECT t{j}, count(*) FROM {TABLE} GROUP BY t{j} ORDER BY t{j} COLLATE \"C\"");
    let rows = client
        .query(&sql, &[])
        .map_err(|e| DbError::new(format!("the database refused a query: {}", plain(&e))))?;
    Ok(rows
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as u64))
        .collect())
}

/// A design term as a float8 expression over the staged table: a numeric covariate as it
/// is, or a category's indicator of one level.
#[derive(Debug, Clone)]
pub enum Term {
    Number(usize),
    Level { text: usize, level: String },
}

impl Term {
    fn sql(&self) -> String {
        match self {
            Term::Number(j) => format!("x{j}"),
            Term::Level { text, level } => {
                format!(
                    "CASE WHEN t{text} = {} THEN 1.0::float8 ELSE 0.0::float8 END",
                    literal(level)
                )
            }
        }
    }
}

/// The staged rows, their events, and per term its sum, least and greatest value, and
/// whether any value lies outside {-1, 0, 1} (which decides R's centring).
pub struct Described {
    pub n: u64,
    pub events: u64,
    pub sum: Vec<f64>,
    pub min: Vec<f64>,
    pub max: Vec<f64>,
    pub centred: Vec<bool>,
}

pub fn describe(client: &mut Client, terms: &[Term]) -> Result<Described, DbError> {
    let mut cols = vec![
        "count(*)".to_string(),
        "count(*) FILTER (WHERE s)".to_string(),
    ];
    for t in terms {
        let x = t.sql();
        cols.push(format!("sum({x})"));
        cols.push(format!("min({x})"));
        cols.push(format!("max({x})"));
        cols.push(format!(
            "coalesce(bool_or({x} NOT IN (-1.0, 0.0, 1.0)), false)"
        ));
    }
    let sql = format!("SELECT {} FROM {TABLE}", cols.join(", "));
    let row = client
        .query_one(&sql, &[])
        .map_err(|e| DbError::new(format!("the database refused a query: {}", plain(&e))))?;
    let p = terms.len();
    let num = |i: usize| row.get::<_, Option<f64>>(i).unwrap_or(0.0);
    Ok(Described {
        n: row.get::<_, i64>(0) as u64,
        events: row.get::<_, i64>(1) as u64,
        sum: (0..p).map(|j| num(2 + 4 * j)).collect(),
        min: (0..p).map(|j| num(3 + 4 * j)).collect(),
        max: (0..p).map(|j| num(4 + 4 * j)).collect(),
        centred: (0..p).map(|j| row.get::<_, bool>(5 + 4 * j)).collect(),
    })
}

/// Per term, the sum of `|x - mean|`, from which R's scale is formed.
pub fn absolute_deviations(
    client: &mut Client,
    terms: &[Term],
    means: &[f64],
) -> Result<Vec<f64>, DbError> {
    let cols: Vec<String> = terms
        .iter()
        .zip(means)
        .map(|(t, m)| format!("coalesce(sum(abs({} - {})), 0)", t.sql(), float(*m)))
        .collect();
    let sql = format!("SELECT {} FROM {TABLE}", cols.join(", "));
    let row = client
        .query_one(&sql, &[])
        .map_err(|e| DbError::new(format!("the database refused a query: {}", plain(&e))))?;
    Ok((0..terms.len()).map(|j| row.get::<_, f64>(j)).collect())
}

/// The per-step query, prepared once: its parameters are the coefficients on the centred
/// and scaled covariates, then the shift taken off every linear predictor.
pub struct Step {
    statement: postgres::Statement,
    p: usize,
    strata: usize,
}

impl Step {
    pub fn prepare(
        client: &mut Client,
        terms: &[Term],
        means: &[f64],
        scale: &[f64],
        strata: usize,
    ) -> Result<Step, DbError> {
        let p = terms.len();
        let groups: Vec<String> = (0..strata).map(|j| format!("g{j}")).collect();
        let mut keys = groups.clone();
        keys.push("k".into());
        let z: Vec<String> = terms
            .iter()
            .enumerate()
            .map(|(j, t)| {
                format!(
                    "({} - {}) * {} AS z{j}",
                    t.sql(),
                    float(means[j]),
                    float(scale[j])
                )
            })
            .collect();
        let eta: Vec<String> = (0..p)
            .map(|j| format!("z{j} * ${}::float8", j + 1))
            .collect();
        // Grouped by the event too: the deaths' sums are the event group's, the risk
        // set's both groups' (a FILTER per sum would double the work).
        let mut sums = vec!["count(*)".to_string(), "sum(r)".to_string()];
        for i in 0..p {
            sums.push(format!("sum(r * z{i})"));
        }
        for i in 0..p {
            for k in 0..=i {
                sums.push(format!("sum((r * z{i}) * z{k})"));
            }
        }
        sums.push("sum(eta)".into());
        for i in 0..p {
            sums.push(format!("sum(z{i})"));
        }
        let zs: Vec<String> = (0..p).map(|j| format!("z{j}")).collect();
        let mut grouped = keys.clone();
        grouped.push("s".into());
        // `OFFSET 0` keeps each level a subquery of its own, computed once per row: a
        // flattened query would compute exp(eta) again for every sum that uses it.
        let sql = format!(
            "SELECT {grouped}, {sums} FROM (\
             SELECT {keys}, s, {zs}, eta, exp(eta - ${shift}::float8) AS r FROM (\
             SELECT {keys}, s, {zs}, {eta} AS eta FROM (\
             SELECT {keys}, s, {z} FROM {TABLE} OFFSET 0) AS z OFFSET 0) AS e OFFSET 0) AS r \
             GROUP BY {grouped} ORDER BY {order}, s",
            grouped = grouped.join(", "),
            keys = keys.join(", "),
            zs = zs.join(", "),
            z = z.join(", "),
            eta = eta.join(" + "),
            shift = p + 1,
            sums = sums.join(", "),
            order = keys
                .iter()
                .map(|k| if k == "k" {
                    k.clone()
                } else {
                    format!("{k} COLLATE \"C\"")
                })
                .collect::<Vec<_>>()
                .join(", "),
        );
        let statement = client.prepare(&sql).map_err(|e| {
            DbError::new(format!(
                "the database refused the model's query: {}",
                plain(&e)
            ))
        })?;
        Ok(Step {
            statement,
            p,
            strata,
        })
    }

    /// Each stratum's per-time sums at `beta`, with every risk score multiplied by
    /// `exp(-shift)`.
    pub fn run(
        &self,
        client: &mut Client,
        beta: &[f64],
        shift: f64,
    ) -> Result<Vec<Vec<TimeSums>>, DbError> {
        let p = self.p;
        let mut params: Vec<&(dyn ToSql + Sync)> =
            beta.iter().map(|b| b as &(dyn ToSql + Sync)).collect();
        params.push(&shift);
        let rows = client.query(&self.statement, &params).map_err(|e| {
            DbError::new(format!(
                "the database failed in a step of the model's fit: {}",
                plain(&e)
            ))
        })?;
        let mut strata: Vec<Vec<TimeSums>> = Vec::new();
        let mut last: Option<Vec<String>> = None;
        let mut last_k = None;
        for row in &rows {
            let key: Vec<String> = (0..self.strata).map(|j| row.get::<_, String>(j)).collect();
            if last.as_ref() != Some(&key) {
                strata.push(Vec::new());
                last = Some(key);
                last_k = None;
            }
            let k = row.get::<_, i32>(self.strata);
            let event = row.get::<_, bool>(self.strata + 1);
            let mut at = self.strata + 2;
            let count = row.get::<_, i64>(at) as usize;
            at += 1;
            let mut next = || {
                let v = row.get::<_, Option<f64>>(at).unwrap_or(0.0);
                at += 1;
                v
            };
            let denom = next();
            let a: Vec<f64> = (0..p).map(|_| next()).collect();
            let mut cmat = vec![0.0; p * p];
            for i in 0..p {
                for k in 0..=i {
                    let v = next();
                    cmat[i * p + k] = v;
                    cmat[k * p + i] = v;
                }
            }
            let eta = next();
            let x: Vec<f64> = (0..p).map(|_| next()).collect();
            let times = strata.last_mut().expect("pushed");
            if last_k != Some(k) {
                last_k = Some(k);
                times.push(TimeSums {
                    all: (0.0, vec![0.0; p], vec![0.0; p * p]),
                    tied: (0.0, vec![0.0; p], vec![0.0; p * p]),
                    deaths: 0,
                    eta: 0.0,
                    x: vec![0.0; p],
                });
            }
            let t = times.last_mut().expect("pushed");
            // The censored group comes first: the risk set's sums are its, plus the
            // deaths'.
            t.all.0 += denom;
            for (s, v) in t.all.1.iter_mut().zip(&a) {
                *s += v;
            }
            for (s, v) in t.all.2.iter_mut().zip(&cmat) {
                *s += v;
            }
            if event {
                t.deaths = count;
                t.eta = eta;
                t.x = x;
                t.tied = (denom, a, cmat);
            }
        }
        Ok(strata)
    }
}

/// Patients per (time index, event, band): one row of [`bands`].
pub type Band = (u32, bool, u32, u64);

/// Counts of the staged rows per stratum and (time index, event, band of the linear
/// predictor `sum((x - mean) * beta)`), with the bands cut at the predictor's quantiles so
/// that each holds about the same number of rows: what a concordance needs, without the
/// rows. The bands number `cuts + 1`, ascending in the predictor.
pub fn bands(
    client: &mut Client,
    terms: &[Term],
    means: &[f64],
    beta: &[f64],
    bands: usize,
    rows: u64,
    strata: usize,
) -> Result<(Vec<Vec<Band>>, usize), DbError> {
    let lp: Vec<String> = terms
        .iter()
        .zip(means.iter().zip(beta))
        .filter(|(_, (_, b))| **b != 0.0)
        .map(|(t, (m, b))| format!("({} - {}) * {}", t.sql(), float(*m), float(*b)))
        .collect();
    let lp = if lp.is_empty() {
        "0.0::float8".to_string()
    } else {
        lp.join(" + ")
    };
    let fractions: Vec<f64> = (1..bands).map(|i| i as f64 / bands as f64).collect();
    let sample_percent = (100.0 * 400.0 * bands as f64 / rows.max(1) as f64).min(100.0);
    let refused = |e: postgres::Error| {
        DbError::new(format!(
            "the database refused the concordance's query: {}",
            plain(&e)
        ))
    };
    let row = client
        .query_one(
            // The cuts from a sample (a fixed one: the same rows give the same sample):
            // any cuts keep the bound true, and sorting every row would cost more than
            // the fit.
            &format!(
                "SELECT percentile_disc($1::float8[]) WITHIN GROUP (ORDER BY {lp}) FROM {TABLE} TABLESAMPLE BERNOULLI ($2::float8) REPEATABLE (2021)"
            ),
            &[&fractions, &sample_percent],
        )
        .map_err(refused)?;
    let mut cuts: Vec<f64> = row.get::<_, Option<Vec<f64>>>(0).unwrap_or_default();
    cuts.dedup();
    let mut keys: Vec<String> = (0..strata).map(|j| format!("g{j}")).collect();
    keys.extend([
        "k".to_string(),
        "s".to_string(),
        format!("width_bucket({lp}, $1::float8[])"),
    ]);
    let order: Vec<String> = (1..=keys.len())
        .map(|i| {
            if i <= strata {
                format!("g{} COLLATE \"C\"", i - 1)
            } else {
                i.to_string()
            }
        })
        .collect();
    let sql = format!(
        "SELECT {keys}, count(*) FROM {TABLE} GROUP BY {groups} ORDER BY {order}",
        keys = keys.join(", "),
        groups = (1..=keys.len())
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        order = order.join(", "),
    );
    let params: [&(dyn ToSql + Sync); 1] = [&cuts];
    let rows = client
        .query_raw(&sql, params.iter().copied())
        .map_err(refused)?;
    let mut out: Vec<Vec<Band>> = Vec::new();
    let mut last: Option<Vec<String>> = None;
    let mut rows = rows;
    while let Some(row) =
        postgres::fallible_iterator::FallibleIterator::next(&mut rows).map_err(refused)?
    {
        let key: Vec<String> = (0..strata).map(|j| row.get::<_, String>(j)).collect();
        if last.as_ref() != Some(&key) {
            out.push(Vec::new());
            last = Some(key);
        }
        out.last_mut().expect("pushed").push((
            row.get::<_, i32>(strata) as u32,
            row.get::<_, bool>(strata + 1),
            row.get::<_, i32>(strata + 2) as u32,
            row.get::<_, i64>(strata + 3) as u64,
        ));
    }
    Ok((out, cuts.len() + 1))
}

/// A text literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A double as a literal that reads back as the same bits.
fn float(x: f64) -> String {
    format!("'{x:e}'::float8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_read_back_exactly() {
        assert_eq!(literal("it's"), "'it''s'");
        for x in [0.1, -1.0 / 3.0, 6.02e23, 5e-324] {
            let text = float(x);
            let inner = text.trim_start_matches('\'').split('\'').next().unwrap();
            assert_eq!(inner.parse::<f64>().unwrap().to_bits(), x.to_bits());
        }
    }
}
