//! `Ctx`: what a method handler is given (the state and the caller), in a
//! file of its own so the handlers and the method table that names them
//! need not import each other.

use crate::protocol::auth::Caller;
use crate::state::AppState;
use crate::store::Store;

/// Everything a method handler may use: the state and the caller.
pub struct Ctx {
    pub state: AppState,
    pub caller: Caller,
}

impl Ctx {
    pub fn store(&self) -> &dyn Store {
        self.state.store.as_ref()
    }

    pub fn user(&self) -> crate::domain::UserId {
        self.caller.user
    }
}
