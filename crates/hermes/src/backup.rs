//! Backups and restores: `hermes backup`, `hermes restore`, and the
//! backups the server takes on its own every `backup.every_minutes`.
//!
//! A backup is one tar file holding everything needed to bring a HERMES
//! back, not just its database:
//!
//! - `manifest.json` first: format version, backend, when, the schema
//!   version, the row count of every table, and the size and SHA-256 of
//!   every other part;
//! - `database.sqlite` (a consistent copy made with `VACUUM INTO` on a
//!   read-only connection: the server keeps running and writing) or
//!   `database.pgdump` (`pg_dump --format=custom` of an exported snapshot,
//!   the very snapshot the row counts were taken in);
//! - `secret.keys`, the data-at-rest keys: without them the sealed columns
//!   (telephony and Clio credentials, recordings) of the copy cannot be
//!   opened, so a backup without them would not be one;
//! - `keys/*.pem`, the JWT signing keys (sessions survive a restore).
//!
//! So the file is as secret as the data directory: it is written 0600 in a
//! 0700 directory, through a temporary name, fsynced, then renamed, so a
//! half-written backup never carries a backup's name.
//!
//! A restore checks the whole archive before it touches anything (every
//! part's size and hash, the SQLite copy's `integrity_check` and row counts
//! against the manifest, a schema no newer than this binary's), refuses
//! while the database is in use unless `--force` (restore with the servers
//! stopped), then replaces the database — SQLite: the file, atomically,
//! with the old `-wal`/`-shm` removed; PostgreSQL: `pg_restore --clean
//! --if-exists --no-owner --single-transaction` as `database.url`'s role, so
//! the tables belong to the application's role as the migrations made
//! them — and adds the backup's keys to the key files. A restore never
//! removes a key: keys made after the backup stay, so nothing sealed or
//! signed with them becomes unreadable.
//!
//! PostgreSQL's tenant tables have forced row-level security: a dump by the
//! application's own role would hold no firm's rows (pg_dump refuses
//! rather than dump them empty). `pg_dump` therefore connects with
//! `backup.database_url`, a superuser or `BYPASSRLS` role; the restore needs
//! no such role (rows load before the policies are switched back on).
//!
//! Scheduled backups: every node ticks, but each period of `every_minutes`
//! is taken by one node only — the first to count a hit on
//! `backup:<period>` in the shared state (Redis with several nodes), the
//! idea of the Clio sync's "queued once per period". A node that finds the
//! newest backup in `backup.dir` older than the period takes one at once
//! (after downtime), otherwise at the next period boundary.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use chrono::{DateTime, NaiveDateTime, Utc};
use hermes_store::Backend;
use hermes_store::maintenance::{self, TableCounts};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Settings;

/// `manifest.json`'s `format`.
pub const FORMAT: &str = "hermes-backup";
/// `manifest.json`'s `version`: bumped when the archive's layout changes.
pub const VERSION: u32 = 1;

const MANIFEST: &str = "manifest.json";
const SQLITE_PART: &str = "database.sqlite";
const PG_PART: &str = "database.pgdump";
const SECRETS_PART: &str = "secret.keys";
const KEYS_PREFIX: &str = "keys/";
/// `hermes-20250102T030405.678Z.tar`: sorts by time.
const NAME_PREFIX: &str = "hermes-";
const NAME_SUFFIX: &str = ".tar";
const NAME_TIME: &str = "%Y%m%dT%H%M%S%.3fZ";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    /// `sqlite` or `postgres`.
    pub backend: String,
    pub created_at: DateTime<Utc>,
    /// The HERMES that made it.
    pub hermes_version: String,
    /// The newest migration applied to the database.
    pub schema_version: i64,
    /// Rows per table at the moment of the backup.
    pub tables: BTreeMap<String, i64>,
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// What a backup wrote.
#[derive(Debug)]
pub struct Written {
    pub path: PathBuf,
    pub manifest: Manifest,
    pub bytes: u64,
}

