//! Ed25519 keys and their COSE_Key (RFC 9052 §7, RFC 9053 §7.2) encoding.
//!
//! A private key file `<kid>.key` holds a COSE_Key map
//! `{1: 1 (OKP), 2: kid, 3: -8 (EdDSA), -1: 6 (Ed25519), -2: x, -4: d}`;
//! the public file `<kid>.pub` is the same without `-4`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use coset::{iana, CborSerializable, CoseKey, CoseKeyBuilder, Label};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use rand_core::OsRng;

use super::IdentityError;

/// Longest key id accepted, in bytes.
pub const MAX_KID_LEN: usize = 64;

/// Largest COSE_Key encoding accepted when decoding (bounds allocation).
const MAX_KEY_BYTES: usize = 1024;

/// An Ed25519 signing key with its key id.
#[derive(Clone)]
pub struct KeyPair {
    kid: String,
    signing: SigningKey,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair")
            .field("kid", &self.kid)
            .field(
                "public",
                &hex::encode(self.signing.verifying_key().as_bytes()),
            )
            .finish_non_exhaustive()
    }
}

/// An Ed25519 public key with its key id.
///
/// Keys read from files or built with [`PublicKey::from_bytes`] are checked
/// to be a valid curve point at once. A token's `cnf` key is decompressed
/// on first use instead (proof of possession, or signing a child), which
/// keeps that cost off verifications that never use it; an invalid point
/// then fails every signature check.
#[derive(Clone)]
pub struct PublicKey {
    kid: String,
    bytes: [u8; 32],
    verifying: std::sync::OnceLock<Option<VerifyingKey>>,
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.kid == other.kid && self.bytes == other.bytes
    }
}
impl Eq for PublicKey {}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicKey")
            .field("kid", &self.kid)
            .field("key", &hex::encode(self.bytes))
            .finish()
    }
}

fn check_kid(kid: &str) -> Result<(), IdentityError> {
    if kid.is_empty() || kid.len() > MAX_KID_LEN {
        return Err(IdentityError::KeyInvalid(format!(
            "key id `{kid}` must be 1 to {MAX_KID_LEN} bytes"
        )));
    }
    if !kid
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        || kid.starts_with('.')
    {
        return Err(IdentityError::KeyInvalid(format!(
            "key id `{kid}` may only hold ASCII letters, digits, `-`, `_` and `.` (not leading)"
        )));
    }
    Ok(())
}

impl KeyPair {
    /// A fresh random key from the operating system's CSPRNG.
    pub fn generate(kid: &str) -> Result<Self, IdentityError> {
        check_kid(kid)?;
        Ok(Self {
            kid: kid.to_owned(),
            signing: SigningKey::generate(&mut OsRng),
        })
    }

    /// A fresh random key whose id is derived from its public key:
    /// `key-` followed by the first 8 bytes of the public key in hex.
    pub fn generate_with_derived_kid() -> Self {
        let signing = SigningKey::generate(&mut OsRng);
        let kid = format!(
            "key-{}",
            hex::encode(&signing.verifying_key().as_bytes()[..8])
        );
        Self { kid, signing }
    }

    /// A key from a 32-byte Ed25519 seed (for test vectors and key import).
    pub fn from_seed(kid: &str, seed: &[u8; 32]) -> Result<Self, IdentityError> {
        check_kid(kid)?;
        Ok(Self {
            kid: kid.to_owned(),
            signing: SigningKey::from_bytes(seed),
        })
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The matching public key.
    pub fn public(&self) -> PublicKey {
        let verifying = self.signing.verifying_key();
        PublicKey {
            kid: self.kid.clone(),
            bytes: verifying.to_bytes(),
            verifying: std::sync::OnceLock::from(Some(verifying)),
        }
    }

    /// The Ed25519 signature of `msg`.
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.signing.sign(msg).to_bytes()
    }

