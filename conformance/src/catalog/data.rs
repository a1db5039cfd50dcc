//! The data sets of sections 12 and 13, and the message windows wstest cuts from them.
//!
//! wstest sends windows of five files it bundles (a JSON report, the "Lena" bitmap,
//! Goethe's Faust from Project Gutenberg, an HTML report, a PDF paper). The suite does
//! not ship those: it generates, deterministically and in a few milliseconds, five
//! data sets of the same sizes and kinds, whose deflate ratios are close to the
//! originals'. What a case checks (the echo equals what was sent) does not depend on
//! the content; what it costs (zlib's work, the bytes on the wire) depends on how
//! compressible the content is, which is what the sets reproduce.
//!
//! | set | sent as | octets | stands for wstest's |
//! |---|---|---|---|
//! | [`DataSet::Json`] | text | 194056 (ASCII) | `data1.json` |
//! | [`DataSet::Image`] | binary | 263222 | `lena512.bmp` |
//! | [`DataSet::Novel`] | binary | 222218 (UTF-8) | `pg2229.txt` |
//! | [`DataSet::Html`] | text | 263647 (263620 code points) | `data1.html` |
//! | [`DataSet::Pdf`] | binary | 1042328 | `10.1.1.105.5439.pdf` |
//!
//! Deflate ratios, ours / wstest's file: compressed over original octets at zlib's
//! level 6 with a 15-bit window, for the whole file and for consecutive windows of
//! 256, 4096 and 65536 octets each compressed on its own (as a suite message is,
//! without context takeover). Measured with zlib-rs for ours, Python's zlib for
//! theirs.
//!
//! | set | 256 | 4096 | 65536 | whole |
//! |---|---|---|---|---|
//! | Json | 0.521 / 0.522 | 0.080 / 0.075 | 0.044 / 0.045 | 0.040 / 0.044 |
//! | Image | 0.951 / 1.005 | 0.875 / 0.891 | 0.861 / 0.857 | 0.855 / 0.851 |
//! | Novel | 0.765 / 0.726 | 0.497 / 0.481 | 0.392 / 0.404 | 0.377 / 0.389 |
//! | Html | 0.588 / 0.624 | 0.113 / 0.111 | 0.065 / 0.058 | 0.062 / 0.055 |
//! | Pdf | 0.929 / 0.936 | 0.846 / 0.845 | 0.786 / 0.804 | 0.766 / 0.758 |
//!
//! Building all five takes about 20 ms in a release build.
//!
//! The generators use a hand-written splitmix64 and integer arithmetic only, so every
//! machine builds the same octets.

use std::borrow::Cow;
use std::sync::OnceLock;

/// The data sets of sections 12 and 13, in wstest's order (12.1 … 12.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataSet {
    /// An ASCII JSON document of station readings, sent as text (12.1, 13.x).
    Json,
    /// A 512×512 8-bit grey-scale BMP of a smooth synthetic scene with sensor-like
    /// noise, sent as binary (12.2).
    Image,
    /// German-like verse drama with umlauts, sent as binary (12.3).
    Novel,
    /// An HTML catalogue page with 26 non-ASCII characters, sent as text (12.4).
    Html,
    /// A PDF-like file: page content streams and incompressible "compressed" streams,
    /// with an xref table, sent as binary (12.5).
    Pdf,
}

impl DataSet {
    /// All five, in wstest's order.
    pub const ALL: [DataSet; 5] = [
        DataSet::Json,
        DataSet::Image,
        DataSet::Novel,
        DataSet::Html,
        DataSet::Pdf,
    ];

