//! Harrell's concordance from counts of patients per (time, event, band of the linear
//! predictor), as a database can return them without the rows: the pairs R's
//! `concordancefit` counts, with two patients in the same band counted as tied on the
//! predictor. Bands that hold one predictor value each give R's estimate exactly; wider
//! bands move it by at most half the share of comparable pairs that fall within a band,
//! which is returned as the bound.

use super::concordance::Positions;

/// The estimate and how far from R's it can be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Banded {
    pub estimate: f64,
    /// `|estimate - exact| <= bound`.
    pub bound: f64,
}

/// `strata` each hold `(time index, event, band, patients)`, bands `0..bands` ascending
/// in the linear predictor, in any order; pairs are formed within a stratum only, as R
/// forms them for a stratified model. Each death is compared with everyone still at risk
/// after it (later times, and censorings at its own time); deaths at the same time are
/// tied on time and not compared. `None` without a comparable pair.
pub fn concordance_counts(strata: &[Vec<(u32, bool, u32, u64)>], bands: usize) -> Option<Banded> {
    let (mut concordant, mut discordant, mut tied) = (0u128, 0u128, 0u128);
    for groups in strata {
        let [c, d, t] = pair_counts(groups, bands);
        concordant += c;
        discordant += d;
        tied += t;
    }
    let pairs = (concordant + discordant + tied) as f64;
    (pairs > 0.0).then(|| Banded {
        estimate: (concordant as f64 + tied as f64 / 2.0) / pairs,
        bound: tied as f64 / 2.0 / pairs,
    })
}

/// One stratum's concordant, discordant and tied-on-band pairs.
fn pair_counts(groups: &[(u32, bool, u32, u64)], bands: usize) -> [u128; 3] {
    let mut sorted: Vec<&(u32, bool, u32, u64)> = groups.iter().filter(|g| g.3 > 0).collect();
    // Latest time first; at one time, censorings before deaths.
    sorted.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut at_risk = Positions::new(bands);
    let (mut concordant, mut discordant, mut tied) = (0u128, 0u128, 0u128);
    let mut i = 0;
    while i < sorted.len() {
        let k = sorted[i].0;
        let mut end = i;
        while end < sorted.len() && sorted[end].0 == k {
            end += 1;
        }
        let group = &sorted[i..end];
        for &&(_, event, band, n) in group {
            if !event {
                at_risk.add_n(band as usize, n);
            }
        }
        for &&(_, event, band, n) in group {
            if event {
                let band = band as usize;
                let below = at_risk.below(band);
                let level = at_risk.below(band + 1) - below;
                let above = at_risk.total - below - level;
                concordant += n as u128 * below as u128;
                discordant += n as u128 * above as u128;
                tied += n as u128 * level as u128;
            }
        }
        for &&(_, event, band, n) in group {
            if event {
                at_risk.add_n(band as usize, n);
            }
        }
        i = end;
    }
    [concordant, discordant, tied]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// With one band per predictor value the counts give R's concordance, as the
    /// patient-level algorithm computes it.
    #[test]
    fn bands_of_single_values_give_the_exact_concordance() {
        let mut rng = Rng::new(5);
        let n = 2000;
        let mut rows: Vec<(f64, bool, f64)> = (0..n)
            .map(|_| {
                let lp = (rng.uniform() * 12.0).floor();
                let t = (-rng.uniform().ln() * 30.0 / (0.1 * lp).exp()).ceil();
                (t, rng.uniform() < 0.7, lp)
            })
            .collect();
        rows.sort_by(|a, b| a.0.total_cmp(&b.0));
        let time: Vec<f64> = rows.iter().map(|r| r.0).collect();
        let event: Vec<bool> = rows.iter().map(|r| r.1).collect();
        let lp: Vec<f64> = rows.iter().map(|r| r.2).collect();
        let (exact, _) = super::super::concordance::concordance(&time, &event, &lp);
        let mut counts = std::collections::BTreeMap::new();
        for r in &rows {
            *counts.entry((r.0 as u32, r.1, r.2 as u32)).or_insert(0u64) += 1;
        }
        let groups: Vec<_> = counts
            .into_iter()
            .map(|((t, e, b), n)| (t, e, b, n))
            .collect();
        let got = concordance_counts(std::slice::from_ref(&groups), 12).unwrap();
        assert!(
            (got.estimate - exact).abs() < 1e-12,
            "{} vs {exact}",
            got.estimate
        );
        // Two bands of six values each: further off, within the bound.
        let halves: Vec<_> = groups
            .iter()
            .map(|&(t, e, b, n)| (t, e, b / 6, n))
            .collect();
        let coarse = concordance_counts(&[halves], 2).unwrap();
        assert!((coarse.estimate - exact).abs() <= coarse.bound);
        assert!(coarse.bound > got.bound);
    }
}
