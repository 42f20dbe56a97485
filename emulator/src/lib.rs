//! A local, Bedrock-compatible HTTP server ("local Bedrock") that the official AWS SDKs work
//! against unmodified. It serves:
//!
//! - bedrock-runtime: `InvokeModel` (`POST /model/{modelId}/invoke`) and
//!   `InvokeModelWithResponseStream` (`POST /model/{modelId}/invoke-with-response-stream`);
//! - the Bedrock control plane: `ListFoundationModels` (`GET /foundation-models`, a real
//!   us-east-1 model list), `ListInferenceProfiles` (`GET /inference-profiles`) and
//!   `GetInferenceProfile` (`GET /inference-profiles/{id}`);
//! - STS `AssumeRole` (`POST /`, query protocol), whose temporary credentials the Bedrock routes
//!   then accept.
//!
//! All of them use real SigV4 (or, for Bedrock, bearer-token) authentication, Bedrock's error
//! wire format and the `application/vnd.amazon.eventstream` framing. The runtime, control-plane
//! and STS clients all take the same endpoint URL.
//!
//! It serves the model families of AWS's Bedrock getting-started notebook: AI21 Jamba, Amazon
//! Nova and Titan Text, Anthropic Claude, Cohere Command and Command R, Meta Llama, Mistral, and
//! the Stability AI image models (which answer with real PNGs and, as on Bedrock, do not stream).
//!
//! This crate is the one place in the project that knows provider JSON shapes; it knows them from
//! AWS documentation and recorded traffic (see `tests/fixtures/bedrock/PROTOCOL_NOTES.md`), never
//! from the plugins. Replies are generated deterministically from the prompt, so the same request
//! always gets the same text. The families' tools, tool results, images, documents, reasoning and
//! prompt caching are checked and answered too, deterministically as well: a tool named in the
//! last user turn (or forced) is called, reasoning appears only when enabled, and cache points
//! write a prefix once and read it after, per emulator (see `providers/tools.rs` and
//! `providers/prompt_cache.rs`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), bedrock_emulator::EmulatorError> {
//! use bedrock_emulator::{Emulator, EmulatorConfig};
//! let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
//! let running = Emulator::start(EmulatorConfig::default(), loopback).await?;
//! println!("local Bedrock at {}", running.endpoint());
//! running.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! Clients sign with the configured credentials: by default the documented test pair
//! [`TEST_ACCESS_KEY_ID`] / [`TEST_SECRET_ACCESS_KEY`] in [`DEFAULT_REGION`]; the emulator never
//! reads credentials from the environment. A configured bearer token (Bedrock API key) is
//! accepted too, as the SDKs send it when `AWS_BEARER_TOKEN_BEDROCK` is set. [`RunningEmulator::client_environment`] lists the variables
//! that point SDKs and the AWS CLI at a running emulator.
//!
//! Models the catalogue lists without `ON_DEMAND` (Claude 4.x, Llama 3.1+, Nova Premier, ...)
//! refuse invocation by base id with Bedrock's "on-demand throughput isn’t supported" error, as
//! on AWS; they answer through their `us.` inference profile id or ARN, and Claude Sonnet 4.5
//! also through the pre-made application inference profile [`APPLICATION_INFERENCE_PROFILE_ARN`]
//! (in the emulator's own region: [`RunningEmulator::application_inference_profile_arn`]).
//!
//! Failure paths can be exercised through [`Behaviour`], set in the config, with
//! [`RunningEmulator::set_behaviour`], or over HTTP at [`CONTROL_PATH`] (see [`control`]).
//! Benchmarks can pad streams to a bounded length ([`LongStream`]) and read when requests
//! arrived ([`ARRIVALS_PATH`], see [`arrivals`]). The HTTP test controls are served only when
//! [`EmulatorConfig::test_controls`] is on (the default of the library; `serve-local` needs
//! `--test-controls`), and only to loopback callers.

mod api_error;
pub mod arrivals;
mod auth;
mod behaviour;
mod config;
pub mod control;
mod error;
mod eventstream;
mod foundation_models;
mod generator;
mod inference_profiles;
mod invoke;
pub mod long_stream;
mod model_id;
mod providers;
mod query;
mod server;
mod stream_writer;
mod sts;

pub use arrivals::ARRIVALS_PATH;
pub use behaviour::{
    Behaviour, HugeReply, InjectedError, InvalidBehaviour, MAX_DELAY_MS, StreamFault,
    StreamFaultAction,
};
pub use config::{DEFAULT_REGION, EmulatorConfig, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY};
pub use control::CONTROL_PATH;
pub use error::EmulatorError;
pub use eventstream::HUGE_CHUNK_MIN_PAYLOAD;
pub use inference_profiles::{
    ACCOUNT_ID, APPLICATION_INFERENCE_PROFILE_ARN, APPLICATION_INFERENCE_PROFILE_ID,
};
pub use long_stream::{LongStream, MAX_LONG_STREAM_CHUNKS};
pub use server::{Emulator, RunningEmulator};
