//! The command line: `serve`, and the admin commands `user add`, `webhook
//! add|list|delete` and `token add`. The admin commands open the same data
//! directory as a running server and may run beside it: SQLite arbitrates, and
//! the server asks the store about any token it has not seen.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::builder::TypedValueParser;
use clap::{Args, Parser, Subcommand};

use crate::config::{self, ServeConfig};
use crate::domain::cases;
use crate::domain::credentials::{self, CredentialKind, Scopes, TokenHash};
use crate::domain::departments::{DepartmentChange, DepartmentSaved, NewDepartment};
use crate::domain::events::{DeliveryState, EventQuery};
use crate::domain::users::NewUser;
use crate::domain::{Timestamp, UserId};
use crate::events::DeliveryConfig;
use crate::protocol::envelope::iso_date;
use crate::server::{self, AppState};
use crate::store::{self, Store};
use crate::tls::{self, CertSource, TlsListener};

#[derive(Debug, Parser)]
#[command(
    name = "b24im",
    version,
    about = "A messenger server that speaks the Bitrix24 REST API"
)]
pub struct Cli {
    /// Data directory (SQLite database and state).
    #[arg(long, global = true, env = "B24IM_DATA", default_value = config::DEFAULT_DATA_DIR)]
    pub data: PathBuf,

    /// A PostgreSQL database (`postgres://user@host:5432/db`) shared by any
    /// number of nodes, instead of the SQLite database in the data directory.
    #[arg(long, global = true, env = "B24IM_DATABASE_URL")]
    pub database: Option<String>,

