//! The `leadmagnet` command line. Start-up problems end the process with a message that
//! says what to do, never with a panic.

use crate::commands;
use crate::limits::RateLimit;
use crate::offers::Offers;
use crate::spam::Challenges;
use crate::store::{Store, DEFAULT_DATABASE_URL};
use crate::{
    random_key, serve_with, AppState, ServeLimits, DEFAULT_MIN_FILL_SECONDS,
    DEFAULT_POW_MAX_NUMBER, DEFAULT_RATE_LIMIT,
};
use clap::{Parser, Subcommand};
use leadmagnet_core::config::normalize_origin;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Shortest admin token accepted, so a guessable word is never the only lock on leads.
const MIN_TOKEN_LEN: usize = 16;

#[derive(Parser, Debug)]
#[command(
    name = "leadmagnet",
    version,
    about = "Leadmagnet lead collector and widget server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the collector API, the widget assets and the pages in --www.
    Serve(ServeArgs),
    /// Check offer configs: prints `ok`, or every problem of every file in one run as
    /// `file:line:column: pointer: message` (exit 1).
    Validate {
        /// Offer configs (JSON), account-wide scoring models (`scoring.json`), or folders
        /// of them (their `*.json` files).
        #[arg(required = true)]
        configs: Vec<PathBuf>,
    },
    /// Print the JSON Schema of the offer config v1 (or, with `--model`, of the
    /// account-wide scoring model v1, `scoring.json`).
    Schema {
        #[arg(long)]
        model: bool,
    },
    /// Score leads with an offer's scoring rules, or the account-wide model's (a config
    /// file named `scoring.json`); prints the score as JSON. With `--contact`, a person as
    /// the collector scores them: their submissions and later events added up, scored,
    /// and whether this is their MQL moment, with its cause.
    Score {
        #[arg(long)]
        config: PathBuf,
        /// `{"fields": {…}, "events": […]}`, or an array of them.
        #[arg(long, required_unless_present = "contact", conflicts_with = "contact")]
        lead: Option<PathBuf>,
        /// `{"stage"?, "submissions": [{"received_at", "lead": <lead payload>}], "events": […]}`.
        #[arg(long)]
        contact: Option<PathBuf>,
        /// The time scores are computed at (RFC 3339); the clock by default.
        #[arg(long)]
        now: Option<String>,
    },
    /// Print the embed snippet of an offer: its form rendered by the widget's own
    /// component into a declarative shadow root (it paints with the page and works
    /// without JavaScript), then the script tag that takes it over.
    Render {
        /// The offer config (JSON), as the collector serves it.
        config: PathBuf,
        /// The language of an offer whose locale is "auto" (the config's own otherwise).
        #[arg(long)]
        locale: Option<String>,
        /// Where pages load the config from; by default `/offers/<file name>` on the
        /// page's own origin (a page the collector serves).
        #[arg(long)]
        config_url: Option<String>,
        /// The widget script; by default `/dist/leadmagnet.js` on the config URL's origin,
        /// or `/dist/leadmagnet-full.js` when the offer needs the full build.
        #[arg(long)]
        script: Option<String>,
        /// The widget build's folder, for the name of its wasm to preload; by default
        /// `dist` beside the config's folder (`www/offers/x.json` → `www/dist`).
        #[arg(long)]
        dist: Option<PathBuf>,
    },
    /// Print the ids of the fields a visitor with this profile is asked now (JSON array).
    Fields {
        #[arg(long)]
        config: PathBuf,
        /// Known values, a JSON object such as {"email": "ann@contoso.com"}.
        #[arg(long)]
        profile: Option<PathBuf>,
    },
}