fn backend_of(settings: &Settings) -> Backend {
    if settings.database_url().starts_with("sqlite:") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    }
}

/// The file name of a backup taken at `at`.
pub fn file_name(at: DateTime<Utc>) -> String {
    format!("{NAME_PREFIX}{}{NAME_SUFFIX}", at.format(NAME_TIME))
}

/// When the backup named `name` was taken, if it is one of ours.
pub fn taken_at(name: &str) -> Option<DateTime<Utc>> {
    let stamp = name.strip_prefix(NAME_PREFIX)?.strip_suffix(NAME_SUFFIX)?;
    NaiveDateTime::parse_from_str(stamp, NAME_TIME)
        .ok()
        .map(|t| t.and_utc())
}

/// Where `hermes backup --output X` writes: into X when it is a directory
/// (or ends with `/`), else X itself (which must not exist yet).
fn destination(
    settings: &Settings,
    output: Option<&Path>,
    at: DateTime<Utc>,
) -> anyhow::Result<PathBuf> {
    let dir_or_file = match output {
        Some(p) => p.to_owned(),
        None => settings.backup_dir().context(
            "no backup directory: set backup.dir (PostgreSQL has no default) or pass --output",
        )?,
    };
    let is_dir = dir_or_file.is_dir()
        || output.is_none()
        || dir_or_file.as_os_str().to_string_lossy().ends_with('/');
    if is_dir {
        create_private_dir(&dir_or_file)?;
        Ok(dir_or_file.join(file_name(at)))
    } else {
        ensure!(
            !dir_or_file.exists(),
            "{} already exists; a backup never overwrites a file",
            dir_or_file.display()
        );
        Ok(dir_or_file)
    }
}

/// Takes a backup into `output` (a file or a directory; default
/// `backup.dir`).
pub async fn create(settings: &Settings, output: Option<&Path>) -> anyhow::Result<Written> {
    let at = Utc::now();
    let dest = destination(settings, output, at)?;
    let parent = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // Staged beside the destination, so the last step is one rename on
    // one file system.
    let staging = tempfile::Builder::new()
        .prefix(".hermes-backup-")
        .tempdir_in(parent)
        .with_context(|| format!("creating a staging directory in {}", parent.display()))?;
    let backend = backend_of(settings);
    let (db_part, schema_version, tables) = match backend {
        Backend::Sqlite => {
            let path = staging.path().join(SQLITE_PART);
            maintenance::sqlite_snapshot(&settings.database_url(), &path)
                .await
                .context("copying the SQLite database (VACUUM INTO)")?;
            let file = maintenance::sqlite_check(&path)
                .await
                .context("checking the copy")?;
            (SQLITE_PART, file.schema_version, file.tables)
        }
        Backend::Postgres => {
            let (version, tables) = pg_dump(settings, &staging.path().join(PG_PART)).await?;
            (PG_PART, version, tables)
        }
    };
    // The keys are read after the database, so every key the copy's sealed
    // values need is in the copy of the key file.
    let mut names = vec![db_part.to_owned()];
    let secrets = settings.secrets_file();
    if secrets.is_file() {
        copy_private(&secrets, &staging.path().join(SECRETS_PART))?;
        names.push(SECRETS_PART.to_owned());
    } else {
        tracing::warn!(file = %secrets.display(), "no data-at-rest key file to back up");
    }
    let keys = staging.path().join("keys");
    create_private_dir(&keys)?;
    for pem in key_files(&settings.keys_dir())? {
        let name = pem
            .file_name()
            .expect("a file")
            .to_string_lossy()
            .into_owned();
        copy_private(&pem, &keys.join(&name))?;
        names.push(format!("{KEYS_PREFIX}{name}"));
    }
    let mut parts = Vec::new();
    for name in &names {
        let (bytes, sha256) = hash_file(&staging.path().join(name))?;
        parts.push(Part {
            name: name.clone(),
            bytes,
            sha256,
        });
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        version: VERSION,
        backend: backend.as_str().into(),
        created_at: at,
        hermes_version: env!("CARGO_PKG_VERSION").into(),
        schema_version,
        tables,
        parts,
    };
    let staging_path = staging.path().to_owned();
    let manifest_json = serde_json::to_vec_pretty(&manifest)?;
    let dest2 = dest.clone();
    let bytes = tokio::task::spawn_blocking(move || {
        write_archive(&staging_path, &manifest_json, &names, &dest2, at)
    })
    .await??;
    drop(staging);
    Ok(Written {
        path: dest,
        manifest,
        bytes,
    })
}

