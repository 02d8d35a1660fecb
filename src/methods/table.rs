//! The method table: every REST method b24im serves, declared once with its
//! scope and handler. Routing, `batch`, `methods` and the scope check all
//! read this one list (through [`super::ctx::Ctx::methods`]).

use super::ctx::{Method, Scope};
use super::{
    access, batch, deliveries, department, events, im_chat, im_counters, im_department, im_dialog,
    im_file, im_message, im_notify, im_recent, im_search, im_user, imbot, imbot_v2, imbot_v2_chat,
    meta, options, user, user_field,
};

const IM: Scope = Scope::AnyOf(&["im"]);
const IMBOT: Scope = Scope::AnyOf(&["imbot"]);
const USER: Scope = Scope::AnyOf(&["user", "user_brief", "user_basic"]);
/// Adding and changing users needs the full `user` scope.
const USER_WRITE: Scope = Scope::AnyOf(&["user"]);
/// The company structure: anyone with it reads, administrators change it.
const DEPARTMENT: Scope = Scope::AnyOf(&["department"]);
/// The portal's custom user fields: administrators only (checked by the methods).
const USER_FIELD: Scope = Scope::AnyOf(&["user.userfield"]);

macro_rules! method {
    ($name:literal, $scope:expr, $handler:path) => {
        method!($name, $scope, $handler, true)
    };
    ($name:literal, $scope:expr, $handler:path, $batchable:expr) => {
        Method {
            name: $name,
            scope: $scope,
            batchable: $batchable,
            handler: |cx, p| Box::pin($handler(cx, p)),
        }
    };
}