#[derive(clap::Args, Debug)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "HOST", default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks a free one and prints it).
    #[arg(long, env = "PORT", default_value_t = 8080)]
    port: u16,
    /// Where leads are stored.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    database_url: String,
    /// Folder with the pages, offer configs and the built widget (www/dist).
    #[arg(long, env = "LEADMAGNET_WWW", default_value = "www")]
    www: PathBuf,
    /// A further origin whose pages may send leads (repeatable; the server's own origin
    /// is always allowed).
    #[arg(
        long = "allow-origin",
        env = "LEADMAGNET_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    allow_origins: Vec<String>,
    /// Folder with the offer configs leads are checked against (default: <www>/offers);
    /// read again when a file changes, or on SIGHUP.
    #[arg(long, env = "LEADMAGNET_OFFERS")]
    offers: Option<PathBuf>,
    /// Lead submissions allowed per client address and minute (0: no limit); event
    /// batches (`POST /api/v1/events`) four times as many.
    #[arg(long, env = "LEADMAGNET_RATE_LIMIT", default_value_t = DEFAULT_RATE_LIMIT)]
    rate_limit: u32,
    /// A proxy (IP address) in front of the collector whose X-Forwarded-For names the
    /// client (repeatable); without one, X-Forwarded-For is ignored.
    #[arg(
        long = "trusted-proxy",
        env = "LEADMAGNET_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<IpAddr>,
    /// Proof of work: the range of the secret number a widget searches (about half of it
    /// in hashes on average); 0 turns the check off.
    #[arg(long = "proof-of-work", env = "LEADMAGNET_PROOF_OF_WORK", default_value_t = DEFAULT_POW_MAX_NUMBER)]
    proof_of_work: u32,
    /// Leads sent sooner than this after the widget got its challenge are quarantined
    /// (0: no minimum).
    #[arg(long, env = "LEADMAGNET_MIN_FILL_SECONDS", default_value_t = DEFAULT_MIN_FILL_SECONDS)]
    min_fill_seconds: u64,
    /// Inbox users (JSON: {"users": [{"name", "token_sha256"}]}): each logs in with their
    /// own token, and their stage moves carry their name.
    #[arg(long, env = "LEADMAGNET_USERS")]
    users: Option<PathBuf>,
    /// Demo mode: without LEADMAGNET_ADMIN_TOKEN, make a throwaway token and print it.
    #[arg(long)]
    demo: bool,
    /// For end-to-end tests, never in production: lets `POST /api/v1/test/clock` (admin
    /// token) move this collector's clock on, so days can pass in a test.
    #[arg(long)]
    test_clock: bool,
    /// Connections served at once; more wait unaccepted (default: the open-file limit
    /// less 256 kept for the database and files, at most 10,000).
    #[arg(long, env = "LEADMAGNET_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Seconds a client has to send a request's header (also how long an idle kept-alive
    /// connection stays open).
    #[arg(long, env = "LEADMAGNET_HEADER_TIMEOUT", default_value_t = 10)]
    header_timeout: u64,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let offline = match &cli.command {
        Command::Serve(_) => None,
        Command::Validate { configs } => Some(commands::validate(configs)),
        Command::Schema { model } => Some(commands::schema(*model)),
        Command::Score {
            config,
            lead,
            contact,
            now,
        } => Some(match (lead, contact) {
            (Some(lead), _) => commands::score_leads(config, lead, now.as_deref()),
            (None, Some(contact)) => commands::score_contact(config, contact, now.as_deref()),
            (None, None) => Err("give --lead or --contact".into()),
        }),
        Command::Fields { config, profile } => Some(commands::fields(config, profile.as_deref())),
        Command::Render {
            config,
            locale,
            config_url,
            script,
            dist,
        } => Some(commands::render(
            config,
            locale.as_deref(),
            config_url.as_deref(),
            script.as_deref(),
            dist.as_deref(),
        )),
    };
    if let Some(outcome) = offline {
        return match outcome {
            Ok(out) => {
                print!("{out}");
                ExitCode::SUCCESS
            }
            Err(message) => {
                // validate's problems go to stdout too, so `leadmagnet validate x > report` keeps them.
                if matches!(cli.command, Command::Validate { .. }) {
                    println!("{message}");
                } else {
                    eprintln!("leadmagnet: {message}");
                }
                ExitCode::FAILURE
            }
        };
    }
    // The collector's logs: one text line per event on stderr, with its level and fields
    // (`file=… error=…`); the commands above print their results, not logs.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("leadmagnet: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Serve(args) => runtime.block_on(run_serve(args)),
        _ => Ok(()),
    };
    // Blocking work still running (a file read that never returns) must not hold the exit:
    // the server has already given requests in flight their grace.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("leadmagnet: {message}");
            ExitCode::from(2)
        }
    }
}

