//! `eventdeck demo`: the console on an embedded broker with the bridge and a
//! scenario, or `--headless` for a summary of what went by.

use color_eyre::eyre::Result;

use crate::cli::DemoArgs;
use crate::config::Settings;
use crate::demo::{self, Demo};
use crate::tui::{self, AppServices};

/// Runs `eventdeck demo`.
pub async fn run(settings: &Settings, args: &DemoArgs) -> Result<()> {
    if args.headless {
        let summary = demo::run_headless(settings, args.rate, args.duration).await?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&summary)?);
        } else {
            print!("{}", summary.render());
        }
        return Ok(());
    }
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
