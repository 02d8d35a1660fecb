//! `user.userfield.*` use cases: only administrators see or change the
//! portal's custom user fields.

use crate::domain::store::Store;
use crate::domain::user_fields::{FieldAdded, UserFieldDef, UserFieldError};
use crate::domain::{Error, UserId};

/// An administrator, or the portal's `Access denied.`.
pub async fn admin(store: &dyn Store, caller: UserId) -> Result<(), Error> {
    match store.user(caller).await? {
        Some(u) if u.admin && !u.bot => Ok(()),
        _ => Err(UserFieldError::AccessDenied.into()),
    }
}

/// Every `UF_USR_*` field (`user.userfield.list`, by id).
pub async fn list(store: &dyn Store, caller: UserId) -> Result<Vec<UserFieldDef>, Error> {
    admin(store, caller).await?;
    Ok(store.user_fields().await?)
}

/// One field for `update`/`delete`: `Access denied.` when there is none.
pub async fn one(store: &dyn Store, caller: UserId, id: i64) -> Result<UserFieldDef, Error> {
    admin(store, caller).await?;
    if id <= 0 {
        return Err(UserFieldError::IdInvalid.into());
    }
    store
        .user_fields()
        .await?
        .into_iter()
        .find(|f| f.id == id)
        .ok_or_else(|| UserFieldError::AccessDenied.into())
}

/// `user.userfield.add`: the new field's id.
pub async fn add(store: &dyn Store, caller: UserId, def: UserFieldDef) -> Result<i64, Error> {
    admin(store, caller).await?;
    let name = def.field_name.clone();
    match store.add_user_field(def).await? {
        FieldAdded::Added(id) => Ok(id),
        FieldAdded::Exists => Err(UserFieldError::Exists(name).into()),
    }
}

/// `user.userfield.update`: `def` replaces the stored field (its list
/// items with ids updated, those without added, the others removed).
pub async fn update(store: &dyn Store, caller: UserId, def: UserFieldDef) -> Result<(), Error> {
    admin(store, caller).await?;
    if store.update_user_field(def).await? {
        Ok(())
    } else {
        Err(UserFieldError::AccessDenied.into())
    }
}

/// `user.userfield.delete`: the field, its items and every user's value.
pub async fn delete(store: &dyn Store, caller: UserId, id: i64) -> Result<(), Error> {
    one(store, caller, id).await?;
    if store.delete_user_field(id).await? {
        Ok(())
    } else {
        Err(UserFieldError::AccessDenied.into())
    }
}