    /// A short lowercase name.
    pub fn name(self) -> &'static str {
        match self {
            DataSet::Json => "json",
            DataSet::Image => "image",
            DataSet::Novel => "novel",
            DataSet::Html => "html",
            DataSet::Pdf => "pdf",
        }
    }

    /// Whether sections 12/13 send it as text (windows then count code points).
    pub fn is_text(self) -> bool {
        matches!(self, DataSet::Json | DataSet::Html)
    }

    /// The octets, built on first use.
    pub fn bytes(self) -> &'static [u8] {
        self.built().bytes()
    }

    /// The length in window units: code points for text sets, octets otherwise.
    pub fn units(self) -> usize {
        let built = self.built();
        built.bytes().len() - built.extra_octets()
    }

    /// How many window units `payload` holds: code points for text sets (counting the
    /// octets that do not continue a UTF-8 sequence), octets otherwise. This is the
    /// length wstest compares an echo's against.
    pub fn units_in(self, payload: &[u8]) -> usize {
        if self.is_text() {
            payload.iter().filter(|&&b| b & 0xc0 != 0x80).count()
        } else {
            payload.len()
        }
    }

    /// Message `k` (from 0) of a case with window length `len`: wstest's `sendOne`
    /// takes the `len` units after the previous message's, cycling through the set (a
    /// window that runs past the end continues at the start).
    ///
    /// For `len` up to [`DataSet::units`] (every case has that) this is exactly
    /// wstest's window, borrowed even when it wraps (the set is held twice over, end
    /// to end); a longer one cycles through the set more than once, where wstest would
    /// send a shorter message, and is a copy.
    pub fn window(self, len: usize, k: usize) -> Cow<'static, [u8]> {
        let built = self.built();
        let units = self.units();
        let octets = built.bytes().len();
        if len == 0 {
            return Cow::Borrowed(&[]);
        }
        let start = ((k as u128 * len as u128) % units as u128) as usize;
        let end = start + len;
        if end <= units {
            return Cow::Borrowed(&built.twice[built.offset(start)..built.offset(end)]);
        }
        if end <= 2 * units {
            // Wraps once: one slice of the set held twice over.
            let to = octets + built.offset(end - units);
            return Cow::Borrowed(&built.twice[built.offset(start)..to]);
        }
        let mut message = built.bytes()[built.offset(start)..].to_vec();
        let mut rest = end - units;
        while rest > units {
            message.extend_from_slice(built.bytes());
            rest -= units;
        }
        message.extend_from_slice(&built.bytes()[..built.offset(rest)]);
        Cow::Owned(message)
    }

    /// Messages 0, 1, 2, … of a case with window length `len` (endless).
    pub fn windows(self, len: usize) -> Windows {
        Windows {
            set: self,
            len,
            next: 0,
        }
    }

    fn built(self) -> &'static Built {
        static SETS: [OnceLock<Built>; 5] = [
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
        ];
        let (slot, build): (usize, fn() -> Vec<u8>) = match self {
            DataSet::Json => (0, json),
            DataSet::Image => (1, image),
            DataSet::Novel => (2, novel),
            DataSet::Html => (3, html),
            DataSet::Pdf => (4, pdf),
        };
        SETS[slot].get_or_init(|| Built::new(build(), self.is_text()))
    }
}

/// The messages of a case, in order: see [`DataSet::windows`].
#[derive(Debug, Clone)]
pub struct Windows {
    set: DataSet,
    len: usize,
    next: usize,
}

impl Iterator for Windows {
    type Item = Cow<'static, [u8]>;

    fn next(&mut self) -> Option<Self::Item> {
        let window = self.set.window(self.len, self.next);
        self.next += 1;
        Some(window)
    }
}

/// A built set: its octets and, for text, where the multi-octet characters are.
#[derive(Debug)]
struct Built {
    /// The set's octets twice, end to end, so that every window is one slice.
    twice: Vec<u8>,
    /// For each character of more than one octet: (its code point index, the extra
    /// octets of it and all before it). Empty for binary and ASCII sets.
    wide: Vec<(usize, usize)>,
}

impl Built {
    fn new(bytes: Vec<u8>, text: bool) -> Built {
        let mut wide = Vec::new();
        if text {
            let text = std::str::from_utf8(&bytes).expect("the text data sets are UTF-8");
            let mut extra = 0;
            for (index, c) in text.chars().enumerate() {
                if c.len_utf8() > 1 {
                    extra += c.len_utf8() - 1;
                    wide.push((index, extra));
                }
            }
        }
        let mut twice = bytes;
        twice.extend_from_within(..);
        Built { twice, wide }
    }

    fn bytes(&self) -> &[u8] {
        &self.twice[..self.twice.len() / 2]
    }

    /// Octets beyond one per unit.
    fn extra_octets(&self) -> usize {
        self.wide.last().map_or(0, |&(_, extra)| extra)
    }

    /// The octet offset of unit `unit`.
    fn offset(&self, unit: usize) -> usize {
        // Wide characters before `unit` are those with a smaller index.
        let before = self.wide.partition_point(|&(index, _)| index < unit);
        unit + before.checked_sub(1).map_or(0, |i| self.wide[i].1)
    }
}

/// splitmix64 (Steele, Lea, Flood 2014): small, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0; the bias of a 64-bit modulo is irrelevant here).
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// One of `items`.
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Index into a list of `n` items, favouring the first ones (roughly Zipf-like:
    /// the square of a uniform number).
    fn skewed(&mut self, n: usize) -> usize {
        let u = self.next_u64() >> 32;
        let square = (u * u) >> 32; // below 2^32, skewed towards 0
        ((square * n as u64) >> 32) as usize
    }
}

// ---------------------------------------------------------------------------------
// 12.1: JSON

const JSON_SIZE: usize = 194_056;

