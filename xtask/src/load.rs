//! The load generator of `make bench-ingest`, in two modes:
//! - **paced** (open loop): leads at a fixed rate, whatever the collector's answers take,
//!   with each latency counted from the moment its request was due — so a stall shows in
//!   the figures for every request it delayed, not only the one it held up (a closed loop,
//!   which sends the next request when the last answer arrives, leaves those out:
//!   "coordinated omission");
//! - **saturation** (closed loop): each connection sends its next lead when the last
//!   answer arrives, for the most leads/s the collector takes. (This replaced wrk, whose
//!   latency percentiles broke Little's law in runs with a stall: a mean latency three
//!   times what 32 connections at the measured rate allow.)
//!
//! One keep-alive HTTP/1.1 connection per lane, all lanes on one thread (tokio's
//! current-thread runtime), so the generator takes as little of the machine as it can: with a thread per lane the machine spent 45 % of its
//! time in the kernel during the paced SQLite run, with one thread 28 % (`vmstat`).

use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::TcpStream;
use tokio::time::Instant;

/// What a run came to.
pub struct Figures {
    /// Requests answered as taken (201 or 202) per second of the run.
    pub achieved: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    /// Other answers, and requests that got no answer.
    pub errors: usize,
    pub sent: usize,
}

/// Where a run sends and what counts as taken: `POST /api/v1/leads` answered 201, or
/// `POST /api/v1/events` answered 202.
#[derive(Clone, Copy)]
pub struct Endpoint {
    pub path: &'static str,
    pub ok: u16,
}

pub const LEADS: Endpoint = Endpoint {
    path: "/api/v1/leads",
    ok: 201,
};

/// Sends requests to `POST {addr}{endpoint.path}` over `lanes` connections for `seconds`;
/// `body(n)` makes the n-th body. With a `rate`, open loop: that many requests a second,
/// each latency from its request's due time. Without, closed loop (saturation): each lane
/// sends its next request when the last answer arrives, each latency from its sending.
pub fn drive(
    addr: &str,
    endpoint: Endpoint,
    rate: Option<u32>,
    seconds: u32,
    lanes: u32,
    body: fn(u64) -> String,
) -> Result<Figures, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let start = Instant::now() + Duration::from_millis(200);
        let end = start + Duration::from_secs(u64::from(seconds));
        let runs: Vec<_> = (0..lanes)
            .map(|lane| {
                let addr = addr.to_owned();
                let schedule = Schedule {
                    start,
                    end,
                    rate,
                    lanes,
                };
                tokio::spawn(async move { lane_run(&addr, endpoint, schedule, lane, body).await })
            })
            .collect();
        let mut latencies = Vec::new();
        let mut errors = 0;
        for run in runs {
            let (mut lane_latencies, lane_errors) = run
                .await
                .map_err(|e| format!("a load lane failed: {e}"))??;
            latencies.append(&mut lane_latencies);
            errors += lane_errors;
        }
        let elapsed = start.elapsed().as_secs_f64();
        latencies.sort_unstable();
        Ok(Figures {
            achieved: (latencies.len() - errors) as f64 / elapsed,
            p50: quantile(&latencies, 0.50),
            p99: quantile(&latencies, 0.99),
            max: latencies.last().copied().unwrap_or_default(),
            errors,
            sent: latencies.len(),
        })
    })
}

