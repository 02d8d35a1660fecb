//! Files: `im.v2.File.upload` / `.download`, the `files` of
//! `im.dialog.messages.get`, `im.disk.folder.get`, `im.disk.file.save`,
//! `im.disk.file.delete` (api-reference/chats/files/, chat-bots-v2/im.v2/files/).

use base64::Engine;
use serde_json::{json, Value};

use crate::helpers::{Hook, TestApp};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A 72x61 PNG header (enough for its size to be read).
fn png() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend_from_slice(&72u32.to_be_bytes());
    png.extend_from_slice(&61u32.to_be_bytes());
    png.extend_from_slice(&[8, 6, 0, 0, 0]);
    png
}

async fn upload(app: &TestApp, who: &Hook, dialog: &str, name: &str, bytes: &[u8]) -> Value {
    app.ok(
        who,
        "im.v2.File.upload",
        json!({"dialogId": dialog, "fields": {"name": name, "content": b64(bytes), "message": "Here it is"}}),
    )
    .await
}

async fn fetch(app: &TestApp, url: &str) -> (u16, Vec<u8>, String) {
    let res = app.client.get(url).send().await.unwrap();
    let status = res.status().as_u16();
    let disposition = res
        .headers()
        .get("content-disposition")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, res.bytes().await.unwrap().to_vec(), disposition)
}

#[tokio::test]
async fn an_uploaded_file_is_a_message_and_downloads_as_sent() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Lee").await;
    let bob = app.user("Bob", "Stone").await;
    let carl = app.user("Carl", "Moss").await;
    let chat = app.chat(&anna, &[&bob]).await;
    let dialog = format!("chat{chat}");
    let sent = upload(&app, &anna, &dialog, "report.txt", b"Hello World!").await;
    assert_eq!(
        sent.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["file", "messageId", "chatId", "dialogId"]
    );
    assert_eq!(
        (sent["chatId"].as_i64(), sent["dialogId"].as_str()),
        (Some(chat), Some(dialog.as_str()))
    );
    let file = &sent["file"];
    let id = file["id"].as_i64().unwrap();
    assert_eq!(file["chatId"], chat);
    assert_eq!(
        (
            file["type"].as_str(),
            file["name"].as_str(),
            file["extension"].as_str()
        ),
        (Some("file"), Some("report.txt"), Some("txt"))
    );
    assert_eq!(
        (file["size"].as_i64(), file["image"].as_bool()),
        (Some(12), Some(false))
    );
    assert_eq!(
        (file["authorId"].as_i64(), file["authorName"].as_str()),
        (Some(anna.user), Some("Anna Lee"))
    );
    assert_eq!(file["status"], "done");
    chrono::DateTime::parse_from_rfc3339(file["date"].as_str().unwrap()).unwrap();
    for key in [
        "urlPreview",
        "urlShow",
        "urlDownload",
        "viewerAttrs",
        "mediaUrl",
        "isTranscribable",
        "isVideoNote",
        "isVoiceNote",
    ] {
        assert!(file.get(key).is_some(), "{key} in {file}");
    }

    // Bob sees the message with its file, and downloads it.
    let history = app
        .ok(&bob, "im.dialog.messages.get", json!({"DIALOG_ID": dialog}))
        .await;
    let message = &history["messages"][0];
    assert_eq!(message["id"], sent["messageId"]);
    assert_eq!(message["text"], "Here it is");
    assert_eq!(message["params"]["FILE_ID"], json!([id]));
    assert_eq!(history["files"][0]["id"], id);
    let (status, bytes, _) =
        fetch(&app, history["files"][0]["urlDownload"].as_str().unwrap()).await;
    assert_eq!((status, bytes.as_slice()), (200, &b"Hello World!"[..]));

    let link = app
        .ok(
            &bob,
            "im.v2.File.download",
            json!({"dialogId": dialog, "fileId": id}),
        )
        .await;
    let url = link["downloadUrl"].as_str().unwrap();
    let (status, bytes, disposition) = fetch(&app, url).await;
    assert_eq!((status, bytes.as_slice()), (200, &b"Hello World!"[..]));
    assert!(disposition.contains("report.txt"), "{disposition}");
    // A changed link opens nothing.
    let (status, _, _) = fetch(&app, &url.replacen("token=", "token=9", 1)).await;
    assert_eq!(status, 404);

    // Carl is not in the chat.
    let (status, body) = app
        .call(
            &carl,
            "im.v2.File.download",
            json!({"dialogId": dialog, "fileId": id}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("ACCESS_DENIED"))
    );
    let (status, body) = app
        .call(
            &carl,
            "im.v2.File.upload",
            json!({"dialogId": dialog, "fields": {"name": "x.txt", "content": b64(b"x")}}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("ACCESS_DENIED"))
    );
    // A file of another chat is not found in this one.
    let other = app.chat(&bob, &[&carl]).await;
    let (status, body) = app
        .call(
            &bob,
            "im.v2.File.download",
            json!({"dialogId": format!("chat{other}"), "fileId": id}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("FILE_NOT_FOUND"))
    );

    // An image has its size; a private dialog opens for a file.
    let image = upload(&app, &anna, &bob.user.to_string(), "pic.PNG", &png()).await;
    assert_eq!(image["file"]["type"], "image");
    assert_eq!(image["file"]["image"], json!({"height": 61, "width": 72}));
    assert_eq!(image["dialogId"], bob.user.to_string());
}

