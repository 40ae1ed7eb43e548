//! Digests: how API keys and booking tokens are stored (SHA-256, never in clear), and the fingerprint that
//! ties an Idempotency-Key to one request body; comparing secrets in constant time.

use sha2::{Digest, Sha256};

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Equal lengths and contents, in time that depends on the lengths only (for signatures: no early exit to
/// time).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A fingerprint of a JSON body that does not depend on key order or white space.
pub fn fingerprint(body: &serde_json::Value) -> String {
    // serde_json's Map is ordered by key (no preserve_order feature), so serialising is canonical.
    sha256_hex(serde_json::to_string(body).unwrap_or_default().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_the_standard_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn fingerprints_ignore_key_order_and_spacing() {
        let a: serde_json::Value = serde_json::from_str(r#"{"b":1,"a":{"y":2,"x":3}}"#).unwrap();
        let b: serde_json::Value = serde_json::from_str(r#"{ "a": {"x":3, "y":2}, "b": 1 }"#).unwrap();
        let c: serde_json::Value = serde_json::from_str(r#"{"a":{"x":3,"y":2},"b":2}"#).unwrap();
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&c));
    }
}
