//! Bitrix JSON views of domain objects: the field names, types and shapes of
//! the official pages (`im.user.get`, `im.dialog.get`, `im.dialog.messages.get`).

use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::domain::chats::{Chat, ChatKind};
use crate::domain::events::EventRecord;
use crate::domain::files::{FileKind, StoredFile};
use crate::domain::messages::{History, Message};
use crate::domain::notifications::Notification;
use crate::domain::store::ReadView;
use crate::domain::users::User;
use crate::domain::{Timestamp, UserId};
use crate::events::payload::v2_data;
use crate::protocol::envelope::iso_date;
use crate::protocol::params::{intval, Params};

/// A user as the `im` methods show one.
pub fn user(u: &User) -> Value {
    serde_json::to_value(UserView::of(u)).unwrap_or_default()
}

/// A user as the `im` methods show one, in the order of its keys: written
/// straight into an answer ([`history`]) or made a `Value` ([`user`]).
#[derive(Serialize)]
pub struct UserView<'a> {
    id: i64,
    active: bool,
    name: String,
    first_name: &'a str,
    last_name: &'a str,
    work_position: &'a str,
    color: &'static str,
    avatar: &'static str,
    avatar_hr: &'static str,
    gender: &'a str,
    birthday: &'static str,
    extranet: bool,
    network: bool,
    bot: bool,
    connector: bool,
    external_auth_id: &'static str,
    status: &'static str,
    /// `false`, or since when the user is away.
    idle: FalseOr<String>,
    last_activity_date: String,
    mobile_last_date: bool,
    desktop_last_date: bool,
    absent: bool,
    departments: &'a [i64],
    phones: bool,
    bot_data: Option<()>,
    #[serde(rename = "type")]
    kind: &'static str,
    website: &'a str,
    email: &'a str,
}

impl<'a> UserView<'a> {
    pub fn of(u: &'a User) -> Self {
        let profile = |field: &str| u.profile.get(field).map_or("", String::as_str);
        UserView {
            id: u.id.0,
            active: u.active,
            name: u.full_name(),
            first_name: &u.first_name,
            last_name: &u.last_name,
            work_position: profile("WORK_POSITION"),
            color: u.color(),
            avatar: "",
            avatar_hr: "",
            gender: profile("PERSONAL_GENDER"),
            birthday: "",
            extranet: false,
            network: false,
            bot: u.bot,
            connector: false,
            external_auth_id: if u.bot { "bot" } else { "default" },
            status: u.status.as_str(),
            idle: u
                .idle_since
                .map_or(FalseOr::False, |t| FalseOr::Some(iso_date(t))),
            last_activity_date: iso_date(u.last_activity()),
            mobile_last_date: false,
            desktop_last_date: false,
            absent: false,
            departments: &u.departments,
            phones: false,
            bot_data: None,
            kind: if u.bot { "bot" } else { "user" },
            website: profile("PERSONAL_WWW"),
            email: u.email.as_deref().unwrap_or(""),
        }
    }
}

/// `false` where PHP has no value, else the value.
pub enum FalseOr<T> {
    False,
    Some(T),
}

impl<T: Serialize> Serialize for FalseOr<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FalseOr::False => s.serialize_bool(false),
            FalseOr::Some(v) => v.serialize(s),
        }
    }
}

/// The answer of `im.dialog.messages.get`, serialised from the page as read
/// (no `Value` per message or user: the answer is big and read often).
/// `files` are the page's files as [`file`] shows them.
pub fn history(h: &History, reader: UserId, files: Vec<Value>) -> serde_json::Result<String> {
    #[derive(Serialize)]
    struct Answer<'a> {
        chat_id: i64,
        messages: Vec<MessageView<'a>>,
        users: Vec<UserView<'a>>,
        files: Vec<Value>,
    }
    let messages = h
        .messages
        .iter()
        .map(|m| {
            let unread = m.id.0 > h.last_read && m.author != Some(reader);
            let files = h
                .files
                .iter()
                .filter(|f| f.message == Some(m.id))
                .map(|f| f.id)
                .collect();
            MessageView::of(m, unread, files)
        })
        .collect();
    serde_json::to_string(&Answer {
        chat_id: h.chat.map_or(0, |c| c.0),
        messages,
        users: h.authors.iter().map(UserView::of).collect(),
        files,
    })
}

