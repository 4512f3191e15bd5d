//! App passwords: what a player types on a console instead of a two-step code.
//!
//! An app password is 16 lowercase letters (26^16, about 75 bits) drawn uniformly from the
//! gateway's CSPRNG. It is shown once, in groups of four (`abcd efgh ijkl mnop`), and stored only
//! as its keyed hash ([`crate::hashing`]), beside a name the player chose ("Xbox 360"), its
//! creation time, and when and from which device it was last used.
//!
//! What the player types is normalised before hashing: spaces are dropped and letters are
//! lowercased, so `ABCD efgh IJKL mnop` and `abcdefghijklmnop` are the same password. The
//! normalised text is hashed whatever its shape, so a string that cannot be an app password
//! costs the same keyed hash as one that can.

use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use padlock_protocol::limits::APP_PASSWORD_LEN;

/// A fresh app password's 16 letters.
pub(crate) fn generate(rng: &mut (impl RngCore + CryptoRng)) -> Zeroizing<[u8; APP_PASSWORD_LEN]> {
    let mut letters = Zeroizing::new([0u8; APP_PASSWORD_LEN]);
    let mut filled = 0;
    while filled < APP_PASSWORD_LEN {
        let mut byte = [0u8; 1];
        rng.fill_bytes(&mut byte);
        // Rejection sampling: 234 = 9 * 26, so every letter is equally likely.
        let [b] = byte;
        if b < 234 {
            if let Some(slot) = letters.get_mut(filled) {
                *slot = b'a' + b % 26;
            }
            filled += 1;
        }
    }
    letters
}

/// The letters as the player sees them: four groups of four, separated by spaces.
pub(crate) fn format(letters: &[u8; APP_PASSWORD_LEN]) -> String {
    let mut text = String::with_capacity(APP_PASSWORD_LEN + 3);
    for (i, &letter) in letters.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            text.push(' ');
        }
        text.push(char::from(letter));
    }
    text
}

/// What the player typed, without spaces and with ASCII letters lowercased.
pub(crate) fn normalise(typed: &[u8]) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(
        typed
            .iter()
            .filter(|&&b| b != b' ')
            .map(u8::to_ascii_lowercase)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn sixteen_lowercase_letters_shown_in_groups_of_four() {
        let mut rng = ChaCha20Rng::from_seed([9; 32]);
        let letters = generate(&mut rng);
        assert!(letters.iter().all(u8::is_ascii_lowercase));
        let shown = format(&letters);
        assert_eq!(shown.len(), 19);
        let groups: Vec<&str> = shown.split(' ').collect();
        assert_eq!(groups.len(), 4);
        assert!(groups.iter().all(|g| g.len() == 4));
        assert_ne!(*generate(&mut rng), *letters, "fresh each time");
    }

    #[test]
    fn every_letter_is_drawn() {
        let mut rng = ChaCha20Rng::from_seed([10; 32]);
        let mut seen = [0u32; 26];
        for _ in 0..200 {
            for &l in generate(&mut rng).iter() {
                seen[usize::from(l - b'a')] += 1;
            }
        }
        // 3200 letters: each expected 123 times; a biased generator would leave gaps.
        assert!(seen.iter().all(|&n| (60..200).contains(&n)), "{seen:?}");
    }

    #[test]
    fn entry_ignores_spaces_and_case() {
        assert_eq!(
            normalise(b"ABCD efgh IJKL mnop").as_slice(),
            b"abcdefghijklmnop"
        );
        assert_eq!(
            normalise(b"abcdefghijklmnop").as_slice(),
            b"abcdefghijklmnop"
        );
        assert_eq!(normalise(b" a b ").as_slice(), b"ab");
    }
}
