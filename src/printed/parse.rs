//! The grammar of a printed statistic, over tokens.
//!
//! ```text
//! statistic := label? estimate tail*  |  p
//! label     := HR | OR | RR | aHR | hazard ratio | odds ratio | relative risk | ...
//! estimate  := number %? | number-word
//! tail      := / N | of N | ± SD | ( inner ) | [ inner ] | , ci-label interval | , p
//! inner     := percent | n = N | ci-label? interval (; p)?
//! interval  := number %? (to | – | , | ;) number %?
//! p         := P (= | < | > | ≤ | ≥) number
//! ```
//!
//! `parse_claim` reads a claim's whole `reported:` text and says what it could not read;
//! `parse_at` reads the longest statistic starting at a token of a paper and leaves the
//! rest to the scanner.

use super::lex::{Decimal, Tok, Token, lex};
use super::{Interval, Kind, Num, Op, PValue, Statistic};

/// A statistic read from tokens `start..end`.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub stat: Statistic,
    pub start: usize,
    pub end: usize,
    /// Whether the text named the ratio ("HR", "odds ratio").
    pub labelled: bool,
}

/// How the text writes decimals: commas only when it never writes a decimal point and
/// writes a comma before something other than a thousands group.
pub fn decimal_of(text: &str) -> Decimal {
    let b = text.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let mut point = false;
    let mut comma = false;
    for i in 1..b.len() {
        if !digit(i - 1) || !digit(i + 1) {
            continue;
        }
        match b[i] {
            b'.' => point = true,
            b',' => {
                let group = digit(i + 1) && digit(i + 2) && digit(i + 3) && !digit(i + 4);
                let leading_zero = i >= 1 && b[i - 1] == b'0' && (i < 2 || !digit(i - 2));
                if !group || leading_zero {
                    comma = true;
                }
            }
            _ => {}
        }
    }
    if comma && !point {
        Decimal::Comma
    } else {
        Decimal::Point
    }
}

/// A claim's `reported:` text as one statistic, or what could not be read.
pub fn parse_claim(text: &str) -> Result<Statistic, String> {
    let toks = lex(text, decimal_of(text));
    if toks.is_empty() {
        return Err("it is empty".into());
    }
    let Some(parsed) = parse_at(&toks, 0, true) else {
        return Err(format!(
            "no statistic starts at `{}`",
            &text[toks[0].start..toks[(toks.len()).min(3) - 1].end]
        ));
    };
    let rest = toks[parsed.end..]
        .iter()
        .position(|t| !matches!(t.tok, Tok::Mark | Tok::Stop));
    if let Some(k) = rest {
        let at = &toks[parsed.end + k];
        return Err(format!(
            "read `{}` as a statistic, but not what follows: `{}`",
            text[..toks[parsed.end - 1].end].trim(),
            text[at.start..].trim()
        ));
    }
    Ok(parsed.stat)
}

/// The longest statistic that starts at token `i`. `whole` is for a claim's text, where
/// a number after an interval is its p (as table rows print it).
pub fn parse_at(toks: &[Token], i: usize, whole: bool) -> Option<Parsed> {
    let mut c = Cur { t: toks, i };
    let stat = statistic(&mut c, whole)?;
    Some(Parsed {
        labelled: stat.1,
        stat: stat.0,
        start: i,
        end: c.i,
    })
}

struct Cur<'a> {
    t: &'a [Token],
    i: usize,
}

impl Cur<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.t.get(self.i).map(|t| &t.tok)
    }

    fn peek_at(&self, k: usize) -> Option<&Tok> {
        self.t.get(self.i + k).map(|t| &t.tok)
    }

    fn word_at(&self, k: usize) -> Option<&str> {
        match self.peek_at(k) {
            Some(Tok::Word(w)) => Some(w),
            _ => None,
        }
    }

    fn is_word(&self, k: usize, w: &str) -> bool {
        self.word_at(k).is_some_and(|x| x.eq_ignore_ascii_case(w))
    }

    fn eat(&mut self, f: impl Fn(&Tok) -> bool) -> bool {
        if self.peek().is_some_and(f) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, w: &str) -> bool {
        if self.is_word(0, w) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn marks(&mut self) {
        while self.eat(|t| matches!(t, Tok::Mark)) {}
    }

    fn num(&mut self) -> Option<Num> {
        match self.peek() {
            Some(Tok::Num(n)) => {
                let n = *n;
                self.i += 1;
                self.marks();
                Some(n)
            }
            _ => None,
        }
    }

    /// Whether the token at `k` stands after whitespace.
    fn spaced(&self, k: usize) -> bool {
        self.t.get(self.i + k).is_some_and(|t| t.spaced)
    }
}