/// Readings of weather stations, pretty-printed with a 3-space indent: the same few
/// keys over and over with small numbers, which deflates to about 4 %.
fn json() -> Vec<u8> {
    const STATUS: [&str; 16] = [
        "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok",
        "late",
    ];
    let mut rng = Rng::new(0x6a73_6f6e);
    let mut out = String::with_capacity(JSON_SIZE);
    out.push_str("{\n   \"generator\": \"wsspec synthetic data set 12.1\",\n   \"stations\": {");
    let tail_room = 200;
    let mut first_station = true;
    'stations: for station in 1.. {
        if !first_station {
            out.push(',');
        }
        first_station = false;
        out.push_str(&format!("\n      \"station-{station:03}\": {{"));
        let mut temperature = 50 + rng.below(200) as i64;
        for hour in 0..96 {
            let (day, hour) = (1 + hour / 24, hour % 24);
            let record = format!(
                "{}\n         \"2024-03-{day:02}T{hour:02}:00\": {{\n            \"status\": \"{}\",\n            \
                 \"unit\": \"celsius\",\n            \"temperature\": {},\n            \"responseTime\": {},\n            \
                 \"logfile\": \"station_{station:03}_2024_03_{day:02}_{hour:02}.json\"\n         }}",
                if hour == 0 && day == 1 { "" } else { "," },
                rng.pick(&STATUS),
                temperature / 10,
                1 + rng.below(JSON_MS_RANGE),
            );
            if out.len() + record.len() + tail_room > JSON_SIZE {
                out.push_str("\n      }");
                break 'stations;
            }
            out.push_str(&record);
            temperature = (temperature + rng.below(5) as i64 - 2).clamp(0, 399);
        }
        out.push_str("\n      }");
    }
    let close = "\n   },\n   \"padding\": \"\"\n}\n";
    let fill = JSON_SIZE - out.len() - close.len();
    out.push_str("\n   },\n   \"padding\": \"");
    out.push_str(&".".repeat(fill));
    out.push_str("\"\n}\n");
    out.into_bytes()
}

/// Response times in [`json`] are drawn from 1 to this many milliseconds.
const JSON_MS_RANGE: usize = 999;

// ---------------------------------------------------------------------------------
// 12.2: bitmap

const IMAGE_SIDE: usize = 512;
const IMAGE_HEADER: usize = 14 + 40 + 256 * 4;
const IMAGE_SIZE: usize = IMAGE_HEADER + IMAGE_SIDE * IMAGE_SIDE;

/// A 512×512 8-bit grey-scale BMP (BITMAPINFOHEADER, 256-entry grey palette, rows
/// bottom-up): smooth value noise over four octaves, like a photograph's shapes and
/// shading, plus per-pixel noise like a sensor's, which is what keeps deflate at 85 %.
fn image() -> Vec<u8> {
    let mut rng = Rng::new(0x0062_6d70);
    let mut out = Vec::with_capacity(IMAGE_SIZE);
    let le32 = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&v.to_le_bytes());
    out.extend_from_slice(b"BM");
    le32(&mut out, IMAGE_SIZE as u32);
    le32(&mut out, 0);
    le32(&mut out, IMAGE_HEADER as u32);
    le32(&mut out, 40);
    le32(&mut out, IMAGE_SIDE as u32);
    le32(&mut out, IMAGE_SIDE as u32);
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&8u16.to_le_bytes());
    le32(&mut out, 0); // no compression
    le32(&mut out, (IMAGE_SIDE * IMAGE_SIDE) as u32);
    le32(&mut out, 2835); // 72 dpi
    le32(&mut out, 2835);
    le32(&mut out, 256);
    le32(&mut out, 256);
    for grey in 0..=255u8 {
        out.extend_from_slice(&[grey, grey, grey, 0]);
    }
    // Octaves of value noise: (cell size in pixels, amplitude).
    let octaves: Vec<(usize, i64, Vec<i64>)> = [(128usize, 90i64), (64, 50), (32, 26), (16, 12)]
        .into_iter()
        .map(|(cell, amplitude)| {
            let n = IMAGE_SIDE / cell + 1;
            let grid = (0..n * n).map(|_| rng.below(2001) as i64 - 1000).collect();
            (cell, amplitude, grid)
        })
        .collect();
    for y in 0..IMAGE_SIDE {
        for x in 0..IMAGE_SIDE {
            let mut value = 128 * 1000;
            for (cell, amplitude, grid) in &octaves {
                value += amplitude * smooth_noise(grid, IMAGE_SIDE / cell + 1, *cell, x, y);
            }
            // Sensor noise: a sum of three uniform draws, roughly bell-shaped.
            let noise = (0..3).map(|_| rng.below(IMAGE_NOISE) as i64).sum::<i64>()
                - 3 * (IMAGE_NOISE as i64 - 1) / 2;
            let grey = value / 1000 + noise;
            out.push(grey.clamp(0, 255) as u8);
        }
    }
    out
}

/// Per-pixel noise range of [`image`] (each of three draws is in `0..IMAGE_NOISE`).
const IMAGE_NOISE: usize = 7;

