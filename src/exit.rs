//! The process's exit codes, in one place for every front end.

/// Bad input from the user (flags, files, sizes, a run that does not exist).
pub const EXIT_USAGE: i32 = 2;
/// A failure while running (a write that failed, a tensor error, training that did not finish).
pub const EXIT_FAILURE: i32 = 1;

/// The conventional exit status after signal `signo`: 128 + its number (130 for SIGINT, 143 for
/// SIGTERM, 129 for SIGHUP).
pub fn signal_exit_code(signo: i32) -> i32 {
    128 + signo
}
