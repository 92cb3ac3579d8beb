//! Many documents under one SM2 signature: the documents are the leaves of an SM3 Merkle tree (the tree of RFC 6962
//! §2.1 / RFC 9162 §2.1, with SM3 for SHA-256: leaf `SM3(0x00 ‖ document)`, node `SM3(0x01 ‖ left ‖ right)`), one
//! signature covers the root and the number of leaves ([`statement`]), and each document carries its inclusion
//! proof. One document is verified alone and offline: its leaf hash, up the proof's path to the root, and the
//! signature over the statement of that root — which `openssl pkeyutl -verify` checks as well (docs/receipts.md).

use ct_merkle::mem_backed_tree::MemoryBackedTree;
use ct_merkle::{InclusionProof, RootHash};
use serde::{Deserialize, Serialize};
use sm3::Sm3;

use crate::GmError;
use crate::sm2::KeyPair;

/// The largest batch a proof may claim (a batch is one group commit: at most a few hundred).
const MAX_SIZE: u64 = 1 << 32;

/// The name of the scheme, in every proof.
pub const SCHEME: &str = "SM3-Merkle-RFC9162";

/// Where one document sits in a signed batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    /// Always [`SCHEME`].
    pub scheme: String,
    /// How many documents the batch has.
    pub size: u64,
    /// This document's position in the batch (from 0).
    pub index: u64,
    /// The sibling hashes from the leaf up (hex), the audit path of RFC 9162 §2.1.3.
    pub path: Vec<String>,
    /// The tree's root hash (hex), which the signature covers.
    pub root: String,
}

/// What the signature signs: `credo-batch:v1:{size}:{root in lower-case hex}` (ASCII). Binding the size with the root
/// means a proof cannot be replayed against a tree of another size.
pub fn statement(size: u64, root_hex: &str) -> Vec<u8> {
    format!("credo-batch:v1:{size}:{root_hex}").into_bytes()
}

/// Signs `documents` in one batch: the signature (DER) over the statement of their tree's root, and each document's
/// proof, in order. An empty batch has no signature and no proofs.
pub fn sign(key: &KeyPair, documents: &[&[u8]]) -> (Vec<u8>, Vec<Proof>) {
    if documents.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let mut tree = MemoryBackedTree::<Sm3, &[u8]>::new();
    for d in documents {
        tree.push(*d);
    }
    let root = hex::encode(tree.root().as_bytes());
    let size = documents.len() as u64;
    let signature = key.sign(&statement(size, &root));
    let proofs = (0..documents.len())
        .map(|i| Proof {
            scheme: SCHEME.to_string(),
            size,
            index: i as u64,
            path: tree.prove_inclusion(i).as_bytes().chunks(32).map(hex::encode).collect(),
            root: root.clone(),
        })
        .collect();
    (signature, proofs)
}

/// Why a document does not verify against its proof and signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error("证明格式不正确:{0}")]
    Malformed(&'static str),
    #[error("文档不在所证明的批次中:内容被改动,或证明不属于它")]
    NotIncluded,
    #[error("批次根的签名无效:不是所附公钥签发的")]
    Signature,
}

