//! Configuration: the TOML file and environment, defaults, validation naming file, key and fix.

mod secret;

pub use secret::Secret;
