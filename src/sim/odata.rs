//! A small OData `$filter` parser and evaluator over JSON objects (eq, ne, gt, ge, lt, le, and, or, not,
//! startswith/endswith/contains, `field/any(t: t eq '…')`), with per-collection field allow-lists.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use std::cmp::Ordering;

/// A parsed filter expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Cmp {
        field: String,
        op: Op,
        lit: Lit,
        /// The literal as a date, read once when it looks like one.
        at: Option<DateTime<Utc>>,
    },
    Func {
        name: String,
        field: String,
        arg: String,
    },
    Any {
        field: String,
        var: String,
        body: Box<Expr>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    /// The operator as written in `$filter`.
    pub(crate) fn keyword(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Gt => "gt",
            Op::Ge => "ge",
            Op::Lt => "lt",
            Op::Le => "le",
        }
    }
}

/// A literal: quoted string, or a bare word (number, date, GUID, true/false/null).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lit {
    Str(String),
    Bare(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Open,
    Close,
    Comma,
    Colon,
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '(' => {
                out.push(Tok::Open);
                i += 1;
            }
            ')' => {
                out.push(Tok::Close);
                i += 1;
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            ':' => {
                out.push(Tok::Colon);
                i += 1;
            }
            '\'' => {
                let mut v = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("unterminated string literal".to_string()),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            v.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            v.push(*ch);
                            i += 1;
                        }
                    }
                }
                out.push(Tok::Str(v));
            }
            _ => {
                let start = i;
                while i < chars.len() && !" \t\n\r(),'".contains(chars[i]) {
                    // a colon ends a word only when it is the lambda separator (`t:`), not inside a time
                    if chars[i] == ':' && !chars.get(i + 1).is_some_and(char::is_ascii_digit) {
                        break;
                    }
                    i += 1;
                }
                out.push(Tok::Word(chars[start..i].iter().collect()));
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek_word(&self) -> Option<&str> {
        match self.toks.get(self.pos) {
            Some(Tok::Word(w)) => Some(w.as_str()),
            _ => None,
        }
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn expect(&mut self, want: &Tok) -> Result<(), String> {
        match self.next() {
            Some(t) if &t == want => Ok(()),
            other => Err(format!("expected {want:?}, found {other:?}")),
        }
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self
            .peek_word()
            .is_some_and(|w| w.eq_ignore_ascii_case("or"))
        {
            self.pos += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.unary()?;
        while self
            .peek_word()
            .is_some_and(|w| w.eq_ignore_ascii_case("and"))
        {
            self.pos += 1;
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self
            .peek_word()
            .is_some_and(|w| w.eq_ignore_ascii_case("not"))
        {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, String> {
        match self.next() {
            Some(Tok::Open) => {
                let e = self.or()?;
                self.expect(&Tok::Close)?;
                Ok(e)
            }
            Some(Tok::Word(w)) => {
                if let Some(field) = w.strip_suffix("/any") {
                    return self.any(field.to_string());
                }
                if matches!(self.toks.get(self.pos), Some(Tok::Open)) {
                    return self.func(w);
                }
                self.comparison(w)
            }
            other => Err(format!("unexpected {other:?}")),
        }
    }

    fn any(&mut self, field: String) -> Result<Expr, String> {
        self.expect(&Tok::Open)?;
        let var = match self.next() {
            Some(Tok::Word(v)) => v,
            other => Err(format!("expected a lambda variable, found {other:?}"))?,
        };
        self.expect(&Tok::Colon)?;
        let body = self.or()?;
        self.expect(&Tok::Close)?;
        Ok(Expr::Any {
            field,
            var,
            body: Box::new(body),
        })
    }

    fn func(&mut self, name: String) -> Result<Expr, String> {
        let name = name.to_ascii_lowercase();
        if !matches!(name.as_str(), "startswith" | "endswith" | "contains") {
            return Err(format!("unknown function {name}"));
        }
        self.expect(&Tok::Open)?;
        let field = match self.next() {
            Some(Tok::Word(f)) => f,
            other => Err(format!("expected a property name, found {other:?}"))?,
        };
        self.expect(&Tok::Comma)?;
        let arg = match self.next() {
            Some(Tok::Str(s)) => s,
            other => Err(format!("expected a string literal, found {other:?}"))?,
        };
        self.expect(&Tok::Close)?;
        Ok(Expr::Func { name, field, arg })
    }

    fn comparison(&mut self, field: String) -> Result<Expr, String> {
        let op = match self.next() {
            Some(Tok::Word(o)) => match o.to_ascii_lowercase().as_str() {
                "eq" => Op::Eq,
                "ne" => Op::Ne,
                "gt" => Op::Gt,
                "ge" => Op::Ge,
                "lt" => Op::Lt,
                "le" => Op::Le,
                _ => return Err(format!("unknown operator {o}")),
            },
            other => {
                return Err(format!(
                    "expected an operator after {field}, found {other:?}"
                ));
            }
        };
        let lit = match self.next() {
            Some(Tok::Str(s)) => Lit::Str(s),
            Some(Tok::Word(w)) => Lit::Bare(w),
            other => return Err(format!("expected a value after {field}, found {other:?}")),
        };
        let at = match &lit {
            Lit::Str(s) | Lit::Bare(s) => as_time(s),
        };
        Ok(Expr::Cmp { field, op, lit, at })
    }
}

/// Whether `$filter` text groups or calls anything: parentheses, commas or a lambda's colon outside
/// string literals.
pub(crate) fn grouped(text: &str) -> Result<bool, String> {
    Ok(lex(text)?
        .iter()
        .any(|t| matches!(t, Tok::Open | Tok::Close | Tok::Comma | Tok::Colon)))
}

/// Parses `$filter` text, allowing only `fields` as property names.
pub(crate) fn parse(text: &str, fields: &[&str]) -> Result<Expr, String> {
    let mut p = Parser {
        toks: lex(text)?,
        pos: 0,
    };
    let e = p.or()?;
    if p.pos < p.toks.len() {
        return Err(format!("unexpected {:?}", p.toks[p.pos]));
    }
    check_fields(&e, fields, None)?;
    Ok(e)
}

fn check_fields(e: &Expr, fields: &[&str], var: Option<&str>) -> Result<(), String> {
    let known = |f: &str| Some(f) == var || fields.iter().any(|k| k.eq_ignore_ascii_case(f));
    match e {
        Expr::And(a, b) | Expr::Or(a, b) => {
            check_fields(a, fields, var)?;
            check_fields(b, fields, var)
        }
        Expr::Not(a) => check_fields(a, fields, var),
        Expr::Cmp { field, .. } | Expr::Func { field, .. } if !known(field) => Err(format!(
            "Could not find a property named '{field}' on this type"
        )),
        Expr::Cmp { .. } | Expr::Func { .. } => Ok(()),
        Expr::Any {
            field,
            var: v,
            body,
        } => {
            if !known(field) {
                return Err(format!(
                    "Could not find a property named '{field}' on this type"
                ));
            }
            check_fields(body, fields, Some(v))
        }
    }
}

/// The texts `e` requires `key` to equal, one of which every item it accepts carries (an `eq` on `key`,
/// joined by `or` to more of them, or by `and` to anything); `None` when it requires no such thing, or
/// compares `key` with a date or `null`, which text equality would not decide.
pub(crate) fn required_values<'e>(e: &'e Expr, key: &str) -> Option<Vec<&'e str>> {
    match e {
        Expr::Cmp {
            field,
            op: Op::Eq,
            lit: Lit::Str(text) | Lit::Bare(text),
            at: None,
        } if field.eq_ignore_ascii_case(key) && text != "null" => Some(vec![text.as_str()]),
        Expr::And(a, b) => required_values(a, key).or_else(|| required_values(b, key)),
        Expr::Or(a, b) => {
            let mut values = required_values(a, key)?;
            values.extend(required_values(b, key)?);
            Some(values)
        }
        _ => None,
    }
}

fn lookup<'a>(obj: &'a Value, field: &str) -> &'a Value {
    obj.as_object()
        .and_then(|m| {
            m.get(field).or_else(|| {
                m.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(field))
                    .map(|(_, v)| v)
            })
        })
        .unwrap_or(&Value::Null)
}

