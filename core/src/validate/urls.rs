//! URLs: an origin of an absolute URL, which payment pages the widget may open, what counts as this machine.

/// The origin (`scheme://host[:port]`) of an absolute http(s) URL.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "http" | "https") {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() || authority.contains('@') || authority.chars().any(|c| c.is_whitespace()) {
        return None;
    }
    Some(format!("{scheme}://{}", authority.to_ascii_lowercase()))
}

/// Whether the widget may send the browser to `url` to pay: Stripe Checkout's own host over https, or the
/// edge's local test checkout on the widget's API origin (`api`). Plain http only for a loopback host, so a
/// `checkoutUrl` can never run script (`javascript:`) or lead a customer to another site.
pub fn is_checkout_url(url: &str, api: &str) -> bool {
    let Some(origin) = origin_of(url) else { return false };
    if !url.starts_with(&origin) || url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return false;
    }
    let path = &url[origin.len()..];
    if origin == "https://checkout.stripe.com" {
        return path.starts_with('/');
    }
    let secure = origin.starts_with("https://") || is_loopback(&origin);
    secure && origin_of(api).is_some_and(|a| a == origin) && path.starts_with("/api/test-checkout/")
}

/// Whether an origin (`scheme://host[:port]`) is this machine: where plain http is acceptable (development).
pub fn is_loopback(origin: &str) -> bool {
    let authority = origin.split_once("://").map_or("", |(_, a)| a);
    let host = if authority.ends_with(']') {
        authority
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkout_urls_the_widget_may_open() {
        let api = "https://edge.example";
        assert!(is_checkout_url("https://checkout.stripe.com/c/pay/cs_live_a1#fid", api));
        assert!(is_checkout_url(
            "https://edge.example/api/test-checkout/cs_test_local_00_acme",
            api
        ));
        assert!(is_checkout_url(
            "http://localhost:8787/api/test-checkout/cs_x",
            "http://localhost:8787"
        ));
        assert!(is_checkout_url(
            "http://127.0.0.1:9000/api/test-checkout/cs_x",
            "http://127.0.0.1:9000"
        ));
        for bad in [
            "javascript:alert(1)",
            "JAVASCRIPT:alert(1)",
            "data:text/html,hi",
            "//checkout.stripe.com/c/pay/x",
            "http://checkout.stripe.com/c/pay/x",
            "https://checkout.stripe.com.evil.example/c/pay/x",
            "https://evil.example/api/test-checkout/x",
            "https://edge.example/api/public/booking/x",
            "https://user@checkout.stripe.com/c/pay/x",
            "https://checkout.stripe.com\\@evil.example/",
            "https://checkout.stripe.com /x",
            "http://edge.example/api/test-checkout/x",
        ] {
            assert!(!is_checkout_url(bad, api), "{bad}");
        }
        assert!(
            !is_checkout_url("http://edge.example/api/test-checkout/x", "http://edge.example"),
            "http only on loopback"
        );
        assert!(
            !is_checkout_url("http://localhost:8787/api/test-checkout/x", "http://localhost:9999"),
            "another origin"
        );
    }

    #[test]
    fn origins_of_urls() {
        assert_eq!(
            origin_of("https://Acme.example/book?x=1").as_deref(),
            Some("https://acme.example")
        );
        assert_eq!(
            origin_of("http://localhost:8787").as_deref(),
            Some("http://localhost:8787")
        );
        assert_eq!(origin_of("https://evil@acme.example/"), None);
        assert_eq!(origin_of("ftp://acme.example/"), None);
        assert_eq!(origin_of("//acme.example/"), None);
    }
}
