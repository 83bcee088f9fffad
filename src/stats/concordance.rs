//! Harrell's concordance of a Cox model and its standard error, as `coxph` reports them
//! (`concordancefit(y, lp, reverse = TRUE, timefix = FALSE)`, time weight "n").
//!
//! R's algorithm, in O(n log n): walk the rows from the largest time down, keeping the
//! linear predictors of everyone at risk in one tree and of the deaths seen so far in
//! another. Each death is compared with the risk set at its time (later times, and
//! censorings at the same time); tied deaths are pairs tied on time. The standard error
//! is the infinitesimal jackknife: each row's influence on the concordant, discordant and
//! tied-on-predictor counts, which for a row at risk is the number of later-processed
//! deaths above, below or level with it — the deaths tree at the end less the tree when
//! the row joined.
//!
//! Without case weights every count is an integer, so the trees hold integer counts over
//! the ranks of the predictor, sixteen to a node (see [`Trees`]): exact, and a quarter of
//! the memory of R's trees of doubles.

use rayon::prelude::*;

use super::sorted::runs;

/// Which of the two trees an operation is on.
const RISK: usize = 0;
const DEATHS: usize = 1;

/// Sixteen counts: one cache line.
#[derive(Clone, Copy, Default)]
#[repr(align(64))]
struct Line([u32; 16]);

/// Two count trees over the ranks of the predictor, the rows at risk and the deaths, with
/// prefix sums in O(log m). Each tree has fan-out sixteen: level 0 counts each rank,
/// level l + 1 counts blocks of sixteen of level l, and a prefix sum reads one line per
/// level. At ten million ranks that is six lines, the top three always in cache, where a
/// binary (Fenwick) tree touches a dozen scattered ones. The two trees are interleaved
/// line by line, so that a row's query on one and its insertion into the other (the
/// sweep's every step) fall on the same lines.
struct Trees {
    /// Per level, per block of sixteen: the risk line, then the deaths line.
    levels: Vec<Vec<[Line; 2]>>,
    total: [u64; 2],
}

impl Trees {
    fn new(m: usize) -> Trees {
        let mut levels = Vec::new();
        let mut width = m.max(1);
        loop {
            let blocks = width.div_ceil(16);
            levels.push(vec![[Line::default(); 2]; blocks]);
            if blocks == 1 {
                break;
            }
            width = blocks;
        }
        Trees {
            levels,
            total: [0; 2],
        }
    }

    /// The trees holding `risk` and `deaths` (ranks), built level by level in O(m).
    fn holding(
        m: usize,
        risk: impl Iterator<Item = u32>,
        deaths: impl Iterator<Item = u32>,
    ) -> Trees {
        let mut t = Trees::new(m);
        for (tree, ranks) in [
            (RISK, risk.collect::<Vec<u32>>()),
            (DEATHS, deaths.collect()),
        ] {
            for &r in &ranks {
                t.levels[0][r as usize >> 4][tree].0[r as usize & 15] += 1;
            }
            t.total[tree] = ranks.len() as u64;
        }
        for l in 1..t.levels.len() {
            let (below, above) = t.levels.split_at_mut(l);
            for (b, block) in below[l - 1].iter().enumerate() {
                for tree in [RISK, DEATHS] {
                    let sum: u32 = block[tree].0.iter().sum();
                    above[0][b >> 4][tree].0[b & 15] += sum;
                }
            }
        }
        t
    }

    #[inline]
    fn add(&mut self, tree: usize, rank: u32) {
        self.total[tree] += 1;
        let mut r = rank as usize;
        for level in &mut self.levels {
            level[r >> 4][tree].0[r & 15] += 1;
            r >>= 4;
        }
    }

    /// (below, level, above) `rank`.
    #[inline]
    fn split(&self, tree: usize, rank: u32) -> (u64, u64, u64) {
        let r0 = rank as usize;
        let level = self.levels[0][r0 >> 4][tree].0[r0 & 15] as u64;
        let mut below = 0u64;
        let mut r = r0;
        for lines in &self.levels {
            let line = &lines[r >> 4][tree].0;
            below += line[..r & 15].iter().map(|&c| c as u64).sum::<u64>();
            r >>= 4;
        }
        (below, level, self.total[tree] - below - level)
    }
}

