//! How the test servers (the token server, the agency simulator) read an
//! OAuth client's credentials from a token request: HTTP Basic, or without
//! an Authorization header, the form fields (RFC 6749 2.3.1).

use std::collections::HashMap;

use axum::http::{header, HeaderMap};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// The (client id, secret) the request presents, if it presents any in a
/// readable form. An Authorization header that is not Basic presents none.
pub fn presented(headers: &HeaderMap, form: &HashMap<String, String>) -> Option<(String, String)> {
    match headers.get(header::AUTHORIZATION) {
        Some(value) => {
            let pair = value
                .to_str()
                .ok()
                .and_then(|v| {
                    let (scheme, rest) = v.split_once(' ')?;
                    scheme.eq_ignore_ascii_case("basic").then_some(rest.trim())
                })
                .and_then(|b64| STANDARD.decode(b64).ok())
                .and_then(|raw| String::from_utf8(raw).ok())?;
            // Id and secret are form-urlencoded inside Basic.
            let (id, secret) = pair.split_once(':')?;
            Some((form_decode(id), form_decode(secret)))
        }
        None => Some((
            form.get("client_id")?.clone(),
            form.get("client_secret")?.clone(),
        )),
    }
}

/// Decodes `+` and `%XX` (what a form-urlencoded id or secret may hold).
fn form_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                Some(b) => {
                    out.push(b);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
