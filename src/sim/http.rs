//! The one HTTP entry point: decodes the request, routes it to a service, injects faults, counts it.

use super::faults::Injected;
use super::state::{Service, Shared, State};
use super::wire::{Reply, Req, cas_error, graph_error, mde_error, percent_decode, retry_after};
use super::{auth, cas, control, graph, graph_alerts, mde, migration};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State as AxState};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use std::sync::Arc;
use std::time::Duration;

/// A request routed to one service endpoint.
enum Routed {
    Cas(cas::Ep),
    Mde(mde::Ep),
    Graph(graph::Ep),
    GraphAlerts(graph_alerts::Ep),
    Login(auth::Ep),
}

fn route(service: Service, req: &Req) -> Option<(String, Routed)> {
    match service {
        Service::Cas => cas::route(req).map(|(l, e)| (l, Routed::Cas(e))),
        Service::Mde => mde::route(req).map(|(l, e)| (l, Routed::Mde(e))),
        Service::Graph => graph_alerts::route(req)
            .map(|(l, e)| (l, Routed::GraphAlerts(e)))
            .or_else(|| graph::route(req).map(|(l, e)| (l, Routed::Graph(e)))),
        Service::Login => auth::route(req).map(|(l, e)| (l, Routed::Login(e))),
    }
}

fn not_found(service: Service) -> Reply {
    let msg = "No such endpoint in the simulator";
    match service {
        Service::Cas => cas_error(StatusCode::NOT_FOUND, msg),
        Service::Graph => graph_error(StatusCode::NOT_FOUND, "Request_UnsupportedQuery", msg),
        Service::Login => super::wire::entra_error(
            StatusCode::NOT_FOUND,
            "invalid_request",
            900561,
            "The endpoint only accepts POST requests to /{tenant}/oauth2/v2.0/token or /{tenant}/oauth2/token.",
        ),
        Service::Mde => mde_error(StatusCode::NOT_FOUND, "NotFound", msg),
    }
}

fn server_error(service: Service) -> Reply {
    match service {
        Service::Cas => cas_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error"),
        Service::Graph => graph_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "serviceNotAvailable",
            "The service is temporarily unavailable.",
        ),
        Service::Login => super::wire::entra_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            50001,
            "The service is temporarily unavailable.",
        ),
        Service::Mde => mde_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "An internal error occurred; retry the request.",
        ),
    }
}

fn storm(st: &mut State, service: Service) -> Reply {
    let wall = st.fault_rng.random_range(1.0..4.0);
    let secs = retry_after(wall);
    let header = st.faults.retry_after(service.name(), wall);
    match service {
        Service::Cas => {
            st.cas_throttles += 1;
            let r = cas_error(StatusCode::TOO_MANY_REQUESTS, "Too many requests");
            if st.cas_throttles % 2 == 1 {
                r.header("retry-after", header)
            } else {
                r
            }
        }
        Service::Graph => graph_error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Too many requests.",
        )
        .header("retry-after", header),
        Service::Login => super::wire::entra_error(
            StatusCode::TOO_MANY_REQUESTS,
            "temporarily_unavailable",
            90055,
            "There are too many incoming requests; retry after the time given in Retry-After.",
        )
        .header("retry-after", header),
        Service::Mde => mde_error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            &format!("Rate limit is exceeded. Try again in {secs} seconds."),
        )
        .header("retry-after", header),
    }
}

/// Runs a routed request against the state, with any fault drawn for it.
fn serve(
    st: &mut State,
    service: Service,
    label: &str,
    routed: &Routed,
    req: &Req,
) -> (Reply, Injected) {
    migration::play_due(st);
    let injected = if st.faults.applies_to(service.name()) {
        let roll: f64 = st.fault_rng.random();
        st.faults.draw(roll)
    } else {
        Injected::None
    };
    let reply = match injected {
        Injected::ServerError => {
            st.stats.fault("server_error");
            server_error(service)
        }
        Injected::Throttle => {
            st.stats.fault("throttle");
            storm(st, service)
        }
        _ => match routed {
            Routed::GraphAlerts(ep) => graph_alerts::handle(st, req, ep),
            Routed::Cas(ep) => cas::handle(st, req, ep),
            Routed::Mde(ep) => mde::handle(st, req, label, ep),
            Routed::Graph(ep) => graph::handle(st, req, ep),
            Routed::Login(ep) => auth::issue(st, req, ep),
        },
    };
    if reply.status == StatusCode::TOO_MANY_REQUESTS {
        st.stats.throttled(service.name());
    }
    st.stats.request(label, reply.status.as_u16());
    (reply, injected)
}

/// Serialises a reply; `malformed` cuts the JSON in half.
pub(crate) fn respond(reply: Reply, malformed: bool) -> Response {
    let mut text = reply.text.unwrap_or_else(|| reply.body.to_string());
    if malformed {
        let mut cut = text.len() / 2;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    let mut resp = (reply.status, text).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    for (name, value) in reply.headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    resp
}

/// A response whose body fails at once: the server drops the connection before a whole answer is sent.
fn reset() -> Response {
    let stream = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "simulated reset",
        ))
    });
    Response::new(Body::from_stream(stream))
}

/// The axum fallback handler every request goes through.
pub(crate) async fn entry(AxState(shared): AxState<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 4 << 20).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    let segs: Vec<String> = parts
        .uri
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let service = match segs.first().map(String::as_str) {
        Some("_sim") => return control::handle(&shared, &parts.method, &segs, &body),
        Some("cas") => Service::Cas,
        Some("mde") => Service::Mde,
        Some("graph") => Service::Graph,
        Some("login") => Service::Login,
        _ => {
            return (
                StatusCode::NOT_FOUND,
                "unknown service; use /cas, /mde, /graph or /login",
            )
                .into_response();
        }
    };
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let req = Req {
        method: parts.method.clone(),
        segs: segs[1..].to_vec(),
        query: url::form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect(),
        auth: parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .map(str::to_string),
        prefer: parts
            .headers
            .get("prefer")
            .and_then(|h| h.to_str().ok())
            .map(str::to_string),
        body,
        base: format!("http://{host}"),
        path: parts.uri.path().to_string(),
    };
    let Some((label, routed)) = route(service, &req) else {
        let mut st = shared.lock();
        st.stats.request(
            &format!("{} /{}/(unknown)", req.method, service.name()),
            404,
        );
        return respond(not_found(service), false);
    };
    let latency = {
        let st = shared.lock();
        if st.faults.applies_to(service.name()) {
            st.faults.latency_ms
        } else {
            0
        }
    };
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let (reply, injected) = {
        let mut st = shared.lock();
        let out = serve(&mut st, service, &label, &routed, &req);
        match out.1 {
            Injected::Reset => st.stats.fault("reset"),
            Injected::Malformed if out.0.status.is_success() => st.stats.fault("malformed"),
            _ => {}
        }
        out
    };
    match injected {
        Injected::Reset => reset(),
        Injected::Malformed => {
            let ok = reply.status.is_success();
            respond(reply, ok)
        }
        _ => respond(reply, false),
    }
}
