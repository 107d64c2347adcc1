//! `kafka::ffi`, the crate's one module with `unsafe`, against real Kafka:
//! DescribeCluster, ListConsumerGroups/DescribeConsumerGroups on groups of
//! both protocols, and ACLs on brokers without an authorizer (the secured
//! cluster's ACL and SCRAM calls are in ffi_acls_on_kafka.rs). `scripts/leakcheck` runs this file under valgrind.

mod support;

use std::time::{Duration, Instant};

use eventdeck::config::{CliOverrides, Settings};
use eventdeck::kafka::ffi::{self, AdminHandle, GroupType};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};

use support::{bootstrap, create_topic, unique_topic};

fn settings() -> Settings {
    Settings::load_with_env(
        &CliOverrides {
            config: Some("/dev/null".into()),
            brokers: Some(bootstrap()),
            ..Default::default()
        },
        &|_| None,
    )
    .expect("settings")
}

/// A member of `group` (`protocol`: `classic` or `consumer`) subscribed to
/// `topic`, polled until it holds partitions.
fn member(group: &str, topic: &str, protocol: &str) -> BaseConsumer {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", group)
        .set("group.protocol", protocol)
        .set("client.id", format!("ffi-{protocol}"))
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        let _ = consumer.poll(Duration::from_millis(200));
        if consumer.assignment().is_ok_and(|a| a.count() > 0) {
            return consumer;
        }
    }
    panic!("the {protocol} member of {group} got no partitions in 60 s");
}

