//! Member tokens: who is booking in Bardge mode. The reseller's backend, where its client is signed in, signs a
//! JWT (RFC 7519) with HS256 and the organisation's member-token secret; the widget hands it to the edge with
//! the reserve, and the edge trusts nothing in it before the signature is checked.
//!
//! Refused: a token that is not three base64url parts, an `alg` other than `HS256` (so never `none`), a
//! signature that does not match, an `aud` other than the organisation's slug, an `exp` missing, past, or
//! more than 24 hours ahead, an `nbf` still ahead, and claims that are missing or empty.

use crate::digest::constant_time_eq;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The longest `exp` a token may carry, from now: a token is a sign-in's, not a password.
pub const MAX_LIFETIME_SECONDS: i64 = 24 * 3600;
/// Tokens are a few hundred characters; anything much longer is not one.
pub const MAX_TOKEN_CHARS: usize = 4096;
/// Clock difference between the reseller's servers and the edge that is forgiven on `exp` ahead and `nbf`.
const LEEWAY_SECONDS: i64 = 60;

/// The client a verified token names: what Bardge's initiate calls need, and the name and email to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Bardge's `client_id` (the token's `sub`).
    pub client_id: String,
    /// Bardge's `user_pass_id` (`brgpass_…`).
    pub pass_id: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
}

impl Member {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
    }
}

/// Why a token was refused, in words for the error message (they name no secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    Malformed,
    Algorithm,
    Signature,
    Audience,
    NoExpiry,
    Expired,
    TooLong,
    NotYetValid,
    Claims,
}

impl TokenRefusal {
    pub fn message(self) -> &'static str {
        match self {
            Self::Malformed => "The member token is not a signed JWT",
            Self::Algorithm => "The member token must be signed with HS256",
            Self::Signature => "The member token's signature does not match",
            Self::Audience => "The member token is not for this organisation",
            Self::NoExpiry => "The member token has no expiry (exp)",
            Self::Expired => "The member token has expired; sign in again",
            Self::TooLong => "The member token must expire within 24 hours",
            Self::NotYetValid => "The member token is not valid yet",
            Self::Claims => "The member token lacks sub, pass_id, given_name, family_name or email",
        }
    }
}

/// Verifies a member token for the organisation `audience` at `now` (Unix seconds). `read` parses JSON text
/// (the Worker hands in the runtime's own parser, tests serde_json's); the claims are read from it by hand.
pub fn verify(
    token: &str,
    secret: &str,
    audience: &str,
    now: i64,
    read: impl Fn(&str) -> Option<serde_json::Value>,
) -> Result<Member, TokenRefusal> {
    if token.len() > MAX_TOKEN_CHARS || secret.is_empty() {
        return Err(TokenRefusal::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenRefusal::Malformed);
    };
    let json = |part: &str| read(&String::from_utf8(base64url_decode(part)?).ok()?).filter(|v| v.is_object());
    let header = json(header).ok_or(TokenRefusal::Malformed)?;
    // Only the algorithm agreed on: never `none`, never one the token picks for itself.
    if header["alg"].as_str() != Some("HS256") {
        return Err(TokenRefusal::Algorithm);
    }
    let given = base64url_decode(signature).ok_or(TokenRefusal::Malformed)?;
    let signed_len = token.len() - signature.len() - 1;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    mac.update(&token.as_bytes()[..signed_len]);
    if !constant_time_eq(&mac.finalize().into_bytes(), &given) {
        return Err(TokenRefusal::Signature);
    }
    let claims = json(payload).ok_or(TokenRefusal::Malformed)?;
    let text = |k: &str| {
        claims[k]
            .as_str()
            .filter(|c| !c.trim().is_empty() && c.len() <= 200)
            .map(str::to_string)
            .ok_or(TokenRefusal::Claims)
    };
    let member = Member {
        client_id: text("sub")?,
        pass_id: text("pass_id")?,
        given_name: text("given_name")?,
        family_name: text("family_name")?,
        email: text("email")?,
    };
    if !crate::validate::is_plausible_email(&member.email) {
        return Err(TokenRefusal::Claims);
    }
    if claims["aud"].as_str() != Some(audience) {
        return Err(TokenRefusal::Audience);
    }
    let exp = claims["exp"].as_i64().ok_or(TokenRefusal::NoExpiry)?;
    if exp <= now {
        return Err(TokenRefusal::Expired);
    }
    if exp > now + MAX_LIFETIME_SECONDS + LEEWAY_SECONDS {
        return Err(TokenRefusal::TooLong);
    }
    if claims["nbf"].as_i64().is_some_and(|nbf| nbf > now + LEEWAY_SECONDS) {
        return Err(TokenRefusal::NotYetValid);
    }
    Ok(member)
}