    /// The connections (each with a thread) this process reads the
    /// PostgreSQL database through; plus 4 for its group-committing writers
    /// and one that listens for other nodes' changes.
    #[arg(long, global = true, env = "B24IM_DATABASE_POOL",
          default_value_t = store::postgres::DEFAULT_POOL,
          value_parser = TypedValueParser::map(clap::value_parser!(u16).range(1..), usize::from))]
    pub database_pool: usize,

    /// How long a request waits for an unreachable PostgreSQL database (a
    /// restart, a failover) before it answers 503 SERVICE_UNAVAILABLE with
    /// nothing changed; e.g. 5s, 500ms.
    #[arg(long, global = true, env = "B24IM_DATABASE_WAIT", default_value = "5s",
          value_parser = parse_wait)]
    pub database_wait: std::time::Duration,

    /// Reader threads (each with its own connection) for the SQLite database;
    /// default: one per core.
    #[arg(long, global = true, env = "B24IM_READERS",
          value_parser = TypedValueParser::map(clap::value_parser!(u16).range(1..), usize::from))]
    pub readers: Option<usize>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(Box<ServeArgs>),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage the company structure (departments under department 1).
    #[command(subcommand)]
    Department(DepartmentCommand),
    /// Manage inbound webhooks.
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Manage OAuth-style access tokens (for `auth=` and `Authorization: Bearer`).
    #[command(subcommand)]
    Token(TokenCommand),
    /// OAuth 2.0 applications: add, list, install, delete.
    #[command(subcommand)]
    App(AppCommand),
    /// See and replay the events sent to bots' handlers.
    #[command(subcommand)]
    Events(EventsCommand),
}

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// List events, newest first: id, name, state, attempts, handler, last error.
    List {
        /// Only events in this state: pending, delivered or dead.
        #[arg(long)]
        state: Option<String>,
        /// How many events to list (1 to 10000).
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Deliver events again: the given ids, or every dead one.
    Replay {
        /// Event ids (as `events list` shows them); none: every dead event.
        ids: Vec<i64>,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "B24IM_LISTEN", default_value = config::DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// Address to serve HTTPS on, or `off`.
    #[arg(long, env = "B24IM_HTTPS_LISTEN", default_value = tls::DEFAULT_HTTPS_LISTEN,
          value_parser = tls::parse_https_listen)]
    pub https_listen: tls::HttpsListen,
    /// Serve this PEM certificate chain instead of the generated one (needs --tls-key).
    #[arg(long, env = "B24IM_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "B24IM_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// More names (DNS or IP) for the generated certificate, beside 127.0.0.1, ::1
    /// and localhost; comma-separated or repeated.
    #[arg(long, env = "B24IM_TLS_NAME", value_delimiter = ',')]
    pub tls_name: Vec<String>,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "B24IM_BODY_LIMIT", default_value_t = config::DEFAULT_BODY_LIMIT)]
    pub body_limit: usize,
    /// Whether `/oauth/authorize/` lists the users to sign in as (local
    /// mode); default: on when every listener is on a loopback address.
    #[arg(long, env = "B24IM_DEV_LOGIN")]
    pub dev_login: Option<bool>,
    /// The base URL event handlers are told to call back (`client_endpoint`
    /// in their `auth`); default: the HTTP listener's.
    #[arg(long, env = "B24IM_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Refuse event handlers that point at this machine or a private network
    /// when a non-administrator registers them, and deliver their events
    /// only to public addresses (checked again at each delivery). Off by
    /// default (a local server's bots run on it); on for a shared server.
    #[arg(long, env = "B24IM_REFUSE_PRIVATE_HANDLERS")]
    pub refuse_private_handlers: bool,
    /// Seconds one event delivery attempt may take.
    #[arg(long, env = "B24IM_EVENT_TIMEOUT", default_value_t = 10)]
    pub event_timeout: u64,
    /// Delivery attempts before an event is kept as dead.
    #[arg(long, env = "B24IM_EVENT_ATTEMPTS", default_value_t = 12)]
    pub event_attempts: i64,
    /// Seconds a request's head may take to arrive, counted from when the
    /// connection is ready for it (also how long a keep-alive connection may idle).
    #[arg(long, env = "B24IM_HEADER_TIMEOUT", default_value_t = config::DEFAULT_HEADER_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout: u64,
    /// Seconds a request body may take to arrive (then 408 REQUEST_TIMEOUT).
    #[arg(long, env = "B24IM_BODY_TIMEOUT", default_value_t = config::DEFAULT_BODY_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub body_timeout: u64,
    /// Connections open at once, HTTP and HTTPS together; beyond it new ones
    /// wait in the kernel's backlog while the open ones keep working.
    #[arg(long, env = "B24IM_MAX_CONNECTIONS", default_value_t = config::DEFAULT_MAX_CONNECTIONS,
          value_parser = TypedValueParser::map(clap::value_parser!(u32).range(1..), |n| n as usize))]
    pub max_connections: usize,
    /// Connections open at once from one client address (0: no cap; default
    /// an eighth of --max-connections, at least 8; an IPv6 client counts by
    /// its /64); beyond it a new one from that address is
    /// closed at once. Behind a proxy every client has the proxy's address:
    /// set it to 0 there.
    #[arg(long, env = "B24IM_MAX_CONNECTIONS_PER_ADDRESS")]
    pub max_connections_per_address: Option<usize>,
    /// Seconds a new connection may stay silent (no request, no TLS
    /// handshake) before it is closed.
    #[arg(long, env = "B24IM_FIRST_REQUEST_TIMEOUT", default_value_t = config::DEFAULT_FIRST_REQUEST_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub first_request_timeout: u64,
    /// Users one call may name (`USERS` of im.chat.add, im.chat.user.add, ...).
    #[arg(long, env = "B24IM_MAX_USERS_PER_CALL", default_value_t = config::DEFAULT_MAX_USERS_PER_CALL,
          value_parser = TypedValueParser::map(clap::value_parser!(u32).range(1..), |n| n as usize))]
    pub max_users_per_call: usize,
    /// Bytes `$result[...]` references may add to one batch command.
    #[arg(long, env = "B24IM_BATCH_EXPANSION", default_value_t = config::DEFAULT_BATCH_EXPANSION)]
    pub batch_expansion: usize,
    /// Bytes of results one batch answer holds; the commands after the one
    /// that reaches it answer ERROR_BATCH_ANSWER_TOO_LARGE, unrun.
    #[arg(long, env = "B24IM_BATCH_ANSWER_LIMIT", default_value_t = config::DEFAULT_BATCH_ANSWER,
          value_parser = TypedValueParser::map(clap::value_parser!(u64).range(1024..), |n| n as usize))]
    pub batch_answer_limit: usize,
    /// Bitrix24's request intensity limit per webhook or application:
    /// `off`, `standard` (50, drains 2 a second), `enterprise` (250, 5 a
    /// second) or `THRESHOLD:DRAIN`; past it, 503 QUERY_LIMIT_EXCEEDED.
    #[arg(long, env = "B24IM_RATE_LIMIT", value_parser = |s: &str| config::RateLimit::parse(s).map(Setting))]
    pub rate_limit: Option<Setting<config::RateLimit>>,
    /// Seconds of one method's run time per webhook or application over 10
    /// minutes (`operating`) before it answers 429 OPERATION_TIME_LIMIT, or `off`.
    #[arg(long, env = "B24IM_OPERATING_LIMIT", value_parser = |s: &str| parse_operating_limit(s).map(Setting))]
    pub operating_limit: Option<Setting<f64>>,
    /// Turn on the limits of a portal: --rate-limit standard and
    /// --operating-limit 480, unless those flags say otherwise.
    #[arg(long, env = "B24IM_PORTAL_LIMITS")]
    pub portal_limits: bool,
}

impl ServeArgs {
    /// The limits these flags set.
    pub fn limits(&self) -> config::Limits {
        let portal = self.portal_limits;
        config::Limits {
            header_timeout: std::time::Duration::from_secs(self.header_timeout),
            body_timeout: std::time::Duration::from_secs(self.body_timeout),
            max_connections: self.max_connections,
            max_connections_per_address: self
                .max_connections_per_address
                .unwrap_or_else(|| config::default_per_address(self.max_connections)),
            first_request_timeout: std::time::Duration::from_secs(self.first_request_timeout),
            max_users_per_call: self.max_users_per_call,
            batch_expansion: self.batch_expansion,
            batch_answer: self.batch_answer_limit,
            rate: match self.rate_limit {
                Some(Setting(set)) => set,
                None => portal.then_some(config::RateLimit::STANDARD),
            },
            operating_limit: match self.operating_limit {
                Some(Setting(set)) => set,
                None => portal.then_some(config::PORTAL_OPERATING_LIMIT_SECS),
            },
        }
    }
}

