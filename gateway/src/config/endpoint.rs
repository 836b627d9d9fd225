//! Which URLs the gateway may send tokens, secrets and personal data to:
//! https, or plain http to this machine's loopback (tests, the demo) or,
//! where an agency's config allows it, on a closed network. URLs are
//! parsed, not matched by prefix: `http://127.0.0.1.example` is not
//! loopback.

use std::net::IpAddr;

use url::{Host, Url};

/// May a call go to `url`? `plain_http` lets any http host through (an
/// agency's `allow_plain_http`, for closed networks such as docker-compose).
pub fn allowed(url: &str, plain_http: bool) -> bool {
    let Ok(url) = Url::parse(url) else {
        return false;
    };
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => plain_http || url.host().is_some_and(|h| is_loopback(&h)),
        _ => false,
    }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

#[cfg(test)]
mod tests {
    use super::allowed;

    #[test]
    fn https_and_loopback_http_only() {
        for ok in [
            "https://id.af.example/jwks.json",
            "http://127.0.0.1:8080/x",
            "http://127.3.4.5/x",
            "http://localhost:9/x",
            "http://[::1]:9/x",
        ] {
            assert!(allowed(ok, false), "{ok}");
        }
        for bad in [
            "http://127.0.0.1.example/x",
            "http://localhost.example/x",
            "http://localhost@evil.example/x",
            "http://10.0.0.1/x",
            "http://id.af.example/x",
            "ftp://127.0.0.1/x",
            "file:///etc/passwd",
            "https://",
            "not a url",
        ] {
            assert!(!allowed(bad, false), "{bad}");
        }
        assert!(allowed("http://af-simulator:8091", true));
    }
}
