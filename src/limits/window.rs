//! One sliding window: accepted hits in 100 ms buckets, oldest first.

use super::{RateStatus, WINDOW_MS};
use std::collections::VecDeque;

/// Bucket width. Hits are stamped with their bucket's end, so the window
/// over-counts by at most this much and never under-counts.
pub const BUCKET_MS: u64 = 100;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Window {
    /// (bucket end in Unix ms, hits), ends strictly increasing.
    buckets: VecDeque<(u64, u32)>,
    total: u64,
}

impl Window {
    pub fn from_buckets(mut buckets: Vec<(u64, u32)>) -> Window {
        buckets.sort_by_key(|(end, _)| *end);
        buckets.retain(|(_, n)| *n > 0);
        let total = buckets.iter().map(|(_, n)| u64::from(*n)).sum();
        Window { buckets: buckets.into(), total }
    }

    pub fn buckets(&self) -> Vec<(u64, u32)> {
        self.buckets.iter().copied().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// Hits still counted at `now`.
    pub fn count(&self, now: u64) -> u64 {
        self.buckets.iter().filter(|(end, _)| end + WINDOW_MS > now).map(|(_, n)| u64::from(*n)).sum()
    }

    /// Forgets buckets that left the window.
    pub fn expire(&mut self, now: u64) {
        while let Some(&(end, n)) = self.buckets.front() {
            if end + WINDOW_MS > now {
                break;
            }
            self.buckets.pop_front();
            self.total -= u64::from(n);
        }
    }

    /// Counts one hit if fewer than `limit` are in the window: Ok(the bucket
    /// it went into), else Err(milliseconds until one fits).
    pub fn try_hit(&mut self, limit: u32, now: u64) -> Result<u64, u64> {
        self.expire(now);
        if self.total >= u64::from(limit) {
            return Err(self.room_after(limit, now));
        }
        let mut end = (now / BUCKET_MS + 1) * BUCKET_MS;
        match self.buckets.back_mut() {
            Some((last, n)) if *last >= end => {
                // Same bucket, or the clock stepped back: stamp no earlier
                // than the newest hit so the order (and the count) holds.
                end = *last;
                *n += 1;
            }
            _ => self.buckets.push_back((end, 1)),
        }
        self.total += 1;
        Ok(end)
    }

    /// Takes back one hit from the bucket ending at `end`.
    pub fn unhit(&mut self, end: u64) {
        if let Some(pos) = self.buckets.iter().position(|(e, _)| *e == end) {
            let n = &mut self.buckets[pos].1;
            *n -= 1;
            self.total -= 1;
            if *n == 0 {
                self.buckets.remove(pos);
            }
        }
    }

    /// Milliseconds until fewer than `limit` hits remain in the window.
    fn room_after(&self, limit: u32, now: u64) -> u64 {
        let live: Vec<(u64, u32)> = self.buckets.iter().copied().filter(|(end, _)| end + WINDOW_MS > now).collect();
        let count: u64 = live.iter().map(|(_, n)| u64::from(*n)).sum();
        let excess = (count + 1).saturating_sub(u64::from(limit));
        let mut freed = 0;
        for (end, n) in live {
            freed += u64::from(n);
            if freed >= excess {
                return end + WINDOW_MS - now;
            }
        }
        0
    }

    pub fn status(&self, limit: u32, now: u64) -> RateStatus {
        let count = self.count(now);
        let remaining = u64::from(limit).saturating_sub(count) as u32;
        let reset_ms = if remaining == 0 {
            self.room_after(limit, now)
        } else {
            self.buckets
                .iter()
                .find(|(end, _)| end + WINDOW_MS > now)
                .map(|(end, _)| end + WINDOW_MS - now)
                .unwrap_or(0)
        };
        RateStatus { limit, remaining, reset_secs: reset_ms.div_ceil(1000) }
    }
}
