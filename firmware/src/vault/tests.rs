//! Every test runs on in-RAM NOR flashes of four word sizes: 1 byte (serial NOR), 4 (most
//! internal flashes), 32 (the storage layer's largest word) and 256 (an RP2040's page, written
//! through [`SmallWords`]). The in-RAM flash refuses any write that is not whole words, so the
//! 256-byte runs also prove that only whole pages are programmed.

use super::mem_flash::MemFlash;
use super::*;
use rand_core::OsRng;

const SECRET: &[u8] = b"this device's secret, 32 bytes!!";

fn token(byte: u8) -> RememberToken {
    RememberToken::from_bytes([byte; 32])
}

fn vault<const S: usize, const E: usize, const W: usize>(
    flash: MemFlash<S, E, W>,
) -> Vault<MemFlash<S, E, W>> {
    Vault::new(flash, 0..S as u32, SECRET).unwrap()
}

/// The tests below, once per flash shape.
macro_rules! on_flash {
    ($($module:ident: $size:literal, $erase:literal, $write:literal;)*) => {$(
        mod $module {
            type Flash = super::MemFlash<$size, $erase, $write>;

            #[test]
            fn stores_loads_replaces_and_forgets() {
                super::stores_loads_replaces_and_forgets(Flash::new());
            }

            #[test]
            fn the_token_is_never_in_flash_in_clear() {
                super::the_token_is_never_in_flash_in_clear(Flash::new());
            }

            #[test]
            fn many_updates_wrap_around_the_range() {
                super::many_updates_wrap_around_the_range(Flash::new());
            }

            #[test]
            fn another_devices_flash_does_not_open() {
                super::another_devices_flash_does_not_open(Flash::new());
            }

            #[test]
            fn any_flipped_bit_in_the_record_reads_as_no_token_never_another() {
                super::any_flipped_bit_reads_as_no_token(Flash::new());
            }

            #[test]
            fn a_power_cut_at_any_step_of_an_update_leaves_the_old_or_the_new_token() {
                super::a_power_cut_at_any_step_leaves_the_old_or_the_new_token(Flash::new());
            }
        }
    )*};
}

on_flash! {
    // 4 sectors of 1 KiB: the shape of a small internal flash, at three word sizes.
    word_1: 4096, 1024, 1;
    word_4: 4096, 1024, 4;
    word_32: 4096, 1024, 32;
    // 4 sectors of 4 KiB programmed in 256-byte pages: an RP2040's QSPI flash.
    word_256: 16384, 4096, 256;
}

fn stores_loads_replaces_and_forgets<const S: usize, const E: usize, const W: usize>(
    flash: MemFlash<S, E, W>,
) {
    let mut v = vault(flash);
    assert_eq!(v.load(), None);
    v.store("alex@outlook.com", &token(1), &mut OsRng).unwrap();
    let got = v.load().unwrap();
    assert_eq!(got.email, "alex@outlook.com");
    assert_eq!(got.token, token(1));
    v.store("alex@outlook.com", &token(2), &mut OsRng).unwrap();
    assert_eq!(v.load().unwrap().token, token(2));

    // A reboot: a new vault over the same flash.
    let mut v = vault(v.into_flash());
    assert_eq!(v.load().unwrap().token, token(2));
    v.forget().unwrap();
    assert_eq!(v.load(), None);
    assert!(
        v.into_flash().image().iter().all(|b| *b == 0xFF),
        "nothing left"
    );
}

fn the_token_is_never_in_flash_in_clear<const S: usize, const E: usize, const W: usize>(
    flash: MemFlash<S, E, W>,
) {
    let mut v = vault(flash);
    let secret = RememberToken::from_bytes(*b"0123456789abcdefghijklmnopqrstuv");
    for _ in 0..20 {
        v.store("alex@outlook.com", &secret, &mut OsRng).unwrap();
    }
    let image = v.into_flash().image().to_vec();
    for window in secret.as_bytes().windows(8) {
        assert!(
            !image.windows(8).any(|w| w == window),
            "a piece of the token is in flash"
        );
    }
}

