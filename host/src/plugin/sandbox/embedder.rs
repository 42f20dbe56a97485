//! The guarded calls into a sandbox's `embedder` export (contract 0.2.1):
//! describing the embedding and rerank models, building their bodies and
//! parsing their answers.
//!
//! Invariants: each call is armed, limited and measured as the adapter's
//! calls are (deadline, memory, output size, the request's budget); and an
//! answer is checked against what was asked before the host uses it: one set
//! per format asked for (floats when none was), one vector per input in
//! each, the vectors of a set of one non-zero length and finite; a rerank
//! answer names each document at most once, by an index among the
//! documents, with a finite score.

use std::collections::HashSet;

use wasmtime::Store;

use super::{Instance, Sandbox, SandboxState, within};
use crate::plugin::PluginError;
use crate::plugin::bindings::embedding::{
    Embedder, EmbedderInfo, EmbeddingFormat, EmbeddingInput, EmbeddingRequest, Embeddings, Ranked,
    RerankRequest,
};
use crate::plugin::bindings::{AdapterError, Body};
use crate::plugin::output;

impl Sandbox {
    /// Whether the plugin exports the `embedder` interface.
    pub fn embeds(&self) -> bool {
        matches!(&self.instance, Instance::V0_2(_, Some(_)))
    }

    /// The embedder export, or the error of a call made to a plugin that has
    /// none (the host routes embedding ids only to plugins that export it).
    fn embedder(&self, call: &'static str) -> Result<&Embedder, PluginError> {
        match &self.instance {
            Instance::V0_2(_, Some(embedder)) => Ok(embedder),
            _ => Err(PluginError::Protocol {
                plugin: self.core.plugin.clone(),
                call,
                detail: "the plugin does not export the embedder interface".into(),
            }),
        }
    }

    /// Calls `describe-embedder`.
    pub async fn describe_embedder(&mut self) -> Result<EmbedderInfo, PluginError> {
        const CALL: &str = "describe-embedder";
        let embedder = self.embedder(CALL)?.clone();
        let core = self.core.arm();
        let timeout = core.limits.call_timeout;
        let result = within(timeout, embedder.call_describe_embedder(&mut core.store)).await;
        let info = core.settle(CALL, result)?;
        core.check_output(CALL, embedder_info_size(&info))?;
        Ok(info)
    }

    /// Runs the adapter call `call` of the embedder export, given `given`
    /// bytes of the request, under the sandbox's limits: armed with the
    /// deadline, settled into the limit or trap that ended it, its answer
    /// measured by `measure` (bytes and items) against the output limit and
    /// charged to the request's budget.
    async fn guarded<R>(
        &mut self,
        call: &'static str,
        given: usize,
        run: impl AsyncFnOnce(
            &Embedder,
            &mut Store<SandboxState>,
        ) -> wasmtime::Result<Result<R, AdapterError>>,
        measure: impl FnOnce(&R) -> (usize, usize),
    ) -> Result<R, PluginError> {
        let embedder = self.embedder(call)?.clone();
        let core = self.core.arm();
        core.budget.give(given);
        let timeout = core.limits.call_timeout;
        let result = within(timeout, run(&embedder, &mut core.store)).await;
        let answer = core.settle_adapter(call, result)?;
        let (size, items) = measure(&answer);
        core.check_output(call, size)?;
        core.charge(call, size, items)?;
        Ok(answer)
    }

    /// Calls `build-embedding-request`.
    pub async fn build_embedding_request(
        &mut self,
        request: &EmbeddingRequest,
    ) -> Result<Body, PluginError> {
        self.guarded(
            "build-embedding-request",
            embedding_request_size(request),
            async |embedder, store| embedder.call_build_embedding_request(store, request).await,
            |body| (output::body_size(body), 0),
        )
        .await
    }

