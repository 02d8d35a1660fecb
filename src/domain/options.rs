//! Application options (`app.option.*`, `user.option.*`): named values an
//! application keeps on the portal, one set per application and one per
//! (application, user).
//!
//! A value is kept as the JSON text the client sent (the domain knows no
//! JSON; `methods/` writes and reads it), so strings, numbers, nested
//! objects and their key order come back as given. Names keep the order in
//! which they were first set (a PHP array's order on portals); setting a
//! name again replaces its value in place. Nothing is ever removed but with
//! the application.

use super::UserId;

/// Whose options: an application's own, or those it keeps for one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionsOwner {
    /// `app.option.*`: shared by every user of the application.
    App(String),
    /// `user.option.*`: the application's options for one user.
    User(String, UserId),
}

/// One option: its name and its value as JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionEntry {
    pub name: String,
    pub json: String,
}