/// Value noise at pixel (x, y): the grid's corner values (−1000..=1000) blended with a
/// smoothstep, in integers.
fn smooth_noise(grid: &[i64], n: usize, cell: usize, x: usize, y: usize) -> i64 {
    let (cx, cy) = (x / cell, y / cell);
    let scale = cell as i64;
    let fade = |t: i64| t * t * (3 * scale - 2 * t) / (scale * scale); // 0..=scale
    let (fx, fy) = (fade((x % cell) as i64), fade((y % cell) as i64));
    let at = |i: usize, j: usize| grid[j * n + i];
    let top = at(cx, cy) * (scale - fx) + at(cx + 1, cy) * fx;
    let bottom = at(cx, cy + 1) * (scale - fx) + at(cx + 1, cy + 1) * fx;
    (top * (scale - fy) + bottom * fy) / (scale * scale)
}

// ---------------------------------------------------------------------------------
// 12.3: prose

const NOVEL_SIZE: usize = 222_218;

/// Common German words, the most frequent first.
const GERMAN_WORDS: &[&str] = &[
    "und",
    "die",
    "der",
    "ich",
    "nicht",
    "das",
    "du",
    "zu",
    "ist",
    "mit",
    "sich",
    "ein",
    "in",
    "mir",
    "es",
    "so",
    "den",
    "mich",
    "wie",
    "auf",
    "was",
    "ihr",
    "sie",
    "dich",
    "auch",
    "nur",
    "wir",
    "dem",
    "er",
    "noch",
    "im",
    "doch",
    "an",
    "von",
    "für",
    "mein",
    "dir",
    "nach",
    "wenn",
    "aus",
    "wohl",
    "da",
    "hier",
    "eine",
    "kann",
    "schon",
    "bin",
    "hat",
    "sein",
    "will",
    "ja",
    "gar",
    "uns",
    "man",
    "wird",
    "dein",
    "einen",
    "nun",
    "mag",
    "soll",
    "durch",
    "alle",
    "sind",
    "wer",
    "ganz",
    "viel",
    "muß",
    "über",
    "gut",
    "immer",
    "Welt",
    "Herz",
    "Geist",
    "Zeit",
    "Nacht",
    "Tag",
    "Himmel",
    "Erde",
    "Leben",
    "Liebe",
    "Gott",
    "Mann",
    "Frau",
    "Kind",
    "Hand",
    "Haus",
    "Feuer",
    "Wasser",
    "Licht",
    "schön",
    "früh",
    "spät",
    "süß",
    "groß",
    "klein",
    "alt",
    "jung",
    "müde",
    "froh",
    "böse",
    "weiß",
    "Mädchen",
    "Bürger",
    "Schüler",
    "Brüder",
    "Tür",
    "Glück",
    "Stück",
    "Blüte",
    "Höhle",
    "Mühe",
    "Größe",
    "Straße",
    "Fuß",
    "Grüße",
    "Äpfel",
    "Öfen",
    "Übel",
    "hören",
    "können",
    "müssen",
    "dürfen",
    "fühlen",
    "führen",
    "öffnen",
    "schließen",
    "wünschen",
    "träumen",
    "küssen",
    "grüßen",
    "blühen",
    "glühen",
    "während",
    "würde",
    "möchte",
    "wäre",
    "hätte",
    "fürwahr",
    "gehen",
    "kommen",
    "sehen",
    "sagen",
    "wissen",
    "finden",
    "stehen",
    "halten",
    "bleiben",
    "lassen",
    "denken",
    "sprechen",
    "leben",
    "lieben",
    "suchen",
    "tragen",
    "singen",
    "trinken",
    "schlafen",
    "wachen",
    "fliegen",
    "ziehen",
    "Wald",
    "Feld",
    "Berg",
    "Tal",
    "Fluß",
    "Meer",
    "Wind",
    "Sturm",
    "Stern",
    "Sonne",
    "Mond",
    "Wolke",
    "Blume",
    "Baum",
    "Stein",
    "Gold",
    "Wein",
    "Brot",
    "Schwert",
    "Buch",
    "Wort",
    "Lied",
    "Traum",
    "Schatten",
    "Geister",
    "Teufel",
    "Engel",
    "Hölle",
    "Kräfte",
    "Mächte",
    "Gefühl",
    "Gedanke",
    "Wahrheit",
    "Weisheit",
    "Schönheit",
    "Freude",
    "Schmerz",
    "Tränen",
    "Blut",
    "Seele",
    "Busen",
    "Augen",
    "Lippen",
    "Stimme",
    "Klang",
    "Ruhe",
    "Stille",
    "dunkel",
    "hell",
    "tief",
    "hoch",
    "weit",
    "nah",
    "still",
    "laut",
    "kalt",
    "warm",
    "wild",
    "zart",
    "fromm",
    "kühn",
    "wahr",
    "frei",
    "rein",
    "heilig",
    "ewig",
    "selig",
    "herrlich",
    "prächtig",
    "zärtlich",
    "ängstlich",
];

