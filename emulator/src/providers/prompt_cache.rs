//! The emulator's prompt cache: which prompt prefixes a cache point has already written, so a
//! repeated prefix is read. Invariant: deterministic for a given sequence of requests to one
//! emulator: the first request with a given prefix (per model) writes it, every later one reads
//! it; the cache never forgets on its own except when it is full ([`MAX_CACHED_PREFIXES`]), when
//! it starts empty again. Unlike Bedrock there is no minimum prefix length and no expiry.
//!
//! A family describes its prompt in cache order (tools, system, messages) to a [`PrefixHasher`],
//! marking each cache point; [`PromptCache::settle`] then finds the longest marked prefix already
//! cached (read) and writes the rest up to the last cache point.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use sha2::{Digest, Sha256};

/// Most prefixes kept before the cache starts over, so a client cannot grow it without bound.
pub(crate) const MAX_CACHED_PREFIXES: usize = 10_000;

/// The end of one cache point's prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CachePoint {
    digest: [u8; 32],
    /// Input tokens from the start of the prompt to this cache point.
    tokens: u32,
}

/// Walks a prompt in cache order, hashing what it has seen and noting each cache point.
#[derive(Debug, Clone)]
pub(crate) struct PrefixHasher {
    hasher: Sha256,
    tokens: u32,
    points: Vec<CachePoint>,
}

impl PrefixHasher {
    /// A walk over a prompt for `model` (caches are per model).
    pub fn new(model: &str) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(model.as_bytes());
        Self {
            hasher,
            tokens: 0,
            points: Vec::new(),
        }
    }

    /// Adds one part of the prompt (its canonical text) and its token count.
    pub fn add(&mut self, part: &str, tokens: u32) {
        self.hasher
            .update(u64::try_from(part.len()).unwrap_or(u64::MAX).to_be_bytes());
        self.hasher.update(part.as_bytes());
        self.tokens = self.tokens.saturating_add(tokens);
    }

    /// Marks a cache point after everything added so far.
    pub fn mark(&mut self) {
        self.points.push(CachePoint {
            digest: self.hasher.clone().finalize().into(),
            tokens: self.tokens,
        });
    }

    /// Every input token added.
    pub fn total_tokens(&self) -> u32 {
        self.tokens
    }

    /// The cache points marked, in order.
    pub fn into_points(self) -> Vec<CachePoint> {
        self.points
    }
}

/// Input tokens one request read from and wrote to the cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct CacheUsage {
    /// Tokens of the longest cached prefix.
    pub read: u32,
    /// Tokens from there to the last cache point, cached by this request.
    pub write: u32,
}

impl CacheUsage {
    /// Tokens neither read nor written: `total` minus both.
    pub fn uncached(&self, total: u32) -> u32 {
        total.saturating_sub(self.read).saturating_sub(self.write)
    }
}

/// The prefixes cached so far by one emulator.
#[derive(Debug, Default)]
pub(crate) struct PromptCache {
    prefixes: Mutex<HashSet<[u8; 32]>>,
}

impl PromptCache {
    /// What a request with these cache points reads and writes, recording its prefixes as
    /// cached; `None` when it has no cache point.
    pub fn settle(&self, points: &[CachePoint]) -> Option<CacheUsage> {
        let last = points.last()?;
        let mut prefixes = self.prefixes.lock().unwrap_or_else(PoisonError::into_inner);
        let read = points
            .iter()
            .filter(|point| prefixes.contains(&point.digest))
            .map(|point| point.tokens)
            .max()
            .unwrap_or(0);
        if prefixes.len().saturating_add(points.len()) > MAX_CACHED_PREFIXES {
            prefixes.clear();
        }
        prefixes.extend(points.iter().map(|point| point.digest));
        Some(CacheUsage {
            read,
            write: last.tokens.saturating_sub(read),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(model: &str, parts: &[(&str, u32, bool)]) -> Vec<CachePoint> {
        let mut hasher = PrefixHasher::new(model);
        for (text, tokens, mark) in parts {
            hasher.add(text, *tokens);
            if *mark {
                hasher.mark();
            }
        }
        hasher.into_points()
    }

    #[test]
    fn the_first_request_writes_and_a_repeat_reads() {
        let cache = PromptCache::default();
        let request = points("m", &[("system", 10, true), ("question", 3, false)]);
        assert_eq!(
            cache.settle(&request),
            Some(CacheUsage { read: 0, write: 10 })
        );
        assert_eq!(
            cache.settle(&request),
            Some(CacheUsage { read: 10, write: 0 })
        );
        assert_eq!(cache.settle(&points("m", &[("system", 10, false)])), None);
    }

    #[test]
    fn a_longer_prefix_reads_the_cached_part_and_writes_the_rest() {
        let cache = PromptCache::default();
        cache.settle(&points("m", &[("system", 10, true)]));
        let longer = points("m", &[("system", 10, true), ("history", 5, true)]);
        assert_eq!(
            cache.settle(&longer),
            Some(CacheUsage { read: 10, write: 5 })
        );
        let other_model = points("n", &[("system", 10, true)]);
        assert_eq!(
            cache.settle(&other_model),
            Some(CacheUsage { read: 0, write: 10 })
        );
        assert_eq!(CacheUsage { read: 10, write: 5 }.uncached(20), 5);
    }
}
