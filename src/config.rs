//! `config.toml`: default hyperparameters and the theme. Precedence: command line > config
//! file > built-in defaults.
//!
//! ```toml
//! theme = "light"
//!
//! [train]
//! hiddens = 64
//! epochs = 50
//! corpus = "sample_texts/war_of_the_worlds.txt"
//! ```

use std::path::{Path, PathBuf};

use crate::hparams::{Field, HParamError, HParams};

/// Overrides the config directory (tests use it).
pub const CONFIG_DIR_ENV: &str = "RNN_TUI_CONFIG_DIR";
pub const CONFIG_FILE: &str = "config.toml";

/// A config file that cannot be used; the message is one line naming the file.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{}: {reason}", path.display())]
pub struct ConfigError {
    pub path: PathBuf,
    pub reason: ConfigProblem,
}

/// What is wrong in a config file (one line; [`ConfigError`] names the file).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigProblem {
    /// The file cannot be read.
    #[error("{0}")]
    Read(String),
    /// Not TOML; the message says where (`line N: ...`).
    #[error("{0}")]
    Syntax(String),
    #[error("theme must be a string, e.g. theme = \"light\"")]
    ThemeNotAString,
    #[error("[train] must be a table of hyperparameters")]
    TrainNotATable,
    #[error("unknown key {key:?} in [train] (known: {known})")]
    UnknownTrainKey { key: String, known: String },
    #[error("unknown key {0:?} (known: theme, [train])")]
    UnknownKey(String),
    /// A `[train]` value, or the set of them, fails the hyperparameters' validation.
    #[error(transparent)]
    HParams(#[from] HParamError),
}

/// The settings read from `config.toml` (built-in defaults where it says nothing).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config {
    /// The `theme` string as written (e.g. `"light"`); `None` when not set.
    pub theme: Option<String>,
    /// Default hyperparameters: the built-in ones overlaid with the `[train]` table.
    pub train: HParams,
    /// The file these settings came from, if one existed.
    pub source: Option<PathBuf>,
}

/// The config directory: `$RNN_TUI_CONFIG_DIR`, else the platform's
/// (`~/.config/rnn-tui` on Linux).
pub fn config_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(CONFIG_DIR_ENV).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(p));
    }
    directories::ProjectDirs::from("", "", "rnn-tui").map(|d| d.config_dir().to_owned())
}

/// Where `config.toml` is looked for.
pub fn config_path() -> Option<PathBuf> {
    config_dir().map(|d| d.join(CONFIG_FILE))
}

impl Config {
    /// Read the config file from its usual place; no file (or no home) means defaults.
    pub fn load() -> Result<Config, ConfigError> {
        match config_path() {
            // A dangling symlink exists not, a FIFO or device does (and is refused on reading).
            Some(p) if p.symlink_metadata().is_ok() => Config::load_from(&p),
            _ => Ok(Config::default()),
        }
    }

    /// Read and check one config file.
    pub fn load_from(path: &Path) -> Result<Config, ConfigError> {
        let err = |reason: ConfigProblem| ConfigError {
            path: path.to_owned(),
            reason,
        };
        // Never blocks on a FIFO, never reads a device or a giant: the file may be a symlink.
        let text = crate::regular_file::read_text(path, crate::regular_file::SETTINGS_LIMIT)
            .map_err(|e| err(ConfigProblem::Read(e.to_string())))?;
        let table: toml::Table = toml::from_str(&text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
            let msg = e.message().trim().replace('\n', " ");
            err(ConfigProblem::Syntax(match line {
                Some(l) => format!("line {l}: {msg}"),
                None => msg,
            }))
        })?;
        let mut config = Config {
            source: Some(path.to_owned()),
            ..Config::default()
        };
        for (key, value) in &table {
            match key.as_str() {
                "theme" => match value.as_str() {
                    Some(s) => config.theme = Some(s.to_owned()),
                    None => return Err(err(ConfigProblem::ThemeNotAString)),
                },
                "train" => {
                    let Some(t) = value.as_table() else {
                        return Err(err(ConfigProblem::TrainNotATable));
                    };
                    let known = toml::Table::try_from(HParams::default())
                        .expect("the default hyperparameters serialize to a TOML table");
                    if let Some(bad) = t.keys().find(|k| !known.contains_key(*k)) {
                        let names: Vec<&str> = known.keys().map(|k| k.as_str()).collect();
                        return Err(err(ConfigProblem::UnknownTrainKey {
                            key: bad.clone(),
                            known: names.join(", "),
                        }));
                    }
                    // Each value goes through the routine the form and the command line use,
                    // as text, so all three give the same messages; then the set is checked.
                    for (key, value) in t {
                        let text = match value {
                            toml::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        match Field::from_key(key) {
                            Some(field) => config.train.parse_field(field, &text),
                            None => config.train.parse_split(&key.replace('_', "-"), &text),
                        }
                        .map_err(|e| err(e.into()))?;
                    }
                    config.train.validate().map_err(|e| err(e.into()))?;
                }
                other => return Err(err(ConfigProblem::UnknownKey(other.to_owned()))),
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(CONFIG_FILE);
        std::fs::write(&p, text).unwrap();
        Config::load_from(&p)
    }

    #[test]
    fn clip_off_or_0_means_no_clipping() {
        for text in [
            "[train]\nclip = \"off\"\n",
            "[train]\nclip = 0\n",
            "[train]\nclip = 0.0\n",
        ] {
            assert_eq!(load(text).unwrap().train.clip, 0.0, "{text}");
        }
        let err = load("[train]\nclip = -1\n").unwrap_err().to_string();
        assert!(err.contains("or 0 or \"off\" for no clipping"), "{err}");
    }

    #[test]
    fn reads_theme_and_train_defaults() {
        let c = load("theme = \"light\"\n[train]\nhiddens = 64\nlr = 0.5\n").unwrap();
        assert_eq!(c.theme.as_deref(), Some("light"));
        assert_eq!(c.train.hiddens, 64);
        assert_eq!(c.train.lr, 0.5);
        assert_eq!(c.train.epochs, 100);
        assert_eq!(load("").unwrap().train, HParams::default());
    }

    #[test]
    fn bad_files_give_one_line_naming_the_file() {
        for (text, needle) in [
            ("[train]\nlr = -1\n", "lr must be a positive finite number"),
            ("[train]\nhiddens = 0\n", "hiddens must be at least 1"),
            ("[train]\nhidens = 3\n", "unknown key \"hidens\""),
            ("colour = 1\n", "unknown key \"colour\""),
            ("theme = 3\n", "theme must be a string"),
            (
                "[train]\nhiddens = \"x\"\n",
                "hiddens must be a whole number, got \"x\"",
            ),
            (
                "[train]\nhiddens = -3\n",
                "hiddens must be a whole number, got \"-3\"",
            ),
            ("[train]\nnum_val = 0\n", "num-val must be at least 1"),
            (
                "[train]\nnum_steps = 1.5\n",
                "num-steps must be a whole number",
            ),
            ("this is not toml", "line 1"),
        ] {
            let e = load(text).unwrap_err().to_string();
            assert!(e.contains(needle), "{text:?}: {e}");
            assert!(e.contains(CONFIG_FILE), "{e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }
}
