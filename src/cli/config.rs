//! `rnn-tui config`: where the config file is and what it sets.

use super::{CliError, ConfigCmd};
use crate::config::{config_path, Config, CONFIG_DIR_ENV};

pub fn run(cmd: &ConfigCmd) -> Result<(), CliError> {
    let Some(path) = config_path() else {
        return Err(CliError::Usage(format!(
            "cannot find a home directory for the config file: set {CONFIG_DIR_ENV}"
        )));
    };
    if cmd.path {
        println!("{}", path.display());
        return Ok(());
    }
    let config = if path.exists() {
        Config::load_from(&path)?
    } else {
        println!("# {} (not present: built-in defaults)", path.display());
        Config::default()
    };
    if config.source.is_some() {
        println!("# {}", path.display());
    }
    println!("# effective defaults (command-line flags override them)");
    if let Some(t) = &config.theme {
        println!("theme = {t:?}");
    }
    let mut table = toml::Table::new();
    table.insert(
        "train".into(),
        toml::Value::try_from(&config.train).expect("hyperparameters are TOML"),
    );
    print!("{}", toml::to_string(&table).expect("a table is TOML"));
    Ok(())
}
