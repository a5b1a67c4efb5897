//! Parameter sweeps behind the defaults (docs/BENCHMARKS.md): chunk sizes,
//! deflate level, deflate backend. Not a test; run with
//!
//! ```sh
//! cargo run --release --example sweep -- chunks  CORPUS_DIR MUTATED_DIR
//! cargo run --release --example sweep -- deflate CORPUS_DIR
//! cargo run --release --no-default-features --features miniz --example sweep -- deflate CORPUS_DIR
//! ```

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use strongbox::chunker::{Chunker, ChunkerParams};
use strongbox::compress;

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let Ok(m) = e.path().symlink_metadata() else {
                continue;
            };
            if m.is_dir() {
                stack.push(e.path());
            } else if m.is_file() {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// Chunks every file; returns (chunk hashes with sizes, bytes, seconds).
fn chunk_all(list: &[PathBuf], p: ChunkerParams) -> (Vec<([u8; 32], usize)>, u64, f64) {
    let t = Instant::now();
    let mut out = Vec::new();
    let mut bytes = 0u64;
    for f in list {
        let Ok(data) = std::fs::read(f) else { continue };
        bytes += data.len() as u64;
        let mut c = Chunker::new(p).expect("params");
        for piece in data.chunks(1 << 20) {
            c.feed(piece);
            while let Some(ch) = c.next_chunk(false) {
                out.push((strongbox::crypto::sha256(&ch).0, ch.len()));
            }
        }
        while let Some(ch) = c.next_chunk(true) {
            out.push((strongbox::crypto::sha256(&ch).0, ch.len()));
        }
    }
    (out, bytes, t.elapsed().as_secs_f64())
}

fn chunks(base: &Path, mutated: &Path) {
    let a = files(base);
    let b = files(mutated);
    println!("| min / avg / max (KiB) | chunks | mean chunk | chunk+SHA-256 MB/s | new bytes after the mutation |");
    println!("|---|---|---|---|---|");
    // SWEEP_SIZES="8,32,128 64,256,1024" overrides the list (KiB).
    let sizes: Vec<(u32, u32, u32)> = match std::env::var("SWEEP_SIZES") {
        Ok(s) => s
            .split_whitespace()
            .filter_map(|t| {
                let v: Vec<u32> = t.split(',').filter_map(|x| x.parse().ok()).collect();
                (v.len() == 3).then(|| (v[0], v[1], v[2]))
            })
            .collect(),
        Err(_) => vec![
            (64, 256, 1024),
            (128, 512, 2048),
            (256, 1024, 4096),
            (512, 2048, 8192),
            (1024, 4096, 16384),
        ],
    };
    for (min, avg, max) in sizes {
        let p = ChunkerParams {
            min: min * 1024,
            avg: avg * 1024,
            max: max * 1024,
            seed: 0x5eed,
        };
        let (ca, bytes, secs) = chunk_all(&a, p);
        let known: HashSet<[u8; 32]> = ca.iter().map(|c| c.0).collect();
        let (cb, _, _) = chunk_all(&b, p);
        let mut seen = HashSet::new();
        let new: usize = cb
            .iter()
            .filter(|c| !known.contains(&c.0) && seen.insert(c.0))
            .map(|c| c.1)
            .sum();
        println!(
            "| {min} / {avg} / {max} | {} | {:.0} KiB | {:.0} | {:.2} MB |",
            ca.len(),
            bytes as f64 / ca.len().max(1) as f64 / 1024.0,
            bytes as f64 / secs / 1e6,
            new as f64 / 1e6
        );
    }
}

fn deflate(base: &Path) {
    // Compressible input only: code files and SQL/text.
    let mut sample = Vec::new();
    for f in files(base) {
        let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("");
        if matches!(
            ext,
            "php" | "js" | "css" | "sql" | "txt" | "json" | "log" | "html" | "po" | "pot"
        ) {
            if let Ok(d) = std::fs::read(&f) {
                sample.extend(d);
            }
        }
        if sample.len() > 200 << 20 {
            break;
        }
    }
    let backend = if cfg!(feature = "miniz") {
        "miniz_oxide"
    } else {
        "zlib-rs"
    };
    println!(
        "backend {backend}, {:.1} MB of code and text",
        sample.len() as f64 / 1e6
    );
    println!("| level | MB/s (compress) | ratio | MB/s (decompress) |");
    println!("|---|---|---|---|");
    for level in [1u32, 2, 3, 4, 6] {
        let t = Instant::now();
        let mut out = Vec::new();
        for piece in sample.chunks(1 << 20) {
            out.push((compress::compress(piece, level, false), piece.len()));
        }
        let secs = t.elapsed().as_secs_f64();
        let stored: usize = out
            .iter()
            .map(|(c, n)| c.as_ref().map(|v| v.len()).unwrap_or(*n))
            .sum();
        let t = Instant::now();
        for (c, n) in &out {
            if let Some(c) = c {
                compress::decompress(c, *n, &String::new).expect("round trip");
            }
        }
        let dsecs = t.elapsed().as_secs_f64();
        println!(
            "| {level} | {:.0} | {:.3} | {:.0} |",
            sample.len() as f64 / secs / 1e6,
            stored as f64 / sample.len() as f64,
            sample.len() as f64 / dsecs / 1e6
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("chunks") if args.len() == 4 => chunks(Path::new(&args[2]), Path::new(&args[3])),
        Some("deflate") if args.len() == 3 => deflate(Path::new(&args[2])),
        _ => {
            eprintln!("usage: sweep chunks CORPUS MUTATED | sweep deflate CORPUS");
            std::process::exit(2);
        }
    }
}
