//! Survival data in time order: what every estimator here walks.
//!
//! Kaplan-Meier, log-rank, the Cox likelihood, its concordance and `cox.zph` all sweep
//! the rows by time. The callers sort an endpoint once and hand the rows over in that
//! order; a function given rows out of order sorts them itself, so that order is a
//! matter of speed, never of correctness.

use rayon::prelude::*;

/// The row order by ascending time, ties in row order (R's stable `order(time)`).
pub fn order_by_time(time: &[f64]) -> Vec<u32> {
    sort_times(time).1
}

/// The times in ascending order, and the row order that puts them there.
pub fn sort_times(time: &[f64]) -> (Vec<f64>, Vec<u32>) {
    counting_sort(time).unwrap_or_else(|| radix_times(time))
}

/// A stable counting sort over the distinct times, when they are few (follow-up in days
/// or rounded months): one pass to tally them in a hash table, one to place each row.
/// `None` when the times turn out to be too many for that to pay.
fn counting_sort(time: &[f64]) -> Option<(Vec<f64>, Vec<u32>)> {
    let n = time.len();
    let (of_row, bits) = distinct_times(time)?;
    let mut count = vec![0u32; bits.len()];
    for &k in &of_row {
        count[k as usize] += 1;
    }
    let mut distinct: Vec<(u64, u32)> = bits.into_iter().zip(0..).collect();
    // Non-negative doubles order as their bits.
    distinct.sort_unstable();
    let mut start = vec![0u32; count.len()];
    let mut sorted_time = Vec::with_capacity(n);
    let mut at = 0u32;
    for &(bits, k) in &distinct {
        start[k as usize] = at;
        at += count[k as usize];
        sorted_time.extend(std::iter::repeat_n(
            f64::from_bits(bits),
            count[k as usize] as usize,
        ));
    }
    let mut order = vec![0u32; n];
    for (i, &k) in of_row.iter().enumerate() {
        order[start[k as usize] as usize] = i as u32;
        start[k as usize] += 1;
    }
    Some((sorted_time, order))
}

/// Each row's index among the distinct times, and those times' bits by index, tallied
/// through a hash table; `None` as soon as there are too many distinct times (over
/// n/8 + 64) for that to beat a sort.
fn distinct_times(time: &[f64]) -> Option<(Vec<u32>, Vec<u64>)> {
    let n = time.len();
    let mut index: std::collections::HashMap<u64, u32, Fx> = Default::default();
    let mut of_row = Vec::with_capacity(n);
    let mut bits: Vec<u64> = Vec::new();
    for &t in time {
        let b = (t + 0.0).to_bits();
        let next = bits.len() as u32;
        let k = *index.entry(b).or_insert(next);
        if k == next {
            if bits.len() > n / 8 + 64 {
                return None;
            }
            bits.push(b);
        }
        of_row.push(k);
    }
    Some((of_row, bits))
}

fn radix_times(time: &[f64]) -> (Vec<f64>, Vec<u32>) {
    // Times are finite and ≥ 0 here, so their bit patterns order like the numbers
    // (adding 0.0 turns -0.0 into 0.0), and the sorted keys are the sorted times.
    let (keys, order) = radix_sort(time.par_iter().map(|&t| (t + 0.0).to_bits()).collect());
    (keys.into_par_iter().map(f64::from_bits).collect(), order)
}

/// The keys sorted, and their stable order: a least-significant-digit radix sort, 11 bits
/// a pass, skipping the passes where every key has the same digit. Linear in the rows,
/// which at ten million is several times faster than a comparison sort.
pub fn radix_sort(keys: Vec<u64>) -> (Vec<u64>, Vec<u32>) {
    const BITS: u32 = 11;
    const PASSES: u32 = 64_u32.div_ceil(BITS);
    let n = keys.len();
    let mut counts = vec![[0u32; 1 << BITS]; PASSES as usize];
    for &k in &keys {
        for (p, c) in counts.iter_mut().enumerate() {
            c[((k >> (p as u32 * BITS)) & ((1 << BITS) - 1)) as usize] += 1;
        }
    }
    let mut cur: Vec<(u64, u32)> = keys.into_iter().zip(0u32..).collect();
    let mut next: Vec<(u64, u32)> = vec![(0, 0); n];
    for (p, c) in counts.iter().enumerate() {
        if c.iter().any(|&m| m as usize == n) {
            continue;
        }
        let mut offset = [0u32; 1 << BITS];
        let mut sum = 0;
        for (o, &m) in offset.iter_mut().zip(c.iter()) {
            *o = sum;
            sum += m;
        }
        let shift = p as u32 * BITS;
        for &(k, i) in &cur {
            let d = ((k >> shift) & ((1 << BITS) - 1)) as usize;
            next[offset[d] as usize] = (k, i);
            offset[d] += 1;
        }
        std::mem::swap(&mut cur, &mut next);
    }
    cur.into_iter().unzip()
}