/// Every method b24im serves. Names are lowercase; lookups ignore case.
pub static METHODS: &[Method] = &[
    method!("batch", Scope::Basic, batch::run, false),
    method!("methods", Scope::Basic, meta::methods),
    method!("scope", Scope::Basic, meta::scope),
    method!("server.time", Scope::Basic, meta::server_time),
    method!("profile", Scope::Basic, meta::profile),
    method!("method.get", Scope::Basic, meta::method_get),
    method!("feature.get", Scope::Basic, meta::feature_get),
    method!("events", Scope::Basic, meta::events),
    method!("app.info", Scope::Basic, meta::app_info),
    method!("app.option.get", Scope::Basic, options::app_get),
    method!("app.option.set", Scope::Basic, options::app_set),
    method!("user.option.get", Scope::Basic, options::user_get),
    method!("user.option.set", Scope::Basic, options::user_set),
    method!("user.admin", Scope::Basic, access::user_admin),
    method!("user.access", Scope::Basic, access::user_access),
    method!("access.name", Scope::Basic, access::access_name),
    method!("b24im.event.delivery.list", Scope::Basic, deliveries::list),
    method!(
        "b24im.event.delivery.replay",
        Scope::Basic,
        deliveries::replay
    ),
    method!("user.current", USER, meta::user_current),
    method!("user.fields", USER, meta::user_fields),
    method!("user.get", USER, user::get),
    method!("user.add", USER_WRITE, user::add),
    method!("user.update", USER_WRITE, user::update),
    method!("user.search", USER, user::search),
    method!("user.userfield.add", USER_FIELD, user_field::add),
    method!("user.userfield.update", USER_FIELD, user_field::update),
    method!("user.userfield.delete", USER_FIELD, user_field::delete),
    method!("user.userfield.list", USER_FIELD, user_field::list),
    method!("department.fields", DEPARTMENT, department::fields),
    method!("department.get", DEPARTMENT, department::get),
    method!("department.add", DEPARTMENT, department::add),
    method!("department.update", DEPARTMENT, department::update),
    method!("department.delete", DEPARTMENT, department::delete),
    method!("im.user.get", IM, im_user::get),
    method!("im.user.list.get", IM, im_user::list_get),
    method!("im.user.status.get", IM, im_user::status_get),
    method!("im.user.status.set", IM, im_user::status_set),
    method!("im.user.status.idle.start", IM, im_user::idle_start),
    method!("im.user.status.idle.end", IM, im_user::idle_end),
    method!("im.chat.add", IM, im_chat::add),
    method!("im.chat.get", IM, im_chat::get),
    method!("im.chat.user.add", IM, im_chat::user_add),
    method!("im.chat.user.delete", IM, im_chat::user_delete),
    method!("im.chat.user.list", IM, im_chat::user_list),
    method!("im.chat.leave", IM, im_chat::leave),
    method!("im.chat.updatetitle", IM, im_chat::update_title),
    method!("im.chat.updatecolor", IM, im_chat::update_color),
    method!("im.chat.setowner", IM, im_chat::set_owner),
    method!("im.chat.updateavatar", IM, im_chat::update_avatar),
    method!("im.chat.mute", IM, im_chat::mute),
    method!("im.dialog.get", IM, im_dialog::get),
    method!("im.dialog.messages.get", IM, im_dialog::messages_get),
    method!("im.dialog.users.list", IM, im_dialog::users_list),
    method!("im.dialog.messages.search", IM, im_dialog::messages_search),
    method!("im.dialog.writing", IM, im_dialog::writing),
    method!("im.dialog.read", IM, im_dialog::read),
    method!("im.dialog.unread", IM, im_dialog::unread),
    method!("im.dialog.read.all", IM, im_dialog::read_all),
    method!("im.counters.get", IM, im_counters::get),
    method!("im.recent.list", IM, im_recent::list),
    method!("im.recent.get", IM, im_recent::get),
    method!("im.recent.pin", IM, im_recent::pin),
    method!("im.recent.hide", IM, im_recent::hide),
    method!("im.recent.unread", IM, im_recent::unread),
    method!("im.revision.get", IM, meta::revision),
    method!("im.message.add", IM, im_message::add),
    method!("im.message.update", IM, im_message::update),
    method!("im.message.delete", IM, im_message::delete),
    method!("im.message.like", IM, im_message::like),
    method!("im.message.command", IM, im_message::command),
    method!("im.message.share", IM, im_message::share),
    method!("im.department.get", IM, im_department::get),
    method!(
        "im.department.managers.get",
        IM,
        im_department::managers_get
    ),
    method!(
        "im.department.employees.get",
        IM,
        im_department::employees_get
    ),
    method!(
        "im.department.colleagues.list",
        IM,
        im_department::colleagues_list
    ),
    method!("im.search.user.list", IM, im_search::user_list),
    method!("im.search.chat.list", IM, im_search::chat_list),
    method!("im.search.department.list", IM, im_search::department_list),
    method!("im.search.last.get", IM, im_search::last_get),
    method!("im.search.last.add", IM, im_search::last_add),
    method!("im.search.last.delete", IM, im_search::last_delete),
    // Not in batch: the docs' batch page refuses file methods (405).
    method!("im.v2.file.upload", IM, im_file::upload, false),
    method!("im.v2.file.download", IM, im_file::download, false),
    method!("im.disk.folder.get", IM, im_file::folder_get),
    method!("im.disk.file.save", IM, im_file::file_save),
    method!("im.disk.file.commit", IM, im_file::commit),
    method!("im.disk.file.delete", IM, im_file::file_delete),
    method!("im.notify", IM, im_notify::notify),
    method!("im.notify.personal.add", IM, im_notify::personal_add),
    method!("im.notify.system.add", IM, im_notify::system_add),
    method!("im.notify.get", IM, im_notify::get),
    method!("im.notify.history.search", IM, im_notify::history_search),
    method!("im.notify.read", IM, im_notify::read),
    method!("im.notify.read.list", IM, im_notify::read_list),
    method!("im.notify.read.all", IM, im_notify::read_all),
    method!("im.notify.answer", IM, im_notify::answer),
    method!("im.notify.confirm", IM, im_notify::confirm),
    method!("im.notify.delete", IM, im_notify::delete),
    method!("im.notify.schema.get", IM, im_notify::schema_get),
    method!("event.bind", Scope::Basic, events::bind),
    method!("event.unbind", Scope::Basic, events::unbind),
    method!("event.get", Scope::Basic, events::get),
    method!("event.offline.get", Scope::Basic, events::offline_get),
    method!("event.offline.clear", Scope::Basic, events::offline_clear),
    method!("event.offline.error", Scope::Basic, events::offline_error),
    method!("event.offline.list", Scope::Basic, events::offline_list),
    method!(
        "im.v2.chat.bot.sendcontext",
        IM,
        imbot_v2_chat::send_context
    ),
    method!("im.v2.event.subscribe", IM, events::subscribe),
    method!("im.v2.event.unsubscribe", IM, events::unsubscribe),
    method!("im.v2.event.get", IM, events::user_get),
    method!("imbot.register", IMBOT, imbot::register),
    method!("imbot.unregister", IMBOT, imbot::unregister),
    method!("imbot.update", IMBOT, imbot::update),
    method!("imbot.chat.add", IMBOT, imbot::chat_add),
    method!("imbot.command.register", IMBOT, imbot::command_register),
    method!("imbot.command.unregister", IMBOT, imbot::command_unregister),
    method!("imbot.command.answer", IMBOT, imbot::command_answer),
    method!("imbot.command.update", IMBOT, imbot::command_update),
    method!("imbot.chat.get", IMBOT, imbot::chat_get),
    method!("imbot.chat.leave", IMBOT, imbot::chat_leave),
    method!("imbot.chat.sendtyping", IMBOT, imbot::chat_send_typing),
    method!("imbot.chat.user.add", IMBOT, imbot::chat_user_add),
    method!("imbot.chat.user.delete", IMBOT, imbot::chat_user_delete),
    method!("imbot.chat.user.list", IMBOT, imbot::chat_user_list),
    method!("imbot.chat.setmanager", IMBOT, imbot::chat_set_manager),
    method!("imbot.chat.setowner", IMBOT, imbot::chat_set_owner),
    method!("imbot.chat.updatetitle", IMBOT, imbot::chat_update_title),
    method!("imbot.chat.updatecolor", IMBOT, imbot::chat_update_color),
    method!("imbot.chat.updateavatar", IMBOT, imbot::chat_update_avatar),
    method!("imbot.dialog.get", IMBOT, imbot::dialog_get),
    method!("imbot.bot.list", IMBOT, imbot::list),
    method!("imbot.message.add", IMBOT, imbot::message_add),
    method!("imbot.message.update", IMBOT, imbot::message_update),
    method!("imbot.message.delete", IMBOT, imbot::message_delete),
    method!("imbot.message.like", IMBOT, imbot::message_like),
    method!("imbot.v2.bot.register", IMBOT, imbot_v2::register),
    method!("imbot.v2.bot.unregister", IMBOT, imbot_v2::unregister),
    method!("imbot.v2.bot.get", IMBOT, imbot_v2::get),
    method!("imbot.v2.bot.update", IMBOT, imbot_v2::update),
    method!("imbot.v2.bot.list", IMBOT, imbot_v2::list),
    method!("imbot.v2.chat.message.send", IMBOT, imbot_v2::message_send),
    method!(
        "imbot.v2.chat.message.update",
        IMBOT,
        imbot_v2::message_update
    ),
    method!(
        "imbot.v2.chat.message.delete",
        IMBOT,
        imbot_v2::message_delete
    ),
    method!(
        "imbot.v2.chat.message.reaction.add",
        IMBOT,
        imbot_v2::reaction_add
    ),
    method!(
        "imbot.v2.chat.message.reaction.delete",
        IMBOT,
        imbot_v2::reaction_delete
    ),
    method!("imbot.v2.event.get", IMBOT, imbot_v2::event_get),
    method!(
        "imbot.v2.command.register",
        IMBOT,
        imbot_v2::command_register
    ),
    method!(
        "imbot.v2.command.unregister",
        IMBOT,
        imbot_v2::command_unregister
    ),
    method!("imbot.v2.command.update", IMBOT, imbot_v2::command_update),
    method!("imbot.v2.command.list", IMBOT, imbot_v2::command_list),
    method!("imbot.v2.command.answer", IMBOT, imbot_v2::command_answer),
    method!("imbot.v2.file.upload", IMBOT, imbot_v2::file_upload),
    method!("imbot.v2.file.download", IMBOT, imbot_v2::file_download),
    method!("imbot.v2.revision.get", IMBOT, imbot_v2::revision_get),
    method!("imbot.v2.chat.add", IMBOT, imbot_v2_chat::add),
    method!("imbot.v2.chat.get", IMBOT, imbot_v2_chat::get),
    method!("imbot.v2.chat.update", IMBOT, imbot_v2_chat::update),
    method!("imbot.v2.chat.leave", IMBOT, imbot_v2_chat::leave),
    method!("imbot.v2.chat.setowner", IMBOT, imbot_v2_chat::set_owner),
    method!("imbot.v2.chat.user.add", IMBOT, imbot_v2_chat::user_add),
    method!(
        "imbot.v2.chat.user.delete",
        IMBOT,
        imbot_v2_chat::user_delete
    ),
    method!("imbot.v2.chat.user.list", IMBOT, imbot_v2_chat::user_list),
    method!(
        "imbot.v2.chat.manager.add",
        IMBOT,
        imbot_v2_chat::manager_add
    ),
    method!(
        "imbot.v2.chat.manager.delete",
        IMBOT,
        imbot_v2_chat::manager_delete
    ),
    method!(
        "imbot.v2.chat.message.get",
        IMBOT,
        imbot_v2_chat::message_get
    ),
    method!(
        "imbot.v2.chat.message.read",
        IMBOT,
        imbot_v2_chat::message_read
    ),
    method!(
        "imbot.v2.chat.message.getcontext",
        IMBOT,
        imbot_v2_chat::message_context
    ),
    method!(
        "imbot.v2.chat.inputaction.notify",
        IMBOT,
        imbot_v2_chat::input_action
    ),
    method!(
        "imbot.v2.chat.textfield.enabled",
        IMBOT,
        imbot_v2_chat::text_field
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::methods::registry::find;

    #[test]
    fn lookup_ignores_case_and_json_suffix() {
        assert_eq!(
            find(METHODS, "IM.Message.Like").map(|m| m.name),
            Some("im.message.like")
        );
        assert_eq!(
            find(METHODS, "im.message.like.json").map(|m| m.name),
            Some("im.message.like")
        );
        assert!(find(METHODS, "im.message.likes").is_none());
    }

    #[test]
    fn every_method_is_declared_once_in_lowercase() {
        for (i, m) in METHODS.iter().enumerate() {
            assert_eq!(m.name, m.name.to_ascii_lowercase());
            assert!(
                METHODS[i + 1..].iter().all(|o| o.name != m.name),
                "{}",
                m.name
            );
        }
    }
}