/// Verifies `document` against its proof and the signature (DER) of its batch under a PEM public key.
pub fn verify(public_key_pem: &str, document: &[u8], proof: &Proof, signature: &[u8]) -> Result<(), BatchError> {
    if proof.scheme != SCHEME {
        return Err(BatchError::Malformed("未知的方案"));
    }
    let digest = |h: &str| -> Result<[u8; 32], BatchError> {
        let bytes = hex::decode(h).map_err(|_| BatchError::Malformed("哈希不是十六进制"))?;
        bytes.try_into().map_err(|_| BatchError::Malformed("哈希长度不是 32 字节"))
    };
    // A batch is at most a few hundred receipts; bounds far above that keep the tree arithmetic away from overflow.
    if proof.size > MAX_SIZE || proof.path.len() > 64 {
        return Err(BatchError::Malformed("批次大小或路径长度超出范围"));
    }
    if proof.index >= proof.size {
        return Err(BatchError::Malformed("位置超出批次大小"));
    }
    let root = digest(&proof.root)?;
    let path = proof.path.iter().map(|h| digest(h)).collect::<Result<Vec<_>, _>>()?;
    let root_hash = RootHash::<Sm3>::new(root.into(), proof.size);
    let path = InclusionProof::<Sm3>::try_from_bytes(path.concat()).map_err(|_| BatchError::Malformed("路径无效"))?;
    root_hash.verify_inclusion(&document, proof.index, &path).map_err(|_| BatchError::NotIncluded)?;
    crate::sm2::verify(public_key_pem, &statement(proof.size, &hex::encode(root)), signature).map_err(|e| match e {
        GmError::Key => BatchError::Malformed("公钥无效"),
        _ => BatchError::Signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(n: usize) -> Vec<Vec<u8>> {
        (0..n).map(|i| format!("{{\"id\":\"CK{i}\"}}").into_bytes()).collect()
    }

    #[test]
    fn every_document_of_every_batch_size_verifies_alone() {
        let key = KeyPair::generate();
        let pem = key.public_key_pem().unwrap();
        for n in [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 100] {
            let docs = docs(n);
            let refs: Vec<&[u8]> = docs.iter().map(Vec::as_slice).collect();
            let (sig, proofs) = sign(&key, &refs);
            assert_eq!(proofs.len(), n);
            for (d, p) in docs.iter().zip(&proofs) {
                assert_eq!(verify(&pem, d, p, &sig), Ok(()), "batch of {n}, document {}", p.index);
            }
        }
    }

    #[test]
    fn a_batch_of_one_has_the_leaf_hash_as_its_root() {
        let key = KeyPair::generate();
        let (_, proofs) = sign(&key, &[b"receipt"]);
        let leaf = crate::sm3(&[&[0u8][..], b"receipt"].concat());
        assert_eq!(proofs[0].root, hex::encode(leaf));
        assert!(proofs[0].path.is_empty());
    }

    #[test]
    fn changed_documents_moved_proofs_and_foreign_signatures_fail() {
        let key = KeyPair::generate();
        let pem = key.public_key_pem().unwrap();
        let docs = docs(5);
        let refs: Vec<&[u8]> = docs.iter().map(Vec::as_slice).collect();
        let (sig, proofs) = sign(&key, &refs);
        // Another document's content under this proof.
        assert_eq!(verify(&pem, &docs[1], &proofs[2], &sig), Err(BatchError::NotIncluded));
        // One byte changed.
        let mut changed = docs[2].clone();
        changed[3] ^= 1;
        assert_eq!(verify(&pem, &changed, &proofs[2], &sig), Err(BatchError::NotIncluded));
        // The proof claims another size or position.
        let mut p = proofs[2].clone();
        p.size = 6;
        assert!(verify(&pem, &docs[2], &p, &sig).is_err());
        let mut p = proofs[2].clone();
        p.index = 3;
        assert_eq!(verify(&pem, &docs[2], &p, &sig), Err(BatchError::NotIncluded));
        // A root of one's own making, signed by another key.
        let other = KeyPair::generate();
        let (forged, fproofs) = sign(&other, &[&changed]);
        assert_eq!(verify(&pem, &changed, &fproofs[0], &forged), Err(BatchError::Signature));
        // The signature of another batch.
        let (sig2, _) = sign(&key, &refs[..4]);
        assert_eq!(verify(&pem, &docs[2], &proofs[2], &sig2), Err(BatchError::Signature));
        // Sizes and positions far beyond any batch are refused, not computed with.
        let mut p = proofs[2].clone();
        (p.size, p.index) = (u64::MAX, u64::MAX - 1);
        assert!(matches!(verify(&pem, &docs[2], &p, &sig), Err(BatchError::Malformed(_))));
        // A path of the wrong length.
        let mut p = proofs[2].clone();
        p.path.pop();
        assert!(verify(&pem, &docs[2], &p, &sig).is_err());
    }
}