fn as_time(s: &str) -> Option<DateTime<Utc>> {
    let dated = s.len() >= 10
        && s.as_bytes()[..4].iter().all(u8::is_ascii_digit)
        && s.as_bytes()[4] == b'-';
    if !dated {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let d = s.strip_suffix('Z').unwrap_or(s);
    NaiveDate::parse_from_str(d, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// How `v` compares with `lit`; `at` is the literal read as a date, if it is one.
fn compare(v: &Value, lit: &Lit, at: Option<DateTime<Utc>>) -> Option<Ordering> {
    let text = match lit {
        Lit::Str(s) | Lit::Bare(s) => s.as_str(),
    };
    match v {
        Value::Null => matches!(lit, Lit::Bare(b) if b == "null").then_some(Ordering::Equal),
        Value::Bool(b) => text.parse::<bool>().ok().map(|l| b.cmp(&l)),
        Value::Number(n) => {
            let l: f64 = text.parse().ok()?;
            n.as_f64()?.partial_cmp(&l)
        }
        Value::String(s) => {
            if let Some(b) = at
                && let Some(a) = as_time(s)
            {
                return Some(a.cmp(&b));
            }
            if s.is_ascii() && text.is_ascii() {
                return Some(
                    s.bytes()
                        .map(|b| b.to_ascii_lowercase())
                        .cmp(text.bytes().map(|b| b.to_ascii_lowercase())),
                );
            }
            Some(s.to_lowercase().cmp(&text.to_lowercase()))
        }
        _ => None,
    }
}

/// Whether `obj` satisfies the expression.
pub(crate) fn eval(e: &Expr, obj: &Value) -> bool {
    eval_in(e, obj, None)
}

fn eval_in(e: &Expr, obj: &Value, bound: Option<(&str, &Value)>) -> bool {
    let get = |field: &str| -> &Value {
        match bound {
            Some((var, v)) if var == field => v,
            _ => lookup(obj, field),
        }
    };
    match e {
        Expr::And(a, b) => eval_in(a, obj, bound) && eval_in(b, obj, bound),
        Expr::Or(a, b) => eval_in(a, obj, bound) || eval_in(b, obj, bound),
        Expr::Not(a) => !eval_in(a, obj, bound),
        Expr::Cmp { field, op, lit, at } => {
            let ord = compare(get(field), lit, *at);
            match op {
                Op::Eq => ord == Some(Ordering::Equal),
                Op::Ne => ord != Some(Ordering::Equal),
                Op::Gt => ord == Some(Ordering::Greater),
                Op::Ge => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
                Op::Lt => ord == Some(Ordering::Less),
                Op::Le => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
            }
        }
        Expr::Func { name, field, arg } => {
            let v = get(field);
            let Some(s) = v.as_str() else { return false };
            let (s, arg) = (s.to_lowercase(), arg.to_lowercase());
            match name.as_str() {
                "startswith" => s.starts_with(&arg),
                "endswith" => s.ends_with(&arg),
                _ => s.contains(&arg),
            }
        }
        Expr::Any { field, var, body } => get(field)
            .as_array()
            .is_some_and(|items| items.iter().any(|it| eval_in(body, obj, Some((var, it))))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const F: &[&str] = &[
        "aadDeviceId",
        "computerDnsName",
        "machineTags",
        "lastSeen",
        "healthStatus",
        "rbacGroupId",
    ];

    fn m() -> Value {
        json!({"aadDeviceId": "80fe8ff8-2624-418e-9591-41f0491218f9", "computerDnsName": "alice-lt.contoso.com",
               "machineTags": ["VIP", "Laptop"], "lastSeen": "2024-07-25T08:01:44.3398934Z",
               "healthStatus": "Active", "rbacGroupId": 140})
    }

    fn yes(f: &str) -> bool {
        eval(&parse(f, F).unwrap(), &m())
    }

    #[test]
    fn aad_device_id_quoted_or_not() {
        assert!(yes("aadDeviceId eq '80fe8ff8-2624-418e-9591-41f0491218f9'"));
        assert!(yes("aadDeviceId eq 80fe8ff8-2624-418e-9591-41f0491218f9"));
        assert!(!yes(
            "aadDeviceId eq 'a0fe8ff8-2624-418e-9591-41f0491218f9'"
        ));
    }

    #[test]
    fn boolean_operators_functions_and_lambdas() {
        assert!(yes(
            "startswith(computerDnsName,'alice') and healthStatus ne 'Inactive'"
        ));
        assert!(yes(
            "healthStatus eq 'Inactive' or machineTags/any(t: t eq 'VIP')"
        ));
        assert!(!yes("not (machineTags/any(t: t eq 'VIP'))"));
        assert!(yes("rbacGroupId eq 140"));
    }

    #[test]
    fn dates_compare_as_dates() {
        assert!(yes("lastSeen gt 2018-08-01Z"));
        assert!(yes("lastSeen lt 2024-07-25T09:00:00Z"));
        assert!(!yes("lastSeen ge 2024-07-26T00:00:00Z"));
    }

    #[test]
    fn unknown_fields_and_garbage_are_errors() {
        assert!(parse("nope eq 1", F).unwrap_err().contains("nope"));
        assert!(parse("aadDeviceId eq", F).is_err());
        assert!(parse("aadDeviceId eq 'x", F).is_err());
        assert!(parse("aadDeviceId like 'x'", F).is_err());
    }
}
