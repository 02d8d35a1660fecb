//! Who hears about a change: which bots, at which handler, in which form,
//! and which subscribed users. Pure rules over what the change's transaction
//! found (the bots in the chat, the message's author, the registrations);
//! the store calls them inside that transaction and writes what they say.

use super::bots::{mentions, Bot, BotType, EventMode};
use super::chats::ChatKind;
use super::credentials::Scopes;
use super::events::EventKind;
use super::UserId;

/// Where one event for one bot goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery<'a> {
    /// POSTed to this URL (through the outbox), as `kind`.
    Post { kind: EventKind, handler: &'a str },
    /// Kept in the bot's queue for `imbot.v2.Event.get` (a fetch-mode v2 bot).
    Queue { kind: EventKind },
}

/// How `kind` reaches `bot` when the change names `handler` (one of the
/// bot's v1 handlers): a v1 bot hears v1 events only, at that handler, and
/// nothing when it is empty; a v2 bot hears the v2 form of every event, at
/// its webhook or in its fetch queue.
pub fn delivery<'a>(bot: &'a Bot, kind: EventKind, handler: &'a str) -> Option<Delivery<'a>> {
    let (kind, handler) = match &bot.v2 {
        None if kind.is_v2() => return None,
        None => (kind, handler),
        Some(v2) if v2.event_mode == EventMode::Fetch => {
            return Some(Delivery::Queue { kind: kind.v2() })
        }
        Some(v2) => (kind.v2(), v2.webhook_url.as_str()),
    };
    (!handler.is_empty()).then_some(Delivery::Post { kind, handler })
}

/// The bots of a chat of `kind` that a new message from `author` reaches:
/// in a private dialog, the bot in it; in a group chat, supervisor and
/// personal bots, and the bots the text mentions (`[USER=id]`); never the
/// author itself, and nobody for system messages (no author).
pub fn message_add_audience(
    kind: ChatKind,
    author: Option<UserId>,
    text: &str,
    bots: &[(UserId, BotType)],
) -> Vec<UserId> {
    let Some(author) = author else {
        return Vec::new(); // system messages reach no bot
    };
    let mentioned = mentions(text);
    bots.iter()
        .filter(|(id, _)| *id != author)
        .filter(|(id, kind_of_bot)| {
            kind == ChatKind::Private
                || matches!(kind_of_bot, BotType::Supervisor | BotType::Personal)
                || mentioned.contains(id)
        })
        .map(|(id, _)| *id)
        .collect()
}

/// The bots of `bots` (the members of a chat of `chat_kind`) that hear of a
/// message event of `kind` (posted, edited, deleted) by `author`, each with
/// the handler it names: the message's audience, less the bots that got the
/// message as a command (`commanded`); edits and deletions only where the
/// bot takes them ([`Bot::gets_edits`]; a v2 bot takes everything).
pub fn message_hearers<'a>(
    kind: EventKind,
    chat_kind: ChatKind,
    author: UserId,
    text: &str,
    bots: &'a [Bot],
    commanded: &[UserId],
) -> Vec<(&'a Bot, &'a str)> {
    let bots: Vec<&Bot> = bots.iter().filter(|b| !commanded.contains(&b.id)).collect();
    let pairs: Vec<(UserId, BotType)> = bots.iter().map(|b| (b.id, b.kind)).collect();
    let audience = message_add_audience(chat_kind, Some(author), text, &pairs);
    bots.into_iter()
        .filter(|b| audience.contains(&b.id))
        .filter_map(|bot| {
            let handler = match kind {
                EventKind::BotMessageAdd => &bot.handlers.message_add,
                _ if bot.v2.is_some() => &bot.handlers.message_add,
                EventKind::BotMessageUpdate if bot.gets_edits() => &bot.handlers.message_update,
                EventKind::BotMessageDelete if bot.gets_edits() => &bot.handlers.message_delete,
                _ => return None,
            };
            Some((bot, handler.as_str()))
        })
        .collect()
}

/// Whether the author of a message hears that `reacting` changed a reaction
/// on it: a v2 bot that enabled reaction events, and not its own reaction.
pub fn author_hears_reaction(author: UserId, reacting: UserId, author_enabled: bool) -> bool {
    author != reacting && author_enabled
}