/// `pg_dump` of an exported snapshot in which every table's rows were
/// counted. Returns the schema version and the counts.
async fn pg_dump(settings: &Settings, file: &Path) -> anyhow::Result<(i64, TableCounts)> {
    let url = settings
        .backup
        .database_url
        .clone()
        .unwrap_or_else(|| settings.database_url());
    let snapshot = maintenance::PgSnapshot::begin(&url)
        .await
        .context("opening a snapshot of the PostgreSQL database (backup.database_url)")?;
    let Some(version) = snapshot.schema_version else {
        let _ = snapshot.finish().await;
        bail!("the PostgreSQL database has no HERMES schema (run `hermes migrate` first)");
    };
    let mut cmd = std::process::Command::new(&settings.backup.pg_dump);
    cmd.arg("--format=custom")
        .arg(format!("--snapshot={}", snapshot.id))
        .arg("--file")
        .arg(file);
    connect_args(&mut cmd, &url)?;
    let out = run(cmd, "pg_dump (backup.pg_dump)").await;
    let tables = snapshot.tables.clone();
    snapshot.finish().await?;
    out?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(file, fs::Permissions::from_mode(0o600))?;
    }
    Ok((version, tables))
}

/// Points a libpq program at `url`: the password goes in `PGPASSWORD`, not
/// in the arguments every local user can read in the process list.
fn connect_args(cmd: &mut std::process::Command, url: &str) -> anyhow::Result<()> {
    let mut parsed = url::Url::parse(url).context("the PostgreSQL URL is not a valid URL")?;
    if let Some(password) = parsed.password() {
        let password = percent_encoding::percent_decode_str(password).decode_utf8_lossy();
        cmd.env("PGPASSWORD", password.as_ref());
        let _ = parsed.set_password(None);
    }
    cmd.arg("--dbname").arg(parsed.as_str());
    Ok(())
}

