//! Turns a parsed [`MessageSpec`] into Rust: types, `Default`, one encode walk, one decode walk,
//! and (for tests) proptest strategies that produce values valid at a given version.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::schema::{Field, Kind, MessageSpec, Prim, StructDef, Ty, Versions};

/// Rust keywords that Kafka field names could collide with once snake_cased.
const KEYWORDS: &[&str] = &[
    "type", "match", "ref", "move", "self", "static", "struct", "trait", "use", "where", "async",
    "await", "dyn", "loop", "mod", "fn", "impl", "in", "let", "mut", "pub", "return", "as",
];

pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_ascii_uppercase();
            if i > 0 && (prev_lower || (prev_upper && next_lower)) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn field_ident(name: &str) -> String {
    let s = snake_case(name);
    if KEYWORDS.contains(&s.as_str()) {
        format!("r#{s}")
    } else {
        s
    }
}

/// Everything the generator needs to know about one message while emitting it.
struct Ctx<'a> {
    spec: &'a MessageSpec,
    /// Struct name -> its definition (inline ones and common ones).
    structs: BTreeMap<String, StructDef>,
}

impl<'a> Ctx<'a> {
    fn new(spec: &'a MessageSpec) -> Result<Self, String> {
        let mut ctx = Ctx {
            spec,
            structs: BTreeMap::new(),
        };
        for common in &spec.common {
            ctx.add_struct(common.clone())?;
        }
        ctx.collect_inline(&spec.fields)?;
        for common in &spec.common {
            ctx.collect_inline(&common.fields)?;
            ctx.check_refs(&common.fields)?;
        }
        ctx.check_refs(&spec.fields)?;
        Ok(ctx)
    }

    fn add_struct(&mut self, def: StructDef) -> Result<(), String> {
        if def.name == self.spec.name() || self.structs.contains_key(&def.name) {
            return Err(format!("struct {} defined twice", def.name));
        }
        self.structs.insert(def.name.clone(), def);
        Ok(())
    }

    fn collect_inline(&mut self, fields: &[Field]) -> Result<(), String> {
        for f in fields {
            if let (Some(name), false) = (f.ty.struct_name(), f.children.is_empty()) {
                self.add_struct(StructDef {
                    name: name.to_string(),
                    fields: f.children.clone(),
                })?;
                self.collect_inline(&f.children)?;
            }
        }
        Ok(())
    }

    fn check_refs(&self, fields: &[Field]) -> Result<(), String> {
        for f in fields {
            if let Some(name) = f.ty.struct_name() {
                if !self.structs.contains_key(name) {
                    return Err(format!("line {}: unknown struct {name}", f.line));
                }
            }
            if let Some(tag) = f.tag {
                if fields.iter().filter(|o| o.tag == Some(tag)).count() > 1 {
                    return Err(format!("line {}: duplicate tag {tag}", f.line));
                }
            }
            self.check_refs(&f.children)?;
        }
        Ok(())
    }

    fn min(&self) -> i16 {
        self.spec.min
    }
    fn max(&self) -> i16 {
        self.spec.max
    }

    /// A Rust condition on `version` for `v`, or `None` when it holds at every version of the
    /// message.
    fn cond(&self, v: &Versions) -> Option<String> {
        let r = v.clamp(self.min(), self.max())?;
        let hi = r.hi.unwrap_or(self.max());
        Some(match (r.lo > self.min(), hi < self.max()) {
            (false, false) => return None,
            (true, false) => format!("version >= {}", r.lo),
            (false, true) => format!("version <= {hi}"),
            (true, true) if r.lo == hi => format!("version == {hi}"),
            (true, true) => format!("({}..={hi}).contains(&version)", r.lo),
        })
    }

    /// Condition for a possibly empty range: "false" when it is empty at every message version.
    fn cond_or_false(&self, v: Option<&Versions>) -> String {
        match v {
            None => "false".into(),
            Some(v) if v.clamp(self.min(), self.max()).is_none() => "false".into(),
            Some(v) => self.cond(v).unwrap_or_else(|| "true".into()),
        }
    }

    fn flexible_expr(&self) -> String {
        match self.spec.flexible {
            Some(f) if f <= self.min() => "true".into(),
            Some(f) if f > self.max() => "false".into(),
            Some(f) => format!("version >= {f}"),
            None => "false".into(),
        }
    }
}

fn base_rust_type(ty: &Ty) -> String {
    match ty {
        Ty::Prim(p) => match p {
            Prim::Bool => "bool",
            Prim::Int8 => "i8",
            Prim::Int16 => "i16",
            Prim::Int32 => "i32",
            Prim::Int64 => "i64",
            Prim::Uint16 => "u16",
            Prim::Uint32 => "u32",
            Prim::Float64 => "f64",
            Prim::String => "String",
            Prim::Bytes | Prim::Records => "Bytes",
            Prim::Uuid => "Uuid",
        }
        .to_string(),
        Ty::Array(inner) => format!("Vec<{}>", base_rust_type(inner)),
        Ty::Struct(name) => name.clone(),
    }
}