/// The ratio a label names, and the tokens it takes.
fn label(c: &Cur) -> Option<(Kind, usize)> {
    let w0 = c.word_at(0)?;
    let lower = w0.to_lowercase();
    let two = |a: &str, b: &str| lower == a && c.is_word(1, b);
    let three = |a: &str, b: &str, d: &str| lower == a && c.is_word(1, b) && c.is_word(2, d);
    if three("adjusted", "hazard", "ratio") {
        return Some((Kind::Hr, 3));
    }
    if three("adjusted", "odds", "ratio") {
        return Some((Kind::Or, 3));
    }
    if two("hazard", "ratio") {
        return Some((Kind::Hr, 2));
    }
    if two("odds", "ratio") {
        return Some((Kind::Or, 2));
    }
    if two("relative", "risk") || two("risk", "ratio") || two("rate", "ratio") {
        return Some((Kind::Rr, 2));
    }
    // Abbreviations count only in capitals: "or" is also a word.
    let kind = match w0 {
        "HR" | "aHR" | "AHR" | "sHR" | "SHR" | "csHR" => Kind::Hr,
        "OR" | "aOR" | "AOR" => Kind::Or,
        "RR" | "aRR" | "IRR" | "RRR" => Kind::Rr,
        _ => return None,
    };
    Some((kind, 1))
}

/// Numbers written as words, as papers write small counts ("three (2.7%)").
pub fn number_word(w: &str) -> Option<f64> {
    const WORDS: [&str; 21] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
    ];
    const TENS: [&str; 8] = [
        "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    let lower = w.to_lowercase();
    WORDS
        .iter()
        .position(|x| *x == lower)
        .map(|i| i as f64)
        .or_else(|| {
            TENS.iter()
                .position(|x| *x == lower)
                .map(|i| 20.0 + 10.0 * i as f64)
        })
}

/// `P = 0.004`, `p < 0.001`, `P-value of 0.04`, `P for trend = 0.03`, `P<.001`.
fn p_value(c: &mut Cur) -> Option<PValue> {
    let start = c.i;
    let w = c.word_at(0)?;
    if !(w == "p" || w == "P" || w.eq_ignore_ascii_case("pvalue")) {
        return None;
    }
    c.i += 1;
    if matches!(c.peek(), Some(Tok::Dash)) && c.is_word(1, "value") {
        c.i += 2;
    }
    // A few words may name the test: "P for trend", "P for interaction".
    let mut words = 0;
    while words < 3 && c.word_at(0).is_some() && !c.is_word(0, "of") {
        c.i += 1;
        words += 1;
    }
    let op = match c.peek() {
        Some(Tok::Cmp('=')) => Op::Eq,
        Some(Tok::Cmp('<')) => Op::Lt,
        Some(Tok::Cmp('>')) => Op::Gt,
        Some(Tok::Word(w)) if w.eq_ignore_ascii_case("of") => Op::Eq,
        _ => {
            c.i = start;
            return None;
        }
    };
    c.i += 1;
    match c.num() {
        Some(value) if (0.0..=1.0).contains(&value.value) => Some(PValue { op, value }),
        _ => {
            c.i = start;
            None
        }
    }
}

/// `95% CI`, `95% confidence interval [CI]`, `CI`, `range`, `IQR`, with a `:` `,` or `=`
/// after it.
fn ci_label(c: &mut Cur) -> Option<(Interval, Option<f64>)> {
    let start = c.i;
    let mut level = None;
    if let (Some(Tok::Num(n)), Some(Tok::Percent)) = (c.peek(), c.peek_at(1)) {
        level = Some(n.value / 100.0);
        c.i += 2;
    }
    let kind = if c.eat_word("CI") || c.eat_word("CrI") || c.eat_word("UI") {
        Interval::Ci
    } else if (c.is_word(0, "confidence")
        || c.is_word(0, "credible")
        || c.is_word(0, "uncertainty"))
        && c.is_word(1, "interval")
    {
        c.i += 2;
        // "95% confidence interval [CI]"
        if matches!(c.peek(), Some(Tok::Open))
            && c.is_word(1, "CI")
            && matches!(c.peek_at(2), Some(Tok::Close))
        {
            c.i += 3;
        }
        Interval::Ci
    } else if level.is_none() && c.eat_word("range") {
        Interval::Range
    } else if level.is_none() && c.eat_word("IQR") {
        Interval::Iqr
    } else if level.is_none() && c.is_word(0, "interquartile") && c.is_word(1, "range") {
        c.i += 2;
        // "interquartile range (IQR)"
        if matches!(c.peek(), Some(Tok::Open))
            && c.is_word(1, "IQR")
            && matches!(c.peek_at(2), Some(Tok::Close))
        {
            c.i += 3;
        }
        Interval::Iqr
    } else {
        c.i = start;
        return None;
    };
    c.eat(|t| matches!(t, Tok::Sep(':' | ',') | Tok::Cmp('=')));
    Some((kind, level))
}

