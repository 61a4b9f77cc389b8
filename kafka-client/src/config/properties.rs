//! String keys: the bag of properties, and the parsers every config section shares.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use tracing::debug;

use super::keys::{self, Client, Treatment};
use crate::error::{Error, Result};

/// A bag of Kafka-style `key = value` settings that config sections take their keys out of.
///
/// Keys and values are trimmed of surrounding whitespace, as Kafka's `ConfigDef` does, except
/// for secrets (see [`Properties::take_raw`]). When a key is inserted twice, the later value
/// wins, as in a Java `Properties` file. Insertion order is kept, so that the unknown key
/// [`Properties::finish`] reports is the first one the user wrote.
///
/// Each `take_*` method removes the key (whether or not its value parses), so that after every
/// section has run, whatever is left is unknown:
///
/// ```
/// use kafkito::config::{ApplyProperties, ClientConfigBuilder, Properties};
/// use kafkito::Error;
///
/// // A hypothetical producer section, as the producer's config will do it.
/// #[derive(Default)]
/// struct ProducerSection {
///     linger: std::time::Duration,
/// }
/// impl ApplyProperties for ProducerSection {
///     fn apply_properties(&mut self, props: &mut Properties) -> kafkito::Result<()> {
///         if let Some(linger) = props.take_duration_ms("linger.ms")? {
///             self.linger = linger;
///         }
///         Ok(())
///     }
/// }
///
/// let mut client = ClientConfigBuilder::default();
/// let mut producer = ProducerSection::default();
/// let props: Properties = [
///     ("bootstrap.servers", "localhost:9092"),
///     ("linger.ms", "5"),
///     ("lingr.ms", "5"),
/// ]
/// .into_iter()
/// .collect();
/// let err = props.apply_all(&mut [&mut client, &mut producer]).unwrap_err();
/// assert!(matches!(err, Error::Config { ref key, .. } if key == "lingr.ms"));
/// assert_eq!(producer.linger, std::time::Duration::from_millis(5));
/// ```
#[derive(Clone, Default)]
pub struct Properties {
    entries: Vec<(String, String)>,
}

impl fmt::Debug for Properties {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys only: values may be passwords or JAAS configs.
        f.debug_struct("Properties")
            .field("keys", &self.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for Properties {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut props = Properties::new();
        props.extend(iter);
        props
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Extend<(K, V)> for Properties {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (key, value) in iter {
            self.insert(key.as_ref(), value.as_ref());
        }
    }
}

/// A group of settings that reads its own keys out of a [`Properties`] bag: the client's shared
/// settings ([`ClientConfigBuilder`](super::ClientConfigBuilder)), and the producer's and consumer's own.
pub trait ApplyProperties {
    /// Takes every key this section knows out of `props`, parsing its value into `self`.
    /// Keys it does not know stay in the bag for the next section.
    ///
    /// Fails with [`Error::Config`] naming the key and the bad value when a value does not
    /// parse. Cross-field rules wait for the section's `build`.
    fn apply_properties(&mut self, props: &mut Properties) -> Result<()>;
}

impl Properties {
    /// An empty bag.
    pub fn new() -> Self {
        Properties::default()
    }

    /// Sets `key` (trimmed) to `value`, replacing an earlier value of the same key.
    pub fn insert(&mut self, key: impl AsRef<str>, value: impl Into<String>) {
        let key = key.as_ref().trim();
        let value = value.into();
        match self.entries.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((key.to_owned(), value)),
        }
    }

    /// Number of keys not yet taken.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether every key has been taken.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `key` is still in the bag.
    pub fn contains_key(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k == key)
    }

