//! The strict profile: only the documented minimum of the API reference (single `eq` joined by `and`,
//! small pages, short-lived tokens).

use super::odata::{Expr, Op};

/// Items per page of `GET /api/machines` under the strict profile, whatever `$top` asks.
pub(crate) const MACHINES_PAGE: usize = 3;
/// Items per page of `GET /api/machineactions` and `GET /api/users/{id}/machines`.
pub(crate) const ACTIONS_PAGE: usize = 2;
/// Items per page of Graph device relationships.
pub(crate) const GRAPH_PAGE: usize = 1;
/// Most alerts in one Cloud App Security list answer, whatever `limit` asks.
pub(crate) const CAS_LIMIT: usize = 5;
/// Longest `expires_in` of an issued bearer token, in wall-clock seconds.
pub(crate) const TOKEN_LIFETIME_SECS: u64 = 120;

/// How one Defender list endpoint behaves under the strict profile.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ListRules {
    /// Items per page.
    pub page: usize,
    /// Properties `$filter` may name (a subset of the lenient profile's).
    pub fields: &'static [&'static str],
    /// The OData error code of a refused query (the service is seen to answer each of these).
    pub refusal_code: &'static str,
}

/// Why `expr` (parsed from `$filter`, which `grouped` says used parentheses, commas or lambdas) is more
/// than the documented minimum: `None` when it is only `prop eq value` comparisons joined by `and`.
pub(crate) fn refusal(expr: &Expr, grouped: bool) -> Option<String> {
    if grouped {
        return Some("parentheses, functions and lambda expressions are not supported".to_string());
    }
    match expr {
        Expr::And(a, b) => refusal(a, false).or_else(|| refusal(b, false)),
        Expr::Cmp { op: Op::Eq, .. } => None,
        Expr::Cmp { field, op, .. } => Some(format!(
            "the operator '{}' is not supported on '{field}'; use 'eq'",
            op.keyword()
        )),
        Expr::Or(..) => Some("the operator 'or' is not supported".to_string()),
        Expr::Not(_) => Some("the operator 'not' is not supported".to_string()),
        Expr::Func { name, .. } => Some(format!("the function '{name}' is not supported")),
        Expr::Any { field, .. } => Some(format!("'{field}/any' is not supported")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::odata;

    const F: &[&str] = &["aadDeviceId", "status", "machineId", "type", "lastSeen"];

    fn why(text: &str) -> Option<String> {
        let expr = odata::parse(text, F).expect("parses");
        refusal(&expr, odata::grouped(text).expect("lexes"))
    }

    #[test]
    fn single_eq_and_eq_joined_by_and_are_allowed() {
        assert_eq!(
            why("aadDeviceId eq '80fe8ff8-2624-418e-9591-41f0491218f9'"),
            None
        );
        assert_eq!(
            why("aadDeviceId eq 80fe8ff8-2624-418e-9591-41f0491218f9"),
            None
        );
        assert_eq!(
            why("machineId eq 'abc' and type eq 'RunAntiVirusScan' and status eq 'Pending'"),
            None
        );
    }

    #[test]
    fn every_richer_form_is_refused_with_its_reason() {
        let cases = [
            ("aadDeviceId eq 'a' or aadDeviceId eq 'b'", "'or'"),
            ("not status eq 'Pending'", "'not'"),
            ("status ne 'Pending'", "'ne'"),
            ("lastSeen gt 2024-01-01Z", "'gt'"),
            ("lastSeen ge 2024-01-01Z", "'ge'"),
            ("lastSeen lt 2024-01-01Z", "'lt'"),
            ("lastSeen le 2024-01-01Z", "'le'"),
            ("(status eq 'Pending')", "parentheses"),
            ("status eq 'a' and (type eq 'b')", "parentheses"),
            ("startswith(machineId,'ab')", "parentheses"),
            (
                "machineId eq 'x' and status eq 'a' or status eq 'b'",
                "'or'",
            ),
        ];
        for (text, reason) in cases {
            let got = why(text).unwrap_or_default();
            assert!(got.contains(reason), "{text}: {got:?}");
        }
    }

    #[test]
    fn parentheses_inside_a_quoted_value_are_not_grouping() {
        assert_eq!(why("machineId eq 'pc (old)'"), None);
    }
}