/// Speakers of the drama.
const SPEAKERS: &[&str] = &[
    "DER WANDERER",
    "DIE MAGD",
    "DER GELEHRTE",
    "DER SCHÜLER",
    "DIE ALTE",
    "DER GEIST",
    "CHOR",
    "DER WIRT",
    "DIE NACHBARIN",
    "DER KNABE",
];

/// Syllables for the rarer words made up on the spot.
const SYLLABLES: &[&str] = &[
    "ge", "be", "ver", "zer", "ent", "er", "un", "lich", "keit", "heit", "ung", "schaft", "en",
    "el", "ber", "wal", "dor", "sch", "tra", "mün", "glä", "hö", "rau", "fel", "stein", "burg",
    "wald", "bach", "hof", "mut", "sinn", "licht", "nacht", "kraft", "weh", "lust", "ruh", "zeit",
    "au", "ei", "ü", "ö", "ä", "ß", "spr", "ku", "ri", "ma", "lo", "ne",
];

/// A verse drama in German-like words: speakers' names in capitals, short verse lines
/// (LF line ends), sentences of frequent words with a share of invented compounds.
fn novel() -> Vec<u8> {
    let mut rng = Rng::new(0x0066_6175_7374);
    let mut out = String::with_capacity(NOVEL_SIZE + 64);
    out.push_str("Eine Tragödie in Versen (synthetischer Text für wsspec, Datensatz 12.3)\n\n\n");
    let mut capital = true;
    while out.len() < NOVEL_SIZE {
        let speaker = *rng.pick(SPEAKERS);
        out.push_str(speaker);
        out.push_str(":\n");
        for _ in 0..2 + rng.below(9) {
            let words = 4 + rng.below(5);
            let mut line = String::new();
            for w in 0..words {
                let word = if rng.below(100) < NOVEL_INVENTED_PERCENT {
                    let mut made = String::new();
                    for _ in 0..2 + rng.below(2) {
                        let syllable = *rng.pick(SYLLABLES);
                        made.push_str(syllable);
                    }
                    made
                } else {
                    GERMAN_WORDS[rng.skewed(GERMAN_WORDS.len())].to_owned()
                };
                if w > 0 {
                    line.push(' ');
                }
                if capital {
                    let mut chars = word.chars();
                    if let Some(first) = chars.next() {
                        line.extend(first.to_uppercase());
                        line.push_str(chars.as_str());
                    }
                    capital = false;
                } else {
                    line.push_str(&word);
                }
            }
            let end = *rng.pick(&[",", ",", ";", ".", ".", "!", "?", ""]);
            line.push_str(end);
            capital = matches!(end, "." | "!" | "?");
            out.push_str(&line);
            out.push('\n');
        }
        out.push('\n');
    }
    // Cut back to the size on a character boundary, then pad with spaces.
    let mut cut = (NOVEL_SIZE - 1).min(out.len());
    while !out.is_char_boundary(cut) {
        cut -= 1;
    }
    out.truncate(cut);
    let mut bytes = out.into_bytes();
    bytes.resize(NOVEL_SIZE - 1, b' ');
    bytes.push(b'\n');
    bytes
}

/// The share of invented words in [`novel`], in percent.
const NOVEL_INVENTED_PERCENT: usize = 17;

// ---------------------------------------------------------------------------------
// 12.4: HTML

const HTML_SIZE: usize = 263_647;

/// A catalogue page: a style sheet, an introduction with the non-ASCII text (26
/// characters, 53 octets), then table rows of the same markup with small numbers.
fn html() -> Vec<u8> {
    const STATES: [(&str, &str); 4] = [
        ("ok", "in stock"),
        ("ok", "in stock"),
        ("low", "running low"),
        ("out", "sold out"),
    ];
    const KINDS: [&str; 6] = ["bolt", "nut", "washer", "bracket", "hinge", "spring"];
    let mut rng = Rng::new(0x6874_6d6c);
    let mut out = String::with_capacity(HTML_SIZE);
    out.push_str(
        "<!DOCTYPE html>\n<html>\n   <head>\n      <meta charset=\"utf-8\" />\n      \
         <title>Parts catalogue</title>\n      <style lang=\"css\">\n",
    );
    for (selector, colour) in [
        ("body", "#f4f4f4"),
        ("h1", "#333"),
        ("p.intro", "#444"),
        ("table.parts", "#fff"),
        ("td.ok", "#0a0"),
        ("td.low", "#c80"),
        ("td.out", "#c00"),
        ("tr.even", "#eee"),
    ] {
        out.push_str(&format!(
            "{selector} {{\n   background-color: {colour};\n   font-family: Segoe UI,Tahoma,Arial,sans-serif;\n   \
             padding: 2px 6px;\n}}\n\n"
        ));
    }
    out.push_str("      </style>\n   </head>\n   <body>\n      <h1>Parts catalogue</h1>\n");
    // The only non-ASCII text: 3 × "µ@ßöäüàá" (7 non-ASCII each) and "κόσμε" (5).
    for line in 1..=3 {
        out.push_str(&format!(
            "      <p class=\"intro\">Sample {line} of the label printer: Hello-µ@ßöäüàá-UTF-8!!</p>\n"
        ));
    }
    out.push_str(
        "      <p class=\"intro\">Greek label test: \u{3ba}\u{1f79}\u{3c3}\u{3bc}\u{3b5}</p>\n",
    );
    out.push_str("      <table class=\"parts\">\n");
    let tail = "      </table>\n   </body>\n</html>\n<!--  -->\n";
    for row in 1.. {
        let (class, state) = *rng.pick(&STATES);
        let kind = rng.pick(&KINDS);
        let size = 2 + rng.below(10) * 2;
        let record = format!(
            "<tr class=\"{}\"><th scope=\"row\"><a href=\"#part_{row}\">P-{row:05}</a></th>\
             <td class=\"name\">{kind} M{size}</td><td data-state=\"{class}\">{state}</td>\
             <td align=\"right\">{}</td><td></td></tr>\n",
            if row % 2 == 0 { "even" } else { "odd" },
            rng.below(HTML_QUANTITIES) * 25,
        );
        if out.len() + record.len() + tail.len() > HTML_SIZE {
            break;
        }
        out.push_str(&record);
    }
    let fill = HTML_SIZE - out.len() - tail.len();
    out.push_str("      </table>\n   </body>\n</html>\n<!-- ");
    out.push_str(&".".repeat(fill));
    out.push_str(" -->\n");
    out.into_bytes()
}

