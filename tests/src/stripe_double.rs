//! A stand-in for Stripe's API (which cannot run here), speaking its wire format: form-encoded requests,
//! Checkout Session objects, `{"error": {...}}` answers. It records every request so tests can check them
//! field by field, and lets a test play the customer who pays on Stripe's page.

use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
    pub form: Vec<(String, String)>,
}

impl Recorded {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    requests: Vec<Recorded>,
    sessions: HashMap<String, Value>,
    by_idempotency_key: HashMap<String, String>,
}

#[derive(Clone)]
pub struct StripeDouble {
    pub base: String,
    state: Arc<Mutex<State>>,
}

impl StripeDouble {
    pub fn start() -> StripeDouble {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &state);
                });
            }
        });
        StripeDouble { base, state }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    /// The customer pays on Stripe's page (no webhook is sent).
    pub fn complete(&self, session_id: &str) {
        let mut state = self.state.lock().unwrap();
        let s = state.sessions.get_mut(session_id).expect("known session");
        s["status"] = json!("complete");
        s["payment_status"] = json!("paid");
    }
}

fn serve(stream: std::net::TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or("").to_string(), parts.next().unwrap_or("").to_string());
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let length: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let form = parse_form(&String::from_utf8_lossy(&body));
    let recorded = Recorded { method: method.clone(), path: path.clone(), headers: headers.clone(), form: form.clone() };
    let (status, answer) = {
        let mut st = state.lock().unwrap();
        st.requests.push(recorded);
        answer(&mut st, &method, &path, &headers, &form)
    };
    let text = answer.to_string();
    let mut out = stream;
    write!(out, "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}", text.len())?;
    out.flush()
}

fn answer(st: &mut State, method: &str, path: &str, headers: &HashMap<String, String>, form: &[(String, String)]) -> (u16, Value) {
    if headers.get("authorization").is_none_or(|a| !a.starts_with("Bearer sk_test_")) {
        return (401, json!({"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}}));
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        ("POST", ["v1", "checkout", "sessions"]) => {
            if let Some(existing) = headers.get("idempotency-key").and_then(|k| st.by_idempotency_key.get(k)) {
                return (200, st.sessions[existing].clone());
            }
            let id = format!("cs_test_double_{}", st.sessions.len() + 1);
            let get = |k: &str| form.iter().find(|(f, _)| f == k).map(|(_, v)| v.clone()).unwrap_or_default();
            let session = json!({
                "id": id, "object": "checkout.session", "mode": get("mode"), "status": "open", "payment_status": "unpaid",
                "url": format!("https://checkout.stripe.com/c/pay/{id}"), "client_reference_id": get("client_reference_id"),
                "expires_at": get("expires_at").parse::<i64>().unwrap_or(0),
                "metadata": {"reservation_id": get("metadata[reservation_id]"), "organisation": get("metadata[organisation]")},
            });
            st.sessions.insert(id.clone(), session.clone());
            if let Some(k) = headers.get("idempotency-key") {
                st.by_idempotency_key.insert(k.clone(), id);
            }
            (200, session)
        }
        ("POST", ["v1", "checkout", "sessions", id, "expire"]) => match st.sessions.get_mut(*id) {
            Some(s) if s["status"] == "open" => {
                s["status"] = json!("expired");
                (200, s.clone())
            }
            Some(_) => (400, json!({"error": {"type": "invalid_request_error",
                "message": "Only Checkout Sessions with a status in [\"open\"] can be expired."}})),
            None => (404, json!({"error": {"type": "invalid_request_error", "message": "No such checkout.session"}})),
        },
        ("GET", ["v1", "checkout", "sessions", id]) => match st.sessions.get(*id) {
            Some(s) => (200, s.clone()),
            None => (404, json!({"error": {"type": "invalid_request_error", "message": "No such checkout.session"}})),
        },
        _ => (404, json!({"error": {"type": "invalid_request_error", "message": "Unrecognized request URL"}})),
    }
}

fn parse_form(body: &str) -> Vec<(String, String)> {
    fn dec(s: &str) -> String {
        let bytes = s.replace('+', " ").into_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                if let Ok(b) = u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or(""), 16) {
                    out.push(b);
                    i += 3;
                    continue;
                }
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    body.split('&').filter(|p| !p.is_empty()).map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        (dec(k), dec(v))
    }).collect()
}
