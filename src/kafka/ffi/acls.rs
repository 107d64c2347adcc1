//! DescribeAcls, CreateAcls and DeleteAcls: the cluster's access control
//! lists, in the words of Kafka's own `kafka-acls` tool (TOPIC, LITERAL, READ,
//! ALLOW, ...).

use std::ffi::{CString, c_char, c_int};
use std::ptr::NonNull;

use rdkafka::bindings as sys;
use serde::{Deserialize, Serialize};

use super::{AdminHandle, Event, error, owned, pointers, request, request_with, said};
use crate::kafka::client::KafkaError;

/// What an ACL is about (Kafka's `ResourceType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ResourceType {
    /// In a filter: every type.
    Any,
    /// A topic.
    Topic,
    /// A consumer group.
    Group,
    /// The cluster itself (librdkafka calls it BROKER; its one name is
    /// `kafka-cluster`).
    Cluster,
    /// A transactional id.
    TransactionalId,
    /// A type this librdkafka does not know (a newer broker's).
    Unknown,
}

/// How an ACL's resource name is matched (Kafka's `PatternType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PatternType {
    /// In a filter: every pattern type, names taken literally.
    Any,
    /// In a filter: every ACL that applies to the name (literal, prefixed and
    /// the `*` wildcard), as the authorizer would match it.
    Match,
    /// The name exactly (or `*`, every resource of the type).
    Literal,
    /// Every resource whose name starts with it.
    Prefixed,
    /// A pattern type this librdkafka does not know.
    Unknown,
}

/// What the ACL allows or denies (Kafka's `AclOperation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Operation {
    /// In a filter: every operation.
    Any,
    /// Every operation.
    All,
    /// Read.
    Read,
    /// Write.
    Write,
    /// Create.
    Create,
    /// Delete.
    Delete,
    /// Alter.
    Alter,
    /// Describe.
    Describe,
    /// ClusterAction.
    ClusterAction,
    /// DescribeConfigs.
    DescribeConfigs,
    /// AlterConfigs.
    AlterConfigs,
    /// IdempotentWrite.
    IdempotentWrite,
    /// An operation this librdkafka does not know (DESCRIBE_TOKENS, ...).
    Unknown,
}

/// Allow or deny (Kafka's `AclPermissionType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Permission {
    /// In a filter: both.
    Any,
    /// Grants the operation (unless a DENY also matches: a deny always wins).
    Allow,
    /// Refuses the operation.
    Deny,
    /// A permission type this librdkafka does not know.
    Unknown,
}

/// Kafka's words for each value, shared by `as_str` and the parser.
macro_rules! words {
    ($ty:ident { $($v:ident => $w:literal),* $(,)? }) => {
        impl $ty {
            /// Every value, in Kafka's order.
            pub const ALL: &'static [$ty] = &[$($ty::$v),*];

            /// Kafka's word (`kafka-acls --list` prints it).
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$v => $w),* }
            }
        }

        impl std::str::FromStr for $ty {
            type Err = String;
            /// Kafka's word in any case, `-` or `_` alike (`describe-configs`).
            fn from_str(s: &str) -> Result<Self, String> {
                let want = s.trim().replace('-', "_").to_ascii_uppercase();
                let want = want.replace('_', "");
                Self::ALL
                    .iter()
                    .copied()
                    .filter(|v| *v != $ty::Unknown)
                    .find(|v| v.as_str().replace('_', "") == want)
                    .ok_or_else(|| {
                        let all: Vec<&str> = Self::ALL
                            .iter()
                            .filter(|v| **v != $ty::Unknown)
                            .map(|v| v.as_str())
                            .collect();
                        format!("'{s}' is not one of {}", all.join(", "))
                    })
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }
    };
}

