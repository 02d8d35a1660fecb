//! Department use cases (`department.*`, `im.department.*`,
//! `im.search.department.list`).

use crate::domain::departments::{
    check_name, sort_given, Department, DepartmentChange, DepartmentError, Listing, NewDepartment,
    Structure, DEFAULT_SORT,
};
use crate::domain::store::Store;
use crate::domain::users::User;
use crate::domain::{Error, UserId};

/// The caller, who must be a person: the structure is not for bots (the
/// pages: "any intranet user, except bots").
async fn person(store: &dyn Store, caller: UserId) -> Result<User, Error> {
    match store.user(caller).await? {
        Some(u) if !u.bot => Ok(u),
        _ => Err(Error::IntranetOnly),
    }
}

/// The structure, for a person.
pub async fn structure(store: &dyn Store, caller: UserId) -> Result<Structure, Error> {
    person(store, caller).await?;
    Ok(store.departments().await?)
}

/// The heads of `departments` as users, for `USER_DATA=Y` answers.
pub async fn users(store: &dyn Store, ids: Vec<UserId>) -> Result<Vec<User>, Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(store.users(ids).await?)
}

/// `im.department.employees.get`: the people placed in each of `ids` that
/// exists, in id order.
pub async fn employees(
    store: &dyn Store,
    caller: UserId,
    ids: &[i64],
) -> Result<Vec<(i64, Vec<User>)>, Error> {
    let structure = structure(store, caller).await?;
    let known: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| structure.get(*id).is_some())
        .collect();
    let members = if known.is_empty() {
        Vec::new()
    } else {
        store.department_members(known.clone()).await?
    };
    Ok(known
        .into_iter()
        .map(|id| {
            let inside = members
                .iter()
                .filter(|u| u.departments.contains(&id))
                .cloned()
                .collect();
            (id, inside)
        })
        .collect())
}

/// `im.department.colleagues.list`: the people who share a department with
/// the caller and, for a head, everyone in the departments they head and
/// below, and the heads above them ("subordinates and all managers");
/// never the caller; in id order.
pub async fn colleagues(store: &dyn Store, caller: UserId) -> Result<Vec<User>, Error> {
    let me = person(store, caller).await?;
    let structure = store.departments().await?;
    let mut departments: Vec<i64> = me.departments.clone();
    let headed: Vec<&Department> = structure
        .0
        .iter()
        .filter(|d| d.head == Some(caller))
        .collect();
    for d in &headed {
        departments.push(d.id);
        departments.extend(structure.below(d.id));
    }
    departments.sort_unstable();
    departments.dedup();
    let mut people = store.department_members(departments).await?;
    // The heads of the caller's departments and of those above them.
    let mut heads: Vec<UserId> = me
        .departments
        .iter()
        .flat_map(|d| structure.chain(*d))
        .filter_map(|d| d.head)
        .collect();
    heads.retain(|h| !people.iter().any(|p| p.id == *h));
    if !heads.is_empty() {
        people.extend(
            store
                .users(heads)
                .await?
                .into_iter()
                .filter(|u| !u.bot && u.active),
        );
    }
    people.retain(|u| u.id != caller);
    people.sort_by_key(|u| u.id);
    people.dedup_by_key(|u| u.id);
    Ok(people)
}

/// The departments whose name holds `text` (ignoring case): `user.search`'s
/// `UF_DEPARTMENT_NAME`. Nothing for an empty text.
pub async fn named(store: &dyn Store, text: &str) -> Result<Vec<i64>, Error> {
    let text = text.trim().to_lowercase();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    Ok(store
        .departments()
        .await?
        .0
        .iter()
        .filter(|d| d.name.to_lowercase().contains(&text))
        .map(|d| d.id)
        .collect())
}

/// `department.get`: the departments `listing` asks for, for any caller
/// (the page: "any user can read the company structure").
pub async fn list(store: &dyn Store, listing: &Listing) -> Result<Vec<Department>, Error> {
    let structure = store.departments().await?;
    Ok(structure.list(listing).into_iter().cloned().collect())
}

/// Only administrators change the structure (the only "may change the
/// structure" role b24im has).
async fn structure_admin(store: &dyn Store, caller: UserId) -> Result<(), Error> {
    match store.user(caller).await? {
        Some(u) if u.admin && !u.bot => Ok(()),
        _ => Err(DepartmentError::AccessDenied.into()),
    }
}

/// `department.add`: the new department's id. The caller's right comes
/// first, then the name, then the parent and head (the portal's order).
pub async fn add(
    store: &dyn Store,
    caller: UserId,
    name: &str,
    parent: i64,
    sort: Option<i64>,
    head: Option<UserId>,
) -> Result<i64, Error> {
    structure_admin(store, caller).await?;
    let new = NewDepartment {
        name: check_name(name)?,
        parent,
        head,
        sort: sort_given(sort).unwrap_or(DEFAULT_SORT),
    };
    Ok(store.add_department(new).await?.into_result()?)
}

/// `department.update`: `change.name`, if any, is checked here.
pub async fn change(
    store: &dyn Store,
    caller: UserId,
    id: i64,
    mut change: DepartmentChange,
) -> Result<(), Error> {
    structure_admin(store, caller).await?;
    if id <= 0 {
        return Err(DepartmentError::NotFound.into());
    }
    change.name = match change.name.as_deref().map(check_name).transpose() {
        Ok(name) => name,
        // A department that does not exist is the first thing to say.
        Err(e) if store.departments().await?.get(id).is_some() => return Err(e.into()),
        Err(_) => return Err(DepartmentError::NotFound.into()),
    };
    change.sort = sort_given(change.sort);
    store.change_department(id, change).await?.into_result()?;
    Ok(())
}

/// `department.delete`.
pub async fn delete(store: &dyn Store, caller: UserId, id: i64) -> Result<(), Error> {
    structure_admin(store, caller).await?;
    if id <= 0 {
        return Err(DepartmentError::NotFound.into());
    }
    store.delete_department(id).await?.into_result()?;
    Ok(())
}
