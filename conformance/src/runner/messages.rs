//! The messages of sections 12 and 13, made once and shared between cases.
//!
//! Every message the suite sends there is the next window of a data set, compressed
//! without context takeover (the suite's offer always carries
//! `client_no_context_takeover`), so the same (data set, window length, window bits)
//! gives the same compressed message in every case that uses it — 40 cases share
//! each 128 KiB window set of the JSON data. DESIGN.md "Where the time goes": this is
//! most of what the suite itself would spend on zlib. Entries are made on first use
//! and dropped when the last case that needs them has finished, so memory holds only
//! the sets of the cases running.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use wsspec_codec::deflate::{DeflateConfig, PerMessageDeflate};
use wsspec_codec::frame::Role;

use super::lock;
use crate::catalog::data::DataSet;

/// The zlib level of the suite's own messages: the peer's echo is what is checked, so
/// the fastest level does (wstest uses zlib's default, 6; the ratio in `trafficStats`
/// differs accordingly).
pub const SUITE_DEFLATE_LEVEL: u32 = 1;

/// Which messages: the data set, the window length (octets, or code points for text
/// sets) and the window bits the suite compresses with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageSetKey {
    /// The data set.
    pub data: DataSet,
    /// Window length.
    pub len: usize,
    /// The suite's (client's) LZ77 window bits.
    pub window_bits: u8,
}

/// One message: the plain payload (borrowed from the data set unless the window
/// wraps) and its compressed form.
#[derive(Debug)]
pub struct CachedMessage {
    /// What is sent, before compression, and what the echo must equal.
    pub plain: Cow<'static, [u8]>,
    /// The compressed payload (RFC 7692 §7.2.1, tail removed).
    pub compressed: Vec<u8>,
}

/// The messages of one key, made lazily one by one.
#[derive(Debug)]
pub struct MessageSet {
    key: MessageSetKey,
    messages: Vec<OnceLock<Arc<CachedMessage>>>,
    budget: Arc<AtomicUsize>,
    /// Compressors made for this set and free again. Every message is compressed
    /// without context takeover, so a compressor is reset after each one and can be
    /// reused; making one per message cost a zeroed 64 K-entry hash table each time.
    compressors: Mutex<Vec<PerMessageDeflate>>,
    /// How many messages were compressed (kept or not).
    compressions: AtomicUsize,
}

impl MessageSet {
    /// Message `k` (0-based), made on first use and kept while the cache's memory
    /// budget lasts (made afresh each time after that).
    ///
    /// Cases that share a set run side by side and ask for the same message at about
    /// the same time; while one makes it the others wait for it rather than compress
    /// it too (compressing it twice is what the cache is there to save).
    pub fn get(&self, k: usize) -> Arc<CachedMessage> {
        let cell = &self.messages[k];
        if let Some(message) = cell.get() {
            return Arc::clone(message);
        }
        let plain = self.key.data.window(self.key.len, k);
        // What it will hold at most: the copy of a wrapped window and the compressed
        // form, which static Huffman codes can make up to an eighth longer.
        let reserved = plain.len() / 8
            + 64
            + plain.len()
            + match &plain {
                Cow::Owned(plain) => plain.len(),
                Cow::Borrowed(_) => 0,
            };
        if !self.take_budget(reserved) {
            return Arc::new(self.compress(plain));
        }
        let mut made = None;
        let message = cell.get_or_init(|| {
            let message = Arc::new(self.compress(plain));
            made = Some(message.cost());
            message
        });
        match made {
            // Give back what the estimate had over.
            Some(cost) if cost <= reserved => self.give_budget(reserved - cost),
            Some(cost) => self.draw_budget(cost - reserved),
            // Another case made it first.
            None => self.give_budget(reserved),
        }
        Arc::clone(message)
    }

    fn compress(&self, plain: Cow<'static, [u8]>) -> CachedMessage {
        let reused = lock(&self.compressors).pop();
        let mut deflate = reused.unwrap_or_else(|| {
            let config = DeflateConfig {
                client_no_context_takeover: true,
                client_max_window_bits: self.key.window_bits,
                ..DeflateConfig::default()
            };
            PerMessageDeflate::new(Role::Client, config).with_level(SUITE_DEFLATE_LEVEL)
        });
        let mut compressed = Vec::new();
        deflate.compress(&plain, &mut compressed);
        lock(&self.compressors).push(deflate);
        self.compressions.fetch_add(1, Ordering::Relaxed);
        CachedMessage { plain, compressed }
    }

