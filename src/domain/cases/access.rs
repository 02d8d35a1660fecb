//! What `user.access` and `access.name` read: the caller, the users a list
//! of access codes names, and the company structure.

use crate::domain::departments::Structure;
use crate::domain::store::Store;
use crate::domain::users::User;
use crate::domain::{Error, UserId};

/// The caller (who must exist) and the structure.
pub async fn caller(store: &dyn Store, caller: UserId) -> Result<(User, Structure), Error> {
    let user = store.user(caller).await?.ok_or(Error::UserNotExists)?;
    Ok((user, store.departments().await?))
}

/// The users among `ids` that exist, and the structure.
pub async fn named(store: &dyn Store, ids: Vec<UserId>) -> Result<(Vec<User>, Structure), Error> {
    let users = if ids.is_empty() {
        Vec::new()
    } else {
        store.users(ids).await?
    };
    Ok((users, store.departments().await?))
}
