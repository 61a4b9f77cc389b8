//! How the examples name their records, and how they print them.
//!
//! Record `i` of an input topic has key `key-i` and value `value-i` (padded with `.` to a
//! size); processing turns it into `processed-i` with the same key. `verify` counts the ids
//! `i` of `processed-i` to find lost and duplicated records.

use std::fmt::Write as _;

/// The key of record `i`: `key-i`.
pub fn key(i: u64) -> String {
    format!("key-{i}")
}

/// The value of record `i`: `value-i`, padded with `.` up to `size` bytes when it is shorter.
///
/// ```
/// assert_eq!(examples::records::value(7, None), "value-7");
/// assert_eq!(examples::records::value(7, Some(10)), "value-7...");
/// ```
pub fn value(i: u64, size: Option<usize>) -> String {
    let mut value = format!("value-{i}");
    if let Some(size) = size {
        while value.len() < size {
            value.push('.');
        }
    }
    value
}

/// The id of an input value `value-i` (padding ignored), if it is one.
///
/// ```
/// assert_eq!(examples::records::input_id(b"value-12.."), Some(12));
/// assert_eq!(examples::records::input_id(b"something"), None);
/// ```
pub fn input_id(value: &[u8]) -> Option<u64> {
    id_after(value, b"value-")
}

/// The id of an output value `processed-i`, if it is one.
pub fn output_id(value: &[u8]) -> Option<u64> {
    id_after(value, b"processed-")
}

fn id_after(value: &[u8], prefix: &[u8]) -> Option<u64> {
    let digits = value.strip_prefix(prefix)?;
    let end = digits
        .iter()
        .position(|b| *b == b'.')
        .unwrap_or(digits.len());
    if digits[end..].iter().any(|b| *b != b'.') {
        return None;
    }
    std::str::from_utf8(&digits[..end]).ok()?.parse().ok()
}

/// What processing makes of an input value: `value-i` → `processed-i`. A value that is not
/// `value-i` is kept whole after the prefix, so nothing is silently dropped.
///
/// ```
/// assert_eq!(examples::records::transform(Some(b"value-3...")), "processed-3");
/// assert_eq!(examples::records::transform(Some(b"odd")), "processed-odd");
/// assert_eq!(examples::records::transform(None), "processed-");
/// ```
pub fn transform(value: Option<&[u8]>) -> String {
    let value = value.unwrap_or_default();
    match input_id(value) {
        Some(i) => format!("processed-{i}"),
        None => format!("processed-{}", String::from_utf8_lossy(value)),
    }
}

/// `s` as a JSON string literal, quotes included.
///
/// ```
/// assert_eq!(examples::records::json_string("a\"b\n\u{1}"), r#""a\"b\n\u0001""#);
/// ```
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One record as the `consumer` example prints it:
/// `{"topic":..,"partition":..,"offset":..,"key":..,"value":..}`, key and value decoded as
/// UTF-8 (lossy), `null` when absent.
///
/// ```
/// let line = examples::records::json_line("t", 1, 42, Some(b"k"), None);
/// assert_eq!(line, r#"{"topic":"t","partition":1,"offset":42,"key":"k","value":null}"#);
/// ```
pub fn json_line(
    topic: &str,
    partition: i32,
    offset: i64,
    key: Option<&[u8]>,
    value: Option<&[u8]>,
) -> String {
    let text = |bytes: Option<&[u8]>| match bytes {
        Some(b) => json_string(&String::from_utf8_lossy(b)),
        None => "null".to_owned(),
    };
    format!(
        "{{\"topic\":{},\"partition\":{partition},\"offset\":{offset},\"key\":{},\"value\":{}}}",
        json_string(topic),
        text(key),
        text(value)
    )
}

/// What `verify` found: counts of `processed-i` ids against the `expected` ids `0..expected`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// How many ids were expected (`0..expected`).
    pub expected: u64,
    /// Records read.
    pub delivered: u64,
    /// Expected ids with no record.
    pub lost: u64,
    /// Extra copies: for each id, its records beyond the first.
    pub duplicated: u64,
    /// Records whose value is not `processed-i` with `i < expected` (reported, not counted as
    /// lost or duplicated).
    pub unexpected: u64,
    seen: Vec<u32>,
}

impl Tally {
    /// An empty tally of ids `0..expected`.
    pub fn new(expected: u64) -> Tally {
        Tally {
            expected,
            seen: vec![0; usize::try_from(expected).unwrap_or(usize::MAX)],
            ..Tally::default()
        }
    }

    /// Counts one output record's value.
    pub fn add(&mut self, value: Option<&[u8]>) {
        self.delivered += 1;
        match value
            .and_then(output_id)
            .and_then(|i| usize::try_from(i).ok())
        {
            Some(i) if i < self.seen.len() => self.seen[i] = self.seen[i].saturating_add(1),
            _ => self.unexpected += 1,
        }
    }

    /// Fills in `lost` and `duplicated` from the counts so far.
    ///
    /// ```
    /// let mut tally = examples::records::Tally::new(3);
    /// for v in ["processed-0", "processed-0", "processed-2", "junk"] {
    ///     tally.add(Some(v.as_bytes()));
    /// }
    /// tally.finish();
    /// assert_eq!(
    ///     tally.summary(),
    ///     "expected=3 delivered=4 lost=1 duplicated=1"
    /// );
    /// assert_eq!(tally.unexpected, 1);
    /// ```
    pub fn finish(&mut self) {
        self.lost = self.seen.iter().filter(|n| **n == 0).count() as u64;
        self.duplicated = self
            .seen
            .iter()
            .map(|n| u64::from(n.saturating_sub(1)))
            .sum();
    }

    /// The line `verify` ends with: `expected=N delivered=D lost=L duplicated=U`.
    pub fn summary(&self) -> String {
        format!(
            "expected={} delivered={} lost={} duplicated={}",
            self.expected, self.delivered, self.lost, self.duplicated
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_the_names() {
        for i in [0, 1, 999, u64::MAX] {
            assert_eq!(input_id(value(i, Some(64)).as_bytes()), Some(i));
            assert_eq!(
                output_id(transform(Some(value(i, None).as_bytes())).as_bytes()),
                Some(i)
            );
        }
        assert_eq!(input_id(b"value-"), None);
        assert_eq!(input_id(b"value-1x"), None);
        assert_eq!(input_id(b"value-1.x"), None);
        assert_eq!(output_id(b"value-1"), None);
    }

    #[test]
    fn json_escapes_and_lossy_utf8() {
        let line = json_line("t\"", 0, 1, Some(&[0xff, b'a']), Some(b"\\"));
        assert_eq!(
            line,
            "{\"topic\":\"t\\\"\",\"partition\":0,\"offset\":1,\"key\":\"\u{fffd}a\",\"value\":\"\\\\\"}"
        );
    }

    #[test]
    fn tally_counts_lost_and_duplicated() {
        let mut tally = Tally::new(4);
        for v in [
            "processed-1",
            "processed-1",
            "processed-1",
            "processed-3",
            "processed-9",
        ] {
            tally.add(Some(v.as_bytes()));
        }
        tally.add(None);
        tally.finish();
        assert_eq!(tally.delivered, 6);
        assert_eq!(tally.lost, 2);
        assert_eq!(tally.duplicated, 2);
        assert_eq!(tally.unexpected, 2);
    }
}
