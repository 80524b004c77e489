//! `rnn-tui config`: where the config file is and what it sets.

use super::{ConfigCmd, EXIT_USAGE};
use crate::runs::config::config_path;
use crate::runs::Config;

pub fn run(cmd: &ConfigCmd) -> i32 {
    let Some(path) = config_path() else {
        eprintln!(
            "error: cannot find a home directory for the config file: set {}",
            crate::runs::CONFIG_DIR_ENV
        );
        return EXIT_USAGE;
    };
    if cmd.path {
        println!("{}", path.display());
        return 0;
    }
    let config = if path.exists() {
        match Config::load_from(&path) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_USAGE;
            }
        }
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
    0
}