/// A message as `im.dialog.messages.get` shows one.
#[derive(Serialize)]
pub struct MessageView<'a> {
    id: i64,
    chat_id: i64,
    author_id: i64,
    date: String,
    text: &'a str,
    unread: bool,
    uuid: Option<()>,
    replaces: [i64; 0],
    params: ParamsView<'a>,
    disappearing_date: Option<()>,
}

impl<'a> MessageView<'a> {
    /// `files`: the ids of the message's files (`params.FILE_ID`).
    pub fn of(m: &'a Message, unread: bool, files: Vec<i64>) -> Self {
        MessageView {
            id: m.id.0,
            chat_id: m.chat.0,
            author_id: m.author.map_or(0, |a| a.0),
            date: iso_date(m.date),
            text: &m.text,
            unread,
            uuid: None,
            replaces: [],
            params: ParamsView { message: m, files },
            disappearing_date: None,
        }
    }
}

/// A message's `params`: `LIKE`, `CODE` and `NOTIFY` (system messages),
/// `IS_EDITED`, `IS_DELETED`, then its stored keyboard, menu and
/// attachments, then `FILE_ID`; `[]` when empty, as PHP encodes an empty
/// array.
struct ParamsView<'a> {
    message: &'a Message,
    files: Vec<i64>,
}

impl Serialize for ParamsView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (m, files) = (self.message, &self.files);
        if m.params.is_some() {
            // Stored params are merged as a map: a stored key keeps the
            // place of a computed one it replaces.
            let mut params = computed_params(m);
            params.extend(stored_params(m));
            if !files.is_empty() {
                params.insert("FILE_ID".into(), Value::from(files.as_slice()));
            }
            return if params.is_empty() {
                s.serialize_seq(Some(0))?.end()
            } else {
                params.serialize(s)
            };
        }
        let code = m.system_code.as_deref();
        let len = usize::from(!m.likes.is_empty())
            + 2 * usize::from(code.is_some())
            + usize::from(m.edited)
            + usize::from(m.deleted)
            + usize::from(!files.is_empty());
        if len == 0 {
            return s.serialize_seq(Some(0))?.end();
        }
        let mut map = s.serialize_map(Some(len))?;
        if !m.likes.is_empty() {
            let likes: Vec<i64> = m.likes.iter().map(|u| u.0).collect();
            map.serialize_entry("LIKE", &likes)?;
        }
        if let Some(code) = code {
            map.serialize_entry("CODE", &[code])?;
            map.serialize_entry("NOTIFY", "N")?;
        }
        if m.edited {
            map.serialize_entry("IS_EDITED", "Y")?;
        }
        if m.deleted {
            map.serialize_entry("IS_DELETED", "Y")?;
        }
        if !files.is_empty() {
            map.serialize_entry("FILE_ID", files)?;
        }
        map.end()
    }
}

/// The params every message has from its row: likes, system code, edited,
/// deleted.
fn computed_params(m: &Message) -> Map<String, Value> {
    let mut params = Map::new();
    if !m.likes.is_empty() {
        params.insert(
            "LIKE".into(),
            Value::Array(m.likes.iter().map(|u| u.0.into()).collect()),
        );
    }
    if let Some(code) = &m.system_code {
        params.insert("CODE".into(), json!([code]));
        params.insert("NOTIFY".into(), json!("N"));
    }
    if m.edited {
        params.insert("IS_EDITED".into(), json!("Y"));
    }
    if m.deleted {
        params.insert("IS_DELETED".into(), json!("Y"));
    }
    params
}