fn many_updates_wrap_around_the_range<const S: usize, const E: usize, const W: usize>(
    flash: MemFlash<S, E, W>,
) {
    let mut v = vault(flash);
    for i in 0..200u8 {
        v.store("a@b.c", &token(i), &mut OsRng).unwrap();
    }
    assert_eq!(vault(v.into_flash()).load().unwrap().token, token(199));
}

fn another_devices_flash_does_not_open<const S: usize, const E: usize, const W: usize>(
    flash: MemFlash<S, E, W>,
) {
    let mut v = vault(flash);
    v.store("alex@outlook.com", &token(7), &mut OsRng).unwrap();
    let mut other = Vault::new(
        v.into_flash(),
        0..S as u32,
        b"another device's secret, 32 byte",
    )
    .unwrap();
    assert_eq!(other.load(), None);
}

fn any_flipped_bit_reads_as_no_token<const S: usize, const E: usize, const W: usize>(
    flash: MemFlash<S, E, W>,
) {
    let mut v = vault(flash);
    v.store("alex@outlook.com", &token(9), &mut OsRng).unwrap();
    let image = *v.into_flash().image();
    let at = image
        .windows(16)
        .position(|w| w == b"alex@outlook.com")
        .expect("the email is stored beside the sealed token");
    // From the record's version byte (14 bytes before the email) to the end of its tag.
    let record = (at - 14)..(at + 16 + 32 + 16);
    for byte in record {
        for bit in 0..8 {
            let mut flipped = image;
            flipped[byte] ^= 1 << bit;
            let loaded = vault(MemFlash::<S, E, W>::from_image(flipped)).load();
            assert_eq!(loaded, None, "byte {byte} bit {bit}");
        }
    }
}

#[test]
fn another_format_version_reads_as_no_token() {
    let mut v = vault(Flash::new());
    v.store("alex@outlook.com", &token(9), &mut OsRng).unwrap();
    // The record is sealed with its version in the associated data: a record claiming
    // another version does not open even if its version byte is all that changed.
    let record = [
        &[FORMAT_VERSION + 1][..],
        &[0; NONCE_LEN],
        &[1, b'a'],
        &[0; REMEMBER_TOKEN_LEN + TAG_LEN],
    ]
    .concat();
    assert_eq!(v.open(&record), None);
    assert_eq!(v.open(&[]), None);
    assert_eq!(v.open(&record[..20]), None);
}

fn a_power_cut_at_any_step_leaves_the_old_or_the_new_token<
    const S: usize,
    const E: usize,
    const W: usize,
>(
    flash: MemFlash<S, E, W>,
) {
    // Cut power at each step of an update in turn; then update once without a cut and cut
    // the next one, until the range has wrapped (updates had to erase and migrate sectors)
    // and at least 30 fill levels were tried.
    let mut v = vault(flash);
    v.store("alex@outlook.com", &token(1), &mut OsRng).unwrap();
    let mut flash = v.into_flash();

    let mut cuts = 0;
    let mut longest = 0;
    let mut fill_levels = 0;
    let mut erasing_updates = 0;
    while fill_levels < 30 || erasing_updates == 0 {
        assert!(fill_levels < 1000, "no update reached a sector erase");
        let steps = {
            let mut dry = vault(flash.clone());
            let start = dry.map.flash().0.0.operations();
            dry.store("alex@outlook.com", &token(2), &mut OsRng)
                .unwrap();
            let after = dry.into_flash();
            if erased_a_sector(flash.image(), after.image(), E) {
                erasing_updates += 1;
            }
            after.operations() - start
        };
        longest = longest.max(steps);
        for step in 0..steps {
            let mut cut = flash.clone();
            cut.cut_power_at(step);
            let mut v = vault(cut);
            assert_eq!(
                v.store("alex@outlook.com", &token(2), &mut OsRng),
                Err(VaultError::Flash)
            );
            let mut rebooted = v.into_flash();
            assert!(rebooted.power_was_cut());
            rebooted.restore_power();
            cuts += 1;

            let mut v = vault(rebooted);
            let loaded = v.load().expect("the old or the new token, never none");
            assert_eq!(loaded.email, "alex@outlook.com");
            assert!(
                loaded.token == token(1) || loaded.token == token(2),
                "fill level {fill_levels}, cut at step {step}: {:?}",
                loaded.token
            );
            // And the vault keeps working after the reboot.
            v.store("alex@outlook.com", &token(4), &mut OsRng).unwrap();
            assert_eq!(v.load().unwrap().token, token(4));
        }
        let mut v = vault(flash);
        v.store("alex@outlook.com", &token(1), &mut OsRng).unwrap();
        flash = v.into_flash();
        fill_levels += 1;
    }
    eprintln!(
        "{cuts} cuts over {fill_levels} fill levels, {erasing_updates} updates erasing a \
         sector, longest update {longest} steps"
    );
}

