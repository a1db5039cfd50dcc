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
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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
    /// Each message once made: kept, or `None` when keeping it would save nothing
    /// (it went out in stored blocks, which cost a copy to make again).
    messages: Vec<OnceLock<Option<Arc<CachedMessage>>>>,
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
        match cell.get() {
            Some(Some(message)) => return Arc::clone(message),
            Some(None) => return Arc::new(self.make(k)),
            None => {}
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
        let kept = cell.get_or_init(|| {
            let message = Arc::new(self.compress(plain));
            let worth_keeping = message.compressed.len() < message.plain.len();
            made = Some(Arc::clone(&message));
            worth_keeping.then_some(message)
        });
        match (kept, &made) {
            // Give back what the estimate had over.
            (Some(message), Some(_)) if message.cost() <= reserved => {
                self.give_budget(reserved - message.cost())
            }
            (Some(message), Some(_)) => self.draw_budget(message.cost() - reserved),
            // Not kept, or another case made it first.
            _ => self.give_budget(reserved),
        }
        match (kept, made) {
            (Some(message), _) => Arc::clone(message),
            (None, Some(message)) => message,
            (None, None) => Arc::new(self.make(k)),
        }
    }

    /// Message `k`, made afresh.
    fn make(&self, k: usize) -> CachedMessage {
        self.compress(self.key.data.window(self.key.len, k))
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
            .flatten()
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

    /// A case that acquired `key` has finished sending from it. The set stays while
    /// cases of the run are still expected (see [`case_done`](Self::case_done)).
    pub fn release(&self, key: MessageSetKey) {
        let remaining = lock(&self.expected_users)
            .get(&(key.data, key.len))
            .copied()
            .unwrap_or(0);
        let mut entries = lock(&self.entries);
        if let Some(entry) = entries.get_mut(&key) {
            entry.users = entry.users.saturating_sub(1);
            if entry.users == 0 && remaining == 0 {
                entries.remove(&key);
            }
        }
    }

    /// A case announced with [`expect_user`](Self::expect_user) has finished,
    /// whether it sent anything or not (a peer without deflate sends nothing): once
    /// no case of the run needs windows of `len` of `data`, their sets are dropped.
    pub fn case_done(&self, data: DataSet, len: usize) {
        let remaining = {
            let mut expected = lock(&self.expected_users);
            let left = expected.entry((data, len)).or_default();
            *left = left.saturating_sub(1);
            *left
        };
        if remaining == 0 {
            lock(&self.entries)
                .retain(|key, entry| entry.users > 0 || (key.data, key.len) != (data, len));
        }
    }

    /// Makes the messages of `sets` (key and message count, in the order the run will
    /// need them) ahead of the cases that send them: the run calls it while only the
    /// timing-sensitive cases are running and the machine is otherwise idle. Stops
    /// when `stop` is set or the budget is spent; only sets cases of the run are
    /// expected to use are made, and they are dropped as those cases finish.
    pub fn prebuild(&self, sets: &[(MessageSetKey, usize)], stop: &AtomicBool) {
        for &(key, count) in sets {
            let expected = lock(&self.expected_users)
                .get(&(key.data, key.len))
                .is_some_and(|&n| n > 0);
            if !expected {
                continue;
            }
            let set = self.acquire(key, count);
            let mut spent = false;
            for k in 0..count {
                if stop.load(Ordering::Relaxed) {
                    spent = true;
                    break;
                }
                set.get(k);
                if set.messages[k].get().is_none() {
                    // Not made for keeping: the budget is spent.
                    spent = true;
                    break;
                }
            }
            self.release(key);
            if spent {
                return;
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
            data: DataSet::Html,
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
    fn a_message_that_went_out_stored_is_not_kept() {
        let cache = MessageCache::new();
        // The image set's noise does not compress: stored blocks, a little longer.
        let key = MessageSetKey {
            data: DataSet::Image,
            len: 65536,
            window_bits: 15,
        };
        let set = cache.acquire(key, 4);
        let first = set.get(1);
        assert!(first.compressed.len() > first.plain.len());
        let again = set.get(1);
        assert_eq!(first.compressed, again.compressed);
        assert!(!Arc::ptr_eq(&first, &again));
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
        cache.case_done(key.data, key.len);
        assert_eq!(cache.held(), 1, "a second case still needs it");
        let second = cache.acquire(key, 10);
        assert!(Arc::ptr_eq(&first, &second));
        cache.release(key);
        assert_eq!(cache.held(), 1, "the case has not finished");
        cache.case_done(key.data, key.len);
        assert_eq!(cache.held(), 0);
    }

    #[test]
    fn without_announced_cases_a_set_is_dropped_at_release() {
        // wsspec serve announces nothing: each case's set lives while it runs.
        let cache = MessageCache::new();
        let key = MessageSetKey {
            data: DataSet::Html,
            len: 64,
            window_bits: 15,
        };
        cache.acquire(key, 10);
        assert_eq!(cache.held(), 1);
        cache.release(key);
        assert_eq!(cache.held(), 0);
    }

    #[test]
    fn prebuilt_sets_serve_the_cases_and_go_when_they_are_done() {
        let cache = MessageCache::new();
        let json = MessageSetKey {
            data: DataSet::Json,
            len: 256,
            window_bits: 15,
        };
        let pdf = MessageSetKey {
            data: DataSet::Pdf,
            len: 256,
            window_bits: 15,
        };
        // Only JSON is announced: the PDF set is not made.
        cache.expect_user(json.data, json.len);
        cache.prebuild(&[(pdf, 20), (json, 20)], &AtomicBool::new(false));
        assert_eq!(cache.held(), 1);
        let set = cache.acquire(json, 20);
        assert_eq!(set.compressions(), 20, "every message made ahead");
        set.get(19);
        assert_eq!(set.compressions(), 20, "and not made again");
        drop(set);
        cache.release(json);
        cache.case_done(json.data, json.len);
        assert_eq!(cache.held(), 0);
        // A case that never sent (no deflate agreed) still lets the set go.
        cache.expect_user(json.data, json.len);
        cache.prebuild(&[(json, 20)], &AtomicBool::new(false));
        assert_eq!(cache.held(), 1);
        cache.case_done(json.data, json.len);
        assert_eq!(cache.held(), 0);
    }

    #[test]
    fn prebuilding_stops_when_told_or_when_the_budget_is_spent() {
        let key = MessageSetKey {
            data: DataSet::Novel,
            len: 4096,
            window_bits: 15,
        };
        let stopped = MessageCache::new();
        stopped.expect_user(key.data, key.len);
        stopped.prebuild(&[(key, 50)], &AtomicBool::new(true));
        assert_eq!(stopped.acquire(key, 50).compressions(), 0);
        // Room for ten messages at their estimated size (more once settled).
        let small = MessageCache::with_budget(10 * (4096 + 4096 / 8 + 64));
        small.expect_user(key.data, key.len);
        small.prebuild(&[(key, 50)], &AtomicBool::new(false));
        let made = small.acquire(key, 50).compressions();
        assert!((10..50).contains(&made), "{made} made");
    }
}