/// A chat as `im.dialog.get` shows it to `caller`; `users` holds the members'
/// records for names.
pub fn chat(
    c: &Chat,
    caller: UserId,
    dialog_id: &str,
    users: &[User],
    read: Option<ReadView>,
    public_url: &str,
) -> Value {
    let name_of = |id: UserId| {
        users
            .iter()
            .find(|u| u.id == id)
            .map_or_else(|| format!("User {id}"), User::full_name)
    };
    let (name, color, kind) = match c.kind {
        ChatKind::Private => {
            let other = c.other_member(caller);
            let color = users
                .iter()
                .find(|u| u.id == other)
                .map_or(c.color.hex(), User::color);
            (name_of(other), color, "private")
        }
        ChatKind::Closed => (c.title.clone(), c.color.hex(), "chat"),
        ChatKind::Open => (c.title.clone(), c.color.hex(), "open"),
    };
    // Only members see a chat here.
    let role = c.role_of(caller);
    // The other members' read marks: the last message each read, and when.
    let readed_list: Vec<Value> = c
        .reads
        .iter()
        .filter(|(m, ..)| *m != caller)
        .map(|(m, last, at)| {
            json!({
                "user_id": m.0,
                "user_name": name_of(*m),
                "message_id": last,
                "date": at.map_or(Value::Null, |t| Value::from(iso_date(t))),
            })
        })
        .collect();
    // Who besides the caller has read the last message.
    let viewers = c
        .reads
        .iter()
        .filter(|(m, last, _)| *m != caller && c.last_message_id > 0 && *last >= c.last_message_id)
        .count();
    let group = c.kind != ChatKind::Private;
    json!({
        "id": c.id.0,
        "parent_chat_id": 0,
        "parent_message_id": 0,
        "name": name,
        "description": c.description,
        "owner": if group { c.owner.0 } else { 0 },
        "extranet": false,
        "avatar": avatar_url(c, public_url),
        "color": color,
        "type": kind,
        "counter": read.map_or(0, |r| r.state.counter),
        "user_counter": c.members.len(),
        "message_count": c.message_count,
        "unread_id": read.map_or(0, |r| r.first_unread),
        "restrictions": {
            "avatar": group,
            "rename": group,
            "extend": group,
            "call": true,
            "mute": group,
            "leave": group,
            "leave_owner": group,
            "send": true,
            "user_list": true,
            "path": "",
            "path_title": "",
        },
        "last_message_id": c.last_message_id,
        "last_id": c.last_message_id,
        "marked_id": 0,
        "disk_folder_id": 0,
        "entity_type": c.entity_type,
        "entity_id": c.entity_id,
        "entity_data_1": "",
        "entity_data_2": "",
        "entity_data_3": "",
        "mute_list": c.muted.iter().map(|u| u.0).collect::<Vec<i64>>(),
        "date_create": iso_date(c.created_at),
        "message_type": c.kind.code(),
        "public": "",
        "role": role,
        "entity_link": {"type": "", "url": "", "id": ""},
        "text_field_enabled": true,
        "background_id": null,
        "permissions": {
            "manage_users_add": "member",
            "manage_users_delete": "manager",
            "manage_ui": "member",
            "manage_settings": "owner",
            "manage_messages": "member",
            "can_post": "member",
        },
        "is_new": false,
        "readed_list": readed_list,
        "manager_list": if group {
            std::iter::once(c.owner.0)
                .chain(c.managers.iter().filter(|m| **m != c.owner).map(|m| m.0))
                .collect()
        } else {
            Vec::new()
        },
        "last_message_views": {
            "message_id": c.last_message_id,
            "first_viewers": [],
            "count_of_viewers": viewers,
        },
        "dialog_id": dialog_id,
    })
}

/// Where a chat's picture is served (`/upload/avatar/<name>`), or `""`.
pub fn avatar_url(c: &Chat, public_url: &str) -> String {
    if c.avatar.is_empty() {
        String::new()
    } else {
        format!(
            "{}/upload/avatar/{}",
            public_url.trim_end_matches('/'),
            c.avatar
        )
    }
}

