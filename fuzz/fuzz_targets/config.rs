//! The config file parser on any text: TOML into profiles, security, topics
//! and UI settings, the error message for a file that does not parse (its
//! position, values redacted), `-X` properties, and the `[ui]` keys and colours
//! the console reads from it.
//!
//! Input: the file's text. Comment lines `# -X key=value` and
//! `# --profile NAME` in it are given as those flags.
#![no_main]

use std::io::Write;
use std::sync::OnceLock;

use eventdeck::config::{self, CliOverrides, Settings};
use eventdeck::tui::keymap::KeyMap;
use eventdeck::tui::theme::Theme;
use libfuzzer_sys::fuzz_target;

/// Given through the environment, so no password file is ever read (the
/// file could name any path), and so it can be looked for in the output.
const ENV_PASSWORD: &str = "env-secret-pw-0451";

fn dir() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = std::path::Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        tempfile::Builder::new()
            .prefix("eventdeck-fuzz-config")
            .tempdir_in(base)
            .expect("a temp dir for the fuzz config file")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut cli = CliOverrides::default();
    for line in text.lines() {
        if let Some(arg) = line.strip_prefix("# -X ") {
            if let Ok(p) = config::parse_property(arg) {
                cli.properties.push(p);
            }
        } else if let Some(name) = line.strip_prefix("# --profile ") {
            cli.profile = Some(name.to_string());
        }
    }
    let path = dir().path().join("config.toml");
    let written = std::fs::File::create(&path).and_then(|mut f| f.write_all(data));
    if written.is_err() {
        return;
    }
    cli.config = Some(path);
    let env = |name: &str| (name == config::env::SASL_PASSWORD).then(|| ENV_PASSWORD.to_string());
    match Settings::load_with_env(&cli, &env) {
        Ok(settings) => {
            let debug = format!("{settings:?}");
            assert!(
                !debug.contains(ENV_PASSWORD),
                "a password in Debug: {debug}"
            );
            let _ = settings.librdkafka_properties();
            let _ = settings.cluster_label();
            let _ = KeyMap::with_overrides(&settings.ui.keys);
            let _ = Theme::from_config(&settings.ui.theme, &settings.ui.colors);
            for context in settings.topics.contexts() {
                let _ = settings.topics.topic_for(context);
            }
        }
        Err(e) => {
            let message = e.to_string();
            assert!(
                !message.contains(ENV_PASSWORD),
                "a password in an error: {message}"
            );
        }
    }
});