words!(ResourceType {
    Any => "ANY", Topic => "TOPIC", Group => "GROUP", Cluster => "CLUSTER",
    TransactionalId => "TRANSACTIONAL_ID", Unknown => "UNKNOWN",
});
words!(PatternType {
    Any => "ANY", Match => "MATCH", Literal => "LITERAL", Prefixed => "PREFIXED",
    Unknown => "UNKNOWN",
});
words!(Operation {
    Any => "ANY", All => "ALL", Read => "READ", Write => "WRITE", Create => "CREATE",
    Delete => "DELETE", Alter => "ALTER", Describe => "DESCRIBE",
    ClusterAction => "CLUSTER_ACTION", DescribeConfigs => "DESCRIBE_CONFIGS",
    AlterConfigs => "ALTER_CONFIGS", IdempotentWrite => "IDEMPOTENT_WRITE",
    Unknown => "UNKNOWN",
});
words!(Permission {
    Any => "ANY", Allow => "ALLOW", Deny => "DENY", Unknown => "UNKNOWN",
});

impl ResourceType {
    fn to_sys(self) -> sys::rd_kafka_ResourceType_t {
        use sys::rd_kafka_ResourceType_t as T;
        match self {
            Self::Any => T::RD_KAFKA_RESOURCE_ANY,
            Self::Topic => T::RD_KAFKA_RESOURCE_TOPIC,
            Self::Group => T::RD_KAFKA_RESOURCE_GROUP,
            Self::Cluster => T::RD_KAFKA_RESOURCE_BROKER,
            Self::TransactionalId => T::RD_KAFKA_RESOURCE_TRANSACTIONAL_ID,
            Self::Unknown => T::RD_KAFKA_RESOURCE_UNKNOWN,
        }
    }

    fn from_sys(t: sys::rd_kafka_ResourceType_t) -> Self {
        use sys::rd_kafka_ResourceType_t as T;
        match t {
            T::RD_KAFKA_RESOURCE_ANY => Self::Any,
            T::RD_KAFKA_RESOURCE_TOPIC => Self::Topic,
            T::RD_KAFKA_RESOURCE_GROUP => Self::Group,
            T::RD_KAFKA_RESOURCE_BROKER => Self::Cluster,
            T::RD_KAFKA_RESOURCE_TRANSACTIONAL_ID => Self::TransactionalId,
            _ => Self::Unknown,
        }
    }
}

impl PatternType {
    fn to_sys(self) -> sys::rd_kafka_ResourcePatternType_t {
        use sys::rd_kafka_ResourcePatternType_t as T;
        match self {
            Self::Any => T::RD_KAFKA_RESOURCE_PATTERN_ANY,
            Self::Match => T::RD_KAFKA_RESOURCE_PATTERN_MATCH,
            Self::Literal => T::RD_KAFKA_RESOURCE_PATTERN_LITERAL,
            Self::Prefixed => T::RD_KAFKA_RESOURCE_PATTERN_PREFIXED,
            Self::Unknown => T::RD_KAFKA_RESOURCE_PATTERN_UNKNOWN,
        }
    }

    fn from_sys(t: sys::rd_kafka_ResourcePatternType_t) -> Self {
        use sys::rd_kafka_ResourcePatternType_t as T;
        match t {
            T::RD_KAFKA_RESOURCE_PATTERN_ANY => Self::Any,
            T::RD_KAFKA_RESOURCE_PATTERN_MATCH => Self::Match,
            T::RD_KAFKA_RESOURCE_PATTERN_LITERAL => Self::Literal,
            T::RD_KAFKA_RESOURCE_PATTERN_PREFIXED => Self::Prefixed,
            _ => Self::Unknown,
        }
    }
}

impl Operation {
    fn to_sys(self) -> sys::rd_kafka_AclOperation_t {
        use sys::rd_kafka_AclOperation_t as T;
        match self {
            Self::Any => T::RD_KAFKA_ACL_OPERATION_ANY,
            Self::All => T::RD_KAFKA_ACL_OPERATION_ALL,
            Self::Read => T::RD_KAFKA_ACL_OPERATION_READ,
            Self::Write => T::RD_KAFKA_ACL_OPERATION_WRITE,
            Self::Create => T::RD_KAFKA_ACL_OPERATION_CREATE,
            Self::Delete => T::RD_KAFKA_ACL_OPERATION_DELETE,
            Self::Alter => T::RD_KAFKA_ACL_OPERATION_ALTER,
            Self::Describe => T::RD_KAFKA_ACL_OPERATION_DESCRIBE,
            Self::ClusterAction => T::RD_KAFKA_ACL_OPERATION_CLUSTER_ACTION,
            Self::DescribeConfigs => T::RD_KAFKA_ACL_OPERATION_DESCRIBE_CONFIGS,
            Self::AlterConfigs => T::RD_KAFKA_ACL_OPERATION_ALTER_CONFIGS,
            Self::IdempotentWrite => T::RD_KAFKA_ACL_OPERATION_IDEMPOTENT_WRITE,
            Self::Unknown => T::RD_KAFKA_ACL_OPERATION_UNKNOWN,
        }
    }

