//! The one door to librdkafka's own admin API where rust-rdkafka has no
//! wrapper (ListConsumerGroups, DescribeConsumerGroups, DescribeCluster,
//! ListOffsets, Describe/Create/DeleteAcls, Describe/AlterUserScramCredentials),
//! and to a consumed message's header bytes (`headers`): the only module of
//! the crate with `unsafe`.
//!
//! Rules kept here (and checked by `scripts/leakcheck`, which runs these
//! tests under valgrind against real Kafka):
//! - every `unsafe` block carries a `// SAFETY:` line;
//! - every C object is owned by a Rust type whose `Drop` frees it
//!   ([`Queue`], [`Options`], [`Event`], [`OwnedError`], a partition list),
//!   so no path can leak one;
//! - results are copied into owned Rust types while their [`Event`] is alive;
//!   no pointer into a result outlives the borrow of its event;
//! - no callbacks into Rust: results are polled from a queue of our own.
//!
//! The calls run on the clients eventdeck already makes
//! ([`client_config`](super::client::client_config)), so SASL, TLS and `-X`
//! properties apply unchanged.
#![deny(unsafe_op_in_unsafe_fn)]

mod acls;
mod cluster;
mod groups;
mod headers;
mod offsets;
mod scram;

use std::ffi::{CStr, c_char, c_int};
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::time::Duration;

use rdkafka::bindings as sys;
use rdkafka::client::Client;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::types::RDKafkaErrorCode;

use super::client::{KafkaError, SecurityContext, client_config, metadata_of};
use crate::config::Settings;

pub use acls::{
    AclBinding, AclFilter, Operation, PatternType, Permission, ResourceType, acl_line,
    cluster_operations, create_acls, delete_acls, describe_acls,
};
pub use cluster::{ClusterDescription, describe_cluster};
pub use groups::{
    GroupDescription, GroupListing, GroupType, ListedGroups, MemberDescription,
    describe_consumer_groups, list_consumer_groups,
};
pub use headers::{OnHeader, any_header};
pub use offsets::{Isolation, ListedOffset, OffsetSpec, list_offsets};
pub use scram::{
    ScramCredential, ScramMechanism, ScramUser, delete_scram_credential,
    describe_user_scram_credentials, upsert_scram_credential,
};

/// How long the broker side of one admin request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Extra wait for the result beyond the request timeout: librdkafka answers
/// with a timeout error itself by then, so this only guards against a lost
/// event (the poll must never hang).
const RESULT_MARGIN: Duration = Duration::from_secs(5);

/// A broker as the admin API names it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Node {
    /// Broker id.
    pub id: i32,
    /// Advertised host.
    pub host: String,
    /// Advertised port.
    pub port: u16,
    /// `broker.rack`, when set.
    pub rack: Option<String>,
}

/// A client for these admin calls: the same configuration as every other
/// eventdeck client, checked with a metadata request first so an unreachable
/// cluster or a refused login is named within a second or two.
pub struct AdminHandle {
    consumer: BaseConsumer<SecurityContext>,
}

impl AdminHandle {
    /// Connects for `action` ("describing consumer groups"); refused without
    /// asking when the brokers have no admin APIs. Blocking.
    pub fn connect(settings: &Settings, action: &str) -> Result<Self, KafkaError> {
        settings.caps.admin(action)?;
        let cfg = client_config(settings);
        let consumer: BaseConsumer<SecurityContext> = cfg
            .create_with_context(SecurityContext::default())
            .map_err(|e| KafkaError::client("creating a client", e))?;
        metadata_of(&consumer, &cfg, &settings.brokers, None)?;
        Ok(Self { consumer })
    }

    /// The client itself, for the requests rust-rdkafka does wrap.
    pub(crate) fn consumer(&self) -> &BaseConsumer<SecurityContext> {
        &self.consumer
    }

    fn client(&self) -> &Client<SecurityContext> {
        self.consumer.client()
    }
}

/// A result queue of our own on a client. Borrows the client: librdkafka
/// requires every queue to be destroyed before its `rd_kafka_t`.
struct Queue<'c> {
    ptr: NonNull<sys::rd_kafka_queue_t>,
    _client: PhantomData<&'c Client<SecurityContext>>,
}

impl<'c> Queue<'c> {
    fn new(client: &'c Client<SecurityContext>) -> Result<Self, KafkaError> {
        // SAFETY: native_ptr is the live rd_kafka_t owned by `client`, which the
        // returned Queue borrows, so it outlives the queue.
        let raw = unsafe { sys::rd_kafka_queue_new(client.native_ptr()) };
        let ptr = NonNull::new(raw).ok_or_else(|| {
            KafkaError::Invalid("librdkafka could not make a result queue".into())
        })?;
        Ok(Self {
            ptr,
            _client: PhantomData,
        })
    }

