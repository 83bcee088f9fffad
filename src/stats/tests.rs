//! The group comparisons of a Table 1, as R's `stats` computes them: `wilcox.test`,
//! `kruskal.test`, `chisq.test(correct = FALSE)` and `fisher.test`.

use super::{chisq_sf, normal_p};

/// A test's outcome; `statistic` and `df` are absent where the test has none (Fisher).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TestResult {
    pub statistic: Option<f64>,
    pub df: Option<usize>,
    pub p: f64,
}

/// Mid-ranks (ties share the average rank) and the tie sizes, as R's `rank`.
fn ranks(values: &[f64]) -> (Vec<f64>, Vec<usize>) {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut rank = vec![0.0; values.len()];
    let mut ties = Vec::new();
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        for &o in &order[i..=j] {
            rank[o] = mid;
        }
        ties.push(j - i + 1);
        i = j + 1;
    }
    (rank, ties)
}

/// Two-sample Wilcoxon rank-sum test, two-sided, R's defaults: exact when both samples
/// are under 50 and there are no ties, else the normal approximation with continuity
/// correction and the tie-corrected variance.
pub fn wilcox(x: &[f64], y: &[f64]) -> TestResult {
    let (nx, ny) = (x.len(), y.len());
    let all: Vec<f64> = x.iter().chain(y).copied().collect();
    let (rank, ties) = ranks(&all);
    let w: f64 = rank[..nx].iter().sum::<f64>() - (nx * (nx + 1)) as f64 / 2.0;
    let has_ties = ties.iter().any(|&t| t > 1);
    let p = if nx < 50 && ny < 50 && !has_ties {
        let dist = wilcox_distribution(nx, ny);
        let total: f64 = dist.iter().sum();
        let cdf = |q: usize| dist[..=q.min(dist.len() - 1)].iter().sum::<f64>() / total;
        let w = w.round() as usize;
        let half = if (w as f64) > (nx * ny) as f64 / 2.0 {
            1.0 - cdf(w - 1)
        } else {
            cdf(w)
        };
        (2.0 * half).min(1.0)
    } else {
        let (nx, ny) = (nx as f64, ny as f64);
        let n = nx + ny;
        let tie_sum: f64 = ties.iter().map(|&t| (t * t * t - t) as f64).sum();
        let sigma = ((nx * ny / 12.0) * ((n + 1.0) - tie_sum / (n * (n - 1.0)))).sqrt();
        let z = w - nx * ny / 2.0;
        let z = (z - 0.5 * z.signum()) / sigma;
        normal_p(z)
    };
    TestResult {
        statistic: Some(w),
        df: None,
        p,
    }
}

/// Counts of the rank-sum statistic W over all `C(m+n, m)` splits (R's `dwilcox`, unnormalised).
fn wilcox_distribution(m: usize, n: usize) -> Vec<f64> {
    // ways[j][s]: ways to pick j of the items seen so far with rank sum s (ranks 1..).
    let max_sum = m * (m + n);
    let mut ways = vec![vec![0.0f64; max_sum + 1]; m + 1];
    ways[0][0] = 1.0;
    for item in 1..=(m + n) {
        for j in (1..=m.min(item)).rev() {
            for s in (item..=max_sum).rev() {
                ways[j][s] += ways[j - 1][s - item];
            }
        }
    }
    let offset = m * (m + 1) / 2;
    ways[m][offset..=offset + m * n].to_vec()
}

/// Kruskal-Wallis rank-sum test over `groups` (codes 0..k), with the tie correction.
pub fn kruskal(values: &[f64], groups: &[u32], k: usize) -> TestResult {
    let n = values.len() as f64;
    let (rank, ties) = ranks(values);
    let mut sums = vec![0.0; k];
    let mut counts = vec![0usize; k];
    for (r, &g) in rank.iter().zip(groups) {
        sums[g as usize] += r;
        counts[g as usize] += 1;
    }
    let present = counts.iter().filter(|&&c| c > 0).count();
    let h: f64 = sums
        .iter()
        .zip(&counts)
        .filter(|(_, c)| **c > 0)
        .map(|(s, &c)| s * s / c as f64)
        .sum();
    let h = (12.0 * h / (n * (n + 1.0)) - 3.0 * (n + 1.0))
        / (1.0 - ties.iter().map(|&t| (t * t * t - t) as f64).sum::<f64>() / (n * n * n - n));
    let df = present - 1;
    TestResult {
        statistic: Some(h),
        df: Some(df),
        p: chisq_sf(h, df as f64),
    }
}

/// Expected counts of a contingency table under independence.
pub fn expected(table: &[Vec<u64>]) -> Vec<Vec<f64>> {
    let rows: Vec<f64> = table.iter().map(|r| r.iter().sum::<u64>() as f64).collect();
    let cols: Vec<f64> = (0..table[0].len())
        .map(|j| table.iter().map(|r| r[j]).sum::<u64>() as f64)
        .collect();
    let n: f64 = rows.iter().sum();
    rows.iter()
        .map(|r| cols.iter().map(|c| r * c / n).collect())
        .collect()
}

