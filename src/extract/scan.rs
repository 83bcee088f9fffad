//! The scan: at each token that can start a statistic, the longest statistic there, judged
//! by the words around it.

use std::collections::HashMap;

use super::{Found, Paper, span_text};
use crate::printed::parse::{counts_people, is_unit, number_word};
use crate::printed::{Interval, Kind, Num, Op, PValue, Parsed, Statistic, Tok, Token};

/// Words before a number that make it a label, not a statistic ("Table 2", "Fig. 3").
#[rustfmt::skip]
const NOT_BEFORE: [&str; 32] = [
    "table", "tables", "fig", "figure", "figures", "page", "supplementary", "appendix",
    "ref", "refs", "reference", "references", "version", "step", "phase", "grade",
    "time", "arm", "group", "stage", "week", "day", "visit", "cycle", "model", "type",
    "class", "level", "part", "wave", "round", "dose",
];

pub(super) fn scan(paper: &Paper) -> Vec<Found> {
    let text = &paper.text;
    let toks = crate::printed::lex(text, crate::printed::parse::decimal_of(text));
    let cx = Context { paper, toks: &toks };
    let mut out: Vec<Found> = Vec::new();
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut i = 0;
    while i < toks.len() {
        if let Some((stat, end)) = cx.p_row_cell(i) {
            out.push(cx.found(stat, i, end, &mut ids));
            i = end;
            continue;
        }
        if !can_start(&toks, i) {
            i += 1;
            continue;
        }
        let Some(parsed) = crate::printed::parse_at(&toks, i, false) else {
            i += 1;
            continue;
        };
        match cx.judge(parsed) {
            Some(found) => {
                i = found.iter().map(|(_, _, end)| *end).max().unwrap_or(i + 1);
                for (stat, start, end) in found {
                    out.push(cx.found(stat, start, end, &mut ids));
                }
            }
            None => i += 1,
        }
    }
    out
}

/// The words among `toks`, lowercased.
fn words_of(toks: &[Token]) -> Vec<String> {
    toks.iter()
        .filter_map(|t| match &t.tok {
            Tok::Word(w) => Some(w.to_lowercase()),
            _ => None,
        })
        .collect()
}

fn word(t: Option<&Token>) -> Option<&str> {
    match t.map(|t| &t.tok) {
        Some(Tok::Word(w)) => Some(w.as_str()),
        _ => None,
    }
}

fn is_word(t: Option<&Token>, w: &str) -> bool {
    word(t).is_some_and(|x| x.eq_ignore_ascii_case(w))
}

/// Whether a statistic can start at token `i`: a number, a ratio's label, a p, a count in
/// words.
fn can_start(toks: &[Token], i: usize) -> bool {
    match &toks[i].tok {
        Tok::Num(_) => true,
        Tok::Word(w) => {
            matches!(
                w.as_str(),
                "HR" | "aHR" | "AHR" | "OR" | "aOR" | "AOR" | "RR" | "IRR" | "sHR" | "SHR"
            ) || ((w == "P" || w == "p")
                && toks.get(i + 1).is_some_and(|t| {
                    !t.spaced || matches!(t.tok, Tok::Cmp(_) | Tok::Dash | Tok::Word(_))
                }))
                || number_word(w).is_some()
                || (matches!(w.as_str(), "d" | "t" | "z" | "F" | "r" | "U")
                    && toks
                        .get(i + 1)
                        .is_some_and(|t| matches!(t.tok, Tok::Cmp('=') | Tok::Num(_) | Tok::Open)))
        }
        _ => false,
    }
}

struct Context<'a> {
    paper: &'a Paper,
    toks: &'a [Token],
}