/// A limit given on the command line: a value, or `off` (`None`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Setting<T>(pub Option<T>);

/// `--operating-limit`: seconds, or `off`.
fn parse_operating_limit(s: &str) -> Result<Option<f64>, String> {
    if s.trim().eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    match s.trim().parse::<f64>() {
        Ok(n) if n > 0.0 && n.is_finite() => Ok(Some(n)),
        _ => Err(format!("{s:?}: give seconds (480) or off")),
    }
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user and print its id.
    Add {
        /// First name.
        #[arg(long)]
        name: String,
        /// Last name.
        #[arg(long, default_value = "")]
        last_name: String,
        /// Make the user an administrator (needed for offline events).
        #[arg(long)]
        admin: bool,
        /// The departments to place the user in (`UF_DEPARTMENT`), comma
        /// separated; the head department 1 when not given.
        #[arg(long, value_delimiter = ',')]
        department: Vec<i64>,
    },
    /// Place a user in departments (replacing where they were).
    Place {
        /// The user's id.
        #[arg(long)]
        user: i64,
        /// Department ids, comma separated.
        #[arg(long, value_delimiter = ',', required = true)]
        department: Vec<i64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DepartmentCommand {
    /// Create a department and print its id.
    Add {
        /// Its name.
        #[arg(long)]
        name: String,
        /// The department it is part of (the head department 1 by default).
        #[arg(long, default_value_t = 1)]
        parent: i64,
        /// Its head (manager): a user id.
        #[arg(long)]
        head: Option<i64>,
    },
    /// Name a department's head (manager), or remove it with `--head 0`.
    Head {
        /// The department's id.
        #[arg(long)]
        id: i64,
        /// A user id, or 0 for none.
        #[arg(long)]
        head: i64,
    },
    /// List the departments: id, parent, head, full name.
    List,
}

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Create an inbound webhook for a user and print its base URL.
    Add {
        /// The user the webhook acts as.
        #[arg(long)]
        user: i64,
        /// Comma-separated scopes; every known scope when omitted.
        #[arg(long)]
        scope: Option<String>,
        /// The base URL printed in front of /rest/ (default: the URL the last
        /// `serve` on this database answers at).
        #[arg(long, env = "B24IM_BASE_URL")]
        base_url: Option<String>,
    },
    /// List webhooks (their secrets are not stored and cannot be shown).
    List,
    /// Delete a webhook, given its secret or its URL.
    Delete {
        /// The webhook's secret, or its whole URL.
        token: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Create a local application; prints its client_id and client_secret.
    Add {
        /// What the application is called (shown when a user signs in).
        #[arg(long)]
        name: String,
        /// Comma-separated scopes; every known scope when omitted.
        #[arg(long)]
        scope: Option<String>,
        /// Where ONAPPINSTALL and ONAPPUNINSTALL are POSTed.
        #[arg(long, default_value = "")]
        handler: String,
        /// Where /oauth/authorize/ returns the user with a code (default:
        /// the handler).
        #[arg(long, default_value = "")]
        redirect_uri: String,
    },
    /// List the applications.
    List,
    /// Install an application as an administrator: POSTs ONAPPINSTALL with
    /// that user's tokens to its handler and prints them as JSON.
    Install {
        /// The client_id.
        client_id: String,
        /// The administrator who installs it.
        #[arg(long)]
        user: i64,
        /// Seconds the first access token lives (default an hour, as on a
        /// portal); a short one lets a test see its renewal.
        #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(i64).range(1..=3600))]
        access_ttl: i64,
    },
    /// Delete an application with its bots and tokens; POSTs ONAPPUNINSTALL.
    Delete {
        /// The client_id.
        client_id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Mint an access token for a user (valid for one hour) and print it.
    Add {
        /// The user the token acts as.
        #[arg(long)]
        user: i64,
        /// Comma-separated scopes; every known scope when omitted.
        #[arg(long)]
        scope: Option<String>,
    },
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let db = Database {
            data: cli.data,
            url: cli.database.filter(|u| !u.is_empty()),
            pool: cli.database_pool,
            wait: cli.database_wait,
            readers: cli.readers.unwrap_or_else(store::sqlite::default_readers),
        };
        match cli.command {
            Command::Serve(args) => serve(db, *args).await,
            Command::User(cmd) => user(db, cmd).await,
            Command::Department(cmd) => department(db, cmd).await,
            Command::Webhook(cmd) => webhook(db, cmd).await,
            Command::Token(cmd) => token(db, cmd).await,
            Command::App(cmd) => app(db, cmd).await,
            Command::Events(cmd) => events(db, cmd).await,
        }
    })
}

/// Where the store lives: the data directory's SQLite file, or `url`.
struct Database {
    data: PathBuf,
    url: Option<String>,
    pool: usize,
    wait: std::time::Duration,
    readers: usize,
}

impl Database {
    fn open(&self) -> anyhow::Result<Arc<dyn Store>> {
        let opened = match &self.url {
            None => store::sqlite::SqliteStore::open_with(&self.data, self.readers)
                .map(|s| Arc::new(s) as Arc<dyn Store>),
            Some(url) => store::open(Some(url), self.pool, self.wait, &self.data),
        };
        opened.with_context(|| format!("cannot open the database {}", self.describe()))
    }

    /// The database as it may be printed: a URL without its password.
    fn describe(&self) -> String {
        match &self.url {
            None => self.data.join(store::sqlite::DB_FILE).display().to_string(),
            // postgres://user:secret@host/db is shown as postgres://user@host/db.
            Some(url) => match (url.find("://"), url.rfind('@')) {
                (Some(s), Some(at)) if at > s => {
                    let user = url[s + 3..at].split(':').next().unwrap_or_default();
                    format!("{}{user}{}", &url[..s + 3], &url[at..])
                }
                _ => url.clone(),
            },
        }
    }
}

fn parse_scopes(raw: Option<&str>) -> anyhow::Result<Scopes> {
    match raw {
        None => Ok(Scopes::all()),
        Some(list) => Scopes::parse(list).map_err(anyhow::Error::msg),
    }
}

fn default_base_url() -> String {
    let listen = std::env::var("B24IM_LISTEN").unwrap_or_else(|_| config::DEFAULT_LISTEN.into());
    listen
        .parse::<SocketAddr>()
        .map(|a| config::base_url(&a))
        .unwrap_or_else(|_| format!("http://{listen}"))
}

fn default_https_base_url() -> Option<String> {
    let listen =
        std::env::var("B24IM_HTTPS_LISTEN").unwrap_or_else(|_| tls::DEFAULT_HTTPS_LISTEN.into());
    match tls::parse_https_listen(&listen) {
        Ok(tls::HttpsListen(addr)) => addr.map(|a| config::https_base_url(&a)),
        Err(_) => None,
    }
}

/// Where `serve` records the URLs it answers at, for the admin commands.
const HTTP_URL_SETTING: &str = "serve.http_url";
const HTTPS_URL_SETTING: &str = "serve.https_url";

/// The base URLs webhooks are printed with.
struct Urls {
    http: String,
    https: Option<String>,
}

impl Urls {
    /// What the last `serve` on this database recorded; before any, the
    /// defaults (`B24IM_LISTEN`, `B24IM_HTTPS_LISTEN`).
    async fn recorded(store: &dyn Store) -> anyhow::Result<Urls> {
        let http = store.get_setting(HTTP_URL_SETTING.into()).await?;
        let https = store.get_setting(HTTPS_URL_SETTING.into()).await?;
        Ok(Urls {
            http: http.unwrap_or_else(default_base_url),
            https: match https {
                // Recorded as empty: that server serves HTTP only.
                Some(url) => Some(url).filter(|u| !u.is_empty()),
                None => default_https_base_url(),
            },
        })
    }

    async fn record(&self, store: &dyn Store) -> anyhow::Result<()> {
        store
            .put_setting(HTTP_URL_SETTING.into(), self.http.clone())
            .await?;
        store
            .put_setting(
                HTTPS_URL_SETTING.into(),
                self.https.clone().unwrap_or_default(),
            )
            .await?;
        Ok(())
    }
}

/// The first command run on an empty database, `serve` or an admin command,
/// creates the administrator (user 1) and a webhook with every scope, and
/// prints them once. Nodes starting at once on a fresh database: the one
/// whose claim is stored first creates the admin.
/// Creates the administrator and its webhook on a fresh database, says so on
/// `out`, and gives back the webhook's URLs (HTTP, then HTTPS if served);
/// `None` on a database that already had its first user.
async fn bootstrap(
    store: &dyn Store,
    urls: &Urls,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<Option<(String, Option<String>)>> {
    let claim = credentials::Secret::webhook().0;
    if store.user_count().await? != 0
        || store.setting("bootstrap".into(), claim.clone()).await? != claim
    {
        return Ok(None);
    }
    let admin = store
        .create_user(NewUser::parse("Admin", "", true)?, Timestamp::now())
        .await?;
    let secret =
        cases::credentials::issue(store, CredentialKind::Webhook, admin.id, Scopes::all()).await?;
    let http = config::webhook_url(&urls.http, admin.id.0, &secret.0);
    let https = urls
        .https
        .as_ref()
        .map(|base| config::webhook_url(base, admin.id.0, &secret.0));
    writeln!(
        out,
        "Created user {} (Admin) and a webhook with every scope:",
        admin.id
    )?;
    writeln!(out, "  {http}")?;
    if let Some(https) = &https {
        writeln!(out, "  {https}")?;
    }
    writeln!(
        out,
        "Keep it: its secret is stored only as a hash. More: `b24im webhook add --user 1`."
    )?;
    Ok(Some((http, https)))
}

/// The shell lines that set the variables the README's examples use.
fn example_variables(
    base: &str,
    ca: Option<&std::path::Path>,
    hooks: Option<&(String, Option<String>)>,
) -> String {
    let mut vars = vec![format!("B24IM_URL={base}")];
    if let Some((http, https)) = hooks {
        vars.push(format!("B24IM_HOOK={http}"));
        if let Some(https) = https {
            vars.push(format!("B24IM_HTTPS_HOOK={https}"));
        }
    }
    if let Some(ca) = ca {
        vars.push(format!("B24IM_CA={}", ca.display()));
    }
    format!("  export {}", vars.join(" "))
}

/// The store for an admin command: opened, and bootstrapped if this is the
/// first command on the database (the banner goes to stderr, so stdout stays
/// the answer a script reads).
async fn open_for_admin(db: &Database) -> anyhow::Result<Arc<dyn Store>> {
    let store = db.open()?;
    let urls = Urls::recorded(store.as_ref()).await?;
    bootstrap(store.as_ref(), &urls, &mut std::io::stderr())
        .await
        .context("cannot create the administrator")?;
    Ok(store)
}

/// After a revocation: a server trusts a credential it looked up for at most
/// `CACHE_TTL`, counted from before its read, so once that has passed the
/// revocation holds on every server of this database, and the command
/// returns only then. On SQLite only a server on this directory can have
/// looked it up; on PostgreSQL any node may have, and the NOTIFY that tells
/// them at once is sent after the commit (and read by each node a moment
/// later), so the command waits there too.
async fn wait_out_credential_caches(db: &Database) {
    if db.url.is_some() || server_running(&db.data) {
        tokio::time::sleep(crate::protocol::auth::CACHE_TTL + std::time::Duration::from_millis(20))
            .await;
    }
}

/// Whether a `serve` holds the lock of this data directory.
fn server_running(data: &std::path::Path) -> bool {
    let Ok(file) = std::fs::File::open(data.join(SERVE_LOCK_FILE)) else {
        return false;
    };
    matches!(
        file.try_lock_shared(),
        Err(std::fs::TryLockError::WouldBlock)
    )
}

/// The file `serve` holds locked while it runs on a SQLite data directory.
const SERVE_LOCK_FILE: &str = "serve.lock";

/// One server per SQLite data directory (docs/deploying.md): `serve` holds
/// this lock for its life; a second one refuses to start. The admin commands
/// take no lock: SQLite's own locking orders their writes.
fn lock_data_dir(data: &std::path::Path) -> anyhow::Result<std::fs::File> {
    use std::io::Write;
    std::fs::create_dir_all(data)
        .with_context(|| format!("cannot create the data directory {}", data.display()))?;
    let path = data.join(SERVE_LOCK_FILE);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "another `b24im serve` is already running on the data directory {}: one server \
             per SQLite database (see docs/deploying.md). Stop it, or give this one its own \
             `--data DIR` (or `--database postgres://...` for many nodes).",
            data.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
    file.set_len(0)?;
    writeln!(file, "{}", std::process::id())?;
    Ok(file)
}

async fn serve(db: Database, args: ServeArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let _lock = match db.url {
        None => Some(lock_data_dir(&db.data)?),
        Some(_) => None,
    };
    let store = db.open()?;
    let data = db.data.clone();
    let limits = args.limits();
    let shutdown = shutdown_signal()?;
    // Bind first, so the printed URLs carry the real ports (also for `...:0`).
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (HTTP; `--listen ADDR` or B24IM_LISTEN changes it)",
                args.listen
            )
        })?;
    let local = listener.local_addr()?;
    let base = config::base_url(&local);
    let (https, ca_cert) = match args.https_listen.0 {
        None => (None, None),
        Some(addr) => {
            let source = match (args.tls_cert, args.tls_key) {
                (Some(cert), Some(key)) => CertSource::Files { cert, key },
                _ => CertSource::Generated {
                    extra_names: args.tls_name.clone(),
                },
            };
            let material = tls::load(&data, &source)?;
            let tcp = tokio::net::TcpListener::bind(addr).await.with_context(|| {
                format!(
                    "cannot listen on {addr} (HTTPS; `--https-listen ADDR` or B24IM_HTTPS_LISTEN \
                     changes it, `--https-listen off` disables it)"
                )
            })?;
            let tls = TlsListener::new(tcp, material.config)?;
            (Some(tls), material.ca_cert)
        }
    };
    let https_base = https
        .as_ref()
        .map(|l| config::https_base_url(&l.local_addr()));
    // Local mode of /oauth/authorize/ by default only when no listener
    // is reachable from another machine.
    let only_loopback = local.ip().is_loopback()
        && https
            .as_ref()
            .is_none_or(|l| l.local_addr().ip().is_loopback());
    let served = Urls {
        http: base.clone(),
        https: https_base.clone(),
    };
    let hooks = bootstrap(store.as_ref(), &served, &mut std::io::stdout()).await?;
    // What the admin commands print webhooks with: the address clients reach.
    Urls {
        http: args.public_url.clone().unwrap_or_else(|| base.clone()),
        https: https_base.clone(),
    }
    .record(store.as_ref())
    .await?;
    let ca_cert = ca_cert.map(|ca| std::path::absolute(&ca).unwrap_or(ca));
    if let Some(ca) = &ca_cert {
        println!("HTTPS certificate authority: {}", ca.display());
        println!("  trust it with NODE_EXTRA_CA_CERTS={0} (Node, b24jssdk), REQUESTS_CA_BUNDLE={0} (b24pysdk), SSL_CERT_FILE={0} (fast-bitrix24, curl --cacert {0})", ca.display());
    }
    println!("For the README's examples, in your shell:");
    println!(
        "{}",
        example_variables(&base, ca_cert.as_deref(), hooks.as_ref())
    );
    match &https_base {
        Some(https_base) => println!(
            "b24im serving {base} and {https_base} from {}",
            db.describe()
        ),
        None => println!("b24im serving {base} from {}", db.describe()),
    }
    let state = AppState::new(
        store,
        ServeConfig {
            listen: local,
            data_dir: data,
            body_limit: args.body_limit,
            limits,
            // A public URL on another host says a proxy brings clients from
            // elsewhere (one that adds no headers included): no local mode.
            dev_login: args.dev_login.unwrap_or(
                only_loopback
                    && args
                        .public_url
                        .as_deref()
                        .is_none_or(config::is_loopback_url),
            ),
            delivery: DeliveryConfig {
                timeout: std::time::Duration::from_secs(args.event_timeout.max(1)),
                max_attempts: args.event_attempts.max(1),
                public_url: args.public_url.clone().unwrap_or_else(|| base.clone()),
                refuse_private: args.refuse_private_handlers,
                ..DeliveryConfig::default()
            },
        },
    );
    server::run(listener, https, state, shutdown).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Ctrl-C or SIGTERM. The handlers are installed here, before the caller
