//! The Noise `IK` handshake (`Noise_IK_25519_ChaChaPoly_SHA256`), both messages and nothing
//! else, on the RustCrypto primitives the rest of the tree already carries: X25519
//! (`x25519-dalek`), ChaCha20-Poly1305, SHA-256 and HKDF.
//!
//! It follows the Noise specification (revision 34) section by section, so it reads against it:
//!
//! - **SymmetricState** (section 5.2): the chaining key `ck`, the handshake hash `h` and the
//!   current cipher key. `MixHash(data)`: `h = SHA-256(h || data)`. `MixKey(ikm)`:
//!   `ck, k = HKDF(ck, ikm)`, which is RFC 5869 HKDF-SHA256 with salt `ck`, empty info and 64
//!   bytes of output. `EncryptAndHash` / `DecryptAndHash`: ChaCha20-Poly1305 under `k` with `h`
//!   as associated data and nonce `n` (32 zero bits, then `n` as 64-bit little endian), then
//!   `MixHash(ciphertext)`.
//! - **HandshakeState** (section 5.3) for the `IK` pattern (section 7.5):
//!
//!   ```text
//!   <- s
//!   ...
//!   -> e, es, s, ss
//!   <- e, ee, se
//!   ```
//!
//!   The pre-message `s` (the responder's static key) is hashed by both sides after the
//!   prologue. Each message is its tokens, then the payload through `EncryptAndHash`.
//!
//! No transport messages follow a Padlock handshake, so `Split` is not needed. A Diffie-Hellman
//! result of all zeros (a low-order public key) fails the handshake, as section 12.1 permits.
//!
//! The protocol's tests hold this to the published Cacophony vector for exactly this protocol
//! and to `snow`, an independent implementation, in both directions.

use chacha20poly1305::aead::AeadInPlace;
use chacha20poly1305::{ChaCha20Poly1305, KeyInit, Nonce, Tag};
use hkdf::Hkdf;
use sha2::{Digest, Sha256};
use x25519_dalek::StaticSecret;
use zeroize::Zeroizing;

use super::{NOISE_PROTOCOL_NAME, SessionError};
use crate::keys::{KEY_LEN, PublicKey, StaticKeypair};

/// SHA-256 output, the Noise `HASHLEN`.
const HASH_LEN: usize = 32;
/// Poly1305 tag length.
const TAG_LEN: usize = 16;

/// `h` before the prologue: the protocol name, zero-padded to `HASHLEN` (section 5.2,
/// `InitializeSymmetric`; a longer name would be hashed instead, this one is exactly 32 bytes).
const INITIAL_HASH: [u8; HASH_LEN] = {
    let name = NOISE_PROTOCOL_NAME.as_bytes();
    assert!(name.len() <= HASH_LEN);
    let mut h = [0u8; HASH_LEN];
    let mut i = 0;
    while i < name.len() {
        h[i] = name[i];
        i += 1;
    }
    h
};

/// A token of a message pattern.
#[derive(Clone, Copy)]
enum Token {
    E,
    S,
    Ee,
    Es,
    Se,
    Ss,
}

/// The `IK` pattern's two messages.
const IK_MESSAGES: [&[Token]; 2] = [
    &[Token::E, Token::Es, Token::S, Token::Ss],
    &[Token::E, Token::Ee, Token::Se],
];

/// Bytes a message's tokens add in front of its payload (before the payload's tag).
fn token_bytes(tokens: &[Token]) -> usize {
    tokens
        .iter()
        .map(|token| match token {
            Token::E => KEY_LEN,
            Token::S => KEY_LEN + TAG_LEN,
            _ => 0,
        })
        .sum()
}

/// Section 5.2: the chaining key, the handshake hash and the cipher state.
struct SymmetricState {
    ck: Zeroizing<[u8; HASH_LEN]>,
    h: [u8; HASH_LEN],
    /// `k`, once a `MixKey` has happened.
    key: Option<Zeroizing<[u8; 32]>>,
    n: u64,
}

impl SymmetricState {
    fn new(prologue: &[u8]) -> Self {
        let mut state = Self {
            ck: Zeroizing::new(INITIAL_HASH),
            h: INITIAL_HASH,
            key: None,
            n: 0,
        };
        state.mix_hash(prologue);
        state
    }

    fn mix_hash(&mut self, data: &[u8]) {
        self.h = Sha256::new()
            .chain_update(self.h)
            .chain_update(data)
            .finalize()
            .into();
    }