/// Two numbers: `0.42 to 0.82`, `0.42–0.82`, `0.62, 2.58`, `50.2 to 63.9%`.
fn interval(c: &mut Cur) -> Option<(Num, Num, bool)> {
    let start = c.i;
    let lower = c.num()?;
    let pct_low = c.eat(|t| matches!(t, Tok::Percent));
    let joined = c.eat_word("to")
        || c.eat(|t| matches!(t, Tok::Dash | Tok::Sep(',' | ';')))
        || (c.is_word(0, "and") && c.i > start);
    if !joined {
        c.i = start;
        return None;
    }
    let Some(upper) = c.num() else {
        c.i = start;
        return None;
    };
    let pct_up = c.eat(|t| matches!(t, Tok::Percent));
    c.marks();
    Some((lower, upper, pct_low || pct_up))
}

fn set_interval(
    st: &mut Statistic,
    (lo, up, pct): (Num, Num, bool),
    label: Option<(Interval, Option<f64>)>,
) {
    st.lower = Some(lo);
    st.upper = Some(up);
    st.in_percent |= pct;
    let (kind, level) = label.unwrap_or((Interval::Unlabelled, None));
    st.interval = Some(kind);
    st.conf_level = level;
}

/// Units of measurement, which say a number is not a count.
pub fn is_unit(w: &str) -> bool {
    #[rustfmt::skip]
    const UNITS: [&str; 26] = [
        "year", "years", "month", "months", "week", "weeks", "day", "days", "hour", "hours", "Gy",
        "mg", "ml", "mL", "kg", "cm", "mm", "g", "l", "µg", "ng", "ms", "points", "cycles",
        "times", "min",
    ];
    UNITS.iter().any(|u| u.eq_ignore_ascii_case(w))
}

/// Words for the patients or events a count counts.
pub fn counts_people(w: &str) -> bool {
    #[rustfmt::skip]
    const NOUNS: [&str; 36] = [
        "patient", "patients", "participant", "participants", "subject", "subjects", "case",
        "cases", "people", "persons", "individuals", "women", "men", "children", "adults",
        "events", "deaths", "died", "recurrences", "infants", "neonates", "pregnancies",
        "respondents", "volunteers", "households", "births", "livebirths", "admissions",
        "infections", "relapses", "smokers", "controls", "girls", "boys", "mothers",
        "survivors",
    ];
    NOUNS.iter().any(|n| n.eq_ignore_ascii_case(w))
}

/// Words that name a test statistic printed as `d=0.76` or `t 1221=3.207`.
const TEST_STATISTICS: [&str; 6] = ["d", "t", "z", "F", "r", "U"];

/// A count in words: "three", "Seventy", "thirty-six".
fn count_word(c: &Cur) -> Option<(f64, usize)> {
    let w = number_word(c.word_at(0)?)?;
    if w >= 20.0
        && w % 10.0 == 0.0
        && matches!(c.peek_at(1), Some(Tok::Dash))
        && !c.spaced(1)
        && let Some(u) = c
            .word_at(2)
            .and_then(number_word)
            .filter(|u| (1.0..10.0).contains(u))
    {
        return Some((w + u, 3));
    }
    Some((w, 1))
}

