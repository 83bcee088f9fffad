//! Claim expressions: the numbers papers derive from results, as `1 - km/strata/all/at/36/surv`
//! (a cumulative incidence), `a + b` (events in two transitions), `q3 - q1` (an IQR).
//!
//! Paths hold `/` and `-` and spaces (`levels/T2N1-2/n`, `levels/liver and lung/n`), so an
//! operator is one of `+ - * /` with whitespace on both sides, and a path that itself holds
//! such a sequence is written in backticks. A text without operators is one path, as before.

use super::lookup::NotFound;

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Path(String),
    Const(f64),
    Op(Box<Expr>, char, Box<Expr>),
}

impl Expr {
    /// The text as an expression, or what is wrong with it.
    pub fn parse(text: &str) -> Result<Expr, String> {
        let tokens = tokens(text)?;
        if tokens.is_empty() {
            return Err("it is empty".into());
        }
        let mut p = Parser { t: &tokens, i: 0 };
        let e = p.sum()?;
        if p.i < tokens.len() {
            return Err(format!(
                "unexpected {} after a complete expression",
                tokens[p.i]
            ));
        }
        Ok(e)
    }

    /// The single path this expression is, if it is one.
    pub fn as_path(&self) -> Option<&str> {
        match self {
            Expr::Path(p) => Some(p),
            _ => None,
        }
    }

    /// Whether the number `c` appears in it.
    pub fn has_constant(&self, c: f64) -> bool {
        match self {
            Expr::Const(x) => *x == c,
            Expr::Path(_) => false,
            Expr::Op(a, _, b) => a.has_constant(c) || b.has_constant(c),
        }
    }

    /// Every path it reads.
    pub fn paths(&self) -> Vec<&str> {
        match self {
            Expr::Path(p) => vec![p],
            Expr::Const(_) => vec![],
            Expr::Op(a, _, b) => {
                let mut v = a.paths();
                v.extend(b.paths());
                v
            }
        }
    }

    /// Its value, looking each path up; `Ok(None)` when a path holds null or a division
    /// is by zero.
    pub fn eval(
        &self,
        lookup: &dyn Fn(&str) -> Result<Option<f64>, NotFound>,
    ) -> Result<Option<f64>, NotFound> {
        Ok(match self {
            Expr::Path(p) => lookup(p)?,
            Expr::Const(c) => Some(*c),
            Expr::Op(a, op, b) => {
                let (Some(x), Some(y)) = (a.eval(lookup)?, b.eval(lookup)?) else {
                    return Ok(None);
                };
                match op {
                    '+' => Some(x + y),
                    '-' => Some(x - y),
                    '*' => Some(x * y),
                    _ => (y != 0.0).then(|| x / y),
                }
            }
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
enum T {
    Operand(String, bool),
    Op(char),
    Open,
    Close,
}

impl std::fmt::Display for T {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            T::Operand(s, _) => write!(f, "`{s}`"),
            T::Op(c) => write!(f, "`{c}`"),
            T::Open => f.write_str("`(`"),
            T::Close => f.write_str("`)`"),
        }
    }
}

fn tokens(text: &str) -> Result<Vec<T>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut operand = String::new();
    let flush = |operand: &mut String, out: &mut Vec<T>| {
        let s = operand.trim();
        if !s.is_empty() {
            out.push(T::Operand(s.to_string(), false));
        }
        operand.clear();
    };
    while i < chars.len() {
        let c = chars[i];
        let before_space = i == 0 || chars[i - 1].is_whitespace();
        let after_space = i + 1 == chars.len() || chars[i + 1].is_whitespace();
        if c == '`' {
            flush(&mut operand, &mut out);
            let Some(len) = chars[i + 1..].iter().position(|&d| d == '`') else {
                return Err("a backtick is not closed".into());
            };
            out.push(T::Operand(chars[i + 1..i + 1 + len].iter().collect(), true));
            i += len + 2;
            continue;
        }
        if "+-*/".contains(c) && before_space && after_space {
            flush(&mut operand, &mut out);
            out.push(T::Op(c));
        } else if c == '(' && operand.trim().is_empty() {
            flush(&mut operand, &mut out);
            out.push(T::Open);
        } else if c == ')'
            && (i + 1 == chars.len() || chars[i + 1].is_whitespace() || chars[i + 1] == ')')
            && depth(&out) > 0
        {
            flush(&mut operand, &mut out);
            out.push(T::Close);
        } else {
            operand.push(c);
        }
        i += 1;
    }
    flush(&mut operand, &mut out);
    Ok(out)
}

/// Brackets opened and not yet closed.
fn depth(tokens: &[T]) -> usize {
    tokens.iter().fold(0usize, |d, t| match t {
        T::Open => d + 1,
        T::Close => d.saturating_sub(1),
        _ => d,
    })
}

struct Parser<'a> {
    t: &'a [T],
    i: usize,
}

