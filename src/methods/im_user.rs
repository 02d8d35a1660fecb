//! `im.user.*`: docs api-reference/chats/users/.

use super::ctx::Ctx;
use super::views;
use crate::domain::cases;
use crate::domain::UserId;
use crate::protocol::envelope::Reply;
use crate::protocol::error::ApiError;
use crate::protocol::params::Params;

/// `im.user.get`: docs api-reference/chats/users/im-user-get.md
pub async fn get(cx: &Ctx, p: &Params) -> Result<Reply, ApiError> {
    let id = match p.intval("ID") {
        None => None,
        Some(n) if n > 0 => Some(UserId(n)),
        Some(_) => return Err(ApiError::param("ID_EMPTY", "User ID can't be empty")),
    };
    let user = cases::users::get(cx.store(), cx.user(), id).await?;
    Ok(Reply::value(views::user(&user)))
}
