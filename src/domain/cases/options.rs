//! Option use cases (`app.option.*`, `user.option.*`): an application's
//! options, and its options for one user.

use crate::domain::options::{OptionEntry, OptionsOwner};
use crate::domain::store::Store;
use crate::domain::{Error, UserId};

/// The owner's options in the order they were first set; only `name`'s
/// when given (none when it is unknown).
pub async fn get(
    store: &dyn Store,
    owner: OptionsOwner,
    name: Option<String>,
) -> Result<Vec<OptionEntry>, Error> {
    Ok(store.options(owner, name).await?)
}

/// `app.option.set`: the application's options, which only an
/// administrator changes (they are shared by all its users).
pub async fn set_app(
    store: &dyn Store,
    client_id: String,
    caller: UserId,
    options: Vec<OptionEntry>,
) -> Result<(), Error> {
    if !store.user(caller).await?.is_some_and(|u| u.admin) {
        return Err(Error::AdministratorRequired);
    }
    Ok(store
        .set_options(OptionsOwner::App(client_id), options)
        .await?)
}

/// `user.option.set`: the caller's own options in the application.
pub async fn set_user(
    store: &dyn Store,
    client_id: String,
    caller: UserId,
    options: Vec<OptionEntry>,
) -> Result<(), Error> {
    Ok(store
        .set_options(OptionsOwner::User(client_id, caller), options)
        .await?)
}
