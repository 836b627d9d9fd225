//! The simulator's modes: how it answers lookups.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// How the simulator answers lookups (the token endpoint and `/healthz`
/// always answer normally). Written `normal`, `slow:MS`, `fail:STATUS`,
/// `garbage`, `malformed`, `huge:BYTES` or `drop` on the command line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Normal,
    /// Every lookup waits this long, then answers normally.
    Slow(Duration),
    /// Every lookup answers this status with `{"error":"unavailable"}`
    /// (and `Retry-After: 1` on 429 and 503).
    Fail(u16),
    /// 200 with a truncated, non-JSON body.
    Garbage,
    /// 200, valid JSON, the first record with a wrong value (AF
    /// `registeredOn: "not-a-date"`, FK `benefit: "bogus"`; a record is
    /// made up for the first asked person when none match), the rest correct.
    Malformed,
    /// 200 with a syntactically valid JSON body of this many bytes (one
    /// record with a giant free-text field), streamed in chunks.
    Huge(usize),
    /// The connection a lookup arrives on is closed without a response.
    Drop,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mode::Normal => f.write_str("normal"),
            Mode::Slow(d) => write!(f, "slow:{}", d.as_millis()),
            Mode::Fail(status) => write!(f, "fail:{status}"),
            Mode::Garbage => f.write_str("garbage"),
            Mode::Malformed => f.write_str("malformed"),
            Mode::Huge(bytes) => write!(f, "huge:{bytes}"),
            Mode::Drop => f.write_str("drop"),
        }
    }
}

impl FromStr for Mode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, arg) = match s.split_once(':') {
            Some((name, arg)) => (name, Some(arg)),
            None => (s, None),
        };
        let number = |what: &str| -> Result<u64, String> {
            arg.ok_or_else(|| format!("mode `{name}` needs {what}: `{name}:N`"))?
                .parse::<u64>()
                .map_err(|_| format!("mode `{name}`: {what} must be a whole number"))
        };
        let mode = match name {
            "normal" => Mode::Normal,
            "slow" => Mode::Slow(Duration::from_millis(number("milliseconds")?)),
            "fail" => match number("an HTTP status")? {
                status @ 400..=599 => Mode::Fail(status as u16),
                _ => return Err("mode `fail`: the status must be 400 to 599".into()),
            },
            "garbage" => Mode::Garbage,
            "malformed" => Mode::Malformed,
            "huge" => Mode::Huge(number("a size in bytes")? as usize),
            "drop" => Mode::Drop,
            other => {
                return Err(format!(
                    "unknown mode `{other}` (normal, slow:MS, fail:STATUS, garbage, \
                     malformed, huge:BYTES, drop)"
                ))
            }
        };
        if arg.is_some() && !matches!(mode, Mode::Slow(_) | Mode::Fail(_) | Mode::Huge(_)) {
            return Err(format!("mode `{name}` takes no argument"));
        }
        Ok(mode)
    }
}
