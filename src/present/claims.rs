//! A claim's numbers as `check` and the replication table print them: what the paper
//! printed, and what the data give in the same shape, one digit finer than the print (so a
//! reader sees how close it is without a difference column), counts as whole numbers.

use super::format::{MISSING, num};
use crate::results::{ClaimResult, NOT_COMPUTED, Part, PartResult};

/// A reproduced part one digit finer than it was printed; a count as a whole number.
pub fn shown(part: &PartResult) -> String {
    let Some(r) = part.reproduced else {
        return MISSING.to_string();
    };
    if part.count {
        return num(Some(r), 0);
    }
    let d = part.decimals as usize + 1;
    // A value below what those decimals show (a p of 6e-8) keeps two significant figures.
    if r != 0.0 && r.abs() < 0.5 * 10f64.powi(-(d as i32)) {
        return format!("{r:.1e}");
    }
    num(Some(r), d)
}

/// The claim as the paper printed it.
pub fn reported(c: &ClaimResult) -> String {
    match &c.printed {
        Some(t) => t.clone(),
        None if c.parts[0].percent => format!("{}%", super::format::trimmed(c.reported, 10)),
        None => super::format::trimmed(c.reported, 10),
    }
}

/// The reproduced values laid out as the claim printed them: `53.86% (47.35 to 61.28%)`,
/// `160 (70.18%)`, `1.009 (0.735 to 1.384), P = 0.9577`; the reason when nothing was.
pub fn reproduced(c: &ClaimResult) -> String {
    let head = &c.parts[0];
    if head.reproduced.is_none() {
        return match head.reason.as_deref() {
            Some(NOT_COMPUTED) | None => NOT_COMPUTED.to_string(),
            Some(r) => r.to_string(),
        };
    }
    let get = |p: Part| c.parts.iter().find(|x| x.part == p);
    let pct = |p: &PartResult| {
        if p.percent && p.reproduced.is_some() {
            "%"
        } else {
            ""
        }
    };
    let mut out = format!("{}{}", shown(head), pct(head));
    if let Some(p) = get(Part::Percent) {
        out.push_str(&format!(" ({}%)", shown(p)));
    }
    if let (Some(lo), Some(up)) = (get(Part::Lower), get(Part::Upper)) {
        out.push_str(&format!(" ({} to {}{})", shown(lo), shown(up), pct(up)));
    }
    if let Some(p) = get(Part::P) {
        out.push_str(&format!(", P = {}", shown(p)));
    }
    out
}

/// Which parts are off, for a claim outside tolerance: "upper", "estimate and p".
pub fn off_parts(c: &ClaimResult) -> Vec<String> {
    c.parts
        .iter()
        .filter(|p| p.within == Some(false))
        .map(|p| p.part.name().to_string())
        .collect()
}