fn rust_type(f: &Field) -> String {
    let base = base_rust_type(&f.ty);
    if f.nullable.is_some() {
        format!("Option<{base}>")
    } else {
        base
    }
}

/// The non-null default of a field's base type, honouring an explicit `default=`.
fn base_default(f: &Field) -> Result<String, String> {
    let explicit = f.default.as_deref().filter(|d| *d != "null");
    Ok(match (&f.ty, explicit) {
        (Ty::Prim(Prim::String), Some(d)) => {
            if !d.starts_with('"') {
                return Err(format!("line {}: string default must be quoted", f.line));
            }
            format!("String::from({d})")
        }
        (Ty::Prim(Prim::Bool), Some(d)) if d == "true" || d == "false" => d.to_string(),
        (Ty::Prim(Prim::Float64), Some(d)) => {
            let v: f64 = d
                .parse()
                .map_err(|_| format!("line {}: bad default", f.line))?;
            format!("{v:?}")
        }
        (
            Ty::Prim(
                Prim::Int8 | Prim::Int16 | Prim::Int32 | Prim::Int64 | Prim::Uint16 | Prim::Uint32,
            ),
            Some(d),
        ) => {
            let ok = d.strip_prefix('-').unwrap_or(d);
            let valid = ok.chars().all(|c| c.is_ascii_digit())
                || ok
                    .strip_prefix("0x")
                    .is_some_and(|h| h.chars().all(|c| c.is_ascii_hexdigit()));
            if !valid {
                return Err(format!("line {}: bad integer default `{d}`", f.line));
            }
            d.to_string()
        }
        (_, Some(d)) => return Err(format!("line {}: unsupported default `{d}`", f.line)),
        (Ty::Prim(Prim::Bytes | Prim::Records), None) => "Bytes::new()".into(),
        (Ty::Prim(Prim::Uuid), None) => "Uuid::ZERO".into(),
        (Ty::Prim(Prim::Float64), None) => "0.0".into(),
        (Ty::Prim(Prim::Bool), None) => "false".into(),
        (Ty::Prim(Prim::String), None) => "String::new()".into(),
        (Ty::Prim(_), None) => "0".into(),
        (Ty::Array(_), None) => "Vec::new()".into(),
        (Ty::Struct(name), None) => format!("{name}::default()"),
    })
}

fn default_expr(f: &Field) -> Result<String, String> {
    if f.nullable.is_none() {
        if f.default.as_deref() == Some("null") {
            return Err(format!(
                "line {}: default=null on a non-nullable field",
                f.line
            ));
        }
        return base_default(f);
    }
    // Kafka's rule: nullable structs default to null, other nullable fields to their empty value.
    if f.default.as_deref() == Some("null")
        || (matches!(f.ty, Ty::Struct(_)) && f.default.is_none())
    {
        return Ok("None".into());
    }
    Ok(format!("Some({})", base_default(f)?))
}

/// Code writing a non-null value `v` (an expression of the base type, by reference where the
/// type is not `Copy`) of type `ty`.
fn encode_value(ty: &Ty, v: &str) -> String {
    match ty {
        Ty::Prim(p) => match p {
            Prim::Bool => format!("wire::write_bool(buf, {v});"),
            Prim::Int8 => format!("buf.put_i8({v});"),
            Prim::Int16 => format!("buf.put_i16({v});"),
            Prim::Int32 => format!("buf.put_i32({v});"),
            Prim::Int64 => format!("buf.put_i64({v});"),
            Prim::Uint16 => format!("buf.put_u16({v});"),
            Prim::Uint32 => format!("buf.put_u32({v});"),
            Prim::Float64 => format!("buf.put_f64({v});"),
            Prim::Uuid => format!("wire::write_uuid(buf, &{v});"),
            Prim::String => format!("wire::write_string(buf, &{v}, flexible)?;"),
            Prim::Bytes | Prim::Records => format!("buf.write_bytes(&{v}, flexible)?;"),
        },
        Ty::Array(inner) => {
            let elem = encode_value(inner, &elem_ref(inner, "el"));
            format!(
                "wire::write_array_len(buf, Some({v}.len()), flexible)?;\nfor el in &{v} {{ {elem} }}"
            )
        }
        Ty::Struct(_) => format!("{v}.encode_body(buf, version)?;"),
    }
}

/// How an array element bound by reference is used as a value.
fn elem_ref(ty: &Ty, el: &str) -> String {
    match ty {
        Ty::Prim(Prim::String | Prim::Bytes | Prim::Records | Prim::Uuid) | Ty::Struct(_) => {
            format!("(*{el})")
        }
        _ => format!("*{el}"),
    }
}

