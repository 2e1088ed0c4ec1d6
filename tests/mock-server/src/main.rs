//! `mock-server`: the reference backend, for the demo and the browser tests.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use mock_server::{app, AppState, Options};

/// The token-keeper mock server. Binds 127.0.0.1 only.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// Port on 127.0.0.1; 0 picks a free one (the first line on stdout names it).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Access token lifetime, such as 500ms, 30s, 15m.
    #[arg(long, default_value = "5m", value_parser = humantime::parse_duration)]
    access_ttl: Duration,
    /// Refresh token family lifetime.
    #[arg(long, default_value = "14d", value_parser = humantime::parse_duration)]
    refresh_ttl: Duration,
    /// How long a just-rotated refresh token is still answered with the current state.
    #[arg(long, default_value = "0s", value_parser = humantime::parse_duration)]
    reuse_grace: Duration,
    /// Mark the cookies Secure.
    #[arg(long)]
    secure_cookies: bool,
    /// An origin CORS lets call with credentials (repeatable; none by default).
    #[arg(long = "cors-origin", alias = "allow-origin")]
    allow_origin: Vec<String>,
    /// Also let any http://127.0.0.1:* and http://localhost:* origin call (tests, local
    /// development).
    #[arg(long)]
    cors_loopback: bool,
    /// Directory served at /.
    #[arg(long, default_value = "www")]
    www: PathBuf,
    /// Directory served at /pkg/.
    #[arg(long, default_value = "pkg")]
    pkg: PathBuf,
    /// Keep refresh families in this Redis (redis://127.0.0.1:6379), shared with every instance
    /// pointed at it; without it, this process's memory.
    #[arg(long)]
    redis: Option<String>,
    /// Keep them in this Redis Cluster instead: some of its nodes, HOST:PORT[,HOST:PORT…]. The
    /// keys of one family share a hash slot, so each rotation stays one atomic step.
    #[arg(long, value_name = "HOST:PORT,...")]
    redis_cluster: Option<String>,
    /// Prefix of every Redis key (instances that are to act as one share it).
    #[arg(long, default_value = "tk:")]
    redis_prefix: String,
    /// The reissue flow: a refresh must carry the user's last access token (expired or not) as
    /// `Authorization: Bearer`, of the same user and family as the refresh cookie.
    #[arg(long)]
    bind_refresh_to_user: bool,
    /// Answer login and refresh with the access token in an `Authorization` response header
    /// instead of the JSON body.
    #[arg(long)]
    token_in_header: bool,
    /// DPoP (RFC 9449): login, refresh and /api/* need a `DPoP` proof (ES256), and access tokens
    /// are bound to its key (`cnf.jkt`, `Authorization: DPoP …`).
    #[arg(long)]
    dpop: bool,
    /// Proofs must carry the server's nonce, sent in `DPoP-Nonce` (implies --dpop).
    #[arg(long)]
    dpop_nonce: bool,
    /// A refresh family accepts only the key it is bound to, instead of re-binding to the key of
    /// each refresh (implies --dpop).
    #[arg(long)]
    dpop_pin: bool,
    /// Behave like a session-cookie backend with a token endpoint: login sets the session cookie
    /// and answers no JWT; GET /auth/refresh answers {"token": <JWT>} or 401, never rotating.
    #[arg(long)]
    session_tokens: bool,
    /// The origin clients call this server at (such as https://api.example.com behind a TLS
    /// proxy), which a DPoP proof's `htu` must name. Default: the address it listens on.
    #[arg(long)]
    public_origin: Option<String>,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let cli = Cli::parse();
    let options = Options {
        access_ttl: cli.access_ttl,
        refresh_ttl: cli.refresh_ttl,
        reuse_grace: cli.reuse_grace,
        secure_cookies: cli.secure_cookies,
        allow_origins: cli.allow_origin,
        cors_loopback: cli.cors_loopback,
        www: cli.www,
        pkg: cli.pkg,
        bind_refresh_to_user: cli.bind_refresh_to_user,
        token_in_header: cli.token_in_header,
        dpop: cli.dpop || cli.dpop_nonce || cli.dpop_pin,
        dpop_nonce: cli.dpop_nonce,
        dpop_pin: cli.dpop_pin,
        session_tokens: cli.session_tokens,
        public_origin: None,
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", cli.port)).await?;
    let address = listener.local_addr()?;
    let mut options = options;
    options.public_origin = Some(
        cli.public_origin
            .clone()
            .unwrap_or_else(|| format!("http://{address}")),
    );
    let prefix = &cli.redis_prefix;
    let state = match (&cli.redis, &cli.redis_cluster) {
        (None, None) => AppState::new(options),
        (Some(url), None) => AppState::with_redis(options, url, prefix)
            .await
            .map_err(|e| {
                std::io::Error::other(format!("could not use the Redis of --redis: {e}"))
            })?,
        (None, Some(nodes)) => {
            let nodes: Vec<String> = nodes
                .split(',')
                .filter(|node| !node.is_empty())
                .map(|node| format!("redis://{node}"))
                .collect();
            AppState::with_redis_cluster(options, &nodes, prefix)
                .await
                .map_err(|e| {
                    std::io::Error::other(format!(
                        "could not use the cluster of --redis-cluster: {e}"
                    ))
                })?
        }
        (Some(_), Some(_)) => {
            return Err(std::io::Error::other(
                "--redis and --redis-cluster: give one of them",
            ))
        }
    };
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening on http://{address}")?;
    stdout.flush()?;
    // The client's address, for the login throttle.
    let service = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
