//! The terminal console: state, views, keymap and theme; renders engine events, sends commands.
