//! Cloud App Security alert filters: parsing and validating the `filters` object and matching alerts.

use chrono::DateTime;
use serde_json::Value;

/// One operator applied to one field.
#[derive(Debug, Clone)]
pub(crate) struct Cond {
    field: String,
    op: String,
    value: Value,
}

/// The operators each supported alert filter accepts.
fn ops_for(field: &str) -> Option<&'static [&'static str]> {
    const EQ: &[&str] = &["eq", "neq"];
    const TIME: &[&str] = &["gte", "lte", "gt", "lt", "range", "gte_ndays", "lte_ndays"];
    match field {
        "severity" | "resolutionStatus" | "risk" | "id" | "entity.policy" | "entity.entity"
        | "entity.service" | "entity.instance" | "entity.ip" | "entity.file" => Some(EQ),
        "alertOpen" | "read" => Some(&["eq"]),
        "date" | "resolutionDate" => Some(TIME),
        _ => None,
    }
}

fn list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    }
}

fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Checks one operand; `Err` carries the value to name in the validation error.
fn check_value(field: &str, op: &str, v: &Value) -> Result<(), String> {
    let bad = || Err(shown(v));
    match (field, op) {
        ("severity", _) => list(v).iter().try_for_each(|x| match x.as_u64() {
            Some(0..=3) => Ok(()),
            _ => Err(shown(x)),
        }),
        ("resolutionStatus", _) => list(v).iter().try_for_each(|x| match x.as_u64() {
            Some(0..=5) => Ok(()),
            _ => Err(shown(x)),
        }),
        ("alertOpen" | "read", _) => {
            if v.is_boolean() {
                Ok(())
            } else {
                bad()
            }
        }
        ("id", _) => list(v).iter().try_for_each(|x| match x.as_str() {
            Some(s) if s.len() == 24 && s.chars().all(|c| c.is_ascii_hexdigit()) => Ok(()),
            _ => Err(shown(x)),
        }),
        ("risk" | "entity.service" | "entity.instance", _) => list(v)
            .iter()
            .try_for_each(|x| if x.is_i64() { Ok(()) } else { Err(shown(x)) }),
        ("entity.policy" | "entity.ip" | "entity.file", _) => list(v)
            .iter()
            .try_for_each(|x| if x.is_string() { Ok(()) } else { Err(shown(x)) }),
        ("entity.entity", _) => list(v).iter().try_for_each(|x| match x {
            Value::String(_) => Ok(()),
            Value::Object(o) if o.contains_key("id") => Ok(()),
            other => Err(shown(other)),
        }),
        (_, "range") => list(v)
            .iter()
            .try_for_each(|x| match (x.get("start"), x.get("end")) {
                (Some(s), Some(e)) if s.is_i64() && e.is_i64() => Ok(()),
                _ => Err(shown(x)),
            }),
        _ => {
            if v.is_i64() {
                Ok(())
            } else {
                bad()
            }
        }
    }
}

/// Parses a `filters` object; `Err` carries the offending filter name or value.
pub(crate) fn parse(filters: Option<&Value>) -> Result<Vec<Cond>, String> {
    let Some(filters) = filters else {
        return Ok(Vec::new());
    };
    let Some(obj) = filters.as_object() else {
        return Err(shown(filters));
    };
    let mut out = Vec::new();
    for (field, ops) in obj {
        let allowed = ops_for(field).ok_or_else(|| field.clone())?;
        let ops = ops.as_object().ok_or_else(|| shown(ops))?;
        for (op, value) in ops {
            if !allowed.contains(&op.as_str()) {
                return Err(op.clone());
            }
            check_value(field, op, value)?;
            out.push(Cond {
                field: field.clone(),
                op: op.clone(),
                value: value.clone(),
            });
        }
    }
    Ok(out)
}

/// The ids named by an `id` eq filter (for `alertsNotFound`).
pub(crate) fn named_ids(conds: &[Cond]) -> Vec<String> {
    conds
        .iter()
        .filter(|c| c.field == "id" && c.op == "eq")
        .flat_map(|c| {
            list(&c.value)
                .into_iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn entities_of<'a>(alert: &'a Value, kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    alert["entities"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(move |e| kind.is_empty() || e["type"] == kind)
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.eq_ignore_ascii_case(y),
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(x), Value::Number(y)) | (Value::Number(y), Value::String(x)) => {
            *x == y.to_string()
        }
        _ => false,
    }
}

fn entity_matches(alert: &Value, want: &Value) -> bool {
    let (id, saas, inst) = match want {
        Value::Object(o) => (
            o.get("id").cloned().unwrap_or(Value::Null),
            o.get("saas"),
            o.get("inst"),
        ),
        other => (other.clone(), None, None),
    };
    entities_of(alert, "").any(|e| {
        (same(&e["id"], &id) || same(&e["pa"], &id))
            && saas.is_none_or(|s| e.get("saas").is_none_or(|x| same(x, s)))
            && inst.is_none_or(|i| e.get("inst").is_none_or(|x| same(x, i)))
    })
}

fn candidates(alert: &Value, field: &str) -> Vec<Value> {
    match field {
        "severity" => vec![alert["severityValue"].clone()],
        "resolutionStatus" => vec![alert["resolutionStatusValue"].clone()],
        "risk" => vec![alert["threatScore"].clone()],
        "id" => vec![alert["_id"].clone()],
        "entity.policy" => vec![alert["policy"]["id"].clone()],
        "entity.service" => entities_of(alert, "service")
            .map(|e| e["id"].clone())
            .collect(),
        "entity.ip" => entities_of(alert, "ip").map(|e| e["id"].clone()).collect(),
        "entity.file" => entities_of(alert, "file")
            .map(|e| e["id"].clone())
            .collect(),
        "entity.instance" => entities_of(alert, "")
            .filter_map(|e| e.get("inst").cloned())
            .collect(),
        _ => Vec::new(),
    }
}

fn time_of(alert: &Value, field: &str) -> Option<i64> {
    if field == "date" {
        return alert["timestamp"].as_i64();
    }
    alert["resolveTime"]
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.timestamp_millis())
}

