package rxkafka.interop;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The group command: a group member that commits what it read after every poll. --protocol classic (the default)
 * uses --assignor; --protocol consumer (KIP-848) lets the broker assign, with --remote-assignor uniform|range.
 */
final class Group {
  private Group() {}

  static void run(Map<String, String> args) throws Exception {
    String topic = Interop.required(args, "topic");
    String protocol = args.getOrDefault("protocol", "classic");
    Properties props = Interop.clientProperties(args);
    props.put("group.id", Interop.required(args, "group"));
    if (protocol.equals("consumer")) {
      // The broker assigns and decides session timeout and heartbeat interval; the client may not set them.
      props.put("group.protocol", "consumer");
      if (args.containsKey("remote-assignor")) props.put("group.remote.assignor", args.get("remote-assignor"));
    } else if (protocol.equals("classic")) {
      String assignor = switch (args.getOrDefault("assignor", "range")) {
        case "range" -> "org.apache.kafka.clients.consumer.RangeAssignor";
        case "cooperative-sticky" -> "org.apache.kafka.clients.consumer.CooperativeStickyAssignor";
        default -> throw new IllegalArgumentException("--assignor is range or cooperative-sticky");
      };
      props.put("group.protocol", "classic");
      props.put("partition.assignment.strategy", assignor);
      props.put("session.timeout.ms", args.getOrDefault("session-timeout-ms", "10000"));
      props.put("heartbeat.interval.ms", "500");
    } else {
      throw new IllegalArgumentException("--protocol is classic or consumer");
    }
    props.put("key.deserializer", ByteArrayDeserializer.class.getName());
    props.put("value.deserializer", ByteArrayDeserializer.class.getName());
    props.put("auto.offset.reset", "earliest");
    props.put("enable.auto.commit", "false");
    AtomicBoolean leave = new AtomicBoolean(false);
    Thread stdinReader = new Thread(() -> {
      try {
        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = stdin.readLine(); line != null; line = stdin.readLine()) {
          if (line.trim().equals("leave")) break;
        }
      } catch (Exception ignored) {
        // end of input leaves as well
      }
      leave.set(true);
    });
    stdinReader.setDaemon(true);
    stdinReader.start();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
          consumer.commitSync();
          Interop.emit(event("revoked", partitions));
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
          Interop.emit(event("assigned", partitions));
        }
      });
      while (!leave.get()) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
        for (ConsumerRecord<byte[], byte[]> record : records) Interop.emit(Records.toJson(record));
        if (!records.isEmpty()) {
          consumer.commitSync();
          ObjectNode committed = Interop.JSON.createObjectNode();
          committed.put("committed", records.count());
          Interop.emit(committed);
        }
      }
    }
    ObjectNode closed = Interop.JSON.createObjectNode();
    closed.put("closed", true);
    Interop.emit(closed);
  }

  private static ObjectNode event(String name, Collection<TopicPartition> partitions) {
    ObjectNode line = Interop.JSON.createObjectNode();
    ArrayNode list = line.putArray(name);
    for (TopicPartition partition : partitions) list.add(partition.partition());
    return line;
  }
}
