//! DescribeUserScramCredentials and AlterUserScramCredentials: the SASL/SCRAM
//! users of a cluster (which mechanisms each has, with their iterations; never
//! a password or a hash), setting a password (an upsertion with our own random
//! salt) and deleting a user's credential.

use std::ffi::{CString, c_char, c_int};
use std::ptr::NonNull;

use rand::RngCore;
use rdkafka::bindings as sys;
use serde::Serialize;

use super::{AdminHandle, Event, error, owned, pointers, request, said};
use crate::kafka::client::KafkaError;

/// Bytes of random salt per upsertion (Kafka's tools use 26 to 32; RFC 5802
/// asks only that it be random per credential).
const SALT_BYTES: usize = 32;

unsafe extern "C" {
    /// `rd_kafka_ScramCredentialInfo_mechanism`, declared with an integer
    /// result: rdkafka-sys declares it returning its Rust enum, but librdkafka
    /// stores the broker's mechanism byte unchecked, and a value outside a Rust
    /// enum would be undefined behaviour. The C enum is an `int`.
    #[link_name = "rd_kafka_ScramCredentialInfo_mechanism"]
    fn scram_credential_info_mechanism(info: *const sys::rd_kafka_ScramCredentialInfo_t) -> c_int;
}

/// A SCRAM mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum ScramMechanism {
    /// SCRAM-SHA-256.
    #[serde(rename = "SCRAM-SHA-256")]
    Sha256,
    /// SCRAM-SHA-512.
    #[serde(rename = "SCRAM-SHA-512")]
    Sha512,
    /// A mechanism this librdkafka does not know (its number).
    #[serde(rename = "UNKNOWN")]
    Unknown,
}

impl ScramMechanism {
    /// Kafka's name (`SCRAM-SHA-512`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sha256 => "SCRAM-SHA-256",
            Self::Sha512 => "SCRAM-SHA-512",
            Self::Unknown => "UNKNOWN",
        }
    }

    fn to_sys(self) -> sys::rd_kafka_ScramMechanism_t {
        use sys::rd_kafka_ScramMechanism_t as T;
        match self {
            Self::Sha256 => T::RD_KAFKA_SCRAM_MECHANISM_SHA_256,
            Self::Sha512 => T::RD_KAFKA_SCRAM_MECHANISM_SHA_512,
            Self::Unknown => T::RD_KAFKA_SCRAM_MECHANISM_UNKNOWN,
        }
    }

    fn from_raw(m: c_int) -> Self {
        match m {
            1 => Self::Sha256,
            2 => Self::Sha512,
            _ => Self::Unknown,
        }
    }
}

impl std::str::FromStr for ScramMechanism {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_uppercase().as_str() {
            "SCRAM-SHA-256" => Ok(Self::Sha256),
            "SCRAM-SHA-512" => Ok(Self::Sha512),
            _ => Err(format!("'{s}' is not SCRAM-SHA-256 or SCRAM-SHA-512")),
        }
    }
}

impl std::fmt::Display for ScramMechanism {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// One credential of a user: its mechanism and iteration count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScramCredential {
    /// The mechanism.
    pub mechanism: ScramMechanism,
    /// PBKDF2 iterations.
    pub iterations: i32,
}

/// A user's SCRAM credentials, as DescribeUserScramCredentials reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScramUser {
    /// The user name (without `User:`).
    pub user: String,
    /// Why this user could not be described (`RESOURCE_NOT_FOUND` for a user
    /// without credentials).
    pub error: Option<String>,
    /// Its credentials, one per mechanism.
    pub credentials: Vec<ScramCredential>,
}