    fn mix_key(&mut self, input_key_material: &[u8]) -> Result<(), SessionError> {
        let mut output = Zeroizing::new([[0u8; HASH_LEN]; 2]);
        Hkdf::<Sha256>::new(Some(self.ck.as_slice()), input_key_material)
            .expand(&[], output.as_flattened_mut())
            .map_err(|_| SessionError::Handshake)?;
        let [ck, key] = *output;
        self.ck = Zeroizing::new(ck);
        self.key = Some(Zeroizing::new(key));
        self.n = 0;
        Ok(())
    }

    /// The cipher and nonce for the next encryption or decryption; advances `n`.
    fn next_cipher(&mut self) -> Result<(ChaCha20Poly1305, Nonce), SessionError> {
        // Every pattern token that encrypts comes after a DH token: a key is always there.
        let key = self.key.as_ref().ok_or(SessionError::Handshake)?;
        let mut nonce = Nonce::default();
        nonce
            .get_mut(4..)
            .ok_or(SessionError::Handshake)?
            .copy_from_slice(&self.n.to_le_bytes());
        self.n = self.n.checked_add(1).ok_or(SessionError::Handshake)?;
        Ok((ChaCha20Poly1305::new(key.as_ref().into()), nonce))
    }

    /// Encrypts `buffer`'s plaintext in place; its last [`TAG_LEN`] bytes receive the tag.
    fn encrypt_and_hash(&mut self, buffer: &mut [u8]) -> Result<(), SessionError> {
        let (cipher, nonce) = self.next_cipher()?;
        let plain_len = buffer
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(SessionError::BufferTooSmall)?;
        let (text, tag_out) = buffer.split_at_mut(plain_len);
        let tag = cipher
            .encrypt_in_place_detached(&nonce, &self.h, text)
            .map_err(|_| SessionError::Handshake)?;
        tag_out.copy_from_slice(&tag);
        self.mix_hash(buffer);
        Ok(())
    }

    /// Decrypts `ciphertext` (tag last) into the front of `out`; returns the plaintext's length.
    fn decrypt_and_hash(
        &mut self,
        ciphertext: &[u8],
        out: &mut [u8],
    ) -> Result<usize, SessionError> {
        let (cipher, nonce) = self.next_cipher()?;
        let plain_len = ciphertext
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(SessionError::Handshake)?;
        let (text, tag) = ciphertext.split_at(plain_len);
        let plain = out.get_mut(..plain_len).ok_or(SessionError::Handshake)?;
        plain.copy_from_slice(text);
        if cipher
            .decrypt_in_place_detached(&nonce, &self.h, plain, Tag::from_slice(tag))
            .is_err()
        {
            plain.fill(0);
            return Err(SessionError::Handshake);
        }
        self.mix_hash(ciphertext);
        Ok(plain_len)
    }
}

/// X25519 between our secret and their public key; all zeros (a low-order point) is refused.
fn dh(secret: &[u8; KEY_LEN], public: &PublicKey) -> Result<Zeroizing<[u8; 32]>, SessionError> {
    let shared =
        StaticSecret::from(*secret).diffie_hellman(&x25519_dalek::PublicKey::from(public.0));
    if !shared.was_contributory() {
        return Err(SessionError::Handshake);
    }
    Ok(Zeroizing::new(shared.to_bytes()))
}

/// Takes the next `len` bytes off the front of `input`.
fn take<'a>(input: &mut &'a [u8], len: usize) -> Result<&'a [u8], SessionError> {
    let (front, rest) = input.split_at_checked(len).ok_or(SessionError::Handshake)?;
    *input = rest;
    Ok(front)
}

/// Takes the next `len` bytes off the front of `output`.
fn take_mut<'a>(output: &mut &'a mut [u8], len: usize) -> Result<&'a mut [u8], SessionError> {
    let (front, rest) = core::mem::take(output)
        .split_at_mut_checked(len)
        .ok_or(SessionError::BufferTooSmall)?;
    *output = rest;
    Ok(front)
}

/// Section 5.3, for the `IK` pattern: one side of one handshake.
pub(super) struct Handshake<'k> {
    symmetric: SymmetricState,
    initiator: bool,
    own: &'k StaticKeypair,
    ephemeral: StaticKeypair,
    remote_static: Option<PublicKey>,
    remote_ephemeral: Option<PublicKey>,
    /// Index of the next message of [`IK_MESSAGES`].
    next: usize,
}

impl<'k> Handshake<'k> {
    /// `Initialize`: an initiator must know the responder's static key (`remote`).
    pub(super) fn new(
        initiator: bool,
        prologue: &[u8],
        own: &'k StaticKeypair,
        ephemeral: StaticKeypair,
        remote: Option<PublicKey>,
    ) -> Result<Self, SessionError> {
        let mut symmetric = SymmetricState::new(prologue);
        // The pre-message `<- s`: the responder's static key.
        let responder_static = if initiator {
            remote
        } else {
            Some(own.public())
        };
        symmetric.mix_hash(&responder_static.ok_or(SessionError::Handshake)?.0);
        Ok(Self {
            symmetric,
            initiator,
            own,
            ephemeral,
            remote_static: if initiator { remote } else { None },
            remote_ephemeral: None,
            next: 0,
        })
    }

