//! The Cox design matrix: numbers and booleans as they are, categories as indicator
//! columns against their reference level.

use rayon::prelude::*;

use crate::data::{Column, Values};
use crate::stats;

/// A category's reference level among the rows used and the levels shown against it:
/// the declared `ref` when present, else the first level present.
fn split_levels(
    col: &Column,
    codes: &[Option<u32>],
    n_levels: usize,
    reference: usize,
    rows: &[usize],
) -> stats::Result<(usize, Vec<u32>)> {
    let mut seen = vec![false; n_levels];
    for &i in rows {
        seen[codes[i].expect("complete row") as usize] = true;
    }
    let present: Vec<usize> = (0..n_levels).filter(|&l| seen[l]).collect();
    if present.len() < 2 {
        return Err(single_level(&col.name));
    }
    let reference = if present.contains(&reference) {
        reference
    } else {
        present[0]
    };
    let shown = present
        .into_iter()
        .filter(|&l| l != reference)
        .map(|l| l as u32)
        .collect();
    Ok((reference, shown))
}

/// Why a category with one level among the rows used is refused.
pub fn single_level(column: &str) -> stats::StatsError {
    stats::StatsError(format!(
        "covariate `{column}` has a single level among the rows used, so its effect cannot be estimated"
    ))
}

/// Each category's reference level as a model over `rows` takes it, by column name: what
/// a regression table prints as its "reference" row.
pub fn references(cols: &[&Column], rows: &[usize]) -> Vec<(String, String)> {
    cols.iter()
        .filter_map(|col| match &col.values {
            Values::Cat {
                codes,
                levels,
                reference,
            } => split_levels(col, codes, levels.len(), *reference, rows)
                .ok()
                .map(|(r, _)| (col.name.clone(), levels[r].clone())),
            _ => None,
        })
        .collect()
}

/// The Cox design: numbers and booleans as they are, categories as indicator columns
/// against their reference level (the declared `ref`, else the first level present).
pub fn design(cols: &[&Column], rows: &[usize]) -> stats::Result<stats::Design> {
    // Per covariate, how each row fills its columns: the value itself, or a 0/1
    // indicator per non-reference level present.
    enum Fill<'a> {
        Num(&'a crate::data::Numbers),
        Bool(&'a [Option<bool>]),
        Cat(&'a [Option<u32>], Vec<u32>),
    }
    let mut names = Vec::new();
    let mut covariates = Vec::new();
    let mut fills = Vec::new();
    for col in cols {
        let start = names.len();
        match &col.values {
            Values::Num(v) => {
                names.push(col.name.clone());
                fills.push(Fill::Num(v));
            }
            Values::Bool(v) => {
                names.push(col.name.clone());
                fills.push(Fill::Bool(v));
            }
            Values::Cat {
                codes,
                levels,
                reference,
            } => {
                let (_, shown) = split_levels(col, codes, levels.len(), *reference, rows)?;
                for &l in &shown {
                    names.push(format!("{}={}", col.name, levels[l as usize]));
                }
                fills.push(Fill::Cat(codes, shown));
            }
        }
        covariates.push((col.name.clone(), (start..names.len()).collect()));
    }
    let p = names.len();
    let mut x = vec![0.0; rows.len() * p];
    x.par_chunks_mut(p.max(1))
        .zip(rows.par_iter())
        .for_each(|(out, &i)| {
            let mut j = 0;
            for fill in &fills {
                match fill {
                    Fill::Num(v) => {
                        out[j] = v.get(i).expect("complete row");
                        j += 1;
                    }
                    Fill::Bool(v) => {
                        out[j] = v[i].expect("complete row") as u8 as f64;
                        j += 1;
                    }
                    Fill::Cat(codes, shown) => {
                        let code = codes[i].expect("complete row");
                        for &l in shown {
                            out[j] = (code == l) as u8 as f64;
                            j += 1;
                        }
                    }
                }
            }
        });
    Ok(stats::Design {
        x,
        rows: rows.len(),
        names,
        covariates,
    })
}

/// Per row, one code for each combination of the columns' values (R's `strata(a, b)`),
/// numbered in the order the combinations sort by the columns' own level order.
pub fn strata(cols: &[&Column], rows: &[usize]) -> Vec<i32> {
    let per: Vec<(Vec<u32>, usize)> = cols
        .iter()
        .map(|c| {
            let (codes, labels) = c.groups(rows);
            (codes, labels.len())
        })
        .collect();
    (0..rows.len())
        .map(|k| {
            per.iter()
                .fold(0i64, |acc, (codes, n)| acc * *n as i64 + codes[k] as i64) as i32
        })
        .collect()
}