/// Describes the SCRAM credentials of `users`, or of every user that has
/// one when `users` is empty. Sorted by user. Blocking.
pub fn describe_user_scram_credentials(
    handle: &AdminHandle,
    users: &[&str],
) -> Result<Vec<ScramUser>, KafkaError> {
    // Kafka refuses a name asked twice (DUPLICATE_RESOURCE): each is asked once.
    let mut users = users.to_vec();
    users.sort_unstable();
    users.dedup();
    let names = users
        .iter()
        .map(|u| CString::new(*u))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| KafkaError::Invalid("a user name cannot hold a NUL byte".into()))?;
    let mut ptrs: Vec<*const c_char> = names.iter().map(|c| c.as_ptr()).collect();
    // Asked first: the broker's refusal of this request is the one error
    // librdkafka 2.12 cannot hand over safely (see `request_with`).
    super::acls::may_describe_cluster(handle, "describing SCRAM users")?;
    let mut out = request(
        handle,
        "describing SCRAM users",
        sys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBEUSERSCRAMCREDENTIALS,
        sys::RD_KAFKA_EVENT_DESCRIBEUSERSCRAMCREDENTIALS_RESULT,
        |rk, options, queue| {
            // An empty list asks for every user (a null array, as librdkafka wants it).
            let users = if ptrs.is_empty() {
                std::ptr::null_mut()
            } else {
                ptrs.as_mut_ptr()
            };
            // SAFETY: rk, options and queue are live for the call; `users` is
            // null or holds `ptrs.len()` NUL-terminated strings owned by
            // `names`, alive for the call; librdkafka copies them.
            unsafe {
                sys::rd_kafka_DescribeUserScramCredentials(rk, users, ptrs.len(), options, queue)
            }
        },
        read_descriptions,
    )?;
    out.sort_by(|a, b| a.user.cmp(&b.user));
    Ok(out)
}

fn read_descriptions(event: &Event) -> Vec<ScramUser> {
    // SAFETY: the event is a live DESCRIBEUSERSCRAMCREDENTIALS_RESULT
    // (checked by `request`); its descriptions, their credential infos and
    // strings live as long as it and are copied here. The mechanism is read
    // as an integer (see `scram_credential_info_mechanism`).
    unsafe {
        let result = sys::rd_kafka_event_DescribeUserScramCredentials_result(event.as_ptr());
        if result.is_null() {
            return Vec::new();
        }
        let mut n = 0;
        let descs = sys::rd_kafka_DescribeUserScramCredentials_result_descriptions(result, &mut n);
        pointers(descs.cast_const(), n)
            .into_iter()
            .filter(|d| !d.is_null())
            .map(|d| {
                let count =
                    sys::rd_kafka_UserScramCredentialsDescription_scramcredentialinfo_count(d);
                let credentials = (0..count)
                    .map(|i| {
                        sys::rd_kafka_UserScramCredentialsDescription_scramcredentialinfo(d, i)
                    })
                    .filter(|c| !c.is_null())
                    .map(|c| ScramCredential {
                        mechanism: ScramMechanism::from_raw(scram_credential_info_mechanism(c)),
                        iterations: sys::rd_kafka_ScramCredentialInfo_iterations(c),
                    })
                    .collect();
                ScramUser {
                    user: owned(sys::rd_kafka_UserScramCredentialsDescription_user(d))
                        .unwrap_or_default(),
                    error: error(sys::rd_kafka_UserScramCredentialsDescription_error(d)).map(said),
                    credentials,
                }
            })
            .collect()
    }
}

/// An alteration of our own, freed on drop.
struct Alteration(NonNull<sys::rd_kafka_UserScramCredentialAlteration_t>);

impl Alteration {
    fn made(raw: *mut sys::rd_kafka_UserScramCredentialAlteration_t) -> Result<Self, KafkaError> {
        NonNull::new(raw)
            .map(Self)
            .ok_or_else(|| KafkaError::Invalid("librdkafka refused the SCRAM change".into()))
    }
}

impl Drop for Alteration {
    fn drop(&mut self) {
        // SAFETY: made by rd_kafka_UserScramCredential{Upsertion,Deletion}_new,
        // owned only by self and freed exactly once here; the request took a
        // copy of it.
        unsafe { sys::rd_kafka_UserScramCredentialAlteration_destroy(self.0.as_ptr()) }
    }
}

fn user_name(user: &str) -> Result<CString, KafkaError> {
    if user.is_empty() {
        return Err(KafkaError::Invalid("a user name cannot be empty".into()));
    }
    CString::new(user).map_err(|_| KafkaError::Invalid("a user name cannot hold a NUL byte".into()))
}