/// Sends every one of `bodies` to `POST {addr}{endpoint.path}` over `lanes` connections
/// (setting up a run, not measuring one); returns how many were not answered as taken.
pub fn send_all(
    addr: &str,
    endpoint: Endpoint,
    bodies: Vec<String>,
    lanes: usize,
) -> Result<usize, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let bodies = std::sync::Arc::new(bodies);
    runtime.block_on(async {
        let runs: Vec<_> = (0..lanes)
            .map(|lane| {
                let (addr, bodies) = (addr.to_owned(), bodies.clone());
                tokio::spawn(async move {
                    let stream = TcpStream::connect(&addr)
                        .await
                        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
                    let (reader, mut writer) = stream.into_split();
                    let mut reader = BufReader::new(reader);
                    let mut errors = 0;
                    for body in bodies.iter().skip(lane).step_by(lanes) {
                        let request = format!(
                            "POST {} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                            endpoint.path,
                            body.len()
                        );
                        writer
                            .write_all(request.as_bytes())
                            .await
                            .map_err(|e| e.to_string())?;
                        if read_response(&mut reader).await? != endpoint.ok {
                            errors += 1;
                        }
                    }
                    Ok::<usize, String>(errors)
                })
            })
            .collect();
        let mut errors = 0;
        for run in runs {
            errors += run.await.map_err(|e| format!("a setup lane failed: {e}"))??;
        }
        Ok(errors)
    })
}

/// The `q` quantile (0 to 1) of `sorted` durations; zero for none.
pub fn quantile(sorted: &[Duration], q: f64) -> Duration {
    let i = ((sorted.len() as f64 * q) as usize).min(sorted.len().saturating_sub(1));
    sorted.get(i).copied().unwrap_or_default()
}

/// When the lanes send.
#[derive(Clone, Copy)]
struct Schedule {
    start: Instant,
    end: Instant,
    /// Leads a second over all lanes; `None`: as fast as the answers come.
    rate: Option<u32>,
    lanes: u32,
}

/// One lane: requests `lane`, `lane + lanes`, … — paced, each at its due time (or at once
/// when late) until the last one due before the end; closed loop, one after the other
/// until the end. Returns every latency (due or sent → answered) and the error count.
async fn lane_run(
    addr: &str,
    endpoint: Endpoint,
    schedule: Schedule,
    lane: u32,
    body: fn(u64) -> String,
) -> Result<(Vec<Duration>, usize), String> {
    let connect = || async {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        let _ = stream.set_nodelay(true);
        let (reader, writer) = stream.into_split();
        Ok::<_, String>((BufReader::new(reader), writer))
    };
    let (mut reader, mut writer) = connect().await?;
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut n = u64::from(lane);
    loop {
        let due = match schedule.rate {
            Some(rate) => schedule.start + Duration::from_secs_f64(n as f64 / f64::from(rate)),
            None => Instant::now().max(schedule.start),
        };
        if due >= schedule.end {
            break;
        }
        tokio::time::sleep_until(due).await;
        let lead = body(n);
        let request = format!(
            "POST {} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{lead}",
            endpoint.path,
            lead.len()
        );
        let status = match writer.write_all(request.as_bytes()).await {
            Ok(()) => read_response(&mut reader).await,
            Err(e) => Err(e.to_string()),
        };
        latencies.push(due.elapsed());
        match status {
            Ok(status) if status == endpoint.ok => {}
            Ok(_) => errors += 1,
            Err(_) => {
                errors += 1;
                (reader, writer) = connect().await?;
            }
        }
        n += u64::from(schedule.lanes);
    }
    Ok((latencies, errors))
}

/// Reads one HTTP/1.1 response with a `Content-Length` body; returns its status.
async fn read_response(reader: &mut BufReader<OwnedReadHalf>) -> Result<u16, String> {
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .await
        .map_err(|e| e.to_string())?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an HTTP status line: {line:?}"))?;
    let mut length = 0;
    loop {
        line.clear();
        reader
            .read_line(&mut line)
            .await
            .map_err(|e| e.to_string())?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value
                    .trim()
                    .parse()
                    .map_err(|_| format!("bad {header:?}"))?;
            }
        }
    }
    let mut body = vec![0; length];
    reader
        .read_exact(&mut body)
        .await
        .map_err(|e| e.to_string())?;
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_sorted_durations() {
        let ms: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(quantile(&ms, 0.50), Duration::from_millis(51));
        assert_eq!(quantile(&ms, 0.99), Duration::from_millis(100));
        assert_eq!(quantile(&ms, 1.0), Duration::from_millis(100));
        assert_eq!(quantile(&[], 0.99), Duration::ZERO);
    }
}
