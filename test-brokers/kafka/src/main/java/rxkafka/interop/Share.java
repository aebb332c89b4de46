package rxkafka.interop;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The share command: a KafkaShareConsumer (KIP-932) member with explicit acknowledgement. It accepts every record,
 * except: --release-first N releases records whose value number is a multiple of N on their first delivery; after
 * --hold-after N accepted records it stops settling, prints what it holds and waits to be killed.
 */
final class Share {
  private Share() {}

  static void run(Map<String, String> args) throws Exception {
    String topic = Interop.required(args, "topic");
    int releaseEvery = Integer.parseInt(args.getOrDefault("release-first", "0"));
    int holdAfter = Integer.parseInt(args.getOrDefault("hold-after", "-1"));
    Properties props = Interop.clientProperties(args);
    props.put("group.id", Interop.required(args, "group"));
    props.put("key.deserializer", ByteArrayDeserializer.class.getName());
    props.put("value.deserializer", ByteArrayDeserializer.class.getName());
    props.put("share.acknowledgement.mode", "explicit");
    int accepted = 0;
    try (KafkaShareConsumer<byte[], byte[]> consumer = new KafkaShareConsumer<>(props)) {
      consumer.subscribe(List.of(topic));
      while (true) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
        if (holdAfter >= 0 && accepted >= holdAfter && !records.isEmpty()) {
          for (ConsumerRecord<byte[], byte[]> record : records) {
            ObjectNode line = Interop.JSON.createObjectNode();
            line.put("holding", Interop.text(record.value()));
            Interop.emit(line);
          }
          Thread.sleep(Long.MAX_VALUE);
        }
        List<ObjectNode> settled = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
          String value = Interop.text(record.value());
          int count = record.deliveryCount().map(Short::intValue).orElse(0);
          boolean release = releaseEvery > 0 && count == 1 && Integer.parseInt(value.substring(1)) % releaseEvery == 0;
          consumer.acknowledge(record, release ? AcknowledgeType.RELEASE : AcknowledgeType.ACCEPT);
          ObjectNode line = Interop.JSON.createObjectNode();
          line.put(release ? "released" : "accepted", value);
          line.put("deliveryCount", count);
          line.put("partition", record.partition());
          settled.add(line);
        }
        if (settled.isEmpty()) continue;
        Map<TopicIdPartition, Optional<KafkaException>> result = consumer.commitSync();
        boolean failed = result.values().stream().anyMatch(Optional::isPresent);
        for (ObjectNode line : settled) {
          if (failed) line.put("failed", true);
          Interop.emit(line);
          if (line.has("accepted") && !failed) accepted++;
        }
      }
    }
  }
}