    /// The keys not yet taken, in insertion order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    /// Takes `key`'s value exactly as given, untrimmed: for secrets such as `sasl.password`,
    /// where surrounding spaces may be part of the value.
    pub fn take_raw(&mut self, key: &str) -> Option<String> {
        let index = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(index).1)
    }

    /// Takes `key`'s value, trimmed. Any string is valid, the empty one included.
    pub fn take_string(&mut self, key: &str) -> Option<String> {
        self.take_raw(key).map(|value| value.trim().to_owned())
    }

    /// Takes `key` and parses its trimmed value with `parse`, whose error is the reason put in
    /// [`Error::Config`] next to the key, e.g. ``"expected one of `a`, `b`, got `c`"``.
    pub fn take_parsed<T>(
        &mut self,
        key: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>> {
        match self.take_raw(key) {
            None => Ok(None),
            Some(value) => parse(value.trim())
                .map(Some)
                .map_err(|reason| Error::config(key, reason)),
        }
    }

    /// Takes a non-negative integer that fits Java's `long` (`0..=i64::MAX`).
    pub fn take_u64(&mut self, key: &str) -> Result<Option<u64>> {
        self.take_parsed(key, |v| parse_non_negative(v, i64::MAX as u64))
    }

    /// Takes a non-negative integer that fits Java's `int` (`0..=i32::MAX`), the type of most
    /// count and size settings.
    pub fn take_u32(&mut self, key: &str) -> Result<Option<u32>> {
        self.take_parsed(key, |v| {
            parse_non_negative(v, i32::MAX as u64).map(|n| n as u32)
        })
    }

    /// Takes a non-negative integer that fits Java's `int`, as a `usize`.
    pub fn take_usize(&mut self, key: &str) -> Result<Option<usize>> {
        Ok(self.take_u32(key)?.map(|n| n as usize))
    }

    /// Takes a duration given in milliseconds (`*.ms` keys): a non-negative integer.
    pub fn take_duration_ms(&mut self, key: &str) -> Result<Option<Duration>> {
        Ok(self.take_u64(key)?.map(Duration::from_millis))
    }

    /// Takes `true` or `false` (any case), as Kafka accepts.
    pub fn take_bool(&mut self, key: &str) -> Result<Option<bool>> {
        self.take_parsed(key, |v| {
            if v.eq_ignore_ascii_case("true") {
                Ok(true)
            } else if v.eq_ignore_ascii_case("false") {
                Ok(false)
            } else {
                Err(format!("expected `true` or `false`, got {}", shown(v)))
            }
        })
    }

    /// Takes a comma-separated list; items are trimmed and empty items dropped, so
    /// `"a, b,"` gives `["a", "b"]` and `""` the empty list.
    pub fn take_list(&mut self, key: &str) -> Option<Vec<String>> {
        self.take_raw(key).map(|value| split_list(&value))
    }

    /// Takes one of `choices` (matched ignoring ASCII case, as Kafka does for enum-like keys
    /// such as `security.protocol`).
    pub fn take_enum<T: Copy>(&mut self, key: &str, choices: &[(&str, T)]) -> Result<Option<T>> {
        self.take_parsed(key, |v| parse_enum(v, choices))
    }

    /// Takes a file path; the empty string means "not set" (`None`), as in Kafka.
    pub fn take_path(&mut self, key: &str) -> Option<Option<PathBuf>> {
        self.take_string(key)
            .map(|v| (!v.is_empty()).then(|| PathBuf::from(v)))
    }

    /// Fails on the first key (in insertion order) that no section took, unless the key table
    /// ([`keys`](super::keys)) says the key has no effect: a refused key fails with why and
    /// what to use instead, a key of a producer, consumer or admin client only fails saying
    /// whose it is, and any other key fails as `"unknown configuration key"`, with the nearest
    /// known key when one is near (`"unknown configuration key; did you mean `linger.ms`?"`).
    ///
    /// This is the check for a bag of shared keys ([`ClientConfig`](super::ClientConfig)); a
    /// client's own parse uses [`apply_all_as`](Properties::apply_all_as).
    pub fn finish(self) -> Result<()> {
        self.finish_as(None)
    }

    fn finish_as(self, client: Option<Client>) -> Result<()> {
        for (key, _) in self.entries {
            let row = match client {
                Some(client) => keys::lookup(&key, Some(client)),
                None => keys::lookup(&key, None).filter(|row| row.clients.all()),
            };
            match row.map(|row| row.treatment) {
                Some(Treatment::NoEffect { why }) => {
                    debug!(key = %key, "configuration key accepted with no effect: {why}");
                }
                Some(Treatment::Refused { why, instead }) => {
                    return Err(Error::config(key, keys::refused_reason(why, instead)));
                }
                // A key the table says is parsed, left over: its section lost it.
                Some(Treatment::Implemented { .. }) | Some(Treatment::Alias { .. }) => {
                    return Err(Error::config(
                        key,
                        "listed as implemented, but no config section took it (a bug in this client)",
                    ));
                }
                None => return Err(Error::config(&key, not_for_this_config(&key, client))),
            }
        }
        Ok(())
    }

    /// Applies every section in order, then [`finish`](Properties::finish)es: the whole parse
    /// of a bag of shared keys (see [`apply_all_as`](Properties::apply_all_as) for a client's).
    pub fn apply_all(self, sections: &mut [&mut dyn ApplyProperties]) -> Result<()> {
        self.apply(None, sections)
    }

    /// The whole parse of `client`'s bag: renames librdkafka spellings to Kafka's keys (see
    /// [`keys`](super::keys)), applies every section in order, then checks what is left as
    /// [`finish`](Properties::finish) does, except that keys of `client` with no effect are
    /// accepted and keys of other clients are refused saying whose they are.
    ///
    /// ```
    /// use kafkito::config::keys::Client;
    /// use kafkito::config::{ClientConfigBuilder, Properties};
    ///
    /// let props: Properties = [("bootstrap.servers", "localhost:9092"), ("key.serializer", "x")]
    ///     .into_iter()
    ///     .collect();
    /// let mut client = ClientConfigBuilder::default();
    /// // `key.serializer` is a producer key with no effect here: accepted.
    /// props.apply_all_as(Client::Producer, &mut [&mut client])?;
    /// # Ok::<(), kafkito::Error>(())
    /// ```
    pub fn apply_all_as(
        self,
        client: Client,
        sections: &mut [&mut dyn ApplyProperties],
    ) -> Result<()> {
        self.apply(Some(client), sections)
    }

    fn apply(
        mut self,
        client: Option<Client>,
        sections: &mut [&mut dyn ApplyProperties],
    ) -> Result<()> {
        let renamed = self.rename_aliases()?;
        let result = (|| {
            for section in sections.iter_mut() {
                section.apply_properties(&mut self)?;
            }
            self.finish_as(client)
        })();
        // An error about a key the user spelled the librdkafka way names their spelling.
        result.map_err(|error| match error {
            Error::Config { key, reason } => {
                match renamed.iter().find(|(kafka, _)| *kafka == key) {
                    Some((kafka, alias)) => Error::config(
                        alias.clone(),
                        format!("{reason} (`{alias}` is librdkafka's spelling of `{kafka}`)"),
                    ),
                    None => Error::Config { key, reason },
                }
            }
            other => other,
        })
    }

    /// Renames librdkafka spellings to the Kafka keys they stand for; returns `(kafka, alias)`
    /// pairs. Both spellings of one setting in one bag is an error: which should win?
    fn rename_aliases(&mut self) -> Result<Vec<(String, String)>> {
        let mut renamed = Vec::new();
        for index in 0..self.entries.len() {
            let Some(kafka) = keys::alias_of(&self.entries[index].0) else {
                continue;
            };
            let alias = std::mem::replace(&mut self.entries[index].0, kafka.to_owned());
            if self.entries.iter().filter(|(k, _)| k == kafka).count() > 1 {
                return Err(Error::config(
                    alias,
                    format!("librdkafka's spelling of `{kafka}`, which is also set; keep one"),
                ));
            }
            renamed.push((kafka.to_owned(), alias));
        }
        Ok(renamed)
    }
}

