//! A request's URL as the Workers runtime hands it over: its origin, path and query, and the query's
//! `application/x-www-form-urlencoded` pairs (also the encoding of an HTML form's body).
//!
//! The runtime gives the URL already serialised by the WHATWG URL standard (scheme and host lowercased,
//! default port dropped, path and query percent-encoded), so splitting it is exact and no URL parser is
//! needed on every call: the first `/` after `://` starts the path, the first `?` the query, `#` the
//! fragment. A test checks the split against the `url` crate's parser.

/// The parts of a serialised absolute URL the gateway reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestUrl {
    origin: String,
    path: String,
    query: Option<String>,
}

impl RequestUrl {
    /// Splits a serialised absolute URL (`scheme://host[:port]/path[?query][#fragment]`); `None` when it
    /// is not one.
    pub fn parse(serialised: &str) -> Option<RequestUrl> {
        let (scheme, rest) = serialised.split_once("://")?;
        if scheme.is_empty() || !scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) {
            return None;
        }
        let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
        let (authority, path_and_query) = match rest.find(['/', '?']) {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        // User information is not part of an origin.
        let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
        if host.is_empty() {
            return None;
        }
        let (path, query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path, Some(query.to_string())),
            None => (path_and_query, None),
        };
        Some(RequestUrl {
            origin: format!("{scheme}://{host}"),
            path: if path.is_empty() {
                "/".to_string()
            } else {
                path.to_string()
            },
            query,
        })
    }

    /// `scheme://host[:port]`, as a browser sends it in an `Origin` header.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The path, still percent-encoded.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The query without its `?`, still encoded; `None` when the URL has no `?`.
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    /// The path and, when there is one, `?` and the query: what a request line carries.
    pub fn path_and_query(&self) -> String {
        match &self.query {
            Some(query) => format!("{}?{query}", self.path),
            None => self.path.clone(),
        }
    }

    /// The query's name/value pairs, decoded.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query.as_deref().map(form_pairs).unwrap_or_default()
    }
}

/// `application/x-www-form-urlencoded` pairs, decoded as the WHATWG URL standard says: `&`-separated,
/// empty ones skipped, split at the first `=`, `+` as a space, then percent-decoded as UTF-8 (invalid
/// sequences become U+FFFD).
pub fn form_pairs(encoded: &str) -> Vec<(String, String)> {
    encoded
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(name), form_decode(value))
        })
        .collect()
}

fn form_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1).and_then(hex), bytes.get(i + 2).and_then(hex)) {
            (b'+', _, _) => out.push(b' '),
            (b'%', Some(high), Some(low)) => {
                out.push(high * 16 + low);
                i += 2;
            }
            (b, _, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: &u8) -> Option<u8> {
    (*b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    const URLS: &[&str] = &[
        "http://127.0.0.1:8787/api/public/booking/organisations/acme-spa/availability?date=2030-01-07&resourceTypeId=1",
        "https://booking.example.com/api/openapi.json",
        "https://booking.example.com",
        "https://booking.example.com?x=1",
        "https://booking.example.com/?",
        "https://booking.example.com/a/b/?q=%E2%82%AC+5&q=two%20words&empty=&=novalue&flag&&a=b=c#frag",
        "https://user:secret@booking.example.com:8443/p%20q?name=J%C3%B6rg&bad=%ZZ&cut=%4&last=%",
        "http://localhost:8787/api/manage/tok_1/calendar.ics?x=%C3%28",
        "https://xn--bcher-kva.example/path;params?k=v#a?b",
    ];

    #[test]
    fn splits_as_the_url_standard_parses() {
        for serialised in URLS {
            let parsed = url::Url::parse(serialised).unwrap();
            // The runtime hands over the serialised form; these inputs are already in it, but make sure.
            let serialised = parsed.as_str();
            let ours = RequestUrl::parse(serialised).unwrap_or_else(|| panic!("{serialised}"));
            assert_eq!(ours.origin(), parsed.origin().ascii_serialization(), "{serialised}");
            assert_eq!(ours.path(), parsed.path(), "{serialised}");
            assert_eq!(ours.query(), parsed.query(), "{serialised}");
            let theirs: Vec<(String, String)> = parsed
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            assert_eq!(ours.query_pairs(), theirs, "{serialised}");
        }
    }

    #[test]
    fn path_and_query_is_the_request_target() {
        let u = RequestUrl::parse("https://a.example/x/y?b=1#f").unwrap();
        assert_eq!(u.path_and_query(), "/x/y?b=1");
        assert_eq!(RequestUrl::parse("https://a.example/x").unwrap().path_and_query(), "/x");
    }

    #[test]
    fn refuses_what_is_not_an_absolute_url() {
        for bad in [
            "",
            "/relative/path",
            "no-scheme.example/x",
            "://host/x",
            "https:///x",
            "ht tp://a/x",
        ] {
            assert_eq!(RequestUrl::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn form_bodies_decode_like_query_strings() {
        assert_eq!(
            form_pairs("action=cancel&note=See+you%21&x=%F0%9F%98%80"),
            vec![
                ("action".into(), "cancel".into()),
                ("note".into(), "See you!".into()),
                ("x".into(), "😀".into())
            ]
        );
        assert_eq!(form_pairs(""), Vec::<(String, String)>::new());
    }
}
