# Corpus for DUR006 (network): HTTP libraries, urllib, boto3 clients and calls on them.
# ruff: noqa
# mypy: ignore-errors
# fmt: off
import urllib.request

import boto3
import httpx
import requests

from durable_lambda import DurableContext, StepContext, durable_execution

s3 = boto3.client("s3")  # module level: making a client is fine here
table = boto3.resource("dynamodb").Table("orders")


def read_order(order_id: str, step: StepContext):
    return table.get_item(Key={"id": order_id})


@durable_execution
async def handler(event, ctx: DurableContext):
    page = requests.get(event["url"])  # expect: DUR006
    answer = httpx.post(event["url"], json={})  # expect: DUR006
    raw = urllib.request.urlopen(event["url"]).read()  # expect: DUR006
    s3.put_object(Bucket="b", Key="k", Body=b"")  # expect: DUR006
    item = table.get_item(Key={"id": "1"})  # expect: DUR006
    sqs = boto3.client("sqs")  # expect: DUR006
    sqs.send_message(QueueUrl="q", MessageBody="m")  # expect: DUR006
    async with httpx.AsyncClient() as client:  # expect: DUR006
        await client.get(event["url"])  # expect: DUR006
    order = await ctx.step(lambda step: read_order(event["id"], step), name="order")
    stored = await ctx.step(lambda step: s3.get_object(Bucket="b", Key="k"), name="get")
    return [page, answer, raw, item, order, stored]
