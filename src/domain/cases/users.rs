//! User use cases: one user as a caller may see it, and `user.get` pages.

use crate::domain::store::Store;
use crate::domain::user_query::*;
use crate::domain::users::*;
use crate::domain::{Error, UserId};

/// `im.user.get`: the caller itself when `id` is `None`.
pub async fn get(store: &dyn Store, caller: UserId, id: Option<UserId>) -> Result<User, Error> {
    store
        .user(id.unwrap_or(caller))
        .await?
        .ok_or(Error::UserNotExists)
}

/// `user.get`: one page of the users matching `query` (bots excluded, as in
/// Bitrix24; b24im has none yet).
pub async fn list(store: &dyn Store, query: UserQuery) -> Result<UserPage, Error> {
    Ok(store.find_users(query).await?)
}
