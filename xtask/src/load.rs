//! An open-loop load generator for `make bench-ingest`: leads at a fixed rate, whatever the
//! collector's answers take, with each latency counted from the moment its request was
//! due — so a stall shows in the figures for every request it delayed, not only the one
//! it held up (wrk, which sends the next request when the last answer arrives, would
//! leave those out: "coordinated omission"). Standard library only: one thread and one
//! keep-alive HTTP/1.1 connection per lane.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

/// What a paced run came to.
pub struct Paced {
    /// Leads answered 201 per second of the run.
    pub achieved: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    /// Answers other than 201, and requests that got no answer.
    pub errors: usize,
    pub sent: usize,
}

/// Sends `rate` leads a second for `seconds` to `POST {addr}/api/v1/leads` over `lanes`
/// connections; `body(n)` makes the n-th lead.
pub fn paced(
    addr: &str,
    rate: u32,
    seconds: u32,
    lanes: u32,
    body: fn(u64) -> String,
) -> Result<Paced, String> {
    let start = Instant::now() + Duration::from_millis(200);
    let total = u64::from(rate) * u64::from(seconds);
    let handles: Vec<_> = (0..lanes)
        .map(|lane| {
            let addr = addr.to_owned();
            thread::spawn(move || lane_run(&addr, start, rate, total, lanes, lane, body))
        })
        .collect();
    let mut latencies = Vec::with_capacity(total as usize);
    let mut errors = 0;
    for handle in handles {
        let (mut lane_latencies, lane_errors) = handle
            .join()
            .map_err(|_| "a load lane panicked".to_owned())??;
        latencies.append(&mut lane_latencies);
        errors += lane_errors;
    }
    let elapsed = start.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Ok(Paced {
        achieved: (latencies.len() - errors) as f64 / elapsed,
        p50: at(0.50),
        p99: at(0.99),
        max: latencies.last().copied().unwrap_or_default(),
        errors,
        sent: latencies.len(),
    })
}

/// One lane: requests `lane`, `lane + lanes`, … of the schedule, each at its due time (or
/// at once when late). Returns every latency (due → answered) and the error count.
fn lane_run(
    addr: &str,
    start: Instant,
    rate: u32,
    total: u64,
    lanes: u32,
    lane: u32,
    body: fn(u64) -> String,
) -> Result<(Vec<Duration>, usize), String> {
    let connect = || -> Result<(TcpStream, BufReader<TcpStream>), String> {
        let stream =
            TcpStream::connect(addr).map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        let _ = stream.set_nodelay(true);
        let reader = BufReader::new(stream.try_clone().map_err(|e| e.to_string())?);
        Ok((stream, reader))
    };
    let (mut stream, mut reader) = connect()?;
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut n = u64::from(lane);
    while n < total {
        let due = start + Duration::from_secs_f64(n as f64 / f64::from(rate));
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            thread::sleep(wait);
        }
        let lead = body(n);
        let request = format!(
            "POST /api/v1/leads HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{lead}",
            lead.len()
        );
        let status = stream
            .write_all(request.as_bytes())
            .map_err(|e| e.to_string())
            .and_then(|()| read_response(&mut reader));
        latencies.push(due.elapsed());
        match status {
            Ok(201) => {}
            Ok(_) => errors += 1,
            Err(_) => {
                errors += 1;
                (stream, reader) = connect()?;
            }
        }
        n += u64::from(lanes);
    }
    Ok((latencies, errors))
}

/// Reads one HTTP/1.1 response with a `Content-Length` body; returns its status.
fn read_response(reader: &mut BufReader<TcpStream>) -> Result<u16, String> {
    let mut line = String::new();
    reader.read_line(&mut line).map_err(|e| e.to_string())?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an HTTP status line: {line:?}"))?;
    let mut length = 0;
    loop {
        line.clear();
        reader.read_line(&mut line).map_err(|e| e.to_string())?;
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
    reader.read_exact(&mut body).map_err(|e| e.to_string())?;
    Ok(status)
}
