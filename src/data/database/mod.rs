//! Cohorts that live in PostgreSQL (or a server that speaks its protocol): the server
//! counts the patients per combination of the columns a study reads (`GROUP BY`), and
//! reprise reads those counts, never the patients' rows, as data whose rows stand for
//! several patients (`data.count`). The counts come back as CSV text, so they go through
//! the same reading and checks as a data file, and their sha256 pins them as a file's does.
//!
//! Credentials never come from the URL: a password is taken from `PGPASSWORD`, and a URL
//! that carries one is refused without repeating it, so it cannot reach a spec, a
//! manifest, a report or a message.

pub mod cox;

use std::fmt::Write as _;
use std::str::FromStr;
use std::time::Duration;

use postgres::config::SslMode;
use postgres::types::Type;
use postgres::{Client, Config, NoTls, SimpleQueryMessage};

use crate::spec::DatabaseSpec;

/// A study's database and its rows, as the spec gives them (the URL without a password).
#[derive(Debug, Clone)]
pub struct Source {
    url: String,
    table: Option<String>,
    query: Option<String>,
}

impl Source {
    pub fn new(spec: &DatabaseSpec) -> Source {
        Source {
            url: spec.url.clone(),
            table: spec.table.clone(),
            query: spec.query.clone(),
        }
    }

    pub fn relation(&self) -> Relation<'_> {
        match (&self.table, &self.query) {
            (Some(t), _) => Relation::Table(t),
            (None, Some(q)) => Relation::Query(q),
            (None, None) => Relation::Table(""),
        }
    }

    /// A session whose results do not depend on the server's settings or on how it
    /// plans: dates in ISO form, floats printed exactly, and sums added in one fixed
    /// order (no parallel workers, no scan joining another one midway), so that the
    /// same rows give the same bits.
    pub fn connect(&self) -> Result<Client, DbError> {
        let mut client = connect(&self.url)?;
        client
            .batch_execute(
                "SET DateStyle = 'ISO, YMD'; SET standard_conforming_strings = on; SET TimeZone = 'UTC'; SET extra_float_digits = 3; \
                 SET max_parallel_workers_per_gather = 0; SET synchronize_seqscans = off",
            )
            .map_err(|e| DbError::new(format!("the database refused the session settings: {}", plain(&e))))?;
        Ok(client)
    }
}

/// What kind of value a column of the relation holds, as far as reprise reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlKind {
    Number,
    Bool,
    Text,
}

/// The relation's columns and their kinds, from a query that reads no row.
pub fn columns(client: &mut Client, relation: Relation) -> Result<Vec<(String, SqlKind)>, DbError> {
    let sql = format!("SELECT * FROM {} AS reprise_cohort LIMIT 0", from(relation));
    let statement = client
        .prepare(&sql)
        .map_err(|e| DbError::new(format!("the database cannot read the rows: {}", plain(&e))))?;
    Ok(statement
        .columns()
        .iter()
        .map(|c| {
            let kind = match *c.type_() {
                Type::INT2
                | Type::INT4
                | Type::INT8
                | Type::FLOAT4
                | Type::FLOAT8
                | Type::NUMERIC => SqlKind::Number,
                Type::BOOL => SqlKind::Bool,
                _ => SqlKind::Text,
            };
            (c.name().to_string(), kind)
        })
        .collect())
}

/// The relation as it goes after `FROM`.
pub fn from(relation: Relation) -> String {
    match relation {
        Relation::Table(name) => name.split('.').map(ident).collect::<Vec<_>>().join("."),
        Relation::Query(q) => format!("({})", q.trim().trim_end_matches(';')),
    }
}

/// Checks a database URL without connecting: it must parse, hold no password, and ask
/// for nothing this client cannot do.
pub fn check_url(url: &str) -> Result<(), DbError> {
    config(url).map(|_| ())
}

fn config(url: &str) -> Result<Config, DbError> {
    let config = Config::from_str(url).map_err(|e| {
        DbError::new(format!("the database URL cannot be read: {}", plain(&e)))
            .hint("write it as postgresql://USER@HOST:PORT/DATABASE or postgresql:///DATABASE?host=/SOCKET/DIR")
    })?;
    if config.get_password().is_some() {
        return Err(
            DbError::new("the database URL holds a password, which a study must not")
                .hint("remove it from the URL and set PGPASSWORD in the environment instead"),
        );
    }
    Ok(config)
}

