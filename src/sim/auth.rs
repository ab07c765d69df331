//! The token authority (`/login/{tenant}/oauth2[/v2.0]/token`) and bearer-token checks for the services.

use super::state::{Service, State, Token};
use super::strict;
use super::wire::{Reply, Req, entra_error};
use axum::http::{Method, StatusCode};
use serde_json::json;
use std::time::{Duration, Instant};

const CAS_APP: &str = "05a65629-4c1b-48c1-a78b-804c4abdd4af";
const MDE_APP: &str = "fc780465-2017-40d4-a0c5-307022471b92";

/// Which token endpoint version was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    V1,
    V2,
}

/// A routed token request: the tenant in the path and the endpoint version.
pub(crate) struct Ep {
    tenant: String,
    version: Version,
}

/// Routes `/{tenant}/oauth2/v2.0/token` and `/{tenant}/oauth2/token` (POST only).
pub(crate) fn route(req: &Req) -> Option<(String, Ep)> {
    if req.method != Method::POST {
        return None;
    }
    let (tenant, version) = match req.parts().as_slice() {
        [t, "oauth2", "v2.0", "token"] => (t.to_string(), Version::V2),
        [t, "oauth2", "token"] => (t.to_string(), Version::V1),
        _ => return None,
    };
    let label = match version {
        Version::V2 => "POST /login/{tenant}/oauth2/v2.0/token",
        Version::V1 => "POST /login/{tenant}/oauth2/token",
    };
    Some((label.to_string(), Ep { tenant, version }))
}

/// The service a v2 scope or v1 resource names.
fn audience(target: &str) -> Option<Service> {
    let t = target
        .trim()
        .trim_end_matches("/.default")
        .trim_end_matches('/')
        .to_ascii_lowercase();
    match t.as_str() {
        "https://api.securitycenter.microsoft.com"
        | "https://api.security.microsoft.com"
        | "https://securitycenter.onmicrosoft.com/windowsatpservice"
        | "https://api.securitycenter.windows.com"
        | MDE_APP => Some(Service::Mde),
        "https://graph.microsoft.com" | "00000003-0000-0000-c000-000000000000" => {
            Some(Service::Graph)
        }
        CAS_APP => Some(Service::Cas),
        _ => None,
    }
}

/// Answers a client-credentials token request.
pub(crate) fn issue(st: &mut State, req: &Req, ep: &Ep) -> Reply {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&req.body)
        .into_owned()
        .collect();
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let scn = &st.scenario;
    let tenant_ok = [
        scn.tenant.clone(),
        format!("{}.onmicrosoft.com", scn.tenant),
        scn.tenant_id.clone(),
    ]
    .iter()
    .any(|t| t.eq_ignore_ascii_case(&ep.tenant));
    if !tenant_ok {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            &format!(
                "Tenant '{}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.",
                ep.tenant
            ),
        );
    }
    let target_name = match ep.version {
        Version::V2 => "scope",
        Version::V1 => "resource",
    };
    for name in ["grant_type", "client_id", target_name] {
        if field(name).is_none_or(str::is_empty) {
            return entra_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                900144,
                &format!("The request body must contain the following parameter: '{name}'."),
            );
        }
    }
    let grant = field("grant_type").unwrap_or_default();
    if grant != "client_credentials" {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            &format!("The app requested an unsupported grant type '{grant}'."),
        );
    }
    let client_id = field("client_id").unwrap_or_default();
    if client_id != scn.credentials.client_id {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{}'.",
                ep.tenant
            ),
        );
    }
    if field("client_secret") != Some(scn.credentials.client_secret.as_str()) {
        return entra_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
        );
    }
    let target = field(target_name).unwrap_or_default();
    let service = target.split_whitespace().find_map(audience);
    let Some(service) = service else {
        return match ep.version {
            Version::V2 => entra_error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                70011,
                &format!(
                    "The provided value for the input parameter 'scope' is not valid. The scope {target} is not valid."
                ),
            ),
            Version::V1 => entra_error(
                StatusCode::BAD_REQUEST,
                "invalid_resource",
                500011,
                &format!(
                    "The resource principal named {target} was not found in the tenant named {}.",
                    ep.tenant
                ),
            ),
        };
    };
    let roles = match service {
        Service::Mde => scn.roles.defender.clone(),
        Service::Graph => scn.roles.graph.clone(),
        _ => scn.roles.cas.clone(),
    };
    let lifetime = st.faults.token_lifetime_secs.unwrap_or(if scn.strict {
        scn.token_lifetime_secs.min(strict::TOKEN_LIFETIME_SECS)
    } else {
        scn.token_lifetime_secs
    });
    let access_token = format!("sim.{}.{}", service.name(), st.hex(48));
    st.tokens.insert(
        access_token.clone(),
        Token {
            service,
            roles,
            expires: Instant::now() + Duration::from_secs(lifetime),
            app: client_id.to_string(),
        },
    );
    st.stats.token_issued();
    let mut body = json!({
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access_token,
    });
    if ep.version == Version::V1 {
        let now = chrono::Utc::now().timestamp();
        body["expires_on"] = json!((now + lifetime as i64).to_string());
        body["not_before"] = json!(now.to_string());
        body["resource"] = json!(target);
        body["expires_in"] = json!(lifetime.to_string());
        body["ext_expires_in"] = json!(lifetime.to_string());
    }
    Reply::ok(body)
}

/// Why a bearer token was refused.
pub(crate) fn bearer(st: &State, req: &Req, service: Service) -> Result<Token, &'static str> {
    let header = req
        .auth
        .as_deref()
        .ok_or("Authorization header is missing")?;
    let (scheme, value) = header
        .split_once(' ')
        .ok_or("Authorization header is malformed")?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err("Authorization scheme must be Bearer");
    }
    let token = st
        .tokens
        .get(value.trim())
        .ok_or("Access token is invalid")?;
    if token.service != service {
        return Err("Access token audience is not this service");
    }
    if token.expires <= Instant::now() {
        return Err("Access token has expired");
    }
    Ok(token.clone())
}

/// Whether the token carries any of `roles`.
pub(crate) fn has_any(token: &Token, roles: &[&str]) -> bool {
    token.roles.iter().any(|r| roles.contains(&r.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_and_resources_map_to_services() {
        assert_eq!(
            audience("https://api.securitycenter.microsoft.com/.default"),
            Some(Service::Mde)
        );
        assert_eq!(
            audience("https://api.security.microsoft.com/.default"),
            Some(Service::Mde)
        );
        assert_eq!(
            audience("https://securitycenter.onmicrosoft.com/windowsatpservice/.default"),
            Some(Service::Mde)
        );
        assert_eq!(
            audience("https://graph.microsoft.com/.default"),
            Some(Service::Graph)
        );
        assert_eq!(
            audience("https://graph.microsoft.com"),
            Some(Service::Graph)
        );
        assert_eq!(
            audience("05a65629-4c1b-48c1-a78b-804c4abdd4af/.default"),
            Some(Service::Cas)
        );
        assert_eq!(audience("https://example.com/.default"), None);
    }
}
