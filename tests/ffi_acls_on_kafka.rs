//! `kafka::ffi`'s ACL and SCRAM calls (DescribeAcls, CreateAcls, DeleteAcls,
//! DescribeUserScramCredentials, AlterUserScramCredentials) against the
//! secured Apache Kafka of `scripts/kafka up --secure`, as its SASL super user
//! over SASL_SSL. `scripts/leakcheck` runs this file under valgrind.
//!
//! Every test uses names of its own (a fresh principal, a fresh user) and
//! removes what it made, so the shared cluster is left as it was.

mod support;

use std::time::{Duration, Instant};

use eventdeck::config::{CliOverrides, Settings};
use eventdeck::kafka::ffi::{
    self, AclBinding, AclFilter, AdminHandle, Operation, PatternType, Permission, ResourceType,
    ScramMechanism,
};
use support::secure::secured;

/// How long a change may take to show in the broker's view (KRaft applies it
/// from the metadata log); the wait ends as soon as it shows.
const SETTLE: Duration = Duration::from_secs(30);

/// Settings for `user` with `password` over SASL_SSL (SCRAM-SHA-512).
fn sasl(user: &str, password: &str) -> Settings {
    let c = secured();
    let env = |k: &str| match k {
        "KAFKA_SECURITY_PROTOCOL" => Some("SASL_SSL".to_string()),
        "KAFKA_SASL_MECHANISM" => Some("SCRAM-SHA-512".to_string()),
        "KAFKA_SASL_USERNAME" => Some(user.to_string()),
        "KAFKA_SASL_PASSWORD" => Some(password.to_string()),
        "KAFKA_SSL_CA_LOCATION" => Some(c.ca.clone()),
        _ => None,
    };
    Settings::load_with_env(
        &CliOverrides {
            config: Some("/dev/null".into()),
            brokers: Some(c.sasl_ssl.clone()),
            ..Default::default()
        },
        &env,
    )
    .expect("settings")
}

fn admin() -> AdminHandle {
    let c = secured();
    AdminHandle::connect(
        &sasl(&c.admin_user, &c.admin_password),
        "administering ACLs",
    )
    .expect("connect as the super user")
}

fn settle<T: std::fmt::Debug>(
    what: &str,
    mut read: impl FnMut() -> T,
    ok: impl Fn(&T) -> bool,
) -> T {
    let start = Instant::now();
    loop {
        let v = read();
        if ok(&v) {
            return v;
        }
        assert!(
            start.elapsed() < SETTLE,
            "{what} within {SETTLE:?}; last: {v:?}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn by_principal(p: &str) -> AclFilter {
    AclFilter {
        principal: Some(p.to_string()),
        ..AclFilter::any()
    }
}

/// Deletes a test principal's ACLs when the test ends, whatever happened.
struct ForgetAcls<'a>(&'a AdminHandle, String);

impl Drop for ForgetAcls<'_> {
    fn drop(&mut self) {
        let _ = ffi::delete_acls(self.0, &[by_principal(&self.1)]);
    }
}

