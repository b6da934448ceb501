# Corpus: handlers written for the official SDK (aws_durable_execution_sdk_python).
# ruff: noqa
# mypy: ignore-errors
# fmt: off
import random
import time

from aws_durable_execution_sdk_python import (
    DurableContext,
    StepContext,
    durable_parallel_branch,
    durable_step,
    durable_wait_for_callback,
    durable_with_child_context,
)
from aws_durable_execution_sdk_python.execution import durable_execution


@durable_step
def create_order(step_context, order_id):  # a step body: decorated
    return {"id": order_id, "at": time.time()}


@durable_wait_for_callback
def notify(callback_id, context, channel):  # a callback submitter: decorated
    return random.random()


@durable_with_child_context
def fulfil(child, order):  # orchestration: decorated
    started = time.time()  # expect: DUR001
    return child.step(create_order(order["id"]))


@durable_parallel_branch(name="stock")
def stock(branch, sku):  # orchestration: decorated
    return random.choice([sku])  # expect: DUR002


@durable_execution
def handler(event, context):  # orchestration: the official entry point
    order = context.step(create_order(event["orderId"]), name="create")
    drawn = random.random()  # expect: DUR002
    context.run_in_child_context(fulfil(order))
    context.parallel(functions=[stock("pen")])
    context.map(inputs=event["items"], func=lambda c, item, index, items: time.time())  # expect: DUR001
    answer = context.wait_for_callback(notify("email"))
    return [order, drawn, answer]
