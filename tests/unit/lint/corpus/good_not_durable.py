# Corpus: code that is not orchestration (module level, plain functions, an ordinary Lambda
# handler, tests): the linter has nothing to say about it.
# ruff: noqa
# mypy: ignore-errors
# fmt: off
import os
import random
import time
import uuid

import boto3

CLIENT = boto3.client("s3")
STARTED = time.time()
REGION = os.environ.get("AWS_REGION", "eu-west-1")


def helper():
    return [random.random(), uuid.uuid4(), os.getenv("X")]


def lambda_handler(event, context):  # a plain Lambda function: its context is not durable
    for key in set(event["keys"]):
        CLIENT.delete_object(Bucket="b", Key=key)
    return time.time()


class Service:
    def handle(self, event):
        try:
            return helper()
        except:
            return None