#[test]
fn acls_are_created_described_and_deleted() {
    let h = admin();
    let principal = format!("User:ffi-{}", uuid::Uuid::new_v4().simple());
    let _forget = ForgetAcls(&h, principal.clone());
    let topic = format!("ffi-acl-{}", uuid::Uuid::new_v4().simple());
    let read = AclBinding {
        resource_type: ResourceType::Topic,
        resource_name: topic.clone(),
        pattern_type: PatternType::Literal,
        principal: principal.clone(),
        host: "*".into(),
        operation: Operation::Read,
        permission: Permission::Allow,
    };
    let deny = AclBinding {
        resource_type: ResourceType::Group,
        resource_name: "ffi-".into(),
        pattern_type: PatternType::Prefixed,
        host: "127.0.0.1".into(),
        operation: Operation::DescribeConfigs,
        permission: Permission::Deny,
        ..read.clone()
    };
    let mut both = vec![read.clone(), deny.clone()];
    both.sort();
    // Twice: creating an ACL that exists changes nothing.
    ffi::create_acls(&h, &both).expect("create");
    ffi::create_acls(&h, &both).expect("create again");
    let got = settle(
        "both ACLs to show",
        || ffi::describe_acls(&h, &by_principal(&principal)).expect("describe"),
        |v| v.len() == 2,
    );
    assert_eq!(got, both);

    // MATCH finds what applies to a name (the literal one here); LITERAL on
    // another name finds nothing.
    let matching = ffi::describe_acls(
        &h,
        &AclFilter {
            resource_type: ResourceType::Topic,
            resource_name: Some(topic.clone()),
            pattern_type: PatternType::Match,
            principal: Some(principal.clone()),
            ..AclFilter::any()
        },
    )
    .expect("describe match");
    assert_eq!(matching, vec![read.clone()]);
    let other = ffi::describe_acls(
        &h,
        &AclFilter {
            resource_type: ResourceType::Topic,
            resource_name: Some("nothing-here".into()),
            pattern_type: PatternType::Literal,
            principal: Some(principal.clone()),
            ..AclFilter::any()
        },
    )
    .expect("describe other");
    assert!(other.is_empty(), "{other:?}");

    // Refused before anything is sent: a filter value in a binding, a NUL.
    let bad = AclBinding {
        operation: Operation::Any,
        ..read.clone()
    };
    let e = ffi::create_acls(&h, &[bad]).expect_err("ANY is no operation");
    assert!(e.to_string().contains("librdkafka refused the ACL"), "{e}");
    let nul = AclBinding {
        principal: "User:a\0b".into(),
        ..read.clone()
    };
    assert!(ffi::create_acls(&h, &[nul]).is_err());

    // Deleting returns exactly what was deleted; a filter that matches
    // nothing deletes nothing.
    let gone = ffi::delete_acls(
        &h,
        &[AclFilter::exact(&deny), by_principal("User:nobody-ffi")],
    )
    .expect("delete one");
    assert_eq!(gone, vec![deny.clone()]);
    let gone = ffi::delete_acls(&h, &[by_principal(&principal)]).expect("delete the rest");
    assert_eq!(gone, vec![read.clone()]);
    settle(
        "the ACLs to go",
        || ffi::describe_acls(&h, &by_principal(&principal)).expect("describe"),
        Vec::is_empty,
    );
    assert!(ffi::delete_acls(&h, &[]).expect("nothing").is_empty());
    ffi::create_acls(&h, &[]).expect("nothing to create");
}

/// Deletes a test user's credentials when the test ends, whatever happened
/// (errors ignored: they may be gone already).
struct Forget<'a>(&'a AdminHandle, String);

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        for m in [ScramMechanism::Sha256, ScramMechanism::Sha512] {
            let _ = ffi::delete_scram_credential(self.0, &self.1, m);
        }
    }
}

