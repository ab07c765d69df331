//! Following OData `@odata.nextLink` pages (Defender, Graph) without sending the token to another host.

use reqwest::Method;
use serde::de::DeserializeOwned;

use super::error::{ApiError, clean_text};
use super::http::{Endpoint, Request};
use super::models::ODataPage;

/// Most pages followed in one listing (a guard against a service that links in circles).
const MAX_PAGES: usize = 1000;

/// Fetches `first` and every page linked from it, concatenating `value`s.
pub(crate) async fn collect<T: DeserializeOwned>(
    endpoint: &Endpoint,
    first: Request,
) -> Result<Vec<T>, ApiError> {
    collect_mapped(endpoint, first, Some).await
}

/// [`collect`], each item turned into what the caller keeps (or dropped, `None`) as its page arrives: only
/// one page of the service's items is in memory at a time, however many pages there are.
pub(crate) async fn collect_mapped<T: DeserializeOwned, U>(
    endpoint: &Endpoint,
    first: Request,
    mut keep: impl FnMut(T) -> Option<U>,
) -> Result<Vec<U>, ApiError> {
    let call = first.call;
    let mut items = Vec::new();
    let mut request = first;
    for _ in 0..MAX_PAGES {
        let page: ODataPage<T> = endpoint.send(&request).await?.json()?;
        items.extend(page.value.into_iter().filter_map(&mut keep));
        let Some(next) = page.next_link else {
            return Ok(items);
        };
        if !same_origin(endpoint.base(), &next) {
            return Err(ApiError::Decode {
                call,
                reason:
                    "the next-page link points to another host; refusing to send the token there"
                        .into(),
                snippet: clean_text(&next, 200),
            });
        }
        let headers = std::mem::take(&mut request.headers);
        request = Request::new(call, Method::GET, next).cost(request.cost);
        request.headers = headers;
    }
    Err(ApiError::Decode {
        call,
        reason: format!("more than {MAX_PAGES} pages; narrow the query"),
        snippet: String::new(),
    })
}

fn same_origin(base: &str, link: &str) -> bool {
    match (url::Url::parse(base), url::Url::parse(link)) {
        (Ok(base), Ok(link)) => base.origin() == link.origin(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::same_origin;

    #[test]
    fn next_links_must_stay_on_the_service_host() {
        assert!(same_origin(
            "https://graph.microsoft.com",
            "https://graph.microsoft.com/v1.0/x?$skiptoken=1"
        ));
        assert!(same_origin(
            "http://127.0.0.1:4000/mde",
            "http://127.0.0.1:4000/mde/api/machines?$skip=3"
        ));
        assert!(!same_origin(
            "https://graph.microsoft.com",
            "https://evil.example/v1.0/x"
        ));
        assert!(!same_origin(
            "http://127.0.0.1:4000",
            "http://127.0.0.1:4001/x"
        ));
    }
}
