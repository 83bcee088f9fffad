//! Printed text into tokens: numbers with the decimals they were printed with, words,
//! and the marks statistics are written with.
//!
//! Papers print the same number many ways: `0.62`, `0·62` (the Lancet), `.62` (JAMA's
//! p-values), `−0.5` with U+2212, `1,224` and `1 224` with a thin space, `12.5a` with a
//! footnote mark. The lexer reads them all into one [`Num`], and tells a range's dash from a
//! minus sign by what stands before it: after a number it is a dash.

use super::Num;

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Num(Num),
    /// Letters, as printed.
    Word(String),
    Percent,
    /// A hyphen or dash between two things (a range, a broken word), not a minus sign.
    Dash,
    Open,
    Close,
    /// `,` `;` `:`
    Sep(char),
    /// `=` `<` `>` (and `≤` `≥`, which read as `<` `>`).
    Cmp(char),
    PlusMinus,
    Slash,
    /// A footnote mark: `*`, `†`, a superscript digit, a letter glued to a number.
    Mark,
    /// `.` `!` `?` at the end of a sentence.
    Stop,
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    /// Byte offsets into the text.
    pub start: usize,
    pub end: usize,
    /// Whether whitespace stands between this token and the one before.
    pub spaced: bool,
}

/// How the text writes a decimal fraction: `1.5` or `1,5`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Decimal {
    #[default]
    Point,
    Comma,
}

/// Spaces that sit inside numbers as thousands separators.
fn is_group_space(c: char) -> bool {
    matches!(
        c,
        '\u{2009}' | '\u{202F}' | '\u{00A0}' | '\u{2007}' | '\u{2008}' | '\u{200A}'
    )
}

fn is_space(c: char) -> bool {
    c.is_whitespace() || is_group_space(c) || c == '\u{200B}'
}

fn is_minus(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2212}' | '\u{2012}' | '\u{2013}' | '\u{FE63}' | '\u{FF0D}'
    )
}

fn is_dash(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2212}'
    )
}

fn is_decimal_mark(c: char, decimal: Decimal) -> bool {
    match decimal {
        Decimal::Point => matches!(c, '.' | '\u{00B7}' | '\u{22C5}' | '\u{2219}'),
        Decimal::Comma => matches!(c, ',' | '\u{00B7}'),
    }
}

const SUPERSCRIPTS: &str = "¹²³⁴⁵⁶⁷⁸⁹⁰";

/// The tokens of `text`.
pub fn lex(text: &str, decimal: Decimal) -> Vec<Token> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let end_of = |i: usize| chars.get(i).map_or(text.len(), |&(b, _)| b);
    let digit_at = |i: usize| chars.get(i).is_some_and(|&(_, c)| c.is_ascii_digit());
    let mut out: Vec<Token> = Vec::new();
    let mut i = 0;
    let mut spaced = true;
    while i < chars.len() {
        let (start, c) = chars[i];
        if is_space(c) {
            spaced = true;
            i += 1;
            continue;
        }
        let after_number = !spaced
            && out
                .last()
                .is_some_and(|t| matches!(t.tok, Tok::Num(_) | Tok::Percent | Tok::Close));
        let prev_is_value = out
            .last()
            .is_some_and(|t| matches!(t.tok, Tok::Num(_) | Tok::Percent));
        // A minus sign: before a digit, and not straight after a number (`3.3-93.4`).
        // U+2212 is a minus even after a space and a number ("0.1 to −0.3" has a word
        // between; "0.1 −0.3" does not occur as a range).
        let signed = is_minus(c)
            && (digit_at(i + 1)
                || (chars
                    .get(i + 1)
                    .is_some_and(|&(_, d)| is_decimal_mark(d, decimal))
                    && digit_at(i + 2)))
            && !(prev_is_value && (!spaced || c != '\u{2212}'));
        let bare_fraction = is_decimal_mark(c, decimal)
            && c != ','
            && digit_at(i + 1)
            && !out
                .last()
                .is_some_and(|t| !spaced && matches!(t.tok, Tok::Num(_)));
        if c.is_ascii_digit() || signed || bare_fraction {
            let (num, next) = number(&chars, i, decimal);
            out.push(Token {
                tok: Tok::Num(num),
                start,
                end: end_of(next),
                spaced,
            });
            i = next;
            spaced = false;
            continue;
        }
        if c.is_alphabetic() {
            let mut j = i;
            while j < chars.len() && chars[j].1.is_alphabetic() {
                j += 1;
            }
            let word: String = chars[i..j].iter().map(|&(_, c)| c).collect();
            // A single letter glued to a number and not starting a word is a footnote mark.
            let glued_mark = after_number
                && j - i == 1
                && word.chars().all(|c| c.is_ascii_lowercase() && c <= 'h')
                && !chars.get(j).is_some_and(|&(_, c)| c.is_alphanumeric());
            out.push(Token {
                tok: if glued_mark {
                    Tok::Mark
                } else {
                    Tok::Word(word)
                },
                start,
                end: end_of(j),
                spaced,
            });
            i = j;
            spaced = false;
            continue;
        }
        let tok = match c {
            '%' => Tok::Percent,
            '(' | '[' | '{' => Tok::Open,
            ')' | ']' | '}' => Tok::Close,
            ',' | ';' | ':' => Tok::Sep(c),
            '=' => Tok::Cmp('='),
            '<' | '≤' | '⩽' => Tok::Cmp('<'),
            '>' | '≥' | '⩾' => Tok::Cmp('>'),
            '±' => Tok::PlusMinus,
            '/' => Tok::Slash,
            '*' | '†' | '‡' | '§' | '¶' | '‖' | '#' => Tok::Mark,
            c if SUPERSCRIPTS.contains(c) => Tok::Mark,
            '.' | '!' | '?' => Tok::Stop,
            c if is_dash(c) => Tok::Dash,
            _ => Tok::Other,
        };
        // `<=` and `>=` are one comparison.
        if matches!(tok, Tok::Cmp('='))
            && !spaced
            && let Some(Token {
                tok: Tok::Cmp('<' | '>'),
                end,
                ..
            }) = out.last_mut()
        {
            *end = end_of(i + 1);
            i += 1;
            continue;
        }
        out.push(Token {
            tok,
            start,
            end: end_of(i + 1),
            spaced,
        });
        i += 1;
        spaced = false;
    }
    out
}