fn cond_matches(c: &Cond, alert: &Value, now_ms: i64) -> bool {
    match c.field.as_str() {
        "alertOpen" => (alert["resolutionStatusValue"] == 0) == c.value.as_bool().unwrap_or(true),
        "read" => (alert["statusValue"] != 0) == c.value.as_bool().unwrap_or(true),
        "date" | "resolutionDate" => {
            let Some(t) = time_of(alert, &c.field) else {
                return false;
            };
            let n = c.value.as_i64().unwrap_or(0);
            match c.op.as_str() {
                "gte" => t >= n,
                "lte" => t <= n,
                "gt" => t > n,
                "lt" => t < n,
                "gte_ndays" => t >= now_ms - n * 86_400_000,
                "lte_ndays" => t <= now_ms - n * 86_400_000,
                _ => list(&c.value).iter().any(|r| {
                    t >= r["start"].as_i64().unwrap_or(i64::MAX)
                        && t <= r["end"].as_i64().unwrap_or(i64::MIN)
                }),
            }
        }
        "entity.entity" => {
            let any = list(&c.value).iter().any(|w| entity_matches(alert, w));
            any == (c.op == "eq")
        }
        field => {
            let have = candidates(alert, field);
            let any = list(&c.value)
                .iter()
                .any(|w| have.iter().any(|h| same(h, w)));
            any == (c.op == "eq")
        }
    }
}

/// Whether an alert passes every condition (filters are ANDed; `eq` on a list means any of).
pub(crate) fn matches(conds: &[Cond], alert: &Value, now_ms: i64) -> bool {
    conds.iter().all(|c| cond_matches(c, alert, now_ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn alert() -> Value {
        json!({"_id": "66a1f0c2e4b0a1b2c3d4e5f6", "timestamp": 1000, "severityValue": 2,
               "resolutionStatusValue": 0, "statusValue": 0, "policy": {"id": "p1"},
               "entities": [{"type": "account", "id": "g1", "pa": "alice@contoso.com", "saas": 11161, "inst": 0},
                            {"type": "user", "id": "alice@contoso.com"}, {"type": "service", "id": 11161}]})
    }

    fn ok(f: Value) -> bool {
        matches(&parse(Some(&f)).unwrap(), &alert(), 0)
    }

    #[test]
    fn filters_match() {
        assert!(ok(
            json!({"severity": {"eq": [1, 2]}, "resolutionStatus": {"eq": [0]}})
        ));
        assert!(!ok(json!({"severity": {"neq": [2]}})));
        assert!(ok(
            json!({"date": {"gte": 1000, "lte": 1000}, "alertOpen": {"eq": true}})
        ));
        assert!(ok(json!({"date": {"range": [{"start": 0, "end": 2000}]}})));
        assert!(ok(
            json!({"entity.policy": {"eq": ["p1"]}, "read": {"eq": false}})
        ));
        assert!(ok(
            json!({"entity.entity": {"eq": [{"id": "alice@contoso.com", "saas": 11161, "inst": 0}]}})
        ));
        assert!(ok(json!({"entity.service": {"eq": [11161]}})));
        assert!(ok(json!({"id": {"eq": ["66a1f0c2e4b0a1b2c3d4e5f6"]}})));
        assert!(!ok(json!({"id": {"neq": ["66a1f0c2e4b0a1b2c3d4e5f6"]}})));
    }

    #[test]
    fn bad_filters_name_the_culprit() {
        assert_eq!(
            parse(Some(&json!({"colour": {"eq": [1]}}))).unwrap_err(),
            "colour"
        );
        assert_eq!(
            parse(Some(&json!({"severity": {"eq": [9]}}))).unwrap_err(),
            "9"
        );
        assert_eq!(
            parse(Some(&json!({"id": {"eq": ["nope"]}}))).unwrap_err(),
            "nope"
        );
        assert_eq!(
            parse(Some(&json!({"date": {"like": 1}}))).unwrap_err(),
            "like"
        );
    }
}
