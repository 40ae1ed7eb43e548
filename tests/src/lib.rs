//! Test harness for the end-to-end tests: starts the real Workers runtime (`wrangler dev`, built artifacts
//! in dist/ and edge/build/) on a free port with a fresh state directory, talks HTTP to it, and drives a
//! real chromium through chromedriver (WebDriver).

pub mod bardge_demo;
pub mod bardge_double;
pub mod booking;
pub mod double;
pub mod http;
pub mod pages;
pub mod paid;
pub mod stripe_double;
pub mod webdriver;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";
pub const WEBHOOK_SECRET: &str = "whsec_test_secret_for_e2e";
pub const DEMO_KEY: &str = "sk_dev_acme_front_desk_0123456789";

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Polls `check` every 250 ms until it gives a value, for at most `seconds`; then fails naming `what`.
pub fn wait_until<T>(what: &str, seconds: u64, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Checks that `check` stays true, every 100 ms for `millis`: an absence (no second refund, nothing loaded
/// yet) proven over a while rather than at one lucky moment.
pub fn holds_for(what: &str, millis: u64, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_millis(millis);
    loop {
        assert!(check(), "no longer true: {what}");
        if Instant::now() >= deadline {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

enum Ready {
    Yes,
    PortTaken,
}

/// A running `wrangler dev`. Dropping it stops it (the whole process group).
pub struct Edge {
    child: Option<Child>,
    pub port: u16,
    pub base: String,
    pub state_dir: PathBuf,
    vars: Vec<(String, String)>,
    /// A wrangler config other than the repository's (see [`Edge::start_without_rate_limits`]).
    config: Option<PathBuf>,
    /// Not the edge but another Worker ([`Edge::start_worker`]).
    other: bool,
}

static GROUPS: [AtomicI32; 8] = [const { AtomicI32::new(0) }; 8];

extern "C" fn stop_all() {
    for g in &GROUPS {
        let pgid = g.swap(0, Ordering::SeqCst);
        if pgid > 0 {
            unsafe { libc::kill(-pgid, libc::SIGKILL) };
        }
    }
}

impl Edge {
    /// Starts an edge with a fresh, empty state directory.
    pub fn start() -> Edge {
        Edge::start_with(&[])
    }

    /// Starts an edge as local development runs it (the test checkout on, `TEST_CHECKOUT=true`), with extra
    /// vars (`NAME`, `value`) and a fresh state directory.
    pub fn start_with(vars: &[(&str, &str)]) -> Edge {
        let mut all = vec![("TEST_CHECKOUT", "true")];
        all.retain(|(k, _)| !vars.iter().any(|(n, _)| n == k));
        all.extend_from_slice(vars);
        Edge::start_deployed(&all)
    }

    /// Starts an edge configured as a deploy would be: only the vars given (besides the admin token and the
    /// webhook secret, which every deploy sets), so no test checkout.
    pub fn start_deployed(vars: &[(&str, &str)]) -> Edge {
        let dir = std::env::temp_dir().join(format!("slotbook-e2e-{}-{}", std::process::id(), free_port()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        // A developer's .dev.vars must not switch the test checkout on where a test wants it off.
        if !vars.iter().any(|(k, _)| k == "TEST_CHECKOUT") {
            vars.push(("TEST_CHECKOUT".into(), "false".into()));
        }
        Edge::launch(dir, vars, None, false)
    }

    /// Starts an edge like [`Edge::start_with`] but without the per-client-IP rate limits (the repository's
    /// wrangler.toml minus its `[[ratelimits]]` bindings), for a fuzzer that sends thousands of requests
    /// from one address.
    pub fn start_without_rate_limits(vars: &[(&str, &str)]) -> Edge {
        let root = repo_root();
        let dir = std::env::temp_dir().join(format!("slotbook-e2e-{}-{}", std::process::id(), free_port()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let toml = std::fs::read_to_string(root.join("wrangler.toml")).unwrap();
        let mut config = String::new();
        let mut skipping = false;
        for line in toml.lines() {
            if line.starts_with('[') {
                skipping = line.trim() == "[[ratelimits]]";
            }
            if skipping {
                continue;
            }
            let line = line
                .replace(
                    "main = \"edge/build/index.js\"",
                    &format!("main = {:?}", root.join("edge/build/index.js")),
                )
                .replace("directory = \"dist\"", &format!("directory = {:?}", root.join("dist")));
            config.push_str(&line);
            config.push('\n');
        }
        let path = dir.join("wrangler.toml");
        std::fs::write(&path, config).unwrap();
        let mut all: Vec<(String, String)> = vec![("TEST_CHECKOUT".into(), "true".into())];
        all.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Edge::launch(dir.join("state"), all, Some(path), false)
    }

    /// Starts another Worker under `wrangler dev` (its own `config`), ready once it answers anything; the bench
    /// runs a minimal pass-through Worker this way to measure what the platform itself costs.
    pub fn start_worker(config: &std::path::Path, vars: &[(&str, &str)]) -> Edge {
        let dir = std::env::temp_dir().join(format!("slotbook-worker-{}-{}", std::process::id(), free_port()));
        let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Edge::launch(dir, vars, Some(config.to_path_buf()), true)
    }

    fn launch(state_dir: PathBuf, vars: Vec<(String, String)>, config: Option<PathBuf>, other: bool) -> Edge {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| unsafe {
            libc::atexit(stop_all);
        });
        assert!(
            repo_root().join("edge/build/index.js").exists(),
            "build first: scripts/build.sh"
        );
        // A port found free can be taken before wrangler binds it (by another test's runtime starting at the
        // same moment): then wrangler or its runtime gives up at once, and it is started again on other ports.
        for _ in 0..3 {
            let mut edge = Edge {
                child: None,
                port: free_port(),
                base: String::new(),
                state_dir: state_dir.clone(),
                vars: vars.clone(),
                config: config.clone(),
                other,
            };
            edge.base = format!("http://127.0.0.1:{}", edge.port);
            let log_before = edge.log().len();
            edge.spawn();
            match edge.wait_ready(log_before) {
                Ready::Yes => return edge,
                Ready::PortTaken => edge.stop(),
            }
        }
        panic!("wrangler dev found no free port in three tries");
    }

    fn spawn(&mut self) {
        let root = repo_root();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.state_dir.with_extension("log"))
            .unwrap();
        // wrangler also appends every message it gets, at any level, to a debug log file of its own in the home
        // directory (opened, written and closed per message: each request's line, and the Worker's), which
        // grew by 200 MB over a day's runs. What it prints is kept in the log above; that copy goes nowhere.
        let debug_log = self.state_dir.with_extension("wrangler-debug.log");
        if std::fs::symlink_metadata(&debug_log).is_err() {
            std::os::unix::fs::symlink("/dev/null", &debug_log).unwrap();
        }
        let mut cmd = Command::new(root.join("node_modules/.bin/wrangler"));
        cmd.current_dir(&root)
            .args(["dev", "--ip", "127.0.0.1", "--port", &self.port.to_string()])
            .args(self.config.iter().flat_map(|c| ["--config".as_ref(), c.as_os_str()]))
            .args(["--inspector-port", &free_port().to_string()])
            .arg("--persist-to")
            .arg(&self.state_dir)
            .args(["--var", &format!("ADMIN_TOKEN:{ADMIN_TOKEN}")])
            .args(["--var", &format!("STRIPE_WEBHOOK_SECRET:{WEBHOOK_SECRET}")])
            .args(["--var", &format!("PUBLIC_ORIGIN:http://127.0.0.1:{}", self.port)])
            .args(
                self.vars
                    .iter()
                    .flat_map(|(k, v)| ["--var".to_string(), format!("{k}:{v}")]),
            )
            // `log`: the Worker's request lines are kept too (a test reads them, and they help when one fails);
            // the bench asks for `warn`, so that printing them does not take its share of the machine.
            .args([
                "--log-level",
                &std::env::var("SLOTBOOK_EDGE_LOG_LEVEL").unwrap_or_else(|_| "log".into()),
            ])
            .env("WRANGLER_LOG_PATH", &debug_log)
            .env("WRANGLER_SEND_METRICS", "false")
            .env("CI", "true")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log));
        unsafe {
            use std::os::unix::process::CommandExt;
            cmd.pre_exec(|| {
                libc::setpgid(0, 0);
                Ok(())
            });
        }
        let child = cmd.spawn().expect("start wrangler dev");
        let pgid = child.id() as i32;
        // Kept for the exit hook, which kills whatever a panicking test left running (eight at most).
        let _ = GROUPS
            .iter()
            .find(|g| g.compare_exchange(0, pgid, Ordering::SeqCst, Ordering::SeqCst).is_ok());
        self.child = Some(child);
    }

    /// Waits for the edge (or, for another Worker, for any answer); tells when wrangler lost a port: its own,
    /// or one its runtime binds beside it (the inspector's, an internal one), each found free a moment before.
    /// Only what this start wrote counts: the log is kept across starts.
    fn wait_ready(&self, log_before: usize) -> Ready {
        let deadline = Instant::now() + Duration::from_secs(90);
        let taken = "Address already in use";
        while Instant::now() < deadline {
            // An unknown API route is answered by the edge itself in both modes.
            if let Ok(r) = http::get(&format!("{}/api/ready-probe", self.base)) {
                if self.other || (r.status == 404 && r.header("x-request-id").is_some()) {
                    return Ready::Yes;
                }
            }
            if self
                .log()
                .get(log_before..)
                .is_some_and(|written| written.contains(taken))
            {
                return Ready::PortTaken;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        panic!("wrangler dev did not become ready on port {}", self.port);
    }

    pub fn stop(&mut self) {
        self.end(Duration::from_secs(10));
    }

    /// Kills the runtime at once (SIGKILL to the whole process group), as a crash would: requests in flight
    /// get no answer and nothing is flushed on the way out.
    pub fn kill(&mut self) {
        self.end(Duration::ZERO);
    }

    /// Ends the runtime's process group: asked to stop (SIGTERM) with `grace` to do so, then killed; its group
    /// is no longer one to reap at exit.
    fn end(&mut self, grace: Duration) {
        let Some(mut child) = self.child.take() else { return };
        let pgid = child.id() as i32;
        if !grace.is_zero() {
            unsafe { libc::kill(-pgid, libc::SIGTERM) };
            let deadline = Instant::now() + grace;
            while Instant::now() < deadline && !matches!(child.try_wait(), Ok(Some(_))) {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
        let _ = child.wait();
        for g in &GROUPS {
            let _ = g.compare_exchange(pgid, 0, Ordering::SeqCst, Ordering::SeqCst);
        }
        // Give the port and the SQLite files a moment to be released.
        std::thread::sleep(Duration::from_millis(300));
    }

    /// Stops (if running) and starts again on the same state directory, with the same vars (and a new port).
    pub fn restart(&mut self) {
        self.stop();
        let fresh = Edge::launch(
            self.state_dir.clone(),
            self.vars.clone(),
            self.config.clone(),
            self.other,
        );
        let mut fresh = std::mem::ManuallyDrop::new(fresh);
        self.child = fresh.child.take();
        self.port = fresh.port;
        self.base = fresh.base.clone();
    }

    /// What the runtime printed (the Worker's log lines among it), across restarts.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.state_dir.with_extension("log")).unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Loads an organisation document (the demo one unless given) under `slug`.
    pub fn import(&self, slug: &str, document: &serde_json::Value) -> http::Answer {
        http::send(
            "PUT",
            &self.url(&format!("/api/admin/organisations/{slug}")),
            Some(&document.to_string()),
            &[("Authorization", &format!("Bearer {ADMIN_TOKEN}"))],
        )
        .unwrap()
    }
}

impl Drop for Edge {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The demo organisation's document, as shipped.
pub fn demo_document() -> serde_json::Value {
    let text = std::fs::read_to_string(repo_root().join("edge/demo/acme-spa.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A document for tests: the demo with its keys and tokens made unique to `slug`.
pub fn document_for(slug: &str) -> serde_json::Value {
    let mut doc = demo_document();
    doc["apiKeys"] = serde_json::json!([{"name": "tests", "key": staff_key(slug)}]);
    doc["resourceTypes"][0]["resources"][1]["publicToken"] = serde_json::json!(token_for(slug));
    doc
}

pub fn staff_key(slug: &str) -> String {
    format!("sk_test_{slug}_0123456789abcdef")
}

pub fn token_for(slug: &str) -> String {
    format!("tok-{slug}-0123456789")
}
