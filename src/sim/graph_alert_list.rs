//! Listing Graph security alerts: `$filter` (the documented filterable properties; the strict profile
//! takes only `eq`, or a range on a date, joined by `and`), `$top`, `$skip`, `$count` and the next link.

use super::graph_alert_json::as_seen;
use super::odata::{self, Expr, Op};
use super::wire::{Reply, Req, graph_error};
use axum::http::StatusCode;
use serde_json::{Value, json};

/// Properties the documentation lists as filterable (REFERENCE §5): all the strict profile takes.
pub(crate) const DOCUMENTED_FIELDS: &[&str] = &[
    "assignedTo",
    "classification",
    "determination",
    "createdDateTime",
    "lastUpdateDateTime",
    "severity",
    "serviceSource",
    "status",
];

/// The lenient profile also filters on these.
const EXTRA_FIELDS: &[&str] = &["detectorId", "providerAlertId", "title", "id", "incidentId"];

/// Date properties, the only ones the strict profile compares with `ge`, `gt`, `le` or `lt`.
const DATE_FIELDS: &[&str] = &["createdDateTime", "lastUpdateDateTime"];

/// Items per page under the strict profile, whatever `$top` asks.
pub(crate) const STRICT_PAGE: usize = 2;

fn bad_request(message: &str) -> Reply {
    graph_error(StatusCode::BAD_REQUEST, "BadRequest", message)
}

/// Why the strict profile refuses `expr`, if it does.
fn strict_refusal(expr: &Expr, grouped: bool) -> Option<String> {
    if grouped {
        return Some("parentheses, functions and lambda expressions are not supported".to_string());
    }
    match expr {
        Expr::And(a, b) => strict_refusal(a, false).or_else(|| strict_refusal(b, false)),
        Expr::Cmp { op: Op::Eq, .. } => None,
        Expr::Cmp { field, op, .. } if op != &Op::Ne => {
            let is_date = DATE_FIELDS.iter().any(|d| d.eq_ignore_ascii_case(field));
            (!is_date).then(|| {
                format!(
                    "the operator '{}' is only supported on dates, not on '{field}'",
                    op.keyword()
                )
            })
        }
        Expr::Cmp { field, .. } => Some(format!("the operator 'ne' is not supported on '{field}'")),
        Expr::Or(..) => Some("the operator 'or' is not supported".to_string()),
        Expr::Not(_) => Some("the operator 'not' is not supported".to_string()),
        Expr::Func { name, .. } => Some(format!("the function '{name}' is not supported")),
        Expr::Any { field, .. } => Some(format!("'{field}/any' is not supported")),
    }
}

/// The parsed `$filter`, or the 400 Graph answers.
fn filter_of(req: &Req, strict: bool) -> Result<Option<Expr>, Reply> {
    let Some(text) = req.q("$filter") else {
        return Ok(None);
    };
    let fields: Vec<&str> = if strict {
        DOCUMENTED_FIELDS.to_vec()
    } else {
        DOCUMENTED_FIELDS
            .iter()
            .chain(EXTRA_FIELDS)
            .copied()
            .collect()
    };
    let expr = odata::parse(text, &fields)
        .map_err(|e| bad_request(&format!("Invalid filter clause: {e}")))?;
    if strict && let Some(why) = strict_refusal(&expr, odata::grouped(text).unwrap_or(true)) {
        return Err(bad_request(&format!("Invalid filter clause: {why}")));
    }
    Ok(Some(expr))
}

fn number(req: &Req, name: &str, default: usize) -> Result<usize, Reply> {
    match req.q(name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| bad_request(&format!("Invalid value '{v}' for query option {name}"))),
    }
}

/// One page of `alerts`, in the order they were raised, as the caller sees them.
pub(crate) fn page(
    req: &Req,
    alerts: &[Value],
    strict: bool,
    largest: usize,
    include_unknown: bool,
) -> Reply {
    let filter = match filter_of(req, strict) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let (top, skip) = match (number(req, "$top", largest), number(req, "$skip", 0)) {
        (Ok(t), Ok(s)) => (t, s),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    if top == 0 {
        return bad_request("Invalid value '0' for query option $top");
    }
    let size = if strict {
        top.min(STRICT_PAGE)
    } else {
        top.min(largest)
    };
    let hits: Vec<&Value> = alerts
        .iter()
        .filter(|a| filter.as_ref().is_none_or(|f| odata::eval(f, a)))
        .collect();
    let items: Vec<Value> = hits
        .iter()
        .skip(skip)
        .take(size)
        .map(|a| as_seen(a, include_unknown))
        .collect();
    let mut out = json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#security/alerts_v2",
        "value": items,
    });
    if req
        .q("$count")
        .is_some_and(|c| c.eq_ignore_ascii_case("true"))
    {
        out["@odata.count"] = json!(hits.len());
    }
    if skip + size < hits.len() {
        let enc = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
        let filter = req
            .q("$filter")
            .map(|f| format!("$filter={}&", enc(f)))
            .unwrap_or_default();
        out["@odata.nextLink"] = json!(format!(
            "{}{}?{filter}$top={top}&$skip={}",
            req.base,
            req.path,
            skip + size
        ));
    }
    Reply::ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(text: &str) -> Option<String> {
        let expr = odata::parse(text, DOCUMENTED_FIELDS).expect("parses");
        strict_refusal(&expr, odata::grouped(text).expect("lexes"))
    }

    #[test]
    fn strict_takes_eq_and_date_ranges_joined_by_and() {
        assert_eq!(
            why(
                "serviceSource eq 'microsoftDefenderForCloudApps' and lastUpdateDateTime ge 2026-11-29T08:00:00Z"
            ),
            None
        );
        assert_eq!(why("status eq 'new' and severity eq 'high'"), None);
    }

    #[test]
    fn strict_refuses_richer_forms() {
        for (text, reason) in [
            ("status eq 'new' or status eq 'inProgress'", "'or'"),
            ("severity ge 'low'", "only supported on dates"),
            ("status ne 'new'", "'ne'"),
            ("(status eq 'new')", "parentheses"),
        ] {
            let got = why(text).unwrap_or_default();
            assert!(got.contains(reason), "{text}: {got}");
        }
    }
}
