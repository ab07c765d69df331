//! Untrusted text made safe for terminals and logs.
