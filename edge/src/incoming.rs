//! The request a client sent, as the runtime hands it to the Worker. Unlike `worker::Request` it reads
//! nothing it is not asked for: the platform's `cf` object (location, TLS details) is never used here, and
//! building it cost a tenth of a millisecond on every call.

use slotbook_core::request_url::RequestUrl;
use worker::{Headers, Method};

pub struct Incoming {
    inner: web_sys::Request,
    headers: Headers,
}

impl Incoming {
    pub fn new(inner: web_sys::Request) -> Incoming {
        Incoming {
            headers: Headers(inner.headers()),
            inner,
        }
    }

    /// One header's value, if it was sent (and readable).
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).ok().flatten()
    }

    pub fn method(&self) -> Method {
        Method::from(self.inner.method())
    }

    /// The method as sent: `worker::Method` reads one it does not know (QUERY, TRACE) as GET.
    pub fn method_name(&self) -> String {
        self.inner.method()
    }

    /// Its URL, split into origin, path and query (no URL parser on the way of every call).
    pub fn url(&self) -> Option<RequestUrl> {
        RequestUrl::parse(&self.inner.url())
    }

    /// The request as the runtime gave it (its body stream).
    pub fn inner(&self) -> &web_sys::Request {
        &self.inner
    }
}