/// "of 49 Flu-TBI patients" and "out of 228 patients": the words after a count that give
/// its denominator; the index past the number and past the noun, if one follows.
fn of_denominator(c: &Cur, value: f64) -> Option<(Num, usize, usize)> {
    let k = if c.is_word(0, "of") {
        1
    } else if c.is_word(0, "out") && c.is_word(1, "of") {
        2
    } else {
        return None;
    };
    let Some(Tok::Num(n)) = c.peek_at(k) else {
        return None;
    };
    if !n.is_whole() || n.value < value {
        return None;
    }
    // Up to three words (a group's name) before the noun: "of 49 Flu-TBI patients".
    let mut j = k + 1;
    let mut noun_at = None;
    for _ in 0..5 {
        match c.peek_at(j) {
            Some(Tok::Word(w)) if counts_people(w) => {
                noun_at = Some(j + 1);
                break;
            }
            Some(Tok::Word(_) | Tok::Dash) => j += 1,
            _ => break,
        }
    }
    Some((*n, k + 1, noun_at.unwrap_or(k + 1)))
}

/// Whether `(x%)` starts at offset `k`.
fn percent_at(c: &Cur, k: usize) -> bool {
    matches!(c.peek_at(k), Some(Tok::Open))
        && matches!(c.peek_at(k + 1), Some(Tok::Num(_)))
        && matches!(c.peek_at(k + 2), Some(Tok::Percent))
}

