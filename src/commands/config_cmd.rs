//! `remedy config path|show`.

use std::path::Path;

use color_eyre::eyre::Result;

use crate::cli::ConfigAction;

pub fn run(config_file: &Path, action: ConfigAction) -> Result<i32> {
    match action {
        ConfigAction::Path => {
            println!("{}", config_file.display());
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