pub fn is_ascending(time: &[f64]) -> bool {
    time.windows(2).all(|w| w[0] <= w[1])
}

/// R's `timefix = TRUE` (`aeqSurv`) on times in ascending order: times equal up to
/// rounding error become equal, so that ties are ties. It looks at the distinct values
/// only, which at registry scale are far fewer than the rows.
pub fn timefix(time: &mut [f64]) {
    let mut distinct: Vec<f64> = Vec::new();
    for &t in time.iter() {
        if distinct.last() != Some(&t) {
            distinct.push(t);
        }
    }
    let fixed = survival::data_prep::aeq_times(&distinct);
    if fixed == distinct {
        return;
    }
    let mut k = 0;
    for t in time.iter_mut() {
        while distinct[k] != *t {
            k += 1;
        }
        *t = fixed[k];
    }
}

/// Rows in ascending time with `timefix` applied: `order` is `None` when the input was
/// already in order.
pub struct Sorted {
    pub time: Vec<f64>,
    pub event: Vec<bool>,
    pub order: Option<Vec<u32>>,
}

impl Sorted {
    pub fn new(time: &[f64], event: &[bool]) -> Sorted {
        let (mut time, event, order) = if is_ascending(time) {
            (time.to_vec(), event.to_vec(), None)
        } else {
            let order = order_by_time(time);
            (
                order.iter().map(|&i| time[i as usize]).collect(),
                order.iter().map(|&i| event[i as usize]).collect(),
                Some(order),
            )
        };
        timefix(&mut time);
        Sorted { time, event, order }
    }

    /// `values` (one per input row) in the sorted order.
    pub fn gather<T: Copy + Send + Sync>(&self, values: &[T]) -> Vec<T> {
        match &self.order {
            None => values.to_vec(),
            Some(order) => order.par_iter().map(|&i| values[i as usize]).collect(),
        }
    }

    /// Runs of equal time: `(start, end)` positions.
    pub fn runs(&self) -> Runs<'_> {
        runs(&self.time)
    }
}

/// The runs of equal time in times sorted ascending, as `(start, end)` positions, from
/// either end: the sweeps over risk sets walk them from the last time down.
pub fn runs(time: &[f64]) -> Runs<'_> {
    Runs {
        time,
        front: 0,
        back: time.len(),
    }
}

pub struct Runs<'a> {
    time: &'a [f64],
    front: usize,
    back: usize,
}

impl Iterator for Runs<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        if self.front >= self.back {
            return None;
        }
        let start = self.front;
        let mut end = start + 1;
        while end < self.back && self.time[end] == self.time[start] {
            end += 1;
        }
        self.front = end;
        Some((start, end))
    }
}

impl DoubleEndedIterator for Runs<'_> {
    fn next_back(&mut self) -> Option<(usize, usize)> {
        if self.front >= self.back {
            return None;
        }
        let end = self.back;
        let mut start = end - 1;
        while start > self.front && self.time[start - 1] == self.time[end - 1] {
            start -= 1;
        }
        self.back = start;
        Some((start, end))
    }
}

/// A multiplicative hash for the bits of a double: the standard library's SipHash guards
/// against adversarial keys, which a data file's times are not, at several times the cost.
#[derive(Default, Clone, Copy)]
pub struct Fx;

impl std::hash::BuildHasher for Fx {
    type Hasher = FxHasher;
    fn build_hasher(&self) -> FxHasher {
        FxHasher(0)
    }
}

pub struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// Per distinct time and group: events and censorings. What Kaplan-Meier and the
/// log-rank test need, and at registry scale a few thousand rows instead of millions.
pub struct Counts {
    pub time: Vec<f64>,
    /// `[time index * groups + group]`
    pub events: Vec<u64>,
    pub censored: Vec<u64>,
    pub groups: usize,
}

impl Counts {
    pub fn new(sorted: &Sorted, group: Option<&[u32]>, groups: usize) -> Counts {
        Counts::tally(sorted, group, groups, None)
    }

    fn tally(
        sorted: &Sorted,
        group: Option<&[u32]>,
        groups: usize,
        weight: Option<&[u64]>,
    ) -> Counts {
        let groups = groups.max(1);
        let mut out = Counts {
            time: Vec::new(),
            events: Vec::new(),
            censored: Vec::new(),
            groups,
        };
        for (start, end) in sorted.runs() {
            out.time.push(sorted.time[start]);
            let base = out.events.len();
            out.events.resize(base + groups, 0);
            out.censored.resize(base + groups, 0);
            for i in start..end {
                let g = group.map_or(0, |g| g[i] as usize);
                let w = weight.map_or(1, |w| w[i]);
                if sorted.event[i] {
                    out.events[base + g] += w;
                } else {
                    out.censored[base + g] += w;
                }
            }
        }
        out
    }