#[tokio::test]
async fn uploads_are_checked() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Lee").await;
    let chat = app.chat(&anna, &[]).await;
    let dialog = format!("chat{chat}");
    for (params, status, code, text) in [
        (
            json!({"dialogId": dialog, "fields": {"content": b64(b"x")}}),
            400,
            "FILE_EMPTY",
            "File name and content are required",
        ),
        (
            json!({"dialogId": dialog, "fields": {"name": "a.txt"}}),
            400,
            "FILE_EMPTY",
            "File name and content are required",
        ),
        (
            json!({"dialogId": dialog, "fields": {"name": "a.txt", "content": "!!not base64!!"}}),
            400,
            "FILE_INVALID_CONTENT",
            "Invalid base64 content",
        ),
        (
            json!({"dialogId": "chat999999", "fields": {"name": "a.txt", "content": b64(b"x")}}),
            400,
            "CHAT_NOT_FOUND",
            "CHAT_NOT_FOUND",
        ),
        (
            json!({"dialogId": "nonsense", "fields": {"name": "a.txt", "content": b64(b"x")}}),
            400,
            "CHAT_NOT_FOUND",
            "CHAT_NOT_FOUND",
        ),
        (
            json!({"dialogId": "999999", "fields": {"name": "a.txt", "content": b64(b"x")}}),
            400,
            "CHAT_NOT_FOUND",
            "CHAT_NOT_FOUND",
        ),
    ] {
        let (s, body) = app.call(&anna, "im.v2.File.upload", params.clone()).await;
        assert_eq!(
            (s, body["error"].as_str()),
            (status, Some(code)),
            "{params}: {body}"
        );
        assert_eq!(body["error_description"], text);
    }
    // A folder part of a name is dropped.
    let sent = app
        .ok(
            &anna,
            "im.v2.File.upload",
            json!({"dialogId": dialog, "fields": {"name": "../../etc/passwd", "content": b64(b"x")}}),
        )
        .await;
    assert_eq!(sent["file"]["name"], "passwd");
    // Nothing refused was sent.
    let history = app
        .ok(
            &anna,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": dialog}),
        )
        .await;
    assert_eq!(history["files"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn disk_methods_keep_folders_copies_and_deletions() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Lee").await;
    let bob = app.user("Bob", "Stone").await;
    let carl = app.user("Carl", "Moss").await;
    let chat = app.chat(&anna, &[&bob]).await;
    let dialog = format!("chat{chat}");

    let folder = app
        .ok(&anna, "im.disk.folder.get", json!({"CHAT_ID": chat}))
        .await;
    assert!(folder["ID"].as_i64().unwrap() > 0);
    assert_eq!(
        app.ok(&bob, "im.disk.folder.get", json!({"DIALOG_ID": dialog}))
            .await,
        folder
    );
    for (who, params, status, code) in [
        (&carl, json!({"CHAT_ID": chat}), 403, "ACCESS_ERROR"),
        (&anna, json!({}), 400, "CHAT_ID_EMPTY"),
        (&anna, json!({"DIALOG_ID": "chatx"}), 400, "DIALOG_ID_EMPTY"),
    ] {
        let (s, body) = app.call(who, "im.disk.folder.get", params.clone()).await;
        assert_eq!(
            (s, body["error"].as_str()),
            (status, Some(code)),
            "{params}"
        );
    }

    let sent = upload(&app, &anna, &dialog, "plan.txt", b"plan").await;
    let id = sent["file"]["id"].as_i64().unwrap();
    // Save: a copy in the caller's Saved Files.
    let saved = app
        .ok(&bob, "im.disk.file.save", json!({"FILE_ID": id}))
        .await;
    assert_eq!(saved["folder"]["name"], "Saved Files");
    assert_eq!(saved["file"]["name"], "plan.txt");
    assert_ne!(saved["file"]["id"], id);
    assert_ne!(saved["folder"]["id"], folder["ID"]);
    let again = app
        .ok(&bob, "im.disk.file.save", json!({"FILE_ID": id}))
        .await;
    assert_eq!(
        again["folder"]["id"], saved["folder"]["id"],
        "one Saved Files folder"
    );
    let (s, body) = app
        .call(&carl, "im.disk.file.save", json!({"FILE_ID": id}))
        .await;
    assert_eq!(
        (
            s,
            body["error"].as_str(),
            body["error_description"].as_str()
        ),
        (400, Some("FILE_SAVE_ERROR"), Some("File ID can't be saved"))
    );
    let (s, body) = app.call(&bob, "im.disk.file.save", json!({})).await;
    assert_eq!((s, body["error"].as_str()), (400, Some("FILE_ID_EMPTY")));

    // Delete: only the sender; another member is answered true and nothing changes.
    assert_eq!(
        app.ok(
            &bob,
            "im.disk.file.delete",
            json!({"CHAT_ID": chat, "FILE_ID": id})
        )
        .await,
        true
    );
    let history = app
        .ok(
            &anna,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": dialog}),
        )
        .await;
    assert_eq!(history["files"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.ok(
            &carl,
            "im.disk.file.delete",
            json!({"CHAT_ID": chat, "FILE_ID": id})
        )
        .await,
        false
    );
    assert_eq!(
        app.ok(
            &anna,
            "im.disk.file.delete",
            json!({"CHAT_ID": chat + 1000, "FILE_ID": id})
        )
        .await,
        false
    );
    assert_eq!(
        app.ok(
            &anna,
            "im.disk.file.delete",
            json!({"CHAT_ID": chat, "FILE_ID": id})
        )
        .await,
        true
    );
    let history = app
        .ok(
            &anna,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": dialog}),
        )
        .await;
    assert_eq!(history["files"], json!([]));
    let message = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == sent["messageId"])
        .unwrap();
    assert_eq!(message["params"]["IS_DELETED"], "Y", "{message}");
    let (s, body) = app
        .call(
            &anna,
            "im.v2.File.download",
            json!({"dialogId": dialog, "fileId": id}),
        )
        .await;
    assert_eq!((s, body["error"].as_str()), (400, Some("FILE_NOT_FOUND")));
    for (params, code) in [
        (json!({"FILE_ID": id}), "CHAT_ID_EMPTY"),
        (json!({"CHAT_ID": chat}), "FILE_ID_EMPTY"),
    ] {
        let (s, body) = app.call(&anna, "im.disk.file.delete", params).await;
        assert_eq!((s, body["error"].as_str()), (400, Some(code)));
    }
}

#[tokio::test]
async fn a_chat_avatar_is_an_image_served_at_its_address() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Lee").await;
    let bob = app.user("Bob", "Stone").await;
    let carl = app.user("Carl", "Moss").await;
    let chat = app.chat(&anna, &[&bob]).await;
    let image = png();
    assert_eq!(
        app.ok(
            &bob,
            "im.chat.updateAvatar",
            json!({"CHAT_ID": chat, "AVATAR": b64(&image)})
        )
        .await,
        true
    );
    let dialog = app
        .ok(
            &anna,
            "im.dialog.get",
            json!({"DIALOG_ID": format!("chat{chat}")}),
        )
        .await;
    let url = dialog["avatar"].as_str().unwrap();
    assert!(
        url.contains("/upload/avatar/") && url.ends_with(".png"),
        "{url}"
    );
    let (status, bytes, _) = fetch(&app, url).await;
    assert_eq!((status, bytes), (200, image.clone()));
    let (status, _, _) = fetch(&app, &url.replace(".png", ".gif")).await;
    assert_eq!(status, 404, "only a chat's picture is served");
    for garbage in ["nothing", "x.png", "%2e%2e%2fb24im.sqlite3"] {
        let (status, _, _) = fetch(&app, &format!("{}/upload/avatar/{garbage}", app.base)).await;
        assert_eq!(status, 404, "{garbage}");
    }

    // im.chat.add takes one too; one that is no image is left out.
    let with = app
        .ok(
            &anna,
            "im.chat.add",
            json!({"TITLE": "Pictured", "AVATAR": b64(&image)}),
        )
        .await;
    let got = app
        .ok(
            &anna,
            "im.dialog.get",
            json!({"DIALOG_ID": format!("chat{with}")}),
        )
        .await;
    assert_eq!(
        got["avatar"], dialog["avatar"],
        "the same picture, kept once"
    );
    let without = app
        .ok(
            &anna,
            "im.chat.add",
            json!({"TITLE": "Plain", "AVATAR": b64(b"nope")}),
        )
        .await;
    let got = app
        .ok(
            &anna,
            "im.dialog.get",
            json!({"DIALOG_ID": format!("chat{without}")}),
        )
        .await;
    assert_eq!(got["avatar"], "");

    let mut huge = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    huge.extend_from_slice(&5001u32.to_be_bytes());
    huge.extend_from_slice(&10u32.to_be_bytes());
    app.write_to(&anna, &bob.user.to_string(), "hi").await;
    for (who, params, code, text) in [
        (
            &anna,
            json!({"CHAT_ID": chat, "AVATAR": b64(b"not an image")}),
            "AVATAR_ERROR",
            "Avatar incorrect type",
        ),
        (
            &anna,
            json!({"CHAT_ID": chat}),
            "AVATAR_ERROR",
            "Avatar incorrect type",
        ),
        (
            &anna,
            json!({"CHAT_ID": chat, "AVATAR": b64(&huge)}),
            "AVATAR_ERROR",
            "Avatar incorrect size (max 5000x5000)",
        ),
        (
            &anna,
            json!({"CHAT_ID": format!("chat{chat}"), "AVATAR": b64(&image)}),
            "CHAT_ID_EMPTY",
            "Chat ID can't be empty",
        ),
        (
            &anna,
            json!({"DIALOG_ID": bob.user.to_string(), "AVATAR": b64(&image)}),
            "DIALOG_ID_EMPTY",
            "Dialog ID can't be empty",
        ),
        (
            &anna,
            json!({"CHAT_ID": 999_999, "AVATAR": b64(&image)}),
            "WRONG_REQUEST",
            "Chat doesn't exist",
        ),
        (
            &carl,
            json!({"CHAT_ID": chat, "AVATAR": b64(&image)}),
            "ACCESS_DENIED",
            "Access denied",
        ),
    ] {
        let (status, body) = app.call(who, "im.chat.updateAvatar", params.clone()).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some(code)),
            "{params}: {body}"
        );
        assert_eq!(body["error_description"], text);
    }
}