/// Each value's order-preserving integer key with its row, sorted: the keys of finite
/// doubles order as the doubles, and -0.0 becomes 0.0 first, since R's `unique` treats
/// them as equal.
fn sorted_keys(x: &[f64]) -> Vec<(u64, u32)> {
    let key = |v: f64| {
        let b = (v + 0.0).to_bits();
        if b >> 63 == 1 { !b } else { b | (1 << 63) }
    };
    let mut keyed: Vec<(u64, u32)> = x
        .par_iter()
        .enumerate()
        .map(|(i, &v)| (key(v), i as u32))
        .collect();
    keyed.par_sort_unstable();
    keyed
}

/// Dense ranks of `x`: equal values share a rank, ranks run 0..m. Returns the ranks and m.
fn ranks(x: &[f64]) -> (Vec<u32>, usize) {
    let keyed = sorted_keys(x);
    let mut rank = vec![0u32; x.len()];
    let mut m = 0u32;
    for (k, &(b, i)) in keyed.iter().enumerate() {
        if k > 0 && b != keyed[k - 1].0 {
            m += 1;
        }
        rank[i as usize] = m;
    }
    (rank, if x.is_empty() { 0 } else { m as usize + 1 })
}

/// The number of distinct values of `x`, counted up to `cap`.
fn distinct_at_least(x: &[f64], cap: usize) -> usize {
    let mut seen = std::collections::HashSet::new();
    for &v in x {
        seen.insert((v + 0.0).to_bits());
        if seen.len() >= cap {
            break;
        }
    }
    seen.len()
}

/// Counts by rank of a fixed set of rows: `below[r]` rows rank below r, and the total.
struct Static {
    below: Vec<u32>,
    total: u64,
}

impl Static {
    fn new(ranks: impl Iterator<Item = u32>, m: usize) -> Static {
        let mut below = vec![0u32; m + 1];
        let mut total = 0;
        for r in ranks {
            below[r as usize + 1] += 1;
            total += 1;
        }
        for r in 0..m {
            below[r + 1] += below[r];
        }
        Static { below, total }
    }

    fn split(&self, rank: u32) -> (u64, u64, u64) {
        let below = self.below[rank as usize] as u64;
        let level = self.below[rank as usize + 1] as u64 - below;
        (below, level, self.total - below - level)
    }
}

/// The sweep over rows `range` (whole runs of equal time), from the largest time down,
/// starting from `trees`: empty, or holding the rows and deaths of all later times, swept
/// elsewhere (every one of them is in each risk set here, and died before each row here
/// joined). Returns the pair counts (concordant, discordant, tied on x) of the deaths in
/// `range`, and fills their rows of `diff` and `pairs` (`range.start`-based).
fn sweep(
    time: &[f64],
    event: &[bool],
    rank: &[u32],
    range: std::ops::Range<usize>,
    mut trees: Trees,
    diff: &mut [i64],
    pairs: &mut [i64],
) -> [u64; 3] {
    let base = range.start;
    let mut counts = [0u64; 3];
    let mut dead: Vec<(u32, usize)> = Vec::new();
    let mut censored: Vec<(u32, usize)> = Vec::new();
    for (start, end) in runs(&time[range.clone()]).rev() {
        let (start, end) = (start + base, end + base);
        // Within one time the rows may be taken in any order, so they are taken by rank:
        // consecutive steps then walk neighbouring paths of the trees, which keeps them in
        // cache when a day holds thousands of rows.
        censored.clear();
        dead.clear();
        for i in start..end {
            if event[i] {
                dead.push((rank[i], i));
            } else {
                censored.push((rank[i], i));
            }
        }
        censored.sort_unstable();
        dead.sort_unstable();
        // Censored rows join the risk set first: they were at risk at this time.
        for &(r, i) in &censored {
            let (below, _, above) = trees.split(DEATHS, r);
            diff[i - base] -= below as i64 - above as i64;
            pairs[i - base] -= trees.total[DEATHS] as i64;
            trees.add(RISK, r);
        }
        // Each death against the risk set; deaths at this time are tied on time with one
        // another, not compared. R compares them all first and adds them after; here
        // each death is added as soon as it is counted, and the deaths of this time
        // already added (all ranked at or below it) are taken back out of its counts.
        let d = dead.len();
        let deaths_after = trees.total[DEATHS] + d as u64;
        // [first, last]: the deaths of this time with the current rank.
        let (mut first, mut last) = (0, 0);
        for k in 0..d {
            let (r, i) = dead[k];
            if k == 0 || dead[first].0 != r {
                first = k;
                last = k;
                while last + 1 < d && dead[last + 1].0 == r {
                    last += 1;
                }
            }
            let (mut below, mut level, above) = trees.split(RISK, r);
            below -= first as u64;
            level -= (k - first) as u64;
            counts[0] += above;
            counts[1] += below;
            counts[2] += level;
            diff[i - base] += above as i64 - below as i64;
            pairs[i - base] += (above + below + level) as i64;
            // Its entry into the risk set, with every death of this time already in the
            // deaths tree: those ranked below it are; those above are added here.
            let (below, _, above) = trees.split(DEATHS, r);
            let above = above + (d - 1 - last) as u64;
            diff[i - base] -= below as i64 - above as i64;
            pairs[i - base] -= deaths_after as i64;
            trees.add(RISK, r);
            trees.add(DEATHS, r);
        }
    }
    counts
}