/// The rows of a study: a table (`schema.table` allowed) or the text of a query.
#[derive(Debug, Clone, Copy)]
pub enum Relation<'a> {
    Table(&'a str),
    Query(&'a str),
}

/// The server's counts per combination of the columns asked for, as CSV text with the
/// count in a last column named [`COUNT`], in an order that does not depend on the
/// server's locale.
#[derive(Debug, Clone)]
pub struct Aggregated {
    /// `SHOW server_version`.
    pub server: String,
    pub csv: Vec<u8>,
    /// Each combination's values as the server printed them (the count last).
    pub cells: Vec<Vec<Option<String>>>,
    /// Combinations (CSV data rows) and the patients they count.
    pub rows: usize,
    pub patients: u64,
}

/// The name of the count column in [`Aggregated::csv`], one no study column can have.
pub const COUNT: &str = "reprise_patients";

/// Why a database could not be read, in words that never hold a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbError {
    pub message: String,
    pub hint: Option<String>,
}

impl DbError {
    pub(crate) fn new(message: impl Into<String>) -> DbError {
        DbError {
            message: message.into(),
            hint: None,
        }
    }

    pub(crate) fn hint(mut self, hint: impl Into<String>) -> DbError {
        self.hint = Some(hint.into());
        self
    }
}

/// Connects to `url`, taking the password from `PGPASSWORD`. Over TCP the connection is
/// encrypted when the server offers TLS (`sslmode=prefer`, the default) and must be with
/// `sslmode=require`; the server's certificate is checked against the system's roots, or
/// those in the file `PGSSLROOTCERT` names (libpq's variable), and its name against the
/// host's.
pub fn connect(url: &str) -> Result<Client, DbError> {
    let mut config = config(url)?;
    if let Ok(password) = std::env::var("PGPASSWORD") {
        config.password(password);
    } else if let Some(password) = pgpass(&config) {
        config.password(password);
    }
    config.connect_timeout(Duration::from_secs(10));
    let refused = |e: postgres::Error| {
        let said = plain(&e);
        let hint = if said.contains("certificate") {
            "the server's certificate is not signed by a root this machine trusts: set PGSSLROOTCERT to the file of the root that signed it"
        } else {
            "check the URL's host, port and database, and that the server is running"
        };
        DbError::new(format!("cannot connect to the database: {said}")).hint(hint)
    };
    if config.get_ssl_mode() == SslMode::Disable {
        return config.connect(NoTls).map_err(refused);
    }
    config.connect(tls()?).map_err(refused)
}

/// The password `~/.pgpass` (or the file `PGPASSFILE` names) holds for this connection,
/// by libpq's rules: the first line whose host, port, database and user match, `*`
/// matching anything, `\\` escaping `:` and itself; a socket connection's host is
/// `localhost`. A file that others may read is ignored, as libpq ignores it.
fn pgpass(config: &Config) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let path = match std::env::var_os("PGPASSFILE") {
        Some(p) => std::path::PathBuf::from(p),
        None => std::path::PathBuf::from(std::env::var_os("HOME")?).join(".pgpass"),
    };
    let meta = std::fs::metadata(&path).ok()?;
    if !meta.is_file() || meta.permissions().mode() & 0o077 != 0 {
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "localhost".to_string(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config
        .get_user()
        .map(str::to_string)
        .or_else(|| std::env::var("USER").ok())?;
    let database = config.get_dbname().map_or(user.clone(), str::to_string);
    password_for(&text, [&host, &port, &database, &user])
}

/// The password of the first `.pgpass` line that matches `wanted` (host, port, database,
/// user).
fn password_for(text: &str, wanted: [&str; 4]) -> Option<String> {
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut fields = vec![String::new()];
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    if let Some(next) = chars.next() {
                        fields.last_mut().expect("one").push(next);
                    }
                }
                ':' if fields.len() < 5 => fields.push(String::new()),
                c => fields.last_mut().expect("one").push(c),
            }
        }
        if fields.len() == 5
            && fields[..4]
                .iter()
                .zip(wanted)
                .all(|(f, w)| f == "*" || f == w)
        {
            return Some(fields.pop().expect("five"));
        }
    }
    None
}

