//! The demo tenant's named cases (several devices, a machine that never checks in, hostile account names,
//! many open actions) and the alerts tests raise about them.

use super::scenario::{AlertSeed, Scenario};

/// A user with three Entra devices, each mapped to one live Defender machine.
pub const THREE_DEVICE_OWNER: &str = "trinity.okafor@contoso.com";
/// The Defender machine ids of [`THREE_DEVICE_OWNER`]'s devices.
pub const THREE_DEVICE_MACHINES: [&str; 3] = [
    "32618795a2ea7e760b265c3776fea6370da88fbc",
    "f1f4300450bc9c712cddf68a8601a3a1042f375e",
    "c68de6d02731b13cdd11861aee0068e392b04e99",
];
/// A user whose only machine never checks in: its actions stay Pending until TimeOut.
pub const SILENT_OWNER: &str = "samir.haddad@contoso.com";
/// [`SILENT_OWNER`]'s machine.
pub const SILENT_MACHINE: &str = "e01b6c389cf63b7a12795f90fd45e7b63158216f";
/// A real user with one laptop, whose name hostile alerts imitate.
pub const VICTIM: &str = "victim@contoso.com";
/// [`VICTIM`]'s laptop.
pub const VICTIM_MACHINE: &str = "8cb50794566190b50856cf9dafca9df9c24cfb77";
/// Account names one invisible or escape character away from [`VICTIM`]; no such user exists.
pub const LOOKALIKE_ACCOUNTS: [&str; 2] =
    ["vic\u{200b}tim@contoso.com", "victim\u{1b}[0m@contoso.com"];
/// An account no directory knows.
pub const UNKNOWN_ACCOUNT: &str = "nobody.here@contoso.com";
/// A user with twelve Entra devices, each mapped to a live machine: more than ten open actions at once
/// (raise `max_machines_per_alert` to act on all of them in `auto`).
pub const MANY_DEVICE_OWNER: &str = "morgan.lee@contoso.com";
/// How many machines [`MANY_DEVICE_OWNER`] has.
pub const MANY_DEVICE_COUNT: usize = 12;

/// An alert a test can raise about one of the cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseAlert {
    /// About [`THREE_DEVICE_OWNER`].
    ThreeDevices,
    /// About [`SILENT_OWNER`].
    NeverChecksIn,
    /// About [`SILENT_OWNER`] again, later: a re-alert for the same user and machine.
    NeverChecksInAgain,
    /// About [`THREE_DEVICE_OWNER`] again, later.
    ThreeDevicesAgain,
    /// About the first of [`LOOKALIKE_ACCOUNTS`] (a zero-width space).
    ZeroWidthLookalike,
    /// About the second of [`LOOKALIKE_ACCOUNTS`] (an escape sequence).
    EscapeLookalike,
    /// About [`UNKNOWN_ACCOUNT`].
    UnknownUser,
    /// About [`MANY_DEVICE_OWNER`].
    ManyDevices,
}

impl CaseAlert {
    /// Every case alert.
    pub const ALL: [CaseAlert; 8] = [
        CaseAlert::ThreeDevices,
        CaseAlert::NeverChecksIn,
        CaseAlert::NeverChecksInAgain,
        CaseAlert::ThreeDevicesAgain,
        CaseAlert::ZeroWidthLookalike,
        CaseAlert::EscapeLookalike,
        CaseAlert::UnknownUser,
        CaseAlert::ManyDevices,
    ];

    /// The alert's id (24 hex digits).
    pub fn id(self) -> &'static str {
        match self {
            CaseAlert::ThreeDevices => "6a9c00000000000000000001",
            CaseAlert::NeverChecksIn => "6a9c00000000000000000002",
            CaseAlert::NeverChecksInAgain => "6a9c00000000000000000003",
            CaseAlert::ThreeDevicesAgain => "6a9c00000000000000000004",
            CaseAlert::ZeroWidthLookalike => "6a9c00000000000000000005",
            CaseAlert::EscapeLookalike => "6a9c00000000000000000006",
            CaseAlert::UnknownUser => "6a9c00000000000000000007",
            CaseAlert::ManyDevices => "6a9c00000000000000000008",
        }
    }

    /// The account the alert names.
    pub fn user(self) -> &'static str {
        match self {
            CaseAlert::ThreeDevices | CaseAlert::ThreeDevicesAgain => THREE_DEVICE_OWNER,
            CaseAlert::NeverChecksIn | CaseAlert::NeverChecksInAgain => SILENT_OWNER,
            CaseAlert::ZeroWidthLookalike => LOOKALIKE_ACCOUNTS[0],
            CaseAlert::EscapeLookalike => LOOKALIKE_ACCOUNTS[1],
            CaseAlert::UnknownUser => UNKNOWN_ACCOUNT,
            CaseAlert::ManyDevices => MANY_DEVICE_OWNER,
        }
    }

    /// Simulated minutes before start-up the alert was raised (re-alerts come later than the first).
    fn minutes_ago(self) -> f64 {
        match self {
            CaseAlert::ThreeDevices | CaseAlert::NeverChecksIn => 20.0,
            CaseAlert::NeverChecksInAgain | CaseAlert::ThreeDevicesAgain => 4.0,
            _ => 12.0,
        }
    }
}

impl Scenario {
    /// Adds the open alert `case` on `policy` (which must be a policy of the scenario).
    pub fn add_case_alert(&mut self, case: CaseAlert, policy: &str) {
        self.alerts.push(AlertSeed {
            id: case.id().into(),
            policy: policy.into(),
            user: Some(case.user().into()),
            title: "Malware detected in OneDrive".into(),
            description: format!(
                "A file owned by {} matched a malware signature.",
                case.user()
            ),
            severity: None,
            minutes_ago: case.minutes_ago(),
            resolution_status: 0,
            read: false,
            ip: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machines_of(s: &Scenario, upn: &str) -> Vec<String> {
        let devices: Vec<&str> = s
            .devices
            .iter()
            .filter(|d| d.owner == upn)
            .map(|d| d.device_id.as_str())
            .collect();
        s.machines
            .iter()
            .filter(|m| {
                m.aad_device_id
                    .as_deref()
                    .is_some_and(|a| devices.contains(&a))
            })
            .map(|m| m.id.clone())
            .collect()
    }

    #[test]
    fn the_demo_tenant_holds_every_case() {
        let s = Scenario::demo();
        assert_eq!(machines_of(&s, THREE_DEVICE_OWNER), THREE_DEVICE_MACHINES);
        assert_eq!(machines_of(&s, SILENT_OWNER), [SILENT_MACHINE]);
        assert!(
            s.machines
                .iter()
                .any(|m| m.id == SILENT_MACHINE && m.offline)
        );
        assert_eq!(machines_of(&s, VICTIM), [VICTIM_MACHINE]);
        assert_eq!(machines_of(&s, MANY_DEVICE_OWNER).len(), MANY_DEVICE_COUNT);
        for ghost in LOOKALIKE_ACCOUNTS.iter().chain([&UNKNOWN_ACCOUNT]) {
            assert!(!s.users.iter().any(|u| u.upn.eq_ignore_ascii_case(ghost)));
        }
    }

    #[test]
    fn case_alerts_are_valid_and_distinct() {
        let mut s = Scenario::quiet();
        let policy = s.policies[0].id.clone();
        for case in CaseAlert::ALL {
            s.add_case_alert(case, &policy);
        }
        s.validate("cases").expect("valid");
        let mut ids: Vec<&str> = CaseAlert::ALL.iter().map(|c| c.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CaseAlert::ALL.len());
    }
}