    fn take_budget(&self, bytes: usize) -> bool {
        self.budget
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(bytes)
            })
            .is_ok()
    }

    /// Takes `bytes` even past the budget (down to nothing): for an estimate that
    /// fell short, which the bound above is meant to rule out.
    fn draw_budget(&self, bytes: usize) {
        let _ = self
            .budget
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                Some(left.saturating_sub(bytes))
            });
    }

    fn give_budget(&self, bytes: usize) {
        self.budget.fetch_add(bytes, Ordering::Relaxed);
    }

    /// How many times a message of the set was compressed.
    pub fn compressions(&self) -> usize {
        self.compressions.load(Ordering::Relaxed)
    }

    /// Which messages these are.
    pub fn key(&self) -> MessageSetKey {
        self.key
    }

    /// How many messages the set has.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
}

impl Drop for MessageSet {
    fn drop(&mut self) {
        let held: usize = self
            .messages
            .iter()
            .filter_map(OnceLock::get)
            .map(|m| m.cost())
            .sum();
        self.budget.fetch_add(held, Ordering::Relaxed);
    }
}

impl CachedMessage {
    /// The memory the message holds beyond the data set.
    fn cost(&self) -> usize {
        self.compressed.len()
            + match &self.plain {
                Cow::Owned(plain) => plain.len(),
                Cow::Borrowed(_) => 0,
            }
    }
}

/// How much the cache may hold by default: enough for the largest set shared by
/// concurrent cases, small next to the 24 GiB of the CI machines.
pub const DEFAULT_BUDGET: usize = 512 << 20;

#[derive(Debug)]
struct Entry {
    set: Arc<MessageSet>,
    users: usize,
}

/// The shared message sets of one run.
#[derive(Debug)]
pub struct MessageCache {
    /// How many cases of the run will use each key (set before the run).
    expected_users: Mutex<HashMap<(DataSet, usize), usize>>,
    entries: Mutex<HashMap<MessageSetKey, Entry>>,
    /// Bytes the cache may still hold.
    budget: Arc<AtomicUsize>,
}

impl Default for MessageCache {
    fn default() -> Self {
        MessageCache::with_budget(DEFAULT_BUDGET)
    }
}

impl MessageCache {
    /// An empty cache with the default budget.
    pub fn new() -> MessageCache {
        MessageCache::default()
    }

    /// An empty cache that holds at most `bytes` of messages; past that, messages are
    /// made for each case that sends them.
    pub fn with_budget(bytes: usize) -> MessageCache {
        MessageCache {
            expected_users: Mutex::default(),
            entries: Mutex::default(),
            budget: Arc::new(AtomicUsize::new(bytes)),
        }
    }

    /// Announces that one more case of the run will send windows of `len` of `data`, so
    /// its set is kept until that case has finished.
    pub fn expect_user(&self, data: DataSet, len: usize) {
        *lock(&self.expected_users).entry((data, len)).or_default() += 1;
    }

    /// The set for `key` with `count` messages (made or shared).
    pub fn acquire(&self, key: MessageSetKey, count: usize) -> Arc<MessageSet> {
        let mut entries = lock(&self.entries);
        let entry = entries.entry(key).or_insert_with(|| Entry {
            set: Arc::new(MessageSet {
                key,
                messages: (0..count).map(|_| OnceLock::new()).collect(),
                budget: Arc::clone(&self.budget),
                compressors: Mutex::default(),
                compressions: AtomicUsize::new(0),
            }),
            users: 0,
        });
        entry.users += 1;
        Arc::clone(&entry.set)
    }

    /// A case that acquired `key` has finished with it; the set is dropped when no
    /// case of the run will need it any more.
    pub fn release(&self, key: MessageSetKey) {
        let remaining = {
            let mut expected = lock(&self.expected_users);
            let left = expected.entry((key.data, key.len)).or_default();
            *left = left.saturating_sub(1);
            *left
        };
        let mut entries = lock(&self.entries);
        if let Some(entry) = entries.get_mut(&key) {
            entry.users = entry.users.saturating_sub(1);
            if entry.users == 0 && remaining == 0 {
                entries.remove(&key);
            }
        }
    }

