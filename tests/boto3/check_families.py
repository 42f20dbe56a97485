"""boto3 against the local Bedrock: every model family added since the AWS getting-started
notebook, invoked as a Python user would invoke it, gets the response shape AWS documents.

Run by tests/e2e/boto3.rs with the python of target/test-venv (made by `cargo xtask test` from
requirements.txt), as `python check_families.py ENDPOINT`; the access key and secret come from
AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. Each check asserts the documented keys and their
types; the script prints one line per family checked and exits non-zero at the first shape that
is not the documented one.
"""

import base64
import json
import sys

import boto3
from botocore.config import Config

# A complete 1x1 PNG.
PNG_1X1 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def client(endpoint):
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}),
    )


def invoke(runtime, model_id, body):
    response = runtime.invoke_model(
        modelId=model_id,
        body=json.dumps(body),
        contentType="application/json",
        accept="application/json",
    )
    assert response["contentType"] == "application/json", response["contentType"]
    return json.loads(response["body"].read())


def stream(runtime, model_id, body):
    response = runtime.invoke_model_with_response_stream(
        modelId=model_id, body=json.dumps(body), contentType="application/json"
    )
    chunks = []
    for event in response["body"]:
        assert "chunk" in event, f"{model_id}: not a chunk: {event}"
        chunks.append(json.loads(event["chunk"]["bytes"]))
    assert chunks, f"{model_id}: an empty stream"
    return chunks


def numbers(value, length=None):
    assert isinstance(value, list), f"not a list: {type(value)}"
    assert all(isinstance(n, (int, float)) for n in value), "not a list of numbers"
    if length is not None:
        assert len(value) == length, f"{len(value)} numbers, not {length}"
    return value


def chat_completion(answer, model_id):
    assert answer["object"] == "chat.completion", answer.get("object")
    choice = answer["choices"][0]
    assert isinstance(choice["message"]["content"], str), model_id
    assert choice["finish_reason"] in ("stop", "length"), choice["finish_reason"]
    assert isinstance(answer["usage"]["prompt_tokens"], int), model_id
    assert isinstance(answer["usage"]["completion_tokens"], int), model_id


def gpt_oss(runtime):
    model_id = "openai.gpt-oss-20b-1:0"
    body = {"messages": [{"role": "user", "content": "Name a river."}], "max_completion_tokens": 20}
    chat_completion(invoke(runtime, model_id, body), model_id)
    chunks = stream(runtime, model_id, body)
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)
    assert all("delta" in chunk["choices"][0] for chunk in chunks)
    last = chunks[-1]
    assert last["choices"][0]["finish_reason"] in ("stop", "length"), last
    assert "amazon-bedrock-invocationMetrics" in last, last.keys()
    return model_id


def deepseek_r1(runtime):
    model_id = "us.deepseek.r1-v1:0"
    body = {"prompt": "<｜begin▁of▁sentence｜><｜User｜>Name a river.<｜Assistant｜><think>\n",
            "max_tokens": 40}
    answer = invoke(runtime, model_id, body)
    choice = answer["choices"][0]
    assert isinstance(choice["text"], str)
    assert choice["stop_reason"] in ("stop", "length"), choice
    return model_id


def writer_palmyra(runtime):
    model_id = "us.writer.palmyra-x5-v1:0"
    body = {"messages": [{"role": "user", "content": "Name a river."}], "max_tokens": 20}
    chat_completion(invoke(runtime, model_id, body), model_id)
    return model_id


