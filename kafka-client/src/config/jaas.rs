//! The `sasl.jaas.config` grammar: one login module and its options.

/// The credentials a `sasl.jaas.config` value carries.
pub(super) struct JaasCredentials {
    pub(super) username: String,
    pub(super) password: String,
    /// An `OAuthBearerLoginModule` line's options instead (see `crate::oauth`).
    pub(super) oauth_options: Option<Vec<(String, String)>>,
}

/// Parses the JAAS form Kafka clients take in `sasl.jaas.config`: exactly one login module,
///
/// ```text
/// <LoginModuleClass> <required|requisite|sufficient|optional> (<option>=<value>)* ;
/// ```
///
/// tokenised like Java's `JaasConfig` (a `StreamTokenizer`): words, values in double or single
/// quotes with backslash escapes, `//` and `/* */` comments, anything between tokens ignored
/// if whitespace. Only `PlainLoginModule` and `ScramLoginModule` are accepted, and their
/// `username` and `password` options are required. A missing final `;` is forgiven.
///
/// Errors point at a character position and name options, but never quote a value: values are
/// secrets.
pub(super) fn parse_jaas_config(text: &str) -> Result<JaasCredentials, String> {
    const FLAGS: [&str; 4] = ["required", "requisite", "sufficient", "optional"];
    let mut tokens = jaas_tokens(text)?.into_iter();

    let module = match tokens.next() {
        Some((JaasToken::Word(module), _)) => module,
        Some((_, at)) => {
            return Err(format!(
                "expected a login module class name at character {at}"
            ))
        }
        None => {
            return Err(
                "empty: expected `<LoginModule> required username=\"…\" password=\"…\";`"
                    .to_owned(),
            )
        }
    };
    match tokens.next() {
        Some((JaasToken::Word(flag), _)) if FLAGS.iter().any(|f| f.eq_ignore_ascii_case(&flag)) => {
        }
        Some((_, at)) => {
            return Err(format!(
                "expected a control flag (`required`, `requisite`, `sufficient` or `optional`) \
                 after `{module}` at character {at}"
            ))
        }
        None => {
            return Err(format!(
                "expected a control flag (`required`, `requisite`, `sufficient` or `optional`) \
                 after `{module}`"
            ))
        }
    }

    let mut options: Vec<(String, String)> = Vec::new();
    loop {
        match tokens.next() {
            None => break,
            Some((JaasToken::Semicolon, _)) => {
                if let Some((_, at)) = tokens.next() {
                    return Err(format!(
                        "exactly one login module is allowed, found more at character {at}"
                    ));
                }
                break;
            }
            Some((JaasToken::Word(name), at)) => {
                if !matches!(tokens.next(), Some((JaasToken::Equals, _))) {
                    return Err(format!(
                        "expected `=` after option `{name}` (character {at})"
                    ));
                }
                match tokens.next() {
                    Some((JaasToken::Word(value) | JaasToken::Quoted(value), _)) => {
                        // Later options replace earlier ones, as in Java's option map.
                        options.retain(|(k, _)| *k != name);
                        options.push((name, value));
                    }
                    _ => return Err(format!("expected a value for option `{name}`")),
                }
            }
            Some((JaasToken::Quoted(_), at)) => {
                return Err(format!(
                    "expected an option name at character {at}, found a quoted string"
                ))
            }
            Some((JaasToken::Equals, at)) => {
                return Err(format!("unexpected `=` at character {at}"))
            }
        }
    }

    let class = module.rsplit('.').next().unwrap_or(&module);
    match class {
        "PlainLoginModule" | "ScramLoginModule" => {}
        "OAuthBearerLoginModule" => {
            return Ok(JaasCredentials {
                username: String::new(),
                password: String::new(),
                oauth_options: Some(options),
            })
        }
        _ => {
            return Err(format!(
                "login module `{module}` is not supported: use PlainLoginModule or \
                 ScramLoginModule with username and password options"
            ))
        }
    }
    let mut take = |name: &str| {
        let index = options.iter().position(|(k, _)| k == name);
        index
            .map(|i| options.remove(i).1)
            .ok_or_else(|| format!("{class} has no `{name}` option"))
    };
    Ok(JaasCredentials {
        username: take("username")?,
        password: take("password")?,
        oauth_options: None,
    })
}

#[derive(Debug, PartialEq)]
enum JaasToken {
    Word(String),
    Quoted(String),
    Equals,
    Semicolon,
}

/// Splits a JAAS config into tokens, each with its 1-based character position.
fn jaas_tokens(text: &str) -> Result<Vec<(JaasToken, usize)>, String> {
    fn is_word_char(c: char) -> bool {
        c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '$')
    }
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let at = i + 1;
        match chars[i] {
            c if c.is_whitespace() => i += 1,
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                loop {
                    if i + 1 >= chars.len() {
                        return Err(format!("unterminated `/*` comment at character {at}"));
                    }
                    if chars[i] == '*' && chars[i + 1] == '/' {
                        i += 2;
                        break;
                    }
                    i += 1;
                }
            }
            '=' => {
                tokens.push((JaasToken::Equals, at));
                i += 1;
            }
            ';' => {
                tokens.push((JaasToken::Semicolon, at));
                i += 1;
            }
            quote @ ('"' | '\'') => {
                i += 1;
                let mut value = String::new();
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(format!(
                                "unterminated quoted string starting at character {at}"
                            ))
                        }
                        Some(&c) if c == quote => {
                            i += 1;
                            break;
                        }
                        Some('\\') => {
                            let escaped = *chars.get(i + 1).ok_or_else(|| {
                                format!("unterminated quoted string starting at character {at}")
                            })?;
                            value.push(match escaped {
                                'n' => '\n',
                                't' => '\t',
                                'r' => '\r',
                                other => other,
                            });
                            i += 2;
                        }
                        Some(&c) => {
                            value.push(c);
                            i += 1;
                        }
                    }
                }
                tokens.push((JaasToken::Quoted(value), at));
            }
            c if is_word_char(c) => {
                let start = i;
                while i < chars.len() && is_word_char(chars[i]) {
                    i += 1;
                }
                tokens.push((JaasToken::Word(chars[start..i].iter().collect()), at));
            }
            other => return Err(format!("unexpected `{other}` at character {at}")),
        }
    }
    Ok(tokens)
}
