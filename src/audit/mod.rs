//! `reprise audit`: the reported numbers checked against each other, with no data at all.
//!
//! A paper's numbers constrain one another: a count and its percentage fix the denominator,
//! categories add up to their total, a hazard ratio's confidence interval implies its
//! p-value, a rate quoted twice should be the same rate. Each check here states its
//! arithmetic, so a reader can redo it, and allows for the rounding of printed numbers:
//! a finding is an error only when no rounding could explain it.
//!
//! The checks live in `checks`, one family a file; `rounding` holds what printing to a
//! number of decimals can and cannot do, and `print` how the messages write numbers.

use serde::Serialize;

use crate::printed::{Kind, Op, Statistic};
use crate::spec::{ClaimUnit, Reported, Subgroup};

mod checks;
mod paper;
mod print;
mod rounding;

/// One printed number, as the checks see it: a study's claim, or one part of it (a count's
/// percentage, a ratio's p), or a number read from a paper.
#[derive(Debug, Clone, Default)]
pub struct Claim {
    pub id: String,
    pub reported: f64,
    pub unit: Option<ClaimUnit>,
    /// Decimals as printed; by unit when unknown.
    pub digits: Option<u32>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub denominator: Option<f64>,
    pub count: Option<String>,
    pub part_of: Option<String>,
    pub group: Option<String>,
    pub p_of: Option<String>,
    pub same_as: Option<String>,
    pub subgroups: Vec<Subgroup>,
    /// How a p was printed against its value (`P < 0.001`).
    pub p_op: Option<Op>,
    /// The confidence level of `lower`/`upper` when printed (95% when not).
    pub level: Option<f64>,
}

impl Claim {
    pub fn number(id: &str, reported: f64, unit: Option<ClaimUnit>) -> Claim {
        Claim {
            id: id.to_string(),
            reported,
            unit,
            ..Claim::default()
        }
    }

    /// A printed statistic as the numbers the checks take: the estimate under `id`, and
    /// its percentage (`id:percent`) or p (`id:p`) linked to it.
    pub fn from_statistic(id: &str, s: &Statistic) -> Vec<Claim> {
        let mut head = Claim {
            id: id.to_string(),
            reported: s.value.value,
            digits: Some(s.value.decimals),
            lower: s.lower.map(|n| n.value),
            upper: s.upper.map(|n| n.value),
            denominator: s.denominator.map(|n| n.value),
            level: s.conf_level,
            ..Claim::default()
        };
        head.unit = Some(match s.kind {
            Kind::Count | Kind::CountPercent => ClaimUnit::Count,
            Kind::Hr | Kind::Or | Kind::Rr => ClaimUnit::Hr,
            Kind::P => ClaimUnit::P,
            _ if s.in_percent => ClaimUnit::Percent,
            _ => ClaimUnit::Other,
        });
        if s.kind == Kind::P {
            head.p_op = s.p.map(|p| p.op);
            return vec![head];
        }
        let mut out = Vec::new();
        if let Some(pct) = s.percent {
            out.push(Claim {
                id: format!("{id}:percent"),
                reported: pct.value,
                unit: Some(ClaimUnit::Percent),
                digits: Some(pct.decimals),
                count: Some(id.to_string()),
                denominator: head.denominator,
                ..Claim::default()
            });
        }
        if let Some(p) = s.p {
            out.push(Claim {
                id: format!("{id}:p"),
                reported: p.value.value,
                unit: Some(ClaimUnit::P),
                digits: Some(p.value.decimals),
                p_of: s.kind.is_ratio().then(|| id.to_string()),
                p_op: Some(p.op),
                ..Claim::default()
            });
        }
        out.insert(0, head);
        out
    }
}

