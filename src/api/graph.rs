//! Microsoft Graph client: a user, and the devices they registered or own.

use std::sync::Arc;

use reqwest::Method;

use super::call::Call;
use super::error::ApiError;
use super::http::{Endpoint, Request, segment};
use super::models::{GraphDevice, GraphUser};
use super::odata;

/// Resource units a `GET /users/{id}` costs in Graph's identity throttling bucket; other reads cost 1.
const USER_COST: u32 = 2;

/// Client of Microsoft Graph v1.0 (OAuth app token). Cheap to clone.
#[derive(Debug, Clone)]
pub struct GraphClient {
    endpoint: Arc<Endpoint>,
}

impl GraphClient {
    pub(crate) fn new(endpoint: Endpoint) -> GraphClient {
        GraphClient {
            endpoint: Arc::new(endpoint),
        }
    }

    /// A user by object id or UPN.
    pub async fn user(&self, id_or_upn: &str) -> Result<GraphUser, ApiError> {
        let url = self
            .endpoint
            .url(&format!("/v1.0/users/{}", segment(id_or_upn)));
        let request = Request::new(Call::GetUser, Method::GET, url).cost(USER_COST);
        self.endpoint.send(&request).await?.json()
    }

    /// Devices the user registered, following `@odata.nextLink`; non-device objects are dropped.
    pub async fn registered_devices(&self, id_or_upn: &str) -> Result<Vec<GraphDevice>, ApiError> {
        self.devices(Call::RegisteredDevices, id_or_upn, "registeredDevices")
            .await
    }

    /// Devices the user owns, following `@odata.nextLink`; non-device objects are dropped.
    pub async fn owned_devices(&self, id_or_upn: &str) -> Result<Vec<GraphDevice>, ApiError> {
        self.devices(Call::OwnedDevices, id_or_upn, "ownedDevices")
            .await
    }

    async fn devices(
        &self,
        call: Call,
        id_or_upn: &str,
        relation: &str,
    ) -> Result<Vec<GraphDevice>, ApiError> {
        let url = self
            .endpoint
            .url(&format!("/v1.0/users/{}/{relation}", segment(id_or_upn)));
        let devices: Vec<GraphDevice> =
            odata::collect(&self.endpoint, Request::new(call, Method::GET, url)).await?;
        Ok(devices.into_iter().filter(GraphDevice::is_device).collect())
    }
}