/// Code writing a nullable value `v` (an `Option<&T>` expression) in a version where null is
/// allowed.
fn encode_nullable(ty: &Ty, v: &str, field: &str) -> String {
    match ty {
        Ty::Prim(Prim::String) => format!("wire::write_nullable_string(buf, {v}.map(String::as_str), flexible)?;"),
        Ty::Prim(Prim::Bytes | Prim::Records) => format!("buf.write_nullable_bytes({v}, flexible)?;"),
        Ty::Array(_) => format!(
            "match {v} {{ None => wire::write_array_len(buf, None, flexible)?, Some(value) => {{ {} }} }}",
            encode_value(ty, "(*value)")
        ),
        Ty::Struct(_) => format!(
            "match {v} {{ None => buf.put_i8(-1), Some(value) => {{ buf.put_i8(1); value.encode_body(buf, version)?; }} }}"
        ),
        Ty::Prim(_) => format!(
            "let value = {v}.ok_or(EncodeError::NullNotAllowed {{ field: \"{field}\", version }})?; {}",
            encode_value(ty, "*value")
        ),
    }
}

/// Code writing field `f` of `self`, assuming the field is present at this version.
fn encode_field(ctx: &Ctx, f: &Field) -> String {
    let ident = field_ident(&f.name);
    let place = format!("self.{ident}");
    match &f.nullable {
        None => encode_value(&f.ty, &place),
        Some(nv) => {
            let not_null = format!(
                "let value = self.{ident}.as_ref().ok_or(EncodeError::NullNotAllowed {{ field: \"{}\", version }})?; {}",
                f.name,
                encode_value(&f.ty, "(*value)")
            );
            let nullable = encode_nullable(&f.ty, &format!("self.{ident}.as_ref()"), &f.name);
            match ctx.cond_or_false(Some(nv)).as_str() {
                "true" => nullable,
                "false" => not_null,
                c => format!("if {c} {{ {nullable} }} else {{ {not_null} }}"),
            }
        }
    }
}

/// Code reading a non-null value of type `ty`.
fn decode_value(ty: &Ty, field: &str) -> String {
    match ty {
        Ty::Prim(p) => match p {
            Prim::Bool => "wire::read_bool(buf)?".into(),
            Prim::Int8 => "wire::read_i8(buf)?".into(),
            Prim::Int16 => "wire::read_i16(buf)?".into(),
            Prim::Int32 => "wire::read_i32(buf)?".into(),
            Prim::Int64 => "wire::read_i64(buf)?".into(),
            Prim::Uint16 => "wire::read_u16(buf)?".into(),
            Prim::Uint32 => "wire::read_u32(buf)?".into(),
            Prim::Float64 => "wire::read_f64(buf)?".into(),
            Prim::Uuid => "wire::read_uuid(buf)?".into(),
            Prim::String => format!(
                "wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {{ field: \"{field}\", version }})?"
            ),
            Prim::Bytes | Prim::Records => format!(
                "wire::read_nullable_bytes(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {{ field: \"{field}\", version }})?"
            ),
        },
        Ty::Array(inner) => format!(
            "{{ let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {{ field: \"{field}\", version }})?; {} }}",
            decode_array_items(inner, field)
        ),
        Ty::Struct(name) => format!("{name}::decode_body(buf, version)?"),
    }
}

fn decode_array_items(inner: &Ty, field: &str) -> String {
    format!(
        "let mut items = Vec::with_capacity(wire::initial_capacity(n)); for _ in 0..n {{ items.push({}); }} items",
        decode_value(inner, field)
    )
}

fn decode_nullable(ty: &Ty, field: &str) -> String {
    match ty {
        Ty::Prim(Prim::String) => "wire::read_nullable_string(buf, flexible)?".into(),
        Ty::Prim(Prim::Bytes | Prim::Records) => "wire::read_nullable_bytes(buf, flexible)?".into(),
        Ty::Array(inner) => format!(
            "match wire::read_array_len(buf, flexible)? {{ None => None, Some(n) => {{ Some({{ {} }}) }} }}",
            decode_array_items(inner, field)
        ),
        Ty::Struct(name) => format!(
            "if wire::read_i8(buf)? < 0 {{ None }} else {{ Some({name}::decode_body(buf, version)?) }}"
        ),
        Ty::Prim(_) => format!("Some({})", decode_value(ty, field)),
    }
}

fn decode_field(ctx: &Ctx, f: &Field) -> String {
    match &f.nullable {
        None => decode_value(&f.ty, &f.name),
        Some(nv) => {
            let nullable = decode_nullable(&f.ty, &f.name);
            let not_null = format!("Some({})", decode_value(&f.ty, &f.name));
            match ctx.cond_or_false(Some(nv)).as_str() {
                "true" => nullable,
                "false" => not_null,
                c => format!("if {c} {{ {nullable} }} else {{ {not_null} }}"),
            }
        }
    }
}