    /// The counts of rows in any order. When the rows take few distinct times, as
    /// follow-up in days or rounded months does, they are tallied in one pass through a
    /// hash table, with no sort at all; otherwise the rows are sorted.
    ///
    /// `weight` (counts, from data summarised elsewhere) makes each row stand for that
    /// many patients.
    pub fn of_rows(
        time: &[f64],
        event: &[bool],
        group: Option<&[u32]>,
        groups: usize,
        weight: Option<&[u64]>,
    ) -> Counts {
        let groups = groups.max(1);
        if let Some(w) = weight {
            // Summarised data are small: sort, then tally the weights.
            let sorted = Sorted::new(time, event);
            let group = group.map(|g| sorted.gather(g));
            let w = sorted.gather(w);
            return Counts::tally(&sorted, group.as_deref(), groups, Some(&w));
        }
        if is_ascending(time) {
            let sorted = Sorted::new(time, event);
            return Counts::new(&sorted, group, groups);
        }
        let Some((of_row, bits)) = distinct_times(time) else {
            // Too many distinct times for a table to pay: sort instead.
            let sorted = Sorted::new(time, event);
            let group = group.map(|g| sorted.gather(g));
            return Counts::new(&sorted, group.as_deref(), groups);
        };
        let mut events = vec![0u64; bits.len() * groups];
        let mut censored = vec![0u64; bits.len() * groups];
        for (i, &k) in of_row.iter().enumerate() {
            let at = k as usize * groups + group.map_or(0, |g| g[i] as usize);
            if event[i] {
                events[at] += 1;
            } else {
                censored[at] += 1;
            }
        }
        // The distinct times in order, through timefix, merging those it makes equal.
        let mut distinct: Vec<(f64, usize)> = bits
            .iter()
            .enumerate()
            .map(|(k, &b)| (f64::from_bits(b), k))
            .collect();
        distinct.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        let mut times: Vec<f64> = distinct.iter().map(|d| d.0).collect();
        timefix(&mut times);
        let mut out = Counts {
            time: Vec::new(),
            events: Vec::new(),
            censored: Vec::new(),
            groups,
        };
        for (&t, &(_, k)) in times.iter().zip(&distinct) {
            if out.time.last() != Some(&t) {
                out.time.push(t);
                out.events.resize(out.events.len() + groups, 0);
                out.censored.resize(out.censored.len() + groups, 0);
            }
            let base = out.events.len() - groups;
            for g in 0..groups {
                out.events[base + g] += events[k * groups + g];
                out.censored[base + g] += censored[k * groups + g];
            }
        }
        out
    }

    /// Rows in each group.
    pub fn sizes(&self) -> Vec<u64> {
        let mut n = vec![0; self.groups];
        for (k, (e, c)) in self.events.iter().zip(&self.censored).enumerate() {
            n[k % self.groups] += e + c;
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorting_is_stable_and_times_near_equal_become_tied() {
        let time = [3.0, 1.0, 2.0, 1.0, 2.0 + 1e-12];
        let s = Sorted::new(&time, &[true, false, true, true, false]);
        assert_eq!(s.order.as_deref(), Some(&[1, 3, 2, 4, 0][..]));
        assert_eq!(s.time, vec![1.0, 1.0, 2.0, 2.0, 3.0]);
        assert_eq!(s.runs().collect::<Vec<_>>(), vec![(0, 2), (2, 4), (4, 5)]);
        assert_eq!(
            s.runs().rev().collect::<Vec<_>>(),
            vec![(4, 5), (2, 4), (0, 2)]
        );
        let c = Counts::new(&s, None, 1);
        assert_eq!(c.time, vec![1.0, 2.0, 3.0]);
        // the same counts from the rows as they come, through the hash table
        let h = Counts::of_rows(&time, &[true, false, true, true, false], None, 1, None);
        assert_eq!(
            (&h.time, &h.events, &h.censored),
            (&c.time, &c.events, &c.censored)
        );
        // the counting sort (few distinct times) and the radix sort agree
        let many: Vec<f64> = (0..1000).map(|i| ((i * 7919) % 13) as f64 / 2.0).collect();
        let a = counting_sort(&many).unwrap();
        assert_eq!(a, radix_times(&many));
        assert!(counting_sort(&(0..1000).map(|i| i as f64).collect::<Vec<_>>()).is_none());
        // large keys, equal keys keep their order
        let keys = vec![u64::MAX, 5, 1 << 40, 5, 0];
        assert_eq!(radix_sort(keys).1, vec![4, 1, 3, 2, 0]);
        assert_eq!((c.events, c.censored), (vec![1, 1, 1], vec![1, 1, 0]));
    }
}