#[test]
fn scram_credentials_are_upserted_described_and_deleted() {
    let h = admin();
    let user = format!("ffi-{}", uuid::Uuid::new_v4().simple());
    let _forget = Forget(&h, user.clone());

    // Unknown user: a per-user error, not a failed request.
    let none = ffi::describe_user_scram_credentials(&h, &[&user]).expect("describe unknown");
    assert_eq!(none.len(), 1, "{none:?}");
    assert!(
        none[0].error.is_some() && none[0].credentials.is_empty(),
        "{none:?}"
    );

    ffi::upsert_scram_credential(&h, &user, ScramMechanism::Sha256, 4096, b"first")
        .expect("upsert 256");
    ffi::upsert_scram_credential(&h, &user, ScramMechanism::Sha512, 8192, b"second")
        .expect("upsert 512");
    let got = settle(
        "both credentials to show",
        || ffi::describe_user_scram_credentials(&h, &[&user]).expect("describe"),
        |v| v.first().is_some_and(|u| u.credentials.len() == 2),
    );
    let mut creds: Vec<(ScramMechanism, i32)> = got[0]
        .credentials
        .iter()
        .map(|c| (c.mechanism, c.iterations))
        .collect();
    creds.sort();
    assert_eq!(
        creds,
        vec![
            (ScramMechanism::Sha256, 4096),
            (ScramMechanism::Sha512, 8192)
        ]
    );
    assert_eq!(got[0].error, None);

    // Every user: the cluster's own and ours.
    let all = ffi::describe_user_scram_credentials(&h, &[]).expect("describe all");
    let names: Vec<&str> = all.iter().map(|u| u.user.as_str()).collect();
    for u in [
        secured().admin_user.as_str(),
        secured().user.as_str(),
        user.as_str(),
    ] {
        assert!(names.contains(&u), "{u} in {names:?}");
    }

    // The broker refuses too few iterations: a per-alteration error.
    let e = ffi::upsert_scram_credential(&h, &user, ScramMechanism::Sha512, 10, b"x")
        .expect_err("10 iterations");
    assert!(e.to_string().contains(&user), "{e}");
    // Refused before anything is sent.
    assert!(ffi::upsert_scram_credential(&h, "", ScramMechanism::Sha512, 4096, b"x").is_err());
    assert!(ffi::upsert_scram_credential(&h, &user, ScramMechanism::Sha512, 4096, b"").is_err());
    assert!(ffi::describe_user_scram_credentials(&h, &["a\0b"]).is_err());

    ffi::delete_scram_credential(&h, &user, ScramMechanism::Sha256).expect("delete 256");
    settle(
        "one credential to remain",
        || ffi::describe_user_scram_credentials(&h, &[&user]).expect("describe"),
        |v| v.first().is_some_and(|u| u.credentials.len() == 1),
    );
    ffi::delete_scram_credential(&h, &user, ScramMechanism::Sha512).expect("delete 512");
    let gone = settle(
        "the user to go",
        || ffi::describe_user_scram_credentials(&h, &[&user]).expect("describe"),
        |v| v.first().is_some_and(|u| u.credentials.is_empty()),
    );
    assert!(gone[0].error.is_some(), "{gone:?}");
    // Deleting what is not there is the broker's error, said with the user.
    let e = ffi::delete_scram_credential(&h, &user, ScramMechanism::Sha512).expect_err("gone");
    assert!(e.to_string().contains(&user), "{e}");
}

#[test]
fn a_principal_without_describe_on_the_cluster_is_refused_as_the_broker_would() {
    let h = admin();
    let user = format!("ffi-{}", uuid::Uuid::new_v4().simple());
    let _forget = Forget(&h, user.clone());
    ffi::upsert_scram_credential(&h, &user, ScramMechanism::Sha512, 4096, b"pw-ffi")
        .expect("upsert");
    // A fresh user has no ACL: it logs in, but may not describe the cluster.
    let settings = sasl(&user, "pw-ffi");
    let start = Instant::now();
    let mine = loop {
        match AdminHandle::connect(&settings, "describing ACLs") {
            Ok(handle) => break handle,
            Err(e) => {
                assert!(start.elapsed() < SETTLE, "the new user's login: {e}");
                std::thread::sleep(Duration::from_millis(300));
            }
        }
    };
    let ops = ffi::cluster_operations(&mine).expect("DescribeCluster");
    assert_eq!(ops, Some(Vec::new()), "no operation on the cluster");
    // librdkafka would drop DescribeAcls' refusal and crash on
    // DescribeUserScramCredentials': both are refused before they are sent.
    for e in [
        ffi::describe_acls(&mine, &AclFilter::any()).map(|_| ()),
        ffi::describe_user_scram_credentials(&mine, &[]).map(|_| ()),
    ] {
        let e = e.expect_err("refused");
        assert!(
            e.to_string().contains("Cluster authorization failed"),
            "{e}"
        );
    }
}