fn statistic(c: &mut Cur, whole: bool) -> Option<(Statistic, bool)> {
    let start = c.i;
    let mut ratio = None;
    if let Some((kind, n)) = label(c) {
        ratio = Some(kind);
        c.i += n;
        c.eat(|t| matches!(t, Tok::Sep(':' | ',') | Tok::Cmp('=')));
        if !matches!(c.peek(), Some(Tok::Num(_))) {
            c.i = start;
            return None;
        }
    }
    // A test statistic: "d=0.76", "t 1221=3.207", "F(2, 30) = 4.1".
    let mut test_statistic = false;
    if ratio.is_none()
        && let Some(w) = c.word_at(0)
        && TEST_STATISTICS.contains(&w)
    {
        let mut k = 1;
        if matches!(c.peek_at(k), Some(Tok::Num(_))) {
            k += 1;
        } else if matches!(c.peek_at(k), Some(Tok::Open)) {
            while k < 8 && !matches!(c.peek_at(k), Some(Tok::Close) | None) {
                k += 1;
            }
            k += 1;
        }
        if matches!(c.peek_at(k), Some(Tok::Cmp('=')))
            && matches!(c.peek_at(k + 1), Some(Tok::Num(_)))
        {
            c.i += k + 1;
            test_statistic = true;
        }
    }
    if ratio.is_none()
        && !test_statistic
        && let Some(p) = p_value(c)
    {
        let mut st = Statistic::new(Kind::P, p.value);
        st.p = Some(p);
        return Some((st, false));
    }
    let value = match c.num() {
        Some(n) => n,
        None => {
            // A count written as a word, only where a percentage, a count's noun or a
            // denominator follows: "three (2.7%)", "Seventy patients (30.7%)", "four
            // patients", "three out of 228", "Nineteen of 49 … patients (39%)".
            let (w, n) = count_word(c)?;
            let save = c.i;
            c.i += n;
            let reads = percent_at(c, 0)
                || c.word_at(0).is_some_and(counts_people)
                || (c.word_at(0).is_some() && c.word_at(1).is_some_and(counts_people))
                || of_denominator(c, w).is_some();
            if !reads {
                c.i = save;
                return None;
            }
            Num {
                value: w,
                decimals: 0,
            }
        }
    };
    let mut st = Statistic::new(Kind::Other, value);
    st.in_percent = c.eat(|t| matches!(t, Tok::Percent));
    c.marks();
    let count_like = value.is_whole() && !st.in_percent && ratio.is_none() && !test_statistic;
    let mut n_over_n = false;

    // n/N, "n of N", "n out of N patients", "n of N Flu-TBI patients (x%)".
    if count_like {
        if matches!(c.peek(), Some(Tok::Slash)) && !c.spaced(0) && !c.spaced(1) {
            if let Some(Tok::Num(n)) = c.peek_at(1)
                && n.is_whole()
                && n.value >= value.value
            {
                st.denominator = Some(*n);
                n_over_n = true;
                c.i += 2;
                c.marks();
            }
        } else if let Some((n, past_n, past_noun)) = of_denominator(c, value.value) {
            let save = c.i;
            c.i += past_noun;
            if percent_at(c, 0) || past_noun == past_n {
                st.denominator = Some(n);
                if past_noun != past_n && !percent_at(c, 0) {
                    c.i = save + past_n;
                }
            } else {
                // "3 of 112 patients" with no percentage: the count and its denominator.
                st.denominator = Some(n);
            }
        }
    }

    // The noun or name between a count and its percentage: "50 patients (21.9%)",
    // "192 LHWs (71%)", "116 patients, 50.9%", "451/613, 74%".
    if count_like && st.percent.is_none() {
        let named = c.word_at(0).is_some_and(|w| {
            counts_people(w) || !is_unit(w) && w.chars().next().is_some_and(char::is_uppercase)
        }) && percent_at(c, 1);
        let people = c.word_at(0).is_some_and(counts_people);
        if named {
            c.i += 1;
        } else if (people || n_over_n)
            && matches!(c.peek_at(people as usize), Some(Tok::Sep(',')))
            && matches!(c.peek_at(people as usize + 1), Some(Tok::Num(_)))
            && matches!(c.peek_at(people as usize + 2), Some(Tok::Percent))
        {
            c.i += people as usize + 1;
            let pct = c.num()?;
            c.i += 1;
            c.marks();
            st.percent = Some(pct);
        }
    }

    // "61 per 1000 pregnancies", "2.3 per 100 person-years": a rate per so many.
    if !st.in_percent
        && c.is_word(0, "per")
        && matches!(c.peek_at(1), Some(Tok::Num(n)) if [100.0, 1000.0, 10_000.0, 100_000.0].contains(&n.value))
    {
        if let Some(Tok::Num(n)) = c.peek_at(1) {
            st.per = Some(*n);
        }
        c.i += 2;
        c.marks();
        st.kind = Kind::Other;
        return Some((st, false));
    }

    if matches!(c.peek(), Some(Tok::PlusMinus)) {
        let save = c.i;
        c.i += 1;
        match c.num() {
            Some(sd) => {
                st.sd = Some(sd);
                c.eat(|t| matches!(t, Tok::Percent));
            }
            None => c.i = save,
        }
    }

    // A unit between an estimate and its bracketed interval: "1.92 points (95% CI …)",
    // "12.1 ms (90% confidence interval [CI], …)".
    if !count_like && st.percent.is_none() {
        let mut k = 0;
        while k < 4 && matches!(c.peek_at(k), Some(Tok::Word(_) | Tok::Slash)) {
            k += 1;
        }
        if k > 0 && matches!(c.peek_at(k), Some(Tok::Open)) {
            let save = c.i;
            c.i += k + 1;
            let labelled = {
                let l = c.i;
                let found = ci_label(c).is_some_and(|(kind, _)| kind == Interval::Ci);
                c.i = l;
                found
            };
            c.i = save;
            if labelled {
                c.i += k;
            }
        }
    }

    if st.percent.is_some() {
        // Read already ("116 patients, 50.9%").
    } else if matches!(c.peek(), Some(Tok::Open)) {
        let save = c.i;
        let spaced = c.spaced(0);
        c.i += 1;
        if !inner(c, &mut st, count_like && spaced) {
            c.i = save;
        }
    } else if matches!(c.peek(), Some(Tok::Sep(',' | ';'))) {
        let save = c.i;
        c.i += 1;
        match ci_label(c) {
            Some(label) => match interval(c) {
                Some(iv) => set_interval(&mut st, iv, Some(label)),
                None => c.i = save,
            },
            None => c.i = save,
        }
    } else if matches!(c.peek(), Some(Tok::Num(_))) && matches!(c.peek_at(1), Some(Tok::Percent)) {
        // "0.59 95% CI 0.42–0.82": an interval with its level, with no bracket.
        let save = c.i;
        match ci_label(c).and_then(|label| interval(c).map(|iv| (label, iv))) {
            Some((label, iv)) => set_interval(&mut st, iv, Some(label)),
            None => c.i = save,
        }
    } else if value.decimals > 0
        && matches!(c.peek(), Some(Tok::Num(n)) if n.decimals > 0)
        && c.spaced(0)
    {
        // A table's cells "1.17 1.04–1.31" and "1.12 0.95 to 1.32": the interval with no
        // bracket.
        let save = c.i;
        match interval(c) {
            Some(iv)
                if matches!(
                    c.t.get(save + 1).map(|t| &t.tok),
                    Some(Tok::Dash | Tok::Word(_))
                ) =>
            {
                set_interval(&mut st, iv, None)
            }
            _ => c.i = save,
        }
    }

    // "22 (9.6%) of 142 patients": the denominator after the percentage.
    if st.percent.is_some()
        && st.denominator.is_none()
        && c.is_word(0, "of")
        && let Some(Tok::Num(n)) = c.peek_at(1)
        && n.is_whole()
        && n.value >= value.value
        && c.word_at(2).is_some_and(counts_people)
    {
        st.denominator = Some(*n);
        c.i += 3;
    }

    // A p after the estimate: "…, P = 0.001", "; log-rank P = 0.057", and in a claim's
    // text the bare number after the interval, as table rows print it.
    if st.p.is_none() {
        let save = c.i;
        c.eat(|t| matches!(t, Tok::Sep(',' | ';')));
        let before_test = c.i;
        let mut k = 0;
        while k < 3 && matches!(c.peek(), Some(Tok::Word(w)) if w != "P" && w != "p")
            || (k > 0 && k < 4 && matches!(c.peek(), Some(Tok::Dash)))
        {
            c.i += 1;
            k += 1;
        }
        match p_value(c) {
            Some(p) => st.p = Some(p),
            None => {
                c.i = before_test;
                match p_value(c) {
                    Some(p) => st.p = Some(p),
                    None => {
                        c.i = save;
                        let bare = st.lower.is_some()
                            && matches!(c.peek(), Some(Tok::Num(n)) if n.value <= 1.0 && n.value >= 0.0 && n.decimals >= 2)
                            && c.spaced(0)
                            && !matches!(c.peek_at(1), Some(Tok::Open | Tok::Percent | Tok::Dash));
                        if bare && whole {
                            let value = c.num()?;
                            st.p = Some(PValue { op: Op::Eq, value });
                        }
                    }
                }
            }
        }
    }

    if test_statistic {
        st.kind = Kind::Other;
        return Some((st, false));
    }
    if n_over_n && st.percent.is_none() {
        st.kind = Kind::CountPercent;
        st.count = Some(st.value);
        return Some((st, false));
    }
    st.kind = if let Some(k) = ratio {
        k
    } else if st.percent.is_some() {
        Kind::CountPercent
    } else if st.sd.is_some() {
        Kind::Mean
    } else if st.in_percent {
        match st.interval {
            Some(Interval::Ci | Interval::Unlabelled) => Kind::Rate,
            _ => Kind::Percent,
        }
    } else if matches!(st.interval, Some(Interval::Range | Interval::Iqr)) && !st.in_percent {
        Kind::Median
    } else if st.lower.is_none() && value.is_whole() {
        Kind::Count
    } else {
        Kind::Other
    };
    if st.kind == Kind::CountPercent {
        st.count = Some(st.value);
    }
    Some((st, ratio.is_some()))
}