    fn from_sys(t: sys::rd_kafka_AclOperation_t) -> Self {
        Self::ALL
            .iter()
            .copied()
            .find(|o| *o != Self::Unknown && o.to_sys() == t)
            .unwrap_or(Self::Unknown)
    }
}

impl Permission {
    fn to_sys(self) -> sys::rd_kafka_AclPermissionType_t {
        use sys::rd_kafka_AclPermissionType_t as T;
        match self {
            Self::Any => T::RD_KAFKA_ACL_PERMISSION_TYPE_ANY,
            Self::Allow => T::RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW,
            Self::Deny => T::RD_KAFKA_ACL_PERMISSION_TYPE_DENY,
            Self::Unknown => T::RD_KAFKA_ACL_PERMISSION_TYPE_UNKNOWN,
        }
    }

    fn from_sys(t: sys::rd_kafka_AclPermissionType_t) -> Self {
        use sys::rd_kafka_AclPermissionType_t as T;
        match t {
            T::RD_KAFKA_ACL_PERMISSION_TYPE_ANY => Self::Any,
            T::RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW => Self::Allow,
            T::RD_KAFKA_ACL_PERMISSION_TYPE_DENY => Self::Deny,
            _ => Self::Unknown,
        }
    }
}

/// One ACL: `principal` is `permission`ed `operation` on the resource(s)
/// from `host`. Ordered by resource, then principal, host, operation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AclBinding {
    /// The resource type.
    pub resource_type: ResourceType,
    /// The resource name (`*` for every one; `kafka-cluster` for the cluster).
    pub resource_name: String,
    /// How the name matches.
    pub pattern_type: PatternType,
    /// `User:alice`, `User:CN=...`, `User:*`.
    pub principal: String,
    /// The client host (`*` for any).
    pub host: String,
    /// The operation.
    pub operation: Operation,
    /// Allow or deny.
    pub permission: Permission,
}

/// Which ACLs a describe or delete is about: `None` and the `Any` values
/// match everything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AclFilter {
    /// Resource type, or `Any`.
    pub resource_type: ResourceType,
    /// Resource name, or `None` for every name.
    pub resource_name: Option<String>,
    /// Pattern type: `Any` (names literally), `Match` (every ACL that
    /// applies to the name), or one type.
    pub pattern_type: PatternType,
    /// Principal, or `None`.
    pub principal: Option<String>,
    /// Host, or `None`.
    pub host: Option<String>,
    /// Operation, or `Any`.
    pub operation: Operation,
    /// Permission, or `Any`.
    pub permission: Permission,
}

impl AclFilter {
    /// Every ACL.
    pub fn any() -> Self {
        Self {
            resource_type: ResourceType::Any,
            resource_name: None,
            pattern_type: PatternType::Any,
            principal: None,
            host: None,
            operation: Operation::Any,
            permission: Permission::Any,
        }
    }

    /// Exactly this ACL.
    pub fn exact(acl: &AclBinding) -> Self {
        Self {
            resource_type: acl.resource_type,
            resource_name: Some(acl.resource_name.clone()),
            pattern_type: acl.pattern_type,
            principal: Some(acl.principal.clone()),
            host: Some(acl.host.clone()),
            operation: acl.operation,
            permission: acl.permission,
        }
    }
}

/// A C string for librdkafka, refusing a NUL byte inside.
fn c_string(what: &str, s: &str) -> Result<CString, KafkaError> {
    CString::new(s)
        .map_err(|_| KafkaError::Invalid(format!("an ACL's {what} cannot hold a NUL byte")))
}

