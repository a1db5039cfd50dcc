//! What a case records as it runs: the wire log and the octet and frame statistics,
//! in wstest's shapes (AUTOBAHN-CATALOG.md §5), bounded so a flooding peer cannot grow
//! them without limit.

use wsspec_reports::{Stats, WireLogRow};

use crate::catalog::render::{ascii_log_data, ascii_log_data_of, bin_log_data};

/// The most wire-log rows a case keeps; later rows are counted, not stored.
pub const MAX_WIRELOG_ROWS: usize = 20_000;

/// The wire log and statistics of one connection.
#[derive(Debug, Clone)]
pub struct Recorder {
    /// Whether rows are being logged (wstest's `createWirelog`).
    pub enabled: bool,
    rows: Vec<WireLogRow>,
    dropped_rows: u64,
    /// Frames received, by opcode.
    pub rx_frames: Stats,
    /// Frames sent, by opcode.
    pub tx_frames: Stats,
    /// TCP reads, by size.
    pub rx_octets: Stats,
    /// TCP writes, by size.
    pub tx_octets: Stats,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder::new()
    }
}

impl Recorder {
    /// An empty recorder with logging on.
    pub fn new() -> Recorder {
        Recorder {
            enabled: true,
            rows: Vec::new(),
            dropped_rows: 0,
            rx_frames: Stats::new(),
            tx_frames: Stats::new(),
            rx_octets: Stats::new(),
            tx_octets: Stats::new(),
        }
    }

    /// Appends a row regardless of [`Recorder::enabled`] (timer and mode rows are always
    /// logged, as in wstest), up to [`MAX_WIRELOG_ROWS`].
    pub fn push(&mut self, row: WireLogRow) {
        if self.rows.len() < MAX_WIRELOG_ROWS {
            self.rows.push(row);
        } else {
            self.dropped_rows += 1;
        }
    }

    /// Appends a traffic row if logging is on. The row is built only when it will be
    /// kept: rendering payloads as hex is the dearest part of recording, and the bulk
    /// cases (9.x, 12.x, 13.x) run with logging off.
    fn push_traffic(&mut self, row: impl FnOnce() -> WireLogRow) {
        if !self.enabled {
            return;
        }
        if self.rows.len() < MAX_WIRELOG_ROWS {
            self.rows.push(row());
        } else {
            self.dropped_rows += 1;
        }
    }

    /// Turns logging on or off, logging the switch (`["WLM", on]`) when it changes.
    pub fn set_enabled(&mut self, enabled: bool) {
        if enabled != self.enabled {
            self.enabled = enabled;
            self.push(WireLogRow::WireLogMode(enabled));
        }
    }

    /// Octets read from the peer.
    pub fn rx_octets(&mut self, data: &[u8]) {
        *self.rx_octets.entry(data.len() as u64).or_default() += 1;
        self.push_traffic(|| WireLogRow::RxOctets {
            len: data.len() as u64,
            hex: bin_log_data(data),
        });
    }

    /// Octets written to the peer (`sync`: as a write of their own).
    pub fn tx_octets(&mut self, data: &[u8], sync: bool) {
        *self.tx_octets.entry(data.len() as u64).or_default() += 1;
        self.push_traffic(|| WireLogRow::TxOctets {
            len: data.len() as u64,
            hex: bin_log_data(data),
            sync,
        });
    }

    /// A frame received; `payload` is its (unmasked) payload or at least its first 64
    /// octets, `len` its whole length.
    pub fn rx_frame(
        &mut self,
        opcode: u8,
        fin: bool,
        rsv: u8,
        mask: Option<[u8; 4]>,
        len: u64,
        payload: &[u8],
    ) {
        *self.rx_frames.entry(u64::from(opcode)).or_default() += 1;
        self.push_traffic(|| WireLogRow::RxFrame {
            len,
            payload: ascii_log_data_of(len, payload),
            opcode,
            fin,
            rsv,
            masked: mask.is_some(),
            mask: mask.map(|m| bin_log_data(&m)),
        });
    }

    /// A frame sent.
    #[allow(clippy::too_many_arguments)]
    pub fn tx_frame(
        &mut self,
        opcode: u8,
        fin: bool,
        rsv: u8,
        mask: Option<[u8; 4]>,
        payload: &[u8],
        payload_len: Option<u64>,
        chop: Option<usize>,
        sync: bool,
    ) {
        *self.tx_frames.entry(u64::from(opcode)).or_default() += 1;
        self.push_traffic(|| WireLogRow::TxFrame {
            len: payload.len() as u64,
            payload: ascii_log_data(payload),
            opcode,
            fin,
            rsv,
            mask: mask.map(|m| bin_log_data(&m)),
            payload_len,
            chopsize: chop.map(|c| c as u64),
            sync,
        });
    }

    /// The rows logged, and how many did not fit.
    pub fn into_rows(self) -> (Vec<WireLogRow>, u64) {
        (self.rows, self.dropped_rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_log_is_bounded() {
        let mut recorder = Recorder::new();
        for _ in 0..MAX_WIRELOG_ROWS + 10 {
            recorder.rx_octets(b"x");
        }
        assert_eq!(
            recorder.rx_octets.get(&1),
            Some(&(MAX_WIRELOG_ROWS as u64 + 10))
        );
        let (rows, dropped) = recorder.into_rows();
        assert_eq!(rows.len(), MAX_WIRELOG_ROWS);
        assert_eq!(dropped, 10);
    }

    #[test]
    fn logging_off_still_counts_and_logs_the_switch() {
        let mut recorder = Recorder::new();
        recorder.set_enabled(false);
        recorder.tx_octets(b"abc", false);
        recorder.set_enabled(true);
        assert_eq!(recorder.tx_octets.get(&3), Some(&1));
        let (rows, _) = recorder.into_rows();
        assert_eq!(
            rows,
            vec![
                WireLogRow::WireLogMode(false),
                WireLogRow::WireLogMode(true)
            ]
        );
    }
}