/// Inside brackets after an estimate; false when the brackets hold something else.
fn inner(c: &mut Cur, st: &mut Statistic, count_like: bool) -> bool {
    // "(49.1%)" and, in tables, "(49.1)" after a count.
    if count_like {
        let save = c.i;
        if let Some(pct) = c.num() {
            let sign = c.eat(|t| matches!(t, Tok::Percent));
            c.marks();
            if matches!(c.peek(), Some(Tok::Close)) && (sign || pct.value <= 100.0) {
                c.i += 1;
                st.percent = Some(pct);
                return true;
            }
            // "(47%; 95% CI …)" is a percentage with its own interval: not a count.
        }
        c.i = save;
        // "(n = 228)"
        if (c.is_word(0, "n") || c.is_word(0, "N")) && matches!(c.peek_at(1), Some(Tok::Cmp('='))) {
            c.i += 2;
            if let Some(n) = c.num()
                && c.eat(|t| matches!(t, Tok::Close))
            {
                st.denominator = Some(n);
                return true;
            }
            c.i = save;
        }
    }
    // "(SD 5.1)", "(IQR 13)", "(interquartile range (IQR) 13)": a spread printed as one
    // number.
    let sd = c.is_word(0, "SD") || c.is_word(0, "SE");
    if sd {
        c.i += 1;
        c.eat(|t| matches!(t, Tok::Sep(_) | Tok::Cmp('=')));
    }
    let label = if sd { None } else { ci_label(c) };
    let Some(iv) = interval(c) else {
        let one_number = sd || matches!(label, Some((Interval::Iqr | Interval::Range, _)));
        if one_number
            && let Some(n) = c.num()
            && c.eat(|t| matches!(t, Tok::Close))
        {
            if sd {
                st.sd = Some(n);
            } else {
                st.interval = label.map(|l| l.0);
            }
            return true;
        }
        return false;
    };
    set_interval(st, iv, label);
    let save = c.i;
    c.eat(|t| matches!(t, Tok::Sep(',' | ';')));
    match p_value(c) {
        Some(p) => st.p = Some(p),
        None => c.i = save,
    }
    c.eat(|t| matches!(t, Tok::Close))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(text: &str) -> Statistic {
        parse_claim(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn v(n: Option<Num>) -> Option<(f64, u32)> {
        n.map(|n| (n.value, n.decimals))
    }

    #[test]
    fn a_count_with_its_percentage() {
        let s = claim("1,387 (47%)");
        assert_eq!(s.kind, Kind::CountPercent);
        assert_eq!(v(s.count), Some((1387.0, 0)));
        assert_eq!(v(s.percent), Some((47.0, 0)));
        let s = claim("112/228 (49.1%)");
        assert_eq!(v(s.denominator), Some((228.0, 0)));
        assert_eq!(v(s.percent), Some((49.1, 1)));
        assert_eq!(claim("112 (49.1)").kind, Kind::CountPercent);
    }

    #[test]
    fn a_ratio_with_its_interval_and_p_is_one_statistic() {
        let s = claim("HR 0.59, 95% CI 0.42–0.82, P = 0.001");
        assert_eq!(s.kind, Kind::Hr);
        assert_eq!(v(s.lower), Some((0.42, 2)));
        assert_eq!(v(s.upper), Some((0.82, 2)));
        assert_eq!(s.conf_level, Some(0.95));
        let p = s.p.unwrap();
        assert_eq!((p.op, p.value.value), (Op::Eq, 0.001));

        let s = claim("1.62 (0.62, 2.58) 0.045");
        assert_eq!(v(s.upper), Some((2.58, 2)));
        assert_eq!(s.p.map(|p| p.value.value), Some(0.045));

        let s = claim("hazard ratio 0·62 (95% confidence interval [CI] 0·42 to 0·82; p<0·001)");
        assert_eq!(s.kind, Kind::Hr);
        assert_eq!(v(s.lower), Some((0.42, 2)));
        assert_eq!(s.p.map(|p| p.op), Some(Op::Lt));
    }

    #[test]
    fn estimates_with_intervals() {
        let s = claim("0.59 (0.42 to 0.82)");
        assert_eq!(
            (s.kind, s.interval),
            (Kind::Other, Some(Interval::Unlabelled))
        );
        let s = claim("310 (285, 363)");
        assert_eq!(v(s.lower), Some((285.0, 0)));
        let s = claim("56.6% (50.2 to 63.9%)");
        assert_eq!(s.kind, Kind::Rate);
        assert!(s.in_percent);
        let s = claim("33 (range 3.3 to 93.4)");
        assert_eq!((s.kind, s.interval), (Kind::Median, Some(Interval::Range)));
        let s = claim("54.5 ± 16.3");
        assert_eq!((s.kind, v(s.sd)), (Kind::Mean, Some((16.3, 1))));
    }

    #[test]
    fn p_values_with_their_comparison() {
        let s = claim("p < 0.001");
        assert_eq!(s.kind, Kind::P);
        assert_eq!(s.p.map(|p| (p.op, p.value.decimals)), Some((Op::Lt, 3)));
        assert_eq!(claim("P=.04").value.value, 0.04);
        assert_eq!(claim("P ≤ 0.05").p.map(|p| p.op), Some(Op::Lt));
    }

    #[test]
    fn what_cannot_be_read_is_said() {
        let e = parse_claim("47% of patients").unwrap_err();
        assert!(e.contains("`of patients`"), "{e}");
        assert!(parse_claim("about half").is_err());
        assert!(parse_claim("").is_err());
    }

    #[test]
    fn decimal_commas_only_where_no_point_is_written() {
        assert_eq!(decimal_of("0,62 (0,42–0,82)"), Decimal::Comma);
        assert_eq!(decimal_of("1,387 (47%)"), Decimal::Point);
        assert_eq!(decimal_of("1,387 (47.5%)"), Decimal::Point);
        assert_eq!(claim("0,62 (0,42 to 0,82)").value.value, 0.62);
    }
}
