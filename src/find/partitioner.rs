//! Which partition a producer put a key in: Java's default partitioner
//! (murmur2, what librdkafka calls `murmur2_random`) and librdkafka's default
//! (`consistent_random`, CRC32). A key lookup reads those partitions first.

/// A producer's partitioner, as far as it decides a keyed record's partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Partitioner {
    /// Java's `DefaultPartitioner` / `BuiltInPartitioner` and librdkafka's
    /// `murmur2_random`: `(murmur2(key) & 0x7fffffff) % partitions`.
    Murmur2,
    /// librdkafka's default, `consistent_random`: `crc32(key) % partitions`.
    Crc32,
}

impl Partitioner {
    /// Both, in the order their partitions are named.
    pub const ALL: [Partitioner; 2] = [Partitioner::Murmur2, Partitioner::Crc32];

    /// The partition of `key` among `partitions` (> 0).
    pub fn partition(self, key: &[u8], partitions: i32) -> i32 {
        let n = partitions.max(1) as u32;
        let hash = match self {
            // Java's Utils.toPositive masks the sign bit; it does not take abs().
            Partitioner::Murmur2 => murmur2::murmur2(key, murmur2::KAFKA_SEED) & 0x7fff_ffff,
            Partitioner::Crc32 => crc32fast::hash(key),
        };
        (hash % n) as i32
    }

    /// How it is named where a person reads it.
    pub fn describe(self) -> &'static str {
        match self {
            Partitioner::Murmur2 => "murmur2: Java's default, librdkafka's murmur2_random",
            Partitioner::Crc32 => "crc32: librdkafka's default, consistent_random",
        }
    }

    /// A short name (JSON, the console).
    pub fn name(self) -> &'static str {
        match self {
            Partitioner::Murmur2 => "murmur2",
            Partitioner::Crc32 => "crc32",
        }
    }
}

/// The partitions `key` lands in under each partitioner, each once, lowest
/// first, with the partitioners that put it there.
pub fn key_partitions(key: &[u8], partitions: i32) -> Vec<(i32, Vec<Partitioner>)> {
    let mut out: Vec<(i32, Vec<Partitioner>)> = Vec::new();
    for p in Partitioner::ALL {
        let at = p.partition(key, partitions);
        match out.iter_mut().find(|(q, _)| *q == at) {
            Some((_, by)) => by.push(p),
            None => out.push((at, vec![p])),
        }
    }
    out.sort_by_key(|(p, _)| *p);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kafka's own vectors (`UtilsTest.testMurmur2`, clients module).
    #[test]
    fn murmur2_matches_kafkas_test_vectors() {
        let cases: [(&str, i32); 6] = [
            ("21", -973_932_308),
            ("foobar", -790_332_482),
            ("a-little-bit-long-string", -985_981_536),
            ("a-little-bit-longer-string", -1_486_304_829),
            (
                "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
                -58_897_971,
            ),
            ("abc", 479_470_107),
        ];
        for (key, want) in cases {
            let got = murmur2::murmur2(key.as_bytes(), murmur2::KAFKA_SEED) as i32;
            assert_eq!(got, want, "murmur2({key:?})");
        }
    }

    /// `DefaultPartitionerTest.testKeyPartitionIsStable`: key {1,2,3}, 3 partitions → 2...
    /// and the partition is toPositive(murmur2) % n for any key.
    #[test]
    fn murmur2_partition_is_to_positive_mod_n() {
        let key = [0x01u8, 0x02, 0x03];
        let hash = murmur2::murmur2(&key, murmur2::KAFKA_SEED);
        assert_eq!(
            Partitioner::Murmur2.partition(&key, 3),
            ((hash & 0x7fff_ffff) % 3) as i32
        );
        // A key whose hash is negative still gets a partition in range.
        let p = Partitioner::Murmur2.partition(b"21", 12);
        assert_eq!(p, ((-973_932_308i32 & 0x7fff_ffff) % 12));
    }

    #[test]
    fn crc32_partition_is_librdkafkas_consistent() {
        // rd_crc32("foobar") = 0x9ef61f95 (IEEE CRC-32, as zlib's crc32).
        assert_eq!(crc32fast::hash(b"foobar"), 0x9ef6_1f95);
        assert_eq!(
            Partitioner::Crc32.partition(b"foobar", 12),
            (0x9ef6_1f95u32 % 12) as i32
        );
    }

    #[test]
    fn key_partitions_are_unique_and_name_their_partitioners() {
        let parts = key_partitions(b"order-42", 1);
        assert_eq!(
            parts,
            vec![(0, vec![Partitioner::Murmur2, Partitioner::Crc32])]
        );
        for key in ["a", "order-42", "abc", "21"] {
            let parts = key_partitions(key.as_bytes(), 12);
            assert!(!parts.is_empty() && parts.len() <= 2);
            assert!(parts.iter().all(|(p, _)| (0..12).contains(p)));
        }
    }
}
