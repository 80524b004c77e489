//! The cockpit: a ratatui front end on the trainer's channel contract.
//!
//! Data flows one way: trainer → [`crate::train::Event`]s → [`app::App::update`] → views
//! ([`view::draw`], a function of the state). Keys go the other way only as
//! [`crate::train::Command`]s. The cockpit never touches a tensor; the trainer never draws.

pub mod app;
#[doc(hidden)]
pub mod fixtures;
pub mod launch;
pub mod log;
pub mod panels;
pub mod run;
pub mod series;
pub mod theme;
pub mod view;

pub use app::{Action, App, Focus, Msg};
pub use theme::{ColorMode, Theme};
