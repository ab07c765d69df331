//! The intake and resolver components: watermarks never move back, the journal hold backs off, and an alert's
//! exact subject, cached answers and retries are kept and forgotten as told.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::alert::{AlertKey, Detection, DeviceRef, SourceAlert, SourceKind};
use crate::api::MachineLookupForm;
use crate::engine::evidence::Subject;
use crate::engine::intake_state::Intake;
use crate::engine::interface::{Resolution, Severity};
use crate::engine::resolve::Resolved;
use crate::engine::resolver::Resolver;
use crate::engine::retry::{RESOLVE_BACKOFF, Retry};

const TTL: Duration = Duration::from_secs(60);

fn alert(user: Option<&str>, devices: &[&str]) -> SourceAlert {
    SourceAlert {
        key: AlertKey::Graph("a1".into()),
        seen_by: vec![SourceKind::Graph],
        graph_id: None,
        title: "t".into(),
        description: String::new(),
        severity: Severity::High,
        resolution: Resolution::Open,
        raised_at: DateTime::<Utc>::default(),
        updated_at: None,
        detection: Detection::default(),
        user_principal: user.map(str::to_string),
        devices: devices
            .iter()
            .map(|id| DeviceRef {
                mde_device_id: id.to_string(),
                dns_name: None,
                health_status: None,
                defender_av_status: None,
            })
            .collect(),
        url: None,
        entities: Vec::new(),
        read: false,
    }
}

#[test]
fn a_watermark_moves_only_forward() {
    let mut intake = Intake::default();
    assert_eq!(intake.watermark(SourceKind::Cas), None);
    intake.advance(SourceKind::Cas, 100);
    assert_eq!(intake.watermark(SourceKind::Cas), Some(100));
    intake.advance(SourceKind::Cas, 90);
    assert_eq!(intake.watermark(SourceKind::Cas), Some(100));
    intake.advance(SourceKind::Cas, 200);
    assert_eq!(intake.watermark(SourceKind::Cas), Some(200));
    assert_eq!(intake.watermark(SourceKind::Graph), None);
}

#[test]
fn intake_holds_until_its_backoff_is_due_and_longer_each_failure() {
    let mut intake = Intake::default();
    let t0 = Instant::now();
    assert!(!intake.held(t0));
    let first = intake.hold(t0).failures;
    assert!(intake.held(t0));
    assert!(!intake.held(t0 + Duration::from_secs(120)));
    assert_eq!(intake.hold(t0).failures, first + 1);
    intake.journaled();
    assert!(!intake.held(t0));
    assert_eq!(intake.hold(t0).failures, 1);
}

#[test]
fn polls_are_counted_and_reconsidered_alerts_are_taken_once() {
    let mut intake = Intake::default();
    assert_eq!(intake.begin_poll(), 0);
    assert_eq!(intake.begin_poll(), 1);
    intake.reconsider_later("a1");
    intake.reconsider_later("a1");
    assert_eq!(intake.take_reconsider().len(), 1);
    assert!(intake.take_reconsider().is_empty());
}

#[test]
fn the_subject_is_the_named_devices_else_the_exact_user() {
    let mut resolver = Resolver::new(MachineLookupForm::Batched);
    let user = "vic\u{200b}tim@contoso.com";
    assert!(matches!(
        resolver.remember_subject("a1", &alert(Some(user), &[])),
        Some(Subject::User(upn)) if upn == user
    ));
    assert!(matches!(resolver.subject("a1"), Some(Subject::User(upn)) if upn == user));
    assert!(matches!(
        resolver.remember_subject("a2", &alert(Some(user), &["m1"])),
        Some(Subject::Devices(d)) if d[0].mde_device_id == "m1"
    ));
    assert!(resolver.remember_subject("a3", &alert(None, &[])).is_none());
    assert!(resolver.knows("a1") && resolver.knows("a2") && !resolver.knows("a3"));
    resolver.forget("a1");
    assert!(!resolver.knows("a1") && resolver.subject("a1").is_none());
}

#[test]
fn a_cached_answer_lasts_its_ttl_and_clears_the_retry() {
    let mut resolver = Resolver::new(MachineLookupForm::Batched);
    let subject = Subject::User("u@contoso.com".into());
    let t0 = Instant::now();
    let retry = Retry::after_failure(None, RESOLVE_BACKOFF, t0, 0.5, None, "x".into());
    resolver.wait("a1".into(), retry);
    assert!(resolver.retry_of("a1").is_some());
    resolver.resolved("a1", &subject, t0, Resolved::default());
    assert!(resolver.retry_of("a1").is_none());
    assert!(resolver.cached(&subject, t0 + TTL / 2, TTL).is_some());
    assert!(resolver.cached(&subject, t0 + TTL, TTL).is_none());
    resolver.drop_stale(t0 + TTL / 2, TTL);
    assert!(resolver.cached(&subject, t0, TTL).is_some());
    resolver.drop_stale(t0 + TTL, TTL);
    assert!(resolver.cached(&subject, t0, TTL).is_none());
}

#[test]
fn a_lookup_form_change_is_told_once() {
    let mut resolver = Resolver::new(MachineLookupForm::Batched);
    assert!(!resolver.lookup_form_changed(MachineLookupForm::Batched));
    assert!(resolver.lookup_form_changed(MachineLookupForm::OneByOne));
    assert!(!resolver.lookup_form_changed(MachineLookupForm::OneByOne));
}
