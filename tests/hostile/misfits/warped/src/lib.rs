//! An embedding plugin (contract 0.2.1, world `embedding-provider`) whose
//! answers break the embedder's rules on purpose, one per model id, so the
//! host must check every answer before it uses one:
//! - `warped.short`, `warped.ragged`, `warped.empty`, `warped.nan`,
//!   `warped.wrong-format`, `warped.extra-format`: `parse-embedding-response`
//!   gives one vector too few, vectors of two lengths, empty vectors, a NaN,
//!   another format than the one asked for, or one format more;
//! - `warped.flood`: a vector of 4 Mi values, far more than the output and
//!   memory limits allow;
//! - `warped.spin-build`, `warped.spin-parse`: never return from the call;
//! - `warped.polite`: a well-formed answer, one 3-value vector per input per
//!   format asked;
//! - `warped-rerank.beyond`, `.twice`, `.inf`, `.polite`: a ranking naming a
//!   document past the last, a document twice, an infinite score, or none
//!   of these.
//!
//! It also claims `cohere.embed-*` for embeddings, as a stranger taking a
//! first-party family would: routing must refuse to choose for the user.

wit_bindgen::generate!({
    world: "embedding-provider",
    path: "../../../../wit/since_v0.2.1",
});

use bedrock::adapter::types::{
    AdapterError, Body, Capabilities, Event, ModelSupport, PluginInfo, Request, Response,
};
use exports::bedrock::adapter::adapter::{Guest, GuestStreamDecoder};
use exports::bedrock::adapter::embedder::{
    EmbedderInfo, EmbeddingFormat, EmbeddingModel, EmbeddingRequest, EmbeddingSet, Embeddings,
    Guest as EmbedderGuest, Ranked, RerankModel, RerankRequest,
};

struct Warped;

/// What every call of this plugin sends: an empty JSON object.
fn body() -> Body {
    Body {
        bytes: b"{}".to_vec(),
        content_type: "application/json".into(),
        accept: "application/json".into(),
    }
}

/// Loops until the host stops the call.
fn spin() -> ! {
    let mut turns: u64 = 0;
    loop {
        turns = std::hint::black_box(turns.wrapping_add(1));
    }
}

/// The rule a model id asks this plugin to break.
fn rule<'a>(model_id: &'a str, family: &str) -> &'a str {
    model_id.strip_prefix(family).unwrap_or_default()
}

/// `count` vectors of three values each.
fn vectors(count: u32) -> Vec<Vec<f64>> {
    (0..count).map(|i| vec![f64::from(i), 0.5, -0.5]).collect()
}

impl Guest for Warped {
    type StreamDecoder = Decoder;

    fn describe() -> PluginInfo {
        PluginInfo {
            name: "warped".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "breaks the embedder's rules on purpose, for the tests".into(),
            models: vec![ModelSupport {
                pattern: "warped-chat.*".into(),
                capabilities: Capabilities {
                    system: false,
                    tools: false,
                    images: None,
                    documents: None,
                    reasoning: false,
                    caching: false,
                    streaming: false,
                },
            }],
            options: Vec::new(),
        }
    }

    fn build_request(_req: Request) -> Result<Body, AdapterError> {
        Ok(body())
    }

    fn parse_response(_model_id: String, _body: Vec<u8>) -> Result<Response, AdapterError> {
        Err(AdapterError::MalformedResponse("no chat here".into()))
    }
}

impl EmbedderGuest for Warped {
    fn describe_embedder() -> EmbedderInfo {
        let model = |pattern: &str| EmbeddingModel {
            pattern: pattern.into(),
            texts: true,
            images: None,
            max_inputs: 4,
            dimensions: Vec::new(),
            purposes: Vec::new(),
            normalize: false,
            formats: vec![EmbeddingFormat::Float, EmbeddingFormat::Int8],
        };
        EmbedderInfo {
            embedding_models: vec![model("warped.*"), model("cohere.embed-*")],
            rerank_models: vec![RerankModel {
                pattern: "warped-rerank.*".into(),
                max_documents: 8,
            }],
        }
    }

    fn build_embedding_request(req: EmbeddingRequest) -> Result<Body, AdapterError> {
        if rule(&req.model_id, "warped.") == "spin-build" {
            spin();
        }
        Ok(body())
    }

    fn parse_embedding_response(
        model_id: String,
        inputs: u32,
        formats: Vec<EmbeddingFormat>,
        _body: Vec<u8>,
    ) -> Result<Embeddings, AdapterError> {
        let asked = if formats.is_empty() {
            vec![EmbeddingFormat::Float]
        } else {
            formats
        };
        let set = |format, vectors| EmbeddingSet { format, vectors };
        let sets = match rule(&model_id, "warped.") {
            "short" => vec![set(asked[0], vectors(inputs.saturating_sub(1)))],
            "ragged" => {
                let mut ragged = vectors(inputs);
                if let Some(last) = ragged.last_mut() {
                    last.push(1.0);
                }
                vec![set(asked[0], ragged)]
            }
            "empty" => vec![set(asked[0], vec![Vec::new(); inputs as usize])],
            "nan" => {
                let mut nan = vectors(inputs);
                nan[0][1] = f64::NAN;
                vec![set(asked[0], nan)]
            }
            "wrong-format" => vec![set(EmbeddingFormat::Binary, vectors(inputs))],
            "extra-format" => {
                let mut sets: Vec<EmbeddingSet> = asked
                    .iter()
                    .map(|format| set(*format, vectors(inputs)))
                    .collect();
                sets.push(set(EmbeddingFormat::Ubinary, vectors(inputs)));
                sets
            }
            "flood" => vec![set(asked[0], vec![vec![0.25; 4 << 20]; inputs as usize])],
            "spin-parse" => spin(),
            _ => asked
                .iter()
                .map(|format| set(*format, vectors(inputs)))
                .collect(),
        };
        Ok(Embeddings {
            sets,
            input_tokens: Some(inputs),
        })
    }

    fn build_rerank_request(_req: RerankRequest) -> Result<Body, AdapterError> {
        Ok(body())
    }

    fn parse_rerank_response(
        model_id: String,
        _body: Vec<u8>,
    ) -> Result<Vec<Ranked>, AdapterError> {
        let ranked = |index, score| Ranked { index, score };
        Ok(match rule(&model_id, "warped-rerank.") {
            "beyond" => vec![ranked(0, 0.9), ranked(100, 0.1)],
            "twice" => vec![ranked(1, 0.9), ranked(1, 0.2)],
            "inf" => vec![ranked(0, f64::INFINITY)],
            _ => vec![ranked(1, 0.9), ranked(0, 0.1)],
        })
    }
}

/// A decoder that is never used: no chat model of this plugin streams.
struct Decoder;

impl GuestStreamDecoder for Decoder {
    fn new(_model_id: String) -> Self {
        Self
    }

    fn feed(&self, _chunk: Vec<u8>) -> Result<Vec<Event>, AdapterError> {
        Err(AdapterError::MalformedResponse("no stream here".into()))
    }

    fn finish(&self) -> Result<Vec<Event>, AdapterError> {
        Ok(Vec::new())
    }
}

export!(Warped);