    /// Waits up to `timeout` for the next event on the queue.
    fn poll(&self, timeout: Duration) -> Option<Event> {
        let ms = c_int::try_from(timeout.as_millis()).unwrap_or(c_int::MAX);
        // SAFETY: the queue pointer is live (owned by self); the returned event,
        // when not null, is ours to destroy, which Event's Drop does.
        let raw = unsafe { sys::rd_kafka_queue_poll(self.ptr.as_ptr(), ms) };
        NonNull::new(raw).map(Event)
    }
}

impl Drop for Queue<'_> {
    fn drop(&mut self) {
        // SAFETY: created by rd_kafka_queue_new and destroyed exactly once, here,
        // while the client it belongs to is still alive (borrowed by 'c).
        unsafe { sys::rd_kafka_queue_destroy(self.ptr.as_ptr()) }
    }
}

/// Admin options for one request.
struct Options(NonNull<sys::rd_kafka_AdminOptions_t>);

impl Options {
    fn new(
        client: &Client<SecurityContext>,
        op: sys::rd_kafka_admin_op_t,
        timeout: Duration,
    ) -> Result<Self, KafkaError> {
        // SAFETY: native_ptr is the client's live rd_kafka_t; the options object
        // returned is owned by the Options value and freed by its Drop.
        let raw = unsafe { sys::rd_kafka_AdminOptions_new(client.native_ptr(), op) };
        let opts =
            Self(NonNull::new(raw).ok_or_else(|| {
                KafkaError::Invalid("librdkafka refused the admin options".into())
            })?);
        let ms = c_int::try_from(timeout.as_millis()).unwrap_or(c_int::MAX);
        let mut errstr = [0 as c_char; 256];
        // SAFETY: opts is live; errstr is a writable buffer of the length passed,
        // which librdkafka NUL-terminates within that length.
        let err = unsafe {
            sys::rd_kafka_AdminOptions_set_request_timeout(
                opts.0.as_ptr(),
                ms,
                errstr.as_mut_ptr(),
                errstr.len(),
            )
        };
        if err != sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            // SAFETY: errstr is NUL-terminated by librdkafka (and zeroed before).
            let why = unsafe { owned(errstr.as_ptr()) }.unwrap_or_default();
            return Err(KafkaError::Invalid(format!(
                "librdkafka refused the request timeout: {why}"
            )));
        }
        Ok(opts)
    }
}

impl Options {
    /// Sets the isolation level (ListOffsets).
    fn set_isolation(&self, level: offsets::Isolation) -> Result<(), KafkaError> {
        let value = match level {
            offsets::Isolation::ReadUncommitted => {
                sys::rd_kafka_IsolationLevel_t::RD_KAFKA_ISOLATION_LEVEL_READ_UNCOMMITTED
            }
            offsets::Isolation::ReadCommitted => {
                sys::rd_kafka_IsolationLevel_t::RD_KAFKA_ISOLATION_LEVEL_READ_COMMITTED
            }
        };
        // SAFETY: the options are live; the error returned, when not null, is
        // ours and freed by OwnedError's Drop.
        let err = OwnedError::new(unsafe {
            sys::rd_kafka_AdminOptions_set_isolation_level(self.0.as_ptr(), value)
        });
        match err {
            None => Ok(()),
            Some(e) => Err(KafkaError::Invalid(format!(
                "librdkafka refused the isolation level: {}",
                e.text()
            ))),
        }
    }

    /// Asks the broker to include the operations the principal may do on
    /// what is described (KIP-430).
    fn include_authorized_operations(&self) -> Result<(), KafkaError> {
        // SAFETY: the options are live; the returned error, when not null, is
        // ours and is freed by OwnedError's Drop after its words are copied.
        let err = unsafe {
            sys::rd_kafka_AdminOptions_set_include_authorized_operations(self.0.as_ptr(), 1)
        };
        let Some(err) = NonNull::new(err).map(OwnedError) else {
            return Ok(());
        };
        // SAFETY: err is live until it drops at the end of this function.
        let why = unsafe { error(err.0.as_ptr()) }
            .map(said)
            .unwrap_or_default();
        Err(KafkaError::Invalid(format!(
            "librdkafka refused to ask for authorized operations: {why}"
        )))
    }
}

/// An `rd_kafka_error_t` handed to us, freed on drop.
struct OwnedError(NonNull<sys::rd_kafka_error_t>);

