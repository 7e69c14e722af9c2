//! Plan loading must never panic, whatever the bytes: it returns a plan or errors with locations.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        remedy::load_plan_for_fuzzing(text);
    }
});