    /// Calls `parse-embedding-response` on the answer to a request of
    /// `inputs` inputs in `formats`, and checks it.
    pub async fn parse_embedding_response(
        &mut self,
        model_id: &str,
        inputs: u32,
        formats: &[EmbeddingFormat],
        body: &[u8],
    ) -> Result<Embeddings, PluginError> {
        const CALL: &str = "parse-embedding-response";
        let embeddings = self
            .guarded(
                CALL,
                body.len(),
                async |embedder, store| {
                    embedder
                        .call_parse_embedding_response(store, model_id, inputs, formats, body)
                        .await
                },
                |embeddings| (embeddings_size(embeddings), 0),
            )
            .await?;
        check_embeddings(&embeddings, inputs, formats)
            .map_err(|rule| self.core.broke_contract(CALL, rule))?;
        Ok(embeddings)
    }

    /// Calls `build-rerank-request`.
    pub async fn build_rerank_request(
        &mut self,
        request: &RerankRequest,
    ) -> Result<Body, PluginError> {
        let given = request.query.len() + request.documents.iter().map(String::len).sum::<usize>();
        self.guarded(
            "build-rerank-request",
            given,
            async |embedder, store| embedder.call_build_rerank_request(store, request).await,
            |body| (output::body_size(body), 0),
        )
        .await
    }

    /// Calls `parse-rerank-response` on the answer to a request of
    /// `documents` documents, and checks it.
    pub async fn parse_rerank_response(
        &mut self,
        model_id: &str,
        documents: usize,
        body: &[u8],
    ) -> Result<Vec<Ranked>, PluginError> {
        const CALL: &str = "parse-rerank-response";
        let ranked = self
            .guarded(
                CALL,
                body.len(),
                async |embedder, store| {
                    embedder
                        .call_parse_rerank_response(store, model_id, body)
                        .await
                },
                |ranked| (ranked.len() * std::mem::size_of::<Ranked>(), ranked.len()),
            )
            .await?;
        check_ranked(&ranked, documents).map_err(|rule| self.core.broke_contract(CALL, rule))?;
        Ok(ranked)
    }
}

/// What the embedder's description costs in bytes, about.
fn embedder_info_size(info: &EmbedderInfo) -> usize {
    let embedding: usize = info
        .embedding_models
        .iter()
        .map(|model| {
            model.pattern.len()
                + model.dimensions.len() * 4
                + model.purposes.len()
                + model.formats.len()
                + model.images.as_ref().map_or(0, |limits| {
                    limits.media_types.iter().map(String::len).sum::<usize>() + 12
                })
                + 16
        })
        .sum();
    let rerank: usize = info
        .rerank_models
        .iter()
        .map(|model| model.pattern.len() + 4)
        .sum();
    embedding + rerank
}

/// The bytes of an embedding request's inputs and settings, about.
fn embedding_request_size(request: &EmbeddingRequest) -> usize {
    let inputs: usize = request
        .inputs
        .iter()
        .map(|input| match input {
            EmbeddingInput::Text(text) => text.len(),
            EmbeddingInput::Image(image) => image.data.len() + image.media_type.len(),
        })
        .sum();
    let extra: usize = request
        .extra
        .iter()
        .map(|(key, value)| key.len() + value.len())
        .sum();
    request.model_id.len() + inputs + extra
}

/// The bytes of the vectors of an answer.
fn embeddings_size(embeddings: &Embeddings) -> usize {
    embeddings
        .sets
        .iter()
        .flat_map(|set| &set.vectors)
        .map(|vector| vector.len() * 8)
        .sum()
}

