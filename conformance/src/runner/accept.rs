//! How the suite, as server, answers a client's permessage-deflate offers (RFC 7692 §5):
//! as wstest's fuzzing server does, so that clients negotiate the same thing with both.
//!
//! wstest reads every `permessage-deflate` offer with autobahn's `PerMessageDeflateOffer.parse`
//! before the case is known; an invalid one fails the opening handshake (400), in every
//! case. Only sections 12 and 13 then accept an offer, with the accept functions of
//! case12_x_x.py, which mirror the offers the suite makes as client ([`Case::offers`]):
//! for each catalog offer `(server_no_context_takeover, server_max_window_bits)` =
//! `(nct, bits)` in turn, the first client offer that allows it is accepted, granting
//! what that offer requests and asking `client_no_context_takeover` when `nct` and
//! `client_max_window_bits=bits` when `bits` is set.
//!
//! Two quirks of autobahn's parser are kept, since they decide what is accepted: an offer
//! always counts as allowing `client_no_context_takeover`, whether it carries the
//! parameter or not; and it allows `client_max_window_bits` only when it carries it.

use wsspec_codec::deflate::DeflateConfig;
use wsspec_codec::handshake::ExtensionOffer;

use crate::catalog::Case;

/// The extension token.
const PERMESSAGE_DEFLATE: &str = "permessage-deflate";

/// Window bits a parameter may carry (RFC 7692 §7.1.2).
const WINDOW_BITS: std::ops::RangeInclusive<u8> = 8..=15;

/// One client offer as autobahn's `PerMessageDeflateOffer` reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientOffer {
    /// The client lets the server ask for `client_no_context_takeover` (always, in
    /// autobahn's reading).
    pub accept_no_context_takeover: bool,
    /// The offer carries `client_max_window_bits`, so the server may limit the client's
    /// window.
    pub accept_max_window_bits: bool,
    /// The offer asks for `server_no_context_takeover`.
    pub request_no_context_takeover: bool,
    /// The offer asks for `server_max_window_bits`.
    pub request_max_window_bits: Option<u8>,
}

/// What was agreed: the connection's parameters and the response element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The agreed parameters.
    pub config: DeflateConfig,
    /// The `Sec-WebSocket-Extensions` value of the response.
    pub response: String,
}

/// Reads one `permessage-deflate` offer; an error is what fails the handshake, in
/// autobahn's words.
pub fn parse_offer(ext: &ExtensionOffer) -> Result<ClientOffer, String> {
    let mut offer = ClientOffer {
        accept_no_context_takeover: true,
        accept_max_window_bits: false,
        request_no_context_takeover: false,
        request_max_window_bits: None,
    };
    let illegal_value = |name: &str, value: &str| {
        format!(
            "illegal extension parameter value '{value}' for parameter '{name}' of extension \
             '{PERMESSAGE_DEFLATE}'"
        )
    };
    let bits = |name: &str, value: &str| {
        value
            .parse::<u8>()
            .ok()
            .filter(|b| WINDOW_BITS.contains(b))
            .ok_or_else(|| illegal_value(name, value))
    };
    let mut seen: Vec<String> = Vec::new();
    for param in &ext.params {
        let name = param.name.to_ascii_lowercase();
        if seen.contains(&name) {
            return Err(format!(
                "multiple occurrence of extension parameter '{name}' for extension \
                 '{PERMESSAGE_DEFLATE}'"
            ));
        }
        seen.push(name.clone());
        let value = param.value.as_deref();
        match (name.as_str(), value) {
            ("client_max_window_bits", None) => offer.accept_max_window_bits = true,
            ("client_max_window_bits", Some(v)) => {
                bits(&name, v)?;
                offer.accept_max_window_bits = true;
            }
            ("client_no_context_takeover", None) => offer.accept_no_context_takeover = true,
            ("server_max_window_bits", Some(v)) => {
                offer.request_max_window_bits = Some(bits(&name, v)?)
            }
            // Python's int(True): a bare server_max_window_bits reads as 1.
            ("server_max_window_bits", None) => return Err(illegal_value(&name, "True")),
            ("server_no_context_takeover", None) => offer.request_no_context_takeover = true,
            ("client_no_context_takeover" | "server_no_context_takeover", Some(v)) => {
                return Err(illegal_value(&name, v))
            }
            _ => {
                return Err(format!(
                    "illegal extension parameter '{name}' for extension '{PERMESSAGE_DEFLATE}'"
                ))
            }
        }
    }
    Ok(offer)
}

/// The client's `permessage-deflate` offers, in order (other extensions are ignored).
pub fn parse_offers(extensions: &[ExtensionOffer]) -> Result<Vec<ClientOffer>, String> {
    extensions
        .iter()
        .filter(|ext| ext.name.eq_ignore_ascii_case(PERMESSAGE_DEFLATE))
        .map(parse_offer)
        .collect()
}

