#!/usr/bin/env bash
# The AWS notebook "How to work with Amazon Bedrock APIs - Getting Started",
# cell by cell, as bedrock-host commands against the local Bedrock.
#
#   cargo xtask plugins && examples/notebook-tour.sh
#
# Every cell sends the notebook's own body: the prompts are in
# examples/prompts/ byte for byte, and --raw sends a prompt without a chat
# template. Drop --local (set BEDROCK_HOST_TOUR_TARGET="") and set
# AWS_REGION/AWS_PROFILE to run the same tour against AWS.
#
# BEDROCK_HOST overrides the command (default: the workspace's debug build);
# OUT_DIR is where the SDXL image goes (default: a temporary folder).
set -euo pipefail
cd "$(dirname "$0")/.."

read -r -a host <<< "${BEDROCK_HOST:-cargo run --quiet --package bedrock-host --}"
read -r -a target <<< "${BEDROCK_HOST_TOUR_TARGET---local}"
out_dir="${OUT_DIR:-$(mktemp -d)}"
prompts=examples/prompts

cell() {
    printf '\n=== %s\n$ bedrock-host %s\n' "$1" "${*:2}"
    "${host[@]}" "${target[@]}" "${@:2}"
}

cell "List the foundation models" \
    models --by-output-modality TEXT
cell "AI21 Jamba-Instruct" \
    invoke --no-stream -m ai21.jamba-instruct-v1:0 --max-tokens 200 - < "$prompts/blog-command.txt"
cell "Amazon Nova Lite" \
    invoke --no-stream -m amazon.nova-lite-v1:0 --max-tokens 250 --top-p 0.9 --top-k 20 --temperature 0.7 - < "$prompts/blog-command.txt"
cell "Anthropic Claude 3.5 Sonnet" \
    invoke --no-stream -m anthropic.claude-3-5-sonnet-20240620-v1:0 --max-tokens 250 - < "$prompts/claude-blog.txt"
cell "Cohere Command" \
    invoke --no-stream -m cohere.command-text-v14 --raw --max-tokens 200 - < "$prompts/blog-command.txt"
cell "Meta Llama 3 8B Instruct" \
    invoke --no-stream -m meta.llama3-8b-instruct-v1:0 --raw --temperature 0.5 --top-p 0.9 --max-tokens 512 - < "$prompts/llama-blog.txt"
cell "Mixtral 8x7B Instruct" \
    invoke --no-stream -m mistral.mixtral-8x7b-instruct-v0:1 --raw --max-tokens 500 --top-p 0.9 --temperature 0.2 - < "$prompts/llama-blog.txt"
cell "Stability SDXL, decoded to a file" \
    invoke -m stability.stable-diffusion-xl-v1 --seed 20 -o cfg_scale=10 -o steps=50 --out "$out_dir/landscape.png" "a landscape with trees"
cell "Streaming Nova Lite: time to first token and chunk count" \
    invoke -m amazon.nova-lite-v1:0 --max-tokens 250 --top-p 0.9 --top-k 20 --temperature 0.7 --output json - < "$prompts/blog-command.txt"
cell "Prompt engineering: an email from Bob" \
    invoke --no-stream -m anthropic.claude-3-5-sonnet-20240620-v1:0 --max-tokens 500 - < "$prompts/email-bob.txt"
cell "Prompt engineering: the same, with the customer's feedback as context" \
    invoke --no-stream -m anthropic.claude-3-5-sonnet-20240620-v1:0 --max-tokens 500 - < "$prompts/email-bob-with-feedback.txt"
