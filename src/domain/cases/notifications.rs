//! Notification use cases (`im.notify.*`).

use crate::domain::notifications::*;
use crate::domain::store::Store;
use crate::domain::users::User;
use crate::domain::{Error, Timestamp, UserId};

/// `im.notify`, `.personal.add`, `.system.add`: the new notification's id,
/// or `None` when the recipient does not exist (portals answer `false`).
pub async fn send(
    store: &dyn Store,
    new: NewNotification,
    now: Timestamp,
) -> Result<Option<i64>, Error> {
    Ok(store.add_notification(new, now).await?)
}

/// A page of notifications with the users who wrote them.
pub async fn page(store: &dyn Store, query: NotifyQuery) -> Result<(NotifyPage, Vec<User>), Error> {
    let page = store.notifications(query).await?;
    let mut authors: Vec<UserId> = page.items.iter().filter_map(|n| n.author).collect();
    authors.sort_by_key(|u| u.0);
    authors.dedup();
    let users = if authors.is_empty() {
        Vec::new()
    } else {
        store.users(authors).await?
    };
    Ok((page, users))
}

/// `im.notify.read`, `.read.list`, `.read.all`: the unread count after.
pub async fn mark(
    store: &dyn Store,
    caller: UserId,
    scope: ReadScope,
    read: bool,
) -> Result<i64, Error> {
    Ok(store.mark_notifications(caller, scope, read).await?)
}

/// `im.notify.delete`: whether anything was deleted.
pub async fn delete(store: &dyn Store, caller: UserId, scope: DeleteScope) -> Result<bool, Error> {
    Ok(store.delete_notifications(caller, scope).await?)
}

/// The caller's unread notifications (`im.counters.get`'s `NOTIFY`).
pub async fn unread(store: &dyn Store, caller: UserId) -> Result<i64, Error> {
    Ok(store.unread_notifications(caller).await?)
}
