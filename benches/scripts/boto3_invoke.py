"""One InvokeModel with boto3, as the AWS notebook does it: the start-up
benchmark times this whole process. Usage: boto3_invoke.py MODEL BODY_JSON.
The endpoint, region and keys come from the environment (benchlib)."""

import json
import sys

import boto3

client = boto3.client("bedrock-runtime")
response = client.invoke_model(
    modelId=sys.argv[1],
    body=sys.argv[2],
    contentType="application/json",
    accept="application/json",
)
answer = json.loads(response["body"].read())
print(answer["content"][0]["text"])