/// announces that it is serving, so a signal sent right after that line is
/// never met by the default action (an abrupt exit).
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
        let mut int = signal(SignalKind::interrupt()).context("cannot watch SIGINT")?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {},
                _ = int.recv() => {},
            }
            tracing::info!("shutting down");
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutting down");
        })
    }
}

async fn user(db: Database, cmd: UserCommand) -> anyhow::Result<()> {
    let store = open_for_admin(&db).await?;
    match cmd {
        UserCommand::Add {
            name,
            last_name,
            admin,
            department,
        } => {
            let new = NewUser::parse(&name, &last_name, admin)?;
            if department.is_empty() {
                let user = store.create_user(new, Timestamp::now()).await?;
                println!("{}", user.id);
                return Ok(());
            }
            // Checked before the user is made, so a typo makes nobody.
            let structure = store.departments().await?;
            if let Some(missing) = department.iter().find(|d| structure.get(**d).is_none()) {
                bail!("there is no department {missing} (see `department list`)");
            }
            let user = store
                .create_user(new.in_departments(department), Timestamp::now())
                .await?;
            println!("{}", user.id);
        }
        UserCommand::Place { user, department } => {
            let Some(user) = UserId::new(user) else {
                bail!("--user must be a positive user id");
            };
            if !store.place_user(user, department).await? {
                bail!("no such person, or a department that does not exist");
            }
        }
    }
    Ok(())
}

