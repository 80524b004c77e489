//! A hint for a flag given to the wrong command: `rnn-tui --headless …` and
//! `rnn-tui --resume …` name flags only `train` has (clap refuses them without a word on
//! where they belong).

/// The flags only `train` takes.
const TRAIN_ONLY: [&str; 5] = [
    "--headless",
    "--json",
    "--resume",
    "--save-every",
    "--no-save",
];

/// The subcommands' names: a command line with one of them is not missing `train`.
const SUBCOMMANDS: [&str; 9] = [
    "train", "sample", "eval", "runs", "export", "config", "bench", "watch", "help",
];

/// For `args` (the command line after the program's name) that give a flag only `train` takes
/// and no subcommand: the command line meant, `rnn-tui train …`, as one line ready to paste.
pub fn train_command(args: &[String]) -> Option<String> {
    if args.iter().any(|a| SUBCOMMANDS.contains(&a.as_str())) {
        return None;
    }
    let flag_of = |a: &str| a.split('=').next().unwrap_or("").to_owned();
    let flag = args
        .iter()
        .map(|a| flag_of(a))
        .find(|f| TRAIN_ONLY.contains(&f.as_str()))?;
    let mut line = String::from("rnn-tui train");
    for a in args {
        line.push(' ');
        line.push_str(&quoted(a));
    }
    Some(format!(
        "error: {flag} is a flag of `train`; did you mean: {line}"
    ))
}

/// `arg` as a shell reads it back: bare when it is plain, else in single quotes.
fn quoted(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_alphanumeric() || "-_=./:,+@%".contains(c));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn train_flags_without_train_get_the_command_meant() {
        assert_eq!(
            train_command(&args(&["--headless", "--epochs", "2"])).unwrap(),
            "error: --headless is a flag of `train`; did you mean: rnn-tui train --headless --epochs 2"
        );
        let line = train_command(&args(&["--resume=latest"])).unwrap();
        assert!(
            line.ends_with("did you mean: rnn-tui train --resume=latest"),
            "{line}"
        );
        let line =
            train_command(&args(&["--corpus", "my book.txt", "--resume", "latest"])).unwrap();
        assert!(
            line.ends_with("rnn-tui train --corpus 'my book.txt' --resume latest"),
            "{line}"
        );
    }

    #[test]
    fn other_mistakes_get_no_hint() {
        assert_eq!(train_command(&args(&["--bogus"])), None);
        assert_eq!(
            train_command(&args(&["train", "--headless", "--bogus"])),
            None
        );
        assert_eq!(train_command(&args(&["sample", "--headless"])), None);
    }
}
