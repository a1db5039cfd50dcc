//! wsspec's own sections as data: ids that never collide with Autobahn's, an RFC rule
//! and an expectation on every case, the suites `--suite` selects, and data that means
//! what the cases say (requests the codec refuses or accepts as the case expects, a
//! bomb that inflates as described, split replays that keep Autobahn's expectations).

use std::collections::HashSet;

use wsspec::catalog::wsspec::{
    deflate_bomb_unit, over_limit_steps, ping_flood_payload, Answer, Exec, Split, BOMB_UNIT_ZEROS,
};
use wsspec::catalog::{self, Case, CasePattern, Check, Payload, Peer, Step, Suite};
use wsspec::runner::handshake::request_bytes;
use wsspec::runner::Target;
use wsspec_codec::deflate::{DeflateConfig, PerMessageDeflate, EMPTY_BLOCK_TAIL};
use wsspec_codec::frame::Role;
use wsspec_codec::handshake::{find_head_end, Request, RequestHead};
use wsspec_codec::Limits;

fn ours() -> &'static [Case] {
    catalog::suite(Suite::Wsspec, None)
}

fn section(case: &Case) -> u32 {
    case.id.section().parse().unwrap()
}

fn find(id: &str) -> &'static Case {
    ours()
        .iter()
        .find(|c| c.id.as_str() == id)
        .unwrap_or_else(|| panic!("no case {id}"))
}

#[test]
fn ids_are_unique_sorted_and_never_autobahns() {
    let autobahn: HashSet<&str> = catalog::autobahn().iter().map(|c| c.id.as_str()).collect();
    let mut seen = HashSet::new();
    for case in ours() {
        assert!(seen.insert(case.id.as_str()), "{} twice", case.id);
        assert!(
            !autobahn.contains(case.id.as_str()),
            "{} is Autobahn's",
            case.id
        );
        assert!((100..=105).contains(&section(case)), "{}", case.id);
        assert!(
            case.id
                .as_str()
                .split('.')
                .all(|p| p.parse::<u32>().is_ok()),
            "{} parses like an Autobahn id",
            case.id
        );
    }
    for pair in ours().windows(2) {
        assert!(
            pair[0].id < pair[1].id,
            "{} before {}",
            pair[0].id,
            pair[1].id
        );
    }
}

#[test]
fn every_case_cites_its_rule_and_says_what_is_expected() {
    for case in ours() {
        let spec = case
            .spec()
            .unwrap_or_else(|| panic!("{} has no spec", case.id));
        assert!(
            spec.rfc.starts_with("RFC ") || spec.rfc.starts_with("draft-hixie-76 "),
            "{}: {:?}",
            case.id,
            spec.rfc
        );
        assert!(
            spec.rfc.contains('§'),
            "{}: {:?} names a section",
            case.id,
            spec.rfc
        );
        assert!(spec.expected.len() > 20, "{}: {:?}", case.id, spec.expected);
        assert!(!case.description.is_empty(), "{}", case.id);
    }
    assert!(catalog::autobahn().iter().all(|c| c.spec().is_none()));
}

#[test]
fn every_section_the_ids_name_has_cases() {
    let sections: HashSet<u32> = ours().iter().map(section).collect();
    assert_eq!(sections, HashSet::from([100, 102, 103, 104, 105]));
    for prefix in [
        "100.1.", "100.2.", "100.3.", "100.4.", "100.5.", "100.6.", "100.7.", "100.8.", "102.1.",
        "102.2.", "103.1.", "103.2.", "103.3.", "103.4.", "104.1.", "104.2.", "105.1.", "105.2.",
        "105.3.",
    ] {
        assert!(
            ours().iter().any(|c| c.id.as_str().starts_with(prefix)),
            "nothing in {prefix}*"
        );
    }
}

