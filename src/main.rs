//! Entry point: parses arguments and runs the chosen mode.

fn main() {}