/// Whether an `event.bind` handler registered with `scopes` hears `kind`: a
/// binding made by a credential without the event's scope (before event.bind
/// checked it) hears nothing.
pub fn binding_hears(scopes: &Scopes, kind: EventKind) -> bool {
    scopes.contains(kind.scope())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::bots::{Handlers, V2};
    use crate::domain::Timestamp;

    fn bot(id: i64, kind: BotType) -> Bot {
        Bot {
            id: UserId(id),
            code: format!("bot{id}"),
            client_id: "app".into(),
            kind,
            openline: false,
            owner: UserId(1),
            scopes: Scopes::all(),
            handlers: Handlers {
                message_add: "https://h/add".into(),
                message_update: "https://h/update".into(),
                message_delete: "https://h/delete".into(),
                welcome: "https://h/welcome".into(),
                bot_delete: String::new(),
            },
            first_name: "Bot".into(),
            last_name: String::new(),
            work_position: String::new(),
            created_at: Timestamp(0),
            v2: None,
        }
    }

    fn v2(mut b: Bot, mode: EventMode) -> Bot {
        b.v2 = Some(V2 {
            event_mode: mode,
            webhook_url: "https://h/v2".into(),
            reactions_enabled: true,
            token_hash: None,
        });
        b
    }

    #[test]
    fn audience_follows_the_bot_types() {
        let bots = [(UserId(5), BotType::Bot), (UserId(6), BotType::Supervisor)];
        let group = |text| message_add_audience(ChatKind::Closed, Some(UserId(1)), text, &bots);
        assert_eq!(group("hello"), [UserId(6)]);
        assert_eq!(group("[USER=5]Bot[/USER] hi"), [UserId(5), UserId(6)]);
        let private = message_add_audience(ChatKind::Private, Some(UserId(1)), "hi", &bots[..1]);
        assert_eq!(private, [UserId(5)]);
        // A bot's own message and system messages reach nobody.
        assert!(
            message_add_audience(ChatKind::Private, Some(UserId(5)), "hi", &bots[..1]).is_empty()
        );
        assert!(message_add_audience(ChatKind::Private, None, "hi", &bots[..1]).is_empty());
    }

    #[test]
    fn v1_bots_hear_v1_events_at_the_named_handler() {
        let b = bot(5, BotType::Bot);
        assert_eq!(
            delivery(&b, EventKind::BotMessageAdd, &b.handlers.message_add),
            Some(Delivery::Post {
                kind: EventKind::BotMessageAdd,
                handler: "https://h/add"
            })
        );
        assert_eq!(delivery(&b, EventKind::BotDelete, ""), None);
        assert_eq!(
            delivery(&b, EventKind::V2ReactionChange, "https://h/add"),
            None
        );
    }

    #[test]
    fn v2_bots_hear_the_v2_form_at_their_webhook_or_queue() {
        let hook = v2(bot(5, BotType::Bot), EventMode::Webhook);
        assert_eq!(
            delivery(&hook, EventKind::BotMessageAdd, ""),
            Some(Delivery::Post {
                kind: EventKind::BotMessageAdd.v2(),
                handler: "https://h/v2"
            })
        );
        let fetch = v2(bot(6, BotType::Bot), EventMode::Fetch);
        assert_eq!(
            delivery(&fetch, EventKind::BotJoinChat, "https://h/welcome"),
            Some(Delivery::Queue {
                kind: EventKind::BotJoinChat.v2()
            })
        );
    }

    #[test]
    fn edits_reach_only_bots_that_take_them_and_commands_replace_the_message() {
        let plain = bot(5, BotType::Bot);
        let mut openline = bot(6, BotType::Bot);
        openline.openline = true;
        let sup = bot(7, BotType::Supervisor);
        let bots = [plain, openline, sup];
        let ids = |v: Vec<(&Bot, &str)>| {
            v.iter()
                .map(|(b, h)| (b.id.0, h.to_string()))
                .collect::<Vec<_>>()
        };
        let text = "[USER=5]a[/USER] [USER=6]b[/USER]";
        let add = message_hearers(
            EventKind::BotMessageAdd,
            ChatKind::Open,
            UserId(1),
            text,
            &bots,
            &[],
        );
        assert_eq!(
            ids(add),
            [
                (5, "https://h/add".into()),
                (6, "https://h/add".into()),
                (7, "https://h/add".into())
            ]
        );
        let upd = message_hearers(
            EventKind::BotMessageUpdate,
            ChatKind::Open,
            UserId(1),
            text,
            &bots,
            &[],
        );
        assert_eq!(
            ids(upd),
            [
                (6, "https://h/update".into()),
                (7, "https://h/update".into())
            ]
        );
        let cmd = message_hearers(
            EventKind::BotMessageAdd,
            ChatKind::Open,
            UserId(1),
            text,
            &bots,
            &[UserId(7)],
        );
        assert_eq!(ids(cmd).len(), 2);
        // The author never hears its own message.
        let own = message_hearers(
            EventKind::BotMessageAdd,
            ChatKind::Open,
            UserId(7),
            "x",
            &bots,
            &[],
        );
        assert!(own.is_empty());
    }

    #[test]
    fn reactions_reach_the_author_bot_unless_it_reacted_itself() {
        assert!(author_hears_reaction(UserId(5), UserId(1), true));
        assert!(!author_hears_reaction(UserId(5), UserId(5), true));
        assert!(!author_hears_reaction(UserId(5), UserId(1), false));
    }

    #[test]
    fn bindings_hear_only_events_of_their_scopes() {
        let scopes = |s: &str| Scopes::parse(s).unwrap_or_default();
        assert!(binding_hears(&scopes("im"), EventKind::UserReactionChange));
        assert!(!binding_hears(&scopes("imbot"), EventKind::UserMessageAdd));
        assert!(binding_hears(
            &scopes("imbot,im"),
            EventKind::UserMessageAdd
        ));
    }
}