/// How many different quantities [`html`] lists (multiples of 25).
const HTML_QUANTITIES: usize = 8;

// ---------------------------------------------------------------------------------
// 12.5: PDF

const PDF_SIZE: usize = 1_042_328;

/// A PDF-like file: a header, page objects, each page's content stream either as
/// plain text operators or as random octets standing for a FlateDecode stream (which
/// deflate cannot shrink), indirect lengths, an xref table and a trailer.
fn pdf() -> Vec<u8> {
    let mut rng = Rng::new(0x0070_6466);
    let mut out: Vec<u8> = Vec::with_capacity(PDF_SIZE);
    let mut offsets: Vec<usize> = Vec::new();
    out.extend_from_slice(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
    // Room for the xref table (20 octets an object) and the trailer.
    let tail_room = |objects: usize| 20 * (objects + 1) + 200;
    fn object(out: &mut Vec<u8>, offsets: &mut Vec<usize>, body: &[u8]) {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", offsets.len()).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    object(&mut out, &mut offsets, b"<</Type/Catalog/Pages 2 0 R>>");
    object(&mut out, &mut offsets, b"<</Type/Pages/Count 0/Kids[]>>");
    object(
        &mut out,
        &mut offsets,
        b"<</Type/Font/Subtype/Type1/BaseFont/Times-Roman/Encoding/WinAnsiEncoding>>",
    );
    let mut last_packed: Vec<u8> = Vec::new();
    loop {
        let draw = rng.below(100);
        let plain = draw < PDF_PLAIN_PERCENT;
        let mut stream = Vec::new();
        if !plain && draw < PDF_PLAIN_PERCENT + PDF_REPEAT_PERCENT && !last_packed.is_empty() {
            // The same resource again (a font or an image used twice), close enough for
            // deflate's window to find it.
            stream = last_packed.clone();
        } else if plain {
            let mut y = 740;
            let bottom = 740 - 12 * (PDF_PLAIN_LINES / 2 + rng.below(PDF_PLAIN_LINES)) as i64;
            while y > bottom {
                let words: Vec<&str> = (0..6 + rng.below(6))
                    .map(|_| *rng.pick(&PDF_WORDS))
                    .collect();
                stream.extend_from_slice(
                    format!("BT /F1 10 Tf 72 {y} Td ({}) Tj ET\n", words.join(" ")).as_bytes(),
                );
                y -= 12;
            }
        } else {
            let len = PDF_PACKED_MIN + rng.below(PDF_PACKED_MIN * 4);
            while stream.len() < len {
                stream.extend_from_slice(&rng.next_u64().to_le_bytes());
            }
            last_packed = stream.clone();
        }
        let objects_after = offsets.len() + 3;
        let estimate = stream.len() + 300;
        if out.len() + estimate + tail_room(objects_after) > PDF_SIZE {
            break;
        }
        let contents = offsets.len() + 1;
        let filter = if plain { "" } else { "/Filter /FlateDecode" };
        let mut body = format!("<</Length {} 0 R{filter}>>\nstream\n", contents + 1).into_bytes();
        body.extend_from_slice(&stream);
        body.extend_from_slice(b"\nendstream");
        object(&mut out, &mut offsets, &body);
        object(&mut out, &mut offsets, stream.len().to_string().as_bytes());
        object(
            &mut out,
            &mut offsets,
            format!(
                "<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Resources<</Font<</F1 3 0 R>>>>/Contents {contents} 0 R>>"
            )
            .as_bytes(),
        );
    }
    // The xref table and trailer, with a comment before them filling the exact size.
    let tail = |startxref: usize| {
        let mut tail = format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1);
        for offset in &offsets {
            tail.push_str(&format!("{offset:010} 00000 n \n"));
        }
        tail.push_str(&format!(
            "trailer\n<</Size {}/Root 1 0 R>>\nstartxref\n{startxref}\n%%EOF\n",
            offsets.len() + 1
        ));
        tail
    };
    let mut padding = PDF_SIZE - out.len() - tail(out.len()).len();
    // The start offset's digits may change with the padding; settle it.
    while out.len() + padding + tail(out.len() + padding).len() != PDF_SIZE {
        padding = PDF_SIZE - out.len() - tail(out.len() + padding).len();
    }
    let start = out.len() + padding;
    out.push(b'%');
    out.resize(start - 1, b'-');
    out.push(b'\n');
    out.extend_from_slice(tail(start).as_bytes());
    out
}

/// The average number of text lines of a plain content stream in [`pdf`].
const PDF_PLAIN_LINES: usize = 20;
/// The shortest packed stream in [`pdf`]; the longest is 5 times as long.
const PDF_PACKED_MIN: usize = 600;
/// The share of plain-text content streams in [`pdf`], in percent.
const PDF_PLAIN_PERCENT: usize = 15;
/// The share of streams repeating the previous packed one in [`pdf`], in percent.
const PDF_REPEAT_PERCENT: usize = 6;

/// Words of the plain content streams.
const PDF_WORDS: [&str; 24] = [
    "the", "of", "and", "a", "to", "in", "is", "protocol", "message", "frame", "server", "client",
    "latency", "we", "measure", "results", "section", "figure", "table", "shows", "that", "for",
    "with", "data",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_set_has_the_size_of_the_wstest_file_it_stands_for() {
        let sizes: Vec<usize> = DataSet::ALL.iter().map(|set| set.bytes().len()).collect();
        assert_eq!(sizes, [194_056, 263_222, 222_218, 263_647, 1_042_328]);
    }

    #[test]
    fn text_sets_are_utf8_and_count_code_points() {
        assert!(DataSet::Json.bytes().is_ascii());
        assert_eq!(DataSet::Json.units(), 194_056);
        let html = std::str::from_utf8(DataSet::Html.bytes()).unwrap();
        assert_eq!(html.chars().filter(|c| !c.is_ascii()).count(), 26);
        assert_eq!(html.chars().count(), 263_620);
        assert_eq!(DataSet::Html.units(), 263_620);
    }

    #[test]
    fn binary_sets_count_octets() {
        for set in [DataSet::Image, DataSet::Novel, DataSet::Pdf] {
            assert!(!set.is_text());
            assert_eq!(set.units(), set.bytes().len());
        }
        // The novel has umlauts (it is UTF-8 text), yet counts octets.
        assert!(std::str::from_utf8(DataSet::Novel.bytes()).is_ok());
        assert!(!DataSet::Novel.bytes().is_ascii());
    }

    #[test]
    fn the_image_is_a_512_by_512_grey_scale_bitmap() {
        let bmp = DataSet::Image.bytes();
        assert_eq!(&bmp[..2], b"BM");
        let le32 = |at: usize| u32::from_le_bytes(bmp[at..at + 4].try_into().unwrap());
        assert_eq!(le32(2) as usize, bmp.len());
        assert_eq!(le32(10), 1078);
        assert_eq!((le32(18), le32(22)), (512, 512));
        assert_eq!(u16::from_le_bytes([bmp[28], bmp[29]]), 8);
    }

    #[test]
    fn the_pdf_xref_points_at_its_objects() {
        let pdf = DataSet::Pdf.bytes();
        assert!(pdf.starts_with(b"%PDF-1.4\n"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        // The end is ASCII: "startxref\n<offset>\n%%EOF\n".
        let end = std::str::from_utf8(&pdf[pdf.len() - 40..]).unwrap();
        let startxref: usize = end
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let table = std::str::from_utf8(&pdf[startxref..]).unwrap();
        assert!(table.starts_with("xref\n"));
        let entries: Vec<&str> = table
            .lines()
            .skip(3)
            .take_while(|l| l.ends_with(" n "))
            .collect();
        assert!(entries.len() > 100);
        for (n, entry) in (1..).zip(entries) {
            let offset: usize = entry[..10].parse().unwrap();
            assert!(
                pdf[offset..].starts_with(format!("{n} 0 obj\n").as_bytes()),
                "object {n}"
            );
        }
    }

    #[test]
    fn windows_advance_by_their_length() {
        let set = DataSet::Json;
        let bytes = set.bytes();
        assert_eq!(&*set.window(16, 0), &bytes[..16]);
        assert_eq!(&*set.window(16, 1), &bytes[16..32]);
        assert_eq!(&*set.window(4096, 10), &bytes[40960..45056]);
        assert!(set.window(0, 5).is_empty());
        let mut windows = set.windows(64);
        assert_eq!(&*windows.next().unwrap(), &bytes[..64]);
        assert_eq!(&*windows.next().unwrap(), &bytes[64..128]);
    }

    #[test]
    fn a_window_past_the_end_continues_at_the_start() {
        // 131072-octet windows of the 263222-octet image: the third starts at 262144.
        let set = DataSet::Image;
        let bytes = set.bytes();
        let third = set.window(131_072, 2);
        assert!(
            matches!(third, Cow::Borrowed(_)),
            "no copy: the set is held twice"
        );
        assert_eq!(third.len(), 131_072);
        assert_eq!(&third[..1078], &bytes[262_144..]);
        assert_eq!(&third[1078..], &bytes[..131_072 - 1078]);
        // The fourth starts where the third ended.
        assert_eq!(&*set.window(131_072, 3), &bytes[129_994..129_994 + 131_072]);
        // Longer than twice the set (no case has that): a copy cycling through it.
        let json = DataSet::Json.bytes();
        let long = DataSet::Json.window(2 * json.len() + 5, 0);
        assert!(matches!(long, Cow::Owned(_)));
        assert_eq!(&long[..json.len()], json);
        assert_eq!(&long[json.len()..2 * json.len()], json);
        assert_eq!(&long[2 * json.len()..], &json[..5]);
    }

    #[test]
    fn text_windows_count_code_points_across_the_wrap() {
        let set = DataSet::Html;
        let text: Vec<char> = std::str::from_utf8(set.bytes()).unwrap().chars().collect();
        let units = text.len();
        for (len, k) in [
            (16, 0),
            (4096, 3),
            (131_072, 1),
            (131_072, 2),
            (131_072, 1000),
            (65_536, 999),
        ] {
            let window = set.window(len, k);
            let start = k * len % units;
            let expected: String = (0..len).map(|i| text[(start + i) % units]).collect();
            assert_eq!(
                std::str::from_utf8(&window).unwrap(),
                expected,
                "len {len}, k {k}"
            );
            assert_eq!(set.units_in(&window), len);
        }
    }

    #[test]
    fn a_one_unit_window_of_a_text_set_is_one_whole_character() {
        let set = DataSet::Html;
        let text = std::str::from_utf8(set.bytes()).unwrap();
        let at = text.chars().position(|c| c == '\u{1f79}').unwrap();
        assert_eq!(&*set.window(1, at), "\u{1f79}".as_bytes());
        assert_eq!(&*set.window(1, at + 1), "σ".as_bytes());
    }

    #[test]
    fn building_twice_gives_the_same_octets() {
        for (set, build) in [
            (DataSet::Json, json as fn() -> Vec<u8>),
            (DataSet::Image, image),
            (DataSet::Novel, novel),
            (DataSet::Html, html),
            (DataSet::Pdf, pdf),
        ] {
            assert_eq!(build(), set.bytes(), "{}", set.name());
        }
    }

    /// Compressed over original octets, each `window`-octet piece compressed on its
    /// own as a suite message is (client side, no context takeover).
    fn deflate_ratio(bytes: &[u8], window: usize) -> f64 {
        use wsspec_codec::deflate::{DeflateConfig, PerMessageDeflate};
        let config = DeflateConfig {
            client_no_context_takeover: true,
            ..DeflateConfig::default()
        };
        let mut codec = PerMessageDeflate::new(wsspec_codec::Role::Client, config);
        let (mut plain, mut packed) = (0, 0);
        for piece in bytes.chunks_exact(window) {
            let mut out = Vec::new();
            codec.compress(piece, &mut out);
            plain += piece.len();
            packed += out.len();
        }
        packed as f64 / plain as f64
    }

    #[test]
    fn the_sets_deflate_about_as_well_as_wstests_files() {
        // (set, ratio of 4096-octet messages, of the whole file), as documented above.
        for (set, messages, whole) in [
            (DataSet::Json, 0.080, 0.040),
            (DataSet::Image, 0.875, 0.855),
            (DataSet::Novel, 0.497, 0.377),
            (DataSet::Html, 0.113, 0.062),
            (DataSet::Pdf, 0.846, 0.766),
        ] {
            let bytes = set.bytes();
            let measured = (
                deflate_ratio(bytes, 4096),
                deflate_ratio(bytes, bytes.len()),
            );
            let near = |got: f64, want: f64| (got - want).abs() <= 0.01 + want * 0.05;
            assert!(
                near(measured.0, messages) && near(measured.1, whole),
                "{}: {measured:?}",
                set.name()
            );
        }
    }

    #[test]
    fn the_sets_differ_from_each_other() {
        let heads: Vec<&[u8]> = DataSet::ALL.iter().map(|set| &set.bytes()[..64]).collect();
        for (i, a) in heads.iter().enumerate() {
            for b in &heads[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }
}
