"""A confluent-kafka group member for tests/groups_both_protocols_on_kafka.rs.

    python group_member.py BOOTSTRAP TOPIC GROUP PROTOCOL EXPECT CLIENT_ID

Joins GROUP with `group.protocol=PROTOCOL` (`classic` or `consumer`, KIP-848),
reads EXPECT records, commits its positions synchronously (partitions it read
nothing from stay uncommitted), prints `ready` and stays in the group, polling,
until its stdin closes.
"""

import select
import sys

from confluent_kafka import Consumer


def main() -> int:
    bootstrap, topic, group, protocol, expect, client_id = sys.argv[1:7]
    conf = {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "group.protocol": protocol,
        "client.id": client_id,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
    }
    consumer = Consumer(conf)
    consumer.subscribe([topic])
    seen = 0
    while seen < int(expect):
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            print(f"error: {msg.error()}", file=sys.stderr)
            continue
        seen += 1
    consumer.commit(asynchronous=False)
    print("ready", flush=True)
    while True:
        consumer.poll(0.2)
        ready, _, _ = select.select([sys.stdin], [], [], 0)
        if ready and not sys.stdin.read(1):
            break
    consumer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
