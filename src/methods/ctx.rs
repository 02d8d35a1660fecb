//! What a method is and what its handler is given: [`Ctx`] (the state, the
//! caller, and the method table, for `batch` and `methods`), [`Method`] and
//! its [`Scope`]. In a file of their own, so the handlers, the table that
//! names them (`table.rs`) and dispatch (`registry.rs`) need not import each
//! other.

use std::future::Future;
use std::pin::Pin;

use crate::protocol::auth::Caller;
use crate::protocol::envelope::Reply;
use crate::protocol::error::ApiError;
use crate::protocol::params::Params;
use crate::state::AppState;
use crate::store::Store;

/// Everything a method handler may use: the state, the caller, and the
/// methods it may call in turn (`batch`) or list (`methods`).
pub struct Ctx {
    pub state: AppState,
    pub caller: Caller,
    pub methods: &'static [Method],
}

impl Ctx {
    pub fn store(&self) -> &dyn Store {
        self.state.store.as_ref()
    }

    pub fn user(&self) -> crate::domain::UserId {
        self.caller.user
    }

    /// The application this call acts for: the access token's, else (a
    /// webhook, or a token of no application) the one the caller's user
    /// names `client_id`, which is that user's own
    /// ([`crate::domain::applications::webhook_app`]); `None` when neither
    /// names one.
    pub fn app(&self, client_id: Option<String>) -> Option<String> {
        match self.caller.client_id.as_deref().filter(|c| !c.is_empty()) {
            Some(app) => Some(app.to_owned()),
            None => client_id
                .filter(|c| !c.trim().is_empty())
                .map(|c| crate::domain::applications::webhook_app(self.user(), &c)),
        }
    }

    /// The application the caller acts for, a webhook user's unnamed one
    /// when it names none (what `event.bind` binds for).
    pub fn app_or_own(&self) -> String {
        self.app(None)
            .unwrap_or_else(|| crate::domain::applications::webhook_app(self.user(), ""))
    }

    /// Whether the caller is an administrator.
    pub async fn is_admin(&self) -> Result<bool, ApiError> {
        Ok(self
            .store()
            .user(self.user())
            .await?
            .is_some_and(|u| u.admin))
    }

    /// The same call made by `user` (a bot the caller's application owns),
    /// with the caller's scopes and limits: what `imbot.chat.*` runs the
    /// `im.chat.*` rules with.
    pub fn acting_as(&self, user: crate::domain::UserId) -> Ctx {
        let mut caller = self.caller.clone();
        caller.user = user;
        Ctx {
            state: self.state.clone(),
            caller,
            methods: self.methods,
        }
    }
}

pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Result<Reply, ApiError>> + Send + 'a>>;
pub type Handler = for<'a> fn(&'a Ctx, &'a Params) -> HandlerFuture<'a>;

/// Which scopes open a method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Open to every credential (Bitrix's `basic`).
    Basic,
    /// Open to a credential holding any of these scopes.
    AnyOf(&'static [&'static str]),
}

impl Scope {
    /// The scope a method is listed under by `methods?scope=...`.
    pub fn name(self) -> &'static str {
        match self {
            Scope::Basic => "basic",
            Scope::AnyOf(names) => names.first().copied().unwrap_or("basic"),
        }
    }

    pub fn allows(self, caller: &Caller) -> bool {
        match self {
            Scope::Basic => true,
            Scope::AnyOf(names) => names.iter().any(|n| caller.scopes.contains(n)),
        }
    }
}

pub struct Method {
    pub name: &'static str,
    pub scope: Scope,
    /// `false` for methods that may not run inside `batch`.
    pub batchable: bool,
    pub handler: Handler,
}