impl OwnedError {
    fn new(raw: *mut sys::rd_kafka_error_t) -> Option<Self> {
        NonNull::new(raw).map(Self)
    }

    /// librdkafka's words for it.
    fn text(&self) -> String {
        // SAFETY: the error is live while self is; its string is copied at once.
        unsafe { owned(sys::rd_kafka_error_string(self.0.as_ptr())) }.unwrap_or_default()
    }
}

impl Drop for OwnedError {
    fn drop(&mut self) {
        // SAFETY: an error object returned to the caller, who owns it; freed
        // exactly once here.
        unsafe { sys::rd_kafka_error_destroy(self.0.as_ptr()) }
    }
}

impl Drop for Options {
    fn drop(&mut self) {
        // SAFETY: made by rd_kafka_AdminOptions_new and freed exactly once here;
        // librdkafka copies the options into each request, so none refers to them.
        unsafe { sys::rd_kafka_AdminOptions_destroy(self.0.as_ptr()) }
    }
}

/// An event polled from a [`Queue`]; everything read from it is borrowed from
/// it and copied out before it drops.
struct Event(NonNull<sys::rd_kafka_event_t>);

impl Event {
    fn as_ptr(&self) -> *mut sys::rd_kafka_event_t {
        self.0.as_ptr()
    }

    /// The event's type (`RD_KAFKA_EVENT_*`).
    fn kind(&self) -> c_int {
        // SAFETY: the event is live while self is.
        unsafe { sys::rd_kafka_event_type(self.as_ptr()) }
    }

    /// The request-level error code, if any.
    fn error_code(&self) -> Option<RDKafkaErrorCode> {
        // SAFETY: the event is live while self is.
        let err = unsafe { sys::rd_kafka_event_error(self.as_ptr()) };
        (err != sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR)
            .then(|| RDKafkaErrorCode::from(err))
    }

    /// The request-level error, if any, with librdkafka's words.
    fn error(&self) -> Option<(RDKafkaErrorCode, String)> {
        let code = self.error_code()?;
        // SAFETY: the string belongs to the live event and is copied at once.
        let text = unsafe { owned(sys::rd_kafka_event_error_string(self.as_ptr())) };
        Some((code, text.unwrap_or_default()))
    }
}

impl Drop for Event {
    fn drop(&mut self) {
        // SAFETY: the event came from rd_kafka_queue_poll, which hands its
        // ownership to us; destroyed exactly once here, freeing its result too.
        unsafe { sys::rd_kafka_event_destroy(self.as_ptr()) }
    }
}

/// Runs one admin request: makes the options and a queue, `start`s the
/// request on them, waits for its result event (`expected`) and `read`s it
/// into owned values while the event lives. Blocking.
fn request<T>(
    handle: &AdminHandle,
    action: &str,
    op: sys::rd_kafka_admin_op_t,
    expected: c_int,
    start: impl FnOnce(
        *mut sys::rd_kafka_t,
        *const sys::rd_kafka_AdminOptions_t,
        *mut sys::rd_kafka_queue_t,
    ),
    read: impl FnOnce(&Event) -> T,
) -> Result<T, KafkaError> {
    request_with(handle, action, op, expected, |_| Ok(()), start, read)
}

/// [`request`], with the options `configure`d before the request starts.
fn request_with<T>(
    handle: &AdminHandle,
    action: &str,
    op: sys::rd_kafka_admin_op_t,
    expected: c_int,
    configure: impl FnOnce(&Options) -> Result<(), KafkaError>,
    start: impl FnOnce(
        *mut sys::rd_kafka_t,
        *const sys::rd_kafka_AdminOptions_t,
        *mut sys::rd_kafka_queue_t,
    ),
    read: impl FnOnce(&Event) -> T,
) -> Result<T, KafkaError> {
    let client = handle.client();
    let options = Options::new(client, op, REQUEST_TIMEOUT)?;
    configure(&options)?;
    let queue = Queue::new(client)?;
    start(client.native_ptr(), options.0.as_ptr(), queue.ptr.as_ptr());
    let event = queue
        .poll(REQUEST_TIMEOUT + RESULT_MARGIN)
        .ok_or_else(|| KafkaError::Admin {
            action: action.to_string(),
            reason: "no answer in time".into(),
        })?;
    // librdkafka 2.12 gets one event's error string wrong: for a
    // DescribeUserScramCredentials answer with a request-level error
    // (CLUSTER_AUTHORIZATION_FAILED, ...) it keeps a pointer to a static
    // string or to its parser's stack (rdkafka_admin.c, the parse of that
    // response), and frees it when the event is destroyed: reading it reads
    // freed stack, destroying the event frees what malloc never gave out and
    // crashes the process. So the string is not read, and that event is
    // leaked instead of destroyed (a few hundred bytes, on that error only;
    // `scram::describe_user_scram_credentials` checks the one error Kafka
    // answers there, authorization, before asking).
    if event.kind() == sys::RD_KAFKA_EVENT_DESCRIBEUSERSCRAMCREDENTIALS_RESULT
        && let Some(code) = event.error_code()
    {
        std::mem::forget(event);
        return Err(KafkaError::Admin {
            action: action.to_string(),
            reason: code.to_string(),
        });
    }
    if let Some((code, text)) = event.error() {
        if super::client::unsupported_code(code) {
            return Err(KafkaError::Unsupported {
                api: action.to_string(),
            });
        }
        return Err(KafkaError::Admin {
            action: action.to_string(),
            reason: if text.is_empty() {
                code.to_string()
            } else {
                format!("{code}: {text}")
            },
        });
    }
    if event.kind() != expected {
        return Err(KafkaError::Invalid(format!(
            "{action}: librdkafka answered with event type {} instead of {expected}",
            event.kind()
        )));
    }
    Ok(read(&event))
}

