"""Writes records with Confluent's own schema registry serializers
(confluent-kafka's AvroSerializer, JSONSerializer, ProtobufSerializer), then
reads them back with its deserializers: the reference eventdeck's schema
decoding is checked against.

    python schema_producer.py BOOTSTRAP REGISTRY_URL TOPIC CASE

CASE is one of:
  order     an Avro record with a nested record, an array of records, a union
            (null or string, both branches), an enum, a map and the logical
            types decimal, timestamp-millis, date and uuid; two records
  envelope  eventdeck's event envelope as an Avro record (occurred_at a
            timestamp-millis); one record
  json      a JSON Schema record (nested object, array, nullable field); two
  protobuf  a Protobuf message with a nested message, a repeated nested
            message, a map, an enum and a oneof, importing
            google/protobuf/timestamp.proto (a well-known type, not registered:
            the serializer skips known types) and shop/common.proto (its own
            file, registered by the serializer under its own subject and named
            in the value schema's `references`); the key is a second top-level
            message of the same file (message indexes [1]), under
            `<topic>-key`; both with subject.name.strategy.type TOPIC (the
            default strategy asks Apicurio for an association API it lacks);
            two records
  tagged-avro  an Avro record whose fields say they are sensitive: one with
            "confluent:tags": ["PII"], one (in a nested record) with
            "x-sensitive": true; two records
  tagged-json  a JSON Schema record likewise: a property with
            "x-sensitive": true, a nested one with "confluent:tags": ["PII"];
            two records
  framings  the first `order` record three times, framed as Confluent's
            AvroSerializer does not: Apicurio's legacy 8-byte globalId
            framing, the schema id in Confluent's `__value_schema_id`
            header, the globalId in Apicurio's `apicurio.value.globalId`
            header (bare Avro datum in the last two); adds "global_id"
  read:FORMAT  writes nothing: reads the topic's first COUNT records (a sixth
            argument) with Confluent's deserializer for FORMAT (avro: its
            AvroDeserializer with the writer's schema from the registry;
            json: its JSONDeserializer, the same; protobuf: its
            ProtobufDeserializer for shop.Order) and prints
            {"read": [...]}: what eventdeck wrote, as Confluent reads it

Prints one JSON object: {"written": [...], "read_back": [...], "schema_id": N},
every value made JSON by the rules eventdeck documents (domain::schema):
timestamps RFC 3339 UTC with `Z`, dates YYYY-MM-DD, decimals exact text,
uuids text. Protobuf messages are made JSON by protobuf's own
json_format.MessageToDict with preserving_proto_field_name=True: the proto3
JSON mapping (int64 as strings, enums by name, Timestamp RFC 3339, bytes
base64, fields at their default left out) with the .proto's field names.
The protobuf case adds "keys_written", "keys_read_back" and "key_schema_id".
"""

import base64
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
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory, text_format
from google.protobuf import timestamp_pb2  # noqa: F401  (puts timestamp.proto in the default pool)

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


TAGGED_AVRO_SCHEMA = """
{
  "type": "record", "name": "Customer", "namespace": "shop",
  "fields": [
    {"name": "id", "type": "string"},
    {"name": "email", "type": "string", "confluent:tags": ["PII"]},
    {"name": "card", "type": {"type": "record", "name": "Card", "fields": [
      {"name": "number", "type": "string", "x-sensitive": true},
      {"name": "brand", "type": "string"}]}}
  ]
}
"""

TAGGED_JSON_SCHEMA = """
{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "Patient", "type": "object",
  "properties": {
    "id": {"type": "string"},
    "ssn": {"type": "string", "x-sensitive": true},
    "contact": {"type": "object", "properties": {
      "phone": {"type": "string", "confluent:tags": ["PII"]},
      "city": {"type": "string"}}}
  },
  "required": ["id"]
}
"""


def tagged_customers():
    return [
        {"id": f"c-{n}", "email": f"tagged.secret.{n}@example.com",
         "card": {"number": f"4000-1111-2222-000{n}", "brand": "visa"}}
        for n in range(2)
    ]


def tagged_patients():
    return [
        {"id": f"p-{n}", "ssn": f"078-05-112{n}",
         "contact": {"phone": f"+41-79-555-010{n}", "city": "Bern"}}
        for n in range(2)
    ]


