//! Shared by the mock server's HTTP tests: start the app on port 0 and talk to it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod dpop;

use mock_server::{app, AppState, Options, Stats};
use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::{Client, Response};
use serde_json::Value;

/// A server running in this process on a free loopback port.
pub struct Server {
    pub base: String,
}

impl Server {
    pub async fn start(mut options: Options) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        // As the binary does: proofs name the address it listens on, unless told otherwise.
        options.public_origin.get_or_insert_with(|| base.clone());
        tokio::spawn(async move {
            let service = app(AppState::new(options))
                .into_make_service_with_connect_info::<std::net::SocketAddr>();
            axum::serve(listener, service).await.unwrap();
        });
        Server { base }
    }

    pub async fn default() -> Server {
        Server::start(Options::default()).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn stats(&self) -> Stats {
        Client::new()
            .get(self.url("/__mock/stats"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn config(&self, patch: Value) -> Response {
        Client::new()
            .post(self.url("/__mock/config"))
            .json(&patch)
            .send()
            .await
            .unwrap()
    }

    /// A browser-like client: keeps cookies.
    pub fn browser(&self) -> Client {
        Client::builder().cookie_store(true).build().unwrap()
    }

    /// Logs `alice` in with `client`; returns the JSON body and the two cookie values.
    pub async fn login(&self, client: &Client) -> Session {
        let response = client
            .post(self.url("/auth/login"))
            .json(&serde_json::json!({"username": "alice", "password": "wonderland"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let refresh = set_cookie_value(&response, "refresh_token").unwrap();
        let body: Value = response.json().await.unwrap();
        Session {
            access: body["access_token"].as_str().unwrap().to_owned(),
            csrf: body["csrf_token"].as_str().unwrap().to_owned(),
            refresh,
            body,
        }
    }

    /// A refresh with the client's own cookies and the CSRF header.
    pub async fn refresh(&self, client: &Client, csrf: &str) -> Response {
        client
            .post(self.url("/auth/refresh"))
            .header("x-csrf-token", csrf)
            .send()
            .await
            .unwrap()
    }

    /// A refresh presenting exactly these cookie values, as a second tab or a thief would.
    pub async fn refresh_with(&self, refresh: &str, csrf: &str) -> Response {
        Client::new()
            .post(self.url("/auth/refresh"))
            .header(
                COOKIE,
                format!("refresh_token={refresh}; csrf_token={csrf}"),
            )
            .header("x-csrf-token", csrf)
            .send()
            .await
            .unwrap()
    }

    pub async fn me(&self, access: &str) -> Response {
        Client::new()
            .get(self.url("/api/me"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap()
    }
}

pub struct Session {
    pub access: String,
    pub csrf: String,
    pub refresh: String,
    pub body: Value,
}

/// The whole `Set-Cookie` line for `name`.
pub fn set_cookie(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// Just the value of the `Set-Cookie` for `name`.
pub fn set_cookie_value(response: &Response, name: &str) -> Option<String> {
    let line = set_cookie(response, name)?;
    let pair = line.split(';').next()?;
    Some(pair.split_once('=')?.1.to_owned())
}

/// The claims of a JWT, without checking anything (the test only reads them).
pub fn claims(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// A free loopback port for a server a test starts itself, outside the range the kernel hands
/// out for port 0 (32768 and up), and its cluster bus port (+10,000) free too. A port taken by
/// binding port 0 and closing can be handed to another test before its server binds it — and a
/// test that stops its Redis and starts it again on the same port can find a stranger there.
/// Here each port is handed out once per test process, from a base that differs per process.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let base = 20_000 + (std::process::id() % 100) as u16 * 10;
    loop {
        // 20000..22690, and the bus ports 30000..32690: all below 32768.
        let port = base + NEXT.fetch_add(1, Ordering::Relaxed) % 1_700;
        let free = |p: u16| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok();
        if free(port) && free(port + 10_000) {
            return port;
        }
    }
}

/// A `redis-server` of this test's own on a free loopback port, killed when dropped.
pub struct RedisServer {
    child: std::process::Child,
    pub url: String,
}

impl RedisServer {
    pub async fn start() -> RedisServer {
        Self::start_on(free_port()).await
    }

    /// One on `port` (again, after a restart).
    pub async fn start_on(port: u16) -> RedisServer {
        let child = std::process::Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--loglevel", "warning"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server is not installed: `make test` installs it (apt-get install redis-server)");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return RedisServer {
                    child,
                    url: format!("redis://127.0.0.1:{port}"),
                };
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let mut child = child;
        let _ = child.kill();
        let _ = child.wait();
        panic!("redis-server did not listen on 127.0.0.1:{port} within 5 s");
    }
}

impl RedisServer {
    /// The arguments that point a `mock-server` at it.
    pub fn args(&self) -> Vec<String> {
        vec!["--redis".to_owned(), self.url.clone()]
    }
}

/// A Redis Cluster of this test's own: three masters (`redis-server` in cluster mode, no
/// replicas) on free loopback ports, joined with `redis-cli --cluster create`, each process
/// killed by its PID when dropped.
pub struct RedisCluster {
    children: Vec<std::process::Child>,
    pub nodes: Vec<String>,
    dir: std::path::PathBuf,
}

impl RedisCluster {
    pub async fn start() -> RedisCluster {
        let ports = [free_port(), free_port(), free_port()];
        let dir = std::env::temp_dir().join(format!(
            "token-keeper-cluster-{}-{}",
            std::process::id(),
            ports[0]
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut cluster = RedisCluster {
            children: Vec::new(),
            nodes: ports.iter().map(|p| format!("127.0.0.1:{p}")).collect(),
            dir,
        };
        for port in ports {
            let child = std::process::Command::new("redis-server")
                .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
                .args(["--cluster-enabled", "yes"])
                .args(["--cluster-config-file", &format!("nodes-{port}.conf")])
                .arg("--dir")
                .arg(&cluster.dir)
                .args(["--save", "", "--appendonly", "no", "--loglevel", "warning"])
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("redis-server is not installed: `make test` installs it (apt-get install redis-server)");
            cluster.children.push(child);
            listening(port).await;
        }
        let created = tokio::process::Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&cluster.nodes)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(std::process::Stdio::null())
            .status()
            .await
            .expect("redis-cli is not installed: `make test` installs it (redis-tools)");
        assert!(created.success(), "redis-cli --cluster create failed");
        // Every node must know every slot before the test talks to it.
        for port in ports {
            let mut ok = false;
            for _ in 0..100 {
                let info = tokio::process::Command::new("redis-cli")
                    .args(["-p", &port.to_string(), "cluster", "info"])
                    .output()
                    .await
                    .unwrap();
                if String::from_utf8_lossy(&info.stdout).contains("cluster_state:ok") {
                    ok = true;
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            assert!(
                ok,
                "the cluster node on {port} did not reach cluster_state:ok in 10 s"
            );
        }
        cluster
    }

    /// The arguments that point a `mock-server` at it.
    pub fn args(&self) -> Vec<String> {
        vec!["--redis-cluster".to_owned(), self.nodes.join(",")]
    }

    /// Its nodes as the `redis` crate takes them.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(|n| format!("redis://{n}")).collect()
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Waits until something listens on 127.0.0.1:`port`.
async fn listening(port: u16) {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("nothing listened on 127.0.0.1:{port} within 5 s");
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `mock-server` binary run with `args` on a free port, killed when dropped.
pub struct Instance {
    _child: tokio::process::Child,
    pub server: Server,
}

impl Instance {
    pub async fn spawn(args: &[&str]) -> Instance {
        use tokio::io::AsyncBufReadExt as _;
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_mock-server"))
            .args(["--port", "0"])
            .args(args)
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let first = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
            .await
            .expect("mock-server printed no address within 20 s")
            .unwrap()
            .expect("mock-server exited before printing its address");
        let base = first.strip_prefix("listening on ").unwrap().to_owned();
        Instance {
            _child: child,
            server: Server { base },
        }
    }
}
