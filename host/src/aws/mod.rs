//! Everything that talks to AWS: building the Bedrock clients from the
//! user's settings, invoking models (streamed or not), listing foundation
//! models, bounding what a response may do to the host, and turning SDK
//! errors into one clear line each.

mod client;
mod control;
mod error;
mod invoke;
mod response_guard;

pub use client::{AssumedRole, ClientSettings, StaticCredentials, control_client, runtime_client};
pub use control::{
    FoundationModel, InferenceProfile, ModelFilters, foundation_model_behind,
    list_foundation_models, list_inference_profiles,
};
pub use error::{AwsError, AwsErrorClass, CallContext, profile_prefix};
pub use invoke::{
    BedrockHeaders, InvokeReply, StreamChunk, StreamReply, invoke_model, invoke_model_stream,
};
pub use response_guard::{DEFAULT_MAX_RESPONSE_MIB, ResponseGuardError};
