//! The embedded tenant simulator: Cloud App Security, Defender, Graph and the token authority over HTTP.
