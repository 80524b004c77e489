//! The cockpit: a ratatui front end on the trainer's channel contract.
//!
//! Data flows one way: trainer → [`crate::train::Event`]s → [`app::App::update`] → views
//! ([`view::draw`], a function of the state). Keys go the other way only as
//! [`crate::train::Command`]s. The cockpit never touches a tensor; the trainer never draws.
//!
//! [`cockpit`] owns the terminal and the event loop. [`App`] holds each panel's state, routes
//! keys to the focused panel, owns the y/n dialogs and turns what panels report into
//! [`Action`]s. Each module under [`panels`] owns its state, its key handling and its drawing
//! and never sees `App`: [`view`] hands it its own state, a [`context::Ctx`] and the few
//! values from elsewhere that it shows, through one [`context::Panel::draw`]. [`layout`]
//! says where everything goes (the view draws there, the app hit-tests mouse clicks there);
//! [`message`] is the message line; [`widgets`] holds what panels draw alike.

pub mod app;
pub mod chart_file;
pub mod cockpit;
pub mod context;
#[doc(hidden)]
pub mod fixtures;
pub mod launch;
pub mod layout;
pub mod log;
pub mod message;
pub mod panels;
pub mod series;
pub mod theme;
pub mod timeline;
pub mod view;
pub mod widgets;

pub use app::{Action, App, Dialog, Msg};
pub use context::{Focus, Level};
pub use theme::{ColorMode, Theme};