def cohere_embed(runtime):
    v3 = invoke(runtime, "cohere.embed-english-v3",
                {"texts": ["Hello World!", "Goodbye"], "input_type": "search_document"})
    assert v3["response_type"] == "embeddings_floats", v3["response_type"]
    assert len(v3["embeddings"]) == 2
    numbers(v3["embeddings"][0], 1024)
    assert v3["texts"] == ["Hello World!", "Goodbye"]
    v4 = invoke(runtime, "cohere.embed-v4:0",
                {"texts": ["Hello"], "input_type": "search_query", "output_dimension": 256,
                 "embedding_types": ["float", "int8"]})
    assert v4["response_type"] == "embeddings_by_type", v4["response_type"]
    numbers(v4["embeddings"]["float"][0], 256)
    numbers(v4["embeddings"]["int8"][0], 256)
    ranked = invoke(runtime, "cohere.rerank-v3-5:0",
                    {"query": "capital of France", "api_version": 2, "top_n": 2,
                     "documents": ["Bread rises.", "Paris is the capital of France."]})
    assert [r["index"] for r in ranked["results"]] == [1, 0], ranked
    assert all(isinstance(r["relevance_score"], float) for r in ranked["results"])
    return "cohere.embed-english-v3, cohere.embed-v4:0, cohere.rerank-v3-5:0"


def amazon_embed(runtime):
    v2 = invoke(runtime, "amazon.titan-embed-text-v2:0",
                {"inputText": "Hello World!", "dimensions": 256, "normalize": True,
                 "embeddingTypes": ["float", "binary"]})
    numbers(v2["embedding"], 256)
    assert isinstance(v2["inputTextTokenCount"], int)
    numbers(v2["embeddingsByType"]["float"], 256)
    assert set(numbers(v2["embeddingsByType"]["binary"], 256)) <= {0, 1}
    image = invoke(runtime, "amazon.titan-embed-image-v1",
                   {"inputText": "a dot", "inputImage": PNG_1X1,
                    "embeddingConfig": {"outputEmbeddingLength": 384}})
    numbers(image["embedding"], 384)
    nova = invoke(runtime, "amazon.nova-2-multimodal-embeddings-v1:0",
                  {"taskType": "SINGLE_EMBEDDING", "singleEmbeddingParams": {
                      "embeddingPurpose": "GENERIC_INDEX", "embeddingDimension": 1024,
                      "image": {"format": "png", "source": {"bytes": PNG_1X1}}}})
    assert nova["embeddings"][0]["embeddingType"] == "IMAGE", nova["embeddings"][0]
    numbers(nova["embeddings"][0]["embedding"], 1024)
    ranked = invoke(runtime, "amazon.rerank-v1:0",
                    {"query": "capital of France", "top_n": 1,
                     "documents": ["Bread rises.", "Paris is the capital of France."]})
    assert [r["index"] for r in ranked["results"]] == [1], ranked
    assert isinstance(ranked["results"][0]["relevance_score"], float)
    return ("amazon.titan-embed-text-v2:0, amazon.titan-embed-image-v1, "
            "amazon.nova-2-multimodal-embeddings-v1:0, amazon.rerank-v1:0")


def nova_canvas(runtime):
    model_id = "amazon.nova-canvas-v1:0"
    answer = invoke(runtime, model_id, {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "a lighthouse", "negativeText": "fog"},
        "imageGenerationConfig": {"width": 320, "height": 320, "quality": "standard",
                                  "cfgScale": 6.5, "seed": 12, "numberOfImages": 2}})
    assert len(answer["images"]) == 2, len(answer["images"])
    for image in answer["images"]:
        png = base64.b64decode(image)
        assert png.startswith(b"\x89PNG\r\n\x1a\n"), "not a PNG"
        assert int.from_bytes(png[16:20], "big") == 320
    try:
        invoke(runtime, model_id, {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a"},
                                   "imageGenerationConfig": {"width": 100}})
    except runtime.exceptions.ValidationException as refused:
        assert "width" in str(refused), str(refused)
    else:
        raise AssertionError("a 100-pixel width was accepted")
    return model_id


CHECKS = [gpt_oss, deepseek_r1, writer_palmyra, cohere_embed, amazon_embed, nova_canvas]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check_families.py ENDPOINT")
    runtime = client(sys.argv[1])
    for check in CHECKS:
        print(f"{check.__name__}: {check(runtime)}", flush=True)


if __name__ == "__main__":
    main()
