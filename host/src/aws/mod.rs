//! Everything that talks to AWS: building the Bedrock runtime client from
//! the user's settings, invoking models (streamed or not), and turning SDK
//! errors into one clear line each.

mod client;
mod error;
mod invoke;

pub use client::{ClientSettings, StaticCredentials, runtime_client};
pub use error::{AwsError, AwsErrorClass};
pub use invoke::{
    BedrockHeaders, InvokeReply, StreamChunk, StreamReply, invoke_model, invoke_model_stream,
};