/// A C string or null, for the optional fields of a filter.
fn c_optional(what: &str, s: Option<&str>) -> Result<Option<CString>, KafkaError> {
    s.map(|s| c_string(what, s)).transpose()
}

/// An `rd_kafka_AclBinding_t` (binding or filter) of our own, freed on drop.
struct CAcl(NonNull<sys::rd_kafka_AclBinding_t>);

impl CAcl {
    /// A binding to create: every field set.
    fn binding(acl: &AclBinding) -> Result<Self, KafkaError> {
        let name = c_string("resource name", &acl.resource_name)?;
        let principal = c_string("principal", &acl.principal)?;
        let host = c_string("host", &acl.host)?;
        let mut errstr = [0 as c_char; 512];
        // SAFETY: the strings are NUL-terminated and live for the call
        // (librdkafka copies them); errstr is writable for its length.
        let raw = unsafe {
            sys::rd_kafka_AclBinding_new(
                acl.resource_type.to_sys(),
                name.as_ptr(),
                acl.pattern_type.to_sys(),
                principal.as_ptr(),
                host.as_ptr(),
                acl.operation.to_sys(),
                acl.permission.to_sys(),
                errstr.as_mut_ptr(),
                errstr.len(),
            )
        };
        Self::made(raw, &errstr)
    }

    /// A filter for describe or delete: null strings match every value.
    fn filter(f: &AclFilter) -> Result<Self, KafkaError> {
        let name = c_optional("resource name", f.resource_name.as_deref())?;
        let principal = c_optional("principal", f.principal.as_deref())?;
        let host = c_optional("host", f.host.as_deref())?;
        let ptr = |c: &Option<CString>| c.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
        let mut errstr = [0 as c_char; 512];
        // SAFETY: each string is null or NUL-terminated and alive for the
        // call (librdkafka copies them); errstr is writable for its length.
        let raw = unsafe {
            sys::rd_kafka_AclBindingFilter_new(
                f.resource_type.to_sys(),
                ptr(&name),
                f.pattern_type.to_sys(),
                ptr(&principal),
                ptr(&host),
                f.operation.to_sys(),
                f.permission.to_sys(),
                errstr.as_mut_ptr(),
                errstr.len(),
            )
        };
        Self::made(raw, &errstr)
    }

    fn made(raw: *mut sys::rd_kafka_AclBinding_t, errstr: &[c_char]) -> Result<Self, KafkaError> {
        match NonNull::new(raw) {
            Some(p) => Ok(Self(p)),
            None => {
                // SAFETY: errstr was zeroed and librdkafka writes a
                // NUL-terminated message within its length.
                let why = unsafe { owned(errstr.as_ptr()) }.unwrap_or_default();
                Err(KafkaError::Invalid(format!(
                    "librdkafka refused the ACL: {why}"
                )))
            }
        }
    }
}

impl Drop for CAcl {
    fn drop(&mut self) {
        // SAFETY: made by rd_kafka_AclBinding(Filter)_new, owned only by self
        // and freed exactly once here; the requests took copies of it.
        unsafe { sys::rd_kafka_AclBinding_destroy(self.0.as_ptr()) }
    }
}

/// Copies one binding out of a result.
///
/// # Safety
/// `acl` is a live `rd_kafka_AclBinding_t` (owned by a live event).
unsafe fn binding(acl: *const sys::rd_kafka_AclBinding_t) -> AclBinding {
    // SAFETY: acl is live (caller); its strings live as long as it does and
    // are copied at once. librdkafka maps values outside its enums to their
    // UNKNOWN member while parsing the response, so the enums read here are
    // always valid values of the Rust types.
    unsafe {
        AclBinding {
            resource_type: ResourceType::from_sys(sys::rd_kafka_AclBinding_restype(acl)),
            resource_name: owned(sys::rd_kafka_AclBinding_name(acl)).unwrap_or_default(),
            pattern_type: PatternType::from_sys(sys::rd_kafka_AclBinding_resource_pattern_type(
                acl,
            )),
            principal: owned(sys::rd_kafka_AclBinding_principal(acl)).unwrap_or_default(),
            host: owned(sys::rd_kafka_AclBinding_host(acl)).unwrap_or_default(),
            operation: Operation::from_sys(sys::rd_kafka_AclBinding_operation(acl)),
            permission: Permission::from_sys(sys::rd_kafka_AclBinding_permission_type(acl)),
        }
    }
}