/// A user as the `user` scope shows it (`user.current`, `user.get`): docs
/// api-reference/user/user-get.md, "Response Handling".
pub fn rest_user(u: &User, fields: UserFields, now: Timestamp) -> Value {
    let registered = iso_date(u.created_at);
    // Every field `user.fields` names, in its order, with the type portals
    // give it: strings (empty where b24im keeps no value), `ACTIVE` a bool,
    // `UF_DEPARTMENT` a list of ids.
    let mut m = Map::new();
    for (field, _) in USER_FIELDS {
        if fields == UserFields::Brief && CONTACT_FIELDS.contains(&field) {
            continue;
        }
        let value = match field {
            "ID" => Value::from(u.id.0.to_string()),
            "ACTIVE" => Value::from(u.active),
            "NAME" => Value::from(u.first_name.as_str()),
            "LAST_NAME" => Value::from(u.last_name.as_str()),
            "LAST_LOGIN" | "DATE_REGISTER" | "TIMESTAMP_X" => Value::from(registered.as_str()),
            "LAST_ACTIVITY_DATE" => Value::from(iso_date(u.last_activity())),
            "IS_ONLINE" => Value::from(if u.online(now) { "Y" } else { "N" }),
            "EMAIL" => Value::from(u.email.as_deref().unwrap_or("")),
            "UF_DEPARTMENT" => Value::from(u.departments()),
            "USER_TYPE" => Value::from("employee"),
            other => Value::from(u.profile.get(other).map_or("", String::as_str)),
        };
        m.insert(field.to_owned(), value);
    }
    Value::Object(m)
}

/// A file as the pages show one (`im.v2.File.upload`,
/// `im.dialog.messages.get`'s `files`), with a download link for its reader.
pub fn file(f: &StoredFile, download_url: &str) -> Value {
    let kind = f.kind();
    let chat = f.chat.map_or(0, |c| c.0);
    let image = match (kind, f.dimensions) {
        (FileKind::Image, Some((width, height))) => json!({"height": height, "width": width}),
        _ => Value::Bool(false),
    };
    let preview = if kind == FileKind::Image {
        download_url
    } else {
        ""
    };
    json!({
        "id": f.id,
        "chatId": chat,
        "date": iso_date(f.created_at),
        "type": kind.as_str(),
        "name": f.name,
        "extension": f.extension(),
        "size": f.size,
        "image": image,
        "status": "done",
        "progress": 100,
        "authorId": f.author.0,
        "authorName": f.author_name,
        "urlPreview": preview,
        "urlShow": download_url,
        "urlDownload": download_url,
        "viewerAttrs": {
            "viewer": "",
            "viewerType": if kind == FileKind::Image { "image" } else { "code" },
            "src": download_url,
            "viewerResized": "",
            "objectId": f.id.to_string(),
            "viewerGroupBy": chat.to_string(),
            "imChatId": chat,
            "title": f.name,
            "actions": "[{\"type\":\"download\"}]",
        },
        "mediaUrl": {"preview": {"250": preview}},
        "isTranscribable": false,
        "isVideoNote": false,
        "isVoiceNote": false,
    })
}

/// Which of a user's fields a credential sees (docs api-reference/user/index.md):
/// `user` and `user_basic` all, `user_brief` none of the contact details.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserFields {
    All,
    Brief,
}

impl UserFields {
    pub fn for_scopes(scopes: &crate::domain::credentials::Scopes) -> Self {
        if scopes.contains("user") || scopes.contains("user_basic") {
            UserFields::All
        } else {
            UserFields::Brief
        }
    }
}

/// The contact details `user_brief` leaves out: ways to reach a person.
pub const CONTACT_FIELDS: [&str; 25] = [
    "EMAIL",
    "PERSONAL_WWW",
    "PERSONAL_ICQ",
    "PERSONAL_PHONE",
    "PERSONAL_FAX",
    "PERSONAL_MOBILE",
    "PERSONAL_PAGER",
    "PERSONAL_STREET",
    "PERSONAL_MAILBOX",
    "PERSONAL_ZIP",
    "PERSONAL_NOTES",
    "WORK_PHONE",
    "WORK_FAX",
    "WORK_PAGER",
    "WORK_STREET",
    "WORK_MAILBOX",
    "WORK_ZIP",
    "WORK_WWW",
    "UF_SKYPE_LINK",
    "UF_ZOOM",
    "UF_WEB_SITES",
    "UF_XING",
    "UF_LINKEDIN",
    "UF_TWITTER",
    "UF_SKYPE",
];

