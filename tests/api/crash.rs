//! kill -9 under a mixed load, several times: messages to a bot, likes and v2
//! reactions from concurrent clients. After every kill the database passes
//! SQLite's integrity check, and after every restart each acknowledged change
//! is there: each message, each like, each reaction (adding it again answers
//! REACTION_ALREADY_SET). At the end every acknowledged message's event has
//! reached the bot's handler.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::cli::Server;
use crate::helpers::TestData;
use crate::receiver::Receiver;

const KILLS: usize = 3;
const CLIENTS: usize = 6;
/// One load request's bound.
const REQUEST: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Acked {
    messages: HashSet<i64>,
    likes: HashSet<i64>,
    reactions: HashSet<(i64, &'static str)>,
}

async fn post(client: &reqwest::Client, url: String, body: Value) -> Option<Value> {
    let res = client.post(url).json(&body).send().await.ok()?;
    if res.status() != 200 {
        return None;
    }
    let body: Value = res.json().await.ok()?;
    body.get("result").cloned()
}

/// One client's loop until `stop`: a message to the bot, a like, a reaction.
async fn load(
    worker: usize,
    base: Arc<Mutex<String>>,
    hook_path: String,
    (bot, v2): (i64, i64),
    targets: Arc<Vec<i64>>,
    acked: Arc<Mutex<Acked>>,
    stop: Arc<AtomicBool>,
) -> usize {
    const CODES: [&str; 4] = ["like", "kiss", "laugh", "wonder"];
    // Bounded: after a kill the server's port is free, and whatever takes
    // it next (another test's server or receiver) may hold a request.
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(REQUEST)
        .build()
        .unwrap();
    let mut i = 0usize;
    let mut answered = 0;
    while !stop.load(Ordering::SeqCst) {
        let hook = format!("{}{hook_path}", base.lock().unwrap());
        i += 1;
        let target = targets[(worker * 7919 + i) % targets.len()];
        match i % 3 {
            0 => {
                let body =
                    json!({"DIALOG_ID": bot.to_string(), "MESSAGE": format!("w{worker} n{i}")});
                if let Some(id) = post(&client, format!("{hook}im.message.add"), body).await {
                    acked.lock().unwrap().messages.insert(id.as_i64().unwrap());
                    answered += 1;
                }
            }
            1 => {
                let body = json!({"MESSAGE_ID": target, "ACTION": "plus"});
                let res = client
                    .post(format!("{hook}im.message.like"))
                    .json(&body)
                    .send()
                    .await;
                if let Ok(res) = res {
                    let status = res.status().as_u16();
                    if let Ok(v) = res.json::<Value>().await {
                        // true, or WITHOUT_CHANGES: the like is there either way.
                        if v["result"] == json!(true)
                            || (status == 400 && v["error"] == "WITHOUT_CHANGES")
                        {
                            acked.lock().unwrap().likes.insert(target);
                            answered += 1;
                        }
                    }
                }
            }
            _ => {
                let code = CODES[i % CODES.len()];
                let body = json!({"botId": v2, "botToken": "crash_token", "messageId": target, "reaction": code});
                let res = client
                    .post(format!("{hook}imbot.v2.Chat.Message.Reaction.add"))
                    .json(&body)
                    .send()
                    .await;
                if let Ok(res) = res {
                    if let Ok(v) = res.json::<Value>().await {
                        if v["result"]["result"] == json!(true)
                            || v["error"] == "REACTION_ALREADY_SET"
                        {
                            acked.lock().unwrap().reactions.insert((target, code));
                            answered += 1;
                        }
                    }
                }
            }
        }
    }
    answered
}

/// Every message id in the private dialog with the bot, paging back by LAST_ID.
async fn all_message_ids(
    client: &reqwest::Client,
    hook: &str,
    dialog: &str,
) -> (HashSet<i64>, HashSet<i64>) {
    let mut ids = HashSet::new();
    let mut liked = HashSet::new();
    let mut last: Option<i64> = None;
    loop {
        let mut params = json!({"DIALOG_ID": dialog, "LIMIT": 50});
        if let Some(l) = last {
            params["LAST_ID"] = json!(l);
        }
        let page = post(client, format!("{hook}im.dialog.messages.get"), params)
            .await
            .expect("history");
        let messages = page["messages"].as_array().unwrap().clone();
        if messages.is_empty() {
            return (ids, liked);
        }
        for m in &messages {
            let id = m["id"].as_i64().unwrap();
            ids.insert(id);
            if m["params"]["LIKE"]
                .as_array()
                .is_some_and(|l| l.contains(&json!(1)))
            {
                liked.insert(id);
            }
        }
        last = messages.iter().map(|m| m["id"].as_i64().unwrap()).min();
    }
}

fn integrity_ok(dir: &TestData) {
    if crate::POSTGRES {
        return;
    }
    let conn = rusqlite::Connection::open(dir.path().join("b24im.sqlite3")).unwrap();
    let verdict: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(verdict, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_changes_and_their_events_survive_repeated_kill_9() {
    let Some(dir) = TestData::new() else {
        return;
    };
    let rx = Receiver::start().await;
    let args = ["--event-timeout", "1"];
    let mut server = Server::start_with(&dir, &args);
    let first = server.webhook.clone().unwrap();
    let hook_path = first[first.find("/rest/").unwrap()..].to_owned();
    let base = Arc::new(Mutex::new(server.base.clone()));
    let client = crate::helpers::http();
    let hook = |base: &Arc<Mutex<String>>| format!("{}{hook_path}", base.lock().unwrap());

    let bot = post(
        &client,
        format!("{}imbot.register", hook(&base)),
        json!({"CODE": "crashbot", "EVENT_HANDLER": rx.url, "PROPERTIES": {"NAME": "Crash"}, "CLIENT_ID": "crash"}),
    )
    .await
    .unwrap()
    .as_i64()
    .unwrap();
    let v2 = post(
        &client,
        format!("{}imbot.v2.Bot.register", hook(&base)),
        json!({"fields": {"code": "crashbot2", "botToken": "crash_token", "properties": {"name": "Crash2"}}}),
    )
    .await
    .unwrap()["bot"]["id"]
        .as_i64()
        .unwrap();
    // Targets for likes and reactions, in a chat with the v2 bot.
    let chat = post(
        &client,
        format!("{}im.chat.add", hook(&base)),
        json!({"TITLE": "crash", "USERS": [v2]}),
    )
    .await
    .unwrap()
    .as_i64()
    .unwrap();
    let mut targets = Vec::new();
    for i in 0..40 {
        let body = json!({"DIALOG_ID": format!("chat{chat}"), "MESSAGE": format!("target {i}")});
        targets.push(
            post(&client, format!("{}im.message.add", hook(&base)), body)
                .await
                .unwrap()
                .as_i64()
                .unwrap(),
        );
    }
    let targets = Arc::new(targets);
    let acked = Arc::new(Mutex::new(Acked::default()));
    let mut answered = 0;

    for kill in 0..KILLS {
        let stop = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..CLIENTS)
            .map(|w| {
                tokio::spawn(load(
                    w,
                    base.clone(),
                    hook_path.clone(),
                    (bot, v2),
                    targets.clone(),
                    acked.clone(),
                    stop.clone(),
                ))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(600 + 250 * kill as u64)).await;
        server.kill9();
        stop.store(true, Ordering::SeqCst);
        for (w, worker) in workers.into_iter().enumerate() {
            // A client ends within one request of the stop.
            answered += tokio::time::timeout(REQUEST * 2, worker)
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "kill {kill}: client {w} still busy {:?} after the stop",
                        REQUEST * 2
                    )
                })
                .unwrap();
        }
        integrity_ok(&dir);
        server = Server::start_with(&dir, &args);
        *base.lock().unwrap() = server.base.clone();

        // Every acknowledged change is there.
        let (messages, likes, reactions) = {
            let a = acked.lock().unwrap();
            (a.messages.clone(), a.likes.clone(), a.reactions.clone())
        };
        let (ids, _) = all_message_ids(&client, &hook(&base), &bot.to_string()).await;
        let lost: Vec<_> = messages.difference(&ids).collect();
        assert!(
            lost.is_empty(),
            "kill {kill}: acknowledged messages lost: {lost:?}"
        );
        let (_, liked) = all_message_ids(&client, &hook(&base), &format!("chat{chat}")).await;
        let lost: Vec<_> = likes.difference(&liked).collect();
        assert!(
            lost.is_empty(),
            "kill {kill}: acknowledged likes lost: {lost:?}"
        );
        for (target, code) in &reactions {
            let res = client
                .post(format!("{}imbot.v2.Chat.Message.Reaction.add", hook(&base)))
                .json(&json!({"botId": v2, "botToken": "crash_token", "messageId": target, "reaction": code}))
                .send()
                .await
                .unwrap();
            let v: Value = res.json().await.unwrap();
            assert_eq!(
                v["error"], "REACTION_ALREADY_SET",
                "kill {kill}: reaction {code} on {target} lost: {v}"
            );
        }
    }
    let (messages, likes, reactions) = {
        let a = acked.lock().unwrap();
        (a.messages.len(), a.likes.len(), a.reactions.len())
    };
    assert!(
        messages >= 10 && likes > 0 && reactions > 0,
        "{messages} messages, {likes} likes, {reactions} reactions"
    );
    eprintln!(
        "{KILLS} kills: {answered} acknowledged changes ({messages} messages, {likes} liked targets, {reactions} reactions), 0 lost"
    );
    let acked_messages = acked.lock().unwrap().messages.clone();

    // Each acknowledged message's event reaches the handler (at least once;
    // one in flight at a kill goes out when its lease lapses).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let heard: HashSet<i64> = rx
            .all()
            .iter()
            .filter(|r| r.event() == "ONIMBOTMESSAGEADD")
            .filter_map(|r| {
                r.form["data"]["PARAMS"]["MESSAGE_ID"]
                    .as_str()?
                    .parse()
                    .ok()
            })
            .collect();
        let missing: Vec<_> = acked_messages.difference(&heard).collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "events never delivered for acknowledged messages {missing:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(server);
}