/// The operations this principal may do on the cluster resource, as
/// DescribeCluster reports them (KIP-430); `None` when the broker does not
/// say. Blocking.
pub fn cluster_operations(handle: &AdminHandle) -> Result<Option<Vec<Operation>>, KafkaError> {
    request_with(
        handle,
        "describing the cluster",
        sys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECLUSTER,
        sys::RD_KAFKA_EVENT_DESCRIBECLUSTER_RESULT,
        |options| options.include_authorized_operations(),
        |rk, options, queue| {
            // SAFETY: rk, options and queue are live for the call (owned by
            // `request_with`); librdkafka copies the options.
            unsafe { sys::rd_kafka_DescribeCluster(rk, options, queue) }
        },
        |event: &Event| {
            // SAFETY: the event is a live DESCRIBECLUSTER_RESULT (checked by
            // `request_with`); the operations array lives as long as it and
            // is copied here. It is read as C ints, not as the Rust enum, so
            // no value can be an invalid enum (librdkafka only sets known
            // bits, but the copy does not rely on it).
            unsafe {
                let result = sys::rd_kafka_event_DescribeCluster_result(event.as_ptr());
                if result.is_null() {
                    return None;
                }
                let mut n = 0;
                let ops =
                    sys::rd_kafka_DescribeCluster_result_authorized_operations(result, &mut n);
                if ops.is_null() {
                    return None;
                }
                let raw: &[c_int] = if n == 0 {
                    &[]
                } else {
                    std::slice::from_raw_parts(ops.cast::<c_int>(), n)
                };
                Some(
                    raw.iter()
                        .map(|v| {
                            Operation::ALL
                                .iter()
                                .copied()
                                .find(|o| *o != Operation::Unknown && o.to_sys() as c_int == *v)
                                .unwrap_or(Operation::Unknown)
                        })
                        .collect(),
                )
            }
        },
    )
}

/// Refuses `action`, as the broker would (CLUSTER_AUTHORIZATION_FAILED),
/// when DescribeCluster says this principal may not DESCRIBE the cluster:
/// for the two requests whose refusal librdkafka 2.12 mishandles
/// (DescribeAcls drops it, DescribeUserScramCredentials cannot read it
/// safely). A broker that does not say lets the request go.
pub(super) fn may_describe_cluster(handle: &AdminHandle, action: &str) -> Result<(), KafkaError> {
    // Kafka lists the operations implied too (ALTER implies DESCRIBE).
    if let Some(ops) = cluster_operations(handle)?
        && !ops.contains(&Operation::Describe)
    {
        return Err(KafkaError::Admin {
            action: action.to_string(),
            // The broker's own words for the refusal.
            reason: "Broker: Cluster authorization failed".into(),
        });
    }
    Ok(())
}

/// The ACLs `filter` selects, sorted. Blocking.
///
/// librdkafka 2.12 reads DescribeAcls' error code and then drops it: a
/// principal that may not describe ACLs (CLUSTER_AUTHORIZATION_FAILED) would
/// get an empty list and no error. So the principal's operations on the
/// cluster are asked first (DescribeCluster), and the list is refused, as the
/// broker would refuse it, without DESCRIBE (or ALL) there. (Brokers without
/// an authorizer answer SECURITY_DISABLED, dropped the same way; the caller
/// checks for that: [`crate::kafka::acls`].)
pub fn describe_acls(
    handle: &AdminHandle,
    filter: &AclFilter,
) -> Result<Vec<AclBinding>, KafkaError> {
    may_describe_cluster(handle, "describing ACLs")?;
    let c = CAcl::filter(filter)?;
    let mut acls = request(
        handle,
        "describing ACLs",
        sys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBEACLS,
        sys::RD_KAFKA_EVENT_DESCRIBEACLS_RESULT,
        |rk, options, queue| {
            // SAFETY: rk, options and queue are live for the call (owned by
            // `request`); the filter is live (owned by `c`) and librdkafka
            // copies it.
            unsafe { sys::rd_kafka_DescribeAcls(rk, c.0.as_ptr(), options, queue) }
        },
        |event: &Event| {
            // SAFETY: the event is a live DESCRIBEACLS_RESULT (checked by
            // `request`); its bindings live as long as it and are copied here.
            unsafe {
                let result = sys::rd_kafka_event_DescribeAcls_result(event.as_ptr());
                if result.is_null() {
                    return Vec::new();
                }
                let mut n = 0;
                let acls = sys::rd_kafka_DescribeAcls_result_acls(result, &mut n);
                pointers(acls.cast_const(), n)
                    .into_iter()
                    .filter(|a| !a.is_null())
                    .map(|a| binding(a))
                    .collect::<Vec<_>>()
            }
        },
    )?;
    acls.sort();
    Ok(acls)
}