/// Pearson's chi-square test of independence without continuity correction.
pub fn chisq(table: &[Vec<u64>]) -> TestResult {
    let e = expected(table);
    let x2: f64 = table
        .iter()
        .zip(&e)
        .flat_map(|(o, e)| o.iter().zip(e).map(|(&o, &e)| (o as f64 - e).powi(2) / e))
        .sum();
    let df = (table.len() - 1) * (table[0].len() - 1);
    TestResult {
        statistic: Some(x2),
        df: Some(df),
        p: chisq_sf(x2, df as f64),
    }
}

/// Fisher's exact test for an r × c table, two-sided as R's `fisher.test`: the total
/// probability of every table with the same margins that is no more likely than the one
/// observed (with R's relative tolerance 1e-7). Tables are enumerated; past `limit` of
/// them the answer is `None` rather than a guess.
pub fn fisher(table: &[Vec<u64>], limit: u64) -> Option<f64> {
    let rows: Vec<u64> = table.iter().map(|r| r.iter().sum()).collect();
    let cols: Vec<u64> = (0..table[0].len())
        .map(|j| table.iter().map(|r| r[j]).sum())
        .collect();
    let n: u64 = rows.iter().sum();
    let lf = log_factorials(n as usize);
    let constant: f64 = rows
        .iter()
        .chain(&cols)
        .map(|&m| lf[m as usize])
        .sum::<f64>()
        - lf[n as usize];
    let log_p = |cells: &mut dyn Iterator<Item = u64>| {
        constant - cells.map(|c| lf[c as usize]).sum::<f64>()
    };
    let observed = log_p(&mut table.iter().flatten().copied());
    let threshold = observed + (1.0 + 1e-7f64).ln();

    struct Walk<'a> {
        rows: &'a [u64],
        lf: &'a [f64],
        threshold: f64,
        constant: f64,
        total: f64,
        visited: u64,
        limit: u64,
    }
    // Fill row by row; `left` holds what each column still needs.
    fn row(w: &mut Walk, i: usize, left: &mut Vec<u64>, acc: f64) -> bool {
        if i + 1 == w.rows.len() {
            // The last row is forced by the column margins.
            let lp = w.constant - acc - left.iter().map(|&c| w.lf[c as usize]).sum::<f64>();
            w.visited += 1;
            if lp <= w.threshold {
                w.total += lp.exp();
            }
            return w.visited <= w.limit;
        }
        cell(w, i, 0, w.rows[i], left, acc)
    }
    fn cell(
        w: &mut Walk,
        i: usize,
        j: usize,
        remaining: u64,
        left: &mut Vec<u64>,
        acc: f64,
    ) -> bool {
        if j + 1 == left.len() {
            if remaining > left[j] {
                return true;
            }
            left[j] -= remaining;
            let ok = row(w, i + 1, left, acc + w.lf[remaining as usize]);
            left[j] += remaining;
            return ok;
        }
        // What the columns after j can still take bounds this cell from below.
        let capacity: u64 = left[j + 1..].iter().sum();
        let low = remaining.saturating_sub(capacity);
        for v in low..=remaining.min(left[j]) {
            left[j] -= v;
            let ok = cell(w, i, j + 1, remaining - v, left, acc + w.lf[v as usize]);
            left[j] += v;
            if !ok {
                return false;
            }
        }
        true
    }
    let mut walk = Walk {
        rows: &rows,
        lf: &lf,
        threshold,
        constant,
        total: 0.0,
        visited: 0,
        limit,
    };
    let mut left = cols.clone();
    row(&mut walk, 0, &mut left, 0.0).then(|| walk.total.min(1.0))
}

fn log_factorials(n: usize) -> Vec<f64> {
    let mut lf = vec![0.0; n + 1];
    for i in 1..=n {
        lf[i] = lf[i - 1] + (i as f64).ln();
    }
    lf
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn ranks_average_ties() {
        let (r, t) = ranks(&[3.0, 1.0, 3.0, 2.0]);
        assert_eq!(r, [3.5, 1.0, 3.5, 2.0]);
        assert_eq!(t, [1, 1, 2]);
    }

    #[test]
    fn wilcox_distribution_is_symmetric_and_complete() {
        let d = wilcox_distribution(3, 4);
        assert_eq!(d.iter().sum::<f64>(), 35.0); // C(7, 3)
        assert_eq!(d.len(), 13);
        assert!(d.iter().zip(d.iter().rev()).all(|(a, b)| a == b));
    }

    #[test]
    fn fisher_on_a_tea_tasting_table() {
        // Fisher's lady tasting tea: R gives p = 0.4857142857142857.
        let p = fisher(&[vec![3, 1], vec![1, 3]], 1_000_000).unwrap();
        assert!((p - 0.4857142857142857).abs() < 1e-12);
    }

    #[test]
    fn fisher_gives_up_rather_than_guess() {
        assert_eq!(fisher(&[vec![30, 30], vec![30, 30]], 5), None);
    }
}
