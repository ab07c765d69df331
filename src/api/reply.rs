//! The final answer to a call and how a non-2xx answer becomes its `ApiError` kind.

use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::call::Call;
use super::error::{ApiError, clean_text, snippet};
use super::models::{CasErrorBody, MachineAction, ODataErrorBody};

/// Longest service explanation kept in an error.
pub(crate) const MESSAGE_MAX: usize = 300;

/// The final answer to a call (after retries): status and body.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) call: Call,
    pub(crate) status: StatusCode,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    pub(crate) fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// Decodes a 2xx body, or turns any other status into its error.
    pub(crate) fn json<T: DeserializeOwned>(self) -> Result<T, ApiError> {
        if !self.is_success() {
            return Err(self.into_error());
        }
        serde_json::from_slice(&self.body).map_err(|e| ApiError::Decode {
            call: self.call,
            reason: e.to_string(),
            snippet: snippet(&self.body),
        })
    }

    /// Maps a non-2xx answer to its error kind.
    pub(crate) fn into_error(self) -> ApiError {
        let call = self.call;
        let odata = serde_json::from_slice::<ODataErrorBody>(&self.body).ok();
        let code = odata
            .as_ref()
            .map(|o| o.error.code.clone())
            .unwrap_or_default();
        let message = match &odata {
            Some(o) if !o.error.message.is_empty() => {
                format!("{}: {}", o.error.code, o.error.message)
            }
            Some(o) => o.error.code.clone(),
            None => serde_json::from_slice::<CasErrorBody>(&self.body)
                .ok()
                .and_then(|body| body.message())
                .unwrap_or_else(|| String::from_utf8_lossy(&self.body).into_owned()),
        };
        let message = clean_text(&message, MESSAGE_MAX);
        let status = self.status.as_u16();
        match status {
            401 => ApiError::Unauthorized { call, message },
            403 => ApiError::Forbidden {
                call,
                permission: call.permission(),
                message,
            },
            404 => ApiError::NotFound { call, message },
            429 => ApiError::Throttled {
                call,
                attempts: 1,
                retry_after: None,
            },
            400 if code == "ActiveRequestAlreadyExists"
                || message.contains("already in progress") =>
            {
                ApiError::ActionAlreadyInProgress {
                    call,
                    message,
                    existing: find_action(&self.body).map(Box::new),
                }
            }
            408 | 500..=599 => ApiError::Server {
                call,
                status,
                attempts: 1,
                body: message,
            },
            _ => ApiError::BadRequest {
                call,
                status,
                body: message,
            },
        }
    }
}

/// A machine action carried in an error body (top level or inside `error`), if any.
fn find_action(body: &[u8]) -> Option<MachineAction> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let mut places = vec![&value];
    if let Some(error) = value.get("error") {
        places.push(error);
    }
    places
        .into_iter()
        .filter_map(Value::as_object)
        .flat_map(|object| object.values())
        .filter(|member| member.get("id").is_some() && member.get("status").is_some())
        .find_map(|member| serde_json::from_value(member.clone()).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            call: Call::RunAntivirusScan,
            status: StatusCode::from_u16(status).unwrap(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn active_request_is_its_own_kind() {
        let body = r#"{"error":{"code":"ActiveRequestAlreadyExists","message":"Action is already in progress"}}"#;
        assert!(matches!(
            reply(400, body).into_error(),
            ApiError::ActionAlreadyInProgress { existing: None, .. }
        ));
    }

    #[test]
    fn active_request_carries_the_existing_action() {
        let body = r#"{"error":{"code":"ActiveRequestAlreadyExists","message":"x",
            "existingAction":{"id":"a1","type":"RunAntiVirusScan","status":"InProgress"}}}"#;
        match reply(400, body).into_error() {
            ApiError::ActionAlreadyInProgress {
                existing: Some(action),
                ..
            } => assert_eq!(action.id, "a1"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn forbidden_carries_the_permission_of_the_call() {
        let body = r#"{"error":{"code":"Forbidden","message":"missing (Machine.Scan)"}}"#;
        match reply(403, body).into_error() {
            ApiError::Forbidden { permission, .. } => assert_eq!(permission, Some("Machine.Scan")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn cas_filter_errors_become_bad_request_text() {
        let body = r#"{"filters":[{"error":"nope is not valid"}],"error":true}"#;
        let error = Reply {
            call: Call::ListAlerts,
            ..reply(400, body)
        }
        .into_error();
        assert!(error.to_string().contains("nope is not valid"), "{error}");
    }

    #[test]
    fn malformed_success_is_decode_with_snippet() {
        match reply(200, "{\"id\": ").json::<MachineAction>() {
            Err(ApiError::Decode { snippet, .. }) => assert_eq!(snippet, "{\"id\":"),
            other => panic!("{other:?}"),
        }
    }
}
