//! A minimal WebDriver client driving Debian's chromium through chromedriver: sessions, navigation,
//! scripts (to reach into the widget's shadow root), clicks and typing as a user would.

use crate::http::{self, Answer};
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    _profile: std::path::PathBuf,
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Browser {
    pub fn start() -> Browser {
        let port = crate::free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver (scripts/setup.sh installs it)");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while http::get(&format!("{base}/status")).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = std::env::temp_dir().join(format!("slotbook-chromium-{}-{port}", std::process::id()));
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=1000,1400",
                     format!("--user-data-dir={}", profile.display())]
        }}}});
        let answer = http::send("POST", &format!("{base}/session"), Some(&caps.to_string()), &[]).unwrap();
        let session = answer.json()["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {}", answer.body))
            .to_string();
        Browser {
            driver,
            base,
            session,
            _profile: profile,
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{}", self.base, self.session, path);
        let answer: Answer = http::send(method, &url, body.map(|b| b.to_string()).as_deref(), &[]).unwrap();
        let v = answer.json();
        assert!(answer.status < 400, "webdriver {path}: {}", answer.body);
        v["value"].clone()
    }

    /// A Chrome DevTools Protocol command, through chromedriver's own endpoint for it.
    pub fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.call("POST", "/goog/cdp/execute", Some(json!({"cmd": cmd, "params": params})))
    }

    /// Chromium's own "Slow 4G" phone profile from now on: 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up,
    /// the CPU slowed 4 times.
    pub fn throttle_like_a_phone(&self) {
        self.cdp("Network.enable", json!({}));
        self.cdp(
            "Network.emulateNetworkConditions",
            json!({"offline": false, "latency": 150, "downloadThroughput": 1_600_000 / 8, "uploadThroughput": 750_000 / 8}),
        );
        self.cdp("Emulation.setCPUThrottlingRate", json!({"rate": 4}));
    }

    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({"url": url})));
    }

    pub fn current_url(&self) -> String {
        self.call("GET", "/url", None).as_str().unwrap_or_default().to_string()
    }

    /// Runs a script in the page; `arguments` are available to it.
    pub fn script(&self, script: &str, args: Value) -> Value {
        self.call("POST", "/execute/sync", Some(json!({"script": script, "args": args})))
    }

    /// Runs a script that answers by calling its last argument (`arguments[arguments.length - 1]`).
    pub fn script_async(&self, script: &str, args: Value) -> Value {
        self.call("POST", "/execute/async", Some(json!({"script": script, "args": args})))
    }

    /// Presses keys on whatever has focus, as a keyboard would (WebDriver actions; key codes such as
    /// `\u{E004}` for Tab, `\u{E007}` for Enter, `\u{E014}` for the right arrow; other characters type).
    pub fn keys(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|c| {
                [
                    json!({"type": "keyDown", "value": c.to_string()}),
                    json!({"type": "keyUp", "value": c.to_string()}),
                ]
            })
            .collect();
        self.call(
            "POST",
            "/actions",
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        );
    }

    /// What has focus, looked for through shadow roots: `{tag, id, className, text, date}`.
    pub fn focused(&self) -> Value {
        self.script(
            "let e = document.activeElement; while (e && e.shadowRoot && e.shadowRoot.activeElement) e = e.shadowRoot.activeElement; \
             return e ? {tag: e.tagName, id: e.id, className: e.className, text: e.textContent.trim(), date: e.dataset ? e.dataset.date || null : null, start: e.dataset ? e.dataset.start || null : null, type: e.dataset ? e.dataset.resourceType || null : null} : null;",
            json!([]),
        )
    }

    /// Runs axe-core (from the project's npm tools) on the page and returns the violations inside the
    /// widget's shadow root, as `rule: target` lines.
    pub fn axe_violations(&self) -> Vec<String> {
        let axe = std::fs::read_to_string(crate::repo_root().join("node_modules/axe-core/axe.min.js"))
            .expect("axe-core: run scripts/setup.sh");
        self.script(&format!("if (!window.axe) {{ {axe} }} return true;"), json!([]));
        let found = self.script_async(
            "const done = arguments[arguments.length - 1]; \
             axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.flatMap(v => v.nodes.map(n => ({rule: v.id, impact: v.impact, target: n.target, summary: n.failureSummary}))))).catch(e => done([{rule: 'axe-error', target: [String(e)]}]));",
            json!([]),
        );
        found
            .as_array()
            .unwrap()
            .iter()
            // A target inside a shadow root is an array of selectors, the host's first.
            .filter(|n| n["target"][0].is_array() || n["rule"] == "axe-error")
            .map(|n| {
                format!(
                    "{} ({}): {} {}",
                    n["rule"].as_str().unwrap_or_default(),
                    n["impact"].as_str().unwrap_or_default(),
                    n["target"],
                    n["summary"].as_str().unwrap_or_default()
                )
            })
            .collect()
    }

    /// Waits until `script` returns something truthy, and returns it.
    pub fn wait_for(&self, what: &str, script: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let v = self.script(script, json!([]));
            if !(v.is_null() || v == json!(false) || v == json!("")) {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// An element inside the widget's shadow root, waited for.
    pub fn widget_element(&self, selector: &str) -> Value {
        let script = format!(
            "const h = document.querySelector('[data-booking-widget]'); const r = h && h.shadowRoot; \
             const e = r && r.querySelector({sel}); return e && !e.disabled ? e : null;",
            sel = serde_json::to_string(selector).unwrap()
        );
        self.wait_for(selector, &script)
    }

    pub fn widget_text(&self) -> String {
        self.script("const h = document.querySelector('[data-booking-widget]'); return h && h.shadowRoot ? h.shadowRoot.textContent : '';", json!([]))
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn click(&self, element: &Value) {
        let id = element[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("not an element reference: {element}"));
        self.call("POST", &format!("/element/{id}/click"), Some(json!({})));
    }

    pub fn type_into(&self, element: &Value, text: &str) {
        let id = element[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("not an element reference: {element}"));
        self.call("POST", &format!("/element/{id}/value"), Some(json!({"text": text})));
    }

    /// Moves into an iframe (given as an element reference) for the following commands.
    pub fn switch_to_frame(&self, frame: &Value) {
        self.call("POST", "/frame", Some(json!({"id": frame})));
    }

    pub fn switch_to_top(&self) {
        self.call("POST", "/frame", Some(json!({"id": null})));
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = http::send("DELETE", &format!("{}/session/{}", self.base, self.session), None, &[]);
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
