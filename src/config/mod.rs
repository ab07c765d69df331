//! Configuration: the TOML file and environment, defaults, validation naming file, key and fix.

mod alerts;
mod error;
mod flows;
mod journal_target;
mod load;
mod password_file;
mod paths;
mod secret;
mod sections;
mod validate;

pub use alerts::{AlertsSection, BindingSection, SERVICE_SOURCES, SOURCES};
pub use error::ConfigError;
pub use flows::{ActionSpec, Flow, IsolationType, ScanType, builtin_flows};
pub use journal_target::{JournalTarget, PostgresTarget, TlsMode, journal_target};
pub use load::{Config, LoadedConfig, load, load_str};
pub use password_file::{PasswordFile, read_password_file};
pub use paths::{config_path, data_dir};
pub use secret::Secret;
pub use sections::{
    AuthSection, CasAuthKind, CasSection, DefenderSection, EngineSection, GraphSection,
    GuardSection, JournalSection, LogFormat, LogRotation, LogSection, PolicyBinding, TenantSection,
    UiSection,
};
