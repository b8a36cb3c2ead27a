//! Keeping deliveries off the instance's own network: a tenant who registers
//! `http://169.254.169.254/` or a name that resolves to `10.0.0.5` must not make Roster call
//! it. Names are checked after resolution (a resolver that drops such addresses), so a DNS
//! answer cannot slip past a check made on the name; literal IPs never reach a resolver and
//! are checked directly.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why a delivery's destination was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "refused to deliver to {host}: it is (or resolves only to) a loopback, private, link-local \
     or otherwise internal address; set ROSTER_WEBHOOK_ALLOW_PRIVATE=true to allow it"
)]
pub struct Refused {
    host: String,
}

/// Whether an address is one deliveries may not go to.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal_v4(v4);
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // fc00::/7 unique local, fe80::/10 link-local, fec0::/10 old site-local.
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first & 0xffc0) == 0xfec0
                // 64:ff9b::/96 reaches IPv4 through NAT64: judge the IPv4 address.
                || (v6.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0] && is_internal_v4(embedded_v4(v6)))
                // ::a.b.c.d, the deprecated IPv4-compatible form, which some stacks still route.
                || (v6.segments()[..6] == [0, 0, 0, 0, 0, 0] && is_internal_v4(embedded_v4(v6)))
                // 2002::/16, 6to4: the IPv4 address is in the second and third segments.
                || (first == 0x2002 && is_internal_v4(six_to_four_v4(v6)))
                // 100::/64 discard-only, 2001:db8::/32 documentation: never a receiver.
                || v6.segments()[..4] == [0x100, 0, 0, 0]
                || (first == 0x2001 && v6.segments()[1] == 0xdb8)
        }
    }
}

fn embedded_v4(v6: Ipv6Addr) -> Ipv4Addr {
    let octets = v6.octets();
    Ipv4Addr::new(octets[12], octets[13], octets[14], octets[15])
}

fn six_to_four_v4(v6: Ipv6Addr) -> Ipv4Addr {
    let octets = v6.octets();
    Ipv4Addr::new(octets[2], octets[3], octets[4], octets[5])
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        // 100.64.0.0/10, carrier-grade NAT, often the provider's internal network.
        || (a == 100 && (64..128).contains(&b))
        // 192.0.0.0/24 protocol assignments, 198.18.0.0/15 benchmarking, 240.0.0.0/4 reserved.
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240
}

/// Refuses a URL whose host is a literal internal IP address (names are left to
/// [`PublicResolver`]).
pub fn check_literal_host(url: &url::Url) -> Result<(), Refused> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        _ => return Ok(()),
    };
    if is_internal(ip) {
        Err(Refused {
            host: ip.to_string(),
        })
    } else {
        Ok(())
    }
}

/// The system resolver, minus every internal address; a name with nothing else left fails.
#[derive(Debug, Clone, Copy)]
pub struct PublicResolver;

impl Resolve for PublicResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let resolved = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let public: Vec<SocketAddr> = resolved.filter(|addr| !is_internal(addr.ip())).collect();
            if public.is_empty() {
                return Err(Box::new(Refused { host }) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn internal(text: &str) -> bool {
        is_internal(text.parse().unwrap())
    }

    #[test]
    fn internal_ranges_are_refused_and_public_ones_allowed() {
        for address in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "::127.0.0.1",
            "::10.0.0.1",
            "2002:7f00:1::1",
            "2002:a9fe:a9fe::1",
            "fe80::1%1",
            "100::1",
            "2001:db8::1",
            "ff02::1",
            "169.254.0.1",
            "192.0.0.8",
            "198.18.0.1",
            "255.255.255.255",
        ] {
            assert!(
                internal(address.split('%').next().unwrap()),
                "{address} is internal"
            );
        }
        for address in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "::ffff:8.8.8.8",
        ] {
            assert!(!internal(address), "{address} is public");
        }
    }

    #[test]
    fn literal_hosts_are_checked_without_resolving() {
        let url = |text: &str| url::Url::parse(text).unwrap();
        assert!(check_literal_host(&url("http://127.0.0.1:8080/hook")).is_err());
        assert!(check_literal_host(&url("http://[::1]/hook")).is_err());
        // WHATWG host parsing turns every spelling of an IPv4 address into the address.
        for spelled in [
            "http://0x7f000001/",
            "http://2130706433/",
            "http://127.1/",
            "http://0177.0.0.1/",
            "http://[::ffff:7f00:1]/",
            "http://[::ffff:169.254.169.254]/",
        ] {
            assert!(check_literal_host(&url(spelled)).is_err(), "{spelled}");
        }
        assert!(check_literal_host(&url("https://8.8.8.8/hook")).is_ok());
        assert!(check_literal_host(&url("https://example.com/hook")).is_ok());
    }

    #[tokio::test]
    async fn names_resolving_to_loopback_are_refused() {
        let name: Name = "localhost".parse().unwrap();
        let error = match PublicResolver.resolve(name).await {
            Ok(_) => panic!("localhost resolved to a public address"),
            Err(error) => error.to_string(),
        };
        assert!(error.contains("ROSTER_WEBHOOK_ALLOW_PRIVATE"), "{error}");
    }
}