#[tokio::test]
async fn a_files_link_ends_with_its_message_or_its_user() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let boss = app.admin_user("Boss").await;
    let anna = app.user("Anna", "Lee").await;
    let bob = app.user("Bob", "Stone").await;
    let chat = app.chat(&anna, &[&bob]).await;
    let dialog = format!("chat{chat}");
    let first = upload(&app, &anna, &dialog, "a.txt", b"first").await;
    let second = upload(&app, &anna, &dialog, "b.txt", b"second").await;
    let link = |who: &Hook, file: &Value| {
        let (app, who, file) = (&app, who.clone(), file["file"]["id"].clone());
        let dialog = dialog.clone();
        async move {
            app.ok(
                &who,
                "im.v2.File.download",
                json!({"dialogId": dialog, "fileId": file}),
            )
            .await["downloadUrl"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let anna_first = link(&anna, &first).await;
    let bob_second = link(&bob, &second).await;
    // Deleting the message deletes its file.
    app.ok(
        &anna,
        "im.message.delete",
        json!({"ID": first["messageId"]}),
    )
    .await;
    assert_eq!(fetch(&app, &anna_first).await.0, 404);
    let history = app
        .ok(
            &anna,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": dialog}),
        )
        .await;
    let ids: Vec<i64> = history["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [second["file"]["id"].as_i64().unwrap()]);
    // A deactivated user's links stop.
    assert_eq!(fetch(&app, &bob_second).await.0, 200);
    app.ok(&boss, "user.update", json!({"ID": bob.user, "ACTIVE": "N"}))
        .await;
    assert_eq!(fetch(&app, &bob_second).await.0, 404);
    // File methods are not for batch, as the docs' batch page says.
    let (status, body) = app
        .call(
            &anna,
            "batch",
            json!({"cmd": {"up": format!("im.v2.File.download?dialogId={dialog}&fileId=1")}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["result"]["result_error"]["up"]["error"], "ERROR_BATCH_METHOD_NOT_ALLOWED",
        "{body}"
    );
}

#[tokio::test]
async fn commit_sends_files_one_can_read_to_another_chat() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let anna = app.user("Anna", "Lee").await;
    let bob = app.user("Bob", "Stone").await;
    let carl = app.user("Carl", "Moss").await;
    let ours = app.chat(&anna, &[&bob]).await;
    let theirs = app.chat(&bob, &[&carl]).await;
    let sent = upload(&app, &anna, &format!("chat{ours}"), "plan.txt", b"the plan").await;
    let saved = app
        .ok(
            &bob,
            "im.disk.file.save",
            json!({"FILE_ID": sent["file"]["id"]}),
        )
        .await;
    let copy = saved["file"]["id"].as_i64().unwrap();
    let committed = app
        .ok(
            &bob,
            "im.disk.file.commit",
            json!({"CHAT_ID": theirs, "FILE_ID": [copy], "MESSAGE": "for you"}),
        )
        .await;
    assert_eq!(
        committed.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["FILES", "DISK_ID", "FILE_MODELS", "MESSAGE_ID"]
    );
    let key = format!("upload{copy}");
    let file = &committed["FILES"][&key];
    assert_eq!(
        (file["name"].as_str(), file["chatId"].as_i64()),
        (Some("plan.txt"), Some(theirs))
    );
    assert_eq!(
        committed["DISK_ID"],
        json!([file["id"].as_i64().unwrap().to_string()])
    );
    assert_eq!(
        committed["FILE_MODELS"][&key]["createdBy"],
        bob.user.to_string()
    );
    // Carl sees it with the message and can fetch it.
    let history = app
        .ok(
            &carl,
            "im.dialog.messages.get",
            json!({"DIALOG_ID": format!("chat{theirs}")}),
        )
        .await;
    let message = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == committed["MESSAGE_ID"])
        .unwrap();
    assert_eq!(message["text"], "for you");
    assert_eq!(message["params"]["FILE_ID"], json!([file["id"]]));
    let (status, bytes, _) =
        fetch(&app, history["files"][0]["urlDownload"].as_str().unwrap()).await;
    assert_eq!((status, bytes.as_slice()), (200, &b"the plan"[..]));
    // UPLOAD_ID, one id, into a private dialog.
    let private = app
        .ok(
            &bob,
            "im.disk.file.commit",
            json!({"DIALOG_ID": anna.user.to_string(), "UPLOAD_ID": copy}),
        )
        .await;
    assert!(private["MESSAGE_ID"].as_i64().unwrap() > 0);
    for (who, params, status, code) in [
        (&bob, json!({"CHAT_ID": theirs}), 400, "FILES_ERROR"),
        (
            &bob,
            json!({"CHAT_ID": theirs, "FILE_ID": []}),
            400,
            "SAVE_ERROR",
        ),
        (
            &bob,
            json!({"CHAT_ID": theirs, "FILE_ID": [999_999]}),
            400,
            "SAVE_ERROR",
        ),
        // Bob's Saved Files are his own.
        (
            &carl,
            json!({"CHAT_ID": theirs, "FILE_ID": [copy]}),
            400,
            "SAVE_ERROR",
        ),
        (&bob, json!({"FILE_ID": [copy]}), 400, "CHAT_ID_EMPTY"),
        (
            &bob,
            json!({"DIALOG_ID": "chatx", "FILE_ID": [copy]}),
            400,
            "DIALOG_ID_EMPTY",
        ),
        (
            &carl,
            json!({"CHAT_ID": ours, "FILE_ID": [copy]}),
            400,
            "SAVE_ERROR",
        ),
        (
            &anna,
            json!({"CHAT_ID": theirs, "FILE_ID": [sent["file"]["id"]]}),
            403,
            "ACCESS_ERROR",
        ),
    ] {
        let (s, body) = app.call(who, "im.disk.file.commit", params.clone()).await;
        assert_eq!(
            (s, body["error"].as_str()),
            (status, Some(code)),
            "{params}: {body}"
        );
    }
}
