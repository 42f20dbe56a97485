//! The `bedrock-host` binary: everything is in the library's `cli` module.

fn main() -> std::process::ExitCode {
    bedrock_host::cli::main()
}
