//! What eventdeck writes to disk is private to the user, whatever the umask:
//! exports and the outbox hold production records, the audit log says who did
//! what to which cluster, the log file quotes brokers' errors. Directories are
//! created 0700 and files 0600; an existing file of ours that others can read
//! is narrowed when it is opened. And where something others can read or see
//! holds a secret (a data dir, a config file with a password, a password on
//! the command line, which `ps` shows to every user), a warning says so, with
//! the fix.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Mode of the directories eventdeck creates.
pub const DIR_MODE: u32 = 0o700;
/// Mode of the files eventdeck creates.
pub const FILE_MODE: u32 = 0o600;

/// `create_dir_all`, every directory it creates 0700.
pub fn create_dir_all(path: &Path) -> io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, DIR_MODE);
    b.create(path)
}

/// Open options whose file, when created, is 0600.
pub fn options() -> OpenOptions {
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, FILE_MODE);
    o
}

/// Opens `path` for appending, creating it 0600; a file of ours that others
/// could read (written before eventdeck made its files private) is narrowed.
pub fn open_append(path: &Path) -> io::Result<File> {
    let f = options().create(true).append(true).open(path)?;
    narrow(&f)?;
    Ok(f)
}

/// Opens `path` for reading and appending, creating it 0600 (and narrowing
/// it, as [`open_append`]).
pub fn open_read_append(path: &Path) -> io::Result<File> {
    let f = options().create(true).read(true).append(true).open(path)?;
    narrow(&f)?;
    Ok(f)
}

/// Creates `path` 0600, truncating it if it exists.
pub fn create(path: &Path) -> io::Result<File> {
    let f = options()
        .create(true)
        .write(true)
        .truncate(true)
        .open(path)?;
    narrow(&f)?;
    Ok(f)
}

/// Writes `bytes` to `path` (as `std::fs::write`), the file 0600.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    create(path)?.write_all(bytes)
}

/// Takes group and other permissions off an open file of ours.
fn narrow(f: &File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = f.metadata()?.permissions().mode();
        if mode & 0o077 != 0 {
            f.set_permissions(std::fs::Permissions::from_mode(mode & 0o700))?;
        }
    }
    #[cfg(not(unix))]
    let _ = f;
    Ok(())
}

/// Group/other permission bits of `path`, when it exists and has any.
#[cfg(unix)]
fn exposed_bits(path: &Path, mask: u32) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (mode & mask != 0).then_some(mode & 0o777)
}

/// A warning when the data dir exists and others can read or enter it.
pub fn data_dir_warning(dir: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        let mode = exposed_bits(dir, 0o077)?;
        Some(format!(
            "the data dir {} is open to other users (mode {mode:o}); it holds exports, \
             the audit log and the bridge's outbox — fix it with: chmod 700 {}",
            dir.display(),
            shell_quote(dir)
        ))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        None
    }
}

/// A warning when the config file holds a password and others can read it
/// (as ssh and kubectl warn).
pub fn config_file_warning(path: &Path, holds_secret: bool) -> Option<String> {
    if !holds_secret {
        return None;
    }
    #[cfg(unix)]
    {
        let mode = exposed_bits(path, 0o044)?;
        Some(format!(
            "the config file {} holds a password and other users can read it (mode {mode:o}) \
             — fix it with: chmod 600 {}",
            path.display(),
            shell_quote(path)
        ))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// librdkafka properties whose value is a secret.
pub const SECRET_PROPERTIES: [&str; 5] = [
    "sasl.password",
    "ssl.key.password",
    "ssl.keystore.password",
    "sasl.oauthbearer.client.secret",
    "ssl.key.pem",
];

/// A warning for each secret given with `-X` on the command line: `ps` shows
/// the command line to every user of the machine.
pub fn command_line_warnings<'a>(properties: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    properties
        .into_iter()
        .filter(|k| SECRET_PROPERTIES.contains(k))
        .map(|k| {
            format!(
                "-X {k}=… on the command line is visible to every user of this machine (ps); \
                 use --ask-password, the config file (chmod 600) or the environment \
                 (KAFKA_SASL_PASSWORD, KAFKA_SSL_KEY_PASSWORD) instead"
            )
        })
        .collect()
}

fn shell_quote(p: &Path) -> String {
    let s = p.display().to_string();
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+~".contains(c))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777
    }

    #[test]
    fn created_dirs_are_0700_and_files_0600() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("a/b");
        create_dir_all(&dir).expect("dirs");
        assert_eq!(mode(&tmp.path().join("a")), 0o700);
        assert_eq!(mode(&dir), 0o700);
        let f = dir.join("log");
        open_append(&f).expect("append");
        assert_eq!(mode(&f), 0o600);
        let g = dir.join("export");
        write(&g, b"x").expect("write");
        assert_eq!(mode(&g), 0o600);
    }

    #[test]
    fn an_old_world_readable_file_of_ours_is_narrowed_when_opened() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let f = tmp.path().join("audit.jsonl");
        std::fs::write(&f, b"old\n").expect("write");
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        open_append(&f).expect("append");
        assert_eq!(mode(&f), 0o600);
        assert_eq!(std::fs::read(&f).expect("read"), b"old\n");
    }

    #[test]
    fn open_dirs_and_readable_secrets_are_warned_about_with_the_fix() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("data dir");
        std::fs::create_dir(&dir).expect("dir");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let w = data_dir_warning(&dir).expect("a warning");
        assert!(w.contains("mode 755"), "{w}");
        assert!(
            w.ends_with(&format!("chmod 700 '{}'", dir.display())),
            "{w}"
        );
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        assert_eq!(data_dir_warning(&dir), None);

        let cfg = tmp.path().join("config.toml");
        std::fs::write(&cfg, "x").expect("write");
        std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(config_file_warning(&cfg, true).is_some_and(|w| w.contains("chmod 600")));
        assert_eq!(config_file_warning(&cfg, false), None);
        std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        assert_eq!(config_file_warning(&cfg, true), None);

        let w = command_line_warnings(["client.id", "sasl.password"]);
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("--ask-password"), "{}", w[0]);
    }
}