    /// The private COSE_Key encoding.
    pub fn to_cose_bytes(&self) -> Result<Vec<u8>, IdentityError> {
        let key = okp_builder(&self.kid, self.signing.verifying_key().as_bytes())
            .param(
                iana::OkpKeyParameter::D as i64,
                ciborium::Value::Bytes(self.signing.to_bytes().to_vec()),
            )
            .build();
        key.to_vec()
            .map_err(|e| IdentityError::KeyInvalid(format!("cannot encode key: {e}")))
    }

    /// Decode a private COSE_Key; the public part must match the private one.
    pub fn from_cose_bytes(bytes: &[u8]) -> Result<Self, IdentityError> {
        let key = decode_okp(bytes)?;
        let d = key.d.ok_or_else(|| {
            IdentityError::KeyInvalid("this is a public key; a private key (`-4`) is needed".into())
        })?;
        let signing = SigningKey::from_bytes(&d);
        if let Some(x) = key.x {
            if signing.verifying_key().as_bytes() != &x {
                return Err(IdentityError::KeyInvalid(
                    "public part `x` does not match private part `d`".into(),
                ));
            }
        }
        Ok(Self {
            kid: key.kid,
            signing,
        })
    }

    /// Write `<dir>/<kid>.key` (mode 0600, never overwriting) and
    /// `<dir>/<kid>.pub`; returns both paths.
    pub fn write_files(&self, dir: &Path) -> Result<(PathBuf, PathBuf), IdentityError> {
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| IdentityError::KeyIo { path, source }
        };
        fs::create_dir_all(dir).map_err(io(dir))?;
        let key_path = dir.join(format!("{}.key", self.kid));
        let pub_path = dir.join(format!("{}.pub", self.kid));
        let private = self.to_cose_bytes()?;
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut file = opts.open(&key_path).map_err(io(&key_path))?;
        file.write_all(&private).map_err(io(&key_path))?;
        file.sync_all().map_err(io(&key_path))?;
        fs::write(&pub_path, self.public().to_cose_bytes()?).map_err(io(&pub_path))?;
        Ok((key_path, pub_path))
    }

    /// Read a private key file.
    pub fn read_file(path: &Path) -> Result<Self, IdentityError> {
        Self::from_cose_bytes(&read_bounded(path)?)
    }
}

impl PublicKey {
    /// A public key from its 32 raw bytes.
    pub fn from_bytes(kid: &str, bytes: &[u8; 32]) -> Result<Self, IdentityError> {
        check_kid(kid)?;
        let verifying = VerifyingKey::from_bytes(bytes)
            .map_err(|e| IdentityError::KeyInvalid(format!("not an Ed25519 point: {e}")))?;
        Ok(Self {
            kid: kid.to_owned(),
            bytes: *bytes,
            verifying: std::sync::OnceLock::from(Some(verifying)),
        })
    }

    /// A public key whose point is decompressed (and validated) on first
    /// use; an invalid point makes every verification fail.
    pub(crate) fn from_bytes_lazy(kid: &str, bytes: &[u8; 32]) -> Result<Self, IdentityError> {
        check_kid(kid)?;
        Ok(Self {
            kid: kid.to_owned(),
            bytes: *bytes,
            verifying: std::sync::OnceLock::new(),
        })
    }

    fn point(&self) -> Option<&VerifyingKey> {
        self.verifying
            .get_or_init(|| VerifyingKey::from_bytes(&self.bytes).ok())
            .as_ref()
    }