/// A notification as `im.notify.get` and `im.notify.history.search` show it.
pub fn notification(n: &Notification) -> Value {
    json!({
        "id": n.id,
        "chat_id": n.chat.0,
        "author_id": n.author.map_or(0, |a| a.0),
        "date": iso_date(n.created_at),
        "notify_type": n.kind_code,
        "notify_module": n.module,
        "notify_event": n.event,
        "notify_tag": n.tag,
        "notify_sub_tag": n.sub_tag,
        "notify_title": "",
        "setting_name": format!("{}|{}", n.module, n.event),
        "text": n.text,
        "notify_read": if n.read { "Y" } else { "N" },
        "params": n.attach.as_deref()
            .and_then(|a| serde_json::from_str::<Value>(a).ok())
            .map(|a| json!({"ATTACH": a})),
    })
}

/// The fields of a user and their titles, as `user.fields` lists them
/// (api-reference/user/user-fields.md, the page's example answer).
pub const USER_FIELDS: [(&str, &str); 62] = [
    ("ID", "ID"),
    ("XML_ID", "External code"),
    ("ACTIVE", "Activity"),
    ("NAME", "First Name"),
    ("LAST_NAME", "Last Name"),
    ("SECOND_NAME", "Middle Name"),
    ("TITLE", "User List"),
    ("EMAIL", "E-Mail"),
    ("LAST_LOGIN", "Last Authorization"),
    ("DATE_REGISTER", "Registration Date"),
    ("TIME_ZONE", "TIME_ZONE"),
    ("IS_ONLINE", "IS_ONLINE"),
    ("TIMESTAMP_X", "TIMESTAMP_X"),
    ("LAST_ACTIVITY_DATE", "LAST_ACTIVITY_DATE"),
    ("PERSONAL_GENDER", "Gender"),
    ("PERSONAL_PROFESSION", "Profession"),
    ("PERSONAL_WWW", "Homepage"),
    ("PERSONAL_BIRTHDAY", "Date of Birth"),
    ("PERSONAL_PHOTO", "Photo"),
    ("PERSONAL_ICQ", "ICQ"),
    ("PERSONAL_PHONE", "Personal Phone"),
    ("PERSONAL_FAX", "Fax"),
    ("PERSONAL_MOBILE", "Personal Mobile"),
    ("PERSONAL_PAGER", "Pager"),
    ("PERSONAL_STREET", "Residential Street"),
    ("PERSONAL_CITY", "Residential City"),
    ("PERSONAL_STATE", "State / Region"),
    ("PERSONAL_ZIP", "Zip Code"),
    ("PERSONAL_COUNTRY", "Country"),
    ("PERSONAL_MAILBOX", "P.O. Box"),
    ("PERSONAL_NOTES", "Additional Notes"),
    ("WORK_PHONE", "Company Phone"),
    ("WORK_COMPANY", "Company"),
    ("WORK_POSITION", "Job Title"),
    ("WORK_DEPARTMENT", "Department"),
    ("WORK_WWW", "Company Website"),
    ("WORK_FAX", "WORK_FAX"),
    ("WORK_PAGER", "WORK_PAGER"),
    ("WORK_STREET", "WORK_STREET"),
    ("WORK_MAILBOX", "WORK_MAILBOX"),
    ("WORK_CITY", "Work City"),
    ("WORK_STATE", "WORK_STATE"),
    ("WORK_ZIP", "WORK_ZIP"),
    ("WORK_COUNTRY", "WORK_COUNTRY"),
    ("WORK_PROFILE", "WORK_PROFILE"),
    ("WORK_LOGO", "WORK_LOGO"),
    ("WORK_NOTES", "WORK_NOTES"),
    ("UF_SKYPE_LINK", "Skype Chat Link"),
    ("UF_ZOOM", "Zoom"),
    ("UF_EMPLOYMENT_DATE", "Hire Date"),
    ("UF_TIMEMAN", "Time Tracking"),
    ("UF_DEPARTMENT", "Units"),
    ("UF_INTERESTS", "Interests"),
    ("UF_SKILLS", "Skills"),
    ("UF_WEB_SITES", "Other Websites"),
    ("UF_XING", "Xing"),
    ("UF_LINKEDIN", "LinkedIn"),
    ("UF_TWITTER", "Twitter"),
    ("UF_SKYPE", "Skype"),
    ("UF_DISTRICT", "District"),
    ("UF_PHONE_INNER", "Extension"),
    ("USER_TYPE", "USER_TYPE"),
];

