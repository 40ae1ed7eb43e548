//! A small blocking HTTP client for the tests (errors are answers too, never exceptions).

use std::time::Duration;

#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Asserts the shared error shape and returns the error object.
    pub fn error(&self, status: u16, code: &str) -> serde_json::Value {
        assert_eq!(self.status, status, "status of {}", self.body);
        let e = self.json()["error"].clone();
        assert_eq!(e["code"], code, "code of {}", self.body);
        for field in ["type", "message", "request_id"] {
            assert!(e[field].is_string(), "error.{field} missing in {}", self.body);
        }
        assert_eq!(
            Some(e["request_id"].as_str().unwrap()),
            self.header("x-request-id"),
            "request id header"
        );
        e
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(60)))
        // wrangler dev closes a connection idle for 5 s; one idle longer than 2 s is not reused, so a request
        // after a pause never meets a connection the server is closing.
        .max_idle_age(Duration::from_secs(2))
        .build()
        .into()
}

pub fn send(method: &str, url: &str, body: Option<&str>, headers: &[(&str, &str)]) -> Result<Answer, ureq::Error> {
    thread_local!(static AGENT: ureq::Agent = agent());
    AGENT.with(|agent| {
        let mut builder = ureq::http::Request::builder().method(method).uri(url);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        // Each request comes from its own client address unless the test names one, so per-IP rate limits
        // only meet the tests that are about them.
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("cf-connecting-ip")) {
            builder = builder.header("CF-Connecting-IP", random_ip());
        }
        if body.is_some() && !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
            builder = builder.header("Content-Type", "application/json");
        }
        let request = builder.body(body.unwrap_or("").as_bytes().to_vec()).unwrap();
        let mut response = agent.run(request)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect();
        let body = response.body_mut().read_to_string().unwrap_or_default();
        Ok(Answer { status, headers, body })
    })
}

pub fn get(url: &str) -> Result<Answer, ureq::Error> {
    send("GET", url, None, &[])
}

pub fn post_json(url: &str, body: &serde_json::Value) -> Answer {
    send("POST", url, Some(&body.to_string()), &[]).unwrap()
}

fn random_ip() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed) ^ std::process::id().rotate_left(16);
    format!("10.{}.{}.{}", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff)
}

/// A bodiless request with a method the client library refuses to send (QUERY, TRACE), over a plain
/// connection to `host:port`.
pub fn send_method(port: u16, method: &str, path: &str) -> Answer {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCF-Connecting-IP: {}\r\nConnection: close\r\n\r\n",
        random_ip()
    );
    s.write_all(head.as_bytes()).unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked { dechunk(body) } else { body.to_string() };
    Answer { status, headers, body }
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || tail.len() < n {
            break;
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
    out
}