/// Why a key nobody took is refused: another client's key, or unknown (with a suggestion).
fn not_for_this_config(key: &str, client: Option<Client>) -> String {
    if let Some(row) = keys::lookup(key, None) {
        let owners: Vec<&str> = [Client::Producer, Client::Consumer, Client::Admin]
            .into_iter()
            .filter(|c| row.clients.has(*c))
            .map(Client::name)
            .collect();
        return match client {
            Some(client) => format!(
                "a {} key; the {} does not take it",
                owners.join(" and "),
                client.name()
            ),
            None => format!(
                "a {} key; the shared client settings take only the keys every client has",
                owners.join(" and ")
            ),
        };
    }
    match keys::suggest(key, client) {
        Some(near) => format!("unknown configuration key; did you mean `{near}`?"),
        None => "unknown configuration key".to_owned(),
    }
}

/// How a value is quoted in an error: in backticks, cut short when long (a PEM blob, a typo'd
/// JAAS line) so that the message stays one readable line.
pub(super) fn shown(value: &str) -> String {
    const MAX_CHARS: usize = 60;
    if value.chars().count() <= MAX_CHARS {
        format!("`{value}`")
    } else {
        let head: String = value.chars().take(MAX_CHARS).collect();
        format!("`{head}…`")
    }
}

pub(super) fn parse_non_negative(value: &str, max: u64) -> Result<u64, String> {
    // Like Java's Long.parseLong: an optional sign, then decimal digits. A negative number or
    // one too large is reported with the range, since that is the actual mistake.
    let (negative, digits) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value.strip_prefix('+').unwrap_or(value)),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "expected a non-negative integer, got {}",
            shown(value)
        ));
    }
    match digits.parse::<u64>() {
        Ok(n) if !negative && n <= max => Ok(n),
        Ok(0) if negative => Ok(0),
        _ => Err(format!(
            "{} is out of range: expected 0..={max}",
            shown(value)
        )),
    }
}

pub(super) fn parse_enum<T: Copy>(value: &str, choices: &[(&str, T)]) -> Result<T, String> {
    choices
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(value))
        .map(|&(_, choice)| choice)
        .ok_or_else(|| {
            let names: Vec<String> = choices
                .iter()
                .map(|(name, _)| format!("`{name}`"))
                .collect();
            format!("expected one of {}, got {}", names.join(", "), shown(value))
        })
}

pub(super) fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}
