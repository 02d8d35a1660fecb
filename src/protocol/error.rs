//! `ApiError`: a Bitrix-style error (`error`, `error_description`, HTTP status),
//! and the one table that maps messenger errors to Bitrix codes.

use std::borrow::Cow;

use axum::http::StatusCode;

use super::params::ParamsError;
use crate::domain;
use crate::domain::store::StoreError;

/// An error as a Bitrix24 client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: Cow<'static, str>,
    pub description: Cow<'static, str>,
    /// The parameter an `ERROR_ARGUMENT` names (`"argument"` beside the
    /// code, as portals add to an `ArgumentNullException`).
    pub argument: Option<&'static str>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        description: impl Into<Cow<'static, str>>,
    ) -> Self {
        ApiError {
            status,
            code: code.into(),
            description: description.into(),
            argument: None,
        }
    }

    /// A required parameter missing or empty, as portals answer a PHP
    /// `ArgumentNullException`: 400 `ERROR_ARGUMENT` naming it twice.
    pub fn argument_null(name: &'static str) -> Self {
        let mut e = ApiError::new(
            StatusCode::BAD_REQUEST,
            "ERROR_ARGUMENT",
            format!("Argument '{name}' is null or empty"),
        );
        e.argument = Some(name);
        e
    }

    /// A method's own parameter error: HTTP 400 with the documented code.
    pub fn param(code: &'static str, description: &'static str) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, code, description)
    }

    /// An access token the server does not know (never issued, revoked,
    /// or its application deleted): what portals' OAuth check answers, and
    /// what b24jssdk renews the token on.
    pub fn invalid_token() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "Unable to get application by token",
        )
    }

    /// No credential at all (an empty `auth` included).
    pub fn no_auth() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "NO_AUTH_FOUND",
            "Wrong authorization data",
        )
    }

    /// A webhook whose user or secret is wrong. Portals answer 401 (the
    /// chats pages' examples, and the official Python SDK's tests against
    /// live portals); the system-errors table's 403 is not what they send.
    pub fn invalid_credentials() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "INVALID_CREDENTIALS",
            "Invalid request credentials",
        )
    }

    pub fn expired_token() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "expired_token",
            "The access token provided has expired",
        )
    }

    pub fn insufficient_scope() -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "The request requires higher privileges than provided by the webhook token",
        )
    }

    pub fn method_not_found() -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "ERROR_METHOD_NOT_FOUND",
            "Method not found!",
        )
    }

    pub fn too_large(limit: usize) -> Self {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "REQUEST_TOO_LARGE",
            format!("The request body is larger than {limit} bytes"),
        )
    }

    /// A request body that did not arrive within the body timeout.
    pub fn body_timeout(limit: std::time::Duration) -> Self {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "REQUEST_TIMEOUT",
            format!(
                "The request body did not arrive within {} seconds",
                limit.as_secs()
            ),
        )
    }

    /// A real bug or an unavailable database. The cause is logged by the
    /// caller, never shown.
    pub fn internal() -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_SERVER_ERROR",
            "Internal server error",
        )
    }
}

impl From<ParamsError> for ApiError {
    fn from(e: ParamsError) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "INVALID_REQUEST", e.to_string())
    }
}

