//! wsspec-autobahn
