//! `roundtrip`: arbitrary valid frames and messages (built with `arbitrary`) encode and
//! decode back to themselves, in both roles, with any masking key, any length form and
//! any read size; messages also through a pair of [`Connection`]s, fragmented
//! anywhere (text even inside a code point) and compressed when permessage-deflate is
//! agreed, ending with a clean closing handshake.

use arbitrary::{Arbitrary, Unstructured};
use wsspec_codec::connection::{Config, Connection, Event, State};
use wsspec_codec::deflate::DeflateConfig;
use wsspec_codec::frame::{Frame, FrameHeader, LengthForm, Opcode, Role, RSV1};
use wsspec_codec::mask::{apply_mask, apply_mask_reference};
use wsspec_codec::message::Message;
use wsspec_codec::{CloseCode, CloseFrame, Limits};

use crate::frame_decode::decode_frames;
use crate::input::ChunkPlan;
use crate::model::Ending;

#[derive(Debug, Arbitrary)]
struct Case {
    sender_is_client: bool,
    read_size: u8,
    frames: Vec<ArbFrame>,
    deflate: Option<ArbDeflate>,
    keys: Vec<[u8; 4]>,
    messages: Vec<ArbMessage>,
}

#[derive(Debug, Arbitrary)]
struct ArbFrame {
    opcode: u8,
    fin: bool,
    rsv1: bool,
    form: u8,
    key: [u8; 4],
    mask_offset: u8,
    payload: Vec<u8>,
}

#[derive(Debug, Arbitrary)]
struct ArbDeflate {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_bits: u8,
    client_bits: u8,
    level: u8,
}

#[derive(Debug, Arbitrary)]
enum ArbMessage {
    Text { text: String, cuts: Vec<u8> },
    Binary { data: Vec<u8>, cuts: Vec<u8> },
    Ping(Vec<u8>),
    Pong(Vec<u8>),
}

const OPCODES: [Opcode; 6] = [
    Opcode::Continuation,
    Opcode::Text,
    Opcode::Binary,
    Opcode::Close,
    Opcode::Ping,
    Opcode::Pong,
];

/// Makes `f` a frame a `sender` may send: control frames final and ≤ 125 bytes, RSV1
/// only on the first frame of a data message, masked iff sent by a client.
fn valid_frame(f: &ArbFrame, sender: Role) -> (Frame, LengthForm) {
    let opcode = OPCODES[usize::from(f.opcode) % OPCODES.len()];
    let mut payload = f.payload.clone();
    let fin = if opcode.is_control() {
        payload.truncate(125);
        true
    } else {
        f.fin
    };
    let rsv = if f.rsv1 && matches!(opcode, Opcode::Text | Opcode::Binary) {
        RSV1
    } else {
        0
    };
    let form = match f.form % 3 {
        0 => LengthForm::Minimal,
        1 => LengthForm::Extended16,
        _ => LengthForm::Extended64,
    };
    let header = FrameHeader {
        fin,
        rsv,
        opcode,
        mask: (sender == Role::Client).then_some(f.key),
        payload_len: payload.len() as u64,
    };
    (Frame { header, payload }, form)
}

fn check_frames(case: &Case, sender: Role) {
    let mut wire = Vec::new();
    let mut expected = Vec::new();
    for f in &case.frames {
        let (frame, form) = valid_frame(f, sender);
        let start = wire.len();
        frame.header.encode_with(form, &mut wire);
        let body = wire.len();
        wire.extend_from_slice(&frame.payload);
        if let Some(key) = frame.header.mask {
            apply_mask(&mut wire[body..], key, 0);
        }
        if form == LengthForm::Minimal {
            let mut encoded = Vec::new();
            frame.encode(&mut encoded);
            assert_eq!(
                encoded,
                wire[start..],
                "Frame::encode differs from the header + mask"
            );
        }
        // Masking from any offset agrees with the byte-at-a-time reference (§5.3).
        let offset = usize::from(f.mask_offset);
        let mut fast = f.payload.clone();
        let mut slow = f.payload.clone();
        apply_mask(&mut fast, f.key, offset);
        apply_mask_reference(&mut slow, f.key, offset);
        assert_eq!(fast, slow, "apply_mask differs from the reference");
        expected.push(frame);
    }
    let limits = Limits::default();
    for pieces in [
        vec![wire.as_slice()],
        ChunkPlan::new(&[case.read_size]).split(&wire),
    ] {
        let mut dec = wsspec_codec::decode::FrameDecoder::new(sender.peer(), limits);
        dec.set_allowed_rsv(RSV1);
        let (frames, ending) = decode_frames(&mut dec, &pieces);
        assert_eq!(ending, Ending::NeedMore(2), "valid frames failed to decode");
        assert_eq!(frames, expected, "frames did not round-trip");
    }
}

