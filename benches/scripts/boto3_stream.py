"""One InvokeModelWithResponseStream read to the end with boto3, as the AWS
notebook's streaming cell does (decode each chunk's JSON, keep the text):
the streaming benchmark times this loop. Usage: boto3_stream.py MODEL BODY_JSON.
Prints one JSON object: chunks, seconds from sending to the end, seconds to
the first text."""

import json
import sys
import time

import boto3

client = boto3.client("bedrock-runtime")
started = time.perf_counter()
response = client.invoke_model_with_response_stream(
    modelId=sys.argv[1],
    body=sys.argv[2],
    contentType="application/json",
    accept="application/json",
)
chunks = 0
first_text = None
text = []
for event in response["body"]:
    chunk = event.get("chunk")
    if chunk is None:
        continue
    chunks += 1
    message = json.loads(chunk["bytes"])
    if message.get("type") == "content_block_delta":
        if first_text is None:
            first_text = time.perf_counter() - started
        text.append(message["delta"].get("text", ""))
seconds = time.perf_counter() - started
print(json.dumps({"chunks": chunks, "seconds": seconds, "first_text_seconds": first_text,
                  "characters": len("".join(text))}))
