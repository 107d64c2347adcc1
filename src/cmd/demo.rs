//! `eventdeck demo`: the console on an embedded broker, or `--headless` for a
//! summary of what the scenario produced.

use color_eyre::eyre::{Result, eyre};

use crate::cli::DemoArgs;
use crate::config::Settings;
use crate::demo;

/// Runs `eventdeck demo`.
pub async fn run(settings: &Settings, args: &DemoArgs) -> Result<()> {
    if !args.headless {
        return Err(eyre!("the demo console is not built yet; use --headless"));
    }
    let summary = demo::run_headless(settings, args.rate, args.duration).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print!("{}", summary.render());
    }
    Ok(())
}
