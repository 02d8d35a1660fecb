//! User use cases: one user as a caller may see it, and `user.get` pages.

use crate::domain::store::Store;
use crate::domain::user_query::*;
use crate::domain::users::*;
use crate::domain::{Error, Timestamp, UserId};

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

/// `im.user.status.set`: the caller's own status.
pub async fn set_status(
    store: &dyn Store,
    caller: UserId,
    status: UserStatus,
) -> Result<(), Error> {
    if store.set_user_status(caller, status).await? {
        Ok(())
    } else {
        Err(Error::UserNotExists)
    }
}

/// `im.user.status.idle.start` (away since `ago_minutes` ago, at least one;
/// 10 when not given) and `.idle.end` (`None`).
pub async fn set_idle(
    store: &dyn Store,
    caller: UserId,
    ago_minutes: Option<i64>,
    now: Timestamp,
) -> Result<(), Error> {
    let since = ago_minutes.map(|m| Timestamp(now.0 - m.max(1) * 60));
    if store.set_user_idle(caller, since).await? {
        Ok(())
    } else {
        Err(Error::UserNotExists)
    }
}

/// `im.user.list.get`: those of `ids` that exist, in ascending id order.
pub async fn list_by_id(store: &dyn Store, ids: Vec<UserId>) -> Result<Vec<User>, Error> {
    Ok(store.users(ids).await?)
}

/// An administrator, or `CannotManageUsers`.
async fn admin(store: &dyn Store, caller: UserId) -> Result<(), Error> {
    match store.user(caller).await? {
        Some(u) if u.admin && !u.bot => Ok(()),
        _ => Err(Error::CannotManageUsers),
    }
}

fn saved(outcome: UserSaved) -> Result<UserId, Error> {
    match outcome {
        UserSaved::Saved(id) => Ok(id),
        UserSaved::EmailTaken => Err(Error::EmailTaken),
        UserSaved::NoUser => Err(Error::CannotManageUsers),
        UserSaved::NoDepartment => Err(Error::NoDepartment),
    }
}

/// `user.add`: an administrator invites a person; the new id.
pub async fn add(
    store: &dyn Store,
    caller: UserId,
    new: NewUser,
    now: Timestamp,
) -> Result<UserId, Error> {
    admin(store, caller).await?;
    saved(store.add_user(new, now).await?)
}

/// `user.update`: an administrator changes a person.
pub async fn update(
    store: &dyn Store,
    caller: UserId,
    id: UserId,
    change: UserChange,
) -> Result<(), Error> {
    admin(store, caller).await?;
    saved(store.update_user(id, change).await?).map(|_| ())
}
