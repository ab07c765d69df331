//! `remedy config path|show|example`.

use std::path::Path;

use color_eyre::eyre::Result;

use crate::cli::ConfigAction;

/// The example config shipped with remedy: every key with its default.
const EXAMPLE: &str = include_str!("../../config/remedy.example.toml");

pub fn run(config_file: &Path, action: ConfigAction) -> Result<i32> {
    match action {
        ConfigAction::Path => {
            println!("{}", config_file.display());
            Ok(0)
        }
        ConfigAction::Example => {
            print!("{EXAMPLE}");
            Ok(0)
        }
        ConfigAction::Show => match super::load_config(config_file) {
            Ok(loaded) => {
                println!(
                    "# effective config from {} (secrets shown as ***)",
                    loaded.path.display()
                );
                print!("{}", toml::to_string_pretty(&loaded.config)?);
                Ok(0)
            }
            Err(code) => Ok(code),
        },
    }
}