/// A study's claims as the checks take them; what a claim states itself (its unit, digits,
/// limits, denominator, links) wins over what its printed text says.
pub fn from_spec(claims: &[crate::spec::Claim]) -> Vec<Claim> {
    let mut out = Vec::new();
    for c in claims {
        let mut parts = match (&c.printed, &c.reported) {
            (Some(s), _) => Claim::from_statistic(&c.id, s),
            (None, Reported::Number(x)) => vec![Claim::number(&c.id, *x, None)],
            (None, Reported::Text(_)) => continue,
        };
        let head = &mut parts[0];
        head.unit = c.unit.or(head.unit);
        head.digits = c.digits.or(head.digits);
        head.lower = c.lower.or(head.lower);
        head.upper = c.upper.or(head.upper);
        head.count = c.count.clone();
        head.part_of = c.part_of.clone();
        head.group = c.group.clone();
        head.p_of = c.p_of.clone().or(head.p_of.take());
        head.same_as = c.same_as.clone();
        head.subgroups = c.subgroups.clone();
        let denominator = c.denominator.or(head.denominator);
        if head.unit == Some(ClaimUnit::Count) && parts.len() > 1 {
            for p in &mut parts[1..] {
                if p.unit == Some(ClaimUnit::Percent) {
                    p.denominator = denominator;
                }
            }
        } else {
            parts[0].denominator = denominator;
        }
        if parts[0].unit == Some(ClaimUnit::Hr) {
            for p in &mut parts[1..] {
                if p.unit == Some(ClaimUnit::P) && p.p_of.is_none() {
                    p.p_of = Some(c.id.clone());
                }
            }
        }
        out.extend(parts);
    }
    link_parts(&mut out);
    out
}

/// `same_as` names a claim; a percentage printed twice is the same quantity as the other
/// claim's percentage part, not as its count, so the link is carried to the parts.
fn link_parts(claims: &mut [Claim]) {
    let ids: std::collections::HashSet<String> = claims.iter().map(|c| c.id.clone()).collect();
    let heads: std::collections::HashMap<String, String> = claims
        .iter()
        .filter_map(|c| Some((c.id.clone(), c.same_as.clone()?)))
        .collect();
    for c in claims.iter_mut() {
        if let Some((head, suffix)) = c.id.split_once(':') {
            if c.same_as.is_none() {
                c.same_as = heads
                    .get(head)
                    .map(|t| format!("{t}:{suffix}"))
                    .filter(|t| ids.contains(t));
            }
        } else if c.unit == Some(ClaimUnit::Percent)
            && let Some(t) = &c.same_as
        {
            let part = format!("{t}:percent");
            if ids.contains(&part) {
                c.same_as = Some(part);
            }
        }
    }
}

use checks::Outcome;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    /// As `--json` and the terminal print it.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub check: String,
    pub claims: Vec<String>,
    pub values: Vec<f64>,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    pub findings: Vec<Finding>,
    pub checks_run: usize,
}

/// Every check on every claim it applies to. Findings come claim by claim, in the order of
/// `checks::PER_CLAIM`, then the categories against their totals.
pub fn audit(claims: &[Claim]) -> Audit {
    let per_claim = claims
        .iter()
        .flat_map(|c| checks::PER_CLAIM.iter().map(move |check| check(c, claims)));
    let partitions = claims
        .iter()
        .flat_map(|total| checks::parts::parts_vs_total(total, claims));

    let mut audit = Audit {
        findings: Vec::new(),
        checks_run: 0,
    };
    for outcome in per_claim.chain(partitions) {
        match outcome {
            Outcome::NotApplicable => {}
            Outcome::Consistent => audit.checks_run += 1,
            Outcome::Found(f) => {
                audit.checks_run += 1;
                audit.findings.push(f);
            }
        }
    }
    audit
}

/// The audit of a paper read by `extract`: the study's checks on the numbers as printed
/// (a percentage against its stated denominator, a ratio against its interval and p), then
/// the checks that need the paper's words (`paper`).
pub fn audit_paper(found: &[crate::extract::Found]) -> Audit {
    let claims = crate::extract::audit_claims(found);
    let mut a = audit(&claims);
    let (more, run) = paper::findings(found);
    a.findings.extend(more);
    a.checks_run += run;
    a
}

#[cfg(test)]
mod tests;