async fn department(db: Database, cmd: DepartmentCommand) -> anyhow::Result<()> {
    let store = open_for_admin(&db).await?;
    match cmd {
        DepartmentCommand::Add { name, parent, head } => {
            let head = match head {
                Some(h) => Some(
                    UserId::new(h)
                        .ok_or_else(|| anyhow::anyhow!("--head must be a positive user id"))?,
                ),
                None => None,
            };
            let new = NewDepartment::parse(&name, parent, head).map_err(anyhow::Error::msg)?;
            match store.add_department(new).await? {
                DepartmentSaved::Saved(id) => println!("{id}"),
                _ => bail!("no department {parent}, or the head is no person"),
            }
        }
        DepartmentCommand::Head { id, head } => {
            let change = DepartmentChange {
                head: Some(UserId::new(head)),
                ..DepartmentChange::default()
            };
            if store.change_department(id, change).await? != DepartmentSaved::Saved(id) {
                bail!("no department {id}, or the head is no person");
            }
        }
        DepartmentCommand::List => {
            let structure = store.departments().await?;
            for d in &structure.0 {
                println!(
                    "{}\t{}\t{}\t{}",
                    d.id,
                    d.parent.map_or("-".to_owned(), |p| p.to_string()),
                    d.head.map_or("-".to_owned(), |h| h.to_string()),
                    structure.full_name(d.id)
                );
            }
        }
    }
    Ok(())
}

