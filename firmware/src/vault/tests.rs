use super::mem_flash::MemFlash;
use super::*;
use rand_core::OsRng;

/// 4 sectors of 1 KiB, 4-byte words: the shape of a small internal flash.
type Flash = MemFlash<4096, 1024, 4>;
const RANGE: Range<u32> = 0..4096;
const SECRET: &[u8] = b"this device's secret, 32 bytes!!";

fn token(byte: u8) -> RememberToken {
    RememberToken::from_bytes([byte; 32])
}

fn vault(flash: Flash) -> Vault<Flash> {
    Vault::new(flash, RANGE, SECRET).unwrap()
}

#[test]
fn stores_loads_replaces_and_forgets() {
    let mut v = vault(Flash::new());
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

#[test]
fn the_token_is_never_in_flash_in_clear() {
    let mut v = vault(Flash::new());
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

#[test]
fn many_updates_wrap_around_the_range() {
    let mut v = vault(Flash::new());
    for i in 0..200u8 {
        v.store("a@b.c", &token(i), &mut OsRng).unwrap();
    }
    assert_eq!(vault(v.into_flash()).load().unwrap().token, token(199));
}

#[test]
fn another_devices_flash_does_not_open() {
    let mut v = vault(Flash::new());
    v.store("alex@outlook.com", &token(7), &mut OsRng).unwrap();
    let mut other = Vault::new(v.into_flash(), RANGE, b"another device's secret, 32 byte").unwrap();
    assert_eq!(other.load(), None);
}

#[test]
fn any_flipped_bit_in_the_record_reads_as_no_token_never_another() {
    let mut v = vault(Flash::new());
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
            let loaded = vault(Flash::from_image(flipped)).load();
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

#[test]
fn a_power_cut_at_any_step_of_an_update_leaves_the_old_or_the_new_token() {
    // Count the steps of one update, then cut power at each of them in turn.
    let mut base = vault(Flash::new());
    base.store("alex@outlook.com", &token(1), &mut OsRng)
        .unwrap();
    // Fill the range so that updates also have to erase and migrate sectors.
    for i in 0..40u8 {
        base.store(
            "alex@outlook.com",
            &token(if i % 2 == 0 { 1 } else { 3 }),
            &mut OsRng,
        )
        .unwrap();
    }
    base.store("alex@outlook.com", &token(1), &mut OsRng)
        .unwrap();
    let before = base.into_flash();

    let mut cuts = 0;
    let mut longest = 0;
    for update in 0..30 {
        // Updates from a range at different fill levels hit writes, then sector erases.
        let mut flash = before.clone();
        {
            let mut v = vault(flash);
            for _ in 0..update {
                v.store("alex@outlook.com", &token(1), &mut OsRng).unwrap();
            }
            flash = v.into_flash();
        }
        let steps = {
            let mut dry = vault(flash.clone());
            let start = dry.map.flash().0.operations();
            dry.store("alex@outlook.com", &token(2), &mut OsRng)
                .unwrap();
            dry.map.flash().0.operations() - start
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
                "update {update}, cut at step {step}: {:?}",
                loaded.token
            );
            // And the vault keeps working after the reboot.
            v.store("alex@outlook.com", &token(4), &mut OsRng).unwrap();
            assert_eq!(v.load().unwrap().token, token(4));
        }
    }
    eprintln!("{cuts} cuts exercised, longest update {longest} steps");
    assert!(cuts > 30, "{cuts} cuts exercised");
    // Some update had to erase a sector and move the record: more than header + data + mark.
    assert!(longest > 3, "no update reached a sector erase");
}

#[test]
fn a_range_that_is_not_whole_sectors_is_refused() {
    assert!(matches!(
        Vault::new(Flash::new(), 0..1500, SECRET),
        Err(VaultError::BadRange)
    ));
    assert!(matches!(
        Vault::new(Flash::new(), 0..1024, SECRET),
        Err(VaultError::BadRange)
    ));
}