/// `offset` and `limit` of a polled event queue (`imbot.v2.Event.get`,
/// `im.v2.Event.get`): 100 events by default, 1 to 1000.
pub fn queue_window(p: &Params) -> (Option<i64>, i64) {
    let offset = p.get("offset").map(intval).filter(|o| *o > 0);
    let limit = p.get("limit").map(intval).unwrap_or(100).clamp(1, 1000);
    (offset, limit)
}

/// The `{events, nextOffset, hasMore}` answer of both `Event.get` methods;
/// `bot` is the full bot object bot events carry.
pub fn event_page(
    events: &[(i64, EventRecord)],
    has_more: bool,
    offset: Option<i64>,
    bot: Option<&Value>,
) -> Value {
    let next = events.last().map(|(id, _)| id + 1).or(offset).unwrap_or(0);
    let list: Vec<Value> = events
        .iter()
        .map(|(id, r)| {
            json!({
                "eventId": id,
                "type": r.kind.name(),
                "date": iso_date(Timestamp(r.at)),
                "data": v2_data(r, bot.cloned()),
            })
        })
        .collect();
    json!({"events": list, "nextOffset": next, "hasMore": has_more})
}

/// `snake_case` keys as the v2 answers spell them (`firstName`, `avatarHr`).
fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A user as the v2-style answers (`im.dialog.messages.search`) show one:
/// the fields of [`user`], in camelCase.
pub fn user_v2(u: &User) -> Value {
    match user(u) {
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (camel(&k), v)).collect()),
        other => other,
    }
}

/// A message's keyboard, menu and attachments (`KEYBOARD`, `MENU`,
/// `ATTACH`), as stored.
pub fn stored_params(m: &Message) -> Map<String, Value> {
    m.params
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or_default()
}