    /// The tokens of the next message if this side is the one to `write` it.
    fn next_tokens(&self, write: bool) -> Result<&'static [Token], SessionError> {
        // IK alternates: the initiator writes the even messages, the responder the odd ones.
        let writer_is_initiator = self.next.is_multiple_of(2);
        if writer_is_initiator != (self.initiator == write) {
            return Err(SessionError::OutOfOrder);
        }
        IK_MESSAGES
            .get(self.next)
            .copied()
            .ok_or(SessionError::OutOfOrder)
    }

    /// The DH a token asks for, from this side's point of view (`es` is the initiator's `e`
    /// with the responder's `s`, and so on).
    fn mix_dh(&mut self, token: Token) -> Result<(), SessionError> {
        let (ours_ephemeral, theirs_ephemeral) = match (token, self.initiator) {
            (Token::Ee, _) => (true, true),
            (Token::Ss, _) => (false, false),
            (Token::Es, true) | (Token::Se, false) => (true, false),
            (Token::Es, false) | (Token::Se, true) => (false, true),
            (Token::E | Token::S, _) => return Ok(()),
        };
        let ours = if ours_ephemeral {
            &self.ephemeral
        } else {
            self.own
        };
        let theirs = if theirs_ephemeral {
            self.remote_ephemeral
        } else {
            self.remote_static
        };
        let shared = dh(ours.secret_bytes(), &theirs.ok_or(SessionError::Handshake)?)?;
        self.symmetric.mix_key(shared.as_ref())
    }

    /// `WriteMessage`: this side's next message around `payload`, written to the front of
    /// `out`; returns its length. Nothing changes if `out` is too small.
    pub(super) fn write_message(
        &mut self,
        payload: &[u8],
        out: &mut [u8],
    ) -> Result<usize, SessionError> {
        let tokens = self.next_tokens(true)?;
        let len = token_bytes(tokens) + payload.len() + TAG_LEN;
        let mut rest = out.get_mut(..len).ok_or(SessionError::BufferTooSmall)?;
        for &token in tokens {
            match token {
                Token::E => {
                    let public = self.ephemeral.public().0;
                    take_mut(&mut rest, KEY_LEN)?.copy_from_slice(&public);
                    self.symmetric.mix_hash(&public);
                }
                Token::S => {
                    let field = take_mut(&mut rest, KEY_LEN + TAG_LEN)?;
                    field
                        .get_mut(..KEY_LEN)
                        .ok_or(SessionError::BufferTooSmall)?
                        .copy_from_slice(&self.own.public().0);
                    self.symmetric.encrypt_and_hash(field)?;
                }
                dh_token => self.mix_dh(dh_token)?,
            }
        }
        rest.get_mut(..payload.len())
            .ok_or(SessionError::BufferTooSmall)?
            .copy_from_slice(payload);
        self.symmetric.encrypt_and_hash(rest)?;
        self.next += 1;
        Ok(len)
    }

    /// `ReadMessage`: the peer's next message; its payload goes to the front of `out` and its
    /// length is returned. Any failure is [`SessionError::Handshake`].
    pub(super) fn read_message(
        &mut self,
        message: &[u8],
        out: &mut [u8],
    ) -> Result<usize, SessionError> {
        let tokens = self.next_tokens(false)?;
        let mut rest = message;
        for &token in tokens {
            match token {
                Token::E => {
                    let field = take(&mut rest, KEY_LEN)?;
                    let mut key = [0u8; KEY_LEN];
                    key.copy_from_slice(field);
                    self.remote_ephemeral = Some(PublicKey(key));
                    self.symmetric.mix_hash(field);
                }
                Token::S => {
                    let field = take(&mut rest, KEY_LEN + TAG_LEN)?;
                    let mut key = [0u8; KEY_LEN];
                    self.symmetric.decrypt_and_hash(field, &mut key)?;
                    self.remote_static = Some(PublicKey(key));
                }
                dh_token => self.mix_dh(dh_token)?,
            }
        }
        let len = self.symmetric.decrypt_and_hash(rest, out)?;
        self.next += 1;
        Ok(len)
    }

    /// The peer's static key, once known.
    pub(super) fn remote_static(&self) -> Option<PublicKey> {
        self.remote_static
    }

    /// The handshake hash `h` as it stands.
    pub(super) fn hash(&self) -> [u8; HASH_LEN] {
        self.symmetric.h
    }
}