#[test]
fn describe_cluster_names_the_cluster_its_controller_and_every_broker() {
    let s = settings();
    let handle = AdminHandle::connect(&s, "describing the cluster").expect("connect");
    let cluster = ffi::describe_cluster(&handle).expect("describe cluster");
    assert!(
        cluster
            .cluster_id
            .as_deref()
            .is_some_and(|id| !id.is_empty()),
        "{cluster:?}"
    );
    // Every broker the metadata names, with the same id, host and port.
    let md: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .expect("client");
    let md = md
        .fetch_metadata(None, Duration::from_secs(10))
        .expect("metadata");
    let mut brokers: Vec<_> = md
        .brokers()
        .iter()
        .map(|b| (b.id(), b.host().to_string(), b.port() as u16))
        .collect();
    brokers.sort();
    let nodes: Vec<_> = cluster
        .nodes
        .iter()
        .map(|n| (n.id, n.host.clone(), n.port))
        .collect();
    assert_eq!(nodes, brokers, "{cluster:?}");
    let controller = cluster.controller.as_ref().expect("a controller");
    assert!(cluster.nodes.iter().any(|n| n.id == controller.id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_of_both_protocols_are_listed_and_described_with_members_and_assignments() {
    let topic = unique_topic("ffi-groups");
    create_topic(&topic, 3).await;
    let (new, classic, missing) = (
        unique_topic("ffi-consumer"),
        unique_topic("ffi-classic"),
        unique_topic("ffi-missing"),
    );
    let t = topic.clone();
    let (n, c) = (new.clone(), classic.clone());
    let (a, b) = tokio::task::spawn_blocking(move || {
        (member(&n, &t, "consumer"), member(&c, &t, "classic"))
    })
    .await
    .expect("members");

    let s = settings();
    let handle = AdminHandle::connect(&s, "describing consumer groups").expect("connect");
    let listed = ffi::list_consumer_groups(&handle).expect("list");
    assert!(listed.errors.is_empty(), "{:?}", listed.errors);
    let kind = |g: &str| {
        listed
            .groups
            .iter()
            .find(|l| l.group_id == g)
            .map(|l| l.group_type)
    };
    assert_eq!(kind(&new), Some(GroupType::Consumer));
    assert_eq!(kind(&classic), Some(GroupType::Classic));
    assert_eq!(kind(&missing), None);

    let described =
        ffi::describe_consumer_groups(&handle, &[&new, &classic, &missing]).expect("describe");
    assert_eq!(described.len(), 3, "{described:?}");
    let find = |g: &str| {
        described
            .iter()
            .find(|d| d.group_id == g)
            .unwrap_or_else(|| panic!("{g} not described: {described:?}"))
    };
    for (g, kind, client) in [
        (&new, GroupType::Consumer, "ffi-consumer"),
        (&classic, GroupType::Classic, "ffi-classic"),
    ] {
        let d = find(g);
        assert_eq!(d.group_type, kind, "{d:?}");
        assert_eq!(d.error, None, "{d:?}");
        assert_eq!(d.state, "Stable", "{d:?}");
        assert!(!d.assignor.is_empty(), "{d:?}");
        assert!(d.coordinator.is_some(), "{d:?}");
        assert_eq!(d.members.len(), 1, "{d:?}");
        let m = &d.members[0];
        assert_eq!(m.client_id, client);
        assert!(
            !m.consumer_id.is_empty() && m.host.contains("127.0.0.1"),
            "{m:?}"
        );
        let mut held = m.assignment.clone();
        held.sort();
        let all: Vec<_> = (0..3).map(|p| (topic.clone(), p)).collect();
        assert_eq!(held, all, "{m:?}");
    }
    let gone = find(&missing);
    assert_eq!((gone.state.as_str(), gone.members.len()), ("Dead", 0));
    drop((a, b));
}

#[test]
fn a_group_id_with_a_nul_byte_is_refused_before_anything_is_sent() {
    let s = settings();
    let handle = AdminHandle::connect(&s, "describing consumer groups").expect("connect");
    assert!(ffi::describe_consumer_groups(&handle, &["a\0b"]).is_err());
    assert!(
        ffi::describe_consumer_groups(&handle, &[])
            .expect("nothing to describe")
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acls_on_brokers_without_an_authorizer_are_a_clear_error_and_scram_users_still_list() {
    let s = settings();
    let handle = AdminHandle::connect(&s, "describing ACLs").expect("connect");
    // librdkafka 2.12 reads DescribeAcls' SECURITY_DISABLED and drops it: the
    // bare call finds nothing and reports no error...
    let bare = ffi::describe_acls(&handle, &ffi::AclFilter::any()).expect("no error reported");
    assert!(bare.is_empty(), "{bare:?}");
    // ...so the list eventdeck shows asks the brokers for their authorizer
    // first, and says there is none.
    let e = eventdeck::kafka::acls::list_acls(&s, ffi::AclFilter::any())
        .await
        .expect_err("no authorizer");
    assert!(
        e.to_string().contains("without an authorizer"),
        "names the cause: {e}"
    );
    // SCRAM credentials live in the metadata, authorizer or not.
    ffi::describe_user_scram_credentials(&handle, &[]).expect("describe users");
}

/// The crate's rule: `unsafe` only in `src/kafka/ffi/`.
#[test]
fn unsafe_code_lives_only_in_the_ffi_module() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).expect("read src").flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let ffi = src.join("kafka/ffi");
    let mut files = Vec::new();
    walk(&src, &mut files);
    for f in files.iter().filter(|f| !f.starts_with(&ffi)) {
        let text = std::fs::read_to_string(f).expect("read");
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            assert!(
                !(code.contains("unsafe {")
                    || code.contains("unsafe fn")
                    || code.contains("unsafe impl")),
                "{}:{}: unsafe outside src/kafka/ffi: {line}",
                f.display(),
                i + 1
            );
        }
    }
    // Every unsafe block in the module says why it is sound.
    let mut ffi_files = Vec::new();
    walk(&ffi, &mut ffi_files);
    for f in ffi_files {
        let text = std::fs::read_to_string(&f).expect("read");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !line.contains("unsafe {") {
                continue;
            }
            let said = lines[..i]
                .iter()
                .rev()
                .take_while(|l| l.trim_start().starts_with("//") || l.contains("unsafe {"))
                .any(|l| l.contains("SAFETY:"));
            assert!(
                said,
                "{}:{}: an unsafe block without // SAFETY:",
                f.display(),
                i + 1
            );
        }
    }
}