/// Runs a program to completion off the async threads; its standard error
/// becomes the error (it names what went wrong, never a password).
async fn run(mut cmd: std::process::Command, what: &'static str) -> anyhow::Result<()> {
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await?
        .with_context(|| format!("running {what}"))?;
    if !out.status.success() {
        bail!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

fn write_archive(
    staging: &Path,
    manifest: &[u8],
    names: &[String],
    dest: &Path,
    at: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let partial = dest.with_extension("tar.partial");
    let file = create_private_file(&partial)?;
    let result = (|| -> anyhow::Result<()> {
        let mut tar = tar::Builder::new(file);
        let mut header = tar::Header::new_gnu();
        header.set_size(manifest.len() as u64);
        header.set_mode(0o600);
        header.set_mtime(at.timestamp().max(0) as u64);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, MANIFEST, manifest)?;
        for name in names {
            let mut f = fs::File::open(staging.join(name))?;
            tar.append_file(name, &mut f)?;
        }
        let file = tar.into_inner()?;
        file.sync_all()?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&partial);
        return Err(e.context(format!("writing {}", partial.display())));
    }
    fs::rename(&partial, dest).with_context(|| format!("renaming to {}", dest.display()))?;
    sync_dir(dest.parent());
    Ok(fs::metadata(dest)?.len())
}

/// An archive unpacked into a private directory and checked against its
/// manifest.
struct Unpacked {
    dir: tempfile::TempDir,
    manifest: Manifest,
}

impl Unpacked {
    fn path(&self, part: &str) -> PathBuf {
        self.dir.path().join(part)
    }

    fn has(&self, part: &str) -> bool {
        self.manifest.parts.iter().any(|p| p.name == part)
    }
}

/// Reads `archive` into a new directory inside `into`, checking every
/// part's size and hash against the manifest (which must come first) and
/// that nothing is missing or extra.
fn unpack(archive: &Path, into: &Path) -> anyhow::Result<Unpacked> {
    let file = fs::File::open(archive).with_context(|| format!("opening {}", archive.display()))?;
    let dir = tempfile::Builder::new()
        .prefix(".hermes-restore-")
        .tempdir_in(into)
        .with_context(|| format!("creating a staging directory in {}", into.display()))?;
    let mut tar = tar::Archive::new(file);
    let mut entries = tar
        .entries()
        .context("not a HERMES backup (not a tar file)")?;
    let manifest: Manifest = {
        let mut first = entries
            .next()
            .context("not a HERMES backup (empty)")?
            .context("not a HERMES backup")?;
        ensure!(
            first.path()?.as_ref() == Path::new(MANIFEST),
            "not a HERMES backup (no manifest first)"
        );
        let mut text = Vec::new();
        first.by_ref().take(1 << 20).read_to_end(&mut text)?;
        serde_json::from_slice(&text).context("not a HERMES backup (unreadable manifest)")?
    };
    ensure!(
        manifest.format == FORMAT,
        "not a HERMES backup (format {:?})",
        manifest.format
    );
    ensure!(
        manifest.version == VERSION,
        "backup format version {} is not supported by this HERMES (it reads version {VERSION})",
        manifest.version
    );
    let mut seen = Vec::new();
    for entry in entries {
        let mut entry = entry?;
        let name = entry.path()?.to_string_lossy().into_owned();
        let Some(part) = manifest.parts.iter().find(|p| p.name == name) else {
            bail!("the backup holds {name:?}, which its manifest does not list");
        };
        ensure!(
            entry.header().entry_type().is_file() && safe_part_name(&name),
            "the backup's part {name:?} is not a plain file"
        );
        ensure!(!seen.contains(&name), "the backup holds {name:?} twice");
        let path = dir.path().join(&name);
        if let Some(parent) = path.parent() {
            create_private_dir(parent)?;
        }
        let mut out = create_private_file(&path)?;
        let mut hasher = Sha256::new();
        let mut bytes = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = entry.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])?;
            bytes += n as u64;
        }
        out.sync_all()?;
        ensure!(
            bytes == part.bytes && hex::encode(hasher.finalize()) == part.sha256,
            "the backup's {name} is damaged (its size or SHA-256 differs from the manifest)"
        );
        seen.push(name);
    }
    for part in &manifest.parts {
        ensure!(
            seen.contains(&part.name),
            "the backup is incomplete: {} is missing",
            part.name
        );
    }
    Ok(Unpacked { dir, manifest })
}

/// The names a backup may hold: the database, the key file, and `.pem`
/// files directly under `keys/` (never a path that climbs out).
fn safe_part_name(name: &str) -> bool {
    match name.strip_prefix(KEYS_PREFIX) {
        Some(file) => {
            file.ends_with(".pem")
                && !file.starts_with('.')
                && !file.contains('/')
                && !file.contains('\\')
        }
        None => [SQLITE_PART, PG_PART, SECRETS_PART].contains(&name),
    }
}

