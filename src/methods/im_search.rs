//! `im.search.*`: docs api-reference/chats/search/.

use serde_json::Value;

use super::ctx::Ctx;
use super::im_department::{department, heads_of, paged, user_data};
use crate::domain::cases;
use crate::domain::departments::Department;
use crate::protocol::envelope::Reply;
use crate::protocol::error::ApiError;
use crate::protocol::params::Params;

fn find_short() -> ApiError {
    ApiError::param("FIND_SHORT", "Too short a search phrase.")
}

/// `im.search.department.list`: docs .../im-search-department-list.md.
/// Departments with a word of their full name starting with `FIND`; a
/// phrase under two characters lists every department, none at all is
/// `FIND_SHORT`. In id order, `OFFSET`/`LIMIT` (10, at most 50).
pub async fn department_list(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let find = p.str("FIND").ok_or_else(find_short)?;
    let structure = cases::departments::structure(cx.store(), cx.user()).await?;
    let found: Vec<&Department> = structure.search(&find);
    let heads = heads_of(cx, &found, user_data(p)).await?;
    let items: Vec<Value> = found
        .iter()
        .map(|d| department(d, &structure, heads.as_deref()))
        .collect();
    Ok(paged(items, p))
}
