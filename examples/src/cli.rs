//! The command line every example shares: `--name value` (or `--name=value`) options, bare
//! `--name` switches, and repeated `-X key=value` Kafka properties (as kcat takes them).
//!
//! Parsed by hand, in this one place, because scripts rely on the exact contract of issue 7;
//! every error names the option and says what it takes.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::str::FromStr;

/// One option a program accepts.
#[derive(Debug, Clone, Copy)]
pub struct Opt {
    /// The name without its dashes: `bootstrap` for `--bootstrap`.
    pub name: &'static str,
    /// The placeholder of its value in `--help` (`H:P`), or `None` for a switch that takes no
    /// value (`--from-beginning`).
    pub value: Option<&'static str>,
    /// Whether the program refuses to run without it.
    pub required: bool,
    /// One line of help.
    pub help: &'static str,
}

impl Opt {
    /// A required option with a value.
    pub const fn required(name: &'static str, value: &'static str, help: &'static str) -> Opt {
        Opt {
            name,
            value: Some(value),
            required: true,
            help,
        }
    }

    /// An optional option with a value.
    pub const fn optional(name: &'static str, value: &'static str, help: &'static str) -> Opt {
        Opt {
            name,
            value: Some(value),
            required: false,
            help,
        }
    }

    /// A switch: present or not, no value.
    pub const fn switch(name: &'static str, help: &'static str) -> Opt {
        Opt {
            name,
            value: None,
            required: false,
            help,
        }
    }
}

/// What a program is and which options it takes; `-X` and `--help` are always accepted.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// The program's name, as in `cargo run -p examples --bin NAME`.
    pub name: &'static str,
    /// What it does, a few lines for `--help`.
    pub about: &'static str,
    /// Its options.
    pub options: &'static [Opt],
}

impl Spec {
    /// The `--help` text.
    ///
    /// ```
    /// use examples::cli::{Opt, Spec};
    ///
    /// const SPEC: Spec = Spec {
    ///     name: "demo",
    ///     about: "Does a thing.",
    ///     options: &[Opt::required("topic", "T", "the topic")],
    /// };
    /// assert!(SPEC.usage().contains("--topic T"));
    /// ```
    pub fn usage(&self) -> String {
        let mut out = format!("{}\n\nUsage: {}", self.about, self.name);
        for opt in self.options {
            let shown = match opt.value {
                Some(v) => format!("--{} {v}", opt.name),
                None => format!("--{}", opt.name),
            };
            if opt.required {
                let _ = write!(out, " {shown}");
            } else {
                let _ = write!(out, " [{shown}]");
            }
        }
        out.push_str(" [-X key=value]...\n\nOptions:\n");
        let rows: Vec<(String, &str)> = self
            .options
            .iter()
            .map(|opt| {
                let left = match opt.value {
                    Some(v) => format!("--{} {v}", opt.name),
                    None => format!("--{}", opt.name),
                };
                (left, opt.help)
            })
            .chain([
                (
                    "-X key=value".to_owned(),
                    "a Kafka client property (Kafka's key names), repeatable; \
                     e.g. -X security.protocol=SSL -X ssl.ca.location=ca.pem",
                ),
                ("-h, --help".to_owned(), "print this help"),
            ])
            .collect();
        let width = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
        for (left, help) in rows {
            let _ = writeln!(out, "  {left:width$}  {help}");
        }
        out
    }