impl Parser<'_> {
    fn sum(&mut self) -> Result<Expr, String> {
        let mut e = self.product()?;
        while let Some(T::Op(op @ ('+' | '-'))) = self.t.get(self.i) {
            self.i += 1;
            e = Expr::Op(Box::new(e), *op, Box::new(self.product()?));
        }
        Ok(e)
    }

    fn product(&mut self) -> Result<Expr, String> {
        let mut e = self.atom()?;
        while let Some(T::Op(op @ ('*' | '/'))) = self.t.get(self.i) {
            self.i += 1;
            e = Expr::Op(Box::new(e), *op, Box::new(self.atom()?));
        }
        Ok(e)
    }

    fn atom(&mut self) -> Result<Expr, String> {
        let t = self
            .t
            .get(self.i)
            .ok_or("it ends where a path or number should be")?;
        self.i += 1;
        match t {
            T::Operand(s, quoted) => Ok(match s.parse::<f64>() {
                Ok(c) if !quoted => Expr::Const(c),
                _ => Expr::Path(s.clone()),
            }),
            T::Open => {
                let e = self.sum()?;
                match self.t.get(self.i) {
                    Some(T::Close) => {
                        self.i += 1;
                        Ok(e)
                    }
                    _ => Err("a `(` is not closed".into()),
                }
            }
            other => Err(format!("{other} where a path or number should be")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> Option<f64> {
        let lookup = |p: &str| -> Result<Option<f64>, NotFound> {
            Ok(match p {
                "km/at/36/surv" => Some(0.566),
                "levels/T2N1-2/n" => Some(2.0),
                "levels/liver and lung/n" => Some(20.0),
                "q1" => Some(40.5),
                "q3" => Some(68.5),
                "a - b" => Some(7.0),
                "zero" => Some(0.0),
                _ => return Err(NotFound(format!("no `{p}`"))),
            })
        };
        Expr::parse(text).unwrap().eval(&lookup).unwrap()
    }

    #[test]
    fn a_path_alone_is_the_path() {
        assert_eq!(
            Expr::parse("levels/liver and lung/n").unwrap(),
            Expr::Path("levels/liver and lung/n".into())
        );
        assert_eq!(value("levels/T2N1-2/n"), Some(2.0));
    }

    #[test]
    fn what_papers_derive() {
        assert!((value("1 - km/at/36/surv").unwrap() - 0.434).abs() < 1e-12);
        assert_eq!(
            value("levels/T2N1-2/n + levels/liver and lung/n"),
            Some(22.0)
        );
        assert_eq!(value("q3 - q1"), Some(28.0));
        assert_eq!(value("(q3 - q1) / 2"), Some(14.0));
        assert_eq!(value("q1 + q3 / 2"), Some(40.5 + 34.25));
        assert_eq!(value("`a - b` * 2"), Some(14.0));
        assert_eq!(value("q1 / zero"), None);
    }

    #[test]
    fn broken_expressions_say_where() {
        assert!(Expr::parse("q1 +").unwrap_err().contains("ends"));
        assert!(Expr::parse("(q1 + q3").unwrap_err().contains("not closed"));
        assert!(Expr::parse("").is_err());
    }
}