/// The Bitrix code table: each messenger error has exactly one answer here.
impl From<domain::Error> for ApiError {
    fn from(e: domain::Error) -> Self {
        use domain::Error as E;
        let (status, code, description) = match e {
            E::WithoutChanges => (400, "WITHOUT_CHANGES", "Action completed without changes"),
            E::NoDialogAccess => (
                403,
                "ACCESS_ERROR",
                "You do not have access to the specified dialog",
            ),
            E::CannotPost => (
                400,
                "ACCESS_ERROR",
                "You don't have access or user isn't member in chat",
            ),
            // Portals cancel a message to a chat that does not exist (the
            // official Python SDK's tests, run against live portals, expect
            // 400 CANCELED for `DIALOG_ID=chat1111`).
            E::ChatNotFound => (
                400,
                "CANCELED",
                "Message isn't added: the chat does not exist",
            ),
            E::RecipientNotFound => (400, "USER_NOT_FOUND", "User not found"),
            E::CannotAddUsers => (
                403,
                "ACCESS_DENIED_EXTEND",
                "Insufficient permissions to add participants to the chat",
            ),
            E::NoUsersAdded => (
                400,
                "WRONG_REQUEST",
                "You don't have access or user already member in chat",
            ),
            E::CannotKick => (
                403,
                "ACCESS_DENIED_KICK",
                "Insufficient rights to exclude participants from the chat",
            ),
            E::UserNotInChat => (
                400,
                "USER_NOT_FOUND",
                "The specified user is not in the chat",
            ),
            E::CannotLeave => (
                403,
                "ACCESS_DENIED_KICK",
                "Access denied to kick user from chat",
            ),
            E::ActionUnavailable => (403, "ACCESS_ERROR", "Action unavailable"),
            E::CannotEditMessage => (
                403,
                "CANT_EDIT_MESSAGE",
                "Time has expired for modification or you don't have access",
            ),
            E::MessageEmpty => (400, "MESSAGE_EMPTY", "Message can't be empty"),
            E::MessageTooLong => (400, "MESSAGE_TOO_LONG", "Message is too long"),
            E::UserNotExists => (400, "USER_NOT_EXISTS", "User does not exist"),
            E::WrongColor => (400, "WRONG_COLOR", "This color currently unavailable"),
            E::TitleEmpty => (400, "TITLE_EMPTY", "Title can't be empty"),
            E::CannotMute => (403, "ACCESS_ERROR", "This chat cannot be muted"),
            // Not found, or the caller is no member of its chat (portals' check).
            E::CommandMessage => (400, "PARAMS_ERROR", "Incorrect params"),
            E::NoChatAccess => (403, "ACCESS_ERROR", "You do not have access to this chat"),
            E::NotGroupChat => (400, "DIALOG_ID_EMPTY", "Dialog ID can't be empty"),
            E::ColorUnchanged => (
                400,
                "WRONG_REQUEST",
                "This color currently set or chat doesn't exist",
            ),
            E::CannotSetOwner => (
                400,
                "WRONG_REQUEST",
                "Change owner can only owner and user must be member in chat",
            ),
            E::CannotManageUsers => (400, "ERROR_CORE", "access_denied"),
            E::CannotSetManager => (
                400,
                "WRONG_REQUEST",
                "Change manager can only owner and user must be member in chat",
            ),
            E::NoSuchChat => (400, "WRONG_REQUEST", "Chat doesn't exist"),
            E::AccessDenied => (400, "ACCESS_DENIED", "Access denied"),
            E::EmailTaken => (
                400,
                "ERROR_ARGUMENT",
                "A user with this email already exists",
            ),
            E::NoDepartment => (400, "ERROR_CORE", "There is no such department"),
            E::IntranetOnly => (
                403,
                "ACCESS_ERROR",
                "Only intranet users have access to this method",
            ),
            // A portal's AccessException: 403, "Access denied! " and the
            // reason (the pages' 400 `AccessException` is not what portals
            // send; the official Python SDK's live test expects 403).
            E::ApplicationRequired => (
                403,
                "ACCESS_DENIED",
                "Access denied! Application context required",
            ),
            E::AdministratorRequired => (
                403,
                "ACCESS_DENIED",
                "Access denied! Administrator authorization required",
            ),
            E::Bot(b) => return bot_error(b),
            E::OAuth(o) => return oauth_error(o),
            E::Command(c) => {
                use domain::bots::CommandError as C;
                let code = match c {
                    C::Empty => "COMMAND_ERROR",
                    C::HandlerMissing | C::HandlerInvalid => "EVENT_COMMAND_ADD_ERROR",
                    C::LangEmpty => "LANG_ERROR",
                    C::NotFound => "COMMAND_ID_ERROR",
                    C::OtherApp => "APP_ID_ERROR",
                };
                return ApiError::new(StatusCode::BAD_REQUEST, code, c.to_string());
            }
            E::BotV2(b) => {
                use domain::bots::BotV2Error as V;
                let description = b.to_string();
                let code = match b {
                    V::TokenMissing => "BOT_TOKEN_NOT_SPECIFIED",
                    V::IdRequired => "BOT_ID_REQUIRED",
                    V::NotFound => "BOT_NOT_FOUND",
                    V::Ownership => "BOT_OWNERSHIP_ERROR",
                    V::CodeRequired => "BOT_CODE_REQUIRED",
                    V::PropertiesRequired => "BOT_PROPERTIES_REQUIRED",
                    V::CodeTaken => "BOT_CODE_ALREADY_TAKEN",
                    V::InvalidType => "BOT_INVALID_TYPE",
                    V::InvalidEventMode => "BOT_INVALID_EVENT_MODE",
                    V::WebhookUrlRequired => "BOT_WEBHOOK_URL_REQUIRED",
                    V::InvalidCallback => "BOT_INVALID_CALLBACK",
                    V::LimitExceeded => "BOT_LIMIT_EXCEEDED",
                };
                let status = match b {
                    V::Ownership => StatusCode::FORBIDDEN,
                    _ => StatusCode::BAD_REQUEST,
                };
                return ApiError::new(status, code, description);
            }
            E::UserField(u) => {
                use domain::user_fields::UserFieldError as U;
                let code = match u {
                    U::Exists(_) | U::Core(_) => "ERROR_CORE",
                    _ => "",
                };
                return ApiError::new(StatusCode::BAD_REQUEST, code, u.to_string());
            }
            E::Department(d) => {
                use domain::departments::DepartmentError as D;
                // The portal's AccessException: 403 (the pages' 400
                // ERROR_CORE "Access denied" is not what portals send).
                let (status, code) = match d {
                    D::AccessDenied => (StatusCode::FORBIDDEN, "ACCESS_DENIED"),
                    _ => (StatusCode::BAD_REQUEST, "ERROR_CORE"),
                };
                return ApiError::new(status, code, d.to_string());
            }
            E::Reaction(r) => {
                use domain::reactions::ReactionError as R;
                let description = r.to_string();
                let (status, code) = match r {
                    R::UnknownCode | R::NotSet => (StatusCode::BAD_REQUEST, "REACTION_NOT_FOUND"),
                    R::AlreadySet => (StatusCode::BAD_REQUEST, "REACTION_ALREADY_SET"),
                    R::NotVisible => (StatusCode::FORBIDDEN, "ACCESS_DENIED"),
                };
                return ApiError::new(status, code, description);
            }
            // Nothing was written, and it will pass: a client may retry
            // (b24pysdk retries 503, fast-bitrix24 every 5xx).
            E::Store(StoreError::Unavailable | StoreError::Retry) => (
                503,
                "SERVICE_UNAVAILABLE",
                "The database is unavailable; nothing was changed. Try again",
            ),
            // The change may have been saved: a 5xx would make clients
            // retry it (a second message, a like toggled back), so a 4xx
            // that says to look before trying again.
            E::Store(StoreError::OutcomeUnknown) => (
                409,
                "COMMIT_OUTCOME_UNKNOWN",
                "The database connection was lost while saving; the change may or may not \
                 have been saved. Check before repeating it",
            ),
            E::Store(err) => {
                tracing::error!(error = %err, "store failure");
                return ApiError::internal();
            }
        };
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
        ApiError::new(status, code, description)
    }
}