# Protobuf descriptors written out (no protoc here): shop/common.proto, then
# shop/order.proto, which imports it and google/protobuf/timestamp.proto.
COMMON_PROTO = """
name: "shop/common.proto" package: "shop.common" syntax: "proto3"
message_type { name: "Money"
  field { name: "units" number: 1 label: LABEL_OPTIONAL type: TYPE_INT64 json_name: "units" }
  field { name: "nanos" number: 2 label: LABEL_OPTIONAL type: TYPE_INT32 json_name: "nanos" }
  field { name: "currency_code" number: 3 label: LABEL_OPTIONAL type: TYPE_STRING json_name: "currencyCode" } }
enum_type { name: "Channel"
  value { name: "CHANNEL_UNSPECIFIED" number: 0 } value { name: "WEB" number: 1 } value { name: "STORE" number: 2 } }
"""

ORDER_PROTO = """
name: "shop/order.proto" package: "shop" syntax: "proto3"
dependency: "google/protobuf/timestamp.proto" dependency: "shop/common.proto"
message_type { name: "Order"
  field { name: "id" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING json_name: "id" }
  field { name: "placed" number: 2 label: LABEL_OPTIONAL type: TYPE_MESSAGE type_name: ".google.protobuf.Timestamp" json_name: "placed" }
  field { name: "total" number: 3 label: LABEL_OPTIONAL type: TYPE_MESSAGE type_name: ".shop.common.Money" json_name: "total" }
  field { name: "lines" number: 4 label: LABEL_REPEATED type: TYPE_MESSAGE type_name: ".shop.Order.Line" json_name: "lines" }
  field { name: "channel" number: 5 label: LABEL_OPTIONAL type: TYPE_ENUM type_name: ".shop.common.Channel" json_name: "channel" }
  field { name: "tags" number: 6 label: LABEL_REPEATED type: TYPE_MESSAGE type_name: ".shop.Order.TagsEntry" json_name: "tags" }
  field { name: "blob" number: 7 label: LABEL_OPTIONAL type: TYPE_BYTES json_name: "blob" }
  field { name: "ratio" number: 8 label: LABEL_OPTIONAL type: TYPE_DOUBLE json_name: "ratio" }
  field { name: "paid" number: 9 label: LABEL_OPTIONAL type: TYPE_BOOL json_name: "paid" }
  field { name: "note" number: 10 label: LABEL_OPTIONAL type: TYPE_STRING oneof_index: 0 json_name: "note" }
  field { name: "code" number: 11 label: LABEL_OPTIONAL type: TYPE_INT32 oneof_index: 0 json_name: "code" }
  field { name: "big" number: 12 label: LABEL_OPTIONAL type: TYPE_UINT64 json_name: "big" }
  nested_type { name: "Line"
    field { name: "sku" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING json_name: "sku" }
    field { name: "qty" number: 2 label: LABEL_OPTIONAL type: TYPE_UINT32 json_name: "qty" } }
  nested_type { name: "TagsEntry" options { map_entry: true }
    field { name: "key" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING json_name: "key" }
    field { name: "value" number: 2 label: LABEL_OPTIONAL type: TYPE_SINT64 json_name: "value" } }
  oneof_decl { name: "ref" } }
message_type { name: "OrderKey"
  field { name: "id" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING json_name: "id" }
  field { name: "region" number: 2 label: LABEL_OPTIONAL type: TYPE_INT32 json_name: "region" } }
"""


def proto_classes():
    """The Order and OrderKey message classes, built from the descriptors above."""
    pool = descriptor_pool.Default()
    for text in (COMMON_PROTO, ORDER_PROTO):
        proto = text_format.Parse(text, descriptor_pb2.FileDescriptorProto())
        try:
            pool.FindFileByName(proto.name)
        except KeyError:
            pool.Add(proto)
    order = message_factory.GetMessageClass(pool.FindMessageTypeByName("shop.Order"))
    key = message_factory.GetMessageClass(pool.FindMessageTypeByName("shop.OrderKey"))
    return order, key


