//! The engine without a terminal: events as JSON lines on stdout.
