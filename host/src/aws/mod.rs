//! Everything that talks to AWS: checking the user's region and endpoint,
//! resolving credentials, building the Bedrock clients from the user's
//! settings, invoking models (streamed or not), listing foundation models,
//! bounding what a response may do to the host, retrying only what a retry
//! can fix (and saying so), and turning SDK errors into one clear line each.

mod client;
mod control;
mod credentials;
mod error;
mod invoke;
mod response_guard;
mod retry;
mod validation;

pub use client::{AssumedRole, ClientSettings, StaticCredentials, control_client, runtime_client};
pub use control::{
    FoundationModel, InferenceProfile, ModelFilters, ModelLifecycle, foundation_model_behind,
    list_foundation_models, list_inference_profiles,
};
pub use credentials::{CredentialSource, ExplicitProfile};
pub use error::{AwsError, AwsErrorClass, CallContext, profile_prefix};
pub use invoke::{
    BedrockHeaders, InvokeReply, StreamChunk, StreamReply, invoke_model, invoke_model_stream,
};
pub use response_guard::{DEFAULT_MAX_RESPONSE_MIB, ResponseGuardError};
pub use retry::Unfixable;
pub use validation::{InvalidSetting, check_endpoint_url, check_region};