    /// How many sets are held (for tests).
    pub fn held(&self) -> usize {
        lock(&self.entries).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_compress_to_what_inflates_back() {
        let cache = MessageCache::new();
        let key = MessageSetKey {
            data: DataSet::Json,
            len: 1024,
            window_bits: 15,
        };
        cache.expect_user(key.data, key.len);
        let set = cache.acquire(key, 1000);
        let message = set.get(3);
        assert_eq!(message.plain, DataSet::Json.window(1024, 3));
        let mut inflater = PerMessageDeflate::new(
            Role::Server,
            DeflateConfig {
                client_no_context_takeover: true,
                ..DeflateConfig::default()
            },
        );
        let mut out = Vec::new();
        inflater
            .decompress(&message.compressed, &mut out, 1 << 20)
            .expect("valid deflate data");
        inflater
            .finish_message(&mut out, 1 << 20)
            .expect("valid tail");
        assert_eq!(out, *message.plain);
        assert!(message.compressed.len() < message.plain.len());
    }

    #[test]
    fn a_reused_compressor_makes_what_a_fresh_one_makes() {
        // Budget 0: nothing is kept, so every get compresses, on a reused compressor
        // from the second message on.
        let cache = MessageCache::with_budget(0);
        let key = MessageSetKey {
            data: DataSet::Novel,
            len: 8192,
            window_bits: 10,
        };
        let set = cache.acquire(key, 50);
        for k in [0, 1, 2, 7, 1, 49] {
            let config = DeflateConfig {
                client_no_context_takeover: true,
                client_max_window_bits: key.window_bits,
                ..DeflateConfig::default()
            };
            let mut fresh =
                PerMessageDeflate::new(Role::Client, config).with_level(SUITE_DEFLATE_LEVEL);
            let mut expected = Vec::new();
            fresh.compress(&DataSet::Novel.window(8192, k), &mut expected);
            assert_eq!(set.get(k).compressed, expected, "message {k}");
        }
        assert_eq!(lock(&set.compressors).len(), 1);
    }

    #[test]
    fn cases_asking_for_a_message_at_once_share_one_compression() {
        let cache = MessageCache::new();
        let key = MessageSetKey {
            data: DataSet::Image,
            len: 4096,
            window_bits: 15,
        };
        let set = cache.acquire(key, 100);
        let start = std::sync::Barrier::new(4);
        let seen: Vec<Vec<Arc<CachedMessage>>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        start.wait();
                        (0..100).map(|k| set.get(k)).collect::<Vec<_>>()
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        assert_eq!(set.compressions(), 100);
        for k in 0..100 {
            assert!(
                seen.iter().all(|s| Arc::ptr_eq(&s[k], &seen[0][k])),
                "message {k}"
            );
        }
        // The budget holds exactly what is kept: every estimate was settled.
        let kept: usize = seen[0].iter().map(|m| m.cost()).sum();
        assert_eq!(cache.budget.load(Ordering::Relaxed), DEFAULT_BUDGET - kept);
        drop(seen);
        drop(set);
        cache.release(key);
        assert_eq!(cache.budget.load(Ordering::Relaxed), DEFAULT_BUDGET);
    }

    #[test]
    fn past_the_budget_messages_are_made_but_not_kept() {
        let cache = MessageCache::with_budget(1);
        let key = MessageSetKey {
            data: DataSet::Json,
            len: 4096,
            window_bits: 15,
        };
        let set = cache.acquire(key, 10);
        let first = set.get(0);
        let again = set.get(0);
        assert_eq!(first.compressed, again.compressed);
        assert!(
            !Arc::ptr_eq(&first, &again),
            "nothing fits in a 1-byte budget"
        );
        let roomy = MessageCache::new();
        let set = roomy.acquire(key, 10);
        assert!(Arc::ptr_eq(&set.get(0), &set.get(0)));
    }

    #[test]
    fn a_set_is_dropped_when_its_last_case_is_done() {
        let cache = MessageCache::new();
        let key = MessageSetKey {
            data: DataSet::Json,
            len: 16,
            window_bits: 15,
        };
        cache.expect_user(key.data, key.len);
        cache.expect_user(key.data, key.len);
        let first = cache.acquire(key, 10);
        cache.release(key);
        assert_eq!(cache.held(), 1, "a second case still needs it");
        let second = cache.acquire(key, 10);
        assert!(Arc::ptr_eq(&first, &second));
        cache.release(key);
        assert_eq!(cache.held(), 0);
    }
}