/// Proptest strategy for a non-null value of type `ty`.
fn strategy_value(ty: &Ty) -> String {
    match ty {
        Ty::Prim(p) => match p {
            Prim::Bool => "any::<bool>().boxed()".into(),
            Prim::Int8 => "any::<i8>().boxed()".into(),
            Prim::Int16 => "any::<i16>().boxed()".into(),
            Prim::Int32 => "any::<i32>().boxed()".into(),
            Prim::Int64 => "any::<i64>().boxed()".into(),
            Prim::Uint16 => "any::<u16>().boxed()".into(),
            Prim::Uint32 => "any::<u32>().boxed()".into(),
            // Whole numbers only: NaN would make round-trip equality meaningless.
            Prim::Float64 => "any::<i32>().prop_map(f64::from).boxed()".into(),
            Prim::Uuid => "any::<[u8; 16]>().prop_map(Uuid).boxed()".into(),
            Prim::String => "\"[a-zA-Z0-9._-]{0,12}\".boxed()".into(),
            Prim::Bytes | Prim::Records => {
                "proptest::collection::vec(any::<u8>(), 0..24).prop_map(Bytes::from).boxed()".into()
            }
        },
        Ty::Array(inner) => format!(
            "proptest::collection::vec({}, 0..3).boxed()",
            strategy_value(inner)
        ),
        Ty::Struct(name) => format!("{name}::strategy(version)"),
    }
}

fn strategy_field(ctx: &Ctx, f: &Field) -> Result<String, String> {
    let value = strategy_value(&f.ty);
    let present = match &f.tagged {
        Some(t) => ctx.cond_or_false(Some(&intersect(&f.versions, t))),
        None => ctx.cond_or_false(Some(&f.versions)),
    };
    let when_present = match &f.nullable {
        None => value,
        Some(nv) => {
            let nullable = format!("proptest::option::of({value}).boxed()");
            let not_null = format!("{value}.prop_map(Some).boxed()");
            match ctx.cond_or_false(Some(nv)).as_str() {
                "true" => nullable,
                "false" => not_null,
                c => format!("if {c} {{ {nullable} }} else {{ {not_null} }}"),
            }
        }
    };
    let absent = format!("Just({}).boxed()", default_expr(f)?);
    Ok(match present.as_str() {
        "true" => when_present,
        "false" => absent,
        c => format!("if {c} {{ {when_present} }} else {{ {absent} }}"),
    })
}

fn intersect(a: &Versions, b: &Versions) -> Versions {
    let lo = a.lo.max(b.lo);
    let hi = match (a.hi, b.hi) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    };
    Versions { lo, hi }
}

fn doc_versions(f: &Field) -> String {
    let mut s = format!("Versions {}", f.versions);
    if let Some(n) = &f.nullable {
        let _ = write!(s, "; nullable in {n}");
    }
    if let (Some(tag), Some(t)) = (f.tag, &f.tagged) {
        let _ = write!(s, "; tagged (tag {tag}) in {t}");
    }
    if let Some(d) = &f.default {
        let _ = write!(s, "; default {d}");
    }
    s.push('.');
    s
}

