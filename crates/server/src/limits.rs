//! Who may send how much: the per-client rate limit on lead submissions, the client's
//! address behind trusted proxies, and the leads being stored right now (a second request
//! with the same `lead_id` meanwhile is answered 409).

use axum::http::HeaderMap;
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A token bucket per client address: `per_minute` submissions, refilled evenly, with a
/// burst of the same size. 0 turns the limit off.
pub struct RateLimit {
    per_minute: u32,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

/// Buckets kept before full ones (clients that went quiet) are dropped.
const MAX_TRACKED_CLIENTS: usize = 10_000;

impl RateLimit {
    pub fn new(per_minute: u32) -> RateLimit {
        RateLimit {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one submission from `client`'s bucket at `now`, or says how many whole
    /// seconds until the next one is allowed.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let mut buckets = match self.buckets.lock() {
            Ok(b) => b,
            Err(poisoned) => poisoned.into_inner(),
        };
        if buckets.len() >= MAX_TRACKED_CLIENTS {
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * per_second < capacity
            });
        }
        let (tokens, at) = buckets.entry(client).or_insert((capacity, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * per_second).min(capacity);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / per_second).ceil().max(1.0) as u64)
        }
    }
}

/// Failed logins and failed API tokens per client address: after `max` failures, the
/// client is refused (429 with `Retry-After`) until `window` has passed since its first
/// failure, whatever it sends, so a token cannot be guessed at network speed. Per process:
/// behind a load balancer each instance counts on its own, which multiplies the budget by
/// the number of instances and no more.
pub struct Throttle {
    max: u32,
    window: Duration,
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl Throttle {
    pub fn new(max: u32, window: Duration) -> Throttle {
        Throttle {
            max,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds until `client` may try again, when it has used up its failures.
    pub fn blocked(&self, client: IpAddr, now: Instant) -> Option<u64> {
        let failures = match self.failures.lock() {
            Ok(f) => f,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (count, since) = failures.get(&client)?;
        let ends = *since + self.window;
        (*count >= self.max && ends > now)
            .then(|| ends.duration_since(now).as_secs_f64().ceil().max(1.0) as u64)
    }

    /// Counts a failure of `client`.
    pub fn failed(&self, client: IpAddr, now: Instant) {
        let mut failures = match self.failures.lock() {
            Ok(f) => f,
            Err(poisoned) => poisoned.into_inner(),
        };
        if failures.len() >= MAX_TRACKED_CLIENTS {
            let window = self.window;
            failures.retain(|_, (_, since)| *since + window > now);
        }
        let entry = failures.entry(client).or_insert((0, now));
        if entry.1 + self.window <= now {
            *entry = (0, now);
        }
        entry.0 += 1;
    }
}

/// The client's address: the peer's, or — when the peer is a trusted proxy — the last
/// address in `X-Forwarded-For` that is not one (a client can put anything before it, so
/// nothing further left is believed). Without trusted proxies the header is ignored.
pub fn client_ip(
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?.ip();
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|a| !trusted.contains(a))
            .unwrap_or(peer),
    )
}

/// The `lead_id`s whose request is being handled now.
#[derive(Default)]
pub struct InFlight(Mutex<HashSet<String>>);

/// Holds a `lead_id` in [`InFlight`] until dropped.
pub struct InFlightGuard(Arc<InFlight>, String);

impl InFlight {
    /// Marks `lead_id` as in progress, or `None` when it already is.
    pub fn enter(this: &Arc<InFlight>, lead_id: &str) -> Option<InFlightGuard> {
        let mut set = match this.0.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        set.insert(lead_id.to_owned())
            .then(|| InFlightGuard(this.clone(), lead_id.to_owned()))
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        let mut set = match self.0 .0.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        set.remove(&self.1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_block_a_client_for_the_rest_of_the_window() {
        let throttle = Throttle::new(3, Duration::from_secs(60));
        let (a, b): (IpAddr, IpAddr) = ([10, 0, 0, 1].into(), [10, 0, 0, 2].into());
        let t0 = Instant::now();
        for i in 0..3 {
            assert_eq!(throttle.blocked(a, t0), None, "after {i} failures");
            throttle.failed(a, t0 + Duration::from_secs(i));
        }
        assert_eq!(throttle.blocked(a, t0 + Duration::from_secs(10)), Some(50));
        assert_eq!(throttle.blocked(b, t0), None, "per client");
        assert_eq!(throttle.blocked(a, t0 + Duration::from_secs(60)), None);
        throttle.failed(a, t0 + Duration::from_secs(61));
        assert_eq!(
            throttle.blocked(a, t0 + Duration::from_secs(62)),
            None,
            "a new window"
        );
    }
    use std::time::Duration;

    #[test]
    fn a_bucket_refills_evenly_and_says_when() {
        let limit = RateLimit::new(60);
        let ip: IpAddr = "203.0.113.7".parse().expect("ip");
        let other: IpAddr = "203.0.113.8".parse().expect("ip");
        let t0 = Instant::now();
        for _ in 0..60 {
            assert_eq!(limit.check(ip, t0), Ok(()));
        }
        assert_eq!(limit.check(ip, t0), Err(1), "one per second comes back");
        assert_eq!(limit.check(other, t0), Ok(()), "buckets are per client");
        assert_eq!(limit.check(ip, t0 + Duration::from_millis(1500)), Ok(()));
        assert_eq!(limit.check(ip, t0 + Duration::from_millis(1500)), Err(1));
        assert_eq!(RateLimit::new(0).check(ip, t0), Ok(()), "0 turns it off");
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "1.1.1.1, 198.51.100.9, 10.0.0.2".parse().expect("header"),
        );
        let peer: SocketAddr = "10.0.0.1:5000".parse().expect("addr");
        let proxy: IpAddr = "10.0.0.1".parse().expect("ip");
        let inner: IpAddr = "10.0.0.2".parse().expect("ip");
        assert_eq!(
            client_ip(Some(peer), &headers, &[]),
            Some(proxy),
            "no trusted proxy: the header is ignored"
        );
        assert_eq!(
            client_ip(Some(peer), &headers, &[proxy, inner]),
            "198.51.100.9".parse().ok(),
            "the last address that is not a proxy; the spoofable 1.1.1.1 is not believed"
        );
        let direct: SocketAddr = "198.51.100.20:4000".parse().expect("addr");
        assert_eq!(
            client_ip(Some(direct), &headers, &[proxy]),
            "198.51.100.20".parse().ok(),
            "a client that is not the proxy cannot claim another address"
        );
    }

    #[test]
    fn in_flight_ids_are_held_until_the_guard_goes() {
        let in_flight = Arc::new(InFlight::default());
        let guard = InFlight::enter(&in_flight, "a").expect("first");
        assert!(InFlight::enter(&in_flight, "a").is_none());
        assert!(InFlight::enter(&in_flight, "b").is_some());
        drop(guard);
        assert!(InFlight::enter(&in_flight, "a").is_some());
    }
}
