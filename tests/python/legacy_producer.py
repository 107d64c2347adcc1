"""Writes DecisionMade events the way the Python Kafka-DDD system eventdeck
succeeds writes them (its serialization.py): `event_id`, `event_type`,
`timestamp` (naive ISO 8601, UTC), `aggregate_id`, `version`, `data`, and
`metadata` with `correlation_id` and `source`, but no `context`; the record key
is the aggregate id, no headers.

    python legacy_producer.py BOOTSTRAP TOPIC AGGREGATE_ID [CORRELATION_ID|-]

Prints the written event as one JSON line once Kafka acknowledged it.
"""

import json
import sys
import uuid
from datetime import datetime, timezone

from confluent_kafka import Producer


def main() -> int:
    bootstrap, topic, aggregate_id = sys.argv[1:4]
    correlation_id = sys.argv[4] if len(sys.argv) > 4 else "-"
    metadata = {"source": "debate"}
    if correlation_id != "-":
        metadata["correlation_id"] = correlation_id
    event = {
        "event_id": str(uuid.uuid4()),
        "event_type": "DecisionMade",
        "timestamp": datetime.now(timezone.utc).replace(tzinfo=None).isoformat(),
        "aggregate_id": aggregate_id,
        "version": 1,
        "data": {"decision": "adopt the legacy shape", "votes": 3},
        "metadata": metadata,
    }
    failed = []

    def delivered(err, msg):
        if err is not None:
            failed.append(str(err))

    producer = Producer({"bootstrap.servers": bootstrap})
    producer.produce(
        topic,
        key=aggregate_id.encode(),
        value=json.dumps(event).encode(),
        on_delivery=delivered,
    )
    if producer.flush(30) != 0 or failed:
        print(f"not delivered: {failed or 'timed out'}", file=sys.stderr)
        return 1
    print(json.dumps(event))
    return 0


if __name__ == "__main__":
    sys.exit(main())
