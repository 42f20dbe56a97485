//! What every embedding and rerank family of the emulator shares: deterministic vectors derived
//! from the input (the same text always gives the same vector, of the asked length, scaled to unit
//! length when asked), a deterministic relevance of a document to a query (the share of the
//! query's words the document holds), and the reply of a model that answers one body and never
//! streams (Bedrock refuses `InvokeModelWithResponseStream` on these models before a reply is
//! made). Invariant: nothing here depends on anything but its arguments.

use sha2::{Digest, Sha256};

use crate::providers::{InvocationMetrics, Reply, TokenUsage};

/// `length` numbers in [-1, 1) derived from `seed`; scaled to unit length when `normalize`.
pub(crate) fn vector(seed: &str, length: usize, normalize: bool) -> Vec<f64> {
    let mut numbers = Vec::with_capacity(length);
    let mut block = 0u64;
    while numbers.len() < length {
        let digest = Sha256::new()
            .chain_update(seed.as_bytes())
            .chain_update(block.to_be_bytes())
            .finalize();
        for chunk in digest.chunks_exact(4) {
            if numbers.len() == length {
                break;
            }
            let raw = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            numbers.push(f64::from(raw) / f64::from(u32::MAX) * 2.0 - 1.0);
        }
        block += 1;
    }
    if normalize {
        let norm = numbers.iter().map(|n| n * n).sum::<f64>().sqrt();
        if norm > 0.0 {
            numbers.iter_mut().for_each(|n| *n /= norm);
        }
    }
    numbers
}

/// The relevance of `document` to `query`: the share of the query's distinct lower-cased words
/// that the document holds, in [0, 1].
pub(crate) fn relevance(query: &str, document: &str) -> f64 {
    let words = |text: &str| -> std::collections::BTreeSet<String> {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let asked = words(query);
    if asked.is_empty() {
        return 0.0;
    }
    let held = words(document);
    asked.intersection(&held).count() as f64 / asked.len() as f64
}

/// The reply of an embedding or rerank model: one JSON body and its input token count.
pub(crate) struct BodyReply {
    pub body: Vec<u8>,
    pub input_tokens: u32,
}

impl Reply for BodyReply {
    fn usage(&self) -> Option<TokenUsage> {
        Some(TokenUsage {
            input_tokens: self.input_tokens,
            output_tokens: 0,
            cache: None,
        })
    }

    fn response_body(&self) -> Result<Vec<u8>, serde_json::Error> {
        Ok(self.body.clone())
    }

    /// Never reached: streams are refused for these models before a reply is made.
    fn stream_chunks(
        &self,
        _metrics: &InvocationMetrics,
    ) -> Result<Vec<Vec<u8>>, serde_json::Error> {
        Ok(vec![self.body.clone()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_are_deterministic_of_the_asked_length_and_normalised_when_asked() {
        assert_eq!(vector("a", 5, false), vector("a", 5, false));
        assert_ne!(vector("a", 5, false), vector("b", 5, false));
        assert_eq!(vector("a", 300, false).len(), 300);
        let unit: f64 = vector("a", 256, true).iter().map(|n| n * n).sum();
        assert!((unit - 1.0).abs() < 1e-9, "{unit}");
    }

    #[test]
    fn relevance_is_word_overlap() {
        assert_eq!(
            relevance("capital of France", "Paris is the capital of France"),
            1.0
        );
        assert_eq!(relevance("capital", "nothing here"), 0.0);
    }
}
