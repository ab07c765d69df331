//! The resolver component: each alert's exact subject, recent answers per subject, and resolve retries.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::alert::{DeviceRef, SourceAlert};
use crate::api::MachineLookupForm;

use super::evidence::Subject;
use super::resolve::Resolved;
use super::retry::Retry;

/// What resolving alerts' users to machines keeps: exact identities, recent answers, retries.
pub(super) struct Resolver {
    /// Alert id → the user principal exactly as the alert names it; lookups use this, never the
    /// cleaned `AlertView::user`.
    identities: HashMap<String, String>,
    /// Alert id → the devices it names, exactly as sent: acted on without a user lookup.
    devices: HashMap<String, Vec<DeviceRef>>,
    /// Subject cache key → when it was resolved and what was found.
    cache: HashMap<String, (Instant, Resolved)>,
    /// Alerts whose resolve failed, with when it is tried again and why it waits.
    retries: HashMap<String, Retry>,
    /// The machine lookup form last seen, to say once when Defender refused the batch.
    lookup_form: MachineLookupForm,
}

impl Resolver {
    pub fn new(lookup_form: MachineLookupForm) -> Resolver {
        Resolver {
            identities: HashMap::new(),
            devices: HashMap::new(),
            cache: HashMap::new(),
            retries: HashMap::new(),
            lookup_form,
        }
    }

    /// How many identities, named devices, cached answers and retries it holds (for the sizes log).
    pub fn sizes(&self) -> (usize, usize, usize, usize) {
        (
            self.identities.len(),
            self.devices.len(),
            self.cache.len(),
            self.retries.len(),
        )
    }

    /// Keeps what the alert's machines are found from, exactly as the alert names it: its devices, else its user.
    pub fn remember_subject(&mut self, alert_id: &str, alert: &SourceAlert) -> Option<Subject> {
        if !alert.devices.is_empty() {
            self.devices
                .insert(alert_id.to_string(), alert.devices.clone());
            return Some(Subject::Devices(alert.devices.clone()));
        }
        let upn = alert.user_principal.clone()?;
        self.identities.insert(alert_id.to_string(), upn.clone());
        Some(Subject::User(upn))
    }

    /// The alert's remembered subject, if the alert was seen since the start.
    pub fn subject(&self, alert_id: &str) -> Option<Subject> {
        if let Some(devices) = self.devices.get(alert_id) {
            return Some(Subject::Devices(devices.clone()));
        }
        self.identities
            .get(alert_id)
            .map(|upn| Subject::User(upn.clone()))
    }

    /// Whether the alert's subject is remembered.
    pub fn knows(&self, alert_id: &str) -> bool {
        self.identities.contains_key(alert_id) || self.devices.contains_key(alert_id)
    }

    /// The subject's machines as resolved less than `ttl` before `now`.
    pub fn cached(&self, subject: &Subject, now: Instant, ttl: Duration) -> Option<Resolved> {
        self.cache
            .get(&subject.cache_key())
            .filter(|(at, _)| now.saturating_duration_since(*at) < ttl)
            .map(|(_, resolved)| resolved.clone())
    }

    /// Records a resolve that succeeded: the answer is cached and the alert waits no more.
    pub fn resolved(&mut self, alert_id: &str, subject: &Subject, now: Instant, found: Resolved) {
        self.retries.remove(alert_id);
        self.cache.insert(subject.cache_key(), (now, found));
    }

    /// The alert's current resolve retry, if its last resolve failed.
    pub fn retry_of(&self, alert_id: &str) -> Option<&Retry> {
        self.retries.get(alert_id)
    }

    /// Records that the alert's resolve waits for `retry`.
    pub fn wait(&mut self, alert_id: String, retry: Retry) {
        self.retries.insert(alert_id, retry);
    }

    /// The alert's resolve is no longer retried (closed, gone or resolved).
    pub fn stop_retrying(&mut self, alert_id: &str) {
        self.retries.remove(alert_id);
    }

    /// Forgets everything kept for the alert (it left memory).
    pub fn forget(&mut self, alert_id: &str) {
        self.identities.remove(alert_id);
        self.devices.remove(alert_id);
        self.retries.remove(alert_id);
    }

    /// Drops cached answers `ttl` or more old at `now`.
    pub fn drop_stale(&mut self, now: Instant, ttl: Duration) {
        self.cache
            .retain(|_, (at, _)| now.saturating_duration_since(*at) < ttl);
    }

    /// Notes the lookup form now in use; true when it changed since last noted.
    pub fn lookup_form_changed(&mut self, form: MachineLookupForm) -> bool {
        let changed = form != self.lookup_form;
        self.lookup_form = form;
        changed
    }
}
