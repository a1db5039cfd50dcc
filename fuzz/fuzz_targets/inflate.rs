#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wsspec_fuzz::inflate::run(data));
