package rxkafka.interop;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** The consume command: every partition of a topic from the start, without a group. */
final class Consume {
  private Consume() {}

  static void run(Map<String, String> args) {
    String topic = Interop.required(args, "topic");
    int count = Integer.parseInt(Interop.required(args, "count"));
    long deadline = System.currentTimeMillis() + Long.parseLong(args.getOrDefault("timeout-ms", "60000"));
    Properties props = Interop.clientProperties(args);
    props.put("key.deserializer", ByteArrayDeserializer.class.getName());
    props.put("value.deserializer", ByteArrayDeserializer.class.getName());
    props.put("isolation.level", args.getOrDefault("isolation", "read_uncommitted"));
    props.put("enable.auto.commit", "false");
    int read = 0;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
        partitions.add(new TopicPartition(topic, info.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      while (read < count) {
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException("read " + read + " of " + count + " records before the timeout");
        }
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          Interop.emit(Records.toJson(record));
          read++;
        }
      }
      // --linger-ms: keep reading a while after the count, so a reader that would see too much (duplicates,
      // aborted records) shows it instead of stopping at exactly the count it was told.
      long lingerUntil = System.currentTimeMillis() + Long.parseLong(args.getOrDefault("linger-ms", "0"));
      while (System.currentTimeMillis() < lingerUntil) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          Interop.emit(Records.toJson(record));
          read++;
        }
      }
    }
    ObjectNode done = Interop.JSON.createObjectNode();
    done.put("done", read);
    Interop.emit(done);
  }
}