/// A TLS connector that verifies the server's certificate.
fn tls() -> Result<tokio_postgres_rustls::MakeRustlsConnect, DbError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    match std::env::var_os("PGSSLROOTCERT") {
        Some(path) => {
            let shown = std::path::Path::new(&path).display().to_string();
            let certs = CertificateDer::pem_file_iter(&path).map_err(|e| {
                DbError::new(format!(
                    "cannot read the root certificates in {shown} (PGSSLROOTCERT): {e}"
                ))
            })?;
            for cert in certs {
                let cert = cert.map_err(|e| {
                    DbError::new(format!(
                        "{shown} (PGSSLROOTCERT) holds a certificate that cannot be read: {e}"
                    ))
                })?;
                roots.add(cert).map_err(|e| {
                    DbError::new(format!(
                        "{shown} (PGSSLROOTCERT) holds a certificate that cannot be used: {e}"
                    ))
                })?;
            }
        }
        None => {
            // A root the system lists but rustls cannot parse is skipped, as libpq's
            // OpenSSL skips it.
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| DbError::new(format!("cannot set up TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// Counts the patients of `relation` per combination of `columns` (a missing value is a
/// value of its own), ordered by the columns' text in byte order.
pub fn aggregate(
    client: &mut Client,
    relation: Relation,
    columns: &[&str],
) -> Result<Aggregated, DbError> {
    let server = single_value(client, "SHOW server_version")?;
    let from = format!("{} AS reprise_cohort", from(relation));
    let list = columns.iter().map(|c| ident(c)).collect::<Vec<_>>();
    let order = list
        .iter()
        .map(|c| format!("{c}::text COLLATE \"C\" NULLS FIRST"))
        .collect::<Vec<_>>();
    let sql = if columns.is_empty() {
        format!("SELECT count(*) AS {COUNT} FROM {from}")
    } else {
        format!(
            "SELECT {cols}, count(*) AS {COUNT} FROM {from} GROUP BY {cols} ORDER BY {order}",
            cols = list.join(", "),
            order = order.join(", ")
        )
    };
    let messages = client
        .simple_query(&sql)
        .map_err(|e| DbError::new(format!("the database refused the query: {}", plain(&e))))?;
    let mut csv = String::new();
    let header: Vec<&str> = columns.iter().copied().chain([COUNT]).collect();
    let _ = writeln!(
        csv,
        "{}",
        header
            .iter()
            .map(|h| field(Some(h)))
            .collect::<Vec<_>>()
            .join(",")
    );
    let (mut rows, mut patients) = (0, 0u64);
    let mut kept = Vec::new();
    for m in &messages {
        let SimpleQueryMessage::Row(row) = m else {
            continue;
        };
        let cells: Vec<String> = (0..row.len()).map(|i| field(row.get(i))).collect();
        patients += row
            .get(row.len() - 1)
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
        rows += 1;
        let _ = writeln!(csv, "{}", cells.join(","));
        kept.push(
            (0..row.len())
                .map(|i| row.get(i).map(str::to_string))
                .collect(),
        );
    }
    Ok(Aggregated {
        server,
        csv: csv.into_bytes(),
        cells: kept,
        rows,
        patients,
    })
}

pub(crate) fn single_value(client: &mut Client, sql: &str) -> Result<String, DbError> {
    let messages = client
        .simple_query(sql)
        .map_err(|e| DbError::new(format!("the database refused `{sql}`: {}", plain(&e))))?;
    messages
        .iter()
        .find_map(|m| match m {
            SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
            _ => None,
        })
        .ok_or_else(|| DbError::new(format!("`{sql}` gave no value")))
}

/// An SQL identifier, quoted, so that any column name is taken as it is spelt.
pub(crate) fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A CSV field: missing as empty, quoted when it holds a comma, quote or line break.
fn field(value: Option<&str>) -> String {
    match value {
        None => String::new(),
        Some(v) if v.contains([',', '"', '\n', '\r']) || v.is_empty() => {
            format!("\"{}\"", v.replace('"', "\"\""))
        }
        Some(v) => v.to_string(),
    }
}

/// The client's error and its cause, which name what failed but not the URL.
pub(crate) fn plain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_and_fields_escaped() {
        assert_eq!(ident("time"), "\"time\"");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(field(None), "");
        assert_eq!(field(Some("")), "\"\"");
        assert_eq!(field(Some("liver, lung")), "\"liver, lung\"");
        assert_eq!(field(Some("12.5")), "12.5");
    }

    #[test]
    fn pgpass_lines_match_as_libpq_matches_them() {
        let file = "# host:port:db:user:password\n\
                    db.example.org:5432:registry:ann:first\n\
                    *:*:*:ann:it\\:s\\\\mine\n\
                    localhost:5433:*:*:local\n";
        let got = |w: [&str; 4]| password_for(file, w);
        assert_eq!(
            got(["db.example.org", "5432", "registry", "ann"]).as_deref(),
            Some("first")
        );
        assert_eq!(
            got(["other", "5432", "registry", "ann"]).as_deref(),
            Some("it:s\\mine")
        );
        assert_eq!(
            got(["localhost", "5433", "x", "bob"]).as_deref(),
            Some("local")
        );
        assert_eq!(got(["localhost", "5432", "x", "bob"]), None);
    }

    #[test]
    fn a_password_in_the_url_is_refused_without_being_repeated() {
        let Err(e) = connect("postgresql://ann:s3cret-pw@127.0.0.1:1/registry") else {
            panic!("a URL with a password was taken");
        };
        assert!(e.message.contains("holds a password"), "{e:?}");
        assert!(!format!("{e:?}").contains("s3cret-pw"));
    }
}