/// A message as the v2-style answers show one, for `reader`.
pub fn message_v2(m: &Message) -> Value {
    let params = stored_params(m);
    let author = m.author.map_or(0, |a| a.0);
    json!({
        "id": m.id.0,
        "chatId": m.chat.0,
        "chat_id": m.chat.0,
        "authorId": author,
        "author_id": author,
        "date": iso_date(m.date),
        "text": m.text,
        "isSystem": m.author.is_none(),
        "uuid": null,
        "forward": null,
        "params": if params.is_empty() { json!([]) } else { Value::Object(params) },
        "viewedByOthers": false,
        "block": null,
        "unread": false,
        "viewed": true,
        "viewedCount": 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::users::UserStatus;
    use crate::domain::{ChatId, MessageId};

    /// `im.dialog.messages.get`'s answer as it was built before
    /// [`history`]: a `Value` per message and user.
    fn history_as_values(h: &History, reader: UserId, files: Vec<Value>) -> Value {
        let message = |m: &Message| {
            let mut params = Map::new();
            if !m.likes.is_empty() {
                params.insert(
                    "LIKE".into(),
                    Value::Array(m.likes.iter().map(|u| u.0.into()).collect()),
                );
            }
            if let Some(code) = &m.system_code {
                params.insert("CODE".into(), json!([code]));
                params.insert("NOTIFY".into(), json!("N"));
            }
            if m.edited {
                params.insert("IS_EDITED".into(), json!("Y"));
            }
            if m.deleted {
                params.insert("IS_DELETED".into(), json!("Y"));
            }
            params.extend(stored_params(m));
            json!({
                "id": m.id.0,
                "chat_id": m.chat.0,
                "author_id": m.author.map_or(0, |a| a.0),
                "date": iso_date(m.date),
                "text": m.text,
                "unread": false,
                "uuid": null,
                "replaces": [],
                "params": if params.is_empty() { json!([]) } else { Value::Object(params) },
                "disappearing_date": null,
            })
        };
        let messages: Vec<Value> = h
            .messages
            .iter()
            .map(|m| {
                let mut v = message(m);
                v["unread"] = json!(m.id.0 > h.last_read && m.author != Some(reader));
                let mine: Vec<i64> = h
                    .files
                    .iter()
                    .filter(|f| f.message == Some(m.id))
                    .map(|f| f.id)
                    .collect();
                if !mine.is_empty() {
                    if !v["params"].is_object() {
                        v["params"] = json!({});
                    }
                    v["params"]["FILE_ID"] = json!(mine);
                }
                v
            })
            .collect();
        json!({
            "chat_id": h.chat.map_or(0, |c| c.0),
            "messages": messages,
            "users": h.authors.iter().map(user_as_value).collect::<Vec<Value>>(),
            "files": files,
        })
    }

    /// A user as [`user`] rendered one before [`UserView`].
    fn user_as_value(u: &User) -> Value {
        json!({
            "id": u.id.0,
            "active": u.active,
            "name": u.full_name(),
            "first_name": u.first_name,
            "last_name": u.last_name,
            "work_position": u.profile.get("WORK_POSITION").map_or("", String::as_str),
            "color": u.color(),
            "avatar": "",
            "avatar_hr": "",
            "gender": u.profile.get("PERSONAL_GENDER").map_or("", String::as_str),
            "birthday": "",
            "extranet": false,
            "network": false,
            "bot": u.bot,
            "connector": false,
            "external_auth_id": if u.bot { "bot" } else { "default" },
            "status": u.status.as_str(),
            "idle": u.idle_since.map_or(Value::Bool(false), |t| Value::from(iso_date(t))),
            "last_activity_date": iso_date(u.last_activity()),
            "mobile_last_date": false,
            "desktop_last_date": false,
            "absent": false,
            "departments": u.departments(),
            "phones": false,
            "bot_data": null,
            "type": if u.bot { "bot" } else { "user" },
            "website": u.profile.get("PERSONAL_WWW").map_or("", String::as_str),
            "email": u.email.as_deref().unwrap_or(""),
        })
    }

    fn person(id: i64, first: &str, last: &str) -> User {
        User {
            id: UserId(id),
            first_name: first.into(),
            last_name: last.into(),
            admin: false,
            active: true,
            created_at: Timestamp(1_772_608_704),
            bot: false,
            status: UserStatus::Online,
            idle_since: None,
            departments: vec![1],
            email: None,
            profile: Default::default(),
            // Seen (the live channel) or not: both renderings.
            last_seen: (id % 2 == 0).then_some(Timestamp(1_772_609_000)),
        }
    }

    fn said(id: i64, author: Option<i64>, text: &str) -> Message {
        Message {
            id: MessageId(id),
            chat: ChatId(7),
            author: author.map(UserId),
            text: text.into(),
            date: Timestamp(1_772_608_704 + id),
            system_code: None,
            edited: false,
            deleted: false,
            likes: Vec::new(),
            params: None,
        }
    }

    fn sent(id: i64, message: i64) -> StoredFile {
        StoredFile {
            id,
            folder: 1,
            chat: Some(ChatId(7)),
            message: Some(MessageId(message)),
            author: UserId(1),
            author_name: "Anna Lee".into(),
            name: format!("report{id}.png"),
            size: 1234,
            hash: "abc".into(),
            dimensions: Some((640, 480)),
            created_at: Timestamp(1_772_608_704),
        }
    }

    #[test]
    fn the_written_history_is_the_value_history_byte_for_byte() {
        let keyboard = r##"{"KEYBOARD":[{"TEXT":"Да \"yes\"","COMMAND":"yes","BG_COLOR":"#29619b"}],"ATTACH":[{"MESSAGE":"a\\b\n\u0001"}]}"##;
        let mut messages = vec![
            said(1, Some(1), "plain"),
            said(
                2,
                Some(2),
                "liked </script> \"quoted\" ünïcode \u{1F600} \t",
            ),
            said(3, None, "[USER=1 REPLACE]Anna[/USER] joined"),
            said(4, Some(1), "edited"),
            said(5, Some(2), ""),
            said(6, Some(1), "with a keyboard"),
            said(7, Some(2), "with files"),
            said(8, Some(1), "params, files and likes"),
            said(9, Some(1), "params that name computed keys"),
            said(10, Some(1), "params not JSON"),
            said(11, Some(2), "params empty, a file"),
        ];
        messages[1].likes = vec![UserId(2), UserId(1)];
        messages[2].system_code = Some("CHAT_JOIN".into());
        messages[3].edited = true;
        messages[4].deleted = true;
        messages[4].edited = true;
        messages[4].likes = vec![UserId(1)];
        messages[5].params = Some(keyboard.into());
        messages[7].params = Some(keyboard.into());
        messages[7].likes = vec![UserId(1)];
        messages[7].edited = true;
        messages[8].params =
            Some(r#"{"ATTACH":[],"LIKE":[9],"FILE_ID":[1],"IS_EDITED":"N"}"#.into());
        messages[8].likes = vec![UserId(3)];
        messages[9].params = Some("not json".into());
        messages[10].params = Some("{}".into());
        messages.reverse();
        let mut bot = person(3, "", "");
        bot.bot = true;
        bot.departments = Vec::new();
        bot.idle_since = Some(Timestamp(1_772_608_000));
        bot.status = UserStatus::Dnd;
        let mut anna = person(1, "Anna", "Lee");
        anna.email = Some("anna@example.com".into());
        anna.profile
            .insert("WORK_POSITION".into(), "Lead \"dev\"".into());
        anna.profile.insert("PERSONAL_GENDER".into(), "F".into());
        anna.profile
            .insert("PERSONAL_WWW".into(), "https://example.com/?a=1&b=2".into());
        let history = History {
            chat: Some(ChatId(7)),
            messages,
            authors: vec![anna, person(2, "Bob", ""), bot],
            files: vec![
                sent(21, 7),
                sent(22, 7),
                sent(23, 8),
                sent(24, 9),
                sent(25, 11),
            ],
            last_read: 4,
        };
        let files = vec![json!({"id": 21, "name": "report21.png"}), json!({"id": 22})];
        for u in &history.authors {
            assert_eq!(user(u), user_as_value(u));
        }
        for reader in [UserId(1), UserId(2), UserId(5)] {
            let old =
                serde_json::to_string(&history_as_values(&history, reader, files.clone())).unwrap();
            let new = super::history(&history, reader, files.clone()).unwrap();
            assert_eq!(new, old);
        }
        let empty = History {
            last_read: i64::MAX,
            ..History::default()
        };
        assert_eq!(
            super::history(&empty, UserId(1), Vec::new()).unwrap(),
            serde_json::to_string(&history_as_values(&empty, UserId(1), Vec::new())).unwrap()
        );
        assert_eq!(
            super::history(&empty, UserId(1), Vec::new()).unwrap(),
            r#"{"chat_id":0,"messages":[],"users":[],"files":[]}"#
        );
    }

    #[test]
    fn a_user_value_has_every_key_in_order() {
        let u = person(1, "Anna", "Lee");
        let keys: Vec<String> = user(&u).as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys.len(), 28);
        assert_eq!(keys[0], "id");
        assert_eq!(keys[25], "type");
        assert_eq!(user(&u)["idle"], json!(false));
        assert_eq!(user(&u)["bot_data"], Value::Null);
    }
}
