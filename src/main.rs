//! The `eventdeck` binary: install error hooks, parse the command line, load the
//! configuration, start file logging, run one command.
#![forbid(unsafe_code)]

use std::process::ExitCode;

// mimalloc: the record path allocates per record and header; with glibc's
// malloc, consume + decode + append of 300k envelopes took 4.37 s, with
// mimalloc 2.77 s (`cargo bench --bench ingest_vs_kcat`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use eventdeck::cli::{Cli, Command};
use eventdeck::cmd;
use eventdeck::config::Settings;

/// How long leftover blocking work may delay the exit.
const EXIT_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

fn main() -> ExitCode {
    eventdeck::alloc::restart_with_allocator_settings();
    eventdeck::logging::mark_process_start();
    // Hooks first, so a panic anywhere after this is reported (and, once the
    // console owns the terminal, the terminal is restored before the report).
    if let Err(e) = color_eyre::install() {
        eprintln!("eventdeck: cannot install error hooks: {e}");
    }
    // rdkafka panics on a header name that is not UTF-8; the reader catches
    // it and keeps the record, so it is no crash to report.
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !eventdeck::kafka::record::reading_header() {
            report(info);
        }
    }));
    let cli = Cli::parse();
    // `find` exits as grep does: 2 on any error, 1 is "nothing matched";
    // `acls`, `users` and `schemas` exit 2 on any error too (denied, unreachable,
    // refused), the status a missing --yes has, so a script checks one code.
    let grep_like = matches!(
        cli.command,
        Some(
            Command::Find(_)
                | Command::Acls { .. }
                | Command::Users { .. }
                | Command::Schemas { .. }
        )
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("eventdeck: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(cli));
    // Dropping a runtime waits for every blocking task, with no limit; a
    // librdkafka call still waiting on a broker that went away (a consumer's
    // close, a metadata request) would keep the process alive after the
    // terminal was restored. Everything that must be durable is flushed by
    // now, so blocking work left over gets a short grace period.
    runtime.shutdown_timeout(EXIT_GRACE);
    match outcome {
        Ok(code) => code,
        // The reader went away (`| head`): nothing is left to say to anyone.
        Err(e) if cmd::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) if e.downcast_ref::<cmd::NeedsConfirmation>().is_some() => {
            eprintln!("eventdeck: {e}");
            ExitCode::from(cmd::NEEDS_CONFIRMATION_EXIT)
        }
        Err(e) => {
            // One clear line: the error and its causes, no backtrace noise;
            // a cause its parent already quotes is not repeated.
            let mut line = String::new();
            for cause in e.chain().map(|c| c.to_string()) {
                if line.contains(&cause) {
                    continue;
                }
                if !line.is_empty() {
                    line.push_str(": ");
                }
                line.push_str(&cause);
            }
            // Broker errors can quote names chosen by others (groups, topics).
            eprintln!("eventdeck: error: {}", eventdeck::domain::sanitize(&line));
            if grep_like {
                ExitCode::from(cmd::find::ERROR_EXIT)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

async fn run(cli: Cli) -> color_eyre::Result<ExitCode> {
    if let Some(Command::Demo(_)) = &cli.command {
        cmd::demo::refuse_cluster_flags(&cli.global)?;
    }
    let mut settings = Settings::load(&cli.global.overrides()?)?;
    // The demo runs on its own broker, without the user's properties.
    if !matches!(cli.command, Some(Command::Demo(_))) {
        eventdeck::kafka::client::check_properties(&settings)?;
    }
    if settings.security.wants_prompt(cli.global.ask_password) {
        settings.security.sasl_password = Some(ask_password(&settings)?);
    }
    // Said before anything else (the console shows them too, and they are on
    // the terminal again when it ends).
    for w in &settings.warnings {
        eprintln!("eventdeck: warning: {}", eventdeck::domain::sanitize(w));
    }
    let _log = eventdeck::logging::init(&settings.data_dir);
    tracing::info!(profile = %settings.profile, brokers = %settings.brokers, "starting");
    if cli.global.unmask {
        let source = match cli.command {
            None => eventdeck::audit::Source::Console,
            Some(_) => eventdeck::audit::Source::Headless,
        };
        eventdeck::audit::unmask(&mut settings, source)?;
        tracing::warn!(profile = %settings.profile, "data policies off (--unmask)");
    }
    match cli.command {
        Some(Command::Inject(args)) => cmd::inject::run(&settings, &args).await?,
        Some(Command::Tail(args)) => cmd::tail::run(&settings, &args).await?,
        Some(Command::Demo(args)) => cmd::demo::run(&settings, &args).await?,
        Some(Command::Lag(args)) => return cmd::lag::run(&settings, &args).await,
        Some(Command::Dlq { action }) => cmd::dlq::run(&settings, &action).await?,
        Some(Command::Replay(args)) => cmd::replay::run(&settings, &args).await?,
        Some(Command::Bridge(args)) => cmd::bridge::run(&settings, &args).await?,
        Some(Command::Topics { action }) => cmd::topics::run(&settings, &action).await?,
        Some(Command::Groups { action }) => cmd::groups::run(&settings, &action).await?,
        Some(Command::Cluster(args)) => return cmd::cluster::run(&settings, &args).await,
        Some(Command::Audit(args)) => return cmd::audit::run(&settings, &args),
        Some(Command::Acls { action }) => cmd::acls::run(&settings, &action).await?,
        Some(Command::Users { action }) => cmd::users::run(&settings, &action).await?,
        Some(Command::Find(args)) => return cmd::find::run(&settings, &args).await,
        Some(Command::Schemas { action }) => cmd::schemas::run(&settings, &action).await?,
        Some(Command::Policies { action }) => cmd::policies::run(&settings, &action).await?,
        None => {
            eventdeck::tui::terminal::require_terminal(
                "the console needs one; the subcommands (eventdeck --help) work without",
            )?;
            eventdeck::tui::run(console_services(settings)?).await?
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads the SASL password from the terminal (/dev/tty, so it works with
/// stdout piped), without echo. `rpassword` does the termios handling; the
/// crate forbids unsafe code of its own.
fn ask_password(settings: &Settings) -> color_eyre::Result<eventdeck::config::Secret> {
    let user = settings
        .security
        .sasl_username
        .as_deref()
        .unwrap_or("(no sasl_username set)");
    let prompt = format!("SASL password for {user} at {}: ", settings.brokers);
    let password = rpassword::prompt_password(prompt).map_err(|e| {
        color_eyre::eyre::eyre!("cannot read the SASL password from the terminal: {e}")
    })?;
    Ok(eventdeck::config::Secret::new(password))
}

/// The console against the configured cluster: the form publishes straight to
/// Kafka, Streams tails every context topic.
fn console_services(settings: Settings) -> color_eyre::Result<eventdeck::tui::AppServices> {
    use std::sync::Arc;

    use eventdeck::kafka::EventProducer;
    use eventdeck::kafka::produce::DEFAULT_DELIVERY_TIMEOUT;
    use eventdeck::publish::DirectPublisher;

    let producer = EventProducer::new(&settings, DEFAULT_DELIVERY_TIMEOUT)?;
    let publisher: Arc<dyn eventdeck::publish::Publisher> =
        Arc::new(DirectPublisher::new(producer));
    Ok(eventdeck::tui::AppServices {
        topics: settings.topics.topics().map(str::to_string).collect(),
        start: eventdeck::kafka::StartAt::End,
        title: settings.cluster_label(),
        raw_publisher: Some(publisher.clone()),
        publisher,
        status: None,
        scenario_rate: None,
        known_groups: vec![settings.consumer_group.clone()],
        handlers: None,
        settings,
    })
}
