//! Escaping and the number filters templates use.
//!
//! In typst markup a backslash before any punctuation prints that character, so escaping
//! every ASCII punctuation character makes any text print as itself: `#panic("x")`,
//! `$a$`, `*b*`, `_c_`, `@d`, `<e>`, `[f]`, `// g` all come out literally. Newlines become
//! spaces (a blank line would start a paragraph). This is markup escaping: inside a typst
//! string literal use `typst_str`, which writes a quoted, escaped string.

use minijinja::value::Kwargs;
use minijinja::{Environment, Error, ErrorKind, Output, State, Value};

use crate::present::Style;

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

/// `{{ x | num(2) }}`: a number with fixed decimals in the house style; an en dash where
/// there is none.
fn num(style: Style) -> impl Fn(Value, Option<usize>) -> String + Send + Sync + 'static {
    move |v, digits| style.num(number(&v), digits.unwrap_or(1))
}

/// `{{ n | count }}`: a whole number with the style's grouping ("1,387").
fn count(style: Style) -> impl Fn(Value) -> String + Send + Sync + 'static {
    move |v| match number(&v) {
        Some(x) if x.fract() == 0.0 && x >= 0.0 => style.count(x as u64),
        other => style.num(other, 0),
    }
}

/// `{{ s | percent }}`: a proportion as a percentage number (0.566 → 56.6), to the style's
/// decimals unless given.
fn percent(style: Style) -> impl Fn(Value, Option<usize>) -> String + Send + Sync + 'static {
    move |v, digits| match digits {
        Some(d) => style.num(number(&v).map(|x| 100.0 * x), d),
        None => style.percent(number(&v)),
    }
}

/// `{{ lower | ci(upper, 2) }}` → "(0.54 to 0.86)", "(0·54–0·86)".
fn ci(style: Style) -> impl Fn(Value, Value, Option<usize>) -> String + Send + Sync + 'static {
    move |lower, upper, digits| style.ci(number(&lower), number(&upper), digits.unwrap_or(2))
}

/// `{{ p | pvalue }}` → the value as the style prints it after its letter: "0.003",
/// "<0.001", ".003", "<0·0001".
fn pvalue(style: Style) -> impl Fn(Value) -> String + Send + Sync + 'static {
    move |v| style.p_cell(number(&v))
}

/// `{{ p | p }}` → "P=0.003", "P < .001", "p=0·0031": the letter, the sign and the value.
fn p_stated(style: Style) -> impl Fn(Value) -> String + Send + Sync + 'static {
    move |v| style.p_stated(number(&v))
}

/// `{{ term | hr }}` for a Cox term → "0.68 (0.54 to 0.86)", to the decimals its interval
/// needs unless `digits` is given.
fn hr(style: Style) -> impl Fn(Value, Kwargs) -> Result<String, Error> + Send + Sync + 'static {
    move |term, kwargs| {
        let digits: Option<usize> = kwargs.get("digits")?;
        kwargs.assert_all_used()?;
        let get = |k: &str| term.get_attr(k).ok().and_then(|v| number(&v));
        let (e, l, u) = (get("hr").or_else(|| get("or")), get("lower"), get("upper"));
        Ok(match digits {
            Some(d) => style.estimate_ci(e, l, u, d),
            None => style.ratio_ci(e, l, u),
        })
    }
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
    style: Style,
) {
    env.add_filter("num", num(style));
    env.add_filter("count", count(style));
    env.add_filter("percent", percent(style));
    env.add_filter("ci", ci(style));
    env.add_filter("pvalue", pvalue(style));
    env.add_filter("p", p_stated(style));
    env.add_filter("hr", hr(style));
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
