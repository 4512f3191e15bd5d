//! Writes the seed corpus of every fuzz target to `corpus/<target>/`, from what the repository
//! already holds: the byte vectors of docs/protocol.md section 11 (frames, bodies, payloads,
//! including the payloads a receiver must refuse), vault images made by the real vault, and the
//! simulator's scenarios. Run from `fuzz/`: `cargo run --release --bin seed-corpus`.

use std::fs;
use std::path::Path;

use padlock_firmware::vault::Vault;
use padlock_firmware::vault::mem_flash::MemFlash;
use padlock_protocol::RememberToken;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const SPEC: &str = include_str!("../../docs/protocol.md");

/// Every `name = hex` vector of the spec, its hex joined across continuation lines.
fn spec_vectors() -> Vec<(String, Vec<u8>)> {
    let mut named: Vec<(String, String)> = Vec::new();
    let mut open = false;
    for line in SPEC.lines() {
        let continues =
            line.starts_with("    ") && line.trim().bytes().all(|b| b.is_ascii_hexdigit());
        match (line.split_once(" = "), named.last_mut()) {
            (Some((name, hex)), _) if hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                named.push((name.trim().to_owned(), hex.to_owned()));
                open = true;
            }
            (None, Some((_, hex))) if open && continues && !line.trim().is_empty() => {
                hex.push_str(line.trim());
            }
            _ => open = false,
        }
    }
    named
        .into_iter()
        .map(|(name, hex)| {
            let bytes = (0..hex.len() / 2)
                .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex digits"))
                .collect();
            (name, bytes)
        })
        .collect()
}

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new("corpus").join(target);
    fs::create_dir_all(&dir).expect("the corpus directory");
    fs::write(dir.join(name), bytes).expect("a corpus file");
}

fn prefixed(first: u8, rest: &[u8]) -> Vec<u8> {
    let mut out = vec![first];
    out.extend_from_slice(rest);
    out
}

/// The vault's four 1 KB sectors after `stores` tokens were stored in turn (0: erased).
fn vault_image(stores: u8) -> Vec<u8> {
    let mut rng = ChaCha20Rng::from_seed([2; 32]);
    let mut vault = Vault::new(
        MemFlash::<4096, 1024, 4>::default(),
        0..4096,
        b"fuzzed device secret, 32 bytes!!",
    )
    .expect("a whole-sector range");
    for round in 1..=stores {
        vault
            .store(
                "player@outlook.com",
                &RememberToken::from_bytes([round; 32]),
                &mut rng,
            )
            .expect("the vault stores");
    }
    vault.into_flash().image().to_vec()
}

fn main() {
    let vectors = spec_vectors();
    assert!(vectors.len() > 40, "docs/protocol.md vectors not found");
    for (name, bytes) in &vectors {
        if name.ends_with("request_frame") {
            write("frame_decoder", name, &prefixed(7, bytes));
            write("read_request", name, &bytes[2..]);
            write("gateway_answer", name, &prefixed(0, &bytes[2..]));
        } else if name.ends_with("reply_frame") || name.starts_with("status.") {
            write("frame_decoder", name, &prefixed(64, bytes));
        } else if name.ends_with("_payload")
            || name.starts_with("payload.")
            || name.starts_with("unknown.")
            || name.starts_with("malformed.")
        {
            write("payloads", name, bytes);
            write("gateway_answer", name, &prefixed(1, bytes));
        }
    }
    for stores in [0, 1, 2, 40] {
        write(
            "vault_load",
            &format!("stored_{stores}"),
            &vault_image(stores),
        );
    }
    for entry in fs::read_dir("../simulator/scenarios").expect("the simulator's scenarios") {
        let path = entry.expect("a directory entry").path();
        let name = path
            .file_name()
            .expect("a file name")
            .to_string_lossy()
            .into_owned();
        write(
            "scenario_parse",
            &name,
            &fs::read(&path).expect("a scenario"),
        );
    }
    println!("seed corpus written to corpus/");
}
