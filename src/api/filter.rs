//! `AlertQuery`: a typed builder for Cloud App Security alert filters, sort and page size.

use serde_json::{Map, Value, json};

use super::models::cas::{ResolutionStatus, Severity};

/// Most alerts the service returns per call to a token-authenticated client.
pub const MAX_PAGE: u32 = 100;

/// Which order alerts come back in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    DateAsc,
    DateDesc,
    SeverityDesc,
}

/// A list-alerts query: filters (ANDed), sort, page size.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertQuery {
    filters: Map<String, Value>,
    sort: Option<Sort>,
    limit: u32,
}

impl Default for AlertQuery {
    fn default() -> AlertQuery {
        AlertQuery::new()
    }
}

impl AlertQuery {
    /// All alerts, the service's order, pages of 100.
    pub fn new() -> AlertQuery {
        AlertQuery {
            filters: Map::new(),
            sort: None,
            limit: MAX_PAGE,
        }
    }

    /// Only open alerts (`resolutionStatus eq [0]`).
    pub fn open_only(self) -> AlertQuery {
        self.resolution(&[ResolutionStatus::Open])
    }

    /// Alerts in any of these resolution states.
    pub fn resolution(self, states: &[ResolutionStatus]) -> AlertQuery {
        let values: Vec<i64> = states.iter().map(|s| s.value()).collect();
        self.with("resolutionStatus", json!({ "eq": values }))
    }

    /// Alerts of any of these severities.
    pub fn severities(self, severities: &[Severity]) -> AlertQuery {
        let values: Vec<i64> = severities.iter().map(|s| s.value()).collect();
        self.with("severity", json!({ "eq": values }))
    }

    /// Alerts raised at or after this time (epoch ms).
    pub fn since_ms(self, ms: i64) -> AlertQuery {
        self.date_bound("gte", ms)
    }

    /// Alerts raised at or before this time (epoch ms).
    pub fn until_ms(self, ms: i64) -> AlertQuery {
        self.date_bound("lte", ms)
    }

    /// Alerts raised by any of these policies.
    pub fn policies(self, policy_ids: &[String]) -> AlertQuery {
        self.with("entity.policy", json!({ "eq": policy_ids }))
    }

    /// Alerts with any of these ids.
    pub fn ids(self, ids: &[String]) -> AlertQuery {
        self.with("id", json!({ "eq": ids }))
    }

    /// Only unread alerts.
    pub fn unread_only(self) -> AlertQuery {
        self.with("read", json!({ "eq": false }))
    }

    /// Oldest first.
    pub fn sort_by_date_asc(mut self) -> AlertQuery {
        self.sort = Some(Sort::DateAsc);
        self
    }

    /// Newest first.
    pub fn sort_by_date_desc(mut self) -> AlertQuery {
        self.sort = Some(Sort::DateDesc);
        self
    }

    /// Most severe first.
    pub fn sort_by_severity_desc(mut self) -> AlertQuery {
        self.sort = Some(Sort::SeverityDesc);
        self
    }

    /// Page size, clamped to 1..=100.
    pub fn limit(mut self, limit: u32) -> AlertQuery {
        self.limit = limit.clamp(1, MAX_PAGE);
        self
    }

    /// The page size in use.
    pub fn page_size(&self) -> u32 {
        self.limit
    }

    /// The `filters` object alone.
    pub fn filters(&self) -> Value {
        Value::Object(self.filters.clone())
    }

    /// The request body of one page.
    pub fn body(&self, skip: u32) -> Value {
        let mut body = json!({ "filters": self.filters(), "skip": skip, "limit": self.limit });
        if let Some(sort) = self.sort {
            let (field, direction) = match sort {
                Sort::DateAsc => ("date", "asc"),
                Sort::DateDesc => ("date", "desc"),
                Sort::SeverityDesc => ("severity", "desc"),
            };
            body["sortField"] = json!(field);
            body["sortDirection"] = json!(direction);
        }
        body
    }

    fn with(mut self, field: &str, condition: Value) -> AlertQuery {
        self.filters.insert(field.to_string(), condition);
        self
    }

    fn date_bound(mut self, op: &str, ms: i64) -> AlertQuery {
        let entry = self
            .filters
            .entry("date")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(bounds) = entry {
            bounds.insert(op.to_string(), json!(ms));
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_reference_intake_query() {
        let query = AlertQuery::new()
            .open_only()
            .since_ms(1_716_000_000_000)
            .policies(&["p1".to_string()])
            .sort_by_date_asc()
            .limit(500);
        assert_eq!(
            query.body(200),
            json!({
                "filters": {
                    "resolutionStatus": {"eq": [0]},
                    "date": {"gte": 1_716_000_000_000_i64},
                    "entity.policy": {"eq": ["p1"]}
                },
                "skip": 200, "limit": 100, "sortField": "date", "sortDirection": "asc"
            })
        );
    }

    #[test]
    fn date_range_keeps_both_bounds() {
        let query = AlertQuery::new().since_ms(1).until_ms(2);
        assert_eq!(query.filters(), json!({"date": {"gte": 1, "lte": 2}}));
    }
}
