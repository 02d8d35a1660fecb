//! A message's keyboard, menu and attachments as the methods that send and
//! update messages take them (`KEYBOARD`, `MENU`, `ATTACH`; the v2 methods'
//! `keyboard` and `attach`), and their documented errors. The rules of
//! each part are the messenger's (domain/message_params.rs).

use serde_json::Value;

use crate::domain::message_params::{
    self as parts, is_empty, update_of, Change, ParamError, ParamsChange,
};
use crate::domain::Timestamp;
use crate::protocol::error::ApiError;

/// The raw parts a call gave.
#[derive(Default, Clone, Copy)]
pub struct Given<'a> {
    pub keyboard: Option<&'a Value>,
    pub menu: Option<&'a Value>,
    pub attach: Option<&'a Value>,
}

impl<'a> Given<'a> {
    /// `KEYBOARD`, `MENU` and `ATTACH` of a v1 method's parameters.
    pub fn v1(p: &'a crate::protocol::params::Params) -> Self {
        Given {
            keyboard: p.get("KEYBOARD"),
            menu: p.get("MENU"),
            attach: p.get("ATTACH"),
        }
    }

    /// `keyboard` and `attach` of a v2 method's `fields` (v2 has no menu).
    pub fn v2(fields: Option<&'a Value>) -> Self {
        Given {
            keyboard: fields.and_then(|f| f.get("keyboard")),
            menu: None,
            attach: fields.and_then(|f| f.get("attach")),
        }
    }

    /// Whether an attachment came (a message with one may have no text).
    pub fn has_attach(&self) -> bool {
        self.attach.is_some_and(|a| !is_empty(a))
    }

    /// The bot a keyboard's or menu's `COMMAND`s run at: `bot` when the
    /// method names one, else the keyboard's own `BOT_ID`.
    fn bot(&self, bot: i64) -> i64 {
        if bot > 0 {
            return bot;
        }
        self.keyboard.and_then(parts::keyboard_bot).unwrap_or(0)
    }

    /// A notification's attachment (`im.notify.*` take no keyboard or
    /// menu): the list portals keep, as JSON text; `None` when not given.
    pub fn attach_only(&self) -> Result<Option<String>, ApiError> {
        let Some(a) = self.attach.filter(|v| !is_empty(v)) else {
            return Ok(None);
        };
        let one = parts::attach(a, Timestamp::now().0).map_err(|e| error(e, false))?;
        Ok(Some(Value::Array(vec![one]).to_string()))
    }

    /// The parts of a new message, checked in the portal's order (`ATTACH`,
    /// `KEYBOARD`, `MENU`); empty values are no part.
    pub fn for_new(&self, bot: i64) -> Result<Option<String>, ApiError> {
        let bot = self.bot(bot);
        self.for_new_at(bot, bot)
    }

    /// [`Given::for_new`] with the keyboard's commands run at `keyboard_bot`
    /// and the menu's at `menu_bot` (`imbot.command.answer`: the command's
    /// bot, and `BOT_ID`).
    pub fn for_new_at(&self, keyboard_bot: i64, menu_bot: i64) -> Result<Option<String>, ApiError> {
        let given = |v: Option<&'a Value>| v.filter(|v| !is_empty(v));
        let mut change = ParamsChange::default();
        if let Some(a) = given(self.attach) {
            let one = parts::attach(a, Timestamp::now().0).map_err(|e| error(e, false))?;
            change.attach = Change::Set(Value::Array(vec![one]));
        }
        if let Some(k) = given(self.keyboard) {
            change.keyboard =
                Change::Set(parts::keyboard(k, keyboard_bot).map_err(|e| error(e, false))?);
        }
        if let Some(m) = given(self.menu) {
            change.menu = Change::Set(parts::menu(m, menu_bot).map_err(|e| error(e, false))?);
        }
        Ok(change.new_message())
    }

    /// What an update does to each part: a part not given is kept; one
    /// given empty or `"N"` is removed; else it replaces the old one.
    pub fn for_update(&self, bot: i64) -> Result<ParamsChange, ApiError> {
        let bot = self.bot(bot);
        let mut change = ParamsChange::default();
        if let Some(a) = update_of(self.attach) {
            change.attach = match a {
                None => Change::Remove,
                Some(a) => Change::Set(Value::Array(vec![
                    parts::attach(a, Timestamp::now().0).map_err(|e| error(e, true))?
                ])),
            };
        }
        if let Some(k) = update_of(self.keyboard) {
            change.keyboard = match k {
                None => Change::Remove,
                Some(k) => Change::Set(parts::keyboard(k, bot).map_err(|e| error(e, true))?),
            };
        }
        if let Some(m) = update_of(self.menu) {
            change.menu = match m {
                None => Change::Remove,
                Some(m) => Change::Set(parts::menu(m, bot).map_err(|e| error(e, true))?),
            };
        }
        Ok(change)
    }
}

/// The pages' error for a refused part. On the update methods portals
/// spell the menu's code `menu_ERROR`.
fn error(e: ParamError, update: bool) -> ApiError {
    let (code, text) = match e {
        ParamError::Keyboard => ("KEYBOARD_ERROR", "Incorrect keyboard params"),
        ParamError::KeyboardOversize => (
            "KEYBOARD_OVERSIZE",
            "You have exceeded the maximum allowable size of keyboard",
        ),
        ParamError::Menu if update => ("menu_ERROR", "Incorrect menu params"),
        ParamError::Menu => ("MENU_ERROR", "Incorrect menu params"),
        ParamError::MenuOversize => (
            "MENU_OVERSIZE",
            "You have exceeded the maximum allowable size of menu",
        ),
        ParamError::Attach => ("ATTACH_ERROR", "Incorrect attach params"),
        ParamError::AttachOversize => (
            "ATTACH_OVERSIZE",
            "You have exceeded the maximum allowable size of attach",
        ),
    };
    ApiError::param(code, text)
}
