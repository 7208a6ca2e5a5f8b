//! RFC 9162 (Certificate Transparency 2.0, after RFC 6962) Merkle tree over
//! record hashes: domain-separated leaf (`0x00`) and node (`0x01`) hashing,
//! an incremental compact range for the writer, and inclusion and
//! consistency proofs with their verification algorithms (§2.1.3, §2.1.4).

use sha2::{Digest, Sha256};

use super::entry::Hash32;
use super::AuditError;

/// Root of the empty tree: `SHA-256("")`.
pub fn empty_root() -> Hash32 {
    Sha256::digest([]).into()
}

/// Interior node hash: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash32, right: &Hash32) -> Hash32 {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The compact range of a tree: the roots of its perfect subtrees, largest
/// (leftmost) first, one per set bit of the size. Enough to append and to
/// compute the root; 64 hashes at most.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactTree {
    size: u64,
    peaks: Vec<Hash32>,
}

impl CompactTree {
    /// The empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuild from a size and its peaks (as stored in a segment header).
    pub fn from_parts(size: u64, peaks: Vec<Hash32>) -> Result<Self, AuditError> {
        if peaks.len() != size.count_ones() as usize {
            return Err(AuditError::malformed(
                "segment header",
                format!(
                    "tree size {size} needs {} peaks, {} given",
                    size.count_ones(),
                    peaks.len()
                ),
            ));
        }
        Ok(Self { size, peaks })
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The peaks, largest first.
    pub fn peaks(&self) -> &[Hash32] {
        &self.peaks
    }

    /// Append one leaf hash.
    pub fn push(&mut self, leaf: Hash32) {
        let mut carry = leaf;
        let mut size = self.size;
        // merge equal-sized subtrees while the low bit is set
        while size & 1 == 1 {
            if let Some(left) = self.peaks.pop() {
                carry = node_hash(&left, &carry);
            }
            size >>= 1;
        }
        self.peaks.push(carry);
        self.size += 1;
    }

    /// The tree head (RFC 9162 MTH).
    pub fn root(&self) -> Hash32 {
        let mut iter = self.peaks.iter().rev();
        let Some(last) = iter.next() else {
            return empty_root();
        };
        iter.fold(*last, |acc, left| node_hash(left, &acc))
    }
}

/// MTH over a list of leaf hashes.
pub fn root_of(leaves: &[Hash32]) -> Hash32 {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root_of(&leaves[..k]), &root_of(&leaves[k..]))
        }
    }
}

/// Largest power of two smaller than `n` (n >= 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k << 1 < n {
        k <<= 1;
    }
    k
}

/// The audit path for leaf `index` in the tree of `leaves` (RFC 9162 PATH).
pub fn inclusion_path(index: u64, leaves: &[Hash32]) -> Result<Vec<Hash32>, AuditError> {
    let m =
        usize::try_from(index).map_err(|_| AuditError::ProofInvalid("index too large".into()))?;
    if m >= leaves.len() {
        return Err(AuditError::ProofInvalid(format!(
            "leaf {index} is not in a tree of size {}",
            leaves.len()
        )));
    }
    let mut path = Vec::new();
    path_rec(m, leaves, &mut path);
    Ok(path)
}

fn path_rec(m: usize, leaves: &[Hash32], out: &mut Vec<Hash32>) {
    let n = leaves.len();
    if n <= 1 {
        return;
    }
    let k = split(n);
    if m < k {
        path_rec(m, &leaves[..k], out);
        out.push(root_of(&leaves[k..]));
    } else {
        path_rec(m - k, &leaves[k..], out);
        out.push(root_of(&leaves[..k]));
    }
}

