//! `rnn-tui config`: where the config file is and what it sets.

use std::fmt::Write as _;

use super::{output, CliError, ConfigCmd};
use crate::config::{config_path, Config, CONFIG_DIR_ENV};

pub fn run(cmd: &ConfigCmd) -> Result<(), CliError> {
    let Some(path) = config_path() else {
        return Err(CliError::Usage(format!(
            "cannot find a home directory for the config file: set {CONFIG_DIR_ENV}"
        )));
    };
    if cmd.path {
        output::println(&path.display().to_string())?;
        return Ok(());
    }
    // The whole text is built first and printed in one write (a failed write: one error).
    let mut text = String::new();
    let config = if path.exists() {
        Config::load_from(&path)?
    } else {
        let _ = writeln!(
            text,
            "# {} (not present: built-in defaults)",
            path.display()
        );
        Config::default()
    };
    if config.source.is_some() {
        let _ = writeln!(text, "# {}", path.display());
    }
    text.push_str("# effective defaults (command-line flags override them)\n");
    if let Some(t) = &config.theme {
        let _ = writeln!(text, "theme = {t:?}");
    }
    let mut table = toml::Table::new();
    table.insert(
        "train".into(),
        toml::Value::try_from(&config.train).expect("hyperparameters are TOML"),
    );
    text.push_str(&toml::to_string(&table).expect("a table is TOML"));
    output::print(&text)?;
    Ok(())
}
