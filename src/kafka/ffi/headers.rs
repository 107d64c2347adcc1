//! A consumed message's headers as bytes, read straight from librdkafka:
//! rust-rdkafka's `Headers::try_get` checks every name for UTF-8 (and
//! panics on one that is not), which a search judging millions of records
//! on their bytes does not need.

use std::ffi::CStr;

use rdkafka::bindings as sys;
use rdkafka::message::BorrowedMessage;

/// What is asked of each header: its name's bytes and its value (a null
/// value is `None`); true stops the walk.
pub type OnHeader<'f> = dyn FnMut(&[u8], Option<&[u8]>) -> bool + 'f;

/// True when `f` is true for any of `m`'s headers (name, value; a null
/// value is `None`), asked in order; false when it has none.
pub fn any_header(m: &BorrowedMessage<'_>, f: &mut OnHeader<'_>) -> bool {
    let mut hdrs: *mut sys::rd_kafka_headers_t = std::ptr::null_mut();
    // SAFETY: `m.ptr()` is a live message for the borrow of `m`; librdkafka
    // writes a pointer to the message's own header list (or leaves it null
    // and returns an error when there is none); the list belongs to the
    // message and is freed with it, not by us.
    let err = unsafe { sys::rd_kafka_message_headers(m.ptr(), &mut hdrs) };
    if err != sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR || hdrs.is_null() {
        return false;
    }
    let mut idx = 0;
    loop {
        let mut name: *const std::ffi::c_char = std::ptr::null();
        let mut value: *const std::ffi::c_void = std::ptr::null();
        let mut size: usize = 0;
        let (n, v, len) = (&mut name, &mut value, &mut size);
        // SAFETY: `hdrs` is the message's live header list; librdkafka
        // writes pointers into it for an index in range and returns an
        // error (writing nothing we read) past the end.
        let err = unsafe { sys::rd_kafka_header_get_all(hdrs, idx, n, v, len) };
        if err != sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR || name.is_null() {
            return false;
        }
        // SAFETY: `name` is a NUL-terminated string owned by the header list,
        // alive as long as the message borrowed by `m`, which outlives the
        // returned slice's use in `f`.
        let name = unsafe { CStr::from_ptr(name) }.to_bytes();
        let value = (!value.is_null()).then(|| {
            // SAFETY: `value` points at `size` bytes owned by the header
            // list, alive for the borrow of `m`.
            unsafe { std::slice::from_raw_parts(value.cast::<u8>(), size) }
        });
        if f(name, value) {
            return true;
        }
        idx += 1;
    }
}