async fn webhook(db: Database, cmd: WebhookCommand) -> anyhow::Result<()> {
    let store = open_for_admin(&db).await?;
    match cmd {
        WebhookCommand::Add {
            user,
            scope,
            base_url,
        } => {
            let scopes = parse_scopes(scope.as_deref())?;
            let Some(user) = UserId::new(user) else {
                bail!("--user must be a positive user id");
            };
            let secret =
                cases::credentials::issue(store.as_ref(), CredentialKind::Webhook, user, scopes)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot create the webhook: {e}"))?;
            match base_url {
                Some(base) => println!("{}", config::webhook_url(&base, user.0, &secret.0)),
                None => {
                    // The http URL is the answer (stdout); the https one is
                    // told beside it.
                    let urls = Urls::recorded(store.as_ref()).await?;
                    println!("{}", config::webhook_url(&urls.http, user.0, &secret.0));
                    if let Some(https) = &urls.https {
                        eprintln!(
                            "over HTTPS: {}",
                            config::webhook_url(https, user.0, &secret.0)
                        );
                    }
                }
            }
        }
        WebhookCommand::List => {
            let hooks = store.webhooks().await?;
            if hooks.is_empty() {
                println!("no webhooks");
            }
            for h in hooks {
                println!(
                    "id={} user={} scopes={} created={} hash={}",
                    h.id,
                    h.user,
                    h.scopes.to_list(),
                    iso_date(h.created_at),
                    &h.token_hash.0[..12]
                );
            }
        }
        WebhookCommand::Delete { token } => {
            let secret = secret_from(&token);
            if store.delete_webhook(TokenHash::of(secret)).await? {
                wait_out_credential_caches(&db).await;
                println!("deleted");
            } else {
                bail!("no webhook with that secret");
            }
        }
    }
    Ok(())
}

