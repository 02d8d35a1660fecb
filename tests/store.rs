//! The storage boundary's conformance story: the promises every `Store`
//! backend keeps, told once and run against each backend this machine has:
//! the embedded SQLite always, PostgreSQL when reachable
//! (`B24IM_TEST_DATABASE_URL`, see `tests/api_postgres.rs`; otherwise the
//! PostgreSQL tests say they skipped and why).
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The helpers' default backend; these tests pick theirs explicitly.
const POSTGRES: bool = false;

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;
#[path = "api/watchdog.rs"]
#[allow(dead_code)]
mod watchdog;

use std::collections::HashSet;
use std::sync::Arc;

use helpers::TestData;

use b24im::domain::bots::{BotType, EventMode, Handlers, NewBot, V2};
use b24im::domain::chats::{ChatKind, NewChat};
use b24im::domain::credentials::Scopes;
use b24im::domain::events::{Attempt, DeliveryState, EventQuery};
use b24im::domain::reactions::{LikeAction, ReactionCode};
use b24im::domain::users::NewUser;
use b24im::domain::{Timestamp, UserId};
use b24im::store::{BotCreated, LikeOutcome, PostOutcome, Store};

/// A v1 bot of application `app` whose handlers all point at a closed port.
fn v1_bot(code: &str, kind: BotType, owner: UserId) -> NewBot {
    let handler = "http://127.0.0.1:9/bot".to_owned();
    NewBot {
        code: code.into(),
        client_id: "app".into(),
        kind,
        openline: false,
        owner,
        scopes: Scopes::all(),
        handlers: Handlers {
            message_add: handler.clone(),
            welcome: handler.clone(),
            bot_delete: handler,
            ..Handlers::default()
        },
        first_name: code.to_uppercase(),
        last_name: String::new(),
        work_position: String::new(),
        v2: None,
    }
}

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
    let BotCreated::New(bot) = store
        .create_bot(v1_bot("story", BotType::Supervisor, anna.id), 2, now)
        .await
        .unwrap()
    else {
        panic!("a first bot is new");
    };
    // The same application and code again: the same bot, no second user.
    let users = store.user_count().await.unwrap();
    let again = store
        .create_bot(v1_bot("story", BotType::Supervisor, anna.id), 2, now)
        .await
        .unwrap();
    assert_eq!(again, BotCreated::Existing(bot));
    assert_eq!(store.user_count().await.unwrap(), users);
    // A v2 registration of that code by another application: taken.
    let mut other = v1_bot("story", BotType::Bot, anna.id);
    other.client_id = "other-app".into();
    other.v2 = Some(V2 {
        event_mode: EventMode::Fetch,
        webhook_url: String::new(),
        reactions_enabled: true,
        token_hash: None,
    });
    assert_eq!(
        store.create_bot(other, 2, now).await.unwrap(),
        BotCreated::CodeTaken
    );
    assert_eq!(store.user_count().await.unwrap(), users);
    // At the application's limit: refused, and no user left behind.
    assert_eq!(
        store
            .create_bot(v1_bot("full", BotType::Bot, anna.id), 1, now)
            .await
            .unwrap(),
        BotCreated::LimitReached
    );
    assert_eq!(store.user_count().await.unwrap(), users);

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
            avatar: None,
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
        .post_message(chat, bob.id, "hi".into(), None, now)
        .await
        .unwrap()
    else {
        panic!("a member posts");
    };
    assert_eq!(
        store
            .post_message(chat, eve.id, "x".into(), None, now)
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
    let ok = Attempt {
        status: Some(200),
        latency_ms: 3,
    };
    let failed = Attempt {
        status: Some(500),
        latency_ms: 4,
    };
    store.event_delivered(claimed[0].id, t, ok).await.unwrap();
    store
        .event_failed(claimed[1].id, "HTTP 500".into(), Some(t + 1_000), failed)
        .await
        .unwrap();
    let query = |state, limit| EventQuery {
        state,
        limit,
        ..EventQuery::default()
    };
    let done = store
        .events(query(Some(DeliveryState::Delivered), 10))
        .await
        .unwrap();
    assert_eq!(
        (
            done[0].last_status,
            done[0].last_latency_ms,
            done[0].delivered_at
        ),
        (Some(200), Some(3), Some(t))
    );
    let waiting = store
        .events(query(Some(DeliveryState::Pending), 10))
        .await
        .unwrap();
    assert_eq!(
        (waiting[0].last_status, waiting[0].next_attempt_at),
        (Some(500), t + 1_000)
    );
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
        .event_failed(again[0].id, "HTTP 500".into(), None, failed)
        .await
        .unwrap();
    let dead = store
        .events(query(Some(DeliveryState::Dead), 10))
        .await
        .unwrap();
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
    let last = store.events(query(None, 1)).await.unwrap();
    assert_eq!(last[0].record.kind.name(), "ONIMBOTDELETE");
}

#[tokio::test]
async fn sqlite_keeps_the_store_promises() {
    let data = TestData::sqlite();
    story(data.open_store().as_ref()).await;
}

#[tokio::test]
async fn postgres_keeps_the_store_promises() {
    let Some(data) = TestData::postgres() else {
        return;
    };
    story(data.open_store().as_ref()).await;
}

/// Two stores over one database (two nodes, or two processes on one SQLite
/// file) claim the outbox at once: every event is leased to exactly one.
async fn claims_never_overlap(data: &TestData) {
    let now = Timestamp::now();
    let (a, b) = (data.open_store(), data.open_store());
    let owner = a
        .create_user(NewUser::parse("Owner", "", false).unwrap(), now)
        .await
        .unwrap();
    let BotCreated::New(bot) = a
        .create_bot(v1_bot("claims", BotType::Bot, owner.id), 1, now)
        .await
        .unwrap()
    else {
        panic!("the bot is new");
    };
    let chat = a.open_private_chat(owner.id, bot, now).await.unwrap();
    const EVENTS: usize = 200;
    for i in 1..EVENTS {
        let text = format!("message {i}");
        let posted = a
            .post_message(chat, owner.id, text, None, now)
            .await
            .unwrap();
        assert!(matches!(posted, PostOutcome::Posted(_)));
    }
    let t = chrono::Utc::now().timestamp_millis() + 1_000;
    let claim_all = |store: Arc<dyn Store>| {
        tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = store.claim_events(t, 60_000, 7).await.unwrap();
                if batch.is_empty() {
                    return mine;
                }
                mine.extend(batch.into_iter().map(|e| e.id));
            }
        })
    };
    let (ta, tb) = (claim_all(a), claim_all(b));
    let (mine_a, mine_b) = (ta.await.unwrap(), tb.await.unwrap());
    let (set_a, set_b): (HashSet<i64>, HashSet<i64>) = (
        mine_a.iter().copied().collect(),
        mine_b.iter().copied().collect(),
    );
    assert_eq!(set_a.len() + set_b.len(), mine_a.len() + mine_b.len());
    assert!(set_a.is_disjoint(&set_b), "an event was leased twice");
    assert_eq!(set_a.len() + set_b.len(), EVENTS, "welcome + messages");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_claims_never_overlap() {
    claims_never_overlap(&TestData::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_claims_never_overlap() {
    let Some(data) = TestData::postgres() else {
        return;
    };
    claims_never_overlap(&data).await;
}