def proto_orders():
    order, key = proto_classes()
    first = order(id="o-1", channel=2, blob=b"\x00\xffhi", ratio=0.25, paid=True, note="rush",
                  big=18446744073709551615)
    first.placed.FromJsonString("2024-05-01T10:00:00.123Z")
    first.total.units = 9007199254740993  # beyond a double's integers: kept as text
    first.total.nanos = 500000000
    first.total.currency_code = "EUR"
    first.lines.add(sku="a", qty=2)
    first.lines.add(sku="b", qty=0)
    first.tags["x"] = 5
    first.tags["y"] = -1
    second = order(id="o-2", code=-7)
    second.placed.FromJsonString("1969-12-31T23:59:59Z")
    return [(key(id="o-1", region=3), first), (key(id="o-2"), second)]


def proto_json(message):
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def protobuf_case(bootstrap, registry_url, topic):
    """Writes proto_orders() (keys and values), reads them back; the report."""
    from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
    order, key = proto_classes()
    registry = SchemaRegistryClient({"url": registry_url, "timeout": REGISTRY_TIMEOUT})
    conf = {"subject.name.strategy.type": "TOPIC"}
    value_serializer = ProtobufSerializer(order, registry, conf)
    key_serializer = ProtobufSerializer(key, registry, conf)
    value_context = SerializationContext(topic, MessageField.VALUE)
    key_context = SerializationContext(topic, MessageField.KEY)
    pairs = proto_orders()
    records = [(key_serializer(k, key_context), value_serializer(v, value_context)) for k, v in pairs]
    produce(bootstrap, topic, records)
    value_reader = ProtobufDeserializer(order, {"use.deprecated.format": False})
    key_reader = ProtobufDeserializer(key, {"use.deprecated.format": False})
    read = read_back(bootstrap, topic, len(records))
    return {
        "written": [proto_json(v) for _, v in pairs],
        "read_back": [proto_json(value_reader(v, value_context)) for _, v in read],
        "keys_written": [proto_json(k) for k, _ in pairs],
        "keys_read_back": [proto_json(key_reader(k, key_context)) for k, _ in read],
        "schema_id": int.from_bytes(records[0][1][1:5], "big"),
        "key_schema_id": int.from_bytes(records[0][0][1:5], "big"),
        "frames": [base64.b64encode(v).decode() for _, v in records],
    }


def produce(bootstrap, topic, records):
    """Produces (key, value) pairs; exits on a failed delivery."""
    failed = []

    def delivered(err, msg):
        if err is not None:
            failed.append(str(err))

    producer = Producer({"bootstrap.servers": bootstrap})
    for k, v in records:
        producer.produce(topic, key=k, value=v, on_delivery=delivered)
    if producer.flush(30) != 0 or failed:
        print(f"not delivered: {failed or 'timed out'}", file=sys.stderr)
        sys.exit(1)


