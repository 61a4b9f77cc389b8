//! Parser for the compact schema described in `kafka-protocol/schema/README.md`.

use std::fmt;

/// An inclusive version range; `hi == None` means "and every later version".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Versions {
    pub lo: i16,
    pub hi: Option<i16>,
}

impl Versions {
    fn parse(text: &str) -> Result<Self, String> {
        let body = text
            .strip_prefix('v')
            .ok_or_else(|| format!("version range `{text}` must start with `v`"))?;
        let num = |s: &str| {
            s.parse::<i16>()
                .map_err(|_| format!("bad version number in `{text}`"))
        };
        if let Some(lo) = body.strip_suffix('+') {
            return Ok(Versions {
                lo: num(lo)?,
                hi: None,
            });
        }
        if let Some((lo, hi)) = body.split_once('-') {
            let (lo, hi) = (num(lo)?, num(hi)?);
            if hi < lo {
                return Err(format!("empty version range `{text}`"));
            }
            return Ok(Versions { lo, hi: Some(hi) });
        }
        let v = num(body)?;
        Ok(Versions { lo: v, hi: Some(v) })
    }

    /// Intersects with the message's `min..=max`; `None` when empty.
    pub fn clamp(&self, min: i16, max: i16) -> Option<Versions> {
        let lo = self.lo.max(min);
        let hi = self.hi.unwrap_or(max).min(max);
        (lo <= hi).then_some(Versions { lo, hi: Some(hi) })
    }
}