/// The number starting at `chars[i]` (a digit, a minus sign or a decimal mark), and the
/// index past it.
fn number(chars: &[(usize, char)], mut i: usize, decimal: Decimal) -> (Num, usize) {
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let digit = |i: usize| at(i).is_some_and(|c| c.is_ascii_digit());
    let mut negative = false;
    if at(i).is_some_and(is_minus) {
        negative = true;
        i += 1;
    }
    let mut int = String::new();
    while digit(i) {
        int.push(at(i).unwrap_or('0'));
        i += 1;
        // A thousands separator: `,` (or `.` where the decimal is a comma) or a thin space,
        // then exactly three digits; the first group has one to three digits and no
        // leading zero.
        let sep = at(i);
        let is_sep = sep.is_some_and(|c| match decimal {
            Decimal::Point => c == ',' || is_group_space(c),
            Decimal::Comma => c == '.' || is_group_space(c),
        });
        if is_sep
            && !int.starts_with('0')
            && (int.len() <= 3)
            && digit(i + 1)
            && digit(i + 2)
            && digit(i + 3)
            && !digit(i + 4)
        {
            while at(i) == sep && digit(i + 1) && digit(i + 2) && digit(i + 3) && !digit(i + 4) {
                for k in 1..=3 {
                    int.push(at(i + k).unwrap_or('0'));
                }
                i += 4;
            }
            break;
        }
    }
    let mut frac = String::new();
    if at(i).is_some_and(|c| is_decimal_mark(c, decimal)) && digit(i + 1) {
        i += 1;
        while digit(i) {
            frac.push(at(i).unwrap_or('0'));
            i += 1;
        }
    }
    let text = format!(
        "{}{}.{}",
        if negative { "-" } else { "" },
        if int.is_empty() { "0" } else { &int },
        if frac.is_empty() { "0" } else { &frac }
    );
    let value: f64 = text.parse().unwrap_or(f64::NAN);
    (
        Num {
            value,
            decimals: frac.len() as u32,
        },
        i,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nums(text: &str) -> Vec<(f64, u32)> {
        lex(text, Decimal::Point)
            .into_iter()
            .filter_map(|t| match t.tok {
                Tok::Num(n) => Some((n.value, n.decimals)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn numbers_as_journals_print_them() {
        assert_eq!(nums("0·62"), [(0.62, 2)]);
        assert_eq!(nums("P = .04"), [(0.04, 2)]);
        assert_eq!(nums("−0.5"), [(-0.5, 1)]);
        assert_eq!(nums("1,387 (47%)"), [(1387.0, 0), (47.0, 0)]);
        assert_eq!(nums("1\u{2009}224 patients"), [(1224.0, 0)]);
        assert_eq!(nums("20,000"), [(20000.0, 0)]);
        assert_eq!(nums("2.0"), [(2.0, 1)]);
    }

    #[test]
    fn a_dash_after_a_number_is_a_range_not_a_minus() {
        assert_eq!(nums("0.42–0.82"), [(0.42, 2), (0.82, 2)]);
        assert_eq!(nums("3.3-93.4"), [(3.3, 1), (93.4, 1)]);
        assert_eq!(nums("(−1.2, −0.3)"), [(-1.2, 1), (-0.3, 1)]);
        assert_eq!(nums("from -1.2 to -0.3"), [(-1.2, 1), (-0.3, 1)]);
    }

    #[test]
    fn commas_between_numbers_stay_separators() {
        assert_eq!(nums("(0.62, 2.58)"), [(0.62, 2), (2.58, 2)]);
        assert_eq!(nums("[1,2]"), [(1.0, 0), (2.0, 0)]);
        assert_eq!(nums("1,2345"), [(1.0, 0), (2345.0, 0)]);
        assert_eq!(nums("0,623"), [(0.0, 0), (623.0, 0)]);
    }

    #[test]
    fn decimal_commas_where_the_text_uses_them() {
        let n: Vec<_> = lex("0,62 (0,42–0,82)", Decimal::Comma)
            .into_iter()
            .filter_map(|t| match t.tok {
                Tok::Num(n) => Some(n.value),
                _ => None,
            })
            .collect();
        assert_eq!(n, [0.62, 0.42, 0.82]);
    }

    #[test]
    fn footnote_marks_glued_to_numbers_are_marks() {
        let toks = lex("12.5a 0.03* 45†", Decimal::Point);
        let kinds: Vec<_> = toks.iter().map(|t| &t.tok).collect();
        assert!(matches!(kinds[1], Tok::Mark));
        assert!(matches!(kinds[3], Tok::Mark));
        assert!(matches!(kinds[5], Tok::Mark));
        assert_eq!(nums("12.5a"), [(12.5, 1)]);
    }
}
