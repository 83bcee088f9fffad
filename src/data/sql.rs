//! SQL expressions as users write them: R's spelling of the common maths functions is
//! accepted, and an unknown function is answered with the list of those that work.

use polars::prelude::*;

/// The functions a row expression may use, as the hint lists them.
pub const FUNCTIONS: &str = "abs, sqrt, exp, log (natural; log(x, base) for another base), log10, log2, ln, power, round, floor, ceil, sign, least, greatest, coalesce, nullif, lower, upper, length, CASE WHEN … THEN … ELSE … END";

/// Parses a row expression after turning R's one-argument `log(x)` (the natural
/// logarithm) into SQL's `ln(x)`; polars reads `log(x, base)` as R does.
pub fn parse(text: &str) -> PolarsResult<Expr> {
    polars::sql::sql_expr(r_spelling(text))
}

/// Whether a polars error is about a function it does not know.
pub fn unknown_function(e: &PolarsError) -> bool {
    e.to_string().contains("unsupported function")
}

/// `log(x)` with a single argument becomes `ln(x)`; everything inside quotes is kept.
fn r_spelling(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(q) = quote {
            if b == q {
                quote = None;
            }
        } else if b == b'\'' || b == b'"' {
            quote = Some(b);
        } else if starts_log_call(bytes, i) && single_argument(bytes, i + 3) {
            out.push_str("ln");
            i += 3;
            continue;
        }
        // Push whole characters: the text may hold non-ASCII names or strings.
        let ch = text[i..].chars().next().expect("in bounds");
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// `log` as a whole word followed (after spaces) by `(`.
fn starts_log_call(b: &[u8], i: usize) -> bool {
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    b.len() >= i + 3
        && b[i..i + 3].eq_ignore_ascii_case(b"log")
        && (i == 0 || !word(b[i - 1]))
        && b[i + 3..]
            .iter()
            .find(|c| !c.is_ascii_whitespace())
            .is_some_and(|&c| c == b'(')
}

/// Whether the call whose name ends before `from` has no top-level comma.
fn single_argument(b: &[u8], from: usize) -> bool {
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    for &c in &b[from..] {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, b'\'' | b'"') => quote = Some(c),
            (None, b'(') => depth += 1,
            (None, b')') => {
                depth -= 1;
                if depth == 0 {
                    return true;
                }
            }
            (None, b',') if depth == 1 => return false,
            _ => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_of_one_argument_is_the_natural_logarithm_as_in_r() {
        assert_eq!(r_spelling("log(bili)"), "ln(bili)");
        assert_eq!(r_spelling("LOG (bili + 1) * 2"), "ln (bili + 1) * 2");
        assert_eq!(r_spelling("log(x, 10)"), "log(x, 10)");
        assert_eq!(r_spelling("log(greatest(a, b))"), "ln(greatest(a, b))");
        assert_eq!(r_spelling("log10(x) + catalog(y)"), "log10(x) + catalog(y)");
        assert_eq!(r_spelling("name = 'log(x)'"), "name = 'log(x)'");
    }

    #[test]
    fn the_spelled_expressions_evaluate() {
        let df = df!("x" => [1.0f64, std::f64::consts::E, 100.0]).unwrap();
        let eval = |t: &str| -> Vec<f64> {
            let out = df
                .clone()
                .lazy()
                .select([parse(t).unwrap().alias("v")])
                .collect()
                .unwrap();
            out.column("v")
                .unwrap()
                .f64()
                .unwrap()
                .into_no_null_iter()
                .collect()
        };
        assert_eq!(eval("log(x)")[1], 1.0);
        assert!((eval("log10(x)")[2] - 2.0).abs() < 1e-15);
        assert!((eval("exp(log(x))")[2] - 100.0).abs() < 1e-12);
        assert!((eval("log(x, 10)")[2] - 2.0).abs() < 1e-15);
    }

    #[test]
    fn an_unknown_function_is_recognised() {
        let df = df!("x" => [1.0f64]).unwrap();
        let e = parse("logit(x)").and_then(|e| df.lazy().select([e]).collect());
        assert!(unknown_function(&e.unwrap_err()));
    }
}