/// A Fenwick tree of counts over positions (the sweep positions of [`by_predictor`], or
/// the bands of [`super::concordance_counts`]), with their total.
pub(super) struct Positions {
    tree: Vec<u64>,
    pub total: u64,
}

impl Positions {
    pub fn new(m: usize) -> Positions {
        Positions {
            tree: vec![0; m + 1],
            total: 0,
        }
    }

    /// The tree holding `counts[q]` at each position, built in O(m).
    fn holding(counts: &[u64]) -> Positions {
        let mut t = Positions::new(counts.len());
        for (q, &c) in counts.iter().enumerate() {
            t.tree[q + 1] += c;
            let parent = (q + 1) + ((q + 1) & (q + 1).wrapping_neg());
            if parent < t.tree.len() {
                let v = t.tree[q + 1];
                t.tree[parent] += v;
            }
            t.total += c;
        }
        t
    }

    #[inline]
    fn add(&mut self, q: usize) {
        self.add_n(q, 1);
    }

    /// `n` more at position `q`.
    #[inline]
    pub fn add_n(&mut self, q: usize, n: u64) {
        let mut i = q + 1;
        while i < self.tree.len() {
            self.tree[i] += n;
            i += i & i.wrapping_neg();
        }
        self.total += n;
    }

    /// Entries at positions below `q`.
    #[inline]
    pub fn below(&self, q: usize) -> u64 {
        let mut i = q;
        let mut s = 0;
        while i > 0 {
            s += self.tree[i];
            i -= i & i.wrapping_neg();
        }
        s
    }
}

/// What one pass of [`by_predictor`] over a stretch of the predictor's order adds up:
/// the pair counts, and the jackknife's sum of squares once `somer` and `npair` are
/// known.
#[derive(Default, Clone, Copy)]
struct Stretch {
    counts: [u64; 3],
    squares: f64,
}

