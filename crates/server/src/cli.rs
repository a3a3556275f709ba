//! The `leadmagnet` command line. Start-up problems end the process with a message that
//! says what to do, never with a panic.

use crate::commands;
use crate::store::{Store, DEFAULT_DATABASE_URL};
use crate::{serve, AppState};
use clap::{Parser, Subcommand};
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
    /// Check an offer config: prints `ok`, or every problem as `pointer: message` (exit 1).
    Validate {
        /// The offer config (JSON).
        config: PathBuf,
    },
    /// Print the JSON Schema of the offer config v1.
    Schema,
    /// Score leads with an offer's scoring rules; prints the score as JSON.
    Score {
        #[arg(long)]
        config: PathBuf,
        /// `{"fields": {…}, "events": […]}`, or an array of them.
        #[arg(long)]
        lead: PathBuf,
        /// The time scores are computed at (RFC 3339); the clock by default.
        #[arg(long)]
        now: Option<String>,
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
    /// Demo mode: without LEADMAGNET_ADMIN_TOKEN, make a throwaway token and print it.
    #[arg(long)]
    demo: bool,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let offline = match &cli.command {
        Command::Serve(_) => None,
        Command::Validate { config } => Some(commands::validate(config)),
        Command::Schema => Some(commands::schema()),
        Command::Score { config, lead, now } => {
            Some(commands::score_leads(config, lead, now.as_deref()))
        }
        Command::Fields { config, profile } => Some(commands::fields(config, profile.as_deref())),
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
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("leadmagnet: {message}");
            ExitCode::from(2)
        }
    }
}

async fn run_serve(args: ServeArgs) -> Result<(), String> {
    let admin_token = admin_token(std::env::var("LEADMAGNET_ADMIN_TOKEN").ok(), args.demo)?;
    if !args.www.join("index.html").is_file() {
        return Err(format!(
            "no index.html in {}: run from the repository root or pass --www DIR",
            args.www.display()
        ));
    }
    if !args.www.join("dist/leadmagnet.js").is_file() {
        eprintln!(
            "leadmagnet: warning: {}/dist/leadmagnet.js is missing; build the widget with `make widget`",
            args.www.display()
        );
    }
    warn_about_invalid_offers(&args.www.join("offers"));
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
    origins.extend(
        args.allow_origins
            .iter()
            .map(|o| o.trim_end_matches('/').to_owned()),
    );
    origins.dedup();
    let url = format!("http://{}:{port}/", args.host);
    println!("Leadmagnet collector listening on {url}");
    println!("  demo page:   {url}");
    println!("  leads API:   {url}api/v1/leads");
    println!("  admin token: {admin_token}");
    println!(
        "  database:    {} ({} leads)",
        args.database_url,
        store.count().await.unwrap_or(0)
    );
    println!("  try:         curl -H 'Authorization: Bearer {admin_token}' {url}api/v1/leads");
    let state = AppState {
        store,
        admin_token: admin_token.into(),
        allowed_origins: Arc::from(origins),
        www: args.www,
    };
    serve(listener, state, shutdown_signal())
        .await
        .map_err(|e| format!("server stopped: {e}"))
}

/// Checks the offer configs the server will hand out and names every problem, so a broken
/// config is noticed at start rather than in a visitor's browser. Serving goes on: the
/// widget refuses such a config with the same messages.
fn warn_about_invalid_offers(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    for path in paths {
        let checked = std::fs::read_to_string(&path)
            .map_err(|e| vec![format!("cannot read: {e}")])
            .and_then(|text| {
                leadmagnet_core::parse_offer(&text)
                    .map(|_| ())
                    .map_err(|problems| problems.iter().map(ToString::to_string).collect())
            });
        if let Err(problems) = checked {
            for problem in problems {
                eprintln!(
                    "leadmagnet: warning: offer config {}: {problem}",
                    path.display()
                );
            }
        }
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