    /// Parses `args` (without the program name).
    ///
    /// ```
    /// use examples::cli::{Opt, Spec};
    ///
    /// const SPEC: Spec = Spec {
    ///     name: "demo",
    ///     about: "Does a thing.",
    ///     options: &[
    ///         Opt::required("topic", "T", "the topic"),
    ///         Opt::optional("count", "N", "how many"),
    ///         Opt::switch("from-beginning", "start at the beginning"),
    ///     ],
    /// };
    /// let args = SPEC
    ///     .parse(["--topic", "t", "--count=3", "-X", "linger.ms=5", "--from-beginning"])
    ///     .unwrap();
    /// assert_eq!(args.value("topic"), Some("t"));
    /// assert_eq!(args.number::<u64>("count").unwrap(), Some(3));
    /// assert!(args.switch("from-beginning"));
    /// assert_eq!(args.properties(), &[("linger.ms".to_owned(), "5".to_owned())]);
    /// assert!(SPEC.parse(["--count", "3"]).is_err()); // --topic is required
    /// ```
    pub fn parse<I, S>(&self, args: I) -> Result<Args, CliError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut values = HashMap::new();
        let mut switches = Vec::new();
        let mut properties = Vec::new();
        let mut args = args.into_iter().map(Into::into);
        while let Some(arg) = args.next() {
            if arg == "-h" || arg == "--help" {
                return Err(CliError::Help(self.usage()));
            }
            if let Some(rest) = arg.strip_prefix("-X") {
                let pair = if rest.is_empty() {
                    args.next().ok_or_else(|| {
                        CliError::Usage("-X needs a key=value property after it".into())
                    })?
                } else {
                    rest.to_owned()
                };
                let (key, value) = pair.split_once('=').ok_or_else(|| {
                    CliError::Usage(format!("-X takes key=value, got `{pair}` (no `=`)"))
                })?;
                if key.trim().is_empty() {
                    return Err(CliError::Usage(format!("-X `{pair}` has an empty key")));
                }
                properties.push((key.trim().to_owned(), value.to_owned()));
                continue;
            }
            let Some(long) = arg.strip_prefix("--") else {
                return Err(CliError::Usage(format!(
                    "unexpected argument `{arg}` (options start with --; see --help)"
                )));
            };
            let (name, inline) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (long, None),
            };
            let opt = self
                .options
                .iter()
                .find(|o| o.name == name)
                .ok_or_else(|| {
                    CliError::Usage(format!("unknown option `--{name}` (see --help)"))
                })?;
            match (opt.value, inline) {
                (None, None) => switches.push(opt.name),
                (None, Some(_)) => {
                    return Err(CliError::Usage(format!("--{name} takes no value")));
                }
                (Some(placeholder), inline) => {
                    let value = match inline {
                        Some(value) => value,
                        None => args.next().ok_or_else(|| {
                            CliError::Usage(format!("--{name} needs a value ({placeholder})"))
                        })?,
                    };
                    values.insert(opt.name, value);
                }
            }
        }
        if let Some(missing) = self
            .options
            .iter()
            .find(|o| o.required && !values.contains_key(o.name))
        {
            return Err(CliError::Usage(format!(
                "--{} {} is required (see --help)",
                missing.name,
                missing.value.unwrap_or_default()
            )));
        }
        Ok(Args {
            values,
            switches,
            properties,
        })
    }
}

/// Why a command line was not run.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// `--help` was asked for: the text to print (on stdout, exit 0).
    #[error("{0}")]
    Help(String),
    /// The command line is wrong: what is wrong (on stderr, exit 2).
    #[error("{0}")]
    Usage(String),
}

/// A parsed command line.
#[derive(Debug, Clone, Default)]
pub struct Args {
    values: HashMap<&'static str, String>,
    switches: Vec<&'static str>,
    properties: Vec<(String, String)>,
}

impl Args {
    /// The value of `--name`, if given.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The value of a required `--name` (the parser already refused a command line without
    /// it; an empty string if `name` is not a required option of the spec).
    pub fn required(&self, name: &str) -> &str {
        self.value(name).unwrap_or_default()
    }

    /// `--name` parsed as a number (or any `FromStr`), if given.
    pub fn number<T: FromStr>(&self, name: &str) -> Result<Option<T>, CliError> {
        self.value(name)
            .map(|v| {
                v.trim().parse::<T>().map_err(|_| {
                    CliError::Usage(format!("--{name} takes a non-negative number, got `{v}`"))
                })
            })
            .transpose()
    }