/// The concordance by the same counts as [`sweep`], swept the other way: the rows in
/// order of the linear predictor, against a tree over the sweep's positions in time (two
/// per distinct time: its censorings, then its deaths). With few distinct times that tree
/// stays in cache however many rows there are, where the time sweep's trees span every
/// distinct predictor. A death is compared with the rows at earlier positions (later
/// times, and censorings at its time); a row is in the risk set of every death at a later
/// position. Each row's counts are the time sweep's, so the estimate is the same number
/// and the standard error the same up to the order of its sum.
fn by_predictor(time: &[f64], event: &[bool], lp: &[f64]) -> (f64, f64) {
    let n = time.len();
    // Sweep positions: the last time first, censorings before deaths.
    let t = runs(time).count();
    let mut position = vec![0u32; n];
    for (k, (start, end)) in runs(time).enumerate() {
        for i in start..end {
            position[i] = (2 * (t - 1 - k) + usize::from(event[i])) as u32;
        }
    }
    let m = 2 * t;
    let mut all = vec![0u64; m];
    let mut deaths = vec![0u64; m];
    for i in 0..n {
        all[position[i] as usize] += 1;
        if event[i] {
            deaths[position[i] as usize] += 1;
        }
    }
    // Rows at earlier positions, and deaths at later ones, per position.
    let mut earlier = vec![0u64; m];
    for q in 1..m {
        earlier[q] = earlier[q - 1] + all[q - 1];
    }
    let mut later_deaths = vec![0u64; m];
    for q in (0..m.saturating_sub(1)).rev() {
        later_deaths[q] = later_deaths[q + 1] + deaths[q + 1];
    }
    let order = sorted_keys(lp);
    // Each row's position and event in the predictor's order, gathered once, and where
    // each run of equal predictors starts: the passes below then read memory in order.
    let seq: Vec<(u32, bool)> = order
        .par_iter()
        .map(|&(_, i)| (position[i as usize], event[i as usize]))
        .collect();
    let starts: Vec<bool> = (0..n)
        .into_par_iter()
        .map(|k| k == 0 || order[k - 1].0 != order[k].0)
        .collect();
    drop(order);
    // Two stretches of the order, on a core each, the second starting from the first's
    // counts; the split falls between two predictor values.
    let mut split = n / 2;
    while split > 0 && split < n && !starts[split] {
        split += 1;
    }
    let split = split.min(n);
    let mut first_all = vec![0u64; m];
    let mut first_deaths = vec![0u64; m];
    for &(q, death) in &seq[..split] {
        first_all[q as usize] += 1;
        if death {
            first_deaths[q as usize] += 1;
        }
    }
    let cx = Sweep {
        earlier: &earlier,
        later_deaths: &later_deaths,
    };
    let pass = |score: Option<(f64, f64)>| {
        let (a, b) = rayon::join(
            || {
                cx.stretch(
                    &seq[..split],
                    &starts[..split],
                    Positions::new(m),
                    Positions::new(m),
                    score,
                )
            },
            || {
                cx.stretch(
                    &seq[split..],
                    &starts[split..],
                    Positions::holding(&first_all),
                    Positions::holding(&first_deaths),
                    score,
                )
            },
        );
        Stretch {
            counts: [0, 1, 2].map(|k| a.counts[k] + b.counts[k]),
            squares: a.squares + b.squares,
        }
    };
    let counted = pass(None);
    let [above, below, level] = counted.counts;
    let npair = (above + below + level) as f64;
    let somer = (above as f64 - below as f64) / npair;
    let var = pass(Some((somer, npair))).squares / 4.0;
    (1.0 - (somer + 1.0) / 2.0, var.sqrt())
}

/// The fixed parts of [`by_predictor`]'s sweep.
struct Sweep<'a> {
    earlier: &'a [u64],
    later_deaths: &'a [u64],
}

impl Sweep<'_> {
    /// One stretch of the predictor's order (each row's position and event, and where
    /// runs of equal predictor start), from trees holding the rows (and deaths) of lower
    /// predictor: its pair counts, and with `score` (Somers' d and the pair count) the sum
    /// of its rows' squared jackknife terms.
    fn stretch(
        &self,
        seq: &[(u32, bool)],
        starts: &[bool],
        mut rows: Positions,
        mut dead: Positions,
        score: Option<(f64, f64)>,
    ) -> Stretch {
        let mut out = Stretch::default();
        let mut start = 0;
        while start < seq.len() {
            let mut end = start + 1;
            while end < seq.len() && !starts[end] {
                end += 1;
            }
            let group = &seq[start..end];
            for &(q, death) in group {
                let q = q as usize;
                // Rows tied with it on the predictor, at earlier positions, and deaths
                // tied with it at later ones.
                let (mut level, mut dead_level) = (0u64, 0u64);
                if group.len() > 1 {
                    for &(r, d) in group {
                        level += u64::from((r as usize) < q);
                        dead_level += u64::from(d && r as usize > q);
                    }
                }
                let (mut diff, mut pairs) = (0i64, 0i64);
                if death {
                    let below = rows.below(q);
                    let above = self.earlier[q] - below - level;
                    out.counts[0] += above;
                    out.counts[1] += below;
                    out.counts[2] += level;
                    diff += above as i64 - below as i64;
                    pairs += (above + below + level) as i64;
                }
                // As one at risk: the deaths at later positions, below and above it.
                let dead_below = dead.total - dead.below(q + 1);
                let dead_above = self.later_deaths[q] - dead_below - dead_level;
                diff += dead_below as i64 - dead_above as i64;
                pairs += self.later_deaths[q] as i64;
                if let Some((somer, npair)) = score {
                    let dfbeta = diff as f64 / npair - (somer / npair) * pairs as f64;
                    out.squares += dfbeta * dfbeta;
                }
            }
            for &(q, death) in group {
                rows.add(q as usize);
                if death {
                    dead.add(q as usize);
                }
            }
            start = end;
        }
        out
    }
}