/// Whether `embeddings` answers a request of `inputs` inputs in `formats`:
/// the rule it breaks, if any.
pub(crate) fn check_embeddings(
    embeddings: &Embeddings,
    inputs: u32,
    formats: &[EmbeddingFormat],
) -> Result<(), String> {
    let asked: &[EmbeddingFormat] = if formats.is_empty() {
        &[EmbeddingFormat::Float]
    } else {
        formats
    };
    let given: Vec<EmbeddingFormat> = embeddings.sets.iter().map(|set| set.format).collect();
    if given.len() != asked.len() || asked.iter().any(|format| !given.contains(format)) {
        let names = |formats: &[EmbeddingFormat]| {
            let names: Vec<&str> = formats.iter().map(|format| format.name()).collect();
            format!("[{}]", names.join(", "))
        };
        return Err(format!(
            "the answer holds the formats {}, not the ones asked for, {}",
            names(&given),
            names(asked)
        ));
    }
    for set in &embeddings.sets {
        if set.vectors.len() != inputs as usize {
            return Err(format!(
                "the {} set holds {} vectors for {inputs} inputs",
                set.format.name(),
                set.vectors.len()
            ));
        }
        let length = set.vectors.first().map_or(0, Vec::len);
        if length == 0 || set.vectors.iter().any(|vector| vector.len() != length) {
            return Err(format!(
                "the vectors of the {} set are empty or of different lengths",
                set.format.name()
            ));
        }
        if set.vectors.iter().flatten().any(|value| !value.is_finite()) {
            return Err(format!(
                "a vector of the {} set holds a value that is not a finite number",
                set.format.name()
            ));
        }
    }
    Ok(())
}

/// Whether `ranked` answers a rerank of `documents` documents: the rule it
/// breaks, if any.
pub(crate) fn check_ranked(ranked: &[Ranked], documents: usize) -> Result<(), String> {
    let mut seen = HashSet::new();
    for entry in ranked {
        if entry.index as usize >= documents {
            return Err(format!(
                "it ranks document {} of {documents} (indexes start at 0)",
                entry.index
            ));
        }
        if !seen.insert(entry.index) {
            return Err(format!("it ranks document {} twice", entry.index));
        }
        if !entry.score.is_finite() {
            return Err(format!(
                "the score of document {} is not a finite number",
                entry.index
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::bindings::embedding::EmbeddingSet;

    fn floats(vectors: Vec<Vec<f64>>) -> Embeddings {
        Embeddings {
            sets: vec![EmbeddingSet {
                format: EmbeddingFormat::Float,
                vectors,
            }],
            input_tokens: None,
        }
    }

    #[test]
    fn an_answer_must_hold_one_vector_per_input_per_format_asked() {
        let two = floats(vec![vec![0.5, 0.25], vec![1.0, -1.0]]);
        assert_eq!(check_embeddings(&two, 2, &[]), Ok(()));
        assert_eq!(check_embeddings(&two, 2, &[EmbeddingFormat::Float]), Ok(()));
        let short = check_embeddings(&two, 3, &[]).expect_err("3 inputs");
        assert!(short.contains("2 vectors for 3 inputs"), "{short}");
        let other = check_embeddings(&two, 2, &[EmbeddingFormat::Int8]).expect_err("int8");
        assert!(
            other.contains("the formats [float], not the ones asked for, [int8]"),
            "{other}"
        );
        let ragged = floats(vec![vec![0.5, 0.25], vec![1.0]]);
        assert!(check_embeddings(&ragged, 2, &[]).is_err());
        let empty = floats(vec![vec![], vec![]]);
        assert!(check_embeddings(&empty, 2, &[]).is_err());
        let nan = floats(vec![vec![f64::NAN]]);
        assert!(check_embeddings(&nan, 1, &[]).is_err());
    }

    #[test]
    fn a_ranking_names_each_document_once_within_the_documents() {
        let ranked = |pairs: &[(u32, f64)]| -> Vec<Ranked> {
            pairs
                .iter()
                .map(|&(index, score)| Ranked { index, score })
                .collect()
        };
        assert_eq!(check_ranked(&ranked(&[(2, 0.9), (0, 0.1)]), 3), Ok(()));
        assert!(check_ranked(&ranked(&[(3, 0.9)]), 3).is_err());
        assert!(check_ranked(&ranked(&[(1, 0.9), (1, 0.2)]), 3).is_err());
        assert!(check_ranked(&ranked(&[(0, f64::INFINITY)]), 3).is_err());
    }
}