impl fmt::Display for Versions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.hi {
            None => write!(f, "{}+", self.lo),
            Some(hi) if hi == self.lo => write!(f, "{}", self.lo),
            Some(hi) => write!(f, "{}-{}", self.lo, hi),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prim {
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    Uint16,
    Uint32,
    Float64,
    String,
    Bytes,
    Records,
    Uuid,
}

impl Prim {
    fn parse(s: &str) -> Option<Prim> {
        Some(match s {
            "bool" => Prim::Bool,
            "int8" => Prim::Int8,
            "int16" => Prim::Int16,
            "int32" => Prim::Int32,
            "int64" => Prim::Int64,
            "uint16" => Prim::Uint16,
            "uint32" => Prim::Uint32,
            "float64" => Prim::Float64,
            "string" => Prim::String,
            "bytes" => Prim::Bytes,
            "records" => Prim::Records,
            "uuid" => Prim::Uuid,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    Prim(Prim),
    Array(Box<Ty>),
    Struct(String),
}

impl Ty {
    fn parse(s: &str) -> Result<Ty, String> {
        if let Some(inner) = s.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            let inner = Ty::parse(inner)?;
            if matches!(inner, Ty::Array(_)) {
                return Err(format!("nested arrays are not supported: `{s}`"));
            }
            return Ok(Ty::Array(Box::new(inner)));
        }
        if let Some(p) = Prim::parse(s) {
            return Ok(Ty::Prim(p));
        }
        if s.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && s.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Ok(Ty::Struct(s.to_string()));
        }
        Err(format!("unknown type `{s}`"))
    }

    /// The struct this type names, directly or as an array element.
    pub fn struct_name(&self) -> Option<&str> {
        match self {
            Ty::Struct(n) => Some(n),
            Ty::Array(inner) => inner.struct_name(),
            Ty::Prim(_) => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub ty: Ty,
    pub versions: Versions,
    pub nullable: Option<Versions>,
    pub tag: Option<u32>,
    pub tagged: Option<Versions>,
    pub default: Option<String>,
    /// Fields of an inline struct definition (empty for references to common structs).
    pub children: Vec<Field>,
    pub line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Request,
    Response,
}

#[derive(Debug, Clone)]
pub struct StructDef {
    pub name: String,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone)]
pub struct MessageSpec {
    pub kind: Kind,
    pub api: String,
    pub key: i16,
    pub min: i16,
    pub max: i16,
    pub flexible: Option<i16>,
    pub fields: Vec<Field>,
    pub common: Vec<StructDef>,
}

impl MessageSpec {
    pub fn name(&self) -> String {
        match self.kind {
            Kind::Request => format!("{}Request", self.api),
            Kind::Response => format!("{}Response", self.api),
        }
    }
}

struct Line<'a> {
    number: usize,
    indent: usize,
    text: &'a str,
}

pub fn parse(source: &str) -> Result<MessageSpec, String> {
    let mut lines = Vec::new();
    for (i, raw) in source.lines().enumerate() {
        let text = raw.split('#').next().unwrap_or("").trim_end();
        if text.trim().is_empty() {
            continue;
        }
        let indent = text.len() - text.trim_start().len();
        if indent % 2 != 0 || text.contains('\t') {
            return Err(format!("line {}: indent with two spaces", i + 1));
        }
        lines.push(Line {
            number: i + 1,
            indent: indent / 2,
            text: text.trim(),
        });
    }
    let (header, rest) = lines.split_first().ok_or("empty schema")?;
    let mut spec = parse_header(header)?;

    // Split off `struct Name` blocks (common structs) from the message's own fields.
    let mut pos = 0;
    let mut body = Vec::new();
    while pos < rest.len() && !rest[pos].text.starts_with("struct ") {
        body.push(&rest[pos]);
        pos += 1;
    }
    spec.fields = parse_fields(&body, 0)?;
    while pos < rest.len() {
        let line = &rest[pos];
        let name = line
            .text
            .strip_prefix("struct ")
            .ok_or_else(|| format!("line {}: expected `struct Name`", line.number))?
            .trim()
            .to_string();
        if line.indent != 0 {
            return Err(format!(
                "line {}: `struct` must not be indented",
                line.number
            ));
        }
        pos += 1;
        let mut block = Vec::new();
        while pos < rest.len() && rest[pos].indent > 0 {
            block.push(&rest[pos]);
            pos += 1;
        }
        spec.common.push(StructDef {
            name,
            fields: parse_fields(&block, 1)?,
        });
    }
    Ok(spec)
}

fn parse_header(line: &Line) -> Result<MessageSpec, String> {
    let mut words = line.text.split_whitespace();
    let err = |m: &str| format!("line {}: header: {m}", line.number);
    let kind = match words.next() {
        Some("request") => Kind::Request,
        Some("response") => Kind::Response,
        _ => return Err(err("must start with `request` or `response`")),
    };
    let api = words
        .next()
        .ok_or_else(|| err("missing API name"))?
        .to_string();
    let (mut key, mut versions, mut flexible) = (None, None, None);
    for w in words {
        let (k, v) = w
            .split_once('=')
            .ok_or_else(|| err(&format!("bad attribute `{w}`")))?;
        match k {
            "key" => key = Some(v.parse::<i16>().map_err(|_| err("bad key"))?),
            "versions" => {
                let r = Versions::parse(&format!("v{v}"))?;
                versions = Some((r.lo, r.hi.ok_or_else(|| err("versions need a max"))?));
            }
            "flexible" => {
                flexible = Some(if v == "none" {
                    None
                } else {
                    let r = Versions::parse(&format!("v{v}"))?;
                    if r.hi.is_some() {
                        return Err(err("flexible must be `N+` or `none`"));
                    }
                    Some(r.lo)
                })
            }
            _ => return Err(err(&format!("unknown attribute `{k}`"))),
        }
    }
    let (min, max) = versions.ok_or_else(|| err("missing versions="))?;
    Ok(MessageSpec {
        kind,
        api,
        key: key.ok_or_else(|| err("missing key="))?,
        min,
        max,
        flexible: flexible.ok_or_else(|| err("missing flexible="))?,
        fields: Vec::new(),
        common: Vec::new(),
    })
}

fn parse_fields(lines: &[&Line], depth: usize) -> Result<Vec<Field>, String> {
    let mut fields: Vec<Field> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.indent != depth {
            return Err(format!("line {}: unexpected indentation", line.number));
        }
        let mut field = parse_field(line)?;
        let start = i + 1;
        let mut end = start;
        while end < lines.len() && lines[end].indent > depth {
            end += 1;
        }
        if end > start {
            if field.ty.struct_name().is_none() {
                return Err(format!(
                    "line {}: only struct fields may have nested fields",
                    line.number
                ));
            }
            field.children = parse_fields(&lines[start..end], depth + 1)?;
        }
        if fields.iter().any(|f| f.name == field.name) {
            return Err(format!(
                "line {}: duplicate field {}",
                line.number, field.name
            ));
        }
        fields.push(field);
        i = end;
    }
    Ok(fields)
}

fn parse_field(line: &Line) -> Result<Field, String> {
    let err = |m: String| format!("line {}: {m}", line.number);
    let mut words = line.text.split_whitespace();
    let name = words.next().ok_or_else(|| err("missing name".into()))?;
    if !name.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
        return Err(err(format!("field name `{name}` must be CamelCase")));
    }
    let ty = Ty::parse(words.next().ok_or_else(|| err("missing type".into()))?).map_err(err)?;
    let versions = Versions::parse(words.next().ok_or_else(|| err("missing versions".into()))?)
        .map_err(err)?;
    let mut field = Field {
        name: name.to_string(),
        ty,
        versions,
        nullable: None,
        tag: None,
        tagged: None,
        default: None,
        children: Vec::new(),
        line: line.number,
    };
    let rest: Vec<&str> = words.collect();
    let rest = rest.join(" ");
    let mut attrs = rest.as_str();
    while !attrs.is_empty() {
        let (k, after) = attrs
            .split_once('=')
            .ok_or_else(|| err(format!("bad attribute `{attrs}`")))?;
        let (v, next) = if let Some(quoted) = after.strip_prefix('"') {
            let close = quoted
                .find('"')
                .ok_or_else(|| err("unterminated string".into()))?;
            (&after[..close + 2], quoted[close + 1..].trim_start())
        } else {
            match after.split_once(' ') {
                Some((v, n)) => (v, n.trim_start()),
                None => (after, ""),
            }
        };
        match k.trim() {
            "nullable" => field.nullable = Some(Versions::parse(v).map_err(err)?),
            "tag" => field.tag = Some(v.parse().map_err(|_| err(format!("bad tag `{v}`")))?),
            "tagged" => field.tagged = Some(Versions::parse(v).map_err(err)?),
            "default" => field.default = Some(v.to_string()),
            other => return Err(err(format!("unknown attribute `{other}`"))),
        }
        attrs = next;
    }
    if field.tag.is_some() != field.tagged.is_some() {
        return Err(err("`tag` and `tagged` go together".into()));
    }
    Ok(field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_readme_example() {
        let spec = parse(
            "request Produce key=0 versions=0-12 flexible=9+\n\
             TransactionalId string v3+ nullable=v3+ default=null\n\
             TopicData [TopicProduceData] v0+\n  Name string v0+ # c\n  \
             PartitionData [PartitionProduceData] v0+\n    Index int32 v0+\n\
             Tagged int32 v12+ tag=0 tagged=v12+ default=\"a b\"\n",
        )
        .unwrap();
        assert_eq!(spec.key, 0);
        assert_eq!(spec.flexible, Some(9));
        assert_eq!(spec.fields.len(), 3);
        assert_eq!(spec.fields[1].children.len(), 2);
        assert_eq!(spec.fields[1].children[1].children[0].name, "Index");
        assert_eq!(spec.fields[2].default.as_deref(), Some("\"a b\""));
        assert_eq!(spec.fields[2].tag, Some(0));
    }
}
