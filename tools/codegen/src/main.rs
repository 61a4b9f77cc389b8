//! Generates `kafka-protocol/src/messages/` from `kafka-protocol/schema/*.schema`.
//!
//! `cargo run -p kafkito-codegen` rewrites the generated files;
//! `cargo run -p kafkito-codegen -- --check` fails when they are stale (CI runs it).

mod generate;
mod schema;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::{env, fs};

fn main() -> ExitCode {
    let check = env::args().any(|a| a == "--check");
    match run(check) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("codegen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn protocol_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../kafka-protocol")
}

fn run(check: bool) -> Result<(), String> {
    let root = protocol_dir();
    let schema_dir = root.join("schema");
    let mut paths: Vec<PathBuf> = fs::read_dir(&schema_dir)
        .map_err(|e| format!("{}: {e}", schema_dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "schema"))
        .collect();
    paths.sort();

    let mut specs = Vec::new();
    let mut files: Vec<(String, String)> = Vec::new();
    for path in &paths {
        let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let spec = schema::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if stem != spec.name() {
            return Err(format!(
                "{}: file must be named {}.schema",
                path.display(),
                spec.name()
            ));
        }
        let code =
            generate::message_module(&spec).map_err(|e| format!("{}: {e}", path.display()))?;
        files.push((format!("{}.rs", generate::snake_case(&spec.name())), code));
        specs.push(spec);
    }
    files.push(("mod.rs".into(), generate::mod_rs(&specs)?));

    let out_dir = root.join("src/messages");
    let staging = env::temp_dir().join(format!("kafka-codegen-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir_all(&staging).map_err(|e| e.to_string())?;
    for (name, code) in &files {
        fs::write(staging.join(name), code).map_err(|e| e.to_string())?;
    }
    let status = Command::new("rustfmt")
        .args(["--edition", "2021"])
        .arg(staging.join("mod.rs"))
        .status()
        .map_err(|e| format!("running rustfmt: {e}"))?;
    if !status.success() {
        return Err(format!(
            "rustfmt failed on generated code in {}",
            staging.display()
        ));
    }

    let mut stale = Vec::new();
    for (name, _) in &files {
        let fresh = fs::read_to_string(staging.join(name)).map_err(|e| e.to_string())?;
        let target = out_dir.join(name);
        if fs::read_to_string(&target).ok().as_deref() != Some(fresh.as_str()) {
            stale.push(name.clone());
            if !check {
                fs::create_dir_all(&out_dir).map_err(|e| e.to_string())?;
                fs::write(&target, fresh).map_err(|e| e.to_string())?;
            }
        }
    }
    // Generated files whose schema is gone.
    if let Ok(entries) = fs::read_dir(&out_dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".rs") && !files.iter().any(|(n, _)| *n == name) {
                stale.push(format!("{name} (no schema)"));
                if !check {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
    }
    let _ = fs::remove_dir_all(&staging);
    if check && !stale.is_empty() {
        return Err(format!(
            "generated messages are stale ({}): run `cargo run -p kafkito-codegen`",
            stale.join(", ")
        ));
    }
    eprintln!(
        "codegen: {} schemas, {} files updated",
        specs.len(),
        if check { 0 } else { stale.len() }
    );
    Ok(())
}
