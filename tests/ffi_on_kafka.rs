//! `kafka::ffi`, the crate's one module with `unsafe`, against real Kafka:
//! DescribeCluster, ListConsumerGroups/DescribeConsumerGroups on groups of
//! both protocols, ListOffsets (max timestamp; `read_committed` end offsets
//! under an open and an aborted transaction), ACLs on brokers without an
//! authorizer (the secured cluster's ACL and SCRAM calls are in
//! ffi_acls_on_kafka.rs), and a consumed record's header bytes.
//! `scripts/leakcheck` runs this file under valgrind.

mod support;

use std::time::{Duration, Instant};

use eventdeck::config::{CliOverrides, Settings};
use eventdeck::kafka::ffi::{self, AdminHandle, GroupType, Isolation, OffsetSpec};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

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

/// A plain producer on the test cluster.
fn producer(extra: &[(&str, &str)]) -> BaseProducer {
    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", bootstrap());
    for (k, v) in extra {
        cfg.set(*k, *v);
    }
    cfg.create().expect("producer")
}

fn send(p: &BaseProducer, topic: &str, partition: i32, ts_ms: Option<i64>, value: &str) {
    let mut r = BaseRecord::<(), str>::to(topic)
        .partition(partition)
        .payload(value);
    if let Some(ts) = ts_ms {
        r = r.timestamp(ts);
    }
    p.send(r).map_err(|(e, _)| e).expect("send");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_offsets_max_timestamp_names_the_newest_record_whatever_its_offset() {
    let topic = unique_topic("ffi-maxts");
    create_topic(&topic, 2).await;
    let p = producer(&[]);
    // Out of order on purpose: the newest record time is at offset 1, not
    // at the log end. Times of the last hour: the test brokers check
    // retention (7 days) every 5 s, and fixed dates went past it.
    let base = chrono::Utc::now().timestamp_millis() - 3_600_000;
    let newest = base + 4_000;
    for (ts, v) in [(base, "a"), (newest, "b"), (base + 2_000, "c")] {
        send(&p, &topic, 0, Some(ts), v);
    }
    p.flush(Duration::from_secs(30)).expect("flush");
    let s = settings();
    let handle = AdminHandle::connect(&s, "listing offsets").expect("connect");
    let parts = [(topic.clone(), 0), (topic.clone(), 1), (topic.clone(), 0)];
    // A partition's own error (a fresh topic's leader not yet known to this
    // client: seen under valgrind's slowness) is asked again, for 30 s.
    let start = Instant::now();
    let max = loop {
        let max = ffi::list_offsets(
            &handle,
            &parts,
            OffsetSpec::MaxTimestamp,
            Isolation::ReadUncommitted,
        )
        .expect("list offsets");
        if max.iter().all(|m| m.error.is_none()) || start.elapsed() > Duration::from_secs(30) {
            break max;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(max.len(), 2, "the duplicate asked once: {max:?}");
    assert_eq!(
        (max[0].offset, max[0].timestamp_ms),
        (Some(1), Some(newest)),
        "{max:?}"
    );
    assert_eq!(
        (max[1].offset, max[1].timestamp_ms),
        (None, None),
        "empty partition"
    );
    let latest = ffi::list_offsets(
        &handle,
        &parts,
        OffsetSpec::Latest,
        Isolation::ReadUncommitted,
    )
    .expect("latest");
    let earliest = ffi::list_offsets(
        &handle,
        &parts,
        OffsetSpec::Earliest,
        Isolation::ReadUncommitted,
    )
    .expect("earliest");
    assert_eq!(
        latest.iter().map(|l| l.offset).collect::<Vec<_>>(),
        [Some(3), Some(0)]
    );
    assert_eq!(
        earliest.iter().map(|l| l.offset).collect::<Vec<_>>(),
        [Some(0), Some(0)]
    );
    // The library function the Topics tab and `topics` would use.
    // Asked again (30 s at most) while the broker leaves the non-empty
    // partition's time out: it did once in CI, under valgrind, right after
    // answering it.
    let started = std::time::Instant::now();
    let times = loop {
        let times =
            eventdeck::kafka::list_offsets::last_record_times(&s, &parts[..2]).expect("times");
        if times[&(topic.clone(), 0)].is_some() || started.elapsed() > Duration::from_secs(30) {
            break times;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(times[&(topic.clone(), 0)], Some(newest));
    assert_eq!(times[&(topic.clone(), 1)], None);
    // A partition that does not exist is that partition's error.
    let missing = ffi::list_offsets(
        &handle,
        &[(topic.clone(), 7)],
        OffsetSpec::Latest,
        Isolation::ReadUncommitted,
    );
    match missing {
        Ok(v) => assert!(
            v.iter().all(|l| l.error.is_some() && l.offset.is_none()),
            "{v:?}"
        ),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_committed_end_offsets_stop_below_an_open_transaction_and_meet_after_its_abort() {
    use eventdeck::kafka::list_offsets::{committed_end_offsets, end_offsets};
    let topic = unique_topic("ffi-lso");
    create_topic(&topic, 1).await;
    let txn = format!("ffi-lso-{}", uuid::Uuid::new_v4().simple());
    let p = producer(&[("transactional.id", txn.as_str())]);
    let t = Duration::from_secs(30);
    p.init_transactions(t).expect("init transactions");
    // Committed: 3 records at 0..2 and the commit marker at 3.
    p.begin_transaction().expect("begin");
    for v in ["a", "b", "c"] {
        send(&p, &topic, 0, None, v);
    }
    p.commit_transaction(t).expect("commit");
    // Open: 2 records at 4 and 5, flushed but neither committed nor aborted.
    p.begin_transaction().expect("begin");
    for v in ["d", "e"] {
        send(&p, &topic, 0, None, v);
    }
    p.flush(t).expect("flush");
    let s = settings();
    let parts = [(topic.clone(), 0)];
    let key = (topic.clone(), 0);
    // The coordinator writes a commit's markers after the commit returns:
    // wait for them, then read both levels at the same moment.
    let levels = |want: (i64, i64)| {
        let start = Instant::now();
        loop {
            let c = committed_end_offsets(&s, &parts).expect("read_committed")[&key];
            let u = end_offsets(&s, &parts, Isolation::ReadUncommitted).expect("read_uncommitted")
                [&key];
            if (c, u) == want || start.elapsed() > Duration::from_secs(30) {
                return (c, u);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    // The last stable offset stops below the open transaction (4); the high
    // watermark counts its records (6).
    let (committed, uncommitted) = levels((4, 6));
    assert_eq!((committed, uncommitted), (4, 6));
    assert!(committed < uncommitted);
    // Aborted: its marker at 6; both levels end at 7 again.
    p.abort_transaction(t).expect("abort");
    assert_eq!(levels((7, 7)), (7, 7));
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

/// `ffi::any_header` reads a consumed record's headers as librdkafka holds
/// them: in order, a name that is not UTF-8 as its bytes, a null value as
/// `None`, and it stops where the callback says.
#[tokio::test]
async fn headers_are_read_as_bytes_in_order() {
    use std::os::unix::ffi::OsStrExt as _;

    use rdkafka::Offset;
    use rdkafka::TopicPartitionList;
    use rdkafka::message::Message as _;

    let topic = unique_topic("ffi-headers");
    create_topic(&topic, 1).await;
    let odd_name = std::ffi::OsStr::from_bytes(b"\xff\xfename=v1");
    // kcat takes a header name as the bytes of its argument; `nul` has no
    // `=`, so a null value.
    let mut kcat = std::process::Command::new("kcat")
        .args(["-b", &bootstrap(), "-P", "-t", &topic, "-H"])
        .arg(odd_name)
        .args(["-H", "nul", "-H", "a=1"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("kcat (apt-get install kcat)");
    {
        use std::io::Write as _;
        let mut stdin = kcat.stdin.take().expect("stdin");
        stdin.write_all(b"hello\n").expect("kcat stdin");
    }
    assert!(kcat.wait().expect("kcat").success(), "kcat failed");

    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", "ffi-headers")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(&topic, 0, Offset::Beginning)
        .expect("partition");
    consumer.assign(&tpl).expect("assign");
    let start = Instant::now();
    let m = loop {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no record in 30 s"
        );
        if let Some(m) = consumer.poll(Duration::from_millis(200)) {
            break m.expect("a record");
        }
    };
    assert_eq!(m.payload(), Some(&b"hello"[..]));
    let mut seen: Vec<(Vec<u8>, Option<Vec<u8>>)> = Vec::new();
    let stopped = ffi::any_header(&m, &mut |name, value| {
        seen.push((name.to_vec(), value.map(<[u8]>::to_vec)));
        false
    });
    assert!(!stopped);
    assert_eq!(
        seen,
        vec![
            (b"\xff\xfename".to_vec(), Some(b"v1".to_vec())),
            (b"nul".to_vec(), None),
            (b"a".to_vec(), Some(b"1".to_vec())),
        ]
    );
    // True stops the walk at the header that said so.
    let mut asked = 0;
    assert!(ffi::any_header(&m, &mut |name, _| {
        asked += 1;
        name == b"nul"
    }));
    assert_eq!(asked, 2);
}
