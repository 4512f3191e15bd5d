//! The device's vault on flash holding anything at all (a worn sector, a half-written record,
//! another firmware's data): opening and loading never panic, and whatever was there, after a
//! token is stored successfully exactly that token loads back.
//!
//! Input: the flash image (four 1 KB sectors; bytes past the input are erased, 0xff).
#![no_main]

use libfuzzer_sys::fuzz_target;
use padlock_firmware::vault::Vault;
use padlock_firmware::vault::mem_flash::MemFlash;
use padlock_protocol::RememberToken;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const SIZE: usize = 4096;
const SECRET: &[u8] = b"fuzzed device secret, 32 bytes!!";

fuzz_target!(|data: &[u8]| {
    let mut image = [0xff; SIZE];
    let n = data.len().min(SIZE);
    image[..n].copy_from_slice(&data[..n]);
    let flash = MemFlash::<SIZE, 1024, 4>::from_image(image);
    let Ok(mut vault) = Vault::new(flash, 0..SIZE as u32, SECRET) else {
        return;
    };
    let _ = vault.load();
    let token = RememberToken::from_bytes([0x3c; 32]);
    let mut rng = ChaCha20Rng::from_seed([2; 32]);
    if vault.store("player@outlook.com", &token, &mut rng).is_ok() {
        let loaded = vault.load().expect("a stored token loads");
        assert_eq!(loaded.email.as_str(), "player@outlook.com");
        // Not an older record left in the image: the vault reads its store back and wipes a
        // range the storage did not lay out (regressions/vault_load/ was such an image).
        assert_eq!(loaded.token.as_bytes(), token.as_bytes());
    }
});