fn deflate_config(d: &ArbDeflate) -> DeflateConfig {
    DeflateConfig {
        server_no_context_takeover: d.server_no_context_takeover,
        client_no_context_takeover: d.client_no_context_takeover,
        server_max_window_bits: 8 + d.server_bits % 8,
        client_max_window_bits: 8 + d.client_bits % 8,
    }
}

fn deliver(to: &mut Connection, bytes: &[u8], read_size: u8) {
    for piece in ChunkPlan::new(&[read_size]).split(bytes) {
        to.receive_data(piece);
    }
}

fn events(conn: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| conn.next_event()).collect()
}

fn check_messages(case: &Case, sender_role: Role) {
    let config = Config {
        limits: Limits::default(),
        deflate: case.deflate.as_ref().map(deflate_config),
        deflate_level: case.deflate.as_ref().map(|d| u32::from(d.level % 10)),
    };
    let keys = if case.keys.is_empty() {
        vec![[0; 4]]
    } else {
        case.keys.clone()
    };
    let mut next_key = 0usize;
    let mut sender =
        Connection::new(sender_role, config.clone()).with_mask_source(Box::new(move || {
            next_key = next_key.wrapping_add(1);
            let len = keys.len();
            keys[next_key % len]
        }));
    let mut receiver = Connection::new(sender_role.peer(), config);
    let mut expected = Vec::new();
    let mut pongs = Vec::new();
    for m in &case.messages {
        match m {
            ArbMessage::Text { text, cuts } => {
                send(&mut sender, Opcode::Text, text.as_bytes(), cuts);
                expected.push(Event::Message(Message::Text(text.clone())));
            }
            ArbMessage::Binary { data, cuts } => {
                send(&mut sender, Opcode::Binary, data, cuts);
                expected.push(Event::Message(Message::Binary(data.clone())));
            }
            ArbMessage::Ping(p) => {
                let p = &p[..p.len().min(125)];
                sender.send_ping(p).expect("ping before close");
                expected.push(Event::Ping(p.to_vec()));
                pongs.push(Event::Pong(p.to_vec()));
            }
            ArbMessage::Pong(p) => {
                let p = &p[..p.len().min(125)];
                sender.send_pong(p).expect("pong before close");
                expected.push(Event::Pong(p.to_vec()));
            }
        }
    }
    sender.close(Some(CloseCode::NORMAL), "bye");
    expected.push(Event::Close(CloseFrame::new(CloseCode::NORMAL, "bye")));
    deliver(&mut receiver, &sender.data_to_send(), case.read_size);
    assert_eq!(
        events(&mut receiver),
        expected,
        "messages did not round-trip"
    );
    assert_eq!(receiver.state(), State::Closed);

    deliver(&mut sender, &receiver.data_to_send(), case.read_size);
    pongs.push(Event::Close(CloseFrame {
        code: Some(CloseCode::NORMAL),
        reason: String::new(),
    }));
    assert_eq!(events(&mut sender), pongs, "pongs and the close reply");
    assert_eq!(sender.state(), State::Closed);
    assert!(sender.error().is_none() && receiver.error().is_none());
}

/// Sends a whole message, or fragments cut by `cuts` (uncompressed).
fn send(conn: &mut Connection, opcode: Opcode, bytes: &[u8], cuts: &[u8]) {
    if cuts.is_empty() {
        let sent = match opcode {
            Opcode::Text => conn.send_text(std::str::from_utf8(bytes).expect("text")),
            _ => conn.send_binary(bytes),
        };
        sent.expect("send before close");
        return;
    }
    let pieces = ChunkPlan::new(cuts).split(bytes);
    let last = pieces.len() - 1;
    for (i, piece) in pieces.iter().enumerate() {
        let op = if i == 0 { opcode } else { Opcode::Continuation };
        conn.send_fragment(op, piece, i == last)
            .expect("fragment before close");
    }
}

/// The target.
pub fn run(data: &[u8]) {
    let Ok(case) = Case::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let sender = if case.sender_is_client {
        Role::Client
    } else {
        Role::Server
    };
    check_frames(&case, sender);
    check_messages(&case, sender);
}
