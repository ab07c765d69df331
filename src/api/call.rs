//! The services and the calls made to them, with the permission each call needs.

use std::fmt;

/// A remote service remedy talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// Microsoft Defender for Cloud Apps (Cloud App Security).
    Cas,
    /// Microsoft Defender for Endpoint.
    Defender,
    /// Microsoft Graph.
    Graph,
}

impl Service {
    /// Short machine name: `cas`, `defender` or `graph`.
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Cas => "cas",
            Service::Defender => "defender",
            Service::Graph => "graph",
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Service::Cas => "Cloud App Security",
            Service::Defender => "Defender for Endpoint",
            Service::Graph => "Microsoft Graph",
        })
    }
}

/// One API operation; names the service, the call in messages and the permission it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Call {
    /// Cloud App Security: list alerts.
    ListAlerts,
    /// Cloud App Security: fetch one alert.
    GetAlert,
    /// Cloud App Security: close alerts.
    CloseAlerts,
    /// Cloud App Security: mark an alert read.
    MarkRead,
    /// Cloud App Security: list policies.
    ListPolicies,
    /// Cloud App Security: fetch one policy.
    GetPolicy,
    /// Defender: list machines.
    ListMachines,
    /// Defender: fetch one machine.
    GetMachine,
    /// Defender: machines of a user.
    UserMachines,
    /// Defender: users logged on to a machine.
    LogonUsers,
    /// Defender: run an antivirus scan.
    RunAntivirusScan,
    /// Defender: isolate a machine.
    Isolate,
    /// Defender: release a machine from isolation.
    Unisolate,
    /// Defender: restrict app execution.
    RestrictCodeExecution,
    /// Defender: remove the app execution restriction.
    UnrestrictCodeExecution,
    /// Defender: collect an investigation package.
    CollectInvestigationPackage,
    /// Defender: stop and quarantine a file.
    StopAndQuarantineFile,
    /// Defender: fetch one machine action.
    GetMachineAction,
    /// Defender: list machine actions.
    ListMachineActions,
    /// Defender: cancel a machine action.
    CancelAction,
    /// Graph: fetch a user.
    GetUser,
    /// Graph: devices a user registered.
    RegisteredDevices,
    /// Graph: devices a user owns.
    OwnedDevices,
    /// Graph: list security alerts (`alerts_v2`).
    ListSecurityAlerts,
    /// Graph: fetch one security alert.
    GetSecurityAlert,
    /// Graph: update a security alert (status, classification, determination, owner).
    UpdateSecurityAlert,
    /// Graph: comment on a security alert.
    CommentSecurityAlert,
    /// Token authority: client-credentials token for a service.
    Token(Service),
}

/// Every Defender call, each under its own quota.
pub const DEFENDER_CALLS: [Call; 14] = [
    Call::ListMachines,
    Call::GetMachine,
    Call::UserMachines,
    Call::LogonUsers,
    Call::RunAntivirusScan,
    Call::Isolate,
    Call::Unisolate,
    Call::RestrictCodeExecution,
    Call::UnrestrictCodeExecution,
    Call::CollectInvestigationPackage,
    Call::StopAndQuarantineFile,
    Call::GetMachineAction,
    Call::ListMachineActions,
    Call::CancelAction,
];

impl Call {
    /// The service the call goes to (for tokens: the service the token is for).
    pub fn service(self) -> Service {
        use Call::*;
        match self {
            ListAlerts | GetAlert | CloseAlerts | MarkRead | ListPolicies | GetPolicy => {
                Service::Cas
            }
            GetUser | RegisteredDevices | OwnedDevices | ListSecurityAlerts | GetSecurityAlert
            | UpdateSecurityAlert | CommentSecurityAlert => Service::Graph,
            Token(service) => service,
            _ => Service::Defender,
        }
    }

    /// Human name of the call, for messages.
    pub fn name(self) -> &'static str {
        use Call::*;
        match self {
            ListAlerts => "list alerts",
            GetAlert => "get alert",
            CloseAlerts => "close alerts",
            MarkRead => "mark alert read",
            ListPolicies => "list policies",
            GetPolicy => "get policy",
            ListMachines => "list machines",
            GetMachine => "get machine",
            UserMachines => "user machines",
            LogonUsers => "machine logon users",
            RunAntivirusScan => "run antivirus scan",
            Isolate => "isolate machine",
            Unisolate => "release machine from isolation",
            RestrictCodeExecution => "restrict app execution",
            UnrestrictCodeExecution => "remove app execution restriction",
            CollectInvestigationPackage => "collect investigation package",
            StopAndQuarantineFile => "stop and quarantine file",
            GetMachineAction => "get machine action",
            ListMachineActions => "list machine actions",
            CancelAction => "cancel machine action",
            GetUser => "get user",
            RegisteredDevices => "registered devices",
            OwnedDevices => "owned devices",
            ListSecurityAlerts => "list security alerts",
            GetSecurityAlert => "get security alert",
            UpdateSecurityAlert => "update security alert",
            CommentSecurityAlert => "comment on security alert",
            Token(_) => "get access token",
        }
    }

    /// A stable key for the journal (the variant's name), e.g. `ListMachineActions`.
    pub fn key(self) -> String {
        format!("{self:?}")
    }

    /// The Defender call with this [`Call::key`], if any.
    pub fn defender_from_key(key: &str) -> Option<Call> {
        DEFENDER_CALLS.into_iter().find(|call| call.key() == key)
    }

    /// The application permission the call needs (REFERENCE §1.2, §2.2, §3.2), when one is documented.
    pub fn permission(self) -> Option<&'static str> {
        use Call::*;
        Some(match self {
            ListAlerts | GetAlert | MarkRead => {
                "Investigation.read (or a token of a user allowed to view alerts)"
            }
            CloseAlerts => "Investigation.manage (or a token of a user allowed to close alerts)",
            ListPolicies | GetPolicy => return None,
            ListMachines | GetMachine | GetMachineAction | ListMachineActions => "Machine.Read.All",
            UserMachines => "Machine.ReadWrite.All",
            LogonUsers => "User.Read.All",
            RunAntivirusScan => "Machine.Scan",
            Isolate | Unisolate => "Machine.Isolate",
            RestrictCodeExecution | UnrestrictCodeExecution => "Machine.RestrictExecution",
            CollectInvestigationPackage => "Machine.CollectForensics",
            StopAndQuarantineFile => "Machine.StopAndQuarantine",
            CancelAction => "the permission of the cancelled action (e.g. Machine.Scan)",
            GetUser => "User.Read.All",
            RegisteredDevices | OwnedDevices => "User.Read.All or Directory.Read.All",
            ListSecurityAlerts | GetSecurityAlert => {
                "SecurityAlert.Read.All (or SecurityAlert.ReadWrite.All)"
            }
            UpdateSecurityAlert | CommentSecurityAlert => "SecurityAlert.ReadWrite.All",
            Token(_) => return None,
        })
    }

    /// The credential to check when the service answers 401.
    pub fn credential(self) -> &'static str {
        match self.service() {
            Service::Cas => {
                "Cloud App Security credential: the API token (it may be revoked, expired or mistyped), \
                 or with [cas] auth = \"entra\" the app's admin consent for Microsoft Cloud App Security"
            }
            _ => "client id and client secret of the app registration, and its admin consent",
        }
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.service(), self.name())
    }
}
