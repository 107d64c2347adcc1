// The floor under the exactly-once bridge's latency budget, with Kafka's own
// Java clients: the same shape as `bridge_publish_to_remote_handler`'s
// exactly-once rounds (a producer at a fixed rate → a consume → produce relay
// whose records and consumed offsets go in one transaction per poll → a
// read_committed reader), with nothing of eventdeck in it. Prints p50, p99,
// p99.9 and max of "sent → read by the read_committed reader".
//
// Run: benches/exactly-once-floor (it finds the Kafka jars scripts/kafka
// cached and the running cluster's bootstrap servers).
import java.time.Duration;
import java.util.*;
import java.util.concurrent.*;
import java.util.concurrent.atomic.*;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.*;

public class ExactlyOnceFloor {
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        int rate = Integer.parseInt(args.length > 1 ? args[1] : "1000");
        int seconds = Integer.parseInt(args.length > 2 ? args[2] : "10");
        int partitions = 3;
        String run = UUID.randomUUID().toString().substring(0, 8);
        String in = "floor.causes." + run, out = "floor.effects." + run;
        Properties common = new Properties();
        common.put("bootstrap.servers", bootstrap);
        try (Admin admin = Admin.create(common)) {
            // Replicated 3 ways on three brokers (as the eventdeck bench's
            // topics), once on one.
            short replicas = (short) Math.min(3, admin.describeCluster().nodes().get().size());
            admin.createTopics(List.of(new NewTopic(in, partitions, replicas),
                    new NewTopic(out, partitions, replicas))).all().get();
        }
        AtomicBoolean stop = new AtomicBoolean(false);
        long total = (long) rate * seconds, warmUp = rate * 2L;
        long[] latencies = new long[(int) total];
        AtomicLong read = new AtomicLong(), transactions = new AtomicLong(), inTransactions = new AtomicLong();
        CountDownLatch ready = new CountDownLatch(2);

        Thread relay = new Thread(() -> {
            Properties c = (Properties) common.clone();
            c.put("group.id", "floor-relay-" + run);
            c.put("isolation.level", "read_committed");
            c.put("enable.auto.commit", "false");
            c.put("auto.offset.reset", "earliest");
            Properties p = (Properties) common.clone();
            p.put("transactional.id", "floor-relay-" + run);
            p.put("linger.ms", "1");
            // As the bridge does: the next transaction right after a commit
            // meets CONCURRENT_TRANSACTIONS while the markers are written;
            // retry it soon (the default backoff is 100 ms).
            p.put("retry.backoff.ms", "2");
            p.put("retry.backoff.max.ms", "10");
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer());
                 KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
                producer.initTransactions();
                consumer.subscribe(List.of(in));
                boolean signalled = false;
                while (!stop.get()) {
                    ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(100));
                    if (!signalled && !consumer.assignment().isEmpty()) { ready.countDown(); signalled = true; }
                    if (records.isEmpty()) continue;
                    long t0 = System.nanoTime();
                    producer.beginTransaction();
                    Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
                    for (ConsumerRecord<String, String> r : records) {
                        producer.send(new ProducerRecord<>(out, r.key(), r.value()));
                        next.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
                    }
                    producer.sendOffsetsToTransaction(next, consumer.groupMetadata());
                    producer.commitTransaction();
                    transactions.incrementAndGet();
                    inTransactions.addAndGet(System.nanoTime() - t0);
                }
            }
        });
        Thread reader = new Thread(() -> {
            Properties c = (Properties) common.clone();
            c.put("group.id", "floor-reader-" + run);
            c.put("isolation.level", "read_committed");
            c.put("auto.offset.reset", "earliest");
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(List.of(out));
                boolean signalled = false;
                while (!stop.get()) {
                    ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(100));
                    if (!signalled && !consumer.assignment().isEmpty()) { ready.countDown(); signalled = true; }
                    long now = System.nanoTime();
                    for (ConsumerRecord<String, String> r : records) {
                        String[] f = r.value().split(" ");
                        int n = Integer.parseInt(f[0]);
                        latencies[n] = now - Long.parseLong(f[1]);
                        read.incrementAndGet();
                    }
                }
            }
        });
        relay.start();
        reader.start();
        ready.await(60, TimeUnit.SECONDS);
        Properties p = (Properties) common.clone();
        p.put("acks", "all");
        p.put("linger.ms", "2");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            long start = System.nanoTime(), interval = 1_000_000_000L / rate;
            for (int n = 0; n < total; n++) {
                long due = start + n * interval;
                while (System.nanoTime() < due) Thread.sleep(0, 200_000);
                producer.send(new ProducerRecord<>(in, "svc-" + (n % 1000), n + " " + System.nanoTime()));
            }
        }
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (read.get() < total && System.nanoTime() < deadline) Thread.sleep(10);
        stop.set(true);
        relay.join();
        reader.join();
        long[] counted = Arrays.copyOfRange(latencies, (int) warmUp, (int) total);
        Arrays.sort(counted);
        int n = counted.length;
        System.out.printf("Kafka's Java clients, exactly-once relay at %d events/s for %d s (%d counted after a 2 s warm-up, %d of %d read): p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms%n",
                rate, seconds, n, read.get(), total, counted[n / 2] / 1e6, counted[(int) (n * 0.99)] / 1e6,
                counted[(int) (n * 0.999)] / 1e6, counted[n - 1] / 1e6);
        System.out.printf("  the relay ran %d transactions, %.2f ms each on average%n", transactions.get(),
                inTransactions.get() / 1e6 / Math.max(1, transactions.get()));
        try (Admin admin = Admin.create(common)) {
            admin.deleteTopics(List.of(in, out)).all().get();
        }
    }
}
