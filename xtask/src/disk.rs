//! What the disk did during a benchmark run, so a slow tail can be told apart from a slow
//! disk: the bytes written to the machine's block devices, and a probe that times a 4 KiB
//! write + `fsync` every 10 ms beside the load (each of the collector's commits waits for
//! such a sync, so a stall the probe sees is one every commit saw too).

use std::fs::{self, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Bytes written so far to the block devices (`/proc/diskstats`, 512-byte sectors), without
/// loop, RAM and zram devices; `None` where there is no such file.
pub fn bytes_written() -> Option<u64> {
    let stats = fs::read_to_string("/proc/diskstats").ok()?;
    let disks: Vec<String> = fs::read_dir("/sys/block")
        .ok()?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| !["loop", "ram", "zram"].iter().any(|p| n.starts_with(p)))
        .collect();
    Some(
        stats
            .lines()
            .filter_map(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                let (name, sectors) = (cols.get(2)?, cols.get(9)?.parse::<u64>().ok()?);
                disks.iter().any(|d| d == name).then_some(sectors * 512)
            })
            .sum(),
    )
}

/// The fsync probe, running until [`Probe::stop`].
pub struct Probe {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Vec<Duration>>,
}

/// The probe's syncs: their p99 and the slowest.
pub struct Syncs {
    pub p99: Duration,
    pub max: Duration,
}

impl Probe {
    /// Starts probing with a file in `dir` (on the disk the database is on).
    pub fn start(dir: &Path) -> Probe {
        let stop = Arc::new(AtomicBool::new(false));
        let path = dir.join("fsync-probe");
        let thread = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut syncs = Vec::new();
                let Ok(file) = OpenOptions::new()
                    .create(true)
                    .truncate(true)
                    .write(true)
                    .open(&path)
                else {
                    return syncs;
                };
                let block = [0x55u8; 4096];
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let began = Instant::now();
                    // 256 blocks in turn: a 1 MiB file, rewritten, like a WAL.
                    if file.write_at(&block, (n % 256) * 4096).is_err() || file.sync_data().is_err()
                    {
                        break;
                    }
                    syncs.push(began.elapsed());
                    n += 1;
                    std::thread::sleep(Duration::from_millis(10));
                }
                let _ = fs::remove_file(&path);
                syncs
            })
        };
        Probe { stop, thread }
    }

    pub fn stop(self) -> Syncs {
        self.stop.store(true, Ordering::Relaxed);
        let mut syncs = self.thread.join().unwrap_or_default();
        syncs.sort();
        Syncs {
            p99: crate::load::quantile(&syncs, 0.99),
            max: syncs.last().copied().unwrap_or_default(),
        }
    }
}
