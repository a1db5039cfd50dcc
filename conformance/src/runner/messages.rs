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

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use wsspec_codec::deflate::{DeflateConfig, PerMessageDeflate};
use wsspec_codec::frame::Role;

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

/// One message: the plain payload and its compressed form.
#[derive(Debug)]
pub struct CachedMessage {
    /// What is sent, before compression, and what the echo must equal.
    pub plain: Vec<u8>,
    /// The compressed payload (RFC 7692 §7.2.1, tail removed).
    pub compressed: Vec<u8>,
}

/// The messages of one key, made lazily one by one.
#[derive(Debug)]
pub struct MessageSet {
    key: MessageSetKey,
    messages: Vec<OnceLock<Arc<CachedMessage>>>,
}

impl MessageSet {
    /// Message `k` (0-based), made on first use.
    pub fn get(&self, k: usize) -> Arc<CachedMessage> {
        Arc::clone(self.messages[k].get_or_init(|| {
            let plain = window(self.key.data, self.key.len, k);
            let config = DeflateConfig {
                client_no_context_takeover: true,
                client_max_window_bits: self.key.window_bits,
                ..DeflateConfig::default()
            };
            let mut deflate =
                PerMessageDeflate::new(Role::Client, config).with_level(SUITE_DEFLATE_LEVEL);
            let mut compressed = Vec::new();
            deflate.compress(&plain, &mut compressed);
            Arc::new(CachedMessage { plain, compressed })
        }))
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

#[derive(Debug)]
struct Entry {
    set: Arc<MessageSet>,
    users: usize,
}

/// The shared message sets of one run.
#[derive(Debug, Default)]
pub struct MessageCache {
    /// How many cases of the run will use each key (set before the run).
    expected_users: Mutex<HashMap<(DataSet, usize), usize>>,
    entries: Mutex<HashMap<MessageSetKey, Entry>>,
}

impl MessageCache {
    /// An empty cache.
    pub fn new() -> MessageCache {
        MessageCache::default()
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

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Message `k` of `len`-unit windows over `data`, as wstest makes it: the pointer
/// starts at 0 and advances by `len` units, wrapping around the end of the data (a
/// window that crosses the end is the tail followed by the head). For text sets the
/// unit is a code point.
pub fn window(data: DataSet, len: usize, k: usize) -> Vec<u8> {
    let bytes = data.bytes();
    if len == 0 {
        return Vec::new();
    }
    if data.is_text() {
        let starts = char_starts(data);
        let units = starts.len() - 1;
        let from = (k as u128 * len as u128 % units as u128) as usize;
        let to = (from + len) % units;
        let (a, b) = (starts[from], starts[to]);
        if to > from {
            bytes[a..b].to_vec()
        } else {
            [&bytes[a..], &bytes[..b]].concat()
        }
    } else {
        let units = bytes.len();
        let from = (k as u128 * len as u128 % units as u128) as usize;
        let to = (from + len) % units;
        if to > from {
            bytes[from..to].to_vec()
        } else {
            [&bytes[from..], &bytes[..to]].concat()
        }
    }
}

/// The byte offset of every code point of a text set, and the length at the end.
fn char_starts(data: DataSet) -> &'static [usize] {
    static STARTS: OnceLock<Mutex<HashMap<DataSet, &'static [usize]>>> = OnceLock::new();
    let map = STARTS.get_or_init(Default::default);
    let mut map = lock(map);
    map.entry(data).or_insert_with(|| {
        let text = std::str::from_utf8(data.bytes()).expect("text data sets are UTF-8");
        let mut starts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        starts.push(text.len());
        Box::leak(starts.into_boxed_slice())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_advance_and_wrap_around() {
        let data = DataSet::Image;
        let bytes = data.bytes();
        assert_eq!(window(data, 16, 0), bytes[..16]);
        assert_eq!(window(data, 16, 1), bytes[16..32]);
        let n = bytes.len();
        // The window that crosses the end: tail then head.
        let k = n / 131072;
        let from = k * 131072 % n;
        let w = window(data, 131072, k);
        assert_eq!(w.len(), 131072);
        assert_eq!(w[..n - from], bytes[from..]);
        assert_eq!(w[n - from..], bytes[..131072 - (n - from)]);
    }

    #[test]
    fn text_windows_count_code_points() {
        let data = DataSet::Html;
        for k in 0..50 {
            let w = window(data, 4096, k);
            let text = std::str::from_utf8(&w).expect("windows of text are whole code points");
            assert_eq!(text.chars().count(), 4096);
        }
    }

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
        assert_eq!(message.plain, window(DataSet::Json, 1024, 3));
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
        assert_eq!(out, message.plain);
        assert!(message.compressed.len() < message.plain.len());
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