/// Whether a sector that held data before holds none after.
fn erased_a_sector(before: &[u8], after: &[u8], sector: usize) -> bool {
    before
        .chunks(sector)
        .zip(after.chunks(sector))
        .any(|(b, a)| b.iter().any(|x| *x != 0xFF) && a.iter().all(|x| *x == 0xFF))
}

type Flash = MemFlash<4096, 1024, 4>;

fn refusal<F: NorFlash>(flash: F, range: Range<u32>) -> Option<VaultError> {
    Vault::new(flash, range, SECRET).err()
}

#[test]
fn each_unusable_range_is_refused_with_its_own_reason() {
    use VaultError::{RangeNotSectorAligned, RangeOutsideFlash, RangeTooSmall};
    assert_eq!(refusal(Flash::new(), 0..1500), Some(RangeNotSectorAligned));
    assert_eq!(
        refusal(Flash::new(), 100..2048),
        Some(RangeNotSectorAligned)
    );
    assert_eq!(refusal(Flash::new(), 0..1024), Some(RangeTooSmall));
    assert_eq!(refusal(Flash::new(), 1024..8192), Some(RangeOutsideFlash));
    assert_eq!(refusal(Flash::new(), 1024..3072), None);
}

#[test]
fn each_unusable_flash_is_refused_with_its_own_reason() {
    // Sectors of 256 bytes cannot hold the largest record.
    assert_eq!(
        refusal(MemFlash::<4096, 256, 4>::new(), 0..4096),
        Some(VaultError::SectorTooSmall)
    );
    // Pages over 256 bytes are more than the vault programs at once.
    assert_eq!(
        refusal(MemFlash::<16384, 4096, 512>::new(), 0..16384),
        Some(VaultError::WordTooLarge)
    );
    // The largest record just fits in a 512-byte sector at 32-byte words.
    assert_eq!(refusal(MemFlash::<2048, 512, 32>::new(), 0..2048), None);
}

#[test]
fn a_page_programmed_flash_gets_whole_pages_with_its_other_bytes_unchanged() {
    let mut flash = SmallWords(MemFlash::<8192, 4096, 256>::new());
    flash.write(256 + 8, &[0x12; 4]).unwrap();
    flash.write(256 + 12, &[0x34; 8]).unwrap();
    // A write across a page boundary programs both pages.
    flash.write(512 - 4, &[0x56; 8]).unwrap();
    let image = flash.0.image();
    assert!(image[..264].iter().all(|b| *b == 0xFF));
    assert_eq!(image[264..268], [0x12; 4]);
    assert_eq!(image[268..276], [0x34; 8]);
    assert!(image[276..508].iter().all(|b| *b == 0xFF));
    assert_eq!(image[508..516], [0x56; 8]);
    assert!(image[516..].iter().all(|b| *b == 0xFF));
    // Four page programs: one each for the first two writes, two for the third.
    assert_eq!(flash.0.operations(), 4);
}