/// The concordance and its standard error for rows in ascending time (`time` already
/// through `timefix`). NaN where they do not exist (no comparable pairs).
pub fn concordance(time: &[f64], event: &[bool], lp: &[f64]) -> (f64, f64) {
    let n = time.len();
    // Whichever tree is smaller: over the times' positions, or over the predictor's
    // ranks (a predictor of few values, such as one binary term).
    let times = runs(time).count();
    if n >= 1000 && 2 * times < distinct_at_least(lp, 2 * times + 1) {
        return by_predictor(time, event, lp);
    }
    by_time(time, event, lp)
}

/// The concordance by R's sweep from the largest time down, with trees over the ranks
/// of the predictor.
fn by_time(time: &[f64], event: &[bool], lp: &[f64]) -> (f64, f64) {
    let n = time.len();
    let (rank, m) = ranks(lp);
    // Per row: concordant - discordant, and concordant + discordant + tied on x (R's
    // `imat[, 1] - imat[, 2]` and `rowSums(imat[, 1:3])`).
    let mut diff = vec![0i64; n];
    let mut pairs = vec![0i64; n];
    // The sweep is sequential, and at ten million rows its trees no longer fit in cache.
    // So the later half of the times is swept on one thread while the earlier half is
    // swept on another, from trees built at once to hold the later half's rows and
    // deaths: the state the single sweep would have reached there. The split falls
    // between two distinct times.
    let mut split = n / 2;
    while split > 0 && split < n && time[split - 1] == time[split] {
        split += 1;
    }
    let split = split.min(n);
    let (d1, d2) = diff.split_at_mut(split);
    let (p1, p2) = pairs.split_at_mut(split);
    let (late, early) = rayon::join(
        || sweep(time, event, &rank, split..n, Trees::new(m), d2, p2),
        || {
            let later = Trees::holding(
                m,
                rank[split..].iter().copied(),
                rank[split..]
                    .iter()
                    .zip(&event[split..])
                    .filter(|(_, e)| **e)
                    .map(|(r, _)| *r),
            );
            sweep(time, event, &rank, 0..split, later, d1, p1)
        },
    );
    let (concordant, discordant, tied_x) =
        (late[0] + early[0], late[1] + early[1], late[2] + early[2]);
    // Everyone's share of the deaths processed after they joined.
    let deaths = Static::new(
        rank.iter().zip(event).filter(|(_, e)| **e).map(|(r, _)| *r),
        m,
    );
    let total = deaths.total;
    let npair = (concordant + discordant + tied_x) as f64;
    let somer = (concordant as f64 - discordant as f64) / npair;
    let var = diff
        .par_iter()
        .zip(&pairs)
        .zip(&rank)
        .map(|((&d, &p), &r)| {
            let (below, _, above) = deaths.split(r);
            let d = d + below as i64 - above as i64;
            let p = p + total as i64;
            let dfbeta = d as f64 / npair - (somer / npair) * p as f64;
            dfbeta * dfbeta
        })
        .collect::<Vec<f64>>()
        .iter()
        .sum::<f64>()
        / 4.0;
    // reverse = TRUE: a larger linear predictor predicts a shorter time.
    (1.0 - (somer + 1.0) / 2.0, var.sqrt())
}