    /// Whether the bytes are a valid Ed25519 point.
    pub fn is_valid_point(&self) -> bool {
        self.point().is_some()
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The 32 raw public-key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// Strict Ed25519 verification (rejects small-order and non-canonical
    /// encodings); returns false on any mismatch.
    pub fn verify(&self, msg: &[u8], signature: &[u8]) -> bool {
        let Ok(sig) = Signature::from_slice(signature) else {
            return false;
        };
        self.point()
            .is_some_and(|key| key.verify_strict(msg, &sig).is_ok())
    }

    /// Non-strict verification, exactly `ed25519_dalek::Verifier::verify`
    /// (used only as the benchmark baseline).
    #[doc(hidden)]
    pub fn verify_plain(&self, msg: &[u8], signature: &[u8]) -> bool {
        Signature::from_slice(signature)
            .map(|sig| {
                self.point()
                    .is_some_and(|key| key.verify(msg, &sig).is_ok())
            })
            .unwrap_or(false)
    }

    /// The public COSE_Key encoding.
    pub fn to_cose_bytes(&self) -> Result<Vec<u8>, IdentityError> {
        self.to_cose_key()
            .to_vec()
            .map_err(|e| IdentityError::KeyInvalid(format!("cannot encode key: {e}")))
    }

    /// The public key as a coset `CoseKey` (for embedding, e.g. in `cnf`).
    pub fn to_cose_key(&self) -> CoseKey {
        okp_builder(&self.kid, &self.bytes).build()
    }

    /// Decode a public COSE_Key. A private key is refused, so that a secret
    /// is never mistaken for a public file.
    pub fn from_cose_bytes(bytes: &[u8]) -> Result<Self, IdentityError> {
        let key = decode_okp(bytes)?;
        Self::from_decoded(key)
    }

    /// A public key from an already-decoded `CoseKey`.
    pub fn from_cose_key(key: CoseKey) -> Result<Self, IdentityError> {
        Self::from_decoded(okp_fields(key)?)
    }

    fn from_decoded(key: OkpFields) -> Result<Self, IdentityError> {
        if key.d.is_some() {
            return Err(IdentityError::KeyInvalid(
                "a private key was given where a public key is expected".into(),
            ));
        }
        let x = key
            .x
            .ok_or_else(|| IdentityError::KeyInvalid("missing public key `x` (-2)".into()))?;
        Self::from_bytes(&key.kid, &x)
    }

    /// Read a public key file. A private key file is accepted here and only
    /// its public half is kept.
    pub fn read_file(path: &Path) -> Result<Self, IdentityError> {
        let bytes = read_bounded(path)?;
        let key = decode_okp(&bytes)?;
        if key.d.is_some() {
            return Ok(KeyPair::from_cose_bytes(&bytes)?.public());
        }
        Self::from_decoded(key)
    }
}

fn okp_builder(kid: &str, x: &[u8; 32]) -> CoseKeyBuilder {
    CoseKeyBuilder::new_okp_key()
        .key_id(kid.as_bytes().to_vec())
        .algorithm(iana::Algorithm::EdDSA)
        .param(
            iana::OkpKeyParameter::Crv as i64,
            ciborium::Value::from(iana::EllipticCurve::Ed25519 as i64),
        )
        .param(
            iana::OkpKeyParameter::X as i64,
            ciborium::Value::Bytes(x.to_vec()),
        )
}

struct OkpFields {
    kid: String,
    x: Option<[u8; 32]>,
    d: Option<[u8; 32]>,
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, IdentityError> {
    let io = |source| IdentityError::KeyIo {
        path: path.display().to_string(),
        source,
    };
    let meta = fs::metadata(path).map_err(io)?;
    if meta.len() > MAX_KEY_BYTES as u64 {
        return Err(IdentityError::KeyInvalid(format!(
            "`{}` is {} bytes, larger than any key file",
            path.display(),
            meta.len()
        )));
    }
    fs::read(path).map_err(io)
}

fn decode_okp(bytes: &[u8]) -> Result<OkpFields, IdentityError> {
    if bytes.len() > MAX_KEY_BYTES {
        return Err(IdentityError::KeyInvalid(format!(
            "{} bytes is larger than any key",
            bytes.len()
        )));
    }
    let key = CoseKey::from_slice(bytes)
        .map_err(|e| IdentityError::KeyInvalid(format!("not a COSE_Key: {e}")))?;
    okp_fields(key)
}

fn okp_fields(key: CoseKey) -> Result<OkpFields, IdentityError> {
    if key.kty != coset::KeyType::Assigned(iana::KeyType::OKP) {
        return Err(IdentityError::KeyInvalid("key type is not OKP".into()));
    }
    if let Some(alg) = &key.alg {
        if *alg != coset::Algorithm::Assigned(iana::Algorithm::EdDSA) {
            return Err(IdentityError::KeyInvalid("algorithm is not EdDSA".into()));
        }
    }
    let kid = String::from_utf8(key.key_id.clone())
        .map_err(|_| IdentityError::KeyInvalid("key id is not UTF-8".into()))?;
    check_kid(&kid)?;
    let mut crv_ok = false;
    let mut x = None;
    let mut d = None;
    for (label, value) in &key.params {
        let bytes32 = |v: &ciborium::Value, what: &str| -> Result<[u8; 32], IdentityError> {
            v.as_bytes()
                .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
                .ok_or_else(|| IdentityError::KeyInvalid(format!("`{what}` is not 32 bytes")))
        };
        match label {
            Label::Int(l) if *l == iana::OkpKeyParameter::Crv as i64 => {
                crv_ok = value.as_integer() == Some((iana::EllipticCurve::Ed25519 as i64).into());
            }
            Label::Int(l) if *l == iana::OkpKeyParameter::X as i64 => {
                x = Some(bytes32(value, "x")?);
            }
            Label::Int(l) if *l == iana::OkpKeyParameter::D as i64 => {
                d = Some(bytes32(value, "d")?);
            }
            _ => {}
        }
    }
    if !crv_ok {
        return Err(IdentityError::KeyInvalid("curve is not Ed25519".into()));
    }
    Ok(OkpFields { kid, x, d })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cose_key_round_trip() {
        let kp = KeyPair::from_seed("issuer-1", &[7u8; 32]).unwrap();
        let back = KeyPair::from_cose_bytes(&kp.to_cose_bytes().unwrap()).unwrap();
        assert_eq!(back.public(), kp.public());
        let public = PublicKey::from_cose_bytes(&kp.public().to_cose_bytes().unwrap()).unwrap();
        assert_eq!(public, kp.public());
        let sig = kp.sign(b"hello");
        assert!(public.verify(b"hello", &sig));
        assert!(!public.verify(b"hellO", &sig));
    }

    #[test]
    fn private_key_refused_as_public() {
        let kp = KeyPair::from_seed("k", &[1u8; 32]).unwrap();
        let err = PublicKey::from_cose_bytes(&kp.to_cose_bytes().unwrap()).unwrap_err();
        assert_eq!(err.code(), crate::ErrorCode::KeyInvalid);
    }

    #[test]
    fn bad_kids_refused() {
        for kid in ["", "../x", ".hidden", "a/b", &"k".repeat(65)] {
            assert!(KeyPair::generate(kid).is_err(), "{kid}");
        }
    }

    #[test]
    fn garbage_is_an_error() {
        for bytes in [&b""[..], b"\xa1", b"\xff\xff", &[0xa5; 2000]] {
            assert!(PublicKey::from_cose_bytes(bytes).is_err());
            assert!(KeyPair::from_cose_bytes(bytes).is_err());
        }
    }

    #[cfg(unix)]
    #[test]
    fn files_written_with_private_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let kp = KeyPair::generate("agent").unwrap();
        let (key, public) = kp.write_files(dir.path()).unwrap();
        let mode = fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(KeyPair::read_file(&key).unwrap().public(), kp.public());
        assert_eq!(PublicKey::read_file(&public).unwrap(), kp.public());
        // never overwrite an existing private key
        assert!(kp.write_files(dir.path()).is_err());
    }
}
