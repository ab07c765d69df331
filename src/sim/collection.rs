//! Defender list answers: `$filter`, `$skip`, `$top`, `$count` and `@odata.nextLink`, per profile.

use super::mde::with_context;
use super::odata::{self, Expr};
use super::strict::{self, ListRules};
use super::wire::{Reply, Req, mde_error};
use std::borrow::Cow;

use axum::http::StatusCode;
use serde_json::{Value, json};

/// One Defender list endpoint: what it may filter on, what it is called, and its strict-profile rules.
pub(crate) struct Listing<'a> {
    /// Properties `$filter` may name under the lenient profile.
    fields: &'a [&'a str],
    /// The `@odata.context` collection name.
    what: &'a str,
    /// The strict profile's rules, when the simulator serves it.
    strict: Option<ListRules>,
}

impl<'a> Listing<'a> {
    /// Filters on `fields`, names the collection `what`, follows `strict` when the profile is on.
    pub(crate) fn new(fields: &'a [&'a str], what: &'a str, strict: Option<ListRules>) -> Self {
        Self {
            fields,
            what,
            strict,
        }
    }
}

fn invalid(code: &str, message: &str) -> Reply {
    mde_error(StatusCode::BAD_REQUEST, code, message)
}

/// The items `$filter` keeps, in answer order (judged on `filterable`, their filterable properties, among
/// the `candidates` the filter could accept), or the 400 the service answers to a query it does not take.
fn filtered<'v, T: 'v>(
    req: &Req,
    candidates: impl FnOnce(Option<&Expr>) -> Vec<&'v T>,
    filterable: impl Fn(&'v T) -> Cow<'v, Value>,
    listing: &Listing,
) -> Result<Vec<&'v T>, Reply> {
    let Some(text) = req.q("$filter") else {
        return Ok(candidates(None));
    };
    let (fields, code) = match listing.strict {
        Some(rules) => (rules.fields, rules.refusal_code),
        None => (listing.fields, "InvalidInput"),
    };
    let expr = odata::parse(text, fields)
        .map_err(|e| invalid(code, &format!("Invalid ODataQuery: {e}")))?;
    if listing.strict.is_some() {
        let grouped = odata::grouped(text).unwrap_or(true);
        if let Some(why) = strict::refusal(&expr, grouped) {
            return Err(invalid(
                code,
                &format!("The query specified in the URI is not valid: {why}"),
            ));
        }
    }
    let mut kept = candidates(Some(&expr));
    kept.retain(|i| odata::eval(&expr, &filterable(i)));
    Ok(kept)
}

/// A `$top`/`$skip` value, or the 400 for one that is not a number.
fn number(req: &Req, name: &str, default: usize) -> Result<usize, Reply> {
    match req.q(name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| invalid("InvalidInput", &format!("Invalid value '{v}' for {name}"))),
    }
}

/// Applies `$filter`, `$skip`, `$top` and `$count`, and adds `@odata.nextLink` when more remain. Under
/// the strict profile pages hold at most `rules.page` items whatever `$top` asks.
pub(crate) fn collection(req: &Req, items: Vec<&Value>, listing: &Listing) -> Reply {
    collection_of(req, |_| items, Cow::Borrowed, Value::clone, listing)
}

/// [`collection`] over items that are not JSON yet, and may be indexed: `candidates` gives, in answer
/// order, every item the parsed `$filter` could accept (all of them without one), `$filter` judges each
/// on `filterable` (a value with every property the listing may filter on, as `full` would answer it),
/// and only the page's items are answered in `full`, so a long list costs one small value per candidate
/// rather than its whole answer.
pub(crate) fn collection_of<'v, T: 'v>(
    req: &Req,
    candidates: impl FnOnce(Option<&Expr>) -> Vec<&'v T>,
    filterable: impl Fn(&'v T) -> Cow<'v, Value>,
    full: impl Fn(&'v T) -> Value,
    listing: &Listing,
) -> Reply {
    let filtered = match filtered(req, candidates, filterable, listing) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let (top, skip) = match (number(req, "$top", 10_000), number(req, "$skip", 0)) {
        (Ok(t), Ok(s)) => (t, s),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    if top > 10_000 {
        return invalid(
            "InvalidInput",
            "The limit of '10000' for Top query has been exceeded.",
        );
    }
    let page_size = listing.strict.map_or(top, |rules| top.min(rules.page));
    let total = filtered.len();
    let page: Vec<Value> = filtered
        .into_iter()
        .skip(skip)
        .take(page_size)
        .map(full)
        .collect();
    let mut out = json!({ "value": page });
    if req
        .q("$count")
        .is_some_and(|c| c.eq_ignore_ascii_case("true"))
    {
        out["@odata.count"] = json!(total);
    }
    if skip + page_size < total {
        let enc = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
        let filter = req
            .q("$filter")
            .map(|f| format!("$filter={}&", enc(f)))
            .unwrap_or_default();
        let link = format!(
            "{}{}?{filter}$top={top}&$skip={}",
            req.base,
            req.path,
            skip + page_size
        );
        out["@odata.nextLink"] = json!(link);
    }
    Reply::ok(with_context(out, listing.what))
}
