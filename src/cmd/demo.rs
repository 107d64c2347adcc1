//! `eventdeck demo`: the console on an embedded broker with the bridge and a
//! scenario, or `--headless` for a summary of what went by.

use color_eyre::eyre::Result;

use super::{UserError, outln};
use crate::cli::{DemoArgs, GlobalArgs};
use crate::config::Settings;
use crate::demo::{self, Demo};
use crate::tui::{self, AppServices};

/// Runs `eventdeck demo`.
pub async fn run(settings: &Settings, args: &DemoArgs) -> Result<()> {
    if args.headless {
        let summary = demo::run_headless(settings, args.rate, args.duration).await?;
        if args.json {
            outln!("{}", crate::domain::text::json_string(&summary, true)?)?;
        } else {
            std::io::Write::write_all(&mut std::io::stdout(), summary.render().as_bytes())?;
        }
        return Ok(());
    }
    crate::tui::terminal::require_terminal("use --headless")?;
    let mut demo = Demo::start(settings, args.rate).await?;
    let mut topics: Vec<String> = demo.settings.topics.topics().map(str::to_string).collect();
    let dlqs: Vec<String> = topics
        .iter()
        .map(|t| demo.settings.topics.dlq_topic(t))
        .collect();
    topics.extend(dlqs);
    let services = AppServices {
        settings: demo.settings.clone(),
        publisher: demo.publisher.clone(),
        raw_publisher: Some(demo.raw_publisher.clone()),
        topics,
        status: demo.status_line(),
        scenario_rate: demo.rate.take(),
        start: crate::kafka::StartAt::Beginning,
        title: "demo (embedded broker)".into(),
        known_groups: vec![demo::BRIDGE_GROUP.into(), demo::SLOW_GROUP.into()],
        handlers: demo.bridge.as_ref().map(|b| b.redeliverer()),
    };
    let result = tui::run(services).await;
    demo.stop().await;
    result
}

/// The demo runs its own embedded broker: connection flags meant for a
/// cluster would be ignored, so they are refused instead.
pub fn refuse_cluster_flags(global: &GlobalArgs) -> Result<(), UserError> {
    let mut given = Vec::new();
    if let Some(b) = &global.brokers {
        given.push(format!("--brokers {b}"));
    }
    if !global.property.is_empty() {
        given.push("-X".to_string());
    }
    if given.is_empty() {
        return Ok(());
    }
    Err(UserError(format!(
        "demo runs its own embedded broker and does not use {}; \
         drop it, or run the console against your cluster: eventdeck --brokers HOST:PORT",
        given.join(" or ")
    )))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::Cli;

    #[test]
    fn cluster_flags_are_refused_with_the_reason() {
        let cli = Cli::parse_from(["eventdeck", "demo", "--headless", "--brokers", "k:9092"]);
        let err = refuse_cluster_flags(&cli.global).expect_err("refused");
        assert!(err.0.contains("--brokers k:9092"), "{err}");
        assert!(err.0.contains("embedded broker"), "{err}");
        let cli = Cli::parse_from(["eventdeck", "-X", "acks=1", "demo"]);
        assert!(refuse_cluster_flags(&cli.global).is_err());
        let cli = Cli::parse_from(["eventdeck", "demo", "--headless"]);
        assert!(refuse_cluster_flags(&cli.global).is_ok());
    }
}