def read_back(bootstrap, topic, count):
    """The first `count` (key, value) pairs of the topic, from Kafka."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"schema-producer-{uuid.uuid4()}",
                         "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, p, 0) for p in range(
        len(consumer.list_topics(topic, timeout=10).topics[topic].partitions))])
    read = []
    deadline = dt.datetime.now() + dt.timedelta(seconds=READ_BACK_SECONDS)
    while len(read) < count and dt.datetime.now() < deadline:
        msg = consumer.poll(1.0)
        if msg is None or msg.error():
            continue
        read.append((msg.key(), msg.value()))
    consumer.close()
    if len(read) < count:
        print(f"read back {len(read)} of {count} records in {READ_BACK_SECONDS} s", file=sys.stderr)
        sys.exit(1)
    return read


# Seconds a registry request may take (the client's default waits forever).
REGISTRY_TIMEOUT = 30
# How long a read-back waits for the records it wrote: a test run puts several
# of these beside each other on a 2-core machine (a 30 s wait once ran out).
READ_BACK_SECONDS = 120


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


def framings_case(bootstrap, registry_url, topic):
    """One Avro order under three framings other than Confluent's own."""
    import struct
    import urllib.request
    registry = SchemaRegistryClient({"url": registry_url, "timeout": REGISTRY_TIMEOUT})
    serializer = AvroSerializer(registry, ORDER_SCHEMA)
    context = SerializationContext(topic, MessageField.VALUE)
    order = orders()[0]
    frame = serializer(order, context)
    schema_id = int.from_bytes(frame[1:5], "big")
    datum = frame[5:]
    # The globalId of the version just registered, from Apicurio's own API.
    server = registry_url.split("/apis/")[0]
    with urllib.request.urlopen(f"{server}/apis/registry/v3/search/versions?artifactId={topic}-value",
                                timeout=REGISTRY_TIMEOUT) as r:
        global_id = json.load(r)["versions"][0]["globalId"]
    records = [
        (b"legacy", b"\x00" + struct.pack(">q", global_id) + datum, None),
        (b"confluent-header", datum, [("__value_schema_id", b"\x00" + struct.pack(">I", schema_id))]),
        (b"apicurio-header", datum, [("apicurio.value.globalId", struct.pack(">q", global_id))]),
    ]
    failed = []
    producer = Producer({"bootstrap.servers": bootstrap})
    for k, v, headers in records:
        producer.produce(topic, key=k, value=v, headers=headers,
                         on_delivery=lambda err, msg: err and failed.append(str(err)))
    if producer.flush(30) != 0 or failed:
        print(f"not delivered: {failed or 'timed out'}", file=sys.stderr)
        sys.exit(1)
    # Confluent's deserializer reads the datum back from its own framing
    # (it reads none of the three above).
    read = as_json(AvroDeserializer(registry)(frame, context))
    return {"written": [as_json(order)] * len(records), "read_back": [read] * len(records),
            "schema_id": schema_id, "global_id": global_id}


def read_case(bootstrap, registry_url, topic, fmt, count):
    """The topic's first `count` values as Confluent's deserializer reads them."""
    registry = SchemaRegistryClient({"url": registry_url, "timeout": REGISTRY_TIMEOUT})
    if fmt == "avro":
        reader, as_shown = AvroDeserializer(registry), as_json
    elif fmt == "json":
        reader, as_shown = JSONDeserializer(None, schema_registry_client=registry), as_json
    else:
        from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer
        order, _ = proto_classes()
        reader, as_shown = ProtobufDeserializer(order, {"use.deprecated.format": False}), proto_json
    context = SerializationContext(topic, MessageField.VALUE)
    return {"read": [as_shown(reader(v, context)) for _, v in read_back(bootstrap, topic, count)]}


def main() -> int:
    bootstrap, registry_url, topic, case = sys.argv[1:5]
    if case.startswith("read:"):
        print(json.dumps(read_case(bootstrap, registry_url, topic, case[5:], int(sys.argv[5]))))
        return 0
    if case == "protobuf":
        print(json.dumps(protobuf_case(bootstrap, registry_url, topic)))
        return 0
    if case == "framings":
        print(json.dumps(framings_case(bootstrap, registry_url, topic)))
        return 0
    schema, values = {
        "order": (ORDER_SCHEMA, orders),
        "envelope": (ENVELOPE_SCHEMA, envelopes),
        "json": (JSON_SCHEMA, shipments),
        "tagged-avro": (TAGGED_AVRO_SCHEMA, tagged_customers),
        "tagged-json": (TAGGED_JSON_SCHEMA, tagged_patients),
    }[case]
    registry = SchemaRegistryClient({"url": registry_url, "timeout": REGISTRY_TIMEOUT})
    if case in ("json", "tagged-json"):
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
    deadline = dt.datetime.now() + dt.timedelta(seconds=READ_BACK_SECONDS)
    while len(read_back) < len(written) and dt.datetime.now() < deadline:
        msg = consumer.poll(1.0)
        if msg is None or msg.error():
            continue
        read_back.append(deserializer(msg.value(), SerializationContext(topic, MessageField.VALUE)))
    consumer.close()
    if len(read_back) < len(written):
        print(f"read back {len(read_back)} of {len(written)} records in {READ_BACK_SECONDS} s",
              file=sys.stderr)
        return 1
    print(json.dumps({
        "written": [as_json(v) for v in written],
        "read_back": [as_json(v) for v in read_back],
        "schema_id": int.from_bytes(frames[0][1:5], "big"),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