/// Checks a backup without restoring it: what `hermes restore` checks
/// first. Returns its manifest.
pub async fn verify(archive: &Path) -> anyhow::Result<Manifest> {
    let scratch = tempfile::tempdir()?;
    let archive = archive.to_owned();
    let into = scratch.path().to_owned();
    let unpacked = tokio::task::spawn_blocking(move || unpack(&archive, &into)).await??;
    if unpacked.has(SQLITE_PART) {
        check_sqlite_copy(&unpacked).await?;
    }
    Ok(unpacked.manifest)
}

async fn check_sqlite_copy(unpacked: &Unpacked) -> anyhow::Result<()> {
    let file = maintenance::sqlite_check(&unpacked.path(SQLITE_PART))
        .await
        .context("the backup's database is damaged")?;
    ensure!(
        file.tables == unpacked.manifest.tables,
        "the backup's database does not hold the rows its manifest counted"
    );
    Ok(())
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    pub manifest: Manifest,
    /// Whether the row counts after the restore were compared with the
    /// manifest's (PostgreSQL: only with a role that sees every row).
    pub counts_checked: bool,
    pub keys_added: usize,
}

/// Restores `archive` into the configured database and key files. The
/// servers must be stopped; `force` skips the check that nobody has the
/// database open.
pub async fn restore(settings: &Settings, archive: &Path, force: bool) -> anyhow::Result<Restored> {
    let backend = backend_of(settings);
    let url = settings.database_url();
    let staging_dir = match backend {
        // Beside the database, so the new file is renamed into place.
        Backend::Sqlite => {
            let db = maintenance::sqlite_path(&url)?;
            let parent = db
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_owned();
            create_private_dir(&parent)?;
            parent
        }
        Backend::Postgres => std::env::temp_dir(),
    };
    let archive_path = archive.to_owned();
    let unpacked =
        tokio::task::spawn_blocking(move || unpack(&archive_path, &staging_dir)).await??;
    let m = &unpacked.manifest;
    ensure!(
        m.backend == backend.as_str(),
        "this is a backup of a {} database, and database.url is {}: restore it into the same kind",
        m.backend,
        backend.as_str()
    );
    let newest = maintenance::latest_schema_version(backend);
    ensure!(
        m.schema_version <= newest,
        "the backup's schema ({}) is newer than this HERMES knows ({newest}); restore it with \
         the version that made it ({}) or a newer one",
        m.schema_version,
        m.hermes_version
    );
    let counts_checked = match backend {
        Backend::Sqlite => {
            check_sqlite_copy(&unpacked).await?;
            if !force && maintenance::sqlite_in_use(&url).await? {
                bail!(
                    "the database is in use (a server or another hermes command has it open): \
                     stop every server first, or pass --force"
                );
            }
            replace_sqlite(
                &maintenance::sqlite_path(&url)?,
                &unpacked.path(SQLITE_PART),
            )?;
            true
        }
        Backend::Postgres => restore_pg(settings, &unpacked, force).await?,
    };
    let keys_added = restore_keys(settings, &unpacked)?;
    Ok(Restored {
        manifest: unpacked.manifest.clone(),
        counts_checked,
        keys_added,
    })
}

/// Puts `copy` where the database was: the old `-wal` and `-shm` go first
/// (a stale log replayed over another database would corrupt it), then the
/// copy is renamed over the old file, in one step.
fn replace_sqlite(db: &Path, copy: &Path) -> anyhow::Result<()> {
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = db.as_os_str().to_owned();
        side.push(suffix);
        match fs::remove_file(PathBuf::from(side)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).context("removing the old database's log"),
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(copy, fs::Permissions::from_mode(0o600))?;
    }
    fs::File::open(copy)?.sync_all()?;
    fs::rename(copy, db).with_context(|| format!("replacing {}", db.display()))?;
    sync_dir(db.parent());
    Ok(())
}

