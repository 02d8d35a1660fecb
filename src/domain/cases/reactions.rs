//! Reaction use cases: the like (`plus`/`minus`/`auto`) and the other reactions.

use crate::domain::reactions::*;
use crate::domain::store::{LikeOutcome, Store};
use crate::domain::{Error, MessageId, Timestamp, UserId};

/// `imbot.v2.Chat.Message.Reaction.add` / `.delete`: sets (`on`) or removes
/// one reaction, atomically, in the same model as likes.
pub async fn react(
    store: &dyn Store,
    user: UserId,
    message: MessageId,
    code: &str,
    on: bool,
) -> Result<(), Error> {
    let code = ReactionCode::parse(code).ok_or(ReactionError::UnknownCode)?;
    let action = if on {
        LikeAction::Plus
    } else {
        LikeAction::Minus
    };
    match store
        .set_reaction(user, message, code, action, Timestamp::now())
        .await?
    {
        LikeOutcome::Added | LikeOutcome::Removed => Ok(()),
        LikeOutcome::Unchanged if on => Err(ReactionError::AlreadySet.into()),
        LikeOutcome::Unchanged => Err(ReactionError::NotSet.into()),
        LikeOutcome::NotVisible => Err(ReactionError::NotVisible.into()),
    }
}

/// `im.message.like`: one atomic store call. A message that does not exist or
/// that the caller cannot see answers exactly like an unchanged like, so the
/// answer never reveals it.
pub async fn like(
    store: &dyn Store,
    caller: UserId,
    message: MessageId,
    action: LikeAction,
) -> Result<LikeOutcome, Error> {
    match store
        .set_reaction(
            caller,
            message,
            ReactionCode::like(),
            action,
            Timestamp::now(),
        )
        .await?
    {
        LikeOutcome::Unchanged | LikeOutcome::NotVisible => Err(Error::WithoutChanges),
        changed => Ok(changed),
    }
}