    /// `--name` as one of `choices`, if given.
    pub fn choice(&self, name: &str, choices: &[&str]) -> Result<Option<&str>, CliError> {
        match self.value(name) {
            None => Ok(None),
            Some(v) if choices.contains(&v) => Ok(Some(v)),
            Some(v) => Err(CliError::Usage(format!(
                "--{name} takes one of {}, got `{v}`",
                choices.join("|")
            ))),
        }
    }

    /// Whether the switch `--name` was given.
    pub fn switch(&self, name: &str) -> bool {
        self.switches.contains(&name)
    }

    /// The `-X key=value` properties, in command-line order.
    pub fn properties(&self) -> &[(String, String)] {
        &self.properties
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: Spec = Spec {
        name: "t",
        about: "test",
        options: &[
            Opt::required("bootstrap", "H:P", "broker"),
            Opt::optional("count", "N", "records"),
            Opt::switch("from-beginning", "start at the beginning"),
        ],
    };

    fn usage_error(args: &[&str]) -> String {
        match SPEC.parse(args.iter().copied()) {
            Err(CliError::Usage(message)) => message,
            other => panic!("expected a usage error for {args:?}, got {other:?}"),
        }
    }

    #[test]
    fn options_switches_and_properties() {
        let args = SPEC
            .parse([
                "--bootstrap",
                "h:1",
                "-Xacks=all",
                "-X",
                "linger.ms=5",
                "-X",
                "sasl.password=a=b",
                "--from-beginning",
            ])
            .unwrap();
        assert_eq!(args.required("bootstrap"), "h:1");
        assert_eq!(args.number::<u64>("count").unwrap(), None);
        assert!(args.switch("from-beginning"));
        let props: Vec<(&str, &str)> = args
            .properties()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        // Only the first `=` splits: values may contain `=`.
        assert_eq!(
            props,
            [
                ("acks", "all"),
                ("linger.ms", "5"),
                ("sasl.password", "a=b")
            ]
        );
    }

    #[test]
    fn errors_name_the_option() {
        assert!(usage_error(&[]).contains("--bootstrap"));
        assert!(usage_error(&["--bootstrap"]).contains("--bootstrap needs a value"));
        assert!(usage_error(&["--bootstrap", "h", "--nope", "1"]).contains("--nope"));
        assert!(usage_error(&["--bootstrap", "h", "-X", "linger.ms"]).contains("linger.ms"));
        assert!(usage_error(&["--bootstrap", "h", "-X"]).contains("-X"));
        assert!(usage_error(&["--bootstrap", "h", "stray"]).contains("stray"));
        assert!(usage_error(&["--bootstrap", "h", "--from-beginning=yes"]).contains("no value"));
        let args = SPEC.parse(["--bootstrap", "h", "--count", "x"]).unwrap();
        assert!(
            matches!(args.number::<u64>("count"), Err(CliError::Usage(m)) if m.contains("--count"))
        );
    }

    #[test]
    fn help_lists_every_option() {
        let Err(CliError::Help(text)) = SPEC.parse(["--help"]) else {
            panic!("--help must ask for help");
        };
        for needle in [
            "--bootstrap H:P",
            "[--count N]",
            "--from-beginning",
            "-X key=value",
        ] {
            assert!(text.contains(needle), "{needle} missing from:\n{text}");
        }
    }

    #[test]
    fn choices_are_checked() {
        const ACKS: Spec = Spec {
            name: "t",
            about: "test",
            options: &[Opt::optional("acks", "0|1|all", "acks")],
        };
        let spec = ACKS;
        let args = spec.parse(["--acks", "2"]).unwrap();
        assert!(args.choice("acks", &["0", "1", "all"]).is_err());
        let args = spec.parse(["--acks", "all"]).unwrap();
        assert_eq!(
            args.choice("acks", &["0", "1", "all"]).unwrap(),
            Some("all")
        );
    }
}