/// `pg_restore` into `database.url` as its own role (the tables become the
/// application's, as the migrations made them). Returns whether the row
/// counts were compared with the manifest's.
async fn restore_pg(settings: &Settings, unpacked: &Unpacked, force: bool) -> anyhow::Result<bool> {
    let url = settings.database_url();
    let target = maintenance::pg_inspect(&url)
        .await
        .context("connecting to the database to restore into (database.url)")?;
    if target.other_sessions > 0 && !force {
        bail!(
            "the database is in use ({} other sessions): stop every server first, or pass --force",
            target.other_sessions
        );
    }
    if let Some(v) = target.schema_version {
        ensure!(
            v <= unpacked.manifest.schema_version,
            "the database's schema ({v}) is newer than the backup's ({}): restore into an empty \
             database (create one, point database.url at it)",
            unpacked.manifest.schema_version
        );
    } else {
        ensure!(
            target.tables == 0,
            "the database holds tables that are not HERMES's; restore into an empty database"
        );
    }
    let mut cmd = std::process::Command::new(&settings.backup.pg_restore);
    cmd.args([
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "--exit-on-error",
    ]);
    connect_args(&mut cmd, &url)?;
    cmd.arg(unpacked.path(PG_PART));
    run(cmd, "pg_restore (backup.pg_restore)").await?;
    // Counting needs a role that sees every firm's rows.
    let admin = settings.backup.database_url.clone().unwrap_or(url);
    if !maintenance::pg_inspect(&admin).await?.bypasses_rls {
        tracing::warn!("row counts not compared: set backup.database_url to a BYPASSRLS role");
        return Ok(false);
    }
    let counts = maintenance::pg_table_counts(&admin).await?;
    ensure!(
        counts == unpacked.manifest.tables,
        "the restored database does not hold the rows the backup counted; it was restored in one \
         transaction, so look at pg_restore's output"
    );
    Ok(true)
}

/// Adds the backup's keys to the key files: missing signing keys are
/// written, and the data-at-rest key file becomes this node's keys followed
/// by the backup's that it lacks (the first line keeps sealing). Returns
/// how many keys were added. Nothing is written when nothing is missing,
/// so a read-only mounted key directory that already holds them is fine.
fn restore_keys(settings: &Settings, unpacked: &Unpacked) -> anyhow::Result<usize> {
    let mut added = 0;
    if unpacked.has(SECRETS_PART) {
        let theirs = fs::read_to_string(unpacked.path(SECRETS_PART))?;
        let path = settings.secrets_file();
        let ours = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let mut lines: Vec<&str> = ours.lines().filter(|l| !l.trim().is_empty()).collect();
        let before = lines.len();
        for line in theirs.lines().filter(|l| !l.trim().is_empty()) {
            if !lines.iter().any(|l| l.trim() == line.trim()) {
                lines.push(line);
            }
        }
        if lines.len() > before {
            let text = lines.join("\n") + "\n";
            hermes_auth::SecretBox::parse(&text)
                .map_err(|e| anyhow::anyhow!("the backup's data-at-rest keys: {e}"))?;
            if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                create_private_dir(dir)?;
            }
            write_atomically(&path, text.as_bytes())?;
            added += lines.len() - before;
        }
    }
    let keys_dir = settings.keys_dir();
    for part in &unpacked.manifest.parts {
        let Some(name) = part.name.strip_prefix(KEYS_PREFIX) else {
            continue;
        };
        let target = keys_dir.join(name);
        if target.exists() {
            continue;
        }
        create_private_dir(&keys_dir)?;
        write_atomically(&target, &fs::read(unpacked.path(&part.name))?)?;
        added += 1;
    }
    Ok(added)
}

// --- scheduled backups --------------------------------------------------

