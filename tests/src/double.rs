//! A recording HTTP server on loopback, for the parties that cannot run here (Stripe, a venue's upstream
//! backend). Each stand-in answers with a closure; every request is kept for the test to inspect.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Lower-case names.
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn form(&self) -> Vec<(String, String)> {
        parse_form(&String::from_utf8_lossy(&self.body))
    }

    pub fn field(&self, name: &str) -> Option<String> {
        self.form().into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What a stand-in answers: status, headers, body. Status 0 closes the connection without an answer (one
/// lost on the way).
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

type Handler = dyn Fn(&Recorded) -> Answer + Send + Sync;

#[derive(Clone)]
pub struct Server {
    pub base: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Server {
    /// Serves JSON answers on a free loopback port until the test process ends.
    pub fn start(handler: impl Fn(&Recorded) -> (u16, String) + Send + Sync + 'static) -> Server {
        Server::start_typed(move |r| {
            let (status, body) = handler(r);
            (status, "application/json", body)
        })
    }

    /// Serves answers with their own content type (for example a venue's HTML page).
    pub fn start_typed(handler: impl Fn(&Recorded) -> (u16, &'static str, String) + Send + Sync + 'static) -> Server {
        Server::start_with_headers(move |r| {
            let (status, content_type, body) = handler(r);
            let mut headers = vec![("Content-Type", content_type.to_string())];
            // A redirect's answer text is where it points.
            if (300..400).contains(&status) {
                headers.push(("Location", body.clone()));
            }
            Answer { status, headers, body }
        })
    }

    /// Serves answers with headers of their own.
    pub fn start_with_headers(handler: impl Fn(&Recorded) -> Answer + Send + Sync + 'static) -> Server {
        Server::start_on(0, handler)
    }

    /// Like [`Server::start_with_headers`], on a given port (0: any free one).
    pub fn start_on(port: u16, handler: impl Fn(&Recorded) -> Answer + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap_or_else(|e| panic!("port {port}: {e}"));
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let recorded = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (recorded, handler) = (recorded.clone(), handler.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, &recorded, &*handler);
                });
            }
        });
        Server { base, requests }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(stream: std::net::TcpStream, recorded: &Mutex<Vec<Recorded>>, handler: &Handler) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
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
    let request = Recorded {
        method,
        path,
        headers,
        body,
    };
    recorded.lock().unwrap().push(request.clone());
    let answer = handler(&request);
    if answer.status == 0 {
        // The answer is lost on the way back: the connection closes without one.
        return Ok(());
    }
    let mut out = stream;
    let headers: String = answer.headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    let (status, text) = (answer.status, answer.body);
    write!(
        out,
        "HTTP/1.1 {status} X\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    )?;
    out.flush()
}

pub fn parse_form(body: &str) -> Vec<(String, String)> {
    fn decode(s: &str) -> String {
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
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}
