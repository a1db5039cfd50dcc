//! The legacy hixie-76 (draft-ietf-hybi-thewebsocketprotocol-00) protocol.