/// Verify an inclusion proof (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    index: u64,
    tree_size: u64,
    leaf: &Hash32,
    path: &[Hash32],
    root: &Hash32,
) -> Result<(), AuditError> {
    if index >= tree_size {
        return Err(AuditError::ProofInvalid(format!(
            "leaf {index} is not in a tree of size {tree_size}"
        )));
    }
    let mut fnode = index;
    let mut snode = tree_size - 1;
    let mut r = *leaf;
    for p in path {
        if snode == 0 {
            return Err(AuditError::ProofInvalid("inclusion path too long".into()));
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(AuditError::ProofInvalid("inclusion path too short".into()));
    }
    if &r != root {
        return Err(AuditError::ProofInvalid(
            "inclusion path does not lead to the root".into(),
        ));
    }
    Ok(())
}

/// The consistency proof between the first `old_size` leaves and all of
/// `leaves` (RFC 9162 PROOF).
pub fn consistency_path(old_size: u64, leaves: &[Hash32]) -> Result<Vec<Hash32>, AuditError> {
    let m =
        usize::try_from(old_size).map_err(|_| AuditError::ProofInvalid("size too large".into()))?;
    if m == 0 || m > leaves.len() {
        return Err(AuditError::ProofInvalid(format!(
            "no consistency proof from size {old_size} to {}",
            leaves.len()
        )));
    }
    let mut out = Vec::new();
    subproof(m, leaves, true, &mut out);
    Ok(out)
}

fn subproof(m: usize, leaves: &[Hash32], complete: bool, out: &mut Vec<Hash32>) {
    let n = leaves.len();
    if m == n {
        if !complete {
            out.push(root_of(leaves));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(m, &leaves[..k], complete, out);
        out.push(root_of(&leaves[k..]));
    } else {
        subproof(m - k, &leaves[k..], false, out);
        out.push(root_of(&leaves[..k]));
    }
}

/// Verify a consistency proof (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash32,
    new_root: &Hash32,
    proof: &[Hash32],
) -> Result<(), AuditError> {
    let fail = |why: &str| Err(AuditError::ProofInvalid(why.to_string()));
    if old_size == 0 || old_size > new_size {
        return fail("sizes out of order");
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return fail("proof must be empty for equal sizes");
        }
        return if old_root == new_root {
            Ok(())
        } else {
            fail("roots differ for equal sizes")
        };
    }
    let mut path: Vec<Hash32> = proof.to_vec();
    if old_size.is_power_of_two() {
        path.insert(0, *old_root);
    }
    let Some((first, rest)) = path.split_first() else {
        return fail("empty proof");
    };
    let mut fnode = old_size - 1;
    let mut snode = new_size - 1;
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let mut fr = *first;
    let mut sr = *first;
    for c in rest {
        if snode == 0 {
            return fail("consistency proof too long");
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return fail("consistency proof too short");
    }
    if &fr != old_root {
        return fail("proof does not lead to the old root");
    }
    if &sr != new_root {
        return fail("proof does not lead to the new root");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::record::record_hash;

    fn leaves(n: usize) -> Vec<Hash32> {
        (0..n).map(|i| record_hash(&i.to_le_bytes())).collect()
    }

    #[test]
    fn compact_tree_matches_recursive_root() {
        let all = leaves(70);
        let mut tree = CompactTree::new();
        assert_eq!(tree.root(), empty_root());
        for (i, leaf) in all.iter().enumerate() {
            tree.push(*leaf);
            assert_eq!(tree.root(), root_of(&all[..=i]), "size {}", i + 1);
            assert_eq!(tree.peaks().len(), (i + 1).count_ones() as usize);
        }
        let again = CompactTree::from_parts(tree.size(), tree.peaks().to_vec()).unwrap();
        assert_eq!(again.root(), tree.root());
    }

    #[test]
    fn rfc6962_empty_and_single() {
        // SHA-256 of the empty string, as RFC 6962 §2.1 requires
        assert_eq!(
            hex::encode(empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // leaf hash of the empty leaf, from the CT test vectors
        assert_eq!(
            hex::encode(record_hash(b"")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
    }

    #[test]
    fn every_inclusion_proof_verifies_and_tampering_fails() {
        for n in 1..=33usize {
            let all = leaves(n);
            let root = root_of(&all);
            for m in 0..n {
                let path = inclusion_path(m as u64, &all).unwrap();
                verify_inclusion(m as u64, n as u64, &all[m], &path, &root).unwrap();
                let other = record_hash(b"other");
                assert!(verify_inclusion(m as u64, n as u64, &other, &path, &root).is_err());
                if n > 1 {
                    assert!(
                        verify_inclusion(((m + 1) % n) as u64, n as u64, &all[m], &path, &root)
                            .is_err()
                            || all[m] == all[(m + 1) % n]
                    );
                    let mut bad = path.clone();
                    bad[0][0] ^= 1;
                    assert!(verify_inclusion(m as u64, n as u64, &all[m], &bad, &root).is_err());
                    assert!(verify_inclusion(
                        m as u64,
                        n as u64,
                        &all[m],
                        &path[..path.len() - 1],
                        &root
                    )
                    .is_err());
                }
            }
        }
    }

    #[test]
    fn every_consistency_proof_verifies_and_tampering_fails() {
        let all = leaves(40);
        for n in 1..=40usize {
            let new_root = root_of(&all[..n]);
            for m in 1..=n {
                let old_root = root_of(&all[..m]);
                let proof = consistency_path(m as u64, &all[..n]).unwrap();
                verify_consistency(m as u64, n as u64, &old_root, &new_root, &proof).unwrap();
                if m < n {
                    let wrong_old = root_of(&all[1..=m]);
                    assert!(
                        verify_consistency(m as u64, n as u64, &wrong_old, &new_root, &proof)
                            .is_err()
                    );
                    let mut bad = proof.clone();
                    if let Some(h) = bad.last_mut() {
                        h[3] ^= 0x40;
                    }
                    assert!(
                        verify_consistency(m as u64, n as u64, &old_root, &new_root, &bad).is_err()
                    );
                }
            }
        }
    }
}
