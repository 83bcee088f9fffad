//! Survival statistics over plain slices: no polars, no files.
//!
//! Every estimator follows R's survival package to the rounding error, and all of them
//! walk the rows in time order, sorted once (`sorted`). Kaplan-Meier curves, their
//! confidence limits and quantiles come from the `survival` crate (a port of R's
//! survival), fed one weighted row per distinct time; the log-rank test, the Cox fit
//! (R's `coxfit6`), its concordance and `cox.zph` are written here, because at registry
//! scale the general-purpose versions spend their time re-sorting and copying. What goes in is slices and codes; what comes
//! out is this module's own structs, with a value that does not exist as `None` rather
//! than NaN.
//!
//! Conventions shared by every function here:
//! - `time` is finite and ≥ 0, `event` is true for an event; rows are already complete
//!   cases (the caller drops missing values and reports how many).
//! - `group` codes run 0..k in the order the groups are to be reported.

pub mod concordance;
pub mod concordance_counts;
pub mod cox;
pub mod coxfit;
pub mod coxph;
pub mod cuminc;
pub mod describe;
pub mod finegray;
pub mod gray;
pub mod km;
pub mod linalg;
pub mod logistic;
pub mod logrank;
pub mod rmst;
pub mod sorted;
pub mod tests;
pub mod zph;

pub use cox::{CoxFit, CoxTerm, Design, cox};
pub use coxph::{CoxOptions, coxph};
pub use km::{Curve, KmOptions, Weights, kaplan_meier, reverse_km_median};
pub use logrank::{LogRank, logrank};
pub use rmst::{Rmst, RmstContrast, rmst, rmst_contrast};

use serde::Serialize;

/// A statistic whose computation failed for a reason the user should read.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsError(pub String);

impl std::fmt::Display for StatsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StatsError {}

impl From<survival::SurvivalError> for StatsError {
    fn from(e: survival::SurvivalError) -> Self {
        StatsError(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, StatsError>;

/// An estimate with its confidence limits; `None` where it does not exist (a median not
/// reached, a limit R reports as NA).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub estimate: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

/// A number of patients, at risk or with an event: whole without case weights, and
/// written as a whole number then, so that counts read as counts; a weighted sum with them.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Count(pub f64);

impl Count {
    /// For a number-at-risk table: the nearest whole number.
    pub fn whole(self) -> u64 {
        self.0.round().max(0.0) as u64
    }
}

impl Serialize for Count {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        if self.0.fract() == 0.0 && self.0.abs() < 9.0e15 {
            s.serialize_u64(self.0 as u64)
        } else {
            s.serialize_f64(self.0)
        }
    }
}

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.fract() == 0.0 {
            write!(f, "{}", self.0 as u64)
        } else {
            write!(f, "{:.1}", self.0)
        }
    }
}

/// A chi-square test: statistic, degrees of freedom, upper-tail p.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ChisqTest {
    pub chisq: Option<f64>,
    pub df: usize,
    pub p: Option<f64>,
}

impl ChisqTest {
    pub fn new(chisq: f64, df: usize) -> ChisqTest {
        ChisqTest {
            chisq: finite(chisq),
            df,
            p: finite(chisq_sf(chisq, df as f64)),
        }
    }
}

/// NaN and infinities become `None`: JSON has no such numbers and neither should a report.
pub fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Upper tail of the chi-square distribution, accurate for small p.
pub fn chisq_sf(x: f64, df: f64) -> f64 {
    use statrs::distribution::{ChiSquared, ContinuousCDF};
    if !x.is_finite() || df <= 0.0 {
        return f64::NAN;
    }
    ChiSquared::new(df).map(|d| d.sf(x)).unwrap_or(f64::NAN)
}

/// Two-sided normal p-value for a z statistic. Computed as the chi-square(1) tail of z²,
/// which statrs evaluates through the regularised gamma function to full double
/// precision; its normal tail (via erfc) is only good to about 1e-11 relative.
pub fn normal_p(z: f64) -> f64 {
    if !z.is_finite() {
        return f64::NAN;
    }
    chisq_sf(z * z, 1.0)
}

/// The normal quantile for a two-sided interval at `level` (1.96 for 0.95).
pub fn z_for(level: f64) -> f64 {
    normal_quantile(1.0 - (1.0 - level) / 2.0)
}

/// The standard normal quantile of `p` (R's `qnorm`).
pub fn normal_quantile(p: f64) -> f64 {
    use statrs::distribution::{ContinuousCDF, Normal};
    Normal::standard().inverse_cdf(p)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn tails_match_r() {
        // R: pchisq(3.84, 1, lower = FALSE); 2 * pnorm(-1.96); qnorm(0.975)
        let close = |a: f64, b: f64| (a / b - 1.0).abs() < 1e-13;
        assert!(close(chisq_sf(3.84, 1.0), 0.050043521248705224));
        assert!(close(normal_p(1.96), 0.049995790296440856));
        assert!(close(z_for(0.95), 1.9599639845400536));
        // far tail keeps its relative accuracy: pchisq(200, 2, lower = FALSE) = exp(-100)
        assert!((chisq_sf(200.0, 2.0) / (-100f64).exp() - 1.0).abs() < 1e-12);
    }
}

#[cfg(test)]
mod reference;