async fn run_serve(args: ServeArgs) -> Result<(), String> {
    let from_env = std::env::var("LEADMAGNET_ADMIN_TOKEN").ok();
    // A token from the environment is the operator's secret: never printed (logs are read
    // by more people than the token is meant for). Only a throwaway demo token is shown.
    let token_given = from_env.as_deref().is_some_and(|t| !t.is_empty());
    let admin_token = admin_token(from_env, args.demo)?;
    let challenge_key = challenge_key(std::env::var("LEADMAGNET_CHALLENGE_SECRET").ok())?;
    let users = match &args.users {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| crate::inbox::read_users(&text))
            .map_err(|e| format!("--users {}: {e}", path.display()))?,
        None => Vec::new(),
    };
    if !args.www.join("index.html").is_file() {
        return Err(format!(
            "no index.html in {}: run from the repository root or pass --www DIR",
            args.www.display()
        ));
    }
    if !args.www.join("dist/leadmagnet.js").is_file() {
        tracing::warn!(
            www = %args.www.display(),
            "{}/dist/leadmagnet.js is missing; build the widget with `make widget`",
            args.www.display()
        );
    }
    let offers_dir = args
        .offers
        .clone()
        .unwrap_or_else(|| args.www.join("offers"));
    if !offers_dir.is_dir() {
        tracing::warn!(
            offers = %offers_dir.display(),
            "no offer folder {}: every lead is refused as for an unknown offer (pass --offers DIR)",
            offers_dir.display()
        );
    }
    // Read before listening, so every problem is printed before the first line of output.
    let offers = Arc::new(Offers::load(&offers_dir));
    let store = Store::open(&args.database_url).await?;
    let listener = TcpListener::bind((args.host.as_str(), args.port))
        .await
        .map_err(|e| {
            format!(
                "cannot listen on {}:{}: {e} (set PORT to another port)",
                args.host, args.port
            )
        })?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let mut origins = vec![
        format!("http://{}:{port}", args.host),
        format!("http://127.0.0.1:{port}"),
        format!("http://localhost:{port}"),
    ];
    for origin in &args.allow_origins {
        // Compared with the browser's Origin header, so written the way browsers send it.
        origins.push(normalize_origin(origin).ok_or_else(|| {
            format!("--allow-origin {origin:?} is not an origin: give scheme, host and optional port, e.g. https://www.example.com")
        })?);
    }
    origins.dedup();
    watch_offers(offers.clone());
    let url = format!("http://{}:{port}/", args.host);
    println!("Leadmagnet collector listening on {url}");
    // The demo's pages, or the marketer's own site folder.
    let pages = if args.demo {
        "demo page:"
    } else {
        "pages:    "
    };
    println!("  {pages}   {url}");
    println!("  inbox:       {url}inbox  (studio: {url}studio)");
    println!("  leads API:   {url}api/v1/leads");
    let (shown_token, curl_token) = if token_given {
        (
            "from LEADMAGNET_ADMIN_TOKEN (not shown)".to_owned(),
            "$LEADMAGNET_ADMIN_TOKEN".to_owned(),
        )
    } else {
        (admin_token.clone(), admin_token.clone())
    };
    println!("  admin token: {shown_token}");
    println!(
        "  database:    {} ({} leads)",
        crate::store::redact(&args.database_url),
        store.count().await.unwrap_or(0)
    );
    println!("  try:         curl -H \"Authorization: Bearer {curl_token}\" {url}api/v1/leads");
    let mut state = AppState::new(store, &admin_token, origins, args.www, offers);
    if args.test_clock {
        crate::clock::make_movable();
        println!("  test clock:  POST /api/v1/test/clock may move this collector's clock on");
    }
    state.rate_limit = Arc::new(RateLimit::new(args.rate_limit));
    state.event_rate_limit = Arc::new(RateLimit::new(
        args.rate_limit
            .saturating_mul(crate::EVENT_BATCHES_PER_LEAD),
    ));
    state.users = Arc::from(users);
    state.challenges = Arc::new(Challenges::new(
        &challenge_key,
        args.proof_of_work,
        args.min_fill_seconds.saturating_mul(1000),
    ));
    state.trusted_proxies = Arc::from(args.trusted_proxies);
    println!(
        "  offers:      {} ({})",
        offers_dir.display(),
        state.offers.ids().join(", ")
    );
    crate::forward::spawn(state.clone(), crate::forward::Forwarder::from_env());
    crate::handover::spawn(state.clone(), crate::handover::Notifier::from_env()?);
    let mut limits = ServeLimits {
        header_read_timeout: std::time::Duration::from_secs(args.header_timeout.max(1)),
        ..ServeLimits::default()
    };
    if let Some(max) = args.max_connections {
        limits.max_connections = max.max(1);
    }
    println!(
        "  limits:      {} connections, {} s to send a header",
        limits.max_connections,
        limits.header_read_timeout.as_secs()
    );
    serve_with(listener, state, shutdown_signal(), limits)
        .await
        .map_err(|e| format!("server stopped: {e}"))
}

