//! The outbox segment reader: a segment file with torn, corrupted or
//! hand-made frames (checksummed, so the record decoder behind the CRC is
//! reached), and any acknowledged position, opened as the bridge does after a
//! restart, read as the relay does, acknowledged, and opened again.
//!
//! Input: [`eventdeck_fuzz::OutboxInput`].
#![no_main]

use eventdeck::fuzzing::outbox_reopen;
use eventdeck_fuzz::OutboxInput;
use libfuzzer_sys::fuzz_target;

/// Check word of the `acked` file (as the outbox writes it).
const ACKED_MAGIC: u64 = 0x6576_656e_7464_6563;

fuzz_target!(|data: &[u8]| {
    let Some(input) = OutboxInput::parse(data) else {
        return;
    };
    // tmpfs where there is one: fsync is free there.
    let shm = std::path::Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let Ok(dir) = tempfile::Builder::new()
        .prefix("eventdeck-fuzz-outbox")
        .tempdir_in(base)
    else {
        return;
    };
    let segment = dir.path().join(format!("{:020}.seg", input.first));
    if std::fs::write(&segment, &input.segment).is_err() {
        return;
    }
    if input.acked != 0 {
        let mut acked = input.acked.to_le_bytes().to_vec();
        acked.extend_from_slice(&(input.acked ^ ACKED_MAGIC).to_le_bytes());
        if std::fs::write(dir.path().join("acked"), acked).is_err() {
            return;
        }
    }
    let reopened = match outbox_reopen(dir.path()) {
        Ok(r) => r,
        Err(e) => panic!("reopening the outbox failed: {e}"),
    };
    let seqs: Vec<u64> = reopened.records.iter().map(|(s, _)| *s).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "records in order: {seqs:?}"
    );
    // A position past i64::MAX is damage, read as none (the outbox's MAX_SEQ).
    let acked = if input.acked > i64::MAX as u64 {
        0
    } else {
        input.acked
    };
    assert!(
        seqs.iter().all(|s| *s > acked),
        "only records past the acked position"
    );
    assert_eq!(
        reopened.depth,
        seqs.len() as u64,
        "depth counts the records waiting"
    );
    assert_eq!(
        reopened.depth_after_ack, 0,
        "nothing waits once all is acknowledged"
    );
    assert!(
        reopened.after_ack.is_empty(),
        "acknowledged records are not sent again"
    );
});
