//! Load scenarios: one user signed in to a fleet of machines, and an alert about them.

use super::scenario::{AlertSeed, MachineSeed, Scenario, UserSeed};

/// The fleet owner's sign-in name.
pub const FLEET_OWNER: &str = "fleet.owner@contoso.com";

impl Scenario {
    /// Adds a user signed in to `machines` online, untagged machines (`fleet-0000.contoso.local` …), found
    /// through Defender's user-machines call, and an open alert with id `alert_id` about that user on
    /// `policy`. For load tests and benchmarks of dispatch under the quota.
    pub fn add_fleet(&mut self, machines: usize, policy: &str, alert_id: &str) {
        self.users.push(UserSeed {
            id: "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9".into(),
            upn: FLEET_OWNER.into(),
            display_name: "Fleet Owner".into(),
            account_name: "fleet.owner".into(),
            job_title: None,
            department: None,
            enabled: true,
        });
        for i in 0..machines {
            self.machines.push(MachineSeed {
                id: format!("{:040x}", 0x000f_1ee7_0000_u64 + i as u64),
                computer_dns_name: format!("fleet-{i:04}.contoso.local"),
                os_platform: "Windows11".into(),
                version: Some("23H2".into()),
                os_build: Some(22631),
                aad_device_id: None,
                health_status: "Active".into(),
                onboarding_status: "Onboarded".into(),
                rbac_group_id: 0,
                rbac_group_name: "Workstations".into(),
                risk_score: "None".into(),
                exposure_level: "None".into(),
                device_value: "Normal".into(),
                tags: Vec::new(),
                last_seen_hours_ago: 1.0,
                first_seen_days_ago: 365.0,
                ip: format!("10.20.{}.{}", i / 250, i % 250 + 1),
                excluded: false,
                merged_into: None,
                logon_users: vec!["fleet.owner".into()],
                offline: false,
            });
        }
        self.alerts.push(AlertSeed {
            id: alert_id.into(),
            policy: policy.into(),
            user: Some(FLEET_OWNER.into()),
            title: "Malware detected in a file owned by fleet.owner".into(),
            description: String::new(),
            severity: None,
            minutes_ago: 1.0,
            resolution_status: 0,
            read: false,
            ip: None,
        });
    }
}