/// The concordance of a score with a 0/1 outcome — the area under its ROC curve — and the
/// standard error, as `concordance(glm_fit)` reports them: R takes a response that is not
/// a `Surv` as times at which every row has its event, so the comparable pairs are the
/// rows with different outcomes, a higher score on the 1 is concordant, and a tie on the
/// score counts one half.
pub fn binary(y: &[f64], score: &[f64]) -> (f64, f64) {
    let mut order: Vec<usize> = (0..y.len()).collect();
    order.sort_by(|&a, &b| y[a].total_cmp(&y[b]));
    let time: Vec<f64> = order.iter().map(|&i| y[i]).collect();
    let event = vec![true; y.len()];
    // `concordance` counts a pair concordant when the earlier death has the larger
    // predictor, as a Cox model's risk score does; here the earlier "death" is the 0.
    let lp: Vec<f64> = order.iter().map(|&i| -score[i]).collect();
    concordance(&time, &event, &lp)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every comparable pair by brute force: a death against each row with a later time
    /// (or a censoring at the same time).
    fn brute(time: &[f64], event: &[bool], x: &[f64]) -> f64 {
        let (mut c, mut d, mut t) = (0.0, 0.0, 0.0);
        for i in 0..time.len() {
            for j in 0..time.len() {
                let at_risk = time[j] > time[i] || (time[j] == time[i] && !event[j]);
                if event[i] && at_risk {
                    if x[i] > x[j] {
                        c += 1.0
                    } else if x[i] < x[j] {
                        d += 1.0
                    } else {
                        t += 1.0
                    }
                }
            }
        }
        (c + t / 2.0) / (c + d + t)
    }

    /// The sweep in the predictor's order gives the time sweep's counts: the same
    /// estimate, and the same standard error up to the order of its sum.
    #[test]
    fn both_sweeps_agree() {
        let mut rng = crate::rng::Rng::new(17);
        for (n, times, values) in [(5000, 40.0, 0), (3000, 300.0, 25), (2000, 7.0, 3)] {
            let mut rows: Vec<(f64, bool, f64)> = (0..n)
                .map(|_| {
                    let lp = if values == 0 {
                        rng.normal()
                    } else {
                        (rng.uniform() * values as f64).floor()
                    };
                    let t = (rng.uniform() * times).ceil();
                    (t, rng.uniform() < 0.6, lp)
                })
                .collect();
            rows.sort_by(|a, b| a.0.total_cmp(&b.0));
            let time: Vec<f64> = rows.iter().map(|r| r.0).collect();
            let event: Vec<bool> = rows.iter().map(|r| r.1).collect();
            let lp: Vec<f64> = rows.iter().map(|r| r.2).collect();
            let (c1, se1) = by_predictor(&time, &event, &lp);
            let (c2, se2) = by_time(&time, &event, &lp);
            assert_eq!(c1, c2, "n {n}");
            assert!((se1 - se2).abs() <= 1e-12 * se2, "{se1} vs {se2}");
            assert!((c1 - brute(&time, &event, &lp)).abs() < 1e-12);
        }
    }

    #[test]
    fn agrees_with_counting_every_pair() {
        let time = [1., 2., 2., 3., 4., 4., 4., 5., 6., 7.];
        let event = [
            true, true, false, true, true, true, false, false, true, false,
        ];
        let x = [2.0, 0.5, 1.0, 1.0, -0.5, 1.0, 1.0, 0.0, -1.0, 0.3];
        let (c, se) = concordance(&time, &event, &x);
        assert!((c - brute(&time, &event, &x)).abs() < 1e-15);
        assert!(se > 0.0 && se < 0.5);
    }

    #[test]
    fn a_binary_outcome_s_concordance_is_the_share_of_pairs_its_score_orders() {
        // Four pairs of a 0 with a 1: three ordered, one reversed, one more tied.
        let y = [0., 1., 0., 1., 0.];
        let score = [0.1, 0.35, 0.4, 0.8, 0.35];
        let (c, se) = binary(&y, &score);
        // Pairs (0 score, 1 score): (0.1,0.35) (0.1,0.8) (0.4,0.35) (0.4,0.8) (0.35,0.35) (0.35,0.8).
        assert!((c - 4.5 / 6.0).abs() < 1e-15, "{c}");
        assert!(se > 0.0);
    }
}
