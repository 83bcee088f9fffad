//! Escaping and the number filters templates use.
//!
//! In typst markup a backslash before any punctuation prints that character, so escaping
//! every ASCII punctuation character makes any text print as itself: `#panic("x")`,
//! `$a$`, `*b*`, `_c_`, `@d`, `<e>`, `[f]`, `// g` all come out literally. Newlines become
//! spaces (a blank line would start a paragraph). This is markup escaping: inside a typst
//! string literal use `typst_str`, which writes a quoted, escaped string.

use minijinja::value::Kwargs;
use minijinja::{Environment, Error, ErrorKind, Output, State, Value};

use crate::present::format;

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 4);
    for c in s.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            c if c.is_ascii_punctuation() => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Everything printed goes through here: safe strings as they are, `none` as an en dash
/// (a value that does not exist), anything else escaped.
pub fn formatter(out: &mut Output, _state: &mut State, value: &Value) -> Result<(), Error> {
    let text = if value.is_safe() {
        value.to_string()
    } else if value.is_none() {
        "–".to_string()
    } else {
        escape(&value.to_string())
    };
    out.write_str(&text).map_err(|e| {
        Error::new(ErrorKind::WriteFailure, "cannot write the template output").with_source(e)
    })
}

fn number(v: &Value) -> Option<f64> {
    if v.is_none() || v.is_undefined() {
        return None;
    }
    f64::try_from(v.clone()).ok().filter(|x| x.is_finite())
}

fn fixed(x: Option<f64>, digits: usize) -> String {
    format::num(x, digits)
}

/// `{{ x | num(2) }}`: a number with fixed decimals; an en dash where there is none.
fn num(v: Value, digits: Option<usize>) -> String {
    fixed(number(&v), digits.unwrap_or(1))
}

/// `{{ s | percent }}`: a proportion as a percentage number (0.566 → 56.6).
fn percent(v: Value, digits: Option<usize>) -> String {
    fixed(number(&v).map(|x| 100.0 * x), digits.unwrap_or(1))
}

/// `{{ lower | ci(upper, 2) }}` → "(0.54 to 0.86)".
fn ci(lower: Value, upper: Value, digits: Option<usize>) -> String {
    format::ci(number(&lower), number(&upper), digits.unwrap_or(2))
}

/// `{{ p | pvalue }}` → "0.003", "0.12" or "< 0.001".
fn pvalue(v: Value) -> String {
    format::P::of(number(&v)).text()
}

/// `{{ term | hr }}` for a Cox term → "0.68 (0.54 to 0.86)".
fn hr(term: Value, kwargs: Kwargs) -> Result<String, Error> {
    let digits: Option<usize> = kwargs.get("digits")?;
    kwargs.assert_all_used()?;
    let get = |k: &str| term.get_attr(k).ok().and_then(|v| number(&v));
    let d = digits.unwrap_or(2);
    Ok(format::estimate_ci(
        get("hr"),
        get("lower"),
        get("upper"),
        d,
    ))
}

/// `{{ text | typst_str }}` → a typst string literal, for use inside code.
fn typst_str(v: Value) -> Value {
    let s = v.to_string();
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    Value::from_safe_string(out)
}

/// `{{ result("km_os/strata/true/median/estimate") }}`: a value from results.json by the
/// same paths claims use. The results are taken once, when the template is filled.
fn result_fn(
    results: std::sync::Arc<indexmap::IndexMap<String, serde_json::Value>>,
) -> impl Fn(String) -> Result<Value, Error> + Send + Sync + 'static {
    move |path: String| match crate::results::lookup(|id| results.get(id), &path) {
        // Counts print as counts: 112, not 112.0.
        Ok(Some(x)) if x.fract() == 0.0 && x.abs() < 1e15 => Ok(Value::from(x as i64)),
        Ok(Some(x)) => Ok(Value::from(x)),
        Ok(None) => Ok(Value::from(())),
        Err(e) => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("result(\"{path}\"): {e}"),
        )),
    }
}

pub fn register(
    env: &mut Environment<'static>,
    results: indexmap::IndexMap<String, serde_json::Value>,
) {
    env.add_filter("num", num);
    env.add_filter("percent", percent);
    env.add_filter("ci", ci);
    env.add_filter("pvalue", pvalue);
    env.add_filter("hr", hr);
    env.add_filter("typst_str", typst_str);
    env.add_function("result", result_fn(std::sync::Arc::new(results)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_specials_are_escaped() {
        assert_eq!(escape("#panic(\"x\")"), "\\#panic\\(\\\"x\\\"\\)");
        assert_eq!(
            escape("$a$ *b* _c_ @d <e> [f]"),
            "\\$a\\$ \\*b\\* \\_c\\_ \\@d \\<e\\> \\[f\\]"
        );
        assert_eq!(escape("line\nbreak"), "line break");
        assert_eq!(escape("Müller 12"), "Müller 12");
    }
}
