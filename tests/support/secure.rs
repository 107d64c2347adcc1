//! The secured Apache Kafka of `scripts/kafka up --secure`, as
//! `scripts/kafka env --secure --export` describes it. Without those variables
//! (or with nothing listening) a test fails with the command that starts it.
#![allow(dead_code)]

use std::net::{TcpStream, ToSocketAddrs};
use std::sync::OnceLock;
use std::time::Duration;

/// What `scripts/kafka env --secure` says about the secured cluster.
pub struct Secured {
    /// PLAINTEXT loopback listener; its principal is a super user (test setup only).
    pub admin: String,
    pub sasl_ssl: String,
    pub mtls: String,
    pub ca: String,
    pub cert: String,
    pub key: String,
    pub encrypted_key: String,
    pub key_password: String,
    pub user: String,
    pub password: String,
    pub password_file: String,
    pub denied_topic: String,
    /// The SASL super user (`admin`) and its password.
    pub admin_user: String,
    pub admin_password: String,
    /// The mTLS client certificate's principal (`User:CN=...`).
    pub client_principal: String,
}

pub fn secured() -> &'static Secured {
    static CLUSTER: OnceLock<Secured> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        const HOW: &str = "this test needs the secured Apache Kafka of `scripts/kafka up --secure`.\n\
             Start it with:\n  \
             export EVENTDECK_KAFKA_STATE=/tmp/eventdeck-kafka-secure\n  \
             scripts/kafka up --secure --port 19092\n  \
             eval \"$(scripts/kafka env --secure --export)\"\n\
             or run the whole suite with:  scripts/test";
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| panic!("{name} is not set: {HOW}"))
        };
        let c = Secured {
            admin: var("EVENTDECK_SECURE_ADMIN_BOOTSTRAP"),
            sasl_ssl: var("EVENTDECK_SECURE_SASL_SSL"),
            mtls: var("EVENTDECK_SECURE_MTLS"),
            ca: var("EVENTDECK_SECURE_CA"),
            cert: var("EVENTDECK_SECURE_CLIENT_CERT"),
            key: var("EVENTDECK_SECURE_CLIENT_KEY"),
            encrypted_key: var("EVENTDECK_SECURE_CLIENT_KEY_ENCRYPTED"),
            key_password: var("EVENTDECK_SECURE_CLIENT_KEY_PASSWORD"),
            user: var("EVENTDECK_SECURE_USER"),
            password: var("EVENTDECK_SECURE_PASSWORD"),
            password_file: var("EVENTDECK_SECURE_PASSWORD_FILE"),
            denied_topic: var("EVENTDECK_SECURE_DENIED_TOPIC"),
            admin_user: var("EVENTDECK_SECURE_ADMIN_USER"),
            admin_password: var("EVENTDECK_SECURE_ADMIN_PASSWORD"),
            client_principal: var("EVENTDECK_SECURE_CLIENT_PRINCIPAL"),
        };
        for addr in [&c.admin, &c.sasl_ssl, &c.mtls] {
            let reachable = addr
                .to_socket_addrs()
                .ok()
                .and_then(|mut a| a.next())
                .is_some_and(|a| TcpStream::connect_timeout(&a, Duration::from_secs(3)).is_ok());
            assert!(reachable, "nothing listens on {addr}: {HOW}");
        }
        c
    })
}