/// Creates `acls` (creating one that exists already changes nothing, as in
/// Kafka). Every ACL is tried; the ones refused are named in the error.
/// Blocking.
pub fn create_acls(handle: &AdminHandle, acls: &[AclBinding]) -> Result<(), KafkaError> {
    if acls.is_empty() {
        return Ok(());
    }
    let owned_acls = acls
        .iter()
        .map(CAcl::binding)
        .collect::<Result<Vec<_>, _>>()?;
    let mut ptrs: Vec<*mut sys::rd_kafka_AclBinding_t> =
        owned_acls.iter().map(|a| a.0.as_ptr()).collect();
    let errors = request(
        handle,
        "creating ACLs",
        sys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_CREATEACLS,
        sys::RD_KAFKA_EVENT_CREATEACLS_RESULT,
        |rk, options, queue| {
            // SAFETY: rk, options and queue are live for the call; `ptrs`
            // holds `ptrs.len()` live bindings owned by `owned_acls`, which
            // librdkafka copies before returning.
            unsafe { sys::rd_kafka_CreateAcls(rk, ptrs.as_mut_ptr(), ptrs.len(), options, queue) }
        },
        |event: &Event| {
            // SAFETY: the event is a live CREATEACLS_RESULT (checked by
            // `request`); the per-ACL results and their errors live as long
            // as it and are copied here.
            unsafe {
                let result = sys::rd_kafka_event_CreateAcls_result(event.as_ptr());
                if result.is_null() {
                    return Vec::new();
                }
                let mut n = 0;
                let results = sys::rd_kafka_CreateAcls_result_acls(result, &mut n);
                pointers(results.cast_const(), n)
                    .into_iter()
                    .enumerate()
                    .filter(|(_, r)| !r.is_null())
                    .filter_map(|(i, r)| error(sys::rd_kafka_acl_result_error(r)).map(|e| (i, e)))
                    .collect::<Vec<_>>()
            }
        },
    )?;
    if errors.is_empty() {
        return Ok(());
    }
    // The results come in the order of the request.
    let said: Vec<String> = errors
        .into_iter()
        .map(|(i, e)| match acls.get(i) {
            Some(a) => format!("{}: {}", acl_line(a), said(e)),
            None => said(e),
        })
        .collect();
    Err(KafkaError::Admin {
        action: "creating ACLs".into(),
        reason: said.join("; "),
    })
}

