//! Calculator formulas: `(leads * rate / 100) ^ 2`, `max(0, round(savings, 2))`.
//!
//! A formula is parsed once, when the config is checked, into a small tree; every problem
//! (syntax, unknown variable, literal division by zero, wrong number of arguments) is an
//! error with its character position, so `leadmagnet validate` can say where. Evaluating
//! a checked formula cannot fail: a division by zero from the visitor's inputs, or any
//! other non-finite result, is `None` ("no result yet"), never a panic.
//!
//! Grammar (precedence low → high; `^` is right-associative and binds tighter than a
//! leading minus, as in mathematics: `-2^2 = -4`):
//! ```text
//! expr    = term { ("+" | "-") term }
//! term    = unary { ("*" | "/") unary }
//! unary   = "-" unary | power
//! power   = atom [ "^" unary ]
//! atom    = number | name | name "(" expr { "," expr } ")" | "(" expr ")"
//! ```

/// A parsed formula.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Number(f64),
    Var(String),
    Neg(Box<Expr>),
    Bin(Op, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Min,
    Max,
    /// `round(x)` to a whole number, `round(x, digits)` to that many decimals.
    Round,
}

/// A problem in a formula: the character position (0-based) and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormulaError {
    pub position: usize,
    pub message: String,
}

/// Parses `text`; every name must be one of `variables`.
pub fn parse(text: &str, variables: &[&str]) -> Result<Expr, FormulaError> {
    let mut p = Parser {
        chars: text.chars().collect(),
        at: 0,
        variables,
    };
    let expr = p.expr()?;
    p.skip_space();
    if p.at < p.chars.len() {
        return Err(p.error(|| {
            format!(
                "unexpected \"{}\": an operator (+ - * / ^) or the end was expected",
                p.chars[p.at]
            )
        }));
    }
    Ok(expr)
}

struct Parser<'v> {
    chars: Vec<char>,
    at: usize,
    variables: &'v [&'v str],
}

/// A formula problem at `position`; its text is only built with the core's `messages`
/// feature (the widget only needs to know that a formula has no value).
fn fail(position: usize, message: impl FnOnce() -> String) -> FormulaError {
    #[cfg(feature = "messages")]
    let message = message();
    #[cfg(not(feature = "messages"))]
    let message = {
        let _ = message;
        String::new()
    };
    FormulaError { position, message }
}

