//! Where event handlers may point (docs/security.md). With
//! `--refuse-private-handlers` (off by default; recommended on a server
//! whose users are not all trusted), a handler a non-administrator registers
//! may not point at this machine or a private network, so no user makes the
//! server send requests there on their behalf. It is checked when the
//! handler is registered (its host as given, and every address its name
//! resolves to) and again at each delivery (the name is resolved anew, and
//! only public addresses are connected to), so a name that later resolves
//! elsewhere (DNS rebinding) reaches nothing private either.

use std::net::{IpAddr, SocketAddr};

/// Whether `ip` is this machine, a private or shared network, a link, or
/// no address at all: what a non-administrator's handler may not reach.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || a == 0
                // 100.64.0.0/10, shared address space (carrier NAT)
                || (a == 100 && (64..128).contains(&b))
                // 192.0.0.0/24, protocol assignments
                || (a == 192 && b == 0 && c == 0)
                // 198.18.0.0/15, benchmarking networks
                || (a == 198 && (b == 18 || b == 19))
                // 240.0.0.0/4, reserved
                || a >= 240
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            // An IPv4 address inside: mapped (::ffff:0:0/96), compatible
            // (::/96), NAT64 (64:ff9b::/96) or 6to4 (2002::/16).
            let low32 = || std::net::Ipv4Addr::from((u32::from(s[6]) << 16) | u32::from(s[7]));
            let compatible = s[..6] == [0; 6] && !v6.is_loopback() && !v6.is_unspecified();
            let nat64 = s[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
            let embedded = if let Some(v4) = v6.to_ipv4_mapped() {
                Some(v4)
            } else if compatible || nat64 {
                Some(low32())
            } else if s[0] == 0x2002 {
                Some(std::net::Ipv4Addr::from(
                    (u32::from(s[1]) << 16) | u32::from(s[2]),
                ))
            } else {
                None
            };
            if let Some(v4) = embedded {
                return is_private(IpAddr::V4(v4));
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // fc00::/7 unique local, fe80::/10 link local
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
        }
    }
}

/// The host of an `http(s)://` URL as the HTTP client will read it (the
/// WHATWG URL rules reqwest follows: `\\` is `/`, percent-escapes and wide
/// digits of an address are decoded), brackets of an IPv6 address removed.
/// Reading it any other way would let a URL name one host here and reach
/// another.
fn host_of(url: &str) -> Option<String> {
    let url = reqwest::Url::parse(url.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    (!host.is_empty()).then(|| host.to_owned())
}

/// Whether `url` points at a private address: its host is one, is a
/// `localhost` name, or resolves (now) to one. A name that does not
/// resolve points nowhere, private or not.
pub async fn points_private(url: &str) -> bool {
    let Some(host) = host_of(url) else {
        // Not a URL the client would send to: nothing to reach.
        return false;
    };
    if let Ok(ip) = host.parse::<IpAddr>() {
        return is_private(ip);
    }
    if crate::config::is_loopback_name(&host) {
        return true;
    }
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    let lookup = tokio::net::lookup_host(format!("{name}:80"));
    let found = tokio::time::timeout(std::time::Duration::from_secs(5), lookup).await;
    match found {
        Ok(Ok(addrs)) => addrs.into_iter().any(|a| is_private(a.ip())),
        _ => false,
    }
}

/// Whether `url`'s host is itself a private address (no name to resolve):
/// what a delivery checks before connecting, as names go through
/// [`PublicOnly`].
pub fn literal_private(url: &str) -> bool {
    host_of(url)
        .and_then(|h| h.parse::<IpAddr>().ok())
        .is_some_and(is_private)
}

/// A resolver that gives only public addresses: the deliveries to handlers
/// of non-administrators connect through it.
pub struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let name = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = if crate::config::is_loopback_name(&name) {
                Vec::new()
            } else {
                tokio::net::lookup_host((name.as_str(), 0))
                    .await?
                    .filter(|a| !is_private(a.ip()))
                    .collect()
            };
            if found.is_empty() {
                return Err(format!(
                    "{name} resolves to no public address (private handlers are refused)"
                )
                .into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_told_apart() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "2002:7f00:1::",
            "192.0.0.8",
            "240.0.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "100.128.0.1"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn hosts_are_read_as_the_client_reads_them() {
        let host = |u: &str| host_of(u);
        assert_eq!(
            host("http://127.0.0.1:9000/bot").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(host("https://[::1]:8443/x").as_deref(), Some("::1"));
        assert_eq!(host("http://user@10.0.0.1/x").as_deref(), Some("10.0.0.1"));
        assert_eq!(
            host("https://bots.example/h?x=1").as_deref(),
            Some("bots.example")
        );
        assert_eq!(host("ftp://x"), None);
        // What a hand-written reading gets wrong.
        assert_eq!(
            host("http://127.0.0.1\\@bots.example/").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(host("http://127.0.0.%31/").as_deref(), Some("127.0.0.1"));
        assert_eq!(
            host("http://\u{ff11}\u{ff12}\u{ff17}.0.0.1/").as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(host("http://2130706433/").as_deref(), Some("127.0.0.1"));
        assert!(literal_private("http://192.168.0.5/bot"));
        assert!(literal_private("http://127.0.0.1\\@bots.example/"));
        assert!(!literal_private("http://bots.example/bot"));
    }
}
