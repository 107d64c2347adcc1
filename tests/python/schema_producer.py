"""Writes records with Confluent's own schema registry serializers
(confluent-kafka's AvroSerializer, JSONSerializer), then reads them back with
its deserializers: the reference eventdeck's schema decoding is checked against.

    python schema_producer.py BOOTSTRAP REGISTRY_URL TOPIC CASE

CASE is one of:
  order     an Avro record with a nested record, an array of records, a union
            (null or string, both branches), an enum, a map and the logical
            types decimal, timestamp-millis, date and uuid; two records
  envelope  eventdeck's event envelope as an Avro record (occurred_at a
            timestamp-millis); one record
  json      a JSON Schema record (nested object, array, nullable field); two

Prints one JSON object: {"written": [...], "read_back": [...], "schema_id": N},
every value made JSON by the rules eventdeck documents (domain::schema):
timestamps RFC 3339 UTC with `Z`, dates YYYY-MM-DD, decimals exact text,
uuids text.
"""

import datetime as dt
import decimal
import json
import sys
import uuid

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

ORDER_SCHEMA = """
{
  "type": "record", "name": "Order", "namespace": "shop",
  "fields": [
    {"name": "id", "type": "string"},
    {"name": "total", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}},
    {"name": "placed", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "day", "type": {"type": "int", "logicalType": "date"}},
    {"name": "note", "type": ["null", "string"], "default": null},
    {"name": "line", "type": {"type": "record", "name": "Line", "fields": [
      {"name": "sku", "type": "string"}, {"name": "qty", "type": "int"}]}},
    {"name": "lines", "type": {"type": "array", "items": "Line"}},
    {"name": "state", "type": {"type": "enum", "name": "State", "symbols": ["NEW", "PAID"]}},
    {"name": "tags", "type": {"type": "map", "values": "long"}},
    {"name": "ref", "type": {"type": "string", "logicalType": "uuid"}},
    {"name": "ratio", "type": "double"},
    {"name": "paid", "type": "boolean"}
  ]
}
"""

ENVELOPE_SCHEMA = """
{
  "type": "record", "name": "DecisionMade", "namespace": "debate",
  "fields": [
    {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}},
    {"name": "event_type", "type": "string"},
    {"name": "schema_version", "type": "int"},
    {"name": "context", "type": "string"},
    {"name": "aggregate_id", "type": "string"},
    {"name": "occurred_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "correlation_id", "type": {"type": "string", "logicalType": "uuid"}},
    {"name": "causation_id", "type": ["null", {"type": "string", "logicalType": "uuid"}], "default": null},
    {"name": "data", "type": {"type": "record", "name": "Decision", "fields": [
      {"name": "decision", "type": "string"}, {"name": "votes", "type": "int"}]}}
  ]
}
"""


JSON_SCHEMA = """
{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "Shipment", "type": "object",
  "properties": {
    "id": {"type": "string"},
    "weight": {"type": "number"},
    "parcels": {"type": "array", "items": {"type": "object",
      "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}}}},
    "address": {"type": "object", "properties": {"city": {"type": "string"}}},
    "note": {"type": ["string", "null"]}
  },
  "required": ["id", "weight"]
}
"""


def shipments():
    return [
        {"id": "s-1", "weight": 2.5, "parcels": [{"sku": "a", "qty": 1}],
         "address": {"city": "Lyon"}, "note": None},
        {"id": "s-2", "weight": 10, "parcels": [], "address": {"city": "Zürich"}, "note": "fragile"},
    ]


def orders():
    placed = dt.datetime(2024, 5, 1, 10, 0, 0, 123000, tzinfo=dt.timezone.utc)
    return [
        {
            "id": "o-1",
            "total": decimal.Decimal("-12.34"),
            "placed": placed,
            "day": dt.date(2024, 5, 1),
            "note": "rush",
            "line": {"sku": "a", "qty": 2},
            "lines": [{"sku": "b", "qty": 1}, {"sku": "c", "qty": 3}],
            "state": "PAID",
            "tags": {"x": 5, "y": -1},
            "ref": uuid.UUID("6f1c2b1e-7d1a-4d6e-9c33-0d7e7a1c2b3f"),
            "ratio": 0.25,
            "paid": True,
        },
        {
            "id": "o-2",
            "total": decimal.Decimal("1000.00"),
            "placed": placed + dt.timedelta(days=1),
            "day": dt.date(1969, 12, 31),
            "note": None,
            "line": {"sku": "z", "qty": 0},
            "lines": [],
            "state": "NEW",
            "tags": {},
            "ref": uuid.UUID("00000000-0000-4000-8000-000000000001"),
            "ratio": -1.5,
            "paid": False,
        },
    ]


def envelopes():
    return [
        {
            "event_id": uuid.UUID("11111111-1111-4111-8111-111111111111"),
            "event_type": "DecisionMade",
            "schema_version": 1,
            "context": "debate",
            "aggregate_id": "debate-7",
            "occurred_at": dt.datetime(2024, 5, 1, 10, 0, 0, 250000, tzinfo=dt.timezone.utc),
            "correlation_id": uuid.UUID("22222222-2222-4222-8222-222222222222"),
            "causation_id": None,
            "data": {"decision": "adopt avro", "votes": 3},
        }
    ]


def as_json(value):
    """A value as eventdeck shows it in JSON (see the module doc)."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, dt.datetime):
        text = value.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat()
        if "." in text:
            text = text.rstrip("0")
            # eventdeck writes 3, 6 or 9 fraction digits (chrono's AutoSi).
            head, frac = text.split(".")
            width = 3 if len(frac) <= 3 else 6
            text = f"{head}.{frac.ljust(width, '0')}"
        return text + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def main() -> int:
    bootstrap, registry_url, topic, case = sys.argv[1:5]
    schema, values = {
        "order": (ORDER_SCHEMA, orders),
        "envelope": (ENVELOPE_SCHEMA, envelopes),
        "json": (JSON_SCHEMA, shipments),
    }[case]
    registry = SchemaRegistryClient({"url": registry_url})
    if case == "json":
        serializer = JSONSerializer(schema, registry)
        deserializer = JSONDeserializer(schema)
    else:
        serializer = AvroSerializer(registry, schema)
        deserializer = AvroDeserializer(registry)
    context = SerializationContext(topic, MessageField.VALUE)
    failed = []

    def delivered(err, msg):
        if err is not None:
            failed.append(str(err))

    producer = Producer({"bootstrap.servers": bootstrap})
    written = values()
    frames = []
    for value in written:
        frame = serializer(value, context)
        frames.append(frame)
        producer.produce(topic, key=str(value.get("id", value.get("aggregate_id"))).encode(),
                         value=frame, on_delivery=delivered)
    if producer.flush(30) != 0 or failed:
        print(f"not delivered: {failed or 'timed out'}", file=sys.stderr)
        return 1

    # Read back with Confluent's deserializer, from Kafka.
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"schema-producer-{uuid.uuid4()}",
                         "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, p, 0) for p in range(
        len(consumer.list_topics(topic, timeout=10).topics[topic].partitions))])
    read_back = []
    deadline = dt.datetime.now() + dt.timedelta(seconds=30)
    while len(read_back) < len(written) and dt.datetime.now() < deadline:
        msg = consumer.poll(1.0)
        if msg is None or msg.error():
            continue
        read_back.append(deserializer(msg.value(), SerializationContext(topic, MessageField.VALUE)))
    consumer.close()
    print(json.dumps({
        "written": [as_json(v) for v in written],
        "read_back": [as_json(v) for v in read_back],
        "schema_id": int.from_bytes(frames[0][1:5], "big"),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
