//! The storage boundary's conformance story: the promises every `Store`
//! backend keeps, told once and run against each backend this machine has
//! (today the embedded SQLite; PostgreSQL joins here).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use b24im::domain::bots::{Handlers, NewBot};
use b24im::domain::chats::{ChatKind, NewChat};
use b24im::domain::credentials::Scopes;
use b24im::domain::events::DeliveryState;
use b24im::domain::reactions::{LikeAction, ReactionCode};
use b24im::domain::users::NewUser;
use b24im::domain::{Timestamp, UserId};
use b24im::store::sqlite::SqliteStore;
use b24im::store::{LikeOutcome, PostOutcome, Store};

async fn story(store: &dyn Store) {
    let now = Timestamp::now();
    let anna = store
        .create_user(NewUser::parse("Anna", "", false).unwrap(), now)
        .await
        .unwrap();
    let bob = store
        .create_user(NewUser::parse("Bob", "", false).unwrap(), now)
        .await
        .unwrap();
    let eve = store
        .create_user(NewUser::parse("Eve", "", false).unwrap(), now)
        .await
        .unwrap();
    let bot = store
        .create_bot(
            NewBot {
                code: "story".into(),
                client_id: "app".into(),
                kind: b24im::domain::bots::BotType::Supervisor,
                openline: false,
                owner: anna.id,
                scopes: Scopes::all(),
                handlers: Handlers {
                    message_add: "http://127.0.0.1:9/bot".into(),
                    welcome: "http://127.0.0.1:9/bot".into(),
                    bot_delete: "http://127.0.0.1:9/bot".into(),
                    ..Handlers::default()
                },
                first_name: "Story".into(),
                last_name: String::new(),
                work_position: String::new(),
                v2: None,
            },
            now,
        )
        .await
        .unwrap();

    // A chat with a supervisor bot: its welcome event is in the outbox with the chat.
    let chat = store
        .create_chat(NewChat {
            kind: ChatKind::Closed,
            owner: anna.id,
            users: vec![bob.id, bot, UserId(999_999)],
            title: Some("Story".into()),
            description: String::new(),
            color: None,
            entity_type: String::new(),
            entity_id: String::new(),
            first_message: None,
            created_at: now,
        })
        .await
        .unwrap();
    let members = store.chat(chat).await.unwrap().unwrap().members;
    assert_eq!(
        members,
        [anna.id, bob.id, bot],
        "unknown users are skipped, order is join order"
    );

    let PostOutcome::Posted(msg) = store
        .post_message(chat, bob.id, "hi".into(), now)
        .await
        .unwrap()
    else {
        panic!("a member posts");
    };
    assert_eq!(
        store
            .post_message(chat, eve.id, "x".into(), now)
            .await
            .unwrap(),
        PostOutcome::NotMember
    );

    // Likes: the unique key decides; outsiders see nothing.
    let like =
        |user: UserId, action| store.set_reaction(user, msg, ReactionCode::like(), action, now);
    assert_eq!(
        like(anna.id, LikeAction::Plus).await.unwrap(),
        LikeOutcome::Added
    );
    assert_eq!(
        like(anna.id, LikeAction::Plus).await.unwrap(),
        LikeOutcome::Unchanged
    );
    assert_eq!(
        like(anna.id, LikeAction::Auto).await.unwrap(),
        LikeOutcome::Removed
    );
    assert_eq!(
        like(anna.id, LikeAction::Minus).await.unwrap(),
        LikeOutcome::Unchanged
    );
    assert_eq!(
        like(eve.id, LikeAction::Plus).await.unwrap(),
        LikeOutcome::NotVisible
    );
    let fire = ReactionCode::parse("fire").unwrap();
    assert_eq!(
        store
            .set_reaction(bob.id, msg, fire, LikeAction::Plus, now)
            .await
            .unwrap(),
        LikeOutcome::Added,
        "other reactions live beside the like"
    );

    // The outbox: join + message for the supervisor, leased, retried, dead, replayed.
    let t = chrono::Utc::now().timestamp_millis();
    let claimed = store.claim_events(t, 60_000, 10).await.unwrap();
    let names: Vec<&str> = claimed.iter().map(|e| e.record.kind.name()).collect();
    assert_eq!(names, ["ONIMBOTJOINCHAT", "ONIMBOTMESSAGEADD"]);
    assert!(
        store.claim_events(t, 60_000, 10).await.unwrap().is_empty(),
        "leased"
    );
    assert_eq!(
        store
            .claim_events(t + 61_000, 60_000, 10)
            .await
            .unwrap()
            .len(),
        2,
        "a lapsed lease frees them"
    );
    store.event_delivered(claimed[0].id, t).await.unwrap();
    store
        .event_failed(claimed[1].id, "HTTP 500".into(), Some(t + 1_000))
        .await
        .unwrap();
    assert!(
        store
            .claim_events(t + 500, 60_000, 10)
            .await
            .unwrap()
            .is_empty(),
        "not due yet"
    );
    let again = store.claim_events(t + 1_000, 60_000, 10).await.unwrap();
    assert_eq!((again.len(), again[0].attempts), (1, 1));
    store
        .event_failed(again[0].id, "HTTP 500".into(), None)
        .await
        .unwrap();
    let dead = store.events(Some(DeliveryState::Dead), 10).await.unwrap();
    assert_eq!((dead.len(), dead[0].last_error.as_str()), (1, "HTTP 500"));
    assert_eq!(store.replay_events(Vec::new(), t).await.unwrap(), 1);
    assert_eq!(store.claim_events(t, 60_000, 10).await.unwrap().len(), 1);

    // A bot's removal writes its own event and leaves no member behind.
    assert!(store.delete_bot(bot, now).await.unwrap());
    assert!(!store.delete_bot(bot, now).await.unwrap());
    assert_eq!(
        store.chat(chat).await.unwrap().unwrap().members,
        [anna.id, bob.id]
    );
    let last = store.events(None, 1).await.unwrap();
    assert_eq!(last[0].record.kind.name(), "ONIMBOTDELETE");
}

#[tokio::test]
async fn sqlite_keeps_the_store_promises() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    story(&store).await;
}
