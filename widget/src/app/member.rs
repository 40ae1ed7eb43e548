//! Bardge mode: who is booking, read from the member token the reseller's page handed over, to show the
//! member's name instead of asking for it. Nothing here is trusted: the edge verifies the token on reserve.

use js_sys::Reflect;

/// The member's name and email from a JWT's claims (its middle part, base64url), or `None` for anything else.
pub fn of_token(token: &str) -> Option<(String, String)> {
    let payload = token.split('.').nth(1)?.replace('-', "+").replace('_', "/");
    let padded = format!("{payload}{}", &"=="[..(4 - payload.len() % 4) % 4 % 3]);
    // `atob` gives one character per byte; the claims are UTF-8.
    let bytes: Vec<u8> = web_sys::window()?
        .atob(&padded)
        .ok()?
        .chars()
        .map(|c| c as u8)
        .collect();
    let claims = js_sys::JSON::parse(&String::from_utf8(bytes).ok()?).ok()?;
    let claim = |k: &str| Reflect::get(&claims, &k.into()).ok()?.as_string();
    Some((
        format!("{} {}", claim("given_name")?, claim("family_name")?),
        claim("email")?,
    ))
}