/// Signs a member token as a reseller's backend does (HS256 over the claims' JSON): for the tests and the
/// local demo's sign-in, and for a reseller whose backend is in Rust.
pub fn sign(claims: &serde_json::Value, secret: &str) -> String {
    sign_with_header(&serde_json::json!({"alg": "HS256", "typ": "JWT"}), claims, secret)
}

/// [`sign`] with any header (the tests forge tokens with other algorithms).
pub fn sign_with_header(header: &serde_json::Value, claims: &serde_json::Value, secret: &str) -> String {
    let signed = format!(
        "{}.{}",
        base64url_encode(header.to_string().as_bytes()),
        base64url_encode(claims.to_string().as_bytes())
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    mac.update(signed.as_bytes());
    format!("{signed}.{}", base64url_encode(&mac.finalize().into_bytes()))
}

fn base64url_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// RFC 4648 §5 without padding, as JWTs are written; anything else is refused.
fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        } as u32)
    };
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.as_bytes().chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &str = "member-secret-for-tests-0123456789abcdef";
    const NOW: i64 = 1_780_000_000;
    /// Signed outside this crate (Python's hmac and base64 modules) with SECRET: aud `wellcorp`,
    /// exp NOW + 1 h.
    const INDEPENDENT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJjbGllbnRfNDIiLCJwYXNzX2lkIjoiYnJncGFzc183IiwiZ2l2ZW5fbmFtZSI6IkFkYSIsImZhbWlseV9uYW1lIjoiTG92ZWxhY2UiLCJlbWFpbCI6ImFkYUBleGFtcGxlLmNvbSIsImF1ZCI6IndlbGxjb3JwIiwiZXhwIjoxNzgwMDAzNjAwfQ.v5BRyF6hw_obGY5jJM-4J_AN2uvTD0iRcCCFT1i6TBc";

    fn read(text: &str) -> Option<serde_json::Value> {
        serde_json::from_str(text).ok()
    }

    fn sign(header: serde_json::Value, claims: serde_json::Value, secret: &str) -> String {
        sign_with_header(&header, &claims, secret)
    }

    fn encode(bytes: &[u8]) -> String {
        base64url_encode(bytes)
    }

    fn claims() -> serde_json::Value {
        json!({"sub": "client_42", "pass_id": "brgpass_7", "given_name": "Ada", "family_name": "Lovelace",
               "email": "ada@example.com", "aud": "wellcorp", "exp": NOW + 3600})
    }

    fn hs256() -> serde_json::Value {
        json!({"alg": "HS256", "typ": "JWT"})
    }

    #[test]
    fn a_token_signed_elsewhere_names_the_member() {
        let m = verify(INDEPENDENT, SECRET, "wellcorp", NOW, read).unwrap();
        assert_eq!(m.client_id, "client_42");
        assert_eq!(m.pass_id, "brgpass_7");
        assert_eq!(m.full_name(), "Ada Lovelace");
        assert_eq!(m.email, "ada@example.com");
        // The test's own signer agrees with the independent one.
        assert_eq!(sign(hs256(), claims(), SECRET).split('.').count(), 3);
        assert!(verify(&sign(hs256(), claims(), SECRET), SECRET, "wellcorp", NOW, read).is_ok());
    }

    #[test]
    fn forged_tokens_are_refused_each_for_its_reason() {
        let refused = |token: &str| verify(token, SECRET, "wellcorp", NOW, read).unwrap_err();
        let with = |field: &str, value: serde_json::Value| {
            let mut c = claims();
            c[field] = value;
            sign(hs256(), c, SECRET)
        };
        assert_eq!(
            refused(&sign(hs256(), claims(), "another-secret")),
            TokenRefusal::Signature
        );
        // A signature moved onto other claims.
        let good = sign(hs256(), claims(), SECRET);
        let other = with("sub", json!("client_43"));
        let moved = format!(
            "{}.{}",
            &other[..other.rfind('.').unwrap()],
            &good[good.rfind('.').unwrap() + 1..]
        );
        assert_eq!(refused(&moved), TokenRefusal::Signature);
        // `none` with no signature, and another algorithm with a valid HS256 signature.
        let unsigned = sign(json!({"alg": "none"}), claims(), SECRET);
        assert_eq!(
            refused(&format!("{}.", &unsigned[..unsigned.rfind('.').unwrap()])),
            TokenRefusal::Algorithm
        );
        assert_eq!(
            refused(&sign(json!({"alg": "HS512"}), claims(), SECRET)),
            TokenRefusal::Algorithm
        );
        assert_eq!(
            refused(&sign(json!({"alg": "hs256"}), claims(), SECRET)),
            TokenRefusal::Algorithm
        );
        assert_eq!(refused(&with("aud", json!("other-org"))), TokenRefusal::Audience);
        assert_eq!(refused(&with("aud", json!(["wellcorp"]))), TokenRefusal::Audience);
        assert_eq!(refused(&with("exp", json!(NOW))), TokenRefusal::Expired);
        assert_eq!(refused(&with("exp", json!(NOW - 1))), TokenRefusal::Expired);
        assert_eq!(refused(&with("exp", json!(NOW + 25 * 3600))), TokenRefusal::TooLong);
        assert_eq!(refused(&with("nbf", json!(NOW + 600))), TokenRefusal::NotYetValid);
        assert_eq!(refused(&with("email", json!("not-an-email"))), TokenRefusal::Claims);
        assert_eq!(refused(&with("given_name", json!(" "))), TokenRefusal::Claims);
        let mut no_exp = claims();
        no_exp.as_object_mut().unwrap().remove("exp");
        assert_eq!(refused(&sign(hs256(), no_exp, SECRET)), TokenRefusal::NoExpiry);
        let mut no_pass = claims();
        no_pass.as_object_mut().unwrap().remove("pass_id");
        assert_eq!(refused(&sign(hs256(), no_pass, SECRET)), TokenRefusal::Claims);
        for malformed in ["", "a.b", "a.b.c.d", "not a token", "eyJ.eyJ.***", &"a".repeat(5000)] {
            assert_eq!(refused(malformed), TokenRefusal::Malformed, "{malformed}");
        }
        // Exactly 24 hours ahead is allowed, as is an nbf a few seconds ahead (clocks differ).
        assert!(verify(&with("exp", json!(NOW + 24 * 3600)), SECRET, "wellcorp", NOW, read).is_ok());
        assert!(verify(&with("nbf", json!(NOW + 5)), SECRET, "wellcorp", NOW, read).is_ok());
    }

    #[test]
    fn base64url_is_read_as_rfc_4648_writes_it() {
        // RFC 4648 §10's vectors, unpadded, and the URL-safe alphabet.
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url_decode(encoded).unwrap(), plain.as_bytes());
            assert_eq!(encode(plain.as_bytes()), encoded);
        }
        assert_eq!(base64url_decode("-_8").unwrap(), vec![0xfb, 0xff]);
        assert_eq!(base64url_decode("Zg=="), None, "JWTs carry no padding");
        assert_eq!(
            base64url_decode("+/8"),
            None,
            "the standard alphabet is not the URL one"
        );
        assert_eq!(base64url_decode("Z"), None);
    }
}