/// Deletes every ACL each filter selects; returns the ACLs deleted (sorted).
/// A filter that selects nothing deletes nothing and is no error. Blocking.
pub fn delete_acls(
    handle: &AdminHandle,
    filters: &[AclFilter],
) -> Result<Vec<AclBinding>, KafkaError> {
    if filters.is_empty() {
        return Ok(Vec::new());
    }
    let owned_filters = filters
        .iter()
        .map(CAcl::filter)
        .collect::<Result<Vec<_>, _>>()?;
    let mut ptrs: Vec<*mut sys::rd_kafka_AclBinding_t> =
        owned_filters.iter().map(|a| a.0.as_ptr()).collect();
    let (mut deleted, errors) = request(
        handle,
        "deleting ACLs",
        sys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DELETEACLS,
        sys::RD_KAFKA_EVENT_DELETEACLS_RESULT,
        |rk, options, queue| {
            // SAFETY: rk, options and queue are live for the call; `ptrs`
            // holds `ptrs.len()` live filters owned by `owned_filters`, which
            // librdkafka copies before returning.
            unsafe { sys::rd_kafka_DeleteAcls(rk, ptrs.as_mut_ptr(), ptrs.len(), options, queue) }
        },
        |event: &Event| {
            // SAFETY: the event is a live DELETEACLS_RESULT (checked by
            // `request`); its responses, their errors and matching bindings
            // live as long as it and are copied here.
            unsafe {
                let mut deleted = Vec::new();
                let mut errors = Vec::new();
                let result = sys::rd_kafka_event_DeleteAcls_result(event.as_ptr());
                if result.is_null() {
                    return (deleted, errors);
                }
                let mut n = 0;
                let responses = sys::rd_kafka_DeleteAcls_result_responses(result, &mut n);
                for r in pointers(responses.cast_const(), n)
                    .into_iter()
                    .filter(|r| !r.is_null())
                {
                    if let Some(e) = error(sys::rd_kafka_DeleteAcls_result_response_error(r)) {
                        errors.push(said(e));
                        continue;
                    }
                    let mut m = 0;
                    let matching =
                        sys::rd_kafka_DeleteAcls_result_response_matching_acls(r, &mut m);
                    deleted.extend(
                        pointers(matching.cast_const(), m)
                            .into_iter()
                            .filter(|a| !a.is_null())
                            .map(|a| binding(a)),
                    );
                }
                (deleted, errors)
            }
        },
    )?;
    if !errors.is_empty() {
        return Err(KafkaError::Admin {
            action: "deleting ACLs".into(),
            reason: errors.join("; "),
        });
    }
    deleted.sort();
    Ok(deleted)
}

/// One line for an ACL, in `kafka-acls`' words: `ALLOW User:alice READ on
/// TOPIC secret.events (LITERAL) from *`.
pub fn acl_line(a: &AclBinding) -> String {
    format!(
        "{} {} {} on {} {} ({}) from {}",
        a.permission,
        a.principal,
        a.operation,
        a.resource_type,
        a.resource_name,
        a.pattern_type,
        a.host
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kafka_words_parse_in_any_case_and_round_trip() {
        assert_eq!("read".parse::<Operation>(), Ok(Operation::Read));
        assert_eq!(
            "describe-configs".parse::<Operation>(),
            Ok(Operation::DescribeConfigs)
        );
        assert_eq!(
            "DescribeConfigs".parse::<Operation>(),
            Ok(Operation::DescribeConfigs)
        );
        assert_eq!(
            "transactional_id".parse::<ResourceType>(),
            Ok(ResourceType::TransactionalId)
        );
        assert_eq!("Prefixed".parse::<PatternType>(), Ok(PatternType::Prefixed));
        assert_eq!("deny".parse::<Permission>(), Ok(Permission::Deny));
        assert!("unknown".parse::<Operation>().is_err());
        assert!("reed".parse::<Operation>().unwrap_err().contains("READ"));
        for o in Operation::ALL.iter().filter(|o| **o != Operation::Unknown) {
            assert_eq!(Operation::from_sys(o.to_sys()), *o);
            assert_eq!(o.as_str().parse::<Operation>(), Ok(*o));
        }
        for r in ResourceType::ALL {
            assert_eq!(ResourceType::from_sys(r.to_sys()), *r);
        }
        for p in PatternType::ALL {
            assert_eq!(PatternType::from_sys(p.to_sys()), *p);
        }
        for p in Permission::ALL {
            assert_eq!(Permission::from_sys(p.to_sys()), *p);
        }
    }

    #[test]
    fn an_acl_is_said_in_kafkas_words() {
        let a = AclBinding {
            resource_type: ResourceType::Topic,
            resource_name: "secret.events".into(),
            pattern_type: PatternType::Literal,
            principal: "User:alice".into(),
            host: "*".into(),
            operation: Operation::Read,
            permission: Permission::Allow,
        };
        assert_eq!(
            acl_line(&a),
            "ALLOW User:alice READ on TOPIC secret.events (LITERAL) from *"
        );
        assert_eq!(
            serde_json::to_value(&a).expect("json")["operation"],
            serde_json::json!("READ")
        );
    }
}