/// `/oauth/token/` refusals (settings/oauth/error-codes.md): lowercase
/// codes; 401 for a client that is not known or not proven, else 400.
fn oauth_error(e: domain::applications::OAuthError) -> ApiError {
    use domain::applications::OAuthError as O;
    let (status, description) = match e {
        O::InvalidClient => (
            StatusCode::UNAUTHORIZED,
            "Invalid client credentials, or the application is not installed",
        ),
        O::InvalidGrant => (
            StatusCode::BAD_REQUEST,
            "The authorization code or refresh token is invalid, expired or already used",
        ),
        O::UnsupportedGrantType => (
            StatusCode::BAD_REQUEST,
            "grant_type must be authorization_code or refresh_token",
        ),
        O::InvalidRequest => (StatusCode::BAD_REQUEST, "A required parameter is missing"),
    };
    ApiError::new(status, e.to_string(), description)
}

/// `imbot.*` errors, as the chat-bot pages list them.
fn bot_error(e: domain::bots::BotError) -> ApiError {
    use domain::bots::BotError as B;
    let description = e.to_string();
    let (status, code) = match e {
        B::NoClientId => (StatusCode::FORBIDDEN, "ACCESS_DENIED"),
        B::CodeEmpty => (StatusCode::BAD_REQUEST, "CODE_ERROR"),
        B::NameEmpty => (StatusCode::BAD_REQUEST, "NAME_ERROR"),
        B::HandlerMissing(p) | B::HandlerInvalid(p) => {
            // EVENT_MESSAGE_ADD -> EVENT_MESSAGE_ADD_ERROR, and so on.
            let code = format!("{}_ERROR", p.name());
            return ApiError::new(StatusCode::BAD_REQUEST, code, description);
        }
        B::TooMany => (StatusCode::BAD_REQUEST, "MAX_COUNT_ERROR"),
        B::NotFound => (StatusCode::BAD_REQUEST, "BOT_ID_ERROR"),
        B::OtherApp => (StatusCode::BAD_REQUEST, "APP_ID_ERROR"),
        B::CodeTaken => (StatusCode::BAD_REQUEST, "CODE_ERROR"),
    };
    ApiError::new(status, code, description)
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::from(domain::Error::Store(e))
    }
}
