//! Search use cases (`im.search.*`).

use crate::domain::chats::Chat;
use crate::domain::departments::starts_a_word;
use crate::domain::search::{Find, Found, LastFilter, Pick};
use crate::domain::store::{ReadView, Store};
use crate::domain::users::User;
use crate::domain::{DialogRef, Error, Timestamp, UserId};

/// `im.search.user.list`: users whose first or last name has a word
/// starting with the phrase, or who are placed in a department whose name
/// has one.
pub async fn users(store: &dyn Store, find: Find) -> Result<Found<User>, Error> {
    let structure = store.departments().await?;
    let departments = structure
        .0
        .iter()
        .filter(|d| starts_a_word(&d.name, &find.phrase))
        .map(|d| d.id)
        .collect();
    Ok(store.search_users(find, departments).await?)
}

/// `im.search.chat.list`: the caller's group chats by title or member name.
pub async fn chats(
    store: &dyn Store,
    caller: UserId,
    find: Find,
) -> Result<Found<(Chat, Option<ReadView>)>, Error> {
    Ok(store.search_chats(caller, find).await?)
}

/// `im.search.last.add`: `false` for a dialog the caller cannot open.
pub async fn pick(store: &dyn Store, caller: UserId, dialog: DialogRef) -> Result<bool, Error> {
    Ok(store
        .add_search_pick(caller, dialog, Timestamp::now())
        .await?)
}

/// `im.search.last.delete`: whether there was such a pick.
pub async fn unpick(store: &dyn Store, caller: UserId, dialog: DialogRef) -> Result<bool, Error> {
    Ok(store.delete_search_pick(caller, dialog).await?)
}

/// `im.search.last.get`: the picks the filter keeps, newest first.
pub async fn picks(
    store: &dyn Store,
    caller: UserId,
    filter: LastFilter,
) -> Result<Vec<Pick>, Error> {
    Ok(store
        .search_picks(caller)
        .await?
        .into_iter()
        .filter(|p| {
            filter.keeps(&match p {
                Pick::Chat(c) => DialogRef::Chat(c.id),
                Pick::User(u) => DialogRef::User(u.id),
            })
        })
        .collect())
}