/// Starts the scheduled backups, when `backup.every_minutes` > 0 and there
/// is a `backup.dir` (explicit, or the SQLite default).
pub fn spawn_scheduler(
    settings: &Settings,
    shared: std::sync::Arc<dyn hermes_cache::SharedState>,
) -> Option<tokio::task::JoinHandle<()>> {
    let every_minutes = settings.backup.every_minutes;
    let dir = settings.backup_dir();
    if every_minutes == 0 || dir.is_none() {
        if every_minutes > 0 {
            tracing::info!("scheduled backups are off: set backup.dir to turn them on");
        }
        return None;
    }
    let dir = dir.expect("checked");
    let settings = settings.clone();
    let every = Duration::from_secs(every_minutes * 60);
    metrics::describe_counter!(
        "hermes_backups_total",
        "Scheduled backups taken by this node, by result (ok, error)"
    );
    metrics::describe_gauge!(
        "hermes_backup_last_success_timestamp_seconds",
        "When this node last finished a scheduled backup (Unix time)"
    );
    Some(tokio::spawn(async move {
        // A backup is due at once when the newest is older than a period
        // (the server was down when one was due); otherwise at the next
        // period boundary.
        let mut done = match newest_backup(&dir) {
            Some(t) if Utc::now() - t < chrono::Duration::from_std(every).unwrap_or_default() => {
                Some(period(Utc::now(), every))
            }
            _ => None,
        };
        let mut tick = tokio::time::interval(every.min(Duration::from_secs(30)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now = period(Utc::now(), every);
            if done == Some(now) {
                continue;
            }
            done = Some(now);
            match shared.hit(&format!("backup:{now}"), every).await {
                Ok(c) if c.count > 1 => continue, // another node took it
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "backup lease unavailable: taking the backup anyway")
                }
            }
            scheduled_once(&settings, &dir).await;
        }
    }))
}

fn period(at: DateTime<Utc>, every: Duration) -> i64 {
    at.timestamp() / every.as_secs().max(1) as i64
}

/// One scheduled backup and the pruning after it, counted in the metrics.
pub async fn scheduled_once(settings: &Settings, dir: &Path) {
    let started = std::time::Instant::now();
    // An existing directory: `create` then writes a new file into it.
    let made = match create_private_dir(dir) {
        Ok(()) => create(settings, Some(dir)).await,
        Err(e) => Err(e),
    };
    match made {
        Ok(w) => {
            metrics::counter!("hermes_backups_total", "result" => "ok").increment(1);
            metrics::gauge!("hermes_backup_last_success_timestamp_seconds")
                .set(w.manifest.created_at.timestamp() as f64);
            tracing::info!(
                path = %w.path.display(), bytes = w.bytes,
                ms = started.elapsed().as_millis() as u64, "backup written"
            );
            match prune(dir, settings.backup.keep) {
                Ok(removed) if !removed.is_empty() => {
                    tracing::info!(removed = removed.len(), "old backups deleted")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not delete old backups"),
            }
        }
        Err(e) => {
            metrics::counter!("hermes_backups_total", "result" => "error").increment(1);
            tracing::error!(error = %format!("{e:#}"), "scheduled backup failed");
        }
    }
}

/// Backups in `dir` (ours by name), oldest first.
fn backups_in(dir: &Path) -> Vec<(DateTime<Utc>, PathBuf)> {
    let mut found: Vec<_> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name();
            taken_at(name.to_str()?).map(|t| (t, e.path()))
        })
        .filter(|(_, p)| p.is_file())
        .collect();
    found.sort();
    found
}

fn newest_backup(dir: &Path) -> Option<DateTime<Utc>> {
    backups_in(dir).last().map(|(t, _)| *t)
}

/// Deletes all but the `keep` newest backups in `dir` (files named like
/// ours; anything else there is left alone). Returns what it deleted.
pub fn prune(dir: &Path, keep: usize) -> anyhow::Result<Vec<PathBuf>> {
    let all = backups_in(dir);
    let excess = all.len().saturating_sub(keep);
    let mut removed = Vec::new();
    for (_, path) in all.into_iter().take(excess) {
        fs::remove_file(&path).with_context(|| format!("deleting {}", path.display()))?;
        removed.push(path);
    }
    Ok(removed)
}

// --- files ----------------------------------------------------------------