impl Parser<'_> {
    fn error(&self, message: impl FnOnce() -> String) -> FormulaError {
        fail(self.at, message)
    }

    fn skip_space(&mut self) {
        while self.chars.get(self.at).is_some_and(|c| c.is_whitespace()) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_space();
        self.chars.get(self.at).copied()
    }

    fn expr(&mut self) -> Result<Expr, FormulaError> {
        let mut left = self.term()?;
        while let Some(op @ ('+' | '-')) = self.peek() {
            self.at += 1;
            let right = self.term()?;
            let op = if op == '+' { Op::Add } else { Op::Sub };
            left = Expr::Bin(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn term(&mut self) -> Result<Expr, FormulaError> {
        let mut left = self.unary()?;
        while let Some(op @ ('*' | '/')) = self.peek() {
            self.at += 1;
            let divisor_at = self.at;
            let right = self.unary()?;
            if op == '/' && constant(&right) == Some(0.0) {
                return Err(fail(divisor_at, || {
                    "division by zero: the divisor is always 0".into()
                }));
            }
            let op = if op == '*' { Op::Mul } else { Op::Div };
            left = Expr::Bin(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, FormulaError> {
        if self.peek() == Some('-') {
            self.at += 1;
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        let base = self.atom()?;
        if self.peek() == Some('^') {
            self.at += 1;
            let exponent = self.unary()?;
            return Ok(Expr::Bin(Op::Pow, Box::new(base), Box::new(exponent)));
        }
        Ok(base)
    }

    fn atom(&mut self) -> Result<Expr, FormulaError> {
        match self.peek() {
            None => Err(self.error(|| {
                "the formula ends too early: a number, an input id or \"(\" was expected".into()
            })),
            Some('(') => {
                self.at += 1;
                let inner = self.expr()?;
                if self.peek() != Some(')') {
                    return Err(self.error(|| "\")\" expected to close the parenthesis".into()));
                }
                self.at += 1;
                Ok(inner)
            }
            Some(c) if c.is_ascii_digit() || c == '.' => {
                let start = self.at;
                while self
                    .chars
                    .get(self.at)
                    .is_some_and(|c| c.is_ascii_digit() || *c == '.')
                {
                    self.at += 1;
                }
                let text: String = self.chars[start..self.at].iter().collect();
                crate::json::parse_decimal(&text)
                    .map(Expr::Number)
                    .ok_or_else(|| {
                        fail(start, || {
                            format!("\"{text}\" is not a number such as 12 or 0.5")
                        })
                    })
            }
            Some(c) if c.is_ascii_lowercase() || c == '_' => {
                let start = self.at;
                while self
                    .chars
                    .get(self.at)
                    .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                {
                    self.at += 1;
                }
                let name: String = self.chars[start..self.at].iter().collect();
                if self.peek() == Some('(') {
                    return self.call(&name, start);
                }
                if !self.variables.contains(&name.as_str()) {
                    let variables = self.variables;
                    return Err(fail(start, || {
                        let hint = crate::json::did_you_mean(&name, variables.iter().copied())
                            .map_or(String::new(), |v| format!(" (did you mean \"{v}\"?)"));
                        let known = if variables.is_empty() {
                            "the calculator has no number inputs".to_owned()
                        } else {
                            format!("inputs are {}", variables.join(", "))
                        };
                        format!("unknown variable \"{name}\"{hint}; {known}")
                    }));
                }
                Ok(Expr::Var(name))
            }
            Some(c) => Err(self.error(|| {
                format!("unexpected \"{c}\": a number, an input id or \"(\" was expected")
            })),
        }
    }

    fn call(&mut self, name: &str, start: usize) -> Result<Expr, FormulaError> {
        let func = match name {
            "min" => Func::Min,
            "max" => Func::Max,
            "round" => Func::Round,
            _ => {
                return Err(fail(start, || {
                    format!("unknown function \"{name}\"; use min, max or round")
                }))
            }
        };
        self.at += 1; // "("
        let mut args = vec![self.expr()?];
        while self.peek() == Some(',') {
            self.at += 1;
            args.push(self.expr()?);
        }
        if self.peek() != Some(')') {
            return Err(self.error(|| format!("\")\" or \",\" expected in {name}(…)")));
        }
        self.at += 1;
        let arity_ok = match func {
            Func::Min | Func::Max => args.len() >= 2,
            Func::Round => args.len() <= 2,
        };
        if !arity_ok {
            return Err(fail(start, || match func {
                Func::Round => {
                    "round takes a value and optionally the decimals: round(x) or round(x, 2)"
                        .into()
                }
                _ => format!("{name} needs at least two values, e.g. {name}(a, b)"),
            }));
        }
        Ok(Expr::Call(func, args))
    }
}

/// The value of an expression without variables, if it has none.
fn constant(e: &Expr) -> Option<f64> {
    eval(e, &|_| None)
}

/// Evaluates `expr` with `var` giving each input's value; `None` while an input is empty
/// or the result is not a finite number (e.g. a division by an input that is 0).
pub fn eval(expr: &Expr, var: &dyn Fn(&str) -> Option<f64>) -> Option<f64> {
    let n = match expr {
        Expr::Number(n) => *n,
        Expr::Var(name) => var(name)?,
        Expr::Neg(inner) => -eval(inner, var)?,
        Expr::Bin(op, a, b) => {
            let (a, b) = (eval(a, var)?, eval(b, var)?);
            match op {
                Op::Add => a + b,
                Op::Sub => a - b,
                Op::Mul => a * b,
                Op::Div => a / b,
                Op::Pow => crate::math::pow(a, b),
            }
        }
        Expr::Call(func, args) => {
            let mut values = Vec::with_capacity(args.len());
            for a in args {
                values.push(eval(a, var)?);
            }
            match func {
                Func::Min => values.iter().copied().fold(f64::INFINITY, f64::min),
                Func::Max => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                Func::Round => {
                    let digits = values.get(1).copied().unwrap_or(0.0);
                    let scale = crate::math::pow(10.0, libm::round(digits));
                    libm::round(values[0] * scale) / scale
                }
            }
        }
    };
    n.is_finite().then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, vars: &[(&str, f64)]) -> Option<f64> {
        let names: Vec<&str> = vars.iter().map(|(n, _)| *n).collect();
        let expr = parse(text, &names).expect("parses");
        eval(&expr, &|name| {
            vars.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
        })
    }

    #[test]
    fn precedence_associativity_and_functions() {
        assert_eq!(run("1 + 2 * 3", &[]), Some(7.0));
        assert_eq!(run("(1 + 2) * 3", &[]), Some(9.0));
        assert_eq!(run("2 ^ 3 ^ 2", &[]), Some(512.0));
        assert_eq!(run("-2 ^ 2", &[]), Some(-4.0));
        assert_eq!(run("10 - 4 - 3", &[]), Some(3.0));
        assert_eq!(run("24 / 4 / 2", &[]), Some(3.0));
        assert_eq!(run("min(3, a, 2) + max(a, 10)", &[("a", 5.0)]), Some(12.0));
        assert_eq!(run("round(2.345, 2)", &[]), Some(2.35));
        assert_eq!(run("round(a)", &[("a", 2.5)]), Some(3.0));
        assert_eq!(
            run(
                "leads * (rate_new - rate_old) / 100 * deal",
                &[
                    ("leads", 1000.0),
                    ("rate_new", 3.0),
                    ("rate_old", 2.0),
                    ("deal", 5000.0)
                ]
            ),
            Some(50_000.0)
        );
    }

    #[test]
    fn runtime_division_by_zero_is_no_result() {
        assert_eq!(run("10 / a", &[("a", 0.0)]), None);
        assert_eq!(run("10 / (a - a)", &[("a", 3.0)]), None);
    }

    #[test]
    fn errors_name_their_position() {
        let err = |t: &str| parse(t, &["leads", "rate"]).expect_err(t);
        let e = err("leads * rte");
        assert_eq!(e.position, 8);
        assert!(
            e.message.contains("unknown variable \"rte\""),
            "{}",
            e.message
        );
        assert!(e.message.contains("did you mean \"rate\""), "{}", e.message);
        let e = err("leads / (2 - 2)");
        assert_eq!(e.position, 7);
        assert!(e.message.contains("division by zero"));
        let e = err("leads * (rate + 1");
        assert_eq!(e.position, 17);
        assert!(e.message.contains("\")\""));
        assert_eq!(err("leads +").position, 7);
        assert_eq!(err("leads ** 2").position, 7);
        assert_eq!(err("leads 2").position, 6);
        assert!(err("sqrt(leads)").message.contains("unknown function"));
        assert!(err("max(leads)").message.contains("at least two"));
        assert!(err("1..2").message.contains("not a number"));
    }
}
