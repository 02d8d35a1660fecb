//! Bot use cases: register (v1, v2), resolve a caller's bot, update, unregister, commands.

use crate::domain::bots::*;
use crate::domain::store::{BotCreated, CommandRun, Store};
use crate::domain::{Error, Timestamp, UserId};

/// `imbot.register`: the new bot's id, or the existing one's when the
/// application registers a code it already has.
pub async fn register(store: &dyn Store, new: NewBot, now: Timestamp) -> Result<UserId, Error> {
    match store.create_bot(new, MAX_BOTS_PER_APP, now).await? {
        BotCreated::New(id) | BotCreated::Existing(id) => Ok(id),
        BotCreated::LimitReached => Err(BotError::TooMany.into()),
        // Only v2 registrations are refused for another application's code.
        BotCreated::CodeTaken => Err(BotV2Error::CodeTaken.into()),
    }
}

/// The bot an `imbot.*` call acts as: `BOT_ID`, or the application's first
/// bot when it is not given.
pub async fn resolve(
    store: &dyn Store,
    client_id: Option<&str>,
    bot_id: Option<UserId>,
) -> Result<Bot, Error> {
    let client_id = client_id
        .filter(|c| !c.trim().is_empty())
        .ok_or(BotError::NoClientId)?;
    let bot = match bot_id {
        Some(id) => store.bot(id).await?.ok_or(BotError::NotFound)?,
        None => store
            .bots_of(client_id.to_owned())
            .await?
            .into_iter()
            .next()
            .ok_or(BotError::NotFound)?,
    };
    if bot.client_id != client_id {
        return Err(BotError::OtherApp.into());
    }
    Ok(bot)
}

/// `imbot.update`: one atomic step: the bot is read, changed and written in
/// one transaction (locked on PostgreSQL), so concurrent updates never write
/// each other's stale fields back, and a code another bot of the application
/// holds is refused (`CODE_ERROR`), never a unique-key failure.
pub async fn update(store: &dyn Store, bot: &Bot, c: BotChanges) -> Result<(), Error> {
    let change: BotChange = std::sync::Arc::new(move |current| apply_changes(current, &c));
    match store.update_bot(bot.id, change).await? {
        BotUpdated::Done => Ok(()),
        BotUpdated::NotFound => Err(BotError::NotFound.into()),
        BotUpdated::CodeTaken => Err(BotError::CodeTaken.into()),
        BotUpdated::TokenTaken => Err(BotError::CodeTaken.into()),
        BotUpdated::Refused(e) => Err(e.into()),
    }
}

/// `imbot.v2.Bot.update`: the changes applied to the bot as it is at that
/// moment, in one transaction. `Ok(false)`: a new botToken another bot has.
pub async fn update_v2(store: &dyn Store, bot: &Bot, c: BotV2Changes) -> Result<bool, Error> {
    let change: BotChange = std::sync::Arc::new(move |current| Ok(c.apply(current)));
    match store.update_bot(bot.id, change).await? {
        BotUpdated::Done => Ok(true),
        BotUpdated::TokenTaken => Ok(false),
        BotUpdated::NotFound => Err(BotV2Error::NotFound.into()),
        BotUpdated::CodeTaken => Err(BotV2Error::CodeTaken.into()),
        BotUpdated::Refused(e) => Err(e.into()),
    }
}

/// `imbot.unregister`: removes the bot from its chats, deactivates its user,
/// and tells its `EVENT_BOT_DELETE` handler (in the same transaction).
pub async fn unregister(store: &dyn Store, bot: &Bot, now: Timestamp) -> Result<(), Error> {
    if store.delete_bot(bot.id, now).await? {
        Ok(())
    } else {
        Err(BotError::NotFound.into())
    }
}

/// The command `id`, if the caller's application owns it.
pub async fn own_command(
    store: &dyn Store,
    client_id: Option<&str>,
    id: i64,
) -> Result<Command, Error> {
    let client_id = client_id
        .filter(|c| !c.trim().is_empty())
        .ok_or(BotError::NoClientId)?;
    let command = store.command(id).await?.ok_or(CommandError::NotFound)?;
    if command.client_id != client_id {
        return Err(CommandError::OtherApp.into());
    }
    Ok(command)
}

/// `imbot.v2.Bot.register`: idempotent per application and code.
pub async fn register_v2(store: &dyn Store, new: NewBot, now: Timestamp) -> Result<Bot, Error> {
    let id = match store.create_bot(new, MAX_V2_BOTS_PER_APP, now).await? {
        BotCreated::New(id) | BotCreated::Existing(id) => id,
        BotCreated::LimitReached => return Err(BotV2Error::LimitExceeded.into()),
        BotCreated::CodeTaken => return Err(BotV2Error::CodeTaken.into()),
    };
    store
        .bot(id)
        .await?
        .ok_or_else(|| Error::from(BotV2Error::NotFound))
}

/// The bot a v2 call acts as, checked against the caller's application or
/// the `botToken` it registered with. v1 bots are visible to v2 methods of
/// their own application.
pub async fn resolve_v2(
    store: &dyn Store,
    caller_client: Option<&str>,
    bot_token: Option<&str>,
    bot_id: Option<UserId>,
) -> Result<Bot, Error> {
    let id = bot_id.ok_or(BotV2Error::IdRequired)?;
    let app = v2_app(caller_client, bot_token)?;
    let bot = store.bot(id).await?.ok_or(BotV2Error::NotFound)?;
    let by_token = caller_client.is_none_or(str::is_empty);
    let owned = if by_token {
        let given = bot_token.map(|t| token_hash(t.trim()));
        bot.v2
            .as_ref()
            .and_then(|v| v.token_hash.clone())
            .is_some_and(|h| Some(h) == given)
    } else {
        bot.client_id == app
    };
    if owned {
        Ok(bot)
    } else {
        Err(BotV2Error::Ownership.into())
    }
}

/// `im.message.command`: `caller` runs `bot`'s `command` on `message`.
pub async fn run_command(
    store: &dyn Store,
    caller: UserId,
    message: crate::domain::MessageId,
    bot: UserId,
    command: String,
    args: String,
) -> Result<(), Error> {
    match store
        .run_command(message, caller, bot, command, args, Timestamp::now())
        .await?
    {
        CommandRun::Done => Ok(()),
        CommandRun::NoMessage => Err(Error::CommandMessage),
        // Portals answer `true` and send nothing.
        CommandRun::NoCommand => Ok(()),
    }
}

/// A command's answer to `message` in `chat`: posted as the bot where it
/// is a member, else (a `COMMON` command used elsewhere) as a system message
/// that names it, as the pages say. `None` when neither may be.
pub async fn answer_command(
    store: &dyn Store,
    command: &Command,
    message: crate::domain::MessageId,
    chat: crate::domain::ChatId,
    text: &str,
    params: Option<String>,
) -> Result<Option<crate::domain::MessageId>, Error> {
    match super::messages::post(
        store,
        command.bot,
        crate::domain::DialogRef::Chat(chat),
        text,
        params.clone(),
    )
    .await
    {
        Ok(id) => Ok(Some(id)),
        Err(Error::Store(e)) => Err(Error::Store(e)),
        Err(_) => Ok(store
            .answer_as_system(
                message,
                command.id,
                text.to_owned(),
                params,
                Timestamp::now(),
            )
            .await?),
    }
}