#[test]
fn suites_select_by_name_and_by_the_peer_under_test() {
    assert_eq!(catalog::suite(Suite::Autobahn, None).len(), 517);
    let all = catalog::suite(Suite::All, Some(Peer::Server));
    let servers = catalog::suite(Suite::Wsspec, Some(Peer::Server));
    assert_eq!(all.len(), 517 + servers.len());
    assert_eq!(all[516].id.as_str(), "13.7.18");
    assert_eq!(all[517].id, servers[0].id);
    // Handshake and hixie-76 cases test servers only; 103.2/103.3 too, for now.
    let clients = catalog::suite(Suite::Wsspec, Some(Peer::Client));
    for case in clients {
        assert!(
            !matches!(section(case), 100 | 105) && !case.id.as_str().starts_with("103.2"),
            "{} cannot test a client",
            case.id
        );
    }
    assert!(clients.iter().any(|c| c.id.as_str() == "102.1.1"));
    assert!(clients.iter().any(|c| c.id.as_str() == "104.1.1.1.1"));
    for name in Suite::NAMES {
        let suite: Suite = name.parse().unwrap();
        assert_eq!(suite.to_string(), name);
    }
    assert!("bogus"
        .parse::<Suite>()
        .unwrap_err()
        .contains("autobahn, wsspec, all"));
    assert_eq!(Suite::default(), Suite::Autobahn);
}

#[test]
fn patterns_select_within_a_suite() {
    let pick = |suite, pattern: &str| -> Vec<&str> {
        catalog::select(
            catalog::suite(suite, Some(Peer::Server)),
            &[CasePattern::new(pattern)],
            &[],
        )
        .unwrap()
        .into_iter()
        .map(|c| c.id.as_str())
        .collect()
    };
    assert_eq!(pick(Suite::Wsspec, "100.2.*").len(), 4);
    // 6.4.x race fixed waits, so they are not replayed split.
    assert!(catalog::select(
        catalog::suite(Suite::Wsspec, Some(Peer::Server)),
        &[CasePattern::new("104.1.6.4.*")],
        &[]
    )
    .is_err());
    assert!(pick(Suite::Wsspec, "104.1.6.*")
        .iter()
        .all(|id| id.starts_with("104.1.6.")));
    assert!(catalog::select(
        catalog::suite(Suite::Autobahn, Some(Peer::Server)),
        &[CasePattern::new("100.*")],
        &[]
    )
    .is_err());
    // wstest's anchored-at-the-start rule: `1*` reaches the 100s in the full suite.
    let ones = pick(Suite::All, "1*");
    assert!(ones.contains(&"13.7.18") && ones.contains(&"105.3.2"));
}

#[test]
fn split_replays_keep_autobahns_expectations() {
    let replayed: Vec<&Case> = ours()
        .iter()
        .filter(|c| c.id.as_str().starts_with("104.1."))
        .collect();
    let random = ours()
        .iter()
        .filter(|c| c.id.as_str().starts_with("104.2."))
        .count();
    assert_eq!(replayed.len(), random);
    let autobahn_ids: HashSet<&str> = replayed
        .iter()
        .map(|c| &c.id.as_str()["104.1.".len()..])
        .collect();
    for case in catalog::autobahn() {
        let section = section(case);
        let expected = matches!(section, 1..=7 | 10) && !case.timing_sensitive;
        assert_eq!(
            autobahn_ids.contains(case.id.as_str()),
            expected,
            "{}",
            case.id
        );
    }
    for case in &replayed {
        let original = catalog::find(&case.id.as_str()["104.1.".len()..]).unwrap();
        assert_eq!(case.steps, original.steps);
        assert_eq!(case.expected, original.expected);
        assert_eq!(case.expected_close, original.expected_close);
        assert_eq!(case.split(), Some(Split::EveryOctet));
        assert!(case.description.contains(original.id.as_str()));
        assert!(!case.timing_sensitive);
    }
    let random_case = find("104.2.1.1.1");
    assert!(matches!(
        random_case.split(),
        Some(Split::Random { max: 64, .. })
    ));
    assert_ne!(find("104.2.1.1.1").split(), find("104.2.1.1.2").split());
}