/// Reads the offer folder again when a file in it changes (checked every 2 s) and on
/// SIGHUP, so a new or fixed config takes effect without a restart. Each load prints the
/// problems of configs it leaves out.
fn watch_offers(offers: Arc<Offers>) {
    let polled = offers.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
        loop {
            tick.tick().await;
            let offers = polled.clone();
            let changed = tokio::task::spawn_blocking(move || offers.reload_if_changed())
                .await
                .unwrap_or(false);
            if changed {
                println!(
                    "leadmagnet: offer configs changed: {}",
                    polled.ids().join(", ")
                );
            }
        }
    });
    // Registered here, before the collector says it is listening: a SIGHUP that came
    // earlier than the handler would end the process.
    #[cfg(unix)]
    let Ok(mut hangup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
        return;
    };
    #[cfg(unix)]
    tokio::spawn(async move {
        while hangup.recv().await.is_some() {
            let offers = offers.clone();
            let ids = tokio::task::spawn_blocking(move || {
                offers.reload();
                offers.ids()
            })
            .await
            .unwrap_or_default();
            println!(
                "leadmagnet: SIGHUP: offer configs read again: {}",
                ids.join(", ")
            );
        }
    });
}

/// The HMAC key that signs proof-of-work challenges: LEADMAGNET_CHALLENGE_SECRET, which
/// collectors behind one load balancer must share, or a random key for this process.
fn challenge_key(from_env: Option<String>) -> Result<Vec<u8>, String> {
    match from_env.filter(|s| !s.is_empty()) {
        Some(secret) if secret.len() >= MIN_TOKEN_LEN => Ok(secret.into_bytes()),
        Some(_) => Err(format!(
            "LEADMAGNET_CHALLENGE_SECRET is shorter than {MIN_TOKEN_LEN} characters; use a random secret (e.g. `openssl rand -hex 32`)"
        )),
        None => Ok(random_key()),
    }
}

/// The admin token from the environment, or in demo mode a fresh random one.
fn admin_token(from_env: Option<String>, demo: bool) -> Result<String, String> {
    match from_env.filter(|t| !t.is_empty()) {
        Some(token) if token.len() >= MIN_TOKEN_LEN => Ok(token),
        Some(_) => Err(format!(
            "LEADMAGNET_ADMIN_TOKEN is shorter than {MIN_TOKEN_LEN} characters; use a random secret (e.g. `openssl rand -hex 32`)"
        )),
        None if demo => {
            let mut bytes = [0u8; 16];
            getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a demo token: {e}"))?;
            Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
        }
        None => Err(
            "LEADMAGNET_ADMIN_TOKEN is not set: set it to a random secret (e.g. `export LEADMAGNET_ADMIN_TOKEN=$(openssl rand -hex 32)`), or pass --demo for a throwaway token"
                .into(),
        ),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}

#[cfg(test)]
mod tests {
    use super::admin_token;

    #[test]
    fn token_rules() {
        assert_eq!(
            admin_token(Some("0123456789abcdef".into()), false).as_deref(),
            Ok("0123456789abcdef")
        );
        assert!(
            admin_token(Some("short".into()), true).is_err_and(|e| e.contains("shorter than 16"))
        );
        assert!(admin_token(None, false).is_err_and(|e| e.contains("--demo")));
        let demo = admin_token(None, true).expect("demo token");
        assert_eq!(demo.len(), 32);
        assert_ne!(
            demo,
            admin_token(None, true).expect("demo token"),
            "demo tokens are random"
        );
    }
}
