//! Embeds the bundled sample project and its plan, so `remedy demo` works from an installed binary.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

const SKIP: &[&str] = &["__pycache__", ".pytest_cache", ".venv", "venv", ".remedy"];

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .expect("the sample folder is readable")
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name();
        if SKIP.iter().any(|s| name == *s) {
            continue;
        }
        let path = e.path();
        let ft = e.file_type().expect("file type is readable");
        if ft.is_dir() {
            collect(&path, out);
        } else if ft.is_file() {
            out.push(path);
        }
    }
}

fn main() {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let sample = manifest.join("examples/websocket-app");
    let plan = manifest.join("plans/issue-1184-websocket-await.yaml");
    println!("cargo:rerun-if-changed={}", sample.display());
    println!("cargo:rerun-if-changed={}", plan.display());
    let mut files = Vec::new();
    collect(&sample, &mut files);
    let mut code = String::from("/// The sample project: (relative path, content, mode).\npub(crate) static SAMPLE_FILES: &[(&str, &[u8], u32)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f.strip_prefix(&sample).expect("under the sample folder");
        let mode = fs::metadata(f)
            .expect("metadata is readable")
            .permissions()
            .mode()
            & 0o777;
        code.push_str(&format!(
            "    ({:?}, include_bytes!({:?}), {mode:#o}),\n",
            rel.to_str().expect("sample paths are UTF-8"),
            f.to_str().expect("sample paths are UTF-8")
        ));
    }
    code.push_str("];\n");
    code.push_str(&format!(
        "/// The founding plan.\npub(crate) static SAMPLE_PLAN: &str = include_str!({:?});\n",
        plan.to_str().expect("plan path is UTF-8")
    ));
    let out =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("sample.rs");
    fs::write(out, code).expect("OUT_DIR is writable");
}