/// The fuzzer's reproducer (`fuzz/regressions/vault_load/`): a flash holding garbage and older
/// records of ours, built as the `vault_load` fuzz target builds it.
fn garbage_flash_from_the_fuzzer() -> (Vault<Flash>, &'static [u8]) {
    const FUZZ_SECRET: &[u8] = b"fuzzed device secret, 32 bytes!!";
    let input: &[u8] = include_bytes!(
        "../../../fuzz/regressions/vault_load/crash-a8a5ffc78edb4b40312fd9f084d0299fb66df454"
    );
    let mut image = [0xff; 4096];
    let n = input.len().min(image.len());
    image[..n].copy_from_slice(&input[..n]);
    let v = Vault::new(Flash::from_image(image), 0..4096, FUZZ_SECRET).unwrap();
    (v, FUZZ_SECRET)
}

/// After a successful store over `v`, whatever its flash held, load returns exactly that
/// token, before and after a reboot; after forgetting, nothing loads. `false` if the store
/// failed (nothing to check then).
fn a_stored_token_loads_back_exactly(mut v: Vault<Flash>, secret: &[u8]) -> bool {
    let _ = v.load();
    let token = RememberToken::from_bytes([0x3c; 32]);
    if v.store("player@outlook.com", &token, &mut OsRng).is_err() {
        return false;
    }
    let loaded = v.load().expect("a stored token loads");
    assert_eq!(loaded.email, "player@outlook.com");
    assert_eq!(loaded.token, token, "an older record loaded");
    let mut v = Vault::new(v.into_flash(), 0..4096, secret).unwrap();
    assert_eq!(v.load().expect("loads after a reboot").token, token);
    v.forget().unwrap();
    assert_eq!(v.load(), None);
    true
}

#[test]
fn after_garbage_flash_a_stored_token_loads_back_not_an_older_one() {
    let (v, secret) = garbage_flash_from_the_fuzzer();
    assert!(a_stored_token_loads_back_exactly(v, secret));
}

#[test]
fn after_mangled_flash_a_stored_token_loads_back_exactly() {
    // Images of real records (several stores, so older records lie about), mangled the ways a
    // foreign or damaged image differs: spans of random bytes, erased spans, zeroed spans, and
    // whole records erased (a hole the next record fits exactly, older ones after it).
    let mut clean = vault(Flash::new());
    for round in 0..12 {
        clean
            .store("player@outlook.com", &token(round), &mut OsRng)
            .unwrap();
    }
    let clean = *clean.into_flash().image();
    // Where each item starts: its header (8 bytes), the map's key, then the record's version,
    // nonce and email length before the email; and how long it is, padded to the word.
    let items: std::vec::Vec<usize> = clean
        .windows(18)
        .enumerate()
        .filter(|(_, w)| *w == b"player@outlook.com")
        .map(|(at, _)| at - 8 - 1 - 14)
        .collect();
    let item_len =
        8 + (1 + 1 + NONCE_LEN + 1 + 18 + REMEMBER_TOKEN_LEN + TAG_LEN).next_multiple_of(4);
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        // xorshift64: a fixed sequence, so a failure reproduces.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut stored = 0;
    for _ in 0..300 {
        let mut image = clean;
        for _ in 0..1 + next() % 6 {
            let kind = next() % 4;
            let (start, end) = if kind == 3 {
                let item = items[(next() % items.len() as u64) as usize];
                (item, item + item_len)
            } else {
                let start = (next() % 4096) as usize;
                (start, (start + 1 + (next() % 300) as usize).min(4096))
            };
            for byte in &mut image[start..end] {
                *byte = match kind {
                    0 => next() as u8,
                    1 | 3 => 0xff,
                    _ => 0,
                };
            }
        }
        if let Ok(v) = Vault::new(Flash::from_image(image), 0..4096, SECRET) {
            stored += usize::from(a_stored_token_loads_back_exactly(v, SECRET));
        }
    }
    assert!(stored > 200, "only {stored} of 300 stores succeeded");
}