/// The signing keys' files (`*.pem`) in `dir`, by name.
fn key_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(files),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".pem") && !name.starts_with('.') && entry.path().is_file() {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

fn hash_file(path: &Path) -> anyhow::Result<(u64, String)> {
    let mut f = fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut hasher = Sha256::new();
    let bytes = std::io::copy(&mut f, &mut hasher)?;
    Ok((bytes, hex::encode(hasher.finalize())))
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

fn create_private_file(path: &Path) -> anyhow::Result<fs::File> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
        .with_context(|| format!("creating {}", path.display()))
}

fn copy_private(from: &Path, to: &Path) -> anyhow::Result<()> {
    let mut src = fs::File::open(from).with_context(|| format!("reading {}", from.display()))?;
    let mut dst = create_private_file(to)?;
    std::io::copy(&mut src, &mut dst)?;
    Ok(())
}

/// Writes `bytes` to a temporary name beside `path`, fsyncs, renames.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".restoring");
    let tmp = PathBuf::from(tmp);
    let _ = fs::remove_file(&tmp);
    let mut f = create_private_file(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    sync_dir(path.parent());
    Ok(())
}

/// Makes a rename in `dir` durable (best effort: not every platform can
/// open a directory).
fn sync_dir(dir: Option<&Path>) {
    if let Some(d) = dir.filter(|d| !d.as_os_str().is_empty())
        && let Ok(f) = fs::File::open(d)
    {
        let _ = f.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_time_and_parse_back() {
        let a = "2025-01-02T03:04:05.678Z".parse::<DateTime<Utc>>().unwrap();
        let b = a + chrono::Duration::milliseconds(1);
        assert_eq!(file_name(a), "hermes-20250102T030405.678Z.tar");
        assert_eq!(taken_at(&file_name(a)), Some(a));
        assert!(file_name(a) < file_name(b));
        assert_eq!(taken_at("hermes-nonsense.tar"), None);
        assert_eq!(taken_at("notes.txt"), None);
    }

    #[test]
    fn prune_keeps_the_newest_and_leaves_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let t0 = "2025-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        for h in 0..5 {
            fs::write(
                dir.path().join(file_name(t0 + chrono::Duration::hours(h))),
                b"x",
            )
            .unwrap();
        }
        fs::write(dir.path().join("notes.txt"), b"mine").unwrap();
        let removed = prune(dir.path(), 2).unwrap();
        assert_eq!(removed.len(), 3);
        let left: Vec<_> = backups_in(dir.path()).into_iter().map(|(t, _)| t).collect();
        assert_eq!(
            left,
            [
                t0 + chrono::Duration::hours(3),
                t0 + chrono::Duration::hours(4)
            ]
        );
        assert!(dir.path().join("notes.txt").exists());
    }

    #[test]
    fn part_names_cannot_climb_out() {
        assert!(safe_part_name("database.sqlite"));
        assert!(safe_part_name("keys/0000000000001-abc.pem"));
        assert!(!safe_part_name("keys/../../etc/passwd.pem"));
        assert!(!safe_part_name("keys/.hidden.pem"));
        assert!(!safe_part_name("../secret.keys"));
        assert!(!safe_part_name("keys/x.txt"));
    }

    #[test]
    fn passwords_leave_the_url_for_the_environment() {
        let mut cmd = std::process::Command::new("true");
        connect_args(
            &mut cmd,
            "postgres://admin:p%40ss@db:5432/hermes?sslmode=require",
        )
        .unwrap();
        let args: Vec<_> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            [
                "--dbname",
                "postgres://admin@db:5432/hermes?sslmode=require"
            ]
        );
        let env: Vec<_> = cmd.get_envs().collect();
        assert_eq!(
            env,
            [(
                std::ffi::OsStr::new("PGPASSWORD"),
                Some(std::ffi::OsStr::new("p@ss"))
            )]
        );
    }
}
