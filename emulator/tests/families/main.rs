//! End-to-end checks of the model families through the real `aws-sdk-bedrockruntime` client,
//! one module per family (Claude's basics are in `sdk.rs`; `anthropic.rs` holds its tools,
//! thinking, attachments and caching). Each module sends the AWS getting
//! started notebook's body for its family (`shared/seed/bedrock-getting-started-notebook.md`),
//! invoked and streamed, checks that max tokens and stop sequences are honoured with the family's
//! stop-reason values, that a malformed body is a typed `ValidationException`, and compares the
//! emulator's response and stream shapes key by key with traffic recorded from the real service
//! (`tests/fixtures/bedrock`), or with AWS's documentation where nothing was recorded. The
//! modules share `harness.rs`, which builds on the pieces of `tests/support` included here.

mod ai21;
mod amazon;
mod amazon_embed;
mod anthropic;
mod cohere;
mod cohere_embed;
mod harness;
mod meta;
mod mistral;
mod nova_tools;
mod stability;
mod tools_and_images;

#[path = "../support"]
mod support {
    pub mod clients;
    pub mod emulator;
    pub mod headers;
}