/// Takes a bare secret or a webhook URL (`.../rest/1/SECRET/`).
fn secret_from(input: &str) -> &str {
    let trimmed = input.trim().trim_end_matches('/');
    match trimmed.find("/rest/") {
        Some(i) => trimmed[i + "/rest/".len()..]
            .split('/')
            .nth(1)
            .unwrap_or(trimmed),
        None => trimmed,
    }
}

async fn token(db: Database, cmd: TokenCommand) -> anyhow::Result<()> {
    let store = open_for_admin(&db).await?;
    match cmd {
        TokenCommand::Add { user, scope } => {
            let scopes = parse_scopes(scope.as_deref())?;
            let Some(user) = UserId::new(user) else {
                bail!("--user must be a positive user id");
            };
            let secret = cases::credentials::issue(
                store.as_ref(),
                CredentialKind::AccessToken,
                user,
                scopes,
            )
            .await
            .map_err(|e| anyhow::anyhow!("cannot create the token: {e}"))?;
            println!("{}", secret.0);
            let urls = Urls::recorded(store.as_ref()).await?;
            let https = urls
                .https
                .map(|u| format!(" or {}/rest/", u.trim_end_matches('/')))
                .unwrap_or_default();
            eprintln!(
                "valid for one hour; send it as auth=TOKEN or `Authorization: Bearer TOKEN` to {}/rest/METHOD{https}",
                urls.http.trim_end_matches('/')
            );
        }
    }
    Ok(())
}

async fn app(db: Database, cmd: AppCommand) -> anyhow::Result<()> {
    let store = open_for_admin(&db).await?;
    match cmd {
        AppCommand::Add {
            name,
            scope,
            handler,
            redirect_uri,
        } => {
            let scopes = parse_scopes(scope.as_deref())?;
            let (app, secret) =
                cases::applications::add(store.as_ref(), &name, scopes, &handler, &redirect_uri)
                    .await
                    .map_err(anyhow::Error::msg)?;
            println!("client_id={}", app.client_id);
            println!("client_secret={}", secret.0);
            eprintln!(
                "Keep the secret: it is stored only as a hash. Install with `b24im app install {} --user 1`.",
                app.client_id
            );
        }
        AppCommand::List => {
            let apps = store.applications().await?;
            if apps.is_empty() {
                println!("no applications");
            }
            for a in apps {
                println!(
                    "{}\t{}\t{}\tscopes={}\tinstalled_by={}\thandler={}",
                    a.id,
                    a.client_id,
                    a.name,
                    a.scopes.to_list(),
                    a.installed_by.map_or("-".to_owned(), |u| u.0.to_string()),
                    if a.handler.is_empty() {
                        "-"
                    } else {
                        &a.handler
                    },
                );
            }
        }
        AppCommand::Install {
            client_id,
            user,
            access_ttl,
        } => {
            let Some(user) = UserId::new(user) else {
                bail!("--user must be a positive user id");
            };
            let Some((app, tokens)) =
                cases::applications::install(store.as_ref(), &client_id, user, access_ttl).await?
            else {
                bail!("no application {client_id}, or user {user} is no active administrator");
            };
            let portal = portal(store.as_ref()).await?;
            let payload = crate::events::app::install_payload(&portal, &app, &tokens);
            println!("{}", payload["auth"]);
            announce(&app.handler, &payload).await;
        }
        AppCommand::Delete { client_id } => {
            let portal = portal(store.as_ref()).await?;
            if client_id == crate::domain::applications::WEB_CLIENT_ID {
                bail!("{client_id} is the web client the server serves at /; it cannot be deleted");
            }
            let Some(app) = cases::applications::delete(store.as_ref(), &client_id).await? else {
                bail!("no application {client_id}");
            };
            wait_out_credential_caches(&db).await;
            println!("deleted");
            let payload = crate::events::app::uninstall_payload(&portal, &app);
            announce(&app.handler, &payload).await;
        }
    }
    Ok(())
}