/// The answer of `case` to the client's offers: `None` when it accepts none (every
/// case outside sections 12 and 13, and those whose accept rule no offer allows).
pub fn accept(case: &Case, offers: &[ClientOffer]) -> Option<Accepted> {
    case.offers.iter().find_map(|rule| {
        let nct = rule.server_no_context_takeover();
        let bits = rule.server_max_window_bits();
        let offer = offers.iter().find(|o| {
            (!nct || o.accept_no_context_takeover) && (bits.is_none() || o.accept_max_window_bits)
        })?;
        Some(accepted(offer, nct, bits))
    })
}

/// autobahn's `PerMessageDeflateOfferAccept(offer, nct, bits)`: its response string and
/// the parameters `PerMessageDeflate.createFromOfferAccept` gives the server.
fn accepted(offer: &ClientOffer, nct: bool, bits: Option<u8>) -> Accepted {
    let mut response = PERMESSAGE_DEFLATE.to_owned();
    if offer.request_no_context_takeover {
        response.push_str("; server_no_context_takeover");
    }
    if let Some(b) = offer.request_max_window_bits {
        response.push_str(&format!("; server_max_window_bits={b}"));
    }
    if nct {
        response.push_str("; client_no_context_takeover");
    }
    if let Some(b) = bits {
        response.push_str(&format!("; client_max_window_bits={b}"));
    }
    Accepted {
        config: DeflateConfig {
            server_no_context_takeover: offer.request_no_context_takeover,
            client_no_context_takeover: nct,
            server_max_window_bits: offer.request_max_window_bits.unwrap_or(15),
            client_max_window_bits: bits.unwrap_or(15),
        },
        response,
    }
}

#[cfg(test)]
mod tests {
    use wsspec_codec::handshake::parse_extensions;

    use super::*;
    use crate::catalog;

    fn offers(header: &str) -> Vec<ClientOffer> {
        parse_offers(&parse_extensions(header).unwrap()).unwrap()
    }

    fn answer(id: &str, header: &str) -> Option<String> {
        accept(catalog::find(id).unwrap(), &offers(header)).map(|a| a.response)
    }

    #[test]
    fn only_sections_12_and_13_accept_deflate() {
        assert_eq!(answer("1.1.1", "permessage-deflate"), None);
        assert_eq!(
            answer("12.1.1", "permessage-deflate; client_max_window_bits"),
            Some("permessage-deflate".to_owned())
        );
    }

    #[test]
    fn the_response_grants_what_the_offer_requests() {
        assert_eq!(
            answer(
                "12.2.3",
                "x-webkit-deflate-frame, permessage-deflate; server_no_context_takeover; \
                 server_max_window_bits=10"
            ),
            Some(
                "permessage-deflate; server_no_context_takeover; server_max_window_bits=10"
                    .to_owned()
            )
        );
    }

    #[test]
    fn section_13_asks_the_client_for_its_window_only_where_the_offer_allows_it() {
        // 13.3: (false, 9) needs client_max_window_bits in the offer.
        assert_eq!(answer("13.3.1", "permessage-deflate"), None);
        assert_eq!(
            answer("13.3.1", "permessage-deflate; client_max_window_bits"),
            Some("permessage-deflate; client_max_window_bits=9".to_owned())
        );
        // 13.2: (true, none) is allowed by any offer, as autobahn reads them.
        assert_eq!(
            answer("13.2.1", "permessage-deflate"),
            Some("permessage-deflate; client_no_context_takeover".to_owned())
        );
        // 13.7 falls back from (true, 9) to (true, none).
        assert_eq!(
            answer("13.7.1", "permessage-deflate"),
            Some("permessage-deflate; client_no_context_takeover".to_owned())
        );
        let a = accept(
            catalog::find("13.7.1").unwrap(),
            &offers("permessage-deflate; client_max_window_bits"),
        )
        .unwrap();
        assert_eq!(
            a.response,
            "permessage-deflate; client_no_context_takeover; client_max_window_bits=9"
        );
        assert_eq!(
            a.config,
            DeflateConfig {
                server_no_context_takeover: false,
                client_no_context_takeover: true,
                server_max_window_bits: 15,
                client_max_window_bits: 9,
            }
        );
    }

    #[test]
    fn invalid_offers_fail_the_handshake_with_autobahns_reason() {
        let parse = |h: &str| parse_offers(&parse_extensions(h).unwrap());
        assert_eq!(
            parse("permessage-deflate; foo").unwrap_err(),
            "illegal extension parameter 'foo' for extension 'permessage-deflate'"
        );
        assert_eq!(
            parse("permessage-deflate; client_max_window_bits=16").unwrap_err(),
            "illegal extension parameter value '16' for parameter 'client_max_window_bits' of \
             extension 'permessage-deflate'"
        );
        assert!(parse("permessage-deflate; server_max_window_bits").is_err());
        assert!(parse(
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover"
        )
        .is_err());
        // Other extensions are not read at all.
        assert_eq!(parse("x-foo; bar=1").unwrap(), vec![]);
    }
}