fn emit_struct(
    ctx: &Ctx,
    out: &mut String,
    name: &str,
    fields: &[Field],
    top: bool,
) -> Result<(), String> {
    let spec = ctx.spec;
    if top {
        let _ = writeln!(
            out,
            "/// {name} (API key {}), versions {}-{}{}.",
            spec.key,
            spec.min,
            spec.max,
            match spec.flexible {
                Some(f) => format!(", flexible from {f}"),
                None => String::new(),
            }
        );
    } else {
        let _ = writeln!(out, "/// `{name}`, part of [`{}`].", spec.name());
    }
    let _ = writeln!(
        out,
        "#[derive(Debug, Clone, PartialEq)]\npub struct {name} {{"
    );
    for f in fields {
        let _ = writeln!(out, "    /// {}", doc_versions(f));
        let _ = writeln!(out, "    pub {}: {},", field_ident(&f.name), rust_type(f));
    }
    let _ = writeln!(
        out,
        "    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.\n    pub unknown_tagged_fields: Vec<RawTaggedField>,\n}}\n"
    );

    // Default
    let _ = writeln!(
        out,
        "impl Default for {name} {{\n    fn default() -> Self {{\n        Self {{"
    );
    for f in fields {
        let _ = writeln!(
            out,
            "            {}: {},",
            field_ident(&f.name),
            default_expr(f)?
        );
    }
    let _ = writeln!(
        out,
        "            unknown_tagged_fields: Vec::new(),\n        }}\n    }}\n}}\n"
    );

    let flexible = ctx.flexible_expr();
    let regular: Vec<&Field> = fields.iter().filter(|f| f.tag.is_none()).collect();
    let mut tagged: Vec<&Field> = fields.iter().filter(|f| f.tag.is_some()).collect();
    tagged.sort_by_key(|f| f.tag);

    let _ = writeln!(out, "impl {name} {{");
    // encode
    let _ = writeln!(
        out,
        "    pub(crate) fn encode_body(&self, buf: &mut wire::Encoder<'_>, version: i16) -> Result<(), EncodeError> {{\n        let flexible = {flexible};"
    );
    for f in &regular {
        let code = encode_field(ctx, f);
        match ctx.cond(&f.versions) {
            None if f.versions.clamp(ctx.min(), ctx.max()).is_some() => {
                let _ = writeln!(out, "        {{ {code} }}");
            }
            None => {}
            Some(c) => {
                let _ = writeln!(out, "        if {c} {{ {code} }}");
            }
        }
    }
    let _ = writeln!(out, "        if flexible {{");
    if tagged.is_empty() {
        let _ = writeln!(
            out,
            "            wire::write_unsigned_varint(buf, self.unknown_tagged_fields.len() as u32);\n            for field in &self.unknown_tagged_fields {{ wire::write_raw_tagged_field(buf, field)?; }}"
        );
    } else {
        // A known tag is written when its value is not the default. A peer may also send a
        // known tag holding its default; decoding keeps that one verbatim among the raw fields
        // (so re-encoding reproduces the peer's bytes), and it is dropped here only if the
        // field itself is being written.
        let mut skips = Vec::new();
        for f in &tagged {
            let ident = field_ident(&f.name);
            let var = snake_case(&f.name);
            let cond = ctx.cond_or_false(Some(&intersect(
                &f.versions,
                f.tagged.as_ref().expect("tagged"),
            )));
            let _ = writeln!(
                out,
                "            let write_{var} = ({cond}) && self.{ident} != {};",
                default_expr(f)?
            );
            skips.push(format!("(tag == {} && write_{var})", f.tag.expect("tag")));
        }
        let known_count = tagged
            .iter()
            .map(|f| format!("write_{} as u32", snake_case(&f.name)))
            .collect::<Vec<_>>()
            .join(" + ");
        let _ = writeln!(
            out,
            "            let superseded = |tag: u32| {};
            let count = self.unknown_tagged_fields.iter().filter(|u| !superseded(u.tag)).count() as u32 + {known_count};
            wire::write_unsigned_varint(buf, count);\n            let mut unknown = self.unknown_tagged_fields.iter().filter(|u| !superseded(u.tag)).peekable();",
            skips.join(" || ")
        );
        // A tagged value is encoded into a scratch buffer and copied after its size, so the
        // offsets a splicing encoder notes would not hold there: a plain `Encoder` copies it.
        for f in &tagged {
            let tag = f.tag.expect("tag");
            let _ = writeln!(
                out,
                "            while let Some(field) = unknown.next_if(|u| u.tag < {tag}) {{ wire::write_raw_tagged_field(buf, field)?; }}\n            if write_{} {{ wire::write_tagged_field(buf, {tag}, |buf| {{ let buf = &mut wire::Encoder::new(buf); {} Ok(()) }})?; }}",
                snake_case(&f.name),
                encode_field(ctx, f)
            );
        }
        let _ = writeln!(
            out,
            "            for field in unknown {{ wire::write_raw_tagged_field(buf, field)?; }}"
        );
    }
    let _ = writeln!(out, "        }}\n        Ok(())\n    }}\n");

    // decode
    let _ = writeln!(
        out,
        "    pub(crate) fn decode_body(buf: &mut Bytes, version: i16) -> Result<Self, DecodeError> {{\n        let flexible = {flexible};\n        let mut this = Self::default();"
    );
    for f in &regular {
        let code = decode_field(ctx, f);
        let ident = field_ident(&f.name);
        match ctx.cond(&f.versions) {
            None if f.versions.clamp(ctx.min(), ctx.max()).is_some() => {
                let _ = writeln!(out, "        this.{ident} = {code};");
            }
            None => {}
            Some(c) => {
                let _ = writeln!(out, "        if {c} {{ this.{ident} = {code}; }}");
            }
        }
    }
    let _ = writeln!(out, "        if flexible {{");
    if tagged.is_empty() {
        let _ = writeln!(
            out,
            "            wire::read_tagged_fields(buf, &mut this.unknown_tagged_fields, |_, _| Ok(false))?;"
        );
    } else {
        let _ = writeln!(
            out,
            "            wire::read_tagged_fields(buf, &mut this.unknown_tagged_fields, |tag, buf| {{\n                match tag {{"
        );
        for f in &tagged {
            let cond = ctx.cond_or_false(Some(&intersect(
                &f.versions,
                f.tagged.as_ref().expect("tagged"),
            )));
            let _ = writeln!(
                out,
                "                    {} if {cond} => {{ let value = {}; if value == {} {{ Ok(false) }} else {{ this.{} = value; Ok(true) }} }}",
                f.tag.expect("tag"),
                decode_field(ctx, f),
                default_expr(f)?,
                field_ident(&f.name),
            );
        }
        let _ = writeln!(
            out,
            "                    _ => Ok(false),\n                }}\n            }})?;"
        );
    }
    let _ = writeln!(out, "        }}\n        Ok(this)\n    }}\n");

    // strategy
    let _ = writeln!(
        out,
        "    /// A proptest strategy for values that round-trip at `version`.\n    #[cfg(test)]\n    pub(crate) fn strategy(version: i16) -> proptest::strategy::BoxedStrategy<Self> {{\n        use proptest::prelude::*;\n        let flexible = {flexible};"
    );
    let mut parts = Vec::new();
    for f in fields {
        parts.push(strategy_field(ctx, f)?);
    }
    parts.push(
        "if flexible { proptest::collection::btree_set(1000u32..1010, 0..2).prop_map(|tags| tags.into_iter().map(|tag| RawTaggedField { tag, data: Bytes::from(vec![tag as u8; 2]) }).collect::<Vec<_>>()).boxed() } else { Just(Vec::new()).boxed() }".into(),
    );
    let names: Vec<String> = fields
        .iter()
        .map(|f| field_ident(&f.name))
        .chain(std::iter::once("unknown_tagged_fields".to_string()))
        .collect();
    // Tuples of strategies implement Strategy up to 12 elements: group into chunks of 10.
    let chunks: Vec<Vec<usize>> = (0..parts.len())
        .collect::<Vec<_>>()
        .chunks(10)
        .map(|c| c.to_vec())
        .collect();
    let tuple = chunks
        .iter()
        .map(|c| {
            format!(
                "({},)",
                c.iter()
                    .map(|&i| parts[i].clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let pattern = chunks
        .iter()
        .map(|c| {
            format!(
                "({},)",
                c.iter()
                    .map(|&i| format!("v{i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let init = names
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{n}: v{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(
        out,
        "        ({tuple},).prop_map(|({pattern},)| Self {{ {init} }}).boxed()\n    }}\n}}\n"
    );
    Ok(())
}

/// Generates the module for one message.
pub fn message_module(spec: &MessageSpec) -> Result<String, String> {
    let ctx = Ctx::new(spec)?;
    let name = spec.name();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "//! {name}: generated from `kafka-protocol/schema/{name}.schema` by `tools/codegen`.\n//! Do not edit by hand: change the schema and run `cargo run -p kafkito-codegen`.\n"
    );
    let _ = writeln!(
        out,
        "#![allow(unused_imports, unused_variables, unused_parens, unused_comparisons, clippy::all)]\n\nuse bytes::{{BufMut, Bytes, BytesMut}};\n\nuse crate::messages::{{ApiKey, Message}};\nuse crate::wire::{{self, RawTaggedField, Uuid}};\nuse crate::{{DecodeError, EncodeError}};\n"
    );
    emit_struct(&ctx, &mut out, &name, &spec.fields, true)?;
    for (sname, def) in &ctx.structs {
        emit_struct(&ctx, &mut out, sname, &def.fields, false)?;
    }
    let _ = writeln!(
        out,
        "impl Message for {name} {{\n    const NAME: &'static str = \"{name}\";\n    const API_KEY: ApiKey = ApiKey::{};\n    const MIN_VERSION: i16 = {};\n    const MAX_VERSION: i16 = {};\n\n    fn encode_to(&self, buf: &mut wire::Encoder<'_>, version: i16) -> Result<(), EncodeError> {{\n        if !(Self::MIN_VERSION..=Self::MAX_VERSION).contains(&version) {{\n            return Err(EncodeError::UnsupportedVersion {{ api: Self::NAME, version, min: Self::MIN_VERSION, max: Self::MAX_VERSION }});\n        }}\n        self.encode_body(buf, version)\n    }}\n\n    fn decode(buf: &mut Bytes, version: i16) -> Result<Self, DecodeError> {{\n        if !(Self::MIN_VERSION..=Self::MAX_VERSION).contains(&version) {{\n            return Err(DecodeError::UnsupportedVersion {{ api: Self::NAME, version, min: Self::MIN_VERSION, max: Self::MAX_VERSION }});\n        }}\n        Self::decode_body(buf, version)\n    }}\n}}",
        spec.api, spec.min, spec.max
    );
    if spec.kind == Kind::Request {
        let _ = writeln!(
            out,
            "\nimpl crate::messages::Request for {name} {{\n    type Response = crate::messages::{}Response;\n}}",
            spec.api
        );
    }
    Ok(out)
}

/// Generates `messages/mod.rs`: the module list, re-exports, [`ApiKey`] and the body enums.
pub fn mod_rs(specs: &[MessageSpec]) -> Result<String, String> {
    let mut apis: BTreeMap<i16, (&MessageSpec, &MessageSpec)> = BTreeMap::new();
    for req in specs.iter().filter(|s| s.kind == Kind::Request) {
        let resp = specs
            .iter()
            .find(|s| s.kind == Kind::Response && s.api == req.api)
            .ok_or_else(|| format!("{} has no response schema", req.api))?;
        if (req.key, req.min, req.max, req.flexible)
            != (resp.key, resp.min, resp.max, resp.flexible)
        {
            return Err(format!(
                "{}: request and response headers disagree",
                req.api
            ));
        }
        if apis.insert(req.key, (req, resp)).is_some() {
            return Err(format!("API key {} used twice", req.key));
        }
    }
    if let Some(orphan) = specs
        .iter()
        .find(|s| s.kind == Kind::Response && !apis.values().any(|(r, _)| r.api == s.api))
    {
        return Err(format!("{} has no request schema", orphan.api));
    }

    let mut out = String::new();
    out.push_str(
        "//! Every Kafka message this codec speaks, generated from `kafka-protocol/schema/` by\n//! `tools/codegen`. Do not edit by hand: change the schema and run\n//! `cargo run -p kafkito-codegen`.\n\n#![allow(clippy::all)]\n\nuse bytes::{Bytes, BytesMut};\n\nuse crate::{DecodeError, EncodeError};\n\n",
    );
    for (req, resp) in apis.values() {
        for s in [req, resp] {
            let _ = writeln!(out, "pub mod {};", snake_case(&s.name()));
        }
    }
    out.push('\n');
    for (req, resp) in apis.values() {
        for s in [req, resp] {
            let _ = writeln!(out, "pub use {}::{};", snake_case(&s.name()), s.name());
        }
    }
    out.push_str(
        "\n/// A request or response body: encodes and decodes itself at a given version.\npub trait Message: Sized {\n    /// The message's name, e.g. `ProduceRequest`.\n    const NAME: &'static str;\n    /// The API this message belongs to.\n    const API_KEY: ApiKey;\n    /// Oldest version this codec speaks.\n    const MIN_VERSION: i16;\n    /// Newest version this codec speaks.\n    const MAX_VERSION: i16;\n    /// Appends the body at `version` to `buf`.\n    fn encode(&self, buf: &mut BytesMut, version: i16) -> Result<(), EncodeError> {\n        self.encode_to(&mut crate::wire::Encoder::new(buf), version)\n    }\n    /// Appends the body at `version` through `encoder`: a splicing one leaves large `bytes`\n    /// fields out of its buffer (see [`Encoder`](crate::wire::Encoder)).\n    fn encode_to(&self, encoder: &mut crate::wire::Encoder<'_>, version: i16) -> Result<(), EncodeError>;\n    /// Reads a body at `version` from the front of `buf`.\n    fn decode(buf: &mut Bytes, version: i16) -> Result<Self, DecodeError>;\n}\n\n/// A request, tied to the response type the broker answers it with.\npub trait Request: Message {\n    /// The response body type.\n    type Response: Message;\n}\n\n",
    );

    // ApiKey
    out.push_str("/// The APIs this codec speaks, with the version ranges it knows.\n#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]\n#[non_exhaustive]\npub enum ApiKey {\n");
    for (key, (req, _)) in &apis {
        let _ = writeln!(out, "    /// API key {key}.\n    {} = {key},", req.api);
    }
    out.push_str("}\n\nimpl ApiKey {\n    /// Every API this codec speaks, by key.\n    pub const ALL: &'static [ApiKey] = &[");
    for (req, _) in apis.values() {
        let _ = write!(out, "ApiKey::{}, ", req.api);
    }
    out.push_str("];\n\n    /// The API with this key, if this codec speaks it.\n    pub fn from_key(key: i16) -> Option<ApiKey> {\n        Some(match key {\n");
    for (key, (req, _)) in &apis {
        let _ = writeln!(out, "            {key} => ApiKey::{},", req.api);
    }
    out.push_str("            _ => return None,\n        })\n    }\n\n    /// The numeric API key.\n    pub fn key(self) -> i16 {\n        self as i16\n    }\n\n    /// The API's name, e.g. `Produce`.\n    pub fn name(self) -> &'static str {\n        match self {\n");
    for (req, _) in apis.values() {
        let _ = writeln!(out, "            ApiKey::{0} => \"{0}\",", req.api);
    }
    out.push_str("        }\n    }\n\n    /// Oldest version this codec speaks.\n    pub fn min_version(self) -> i16 {\n        match self {\n");
    for (req, _) in apis.values() {
        let _ = writeln!(out, "            ApiKey::{} => {},", req.api, req.min);
    }
    out.push_str("        }\n    }\n\n    /// Newest version this codec speaks.\n    pub fn max_version(self) -> i16 {\n        match self {\n");
    for (req, _) in apis.values() {
        let _ = writeln!(out, "            ApiKey::{} => {},", req.api, req.max);
    }
    out.push_str("        }\n    }\n\n    /// Whether `version` uses the flexible (KIP-482) encoding: compact strings and arrays, tagged fields.\n    pub fn is_flexible(self, version: i16) -> bool {\n        match self {\n");
    for (req, _) in apis.values() {
        let f = match req.flexible {
            Some(f) => format!("version >= {f}"),
            None => "false".into(),
        };
        let _ = writeln!(out, "            ApiKey::{} => {f},", req.api);
    }
    out.push_str("        }\n    }\n}\n\n");

    // Body enums
    for (kind, suffix, what) in [(0, "Request", "request"), (1, "Response", "response")] {
        let _ = writeln!(
            out,
            "/// Any {what} body, for code that handles messages by API key at run time.\n#[derive(Debug, Clone, PartialEq)]\n#[non_exhaustive]\npub enum {suffix}Body {{"
        );
        for (req, resp) in apis.values() {
            let s = if kind == 0 { req } else { resp };
            let _ = writeln!(out, "    /// A [`{0}`].\n    {1}({0}),", s.name(), s.api);
        }
        let _ = writeln!(
            out,
            "}}\n\nimpl {suffix}Body {{\n    /// Decodes a {what} body of `api_key` at `version`.\n    pub fn decode(api_key: ApiKey, buf: &mut Bytes, version: i16) -> Result<Self, DecodeError> {{\n        Ok(match api_key {{"
        );
        for (req, resp) in apis.values() {
            let s = if kind == 0 { req } else { resp };
            let _ = writeln!(
                out,
                "            ApiKey::{0} => {suffix}Body::{0}({1}::decode(buf, version)?),",
                s.api,
                s.name()
            );
        }
        let _ = writeln!(
            out,
            "        }})\n    }}\n\n    /// Encodes the body at `version`.\n    pub fn encode(&self, buf: &mut BytesMut, version: i16) -> Result<(), EncodeError> {{\n        match self {{"
        );
        for (req, _) in apis.values() {
            let _ = writeln!(
                out,
                "            {suffix}Body::{}(m) => m.encode(buf, version),",
                req.api
            );
        }
        let _ = writeln!(
            out,
            "        }}\n    }}\n\n    /// The API this body belongs to.\n    pub fn api_key(&self) -> ApiKey {{\n        match self {{"
        );
        for (req, _) in apis.values() {
            let _ = writeln!(
                out,
                "            {suffix}Body::{0}(_) => ApiKey::{0},",
                req.api
            );
        }
        out.push_str("        }\n    }\n}\n\n");
    }

    // Round-trip property tests: every message at every version.
    out.push_str("#[cfg(test)]\nmod round_trip {\n    use super::*;\n    use proptest::strategy::{BoxedStrategy, Strategy, ValueTree};\n    use proptest::test_runner::{Config, TestRunner};\n\n    /// Encode, decode, compare, and re-encode to identical bytes, at every version.\n    fn check<M: Message + Clone + PartialEq + std::fmt::Debug>(strategy: fn(i16) -> BoxedStrategy<M>) {\n        for version in M::MIN_VERSION..=M::MAX_VERSION {\n            let mut runner = TestRunner::new(Config { cases: 48, ..Config::default() });\n            let result = runner.run(&strategy(version), |value| {\n                let mut buf = BytesMut::new();\n                value.encode(&mut buf, version).expect(\"encode\");\n                let bytes = buf.freeze();\n                let mut input = bytes.clone();\n                let decoded = M::decode(&mut input, version).expect(\"decode\");\n                proptest::prop_assert_eq!(input.len(), 0, \"trailing bytes\");\n                proptest::prop_assert_eq!(&decoded, &value);\n                let mut again = BytesMut::new();\n                decoded.encode(&mut again, version).expect(\"re-encode\");\n                proptest::prop_assert_eq!(&again[..], &bytes[..]);\n                Ok(())\n            });\n            if let Err(e) = result {\n                panic!(\"{} v{version}: {e}\", M::NAME);\n            }\n            // Strategies must produce something at every version.\n            let _ = strategy(version).new_tree(&mut runner).expect(\"tree\").current();\n        }\n    }\n\n");
    for (req, resp) in apis.values() {
        for s in [req, resp] {
            let _ = writeln!(
                out,
                "    #[test]\n    fn {}() {{\n        check({}::strategy);\n    }}\n",
                snake_case(&s.name()),
                s.name()
            );
        }
    }
    out.push_str("}\n");
    Ok(out)
}
