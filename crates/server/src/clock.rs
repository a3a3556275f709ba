//! The collector's clock: the system's, moved on by an offset that only a collector started
//! with `--test-clock` lets anyone change (`POST /api/v1/test/clock`, admin token), so an
//! end-to-end test can let days pass for the collector as it does for the browser. What
//! dates or decays reads it: leads' and events' arrival, scores and their decay, the MQL
//! moment's SLA clock and its reminder. Inbox sessions keep the system's time (a test that
//! moves the clock on stays logged in).

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

static OFFSET_MS: AtomicI64 = AtomicI64::new(0);
static MOVABLE: AtomicBool = AtomicBool::new(false);

/// Milliseconds since the Unix epoch, as the collector counts them.
pub fn now_ms() -> i64 {
    let system = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    system.saturating_add(OFFSET_MS.load(Ordering::Relaxed))
}

/// `serve --test-clock`: from now on the clock may be moved on.
pub fn make_movable() {
    MOVABLE.store(true, Ordering::Relaxed);
}

/// Moves the clock on by `ms` (never back: what was stored stays in the past). Returns the
/// new time, or `None` when this collector was not started with `--test-clock`.
pub fn advance(ms: i64) -> Option<i64> {
    if !MOVABLE.load(Ordering::Relaxed) {
        return None;
    }
    OFFSET_MS.fetch_add(ms.max(0), Ordering::Relaxed);
    Some(now_ms())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_movable_clock_moves_and_only_forward() {
        let before = now_ms();
        assert_eq!(advance(86_400_000), None, "not movable by default");
        assert!(now_ms() - before < 60_000);
        make_movable();
        let moved = advance(86_400_000).expect("movable");
        assert!(moved - before >= 86_400_000);
        let again = advance(-5 * 86_400_000).expect("movable");
        assert!(again >= moved, "never back");
        OFFSET_MS.store(0, Ordering::Relaxed);
        MOVABLE.store(false, Ordering::Relaxed);
    }
}