/// Copies a C string into an owned `String` (lossy UTF-8); `None` for null.
///
/// # Safety
/// `p` is null or points to a NUL-terminated string that stays valid for the
/// duration of the call.
unsafe fn owned(p: *const c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    // SAFETY: non-null and NUL-terminated, as the caller promises.
    Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// Copies an array of `n` pointers returned by librdkafka into a Vec of them.
///
/// # Safety
/// `items` is null (then `n` is ignored) or points to `n` readable pointers.
unsafe fn pointers<T>(items: *const *const T, n: usize) -> Vec<*const T> {
    if items.is_null() || n == 0 {
        return Vec::new();
    }
    // SAFETY: the caller promises `n` readable elements at `items`.
    unsafe { std::slice::from_raw_parts(items, n) }.to_vec()
}

/// Copies a broker node.
///
/// # Safety
/// `node` is null or a live `rd_kafka_Node_t`.
unsafe fn node(node: *const sys::rd_kafka_Node_t) -> Option<Node> {
    if node.is_null() {
        return None;
    }
    // SAFETY: node is live (caller), its strings live as long as it does and
    // are copied at once.
    unsafe {
        Some(Node {
            id: sys::rd_kafka_Node_id(node),
            host: owned(sys::rd_kafka_Node_host(node)).unwrap_or_default(),
            port: sys::rd_kafka_Node_port(node),
            rack: owned(sys::rd_kafka_Node_rack(node)).filter(|r| !r.is_empty()),
        })
    }
}

/// Copies a topic-partition list into (topic, partition) pairs.
///
/// # Safety
/// `list` is null or a live `rd_kafka_topic_partition_list_t`.
unsafe fn partitions(list: *const sys::rd_kafka_topic_partition_list_t) -> Vec<(String, i32)> {
    if list.is_null() {
        return Vec::new();
    }
    // SAFETY: list is live (caller); `elems` holds `cnt` initialised elements.
    let elems = unsafe {
        let cnt = usize::try_from((*list).cnt).unwrap_or(0);
        if cnt == 0 || (*list).elems.is_null() {
            return Vec::new();
        }
        std::slice::from_raw_parts((*list).elems, cnt)
    };
    elems
        .iter()
        .map(|e| {
            // SAFETY: each element's topic is a NUL-terminated string owned by the list.
            let topic = unsafe { owned(e.topic) }.unwrap_or_default();
            (topic, e.partition)
        })
        .collect()
}

/// Copies an error object's code and text (`None` for null, and for an
/// object that carries no error: AlterUserScramCredentials hands one with
/// NO_ERROR to every response that succeeded).
///
/// # Safety
/// `e` is null or a live `rd_kafka_error_t`.
unsafe fn error(e: *const sys::rd_kafka_error_t) -> Option<(RDKafkaErrorCode, String)> {
    if e.is_null() {
        return None;
    }
    // SAFETY: e is live (caller); its string is copied at once.
    unsafe {
        let code = sys::rd_kafka_error_code(e);
        if code == sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            return None;
        }
        Some((
            RDKafkaErrorCode::from(code),
            owned(sys::rd_kafka_error_string(e)).unwrap_or_default(),
        ))
    }
}

/// An error's words: `CODE: text`, or the code alone.
fn said((code, text): (RDKafkaErrorCode, String)) -> String {
    if text.is_empty() {
        code.to_string()
    } else {
        format!("{code}: {text}")
    }
}
