//! Recent-list use cases: a page of the caller's chats by their last
//! message, and the caller's own marks on them (pin, hide, unread).

use super::chats::dialog_chat;
use crate::domain::store::{RecentEntry, RecentMark, RecentQuery, Store};
use crate::domain::users::User;
use crate::domain::{DialogRef, Error, UserId};

/// One page of the recent list and the users it names (the other side of
/// each private dialog, the author of each last message).
pub struct RecentPage {
    pub entries: Vec<RecentEntry>,
    pub users: Vec<User>,
    pub has_more: bool,
}

/// `im.recent.list`: a page for `caller`.
pub async fn list(
    store: &dyn Store,
    caller: UserId,
    query: RecentQuery,
) -> Result<RecentPage, Error> {
    let mut entries = store.recent(caller, query).await?;
    let has_more = entries.len() as i64 > query.limit;
    entries.truncate(query.limit.max(0) as usize);
    let ids: Vec<UserId> = entries
        .iter()
        .flat_map(|e| [e.other, e.message.author])
        .flatten()
        .collect();
    let users = store.users(ids).await?;
    Ok(RecentPage {
        entries,
        users,
        has_more,
    })
}

/// `im.recent.pin`, `.hide`, `.unread`: `false` when the caller has no chat
/// in the dialog.
pub async fn mark(
    store: &dyn Store,
    caller: UserId,
    dialog: DialogRef,
    mark: RecentMark,
) -> Result<bool, Error> {
    let chat = match dialog_chat(store, caller, dialog).await {
        Ok(Some(chat)) => chat,
        Ok(None) | Err(Error::NoDialogAccess) => return Ok(false),
        Err(e) => return Err(e),
    };
    Ok(store.mark_recent(chat, caller, mark).await?)
}