/// Sets `user`'s password for `mechanism` (creating the user's credential if
/// there is none), with `iterations` and a fresh random salt. Blocking.
pub fn upsert_scram_credential(
    handle: &AdminHandle,
    user: &str,
    mechanism: ScramMechanism,
    iterations: i32,
    password: &[u8],
) -> Result<(), KafkaError> {
    if password.is_empty() {
        return Err(KafkaError::Invalid(
            "a SCRAM password cannot be empty".into(),
        ));
    }
    let name = user_name(user)?;
    let mut salt = [0u8; SALT_BYTES];
    rand::rng().fill_bytes(&mut salt);
    // SAFETY: name is NUL-terminated, password and salt are readable for the
    // lengths given; librdkafka copies all three (and hashes the password
    // when the request is sent).
    let raw = unsafe {
        sys::rd_kafka_UserScramCredentialUpsertion_new(
            name.as_ptr(),
            mechanism.to_sys(),
            iterations,
            password.as_ptr(),
            password.len(),
            salt.as_ptr(),
            salt.len(),
        )
    };
    alter(handle, Alteration::made(raw)?, user)
}

/// Deletes `user`'s credential for `mechanism`. Blocking.
pub fn delete_scram_credential(
    handle: &AdminHandle,
    user: &str,
    mechanism: ScramMechanism,
) -> Result<(), KafkaError> {
    let name = user_name(user)?;
    let m = mechanism.to_sys();
    // SAFETY: name is NUL-terminated and alive for the call; librdkafka copies it.
    let raw = unsafe { sys::rd_kafka_UserScramCredentialDeletion_new(name.as_ptr(), m) };
    alter(handle, Alteration::made(raw)?, user)
}

/// Sends one alteration and reads its one response.
fn alter(handle: &AdminHandle, alteration: Alteration, user: &str) -> Result<(), KafkaError> {
    let mut ptrs = [alteration.0.as_ptr()];
    let errors = request(
        handle,
        "changing SCRAM credentials",
        sys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_ALTERUSERSCRAMCREDENTIALS,
        sys::RD_KAFKA_EVENT_ALTERUSERSCRAMCREDENTIALS_RESULT,
        |rk, options, queue| {
            // SAFETY: rk, options and queue are live for the call; `ptrs`
            // holds one live alteration owned by `alteration`, which
            // librdkafka copies before returning.
            unsafe {
                sys::rd_kafka_AlterUserScramCredentials(
                    rk,
                    ptrs.as_mut_ptr(),
                    ptrs.len(),
                    options,
                    queue,
                )
            }
        },
        |event: &Event| {
            // SAFETY: the event is a live ALTERUSERSCRAMCREDENTIALS_RESULT
            // (checked by `request`); its responses and their errors live as
            // long as it and are copied here.
            unsafe {
                let result = sys::rd_kafka_event_AlterUserScramCredentials_result(event.as_ptr());
                if result.is_null() {
                    return Vec::new();
                }
                let mut n = 0;
                let responses =
                    sys::rd_kafka_AlterUserScramCredentials_result_responses(result, &mut n);
                pointers(responses.cast_const(), n)
                    .into_iter()
                    .filter(|r| !r.is_null())
                    .filter_map(|r| {
                        error(sys::rd_kafka_AlterUserScramCredentials_result_response_error(r))
                    })
                    .map(said)
                    .collect::<Vec<_>>()
            }
        },
    )?;
    drop(alteration);
    if errors.is_empty() {
        return Ok(());
    }
    Err(KafkaError::Admin {
        action: format!("changing the SCRAM credentials of {user}"),
        reason: errors.join("; "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mechanisms_read_in_kafkas_words() {
        assert_eq!("scram-sha-512".parse(), Ok(ScramMechanism::Sha512));
        assert_eq!("SCRAM-SHA-256".parse(), Ok(ScramMechanism::Sha256));
        assert!("PLAIN".parse::<ScramMechanism>().is_err());
        assert_eq!(ScramMechanism::from_raw(7), ScramMechanism::Unknown);
        assert_eq!(ScramMechanism::from_raw(2), ScramMechanism::Sha512);
    }
}