#[test]
fn handshake_requests_mean_what_their_cases_say() {
    let target = Target {
        host: "127.0.0.1".to_owned(),
        port: 9001,
        resource: "/".to_owned(),
    };
    for case in ours().iter().filter(|c| section(c) == 100) {
        let Some(Exec::Handshake(handshake)) = case.spec().map(|s| &s.exec) else {
            panic!("{} is not a handshake case", case.id);
        };
        let bytes = request_bytes(handshake, &target);
        // 100.6.3 sends octets after the head.
        let end = find_head_end(&bytes, 0, &Limits::uniform(4 << 20))
            .unwrap()
            .unwrap_or_else(|| panic!("{}: the head never ends", case.id));
        assert!(
            end == bytes.len() || case.id.as_str() == "100.6.3",
            "{}",
            case.id
        );
        let head = RequestHead::parse(&bytes[..end])
            .unwrap_or_else(|e| panic!("{}: not HTTP: {e}", case.id));
        let valid = Request::from_head(head);
        match &handshake.answer {
            Answer::Upgrade { .. } => assert!(valid.is_ok(), "{}: {valid:?}", case.id),
            Answer::Refuse { lenient: false, .. } => {
                assert!(valid.is_err(), "{} must be refused", case.id)
            }
            Answer::Refuse { lenient: true, .. } => {
                assert!(bytes.len() > 100 << 10, "{} is oversized", case.id)
            }
        }
    }
}

#[test]
fn the_bomb_inflates_a_thousandfold() {
    let unit = deflate_bomb_unit();
    assert!(unit.ends_with(&EMPTY_BLOCK_TAIL));
    assert!(unit.len() * 500 < BOMB_UNIT_ZEROS, "{} octets", unit.len());
    // Three units less the tail: a message of 3 MiB of zeros.
    let mut message = unit.repeat(3);
    message.truncate(message.len() - EMPTY_BLOCK_TAIL.len());
    let config = DeflateConfig {
        client_no_context_takeover: true,
        ..DeflateConfig::default()
    };
    let mut server = PerMessageDeflate::new(Role::Server, config);
    let mut out = Vec::new();
    server.decompress(&message, &mut out, 4 << 20).unwrap();
    server.finish_message(&mut out, 4 << 20).unwrap();
    assert_eq!(out.len(), 3 * BOMB_UNIT_ZEROS);
    assert!(out.iter().all(|&b| b == 0));
    // The catalog's bomb is 1024 units, announced as one frame in 103.3.1.
    let Some(Step::Frame(frame)) = find("103.3.1").steps.first() else {
        panic!("103.3.1 starts with its frame");
    };
    assert_eq!(frame.rsv, 4);
    assert_eq!(
        frame.payload,
        Payload::Repeat {
            unit,
            len: 1024 * unit.len() - 4
        }
    );
}

#[test]
fn flood_pings_are_distinct_control_frames() {
    let payloads: HashSet<Vec<u8>> = (0..5000).map(ping_flood_payload).collect();
    assert_eq!(payloads.len(), 5000);
    assert!(payloads.iter().all(|p| p.len() == 125));
    assert!(ping_flood_payload(42).starts_with(b"wsspec ping 00042 "));
}

#[test]
fn over_limit_cases_are_made_from_the_peers_limit() {
    let echo = over_limit_steps(find("103.2.1"), 1000, true, None);
    assert!(matches!(
        echo.check,
        Check::EchoLength {
            len: 1000,
            binary: true,
            ..
        }
    ));
    let over = over_limit_steps(find("103.2.3"), 1001, false, Some(2));
    let sent: Vec<_> = over
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Message {
                payload,
                fragment_size,
                ..
            } => Some((payload.len(), *fragment_size)),
            _ => None,
        })
        .collect();
    assert_eq!(sent, [(1001, Some(501))]);
    assert_eq!(over.expected_close.codes, [1009]);
    assert!(over.expected_close.wrong_endpoint_is_fatal);
}
