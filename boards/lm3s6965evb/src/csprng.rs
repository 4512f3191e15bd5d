//! The image's CSPRNG: ChaCha20 with fast key erasure, on the `chacha20` cipher the vault and
//! the Noise channel already carry, so the generator adds almost no flash.
//!
//! Every request runs the keystream under the current key: its first 32 bytes become the next
//! key and the rest is handed out, so the old key is gone before the output is used (a later
//! memory dump cannot rewind to earlier output), and no stream ever gets near ChaCha20's
//! 32-bit block counter. The seed comes from the board's entropy source
//! ([`crate::provisioning::entropy_seed`]).

use chacha20::ChaCha20;
use chacha20::cipher::{KeyIvInit, StreamCipher};
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroize;

/// Output drawn under one key before the key is replaced (keeps every stream short).
const CHUNK: usize = 256;

/// A ChaCha20 generator that replaces its key on every request.
pub struct Csprng {
    key: [u8; 32],
}

impl Csprng {
    /// A generator seeded with 32 bytes of real entropy.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self { key: seed }
    }

    /// Fills `dest` (at most [`CHUNK`] bytes) and moves to a fresh key.
    fn fill_chunk(&mut self, dest: &mut [u8]) {
        let mut cipher = ChaCha20::new(&self.key.into(), &[0u8; 12].into());
        // The keystream is the output: XOR into zeros.
        self.key.fill(0);
        cipher.apply_keystream(&mut self.key);
        dest.fill(0);
        cipher.apply_keystream(dest);
    }
}

impl RngCore for Csprng {
    fn next_u32(&mut self) -> u32 {
        let mut bytes = [0u8; 4];
        self.fill_bytes(&mut bytes);
        u32::from_le_bytes(bytes)
    }

    fn next_u64(&mut self) -> u64 {
        let mut bytes = [0u8; 8];
        self.fill_bytes(&mut bytes);
        u64::from_le_bytes(bytes)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(CHUNK) {
            self.fill_chunk(chunk);
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for Csprng {}

impl Drop for Csprng {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}
