//! Who is on the other end: client IP, user agent, whether TLS was used.
//!
//! `X-Forwarded-For` is believed only when the TCP peer is a configured
//! trusted proxy; otherwise anyone could claim any address and escape the
//! per-IP rate limits and lockouts. With a chain of proxies, the client is
//! the right-most address that is not itself a trusted proxy (RFC 7239's
//! advice: everything left of it could have been written by the client).

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

use crate::state::AppState;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInfo {
    /// `None` only when the server runs without connection info (in-process
    /// tests).
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    /// The client reached us over TLS (directly or via a trusted proxy).
    pub https: bool,
}

impl ClientInfo {
    pub fn ip_string(&self) -> Option<String> {
        self.ip.map(|ip| ip.to_string())
    }

    /// A key for per-IP limits and lockouts. An IPv6 client is keyed by its
    /// /64: one subscriber usually holds a whole /64 and could otherwise
    /// rotate through addresses to escape every per-address budget.
    pub fn ip_key(&self) -> String {
        match self.ip {
            Some(IpAddr::V6(v6)) => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
            Some(ip) => ip.to_string(),
            None => "unknown".into(),
        }
    }
}

fn trusted(ip: IpAddr, proxies: &[IpNet]) -> bool {
    proxies.iter().any(|net| net.contains(&ip))
}

/// Works out the client from the peer address and headers.
pub fn resolve(
    peer: Option<IpAddr>,
    headers: &axum::http::HeaderMap,
    proxies: &[IpNet],
) -> ClientInfo {
    let user_agent = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(256).collect());
    // `::ffff:10.0.0.5` (an IPv4 peer on a dual-stack socket) is 10.0.0.5:
    // compare and key it as IPv4.
    let peer = peer.map(|p| p.to_canonical());
    let from_proxy = peer.is_some_and(|p| trusted(p, proxies));
    let mut ip = peer;
    let mut https = false;
    if from_proxy {
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse::<IpAddr>().ok())
            .map(|a| a.to_canonical())
            .collect();
        if let Some(client) = forwarded.iter().rev().find(|a| !trusted(**a, proxies)) {
            ip = Some(*client);
        } else if let Some(first) = forwarded.first() {
            ip = Some(*first);
        }
        https = headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
    }
    ClientInfo {
        ip,
        user_agent,
        https,
    }
}

/// Middleware: resolves the client once per request and stores it in the
/// request's extensions for the extractor, the rate limiter and the logs.
pub async fn middleware(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let info = resolve(peer, req.headers(), &state.config.trusted_proxies);
    req.extensions_mut().insert(info);
    next.run(req).await
}

impl<S: Send + Sync> FromRequestParts<S> for ClientInfo {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<ClientInfo>()
            .cloned()
            .unwrap_or(ClientInfo {
                ip: None,
                user_agent: None,
                https: false,
            }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn untrusted_peer_cannot_spoof() {
        let h = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-proto", "https"),
        ]);
        let c = resolve(Some("9.9.9.9".parse().unwrap()), &h, &nets(&["10.0.0.0/8"]));
        assert_eq!(c.ip, Some("9.9.9.9".parse().unwrap()));
        assert!(!c.https);
    }

    #[test]
    fn trusted_proxy_is_believed() {
        let h = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-proto", "https"),
        ]);
        let c = resolve(
            Some("10.0.0.5".parse().unwrap()),
            &h,
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(c.ip, Some("1.2.3.4".parse().unwrap()));
        assert!(c.https);
    }

    #[test]
    fn client_written_entries_are_ignored() {
        // The client sent "X-Forwarded-For: 6.6.6.6"; nginx appended the
        // real address.
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 1.2.3.4")]);
        let c = resolve(
            Some("10.0.0.5".parse().unwrap()),
            &h,
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(c.ip, Some("1.2.3.4".parse().unwrap()));
    }

    #[test]
    fn chains_of_trusted_proxies_are_skipped() {
        let h = headers(&[
            ("x-forwarded-for", "1.2.3.4, 10.0.0.7"),
            ("x-forwarded-for", "10.0.0.8"),
        ]);
        let c = resolve(
            Some("10.0.0.5".parse().unwrap()),
            &h,
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(c.ip, Some("1.2.3.4".parse().unwrap()));
    }

    #[test]
    fn garbage_header_falls_back_to_peer() {
        let h = headers(&[("x-forwarded-for", "not an ip")]);
        let c = resolve(
            Some("10.0.0.5".parse().unwrap()),
            &h,
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(c.ip, Some("10.0.0.5".parse().unwrap()));
    }

    #[test]
    fn mapped_ipv4_peers_match_ipv4_proxies() {
        let h = headers(&[("x-forwarded-for", "1.2.3.4")]);
        let c = resolve(
            Some("::ffff:10.0.0.5".parse().unwrap()),
            &h,
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(c.ip, Some("1.2.3.4".parse().unwrap()));
        let c = resolve(
            Some("::ffff:9.9.9.9".parse().unwrap()),
            &HeaderMap::new(),
            &[],
        );
        assert_eq!(c.ip_key(), "9.9.9.9");
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let a = resolve(
            Some("2001:db8:1:2::1".parse().unwrap()),
            &HeaderMap::new(),
            &[],
        );
        let b = resolve(
            Some("2001:db8:1:2:ffff::9".parse().unwrap()),
            &HeaderMap::new(),
            &[],
        );
        let c = resolve(
            Some("2001:db8:1:3::1".parse().unwrap()),
            &HeaderMap::new(),
            &[],
        );
        assert_eq!(a.ip_key(), "2001:db8:1:2::/64");
        assert_eq!(a.ip_key(), b.ip_key());
        assert_ne!(a.ip_key(), c.ip_key());
        // The audit log still records the full address.
        assert_eq!(a.ip_string().unwrap(), "2001:db8:1:2::1");
    }

    #[test]
    fn user_agent_is_truncated() {
        let long = "x".repeat(1000);
        let h = headers(&[("user-agent", &long)]);
        let c = resolve(None, &h, &[]);
        assert_eq!(c.user_agent.unwrap().len(), 256);
    }
}