impl Context<'_> {
    fn text(&self) -> &str {
        &self.paper.text
    }

    /// Whether a line break lies between tokens `a` and `b` (a < b).
    fn breaks_line(&self, a: usize, b: usize) -> bool {
        self.text()[self.toks[a].end..self.toks[b].start].contains('\n')
    }

    /// Whether a blank line (a paragraph or table-row break) lies between `a` and `b`.
    fn breaks_paragraph(&self, a: usize, b: usize) -> bool {
        let gap = &self.text()[self.toks[a].end..self.toks[b].start];
        gap.matches('\n').count() >= 2
    }

    /// Whether a line break between `a` and `b` ends a table's row: inside the lines that
    /// follow a "Table N" caption with no blank line between.
    fn breaks_row(&self, a: usize, b: usize) -> bool {
        self.breaks_line(a, b) && self.in_table_block(self.paper.line_of(self.toks[b].start))
    }

    fn in_table_block(&self, line: usize) -> bool {
        let mut l = line;
        while l >= 1 {
            let text = self.paper.line(l).trim_start();
            if text.is_empty() {
                return false;
            }
            let mut words = text.split_whitespace();
            if words.next() == Some("Table")
                && words
                    .next()
                    .is_some_and(|w| w.trim_end_matches(['.', ':']).parse::<u32>().is_ok())
            {
                return true;
            }
            if line - l > 80 {
                return false;
            }
            l -= 1;
        }
        false
    }

    /// The sentence around token `i`: from after the last full stop (or blank line, or a
    /// table row's end) to the next.
    fn sentence(&self, i: usize) -> (usize, usize) {
        let mut a = i;
        while a > 0 {
            let before = &self.toks[a - 1];
            if matches!(before.tok, Tok::Stop) && self.is_sentence_stop(a - 1) {
                break;
            }
            if self.breaks_paragraph(a - 1, a) || self.breaks_row(a - 1, a) {
                break;
            }
            a -= 1;
        }
        let mut b = i;
        while b + 1 < self.toks.len() {
            if matches!(self.toks[b].tok, Tok::Stop) && self.is_sentence_stop(b) {
                break;
            }
            if self.breaks_paragraph(b, b + 1) || self.breaks_row(b, b + 1) {
                break;
            }
            b += 1;
        }
        (a, (b + 1).min(self.toks.len()))
    }

    /// A full stop that ends a sentence, not an abbreviation ("Fig.", "et al.", "vs.").
    fn is_sentence_stop(&self, k: usize) -> bool {
        let before = word(k.checked_sub(1).and_then(|j| self.toks.get(j)));
        !before.is_some_and(|w| {
            matches!(
                w.to_lowercase().as_str(),
                "fig" | "figs" | "al" | "vs" | "no" | "e" | "i" | "ref" | "refs" | "approx" | "eq"
            ) || (w.len() == 1 && w.chars().all(char::is_uppercase))
        })
    }

    /// The words of tokens `a..b`, lowercased.
    fn words(&self, a: usize, b: usize) -> Vec<String> {
        words_of(&self.toks[a..b])
    }

    /// What the words before a statistic (in its sentence, else in its table's header)
    /// say it is.
    fn kind_from_words(&self, start: usize) -> Option<Kind> {
        let (a, _) = self.sentence(start);
        let from = a.max(start.saturating_sub(40));
        let near = self.named_kind(&self.toks[from..start]);
        near.or_else(|| self.table_header(start).and_then(|h| self.named_kind(h)))
            .or_else(|| self.table_footnote(start))
    }

    /// What a table's footnote says its cells are ("Data are hazard ratio (95% CI)"), for a
    /// table whose header does not say: the first kind named in the 40 lines below.
    fn table_footnote(&self, i: usize) -> Option<Kind> {
        self.table_header(i)?;
        let line = self.paper.line_of(self.toks[i].start);
        let end = (i..self.toks.len())
            .take_while(|&k| self.paper.line_of(self.toks[k].start) <= line + 40)
            .last()?;
        let ws = &self.toks[i..=end];
        (0..ws.len()).find_map(|k| {
            self.named_kind(&ws[k..(k + 2).min(ws.len())])
                .filter(|kind| !matches!(kind, Kind::Other | Kind::Median | Kind::Mean))
        })
    }

    fn named_kind(&self, toks: &[Token]) -> Option<Kind> {
        let ws: Vec<&str> = toks
            .iter()
            .filter_map(|t| match &t.tok {
                Tok::Word(w) => Some(w.as_str()),
                _ => None,
            })
            .collect();
        let mut kind = None;
        for (k, w) in ws.iter().enumerate() {
            let next = ws.get(k + 1).map(|x| x.to_lowercase());
            let lw = w.to_lowercase();
            let found = match (lw.as_str(), next.as_deref()) {
                ("hazard", Some("ratio" | "ratios")) => Some(Kind::Hr),
                ("odds", Some("ratio" | "ratios")) => Some(Kind::Or),
                ("relative", Some("risk" | "risks")) | ("risk", Some("ratio")) => Some(Kind::Rr),
                ("mean", Some("difference" | "differences" | "change")) => Some(Kind::Other),
                ("difference" | "differences" | "change" | "reduction", _) => Some(Kind::Other),
                ("median", _) => Some(Kind::Median),
                ("mean", _) | ("average", _) => Some(Kind::Mean),
                _ if w.len() > 2
                    && (w.starts_with("HR") || w.starts_with("OR"))
                    && w[2..].chars().all(|c| c.is_ascii_lowercase()) =>
                {
                    Some(if w.starts_with("HR") {
                        Kind::Hr
                    } else {
                        Kind::Or
                    })
                }
                _ => match *w {
                    "HR" | "HRs" | "aHR" | "sHR" => Some(Kind::Hr),
                    "OR" | "ORs" | "aOR" => Some(Kind::Or),
                    "RR" | "RRs" | "IRR" | "aRR" | "aRRR" | "RRR" | "aIRR" => Some(Kind::Rr),
                    _ => None,
                },
            };
            // The last one named before the number is the one it belongs to.
            if found.is_some() {
                kind = found;
            }
        }
        kind
    }

    /// The header of the table a token sits in: from its "Table N" caption to the first
    /// line holding a statistic, when the caption lies within 150 lines above.
    fn table_header(&self, i: usize) -> Option<&[Token]> {
        let line = self.paper.line_of(self.toks[i].start);
        let mut k = i;
        while k > 0 {
            k -= 1;
            let l = self.paper.line_of(self.toks[k].start);
            if line - l > 150 {
                return None;
            }
            let starts_line = k == 0 || self.breaks_line(k - 1, k);
            if starts_line
                && is_word(self.toks.get(k), "table")
                && matches!(self.toks.get(k + 1).map(|t| &t.tok), Some(Tok::Num(_)))
            {
                return Some(&self.toks[k..i]);
            }
        }
        None
    }

    /// Whether the token before `i` makes the number a label, a range's end, or a level.
    fn not_a_statistic_start(&self, i: usize) -> bool {
        let prev = i.checked_sub(1).and_then(|j| self.toks.get(j));
        let prev2 = i.checked_sub(2).and_then(|j| self.toks.get(j));
        if word(prev).is_some_and(|w| NOT_BEFORE.contains(&w.to_lowercase().as_str())) {
            return true;
        }
        // "Fig. 2", "No. 3"
        if matches!(prev.map(|t| &t.tok), Some(Tok::Stop))
            && word(prev2)
                .is_some_and(|w| matches!(w.to_lowercase().as_str(), "fig" | "no" | "ref"))
        {
            return true;
        }
        // The upper end of a range: "15–25%", "15 to 25%".
        let range_joint = matches!(prev.map(|t| &t.tok), Some(Tok::Dash)) || is_word(prev, "to");
        if range_joint && matches!(prev2.map(|t| &t.tok), Some(Tok::Num(_) | Tok::Percent)) {
            return true;
        }
        // Part of a name: "CA199", "T2".
        if !self.toks[i].spaced && matches!(prev.map(|t| &t.tok), Some(Tok::Word(_))) {
            return true;
        }
        // A threshold: ">30%", "≤ 60".
        if matches!(prev.map(|t| &t.tok), Some(Tok::Cmp('<' | '>'))) {
            return true;
        }
        // A reference list "[1, 2]" or "[3–5]".
        if matches!(prev.map(|t| &t.tok), Some(Tok::Open))
            && self.text()[self.toks[i - 1].start..].starts_with('[')
        {
            return true;
        }
        false
    }

    /// Decides what the parse at `p.start` is: a list of statistics (a p printed after two
    /// rates is split off into its own) with their token spans, or nothing.
    fn judge(&self, p: Parsed) -> Option<Vec<(Statistic, usize, usize)>> {
        let Parsed {
            mut stat,
            start,
            mut end,
            labelled,
        } = p;
        let toks = self.toks;
        let first_is_num = matches!(toks[start].tok, Tok::Num(_));
        if first_is_num && self.not_a_statistic_start(start) {
            return None;
        }
        let next = toks.get(end);
        let next_word = word(next).map(str::to_lowercase);
        // "95% CI" is the level of an interval, whatever precedes it ("HR 95% CI").
        if let Some(v) = (start..end).find(|&k| matches!(toks[k].tok, Tok::Num(_)))
            && matches!(toks.get(v + 1).map(|t| &t.tok), Some(Tok::Percent))
            && ["CI", "CIs", "confidence", "CrI", "credible"]
                .iter()
                .any(|w| is_word(toks.get(v + 2), w))
        {
            return None;
        }
        // A year ("2010 [1, 3]" is a citation).
        if (1900.0..=2100.0).contains(&stat.value.value)
            && stat.value.is_whole()
            && !stat.in_percent
            && stat.percent.is_none()
            && !next_word.as_deref().is_some_and(counts_people)
        {
            return None;
        }
        // The level of an interval ("95% CI"), not a percentage.
        if stat.kind == Kind::Percent
            && stat.lower.is_none()
            && (is_word(next, "CI")
                || is_word(next, "confidence")
                || is_word(next, "CrI")
                || is_word(next, "credible"))
        {
            return None;
        }
        // "3-year", "12-month": a time point.
        if matches!(next.map(|t| &t.tok), Some(Tok::Dash))
            && word(toks.get(end + 1)).is_some_and(is_unit)
            && stat.lower.is_none()
            && !stat.in_percent
        {
            return None;
        }

        // A ratio's label (or the sentence, or the table's header) says what an interval is;
        // "median" or "mean" what a number with a time unit is ("median OS … 55.5 months").
        if !labelled
            && matches!(stat.kind, Kind::Other | Kind::Median)
            && let Some(k) = self.kind_from_words(start)
        {
            stat.kind = match k {
                Kind::Hr | Kind::Or | Kind::Rr if stat.lower.is_some() => k,
                Kind::Median if stat.sd.is_none() => Kind::Median,
                Kind::Mean => Kind::Mean,
                _ => stat.kind,
            };
        }
        // A percentage with an interval: a rate of survival or of events, a median, or a
        // difference, as the words before it say.
        if !labelled && stat.in_percent && stat.lower.is_some() && stat.percent.is_none() {
            let (a, _) = self.sentence(start);
            let before = self.words(a.max(start.saturating_sub(30)), start);
            let last = before.iter().rev().find_map(|w| match w.as_str() {
                "median" => Some(Kind::Median),
                "difference" | "differences" | "change" | "reduction" | "increase" => {
                    Some(Kind::Other)
                }
                "survival" | "os" | "pfs" | "dfs" | "efs" | "rfs" | "incidence" | "rate"
                | "rates" | "risk" | "mortality" | "response" | "recurrence" | "relapse" => {
                    Some(Kind::Rate)
                }
                _ => None,
            });
            // "median (IQR) per cent change −41% (−51%, −31%)": a median of changes.
            let median = before.iter().rev().take(12).any(|w| w == "median");
            let last = if median { Some(Kind::Median) } else { last };
            stat.kind = last.unwrap_or(match stat.interval {
                Some(Interval::Ci) => Kind::Rate,
                _ => Kind::Percent,
            });
        }
        // "10.1 (0.14)" under "mean (SE)", "587·0 [226·2]" under "mean (SD)".
        if !labelled
            && stat.lower.is_none()
            && stat.sd.is_none()
            && stat.percent.is_none()
            && !stat.in_percent
            && matches!(toks.get(end).map(|t| &t.tok), Some(Tok::Open))
            && matches!(toks.get(end + 1).map(|t| &t.tok), Some(Tok::Num(_)))
            && matches!(toks.get(end + 2).map(|t| &t.tok), Some(Tok::Close))
            && stat.value.decimals > 0
            && self.kind_from_words(start) == Some(Kind::Mean)
        {
            if let Tok::Num(n) = toks[end + 1].tok {
                let header = self.table_header(start).map(words_of).unwrap_or_default();
                let (a, _) = self.sentence(start);
                let near = self.words(a, start);
                if header.iter().chain(&near).any(|w| w == "sd") {
                    stat.sd = Some(n);
                }
            }
            stat.kind = Kind::Mean;
            end += 3;
        }
        let with_time_unit = next_word
            .as_deref()
            .is_some_and(|w| matches!(w, "months" | "month" | "years" | "year" | "weeks" | "days"));
        if !labelled
            && stat.lower.is_none()
            && stat.sd.is_none()
            && !stat.in_percent
            && stat.percent.is_none()
            && with_time_unit
        {
            let (a, _) = self.sentence(start);
            let before = self.words(a, start);
            if let Some(w) = before.iter().rev().find(|w| *w == "median" || *w == "mean") {
                stat.kind = if w == "median" {
                    Kind::Median
                } else {
                    Kind::Mean
                };
            }
        }
        // A ratio is positive: a negative estimate or limit is a difference.
        if stat.kind.is_ratio()
            && !labelled
            && (stat.value.value <= 0.0 || stat.lower.is_some_and(|l| l.value < 0.0))
        {
            stat.kind = Kind::Other;
        }
        // A mean's interval under "mean difference", or any negative one where the words
        // say "mean": a difference.
        if stat.kind == Kind::Mean && !labelled && stat.lower.is_some_and(|l| l.value < 0.0) {
            stat.kind = Kind::Other;
        }
        // In a table row a ratio's p stands bare after its interval: "1.62 (0.62, 2.58) 0.045".
        if stat.kind.is_ratio()
            && stat.p.is_none()
            && stat.lower.is_some()
            && let Some(Token {
                tok: Tok::Num(n), ..
            }) = toks.get(end)
            && (0.0..=1.0).contains(&n.value)
            && n.decimals >= 2
            && !self.breaks_line(end - 1, end)
            && !matches!(
                toks.get(end + 1).map(|t| &t.tok),
                Some(Tok::Open | Tok::Percent | Tok::Dash)
            )
        {
            stat.p = Some(PValue {
                op: Op::Eq,
                value: *n,
            });
            end += 1;
            while matches!(toks.get(end).map(|t| &t.tok), Some(Tok::Mark)) {
                end += 1;
            }
        }

        match stat.kind {
            Kind::Count => {
                // A count only when it counts patients or events, or is an "n =".
                // "14 and 13 patients"
                let pair = next_word.as_deref() == Some("and")
                    && matches!(toks.get(end + 1).map(|t| &t.tok), Some(Tok::Num(_)))
                    && word(toks.get(end + 2)).is_some_and(counts_people);
                let people = pair
                    || next_word.as_deref().is_some_and(counts_people)
                    || (word(next).is_some()
                        && word(toks.get(end + 1)).is_some_and(counts_people)
                        && !next_word.as_deref().is_some_and(is_unit));
                let n_equals = start >= 2
                    && matches!(toks[start - 1].tok, Tok::Cmp('='))
                    && (is_word(toks.get(start - 2), "n"));
                let year = (1900.0..=2100.0).contains(&stat.value.value) && !people;
                if !(people || n_equals || self.is_table_cell(start)) || year {
                    return None;
                }
            }
            Kind::Other if stat.lower.is_none() && stat.sd.is_none() => {
                // A number alone with no word saying what it is, unless it is a test
                // statistic ("d=0.76") or a difference ("mean difference 1.26").
                let test = matches!(&toks[start].tok, Tok::Word(_))
                    && toks[start..end]
                        .iter()
                        .any(|t| matches!(t.tok, Tok::Cmp('=')));
                let difference =
                    (1..=2).any(|k| start >= k && is_word(toks.get(start - k), "difference"));
                if stat.p.is_none() && !test && !difference && stat.per.is_none() {
                    return None;
                }
            }
            Kind::Median | Kind::Mean
                if stat.lower.is_none() && stat.sd.is_none() && stat.interval.is_none() =>
            {
                // "median OS was 41.7 months": with the word close before it, or a time unit.
                let (a, _) = self.sentence(start);
                let before = self.words(a.max(start.saturating_sub(8)), start);
                if !with_time_unit && !before.iter().any(|w| w == "median" || w == "mean") {
                    return None;
                }
            }
            _ => {}
        }

        if stat.kind == Kind::CountPercent && stat.denominator.is_none() {
            stat.denominator = self.stated_denominator(start, end, stat.value.value);
        }

        // A p after a rate, a count or a median compares groups: a claim of its own. A
        // difference or a ratio keeps its p.
        if stat.p.is_some()
            && matches!(
                stat.kind,
                Kind::Percent
                    | Kind::Rate
                    | Kind::Count
                    | Kind::CountPercent
                    | Kind::Median
                    | Kind::Mean
            )
        {
            let p_at = (start..end)
                .rev()
                .find(|&k| matches!(&toks[k].tok, Tok::Word(w) if w == "P" || w == "p"))
                .unwrap_or(end);
            let p = stat.p.take().expect("checked");
            let mut own_end = p_at;
            while own_end > start && matches!(toks[own_end - 1].tok, Tok::Sep(_) | Tok::Open) {
                own_end -= 1;
            }
            let mut p_stat = Statistic::new(Kind::P, p.value);
            p_stat.p = Some(p);
            let mut p_end = end;
            // "(…, P = 0.004)": the bracket closes the group, not the p.
            if matches!(toks[p_end - 1].tok, Tok::Close) && p_end - 1 > p_at {
                p_end -= 1;
            }
            return Some(vec![(stat, start, own_end), (p_stat, p_at, p_end)]);
        }
        Some(vec![(stat, start, end)])
    }

    /// A cell of a table row labelled "p value" (or "P"): a p, with the comparison before it
    /// ("<0·0001").
    fn p_row_cell(&self, i: usize) -> Option<(Statistic, usize)> {
        let toks = self.toks;
        let (op, at) = match &toks[i].tok {
            Tok::Cmp(c @ ('<' | '>')) => (if *c == '<' { Op::Lt } else { Op::Gt }, i + 1),
            Tok::Num(_) => (Op::Eq, i),
            _ => return None,
        };
        let Some(Tok::Num(n)) = toks.get(at).map(|t| &t.tok) else {
            return None;
        };
        if !(0.0..=1.0).contains(&n.value) || n.decimals < 2 {
            return None;
        }
        let line = self.paper.line_of(toks[i].start);
        let first = (0..i)
            .rev()
            .take_while(|&k| self.paper.line_of(toks[k].start) == line)
            .last()?;
        let label = self.words(first, i);
        let is_p_row = matches!(label.first().map(String::as_str), Some("p"))
            && label.len() <= 3
            && label.iter().skip(1).all(|w| {
                w == "value" || w == "values" || w == "for" || w == "trend" || w == "interaction"
            });
        if !is_p_row || self.table_header(i).is_none() {
            return None;
        }
        let mut stat = Statistic::new(Kind::P, *n);
        stat.p = Some(PValue { op, value: *n });
        let mut end = at + 1;
        while matches!(toks.get(end).map(|t| &t.tok), Some(Tok::Mark)) {
            end += 1;
        }
        Some((stat, end))
    }

    /// A number in a table's row: in a table, after the row's label, with only numbers
    /// after it on its line ("Liver 24 23", "Hematological 23 4 27").
    fn is_table_cell(&self, i: usize) -> bool {
        if self.table_header(i).is_none() {
            return false;
        }
        let line = self.paper.line_of(self.toks[i].start);
        let same_line = |k: usize| self.paper.line_of(self.toks[k].start) == line;
        let rest_are_cells = (i..self.toks.len()).take_while(|&k| same_line(k)).all(|k| {
            matches!(
                self.toks[k].tok,
                Tok::Num(_) | Tok::Percent | Tok::Open | Tok::Close | Tok::Sep(_) | Tok::Mark
            )
        });
        // "(TRG 1) 25 (19.4)": a number closing a bracket is the label's.
        let closes = matches!(self.toks.get(i + 1).map(|t| &t.tok), Some(Tok::Close));
        let labelled = (0..i)
            .rev()
            .take_while(|&k| same_line(k))
            .any(|k| matches!(self.toks[k].tok, Tok::Word(_)));
        rest_are_cells && labelled && !closes
    }

    /// A denominator stated in the sentence: "of 142 patients", "(N = 228)", "n = 228".
    fn stated_denominator(&self, start: usize, end: usize, count: f64) -> Option<Num> {
        let (a, b) = self.sentence(start);
        let toks = self.toks;
        let mut best: Option<(usize, Num)> = None;
        for k in a..b {
            if (start..end).contains(&k) {
                continue;
            }
            let Tok::Num(n) = toks[k].tok else { continue };
            if !n.is_whole() || n.value < count {
                continue;
            }
            let of = |j: usize| j >= 1 && is_word(toks.get(j - 1), "of");
            let article = |j: usize| {
                j >= 1
                    && ["the", "these", "those", "all"]
                        .iter()
                        .any(|w| is_word(toks.get(j - 1), w))
            };
            let of_people = (of(k) || (article(k) && of(k - 1)))
                && word(toks.get(k + 1)).is_some_and(counts_people);
            // "n = N" only on the count's own line, before it: a column's N in a table's
            // header cannot be told from the other columns'.
            let n_equals = k >= 2
                && k < start
                && matches!(toks[k - 1].tok, Tok::Cmp('='))
                && (is_word(toks.get(k - 2), "n"))
                && self.paper.line_of(toks[k].start) == self.paper.line_of(toks[start].start);
            if of_people || n_equals {
                // After the count, a denominator belongs to the statistic it follows ("22 (9.6%)
                // of 142 patients" takes its own); before it, it opens the sentence ("Of the 116
                // patients …, 50 (21.9%)").
                if k > start && !n_equals {
                    continue;
                }
                let distance = k.abs_diff(start);
                if best.is_none_or(|(d, _)| distance < d) {
                    best = Some((distance, n));
                }
            }
        }
        best.map(|(_, n)| n)
    }

    fn found(
        &self,
        stat: Statistic,
        start: usize,
        end: usize,
        ids: &mut HashMap<String, usize>,
    ) -> Found {
        let at = self.toks[start].start;
        let line = self.paper.line_of(at);
        let base = format!("{}_{line}", stat.kind.name());
        let n = ids.entry(base.clone()).or_insert(0);
        *n += 1;
        let id = if *n == 1 { base } else { format!("{base}_{n}") };
        let (a, b) = self.sentence(start);
        let mut context = span_text(self.text(), self.toks, a, b);
        if context.chars().count() > 400 {
            context = context.chars().take(400).collect::<String>() + "…";
        }
        Found {
            id,
            kind: stat.kind,
            value: stat.value.value,
            lower: stat.lower.map(|n| n.value),
            upper: stat.upper.map(|n| n.value),
            p: stat.p,
            count: stat.count.map(|n| n.value),
            percent: stat.percent.map(|n| n.value),
            denominator: stat.denominator.map(|n| n.value),
            conf_level: stat.conf_level,
            sd: stat.sd.map(|n| n.value),
            interval: stat
                .interval
                .filter(|_| stat.lower.is_some())
                .or(None::<Interval>),
            text: span_text(self.text(), self.toks, start, end),
            line,
            page: self.paper.page_of(at),
            context,
            row: self.ends_row(end),
            stat,
        }
    }

    /// Whether nothing but table cells follows token `end` on its line.
    fn ends_row(&self, end: usize) -> bool {
        let Some(last) = end.checked_sub(1) else {
            return false;
        };
        let line = self.paper.line_of(self.toks[last].start);
        (end..self.toks.len())
            .take_while(|&k| self.paper.line_of(self.toks[k].start) == line)
            .all(|k| {
                matches!(
                    self.toks[k].tok,
                    Tok::Num(_)
                        | Tok::Percent
                        | Tok::Open
                        | Tok::Close
                        | Tok::Sep(_)
                        | Tok::Mark
                        | Tok::Dash
                        | Tok::Cmp(_)
                )
            })
    }
}