/// POSTs an application's own event to its handler (if it has one) and
/// says on stderr how the handler answered.
async fn announce(handler: &str, payload: &serde_json::Value) {
    if handler.is_empty() {
        return;
    }
    let event = payload["event"].as_str().unwrap_or_default();
    match crate::events::app::post(handler, payload).await {
        Ok(status) => eprintln!("{event}: {handler} answered HTTP {status}"),
        Err(e) => eprintln!("{event}: {handler} could not be reached: {e}"),
    }
}

/// What events tell handlers of this server: the URL the last `serve`
/// recorded (what event deliveries name), the `member_id` and the key of
/// applications' tokens.
async fn portal(store: &dyn Store) -> anyhow::Result<crate::events::payload::Portal> {
    let urls = Urls::recorded(store).await?;
    Ok(crate::events::portal(store, &urls.http).await?)
}

async fn events(db: Database, cmd: EventsCommand) -> anyhow::Result<()> {
    let store = open_for_admin(&db).await?;
    match cmd {
        EventsCommand::List { state, limit } => {
            let state =
                match state.as_deref() {
                    None => None,
                    Some(s) => Some(DeliveryState::parse(s).with_context(|| {
                        format!("unknown state {s:?} (pending, delivered, dead)")
                    })?),
                };
            println!("id\tevent\tstate\tattempts\thandler\tlast error");
            let query = EventQuery {
                state,
                limit: limit.clamp(1, 10_000),
                ..EventQuery::default()
            };
            for e in store.events(query).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    e.id,
                    e.record.kind.name(),
                    e.state.as_str(),
                    e.attempts,
                    e.handler,
                    e.last_error
                );
            }
        }
        EventsCommand::Replay { ids } => {
            let n = store
                .replay_events(ids, chrono::Utc::now().timestamp_millis())
                .await?;
            println!("{n}");
        }
    }
    Ok(())
}

/// `5s`, `500ms` or a number of seconds, between 0 and 10 minutes.
fn parse_wait(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let (number, unit) = match s.strip_suffix("ms") {
        Some(n) => (n, 0.001),
        None => (s.strip_suffix('s').unwrap_or(s), 1.0),
    };
    let secs = number
        .trim()
        .parse::<f64>()
        .ok()
        .map(|n| n * unit)
        .filter(|n| n.is_finite() && (0.0..=600.0).contains(n))
        .ok_or_else(|| format!("{s:?} is not a wait such as 5s or 500ms (at most 600s)"))?;
    Ok(std::time::Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_come_from_urls_or_stand_alone() {
        assert_eq!(secret_from("abc123"), "abc123");
        assert_eq!(
            secret_from("http://127.0.0.1:8080/rest/1/abc123/"),
            "abc123"
        );
        assert_eq!(secret_from("http://h/rest/12/abc123"), "abc123");
    }

    #[test]
    fn every_flag_and_command_has_a_help_line() {
        use clap::CommandFactory;
        fn check(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id != "help" && id != "version" && arg.get_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                let path = format!("{path} {}", sub.get_name());
                if sub.get_about().is_none() {
                    missing.push(path.clone());
                }
                check(sub, &path, missing);
            }
        }
        let mut missing = Vec::new();
        check(&Cli::command(), "b24im", &mut missing);
        assert!(missing.is_empty(), "no help line: {missing:?}");
    }

    #[test]
    fn cli_parses_the_contract() {
        Cli::try_parse_from([
            "b24im",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data",
            "/tmp/x",
        ])
        .unwrap();
        Cli::try_parse_from([
            "b24im",
            "--data",
            "d",
            "user",
            "add",
            "--name",
            "A",
            "--last-name",
            "B",
            "--admin",
        ])
        .unwrap();
        Cli::try_parse_from([
            "b24im", "webhook", "add", "--user", "1", "--scope", "im,imbot",
        ])
        .unwrap();
        Cli::try_parse_from(["b24im", "webhook", "list"]).unwrap();
        Cli::try_parse_from(["b24im", "webhook", "delete", "tok"]).unwrap();
    }
}
